package org.pkilab.console;

import org.pkilab.directory.model.PkiPeriod;
import org.pkilab.scenario.Narration;
import org.pkilab.scenario.StepResult;

import java.time.Duration;
import java.util.List;

/**
 * The run: the scenario's steps as a live timeline, each with the guide's words, what the lab did (the certificates
 * involved are in those lines), and for a failure the code, the reason and the fix; the instructor's step-mode controls
 * (Next step, Pause, Run to the end, Run the lesson again); and the lab clock, which an administrator advances here as
 * {@code pkilab clock advance} does. Without a scenario run ({@code pkilab up}) it shows the clock only.
 */
final class RunView implements ConsoleView {

    @Override
    public String prefix() {
        return "/run";
    }

    @Override
    public String title() {
        return "Run";
    }

    @Override
    public ConsoleAnswer answer(ConsoleRequest request) {
        LabRun run = request.context().run();
        ConsoleSession session = request.session();
        if (request.post()) {
            if (!session.administrator()) {
                throw new ConsoleAnswer.Refused(403, "Refused", session.account + " is not an administrator of the lab: moving the lab clock and "
                        + "driving the lesson need membership in Domain Admins (this account's token does not hold it).");
            }
            switch (request.path()) {
                case "/run/clock" -> {
                    Duration by;
                    try {
                        by = PkiPeriod.parse(request.required("period"));
                    } catch (IllegalArgumentException e) {
                        throw new ConsoleAnswer.Refused(400, "Bad period", "Advance the clock by: " + e.getMessage() + " (for example '1 day' or '8 hours')");
                    }
                    request.context().lab().advanceClock(by);
                    return ConsoleAnswer.Redirect.to("/run", "The lab clock moved " + request.required("period") + " ahead; every computer ran what fell due.");
                }
                case "/run/next", "/run/pause", "/run/continue", "/run/rerun" -> {
                    if (run == null) {
                        throw new ConsoleAnswer.Refused(409, "No run", "This console follows no scenario run: start one with 'pkilab run LESSON --console'.");
                    }
                    String message = switch (request.path()) {
                        case "/run/next" -> {
                            int step = (int) Math.min(Integer.MAX_VALUE, Math.max(0, request.number("step")));
                            yield run.next(step) ? null : "Step " + step + " had already been started (Next step was pressed twice, or in "
                                    + "another browser); the lesson did not skip ahead.";
                        }
                        case "/run/pause" -> {
                            run.pause();
                            yield "Paused: the lesson waits before its next step.";
                        }
                        case "/run/continue" -> {
                            run.resume();
                            yield "The lesson runs to its end.";
                        }
                        default -> {
                            run.rerun();
                            yield "The lesson starts again in a fresh lab.";
                        }
                    };
                    return ConsoleAnswer.Redirect.to("/run", message);
                }
                default -> throw new ConsoleAnswer.Refused(404, "Not found", "The Run view has no action " + request.path() + ".");
            }
        }
        StringBuilder body = new StringBuilder();
        if (run == null) {
            body.append("<p>This console follows no scenario run. Run a lesson with <code>pkilab run lesson-restart --console --step</code> to see it here "
                    + "step by step.</p>");
        } else {
            body.append(status(run)).append(controls(run, session));
            body.append("<ol class=\"timeline\" aria-label=\"Steps of ").append(Html.text(run.scenario().name())).append("\">");
            for (LabRun.Entry e : run.entries()) {
                body.append(entry(e));
            }
            body.append("</ol>");
        }
        body.append(clock(request));
        String title = run == null ? "Run" : run.scenario().title().replaceFirst("^(?i)(lesson|scenario):\\s*", "") + " (" + run.scenario().name() + ")";
        return ConsoleAnswer.Page.of(title, prefix(), body.toString(), "run", "clock");
    }

