package org.pkilab.console;

import org.pkilab.lab.Lab;
import org.pkilab.scenario.BuiltInScenarios;
import org.pkilab.scenario.Scenario;
import org.pkilab.scenario.ScenarioParser;
import org.pkilab.scenario.ScenarioRunner;
import org.pkilab.scenario.StepResult;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A lab with a scenario applied and the classroom console on it, for the console's browser tests: a test opens
 * {@link #adminLink()} in a {@link ConsoleBrowser} (the one-time Administrator sign-in) or signs in with {@link #password()}.
 *
 * <pre>{@code
 * try (ConsoleLab lab = ConsoleLab.after("configmgr"); ConsoleBrowser browser = new ConsoleBrowser()) {
 *     browser.open(lab.adminLink());
 *     browser.open(lab.url("/templates"));
 * }
 * }</pre>
 */
final class ConsoleLab implements AutoCloseable {

    private final Lab lab;
    private final ClassroomConsole console;

    private ConsoleLab(Lab lab) {
        this.lab = lab;
        this.console = ClassroomConsole.start(lab, null, 0);
    }

    /** A fresh lab after the built-in scenario {@code name} ran in it (every step as expected, else the test fails here). */
    static ConsoleLab after(String name) throws Exception {
        Scenario scenario = new ScenarioParser(BuiltInScenarios::text).parse(name + ".yaml", BuiltInScenarios.text(name));
        return after(scenario);
    }

    /** A fresh lab after {@code scenario} ran in it. */
    static ConsoleLab after(Scenario scenario) throws Exception {
        Lab lab = Lab.start(scenario.lab());
        Path work = Files.createTempDirectory("console-lab-");
        try {
            List<StepResult> results = new ScenarioRunner(lab, work).run(scenario, r -> { });
            List<StepResult> wrong = results.stream().filter(r -> !r.asExpected()).toList();
            if (!wrong.isEmpty()) {
                throw new AssertionError(scenario.name() + " did not go as expected: " + org.pkilab.scenario.Narration.of(wrong));
            }
            return new ConsoleLab(lab);
        } catch (RuntimeException | AssertionError e) {
            lab.close();
            throw e;
        }
    }

    Lab lab() {
        return lab;
    }

    ClassroomConsole console() {
        return console;
    }

    /** {@code http://127.0.0.1:PORT/path}. */
    String url(String path) {
        return console.url() + path;
    }

    /** A fresh one-time link that signs in as the Administrator. */
    String adminLink() {
        return console.oneTimeLink();
    }

    /** The password of every account of the lab. */
    String password() {
        return lab.password();
    }

    @Override
    public void close() {
        console.close();
        lab.close();
    }
}
