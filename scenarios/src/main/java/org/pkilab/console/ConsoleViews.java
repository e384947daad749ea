package org.pkilab.console;

import java.util.ArrayList;
import java.util.List;

/** The consoles in the navigation's order; the Run view only when the console follows a scenario run. */
final class ConsoleViews {

    private ConsoleViews() {
    }

    static List<ConsoleView> all(boolean withRun) {
        List<ConsoleView> views = new ArrayList<>();
        if (withRun) {
            views.add(new RunView());
        }
        views.add(new DirectoryView());
        views.add(new TemplatesView());
        views.add(new CertificationAuthorityView());
        views.add(new ComputersView());
        if (!withRun) {
            views.add(new RunView());
        }
        return List.copyOf(views);
    }
}
