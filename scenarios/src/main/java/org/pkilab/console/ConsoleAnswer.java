package org.pkilab.console;

import java.util.List;

/**
 * What a view answers: a page (its title, the navigation entry it belongs to, its body, and the live-update topics that
 * refresh it), a redirect after an action (with the message the next page shows), or a refusal.
 */
sealed interface ConsoleAnswer {

    /**
     * A page; {@code live} are the topics ({@code ca}, {@code hosts}, {@code directory}, {@code run}, {@code clock}) whose
     * changes make the browser fetch it again.
     */
    record Page(int status, String title, String section, String body, List<String> live) implements ConsoleAnswer {
        public Page {
            live = List.copyOf(live);
        }

        static Page of(String title, String section, String body, String... live) {
            return new Page(200, title, section, body, List.of(live));
        }
    }

    /** After an action: where the browser goes next, and the message that page shows once. */
    record Redirect(String location, String message, boolean error) implements ConsoleAnswer {
        static Redirect to(String location, String message) {
            return new Redirect(location, message, false);
        }
    }

    /**
     * A refusal: 400 bad input, 403 the account may not, 404 no such object, 409 the service refused; the message says
     * which host, template, right or setting, and what to change. Thrown by views; the console renders it as a page.
     */
    final class Refused extends RuntimeException implements ConsoleAnswer {
        private final int status;
        private final String title;

        Refused(int status, String title, String message) {
            super(message);
            this.status = status;
            this.title = title;
        }

        int status() {
            return status;
        }

        String title() {
            return title;
        }
    }
}
