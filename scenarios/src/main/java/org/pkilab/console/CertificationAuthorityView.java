package org.pkilab.console;

/** Placeholder while the view is written. */
final class CertificationAuthorityView implements ConsoleView {

    @Override
    public String prefix() {
        return "/ca";
    }

    @Override
    public String title() {
        return "Certification Authority";
    }

    @Override
    public ConsoleAnswer answer(ConsoleRequest request) {
        return ConsoleAnswer.Page.of("Certification Authority", prefix(), "<p>Not written yet.</p>");
    }
}
