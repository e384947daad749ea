package org.pkilab.console;

/** Placeholder while the view is written. */
final class ComputersView implements ConsoleView {

    @Override
    public String prefix() {
        return "/hosts";
    }

    @Override
    public String title() {
        return "Computers";
    }

    @Override
    public ConsoleAnswer answer(ConsoleRequest request) {
        return ConsoleAnswer.Page.of("Computers", prefix(), "<p>Not written yet.</p>");
    }
}
