package org.pkilab.console;

import org.pkilab.lab.Lab;
import org.pkilab.pki.Folders;
import org.pkilab.scenario.Scenario;
import org.pkilab.scenario.ScenarioRunner;
import org.pkilab.scenario.StepResult;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A scenario running in a fresh lab while the classroom console watches: the timeline of its steps (waiting,
 * running, done with what the lab did), and the instructor's controls. In <em>step mode</em> the run waits before each
 * step for {@link #next()}; {@link #pause()} turns a running lesson into step mode before its next step,
 * {@link #resume()} lets it run to the end, and {@link #rerun()} starts the lesson again in a fresh lab (the console
 * follows the new lab, signed-in browsers with it).
 *
 * <pre>{@code
 * try (LabRun run = LabRun.start(scenario, true, result -> {});
 *      ClassroomConsole console = ClassroomConsole.start(run.lab(), run, 0)) {
 *     run.next();                 // the first step runs; the timeline shows it
 * }
 * }</pre>
 *
 * <p>The run happens on its own thread; each change is told to the listeners ({@code run}: the timeline moved,
 * {@code *}: the step changed the lab).
 */
public final class LabRun implements AutoCloseable {

    /** Where a step is in the run. */
    public enum State { WAITING, RUNNING, DONE }

    /** One step of the timeline: its number (from 1), the step, where it is, and once done what it came to. */
    public record Entry(int number, Scenario.Step step, State state, StepResult result) {
    }

    /** Thrown at a step's gate when the instructor asked to run the lesson again or the console closes. */
    private static final class Stopped extends RuntimeException {
        Stopped() {
            super(null, null, false, false);
        }
    }

    private final Scenario scenario;
    private final Consumer<StepResult> narrate;
    private final Path work;
    private final List<Consumer<String>> changes = new CopyOnWriteArrayList<>();
    private final List<Consumer<Lab>> labs = new CopyOnWriteArrayList<>();
    private final Thread thread;

    private final Object lock = new Object();
    private Lab lab;
    private boolean stepMode;
    private int released;
    private boolean rerun;
    private boolean closed;
    private int current = -1;
    private int runs = 1;
    private final List<StepResult> results = new ArrayList<>();
    private List<StepResult> firstRun;
    private String failure;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LabRun.class);

    /** Why the last Run the lesson again did not start a fresh lab, or null. */
    public String failure() {
        synchronized (lock) {
            return failure;
        }
    }

    private LabRun(Scenario scenario, boolean stepMode, Consumer<StepResult> narrate) {
        this.scenario = scenario;
        this.stepMode = stepMode;
        this.narrate = narrate;
        try {
            this.work = Files.createTempDirectory("pkilab-console-run-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.lab = Lab.start(scenario.lab());
        this.thread = new Thread(this::runAgainAndAgain, "lesson-" + scenario.name());
        thread.setDaemon(true);
    }

    /**
     * Starts {@code scenario} in a fresh lab (started before this returns) and runs it on its own thread, in step mode
     * when {@code stepMode}; each step's result also goes to {@code narrate} (the terminal's narration).
     */
    public static LabRun start(Scenario scenario, boolean stepMode, Consumer<StepResult> narrate) {
        LabRun run = new LabRun(scenario, stepMode, narrate);
        run.thread.start();
        return run;
    }

    public Scenario scenario() {
        return scenario;
    }

    /** The lab the run uses now (a rerun starts a fresh one). */
    public Lab lab() {
        synchronized (lock) {
            return lab;
        }
    }

    /** Tells {@code listener} each change: {@code run} (the timeline), {@code *} (the lab). */
    public void onChange(Consumer<String> listener) {
        changes.add(listener);
    }

    /** Tells {@code listener} each fresh lab a rerun starts. */
    public void onLab(Consumer<Lab> listener) {
        labs.add(listener);
    }

    /** The first run through's results, once it has finished (or been stopped by a rerun: the steps it got through). */
    public List<StepResult> awaitFirstRun() throws InterruptedException {
        synchronized (lock) {
            while (firstRun == null && !closed) {
                lock.wait();
            }
            return firstRun == null ? List.copyOf(results) : firstRun;
        }
    }

    /**
     * Step mode: lets step {@code number} (from 1) run, when it is the one the run waits before; a second Next for the same
     * step (a double click, two instructors' browsers) runs nothing more.
     *
     * @return whether the step was released
     */
    public boolean next(int number) {
        synchronized (lock) {
            if (current >= 0 || released > 0 || results.size() + 1 != number) {
                return false;
            }
            released++;
            lock.notifyAll();
            return true;
        }
    }

    /** The number of the step the run does next (from 1), or 0 when every step is done. */
    public int nextStep() {
        synchronized (lock) {
            return results.size() < scenario.steps().size() ? results.size() + 1 : 0;
        }
    }

    /** Step mode from the next step on. */
    public void pause() {
        synchronized (lock) {
            stepMode = true;
            released = 0;
            lock.notifyAll();
        }
        changed("run");
    }

    /** Leaves step mode: the run goes on to the end. */
    public void resume() {
        synchronized (lock) {
            stepMode = false;
            lock.notifyAll();
        }
        changed("run");
    }

    /** Runs the lesson again from its first step in a fresh lab, after the step running now (if one is). */
    public void rerun() {
        synchronized (lock) {
            rerun = true;
            lock.notifyAll();
        }
    }

    public boolean stepMode() {
        synchronized (lock) {
            return stepMode;
        }
    }

    /** How many times the lesson has started (1 for the first run). */
    public int runs() {
        synchronized (lock) {
            return runs;
        }
    }

    /** Whether every step of this run through is done. */
    public boolean finished() {
        synchronized (lock) {
            return results.size() == scenario.steps().size();
        }
    }

    /** Whether the run waits for {@link #next()} before the step after the last done. */
    public boolean waiting() {
        synchronized (lock) {
            return current < 0 && stepMode && released == 0 && results.size() < scenario.steps().size();
        }
    }

    /** Every step of the scenario with where it is in this run through. */
    public List<Entry> entries() {
        synchronized (lock) {
            List<Entry> out = new ArrayList<>();
            List<Scenario.Step> steps = scenario.steps();
            for (int i = 0; i < steps.size(); i++) {
                State state = i < results.size() ? State.DONE : i == current ? State.RUNNING : State.WAITING;
                out.add(new Entry(i + 1, steps.get(i), state, i < results.size() ? results.get(i) : null));
            }
            return out;
        }
    }

    private void runAgainAndAgain() {
        while (true) {
            Lab running;
            synchronized (lock) {
                running = lab;
            }
            try {
                new ScenarioRunner(running, work).run(scenario, 0, this::gate, this::record);
            } catch (Stopped e) {
                // a rerun or the end: the steps done so far stay in the timeline until the next run starts
            } catch (RuntimeException | Error e) {
                LOG.warn("the lesson {} stopped: {}", scenario.name(), e.toString(), e);
            } finally {
                synchronized (lock) {
                    current = -1;
                    if (firstRun == null) {
                        firstRun = List.copyOf(results);
                    }
                    lock.notifyAll();
                }
            }
            changed("run");
            Lab fresh = null;
            while (fresh == null) {
                synchronized (lock) {
                    try {
                        while (!rerun && !closed) {
                            lock.wait();
                        }
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (closed) {
                        return;
                    }
                }
                try {
                    fresh = Lab.start(scenario.lab());
                } catch (RuntimeException e) {
                    // the lab could not start again (ports, memory): the old one stays, and the button can be pressed again
                    LOG.warn("the lesson {} could not start again in a fresh lab: {}", scenario.name(), e.toString(), e);
                    synchronized (lock) {
                        rerun = false;
                        failure = "The lesson could not start again in a fresh lab: " + e.getMessage();
                    }
                    changed("run");
                }
            }
            Lab old;
            synchronized (lock) {
                old = lab;
                lab = fresh;
                rerun = false;
                failure = null;
                results.clear();
                released = 0;
                runs++;
            }
            Lab started = fresh;
            labs.forEach(l -> l.accept(started));
            old.close();
            changed("*");
        }
    }

    private void gate(Scenario.Step step) {
        synchronized (lock) {
            try {
                while (stepMode && released == 0 && !rerun && !closed) {
                    lock.wait();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Stopped();
            }
            if (rerun || closed) {
                throw new Stopped();
            }
            if (stepMode) {
                released--;
            }
            current = results.size();
        }
        changed("run");
    }

    private void record(StepResult result) {
        synchronized (lock) {
            results.add(result);
            current = -1;
        }
        narrate.accept(result);
        changed("*");
    }

    private void changed(String topic) {
        changes.forEach(c -> c.accept(topic));
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (lock) {
            lab.close();
        }
        try {
            Folders.deleteTree(work);
        } catch (IOException e) {
            // a temporary folder left behind is no reason to fail closing the lesson
        }
    }
}
