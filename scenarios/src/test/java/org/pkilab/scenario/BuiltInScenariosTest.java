package org.pkilab.scenario;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.pkilab.cli.Cli;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every built-in scenario runs in a fresh lab with every expectation held; every lesson names its code and fix. */
class BuiltInScenariosTest {

    static Stream<String> builtIns() {
        return BuiltInScenarios.ALL.stream().map(BuiltInScenarios.Entry::name);
    }

    @ParameterizedTest(name = "pkilab run {0}")
    @MethodSource("builtIns")
    void runsWithEveryExpectationHeld(String name) {
        Cli.Result run = Cli.pkilab("run", name);
        assertEquals(0, run.exit(), run.out() + run.err());
        assertTrue(run.out().contains("every expectation held"), run.out());
        if (name.startsWith("lesson-")) {
            assertTrue(run.out().contains("Refused, as the guide warns:"), "the lesson's failure happens: " + run.out());
            assertTrue(run.out().contains("    Code:   "), "the narration names the code: " + run.out());
            assertTrue(run.out().contains("    Fix:    "), "the narration names the fix: " + run.out());
        }
    }
}
