package org.pkilab.console;

/** Placeholder while the view is written. */
final class DirectoryView implements ConsoleView {

    @Override
    public String prefix() {
        return "/ad";
    }

    @Override
    public String title() {
        return "Active Directory";
    }

    @Override
    public ConsoleAnswer answer(ConsoleRequest request) {
        return ConsoleAnswer.Page.of("Active Directory", prefix(), "<p>Not written yet.</p>");
    }
}
