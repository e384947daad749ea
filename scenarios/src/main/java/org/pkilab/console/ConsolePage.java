package org.pkilab.console;

import org.pkilab.lab.Lab;

import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * The frame around every view: the lab's name and clock, the navigation between consoles, who is signed in, and the
 * {@code <main>} a view fills. Written for a projector (1280x720, large type, strong contrast) and for a keyboard and a
 * screen reader: a skip link, landmarks, the current console marked with {@code aria-current}, every control labelled.
 * The page loads one style sheet and one small script from the console itself: no CDN, it works offline.
 */
final class ConsolePage {

    static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneOffset.UTC);

    private ConsolePage() {
    }

    /** A whole page: the frame and {@code page}'s body, plus a one-time {@code message} above it. */
    static String render(ConsoleAnswer.Page page, ConsoleSession session, Lab lab, List<ConsoleView> views, String message, boolean messageIsError) {
        StringBuilder out = new StringBuilder(8192);
        out.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
                .append("<title>").append(Html.text(page.title())).append(" - PKI Lab ").append(Html.text(lab.dc().domainName())).append("</title>")
                .append("<link rel=\"stylesheet\" href=\"/static/console.css\"><script src=\"/static/console.js\" defer></script></head><body>")
                .append("<a class=\"skip\" href=\"#main\">Skip to content</a>")
                .append("<header><span class=\"lab\">PKI Lab <strong>").append(Html.text(lab.dc().domainName())).append("</strong></span>")
                .append(clock(lab));
        if (session != null) {
            out.append("<span class=\"who\">Signed in as <strong>").append(Html.text(session.account)).append("</strong>")
                    .append(session.administrator() ? " (administrator)" : "").append("</span>")
                    .append(Html.form("/logout", session.csrf, "", "Sign out"));
        }
        out.append("</header>");
        if (session != null) {
            out.append("<nav class=\"consoles\" aria-label=\"Consoles\"><ul>");
            for (ConsoleView v : views) {
                if (v.title() != null) {
                    boolean here = v.prefix().equals(page.section());
                    out.append("<li><a href=\"").append(v.prefix()).append('"').append(here ? " aria-current=\"page\"" : "").append('>')
                            .append(Html.text(v.title())).append("</a></li>");
                }
            }
            out.append("</ul></nav>");
        }
        out.append("<main id=\"main\" tabindex=\"-1\"").append(page.live().isEmpty() ? "" : " data-live=\"" + Html.text(String.join(" ", page.live())) + "\"")
                .append('>');
        out.append(main(page, message, messageIsError));
        out.append("</main></body></html>");
        return out.toString();
    }

    /** What {@code <main>} holds: a live update replaces just this. */
    static String main(ConsoleAnswer.Page page, String message, boolean messageIsError) {
        return "<h1>" + Html.text(page.title()) + "</h1>" + (message == null ? "" : Html.message(messageIsError ? "error" : "ok", message)) + page.body();
    }

    /** The lab clock, which every part of the lab reads: it runs ahead of real time once an administrator advances it. */
    static String clock(Lab lab) {
        Duration ahead = lab.clock().offset();
        return "<span class=\"clock\" id=\"lab-clock\" aria-live=\"polite\">Lab clock <time>" + CLOCK.format(lab.clock().instant()) + " UTC</time>"
                + (ahead.isZero() ? "" : " (" + ahead.toDays() + " d " + ahead.toHoursPart() + " h ahead)") + "</span>";
    }
}
