package org.pkilab.cli;

import org.pkilab.console.ClassroomConsole;
import org.pkilab.console.LabRun;
import org.pkilab.lab.Lab;
import org.pkilab.scenario.Narration;
import org.pkilab.scenario.Scenario;
import org.pkilab.scenario.StepResult;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

/**
 * {@code pkilab run --console}: the scenario with the classroom console. A class of its own so that {@code pkilab run}
 * without {@code --console} does not load the console's run classes when {@code RunCommand} is verified.
 */
final class RunWithConsole {

    private RunWithConsole() {
    }

    /**
     * The run with the classroom console: the lesson runs on its own thread (waiting in step mode for Next step), the
     * terminal narrates as without the console, and after the first run through the console stays open until Ctrl-C.
     */
    static int run(Scenario parsed, boolean step, int consolePort, PrintWriter out) throws InterruptedException {
        int[] number = {0};
        // started in step mode so that no step is narrated before the console's address; without --step it goes on below
        LabRun run = LabRun.start(parsed, true, r -> {
            synchronized (number) {
                number[0]++;
                Narration.narrate(out, number[0], r);
            }
        });
        ClassroomConsole classroom;
        try {
            classroom = ClassroomConsole.start(run.lab(), run, consolePort);
        } catch (RuntimeException e) {
            run.close();
            throw e;
        }
        run.onLab(lab -> {
            synchronized (number) {
                number[0] = 0;
                out.println();
                out.println("The lesson starts again in a fresh lab (asked in the console).");
                out.flush();
            }
        });
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            classroom.close();
            run.close();
            stopped.countDown();
        }, "pkilab-shutdown"));
        Lab lab = run.lab();
        out.println("Lab: " + lab.dc().domainName() + "; DC " + lab.dc().fqdn() + "; CA " + lab.ca().name() + "; computers "
                + String.join(", ", lab.computerNames()) + "; every account's password " + lab.password());
        out.println("Classroom console: " + classroom.url() + "  (sign in as " + lab.dc().names().defaultNetbiosName()
                + "\\Administrator, or once without a password: " + classroom.oneTimeLink() + ")");
        if (step) {
            out.println("Step mode: the lesson waits before each step for Next step in the console's Run view.");
        }
        out.println();
        out.flush();
        if (!step) {
            run.resume();
        }
        List<StepResult> results = run.awaitFirstRun();
        long failed = results.stream().filter(r -> !r.asExpected()).count();
        out.printf(Locale.ROOT, "%s: %d of %d steps, %s%n", parsed.name(), results.size(), parsed.steps().size(),
                failed == 0 ? "every expectation held" : failed + " did not go as expected");
        out.println("The console stays open at " + classroom.url() + " for the class; Ctrl-C to stop.");
        out.flush();
        stopped.await();
        return failed == 0 ? 0 : 1;
    }
}
