package org.pkilab.scenario;

import java.util.List;

/**
 * What one step came to: whether its expectation held, what the lab did (narration lines, certificates
 * included), and for a failure the AD CS or Windows code, the reason and the fix.
 */
public record StepResult(Scenario.Step step, boolean asExpected, List<String> narration, String code, String failure, String fix,
                         long millis) {

    public StepResult {
        narration = List.copyOf(narration);
    }
}