    private static String status(LabRun run) {
        List<LabRun.Entry> entries = run.entries();
        long done = entries.stream().filter(e -> e.state() == LabRun.State.DONE).count();
        long failed = entries.stream().filter(e -> e.result() != null && !e.result().asExpected()).count();
        String where;
        if (run.finished()) {
            where = "Finished: " + done + " steps, " + (failed == 0 ? "every expectation held." : failed + " did not go as expected.");
        } else if (entries.stream().anyMatch(e -> e.state() == LabRun.State.RUNNING)) {
            where = "Running step " + (done + 1) + " of " + entries.size() + ".";
        } else if (run.stepMode()) {
            where = "Step mode: " + done + " of " + entries.size() + " steps done; the lesson waits for Next step.";
        } else {
            where = done + " of " + entries.size() + " steps done.";
        }
        return "<p class=\"run-status\" role=\"status\" id=\"run-status\">" + Html.text(where) + (run.runs() > 1 ? " (run " + run.runs() + ")" : "") + "</p>"
                + (run.failure() == null ? "" : Html.message("error", run.failure()));
    }

    private static String controls(LabRun run, ConsoleSession session) {
        if (!session.administrator()) {
            return "";
        }
        StringBuilder out = new StringBuilder("<div class=\"controls\" role=\"group\" aria-label=\"Lesson controls\">");
        if (!run.finished()) {
            if (run.stepMode()) {
                out.append(Html.form("/run/next", session.csrf, Html.hidden("step", Integer.toString(run.nextStep())), "Next step")).append(Html.form("/run/continue", session.csrf, "", "Run to the end"));
            } else {
                out.append(Html.form("/run/pause", session.csrf, "", "Pause"));
            }
        }
        out.append(Html.form("/run/rerun", session.csrf, "", "Run the lesson again"));
        return out.append("</div>").toString();
    }

    private static String entry(LabRun.Entry e) {
        StepResult r = e.result();
        String state = switch (e.state()) {
            case WAITING -> "waiting";
            case RUNNING -> "running";
            case DONE -> r.asExpected() ? (r.failure() != null ? "refused as expected" : "ok") : "not as expected";
        };
        String css = e.state() == LabRun.State.DONE ? (r.asExpected() ? "done" : "failed") : e.state().name().toLowerCase(java.util.Locale.ROOT);
        StringBuilder out = new StringBuilder("<li class=\"step ").append(css).append("\" id=\"step-").append(e.number()).append("\">")
                .append("<h2><span class=\"number\">").append(e.number()).append(".</span> ")
                .append(Html.text(e.step().verb().text() + Narration.summary(e.step())))
                .append(" <span class=\"where\">[").append(Html.text(e.step().where())).append("]</span>")
                .append(" <span class=\"state\">").append(Html.text(state)).append("</span></h2>");
        if (e.step().says() != null) {
            out.append("<p class=\"guide\"><strong>Guide:</strong> ").append(Html.text(e.step().says())).append("</p>");
        }
        if (r != null) {
            if (!r.narration().isEmpty()) {
                out.append("<ul class=\"lab\" aria-label=\"What the lab did\">");
                r.narration().forEach(line -> out.append("<li>").append(Html.text(line)).append("</li>"));
                out.append("</ul>");
            }
            if (r.failure() != null) {
                out.append("<div class=\"failure\"><p><strong>").append(r.asExpected() ? "Refused, as the guide warns" : "Failed").append("</strong></p>");
                if (r.code() != null) {
                    out.append("<p><strong>Code:</strong> <code>").append(Html.text(r.code())).append("</code></p>");
                }
                out.append("<p><strong>Reason:</strong> ").append(Html.text(r.failure()).replace("\n", "<br>")).append("</p>");
                if (r.fix() != null) {
                    out.append("<p><strong>Fix:</strong> ").append(Html.text(r.fix())).append("</p>");
                }
                out.append("</div>");
            }
            if (!r.asExpected()) {
                out.append("<p class=\"expected\">Expected ").append(Html.text(Narration.expected(e.step()))).append(".</p>");
            }
        }
        return out.append("</li>").toString();
    }

    private static String clock(ConsoleRequest request) {
        String now = ConsolePage.CLOCK.format(request.context().lab().clock().instant()) + " UTC";
        StringBuilder out = new StringBuilder("<section aria-labelledby=\"clock-heading\"><h2 id=\"clock-heading\">Lab clock</h2><p>The DC, the CA and every "
                + "computer read one clock: <strong>").append(Html.text(now)).append("</strong>.</p>");
        if (request.session().administrator()) {
            out.append(Html.form("/run/clock", request.session().csrf, Html.input("period", "Advance the clock by", "1 day"), "Advance the clock"));
        }
        return out.append("</section>").toString();
    }
}
