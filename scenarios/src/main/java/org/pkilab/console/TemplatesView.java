package org.pkilab.console;

/** Placeholder while the view is written. */
final class TemplatesView implements ConsoleView {

    @Override
    public String prefix() {
        return "/templates";
    }

    @Override
    public String title() {
        return "Certificate Templates";
    }

    @Override
    public ConsoleAnswer answer(ConsoleRequest request) {
        return ConsoleAnswer.Page.of("Certificate Templates", prefix(), "<p>Not written yet.</p>");
    }
}
