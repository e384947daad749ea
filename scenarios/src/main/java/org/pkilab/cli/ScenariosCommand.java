package org.pkilab.cli;

import org.pkilab.scenario.BuiltInScenarios;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** {@code pkilab scenarios}: the built-in scenarios, one line each. */
@Command(name = "scenarios", mixinStandardHelpOptions = true, description = "List the built-in scenarios and lessons.")
final class ScenariosCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        int width = BuiltInScenarios.ALL.stream().mapToInt(e -> e.name().length()).max().orElse(0);
        for (BuiltInScenarios.Entry entry : BuiltInScenarios.ALL) {
            out.printf("%-" + width + "s %s%n", entry.name(), entry.summary());
        }
        out.println();
        out.println("Run one with: pkilab run <name>   (or pkilab run my-scenario.yaml; the format is in SCENARIOS.md)");
        out.flush();
    }
}
