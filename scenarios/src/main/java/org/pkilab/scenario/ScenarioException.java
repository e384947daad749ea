package org.pkilab.scenario;

import java.util.List;

/** A scenario file that cannot run, with every problem found, each as {@code file:line: what was expected}. */
public final class ScenarioException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private final List<String> problems;

    public ScenarioException(List<String> problems) {
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
