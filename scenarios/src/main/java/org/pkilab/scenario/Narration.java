package org.pkilab.scenario;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Locale;

/**
 * A scenario run told as {@code pkilab run} tells it: each step with what the guide says, what the lab
 * did, and for a failure the code, the reason and the fix, then "ok" or what was expected instead.
 */
public final class Narration {

    private Narration() {
    }

    /** The whole run as text. */
    public static String of(List<StepResult> results) {
        StringWriter text = new StringWriter();
        PrintWriter out = new PrintWriter(text);
        for (int i = 0; i < results.size(); i++) {
            narrate(out, i + 1, results.get(i));
        }
        out.flush();
        return text.toString();
    }

    /** One step, numbered. */
    public static void narrate(PrintWriter out, int number, StepResult r) {
        Scenario.Step step = r.step();
        out.printf(Locale.ROOT, "%2d. %s  [%s]%n", number, step.verb().text() + summary(step), step.where());
        if (step.says() != null) {
            out.println("    Guide:  " + step.says());
        }
        for (String line : r.narration()) {
            out.println("    Lab:    " + line);
        }
        if (r.failure() != null) {
            out.println("    " + (r.asExpected() ? "Refused, as the guide warns:" : "Failed:"));
            if (r.code() != null) {
                out.println("    Code:   " + r.code());
            }
            for (String line : r.failure().split("\n")) {
                if (!line.isBlank()) {
                    out.println("    Reason: " + line.trim());
                }
            }
            if (r.fix() != null) {
                out.println("    Fix:    " + r.fix());
            }
        }
        out.println(r.asExpected() ? "    ok" : "    NOT AS EXPECTED: expected " + expected(step));
        out.flush();
    }

    /**
     * The step's fields as one line, the first one bare as a scenario's short form writes it:
     * {@code  IIS01} for a restart, {@code  Web Server, name ConfigMgr Web Server Certificate} for a duplicate
     * template. {@code connect} keeps its {@code from}, which reads as English.
     */
    public static String summary(Scenario.Step step) {
        StringBuilder text = new StringBuilder();
        String bare = step.verb() == Verb.CONNECT ? null : step.verb().fields().get(0).name();
        step.fields().forEach((k, v) -> text.append(text.length() == 0 ? " " : ", ").append(k.equals(bare) ? "" : k + " ").append(v));
        return text.toString();
    }

    /** What the step was expected to come to. */
    public static String expected(Scenario.Step step) {
        return switch (step.expect().kind()) {
            case SUCCESS -> "success";
            case PENDING -> "a pending request";
            case FAILURE -> "a failure" + (step.expect().error() == null ? "" : " with code " + step.expect().error())
                    + (step.expect().error() != null && step.expect().message() != null ? " and" : "")
                    + (step.expect().message() == null ? "" : " whose message says '" + step.expect().message() + "'");
        };
    }

}
