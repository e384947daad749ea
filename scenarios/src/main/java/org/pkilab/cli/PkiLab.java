package org.pkilab.cli;

import org.pkilab.bench.CaIssuanceBenchmark;
import org.pkilab.bench.DomainControllerStartupBenchmark;
import org.pkilab.bench.LoadBenchmark;
import org.pkilab.bench.MtlsBenchmark;
import org.pkilab.bench.ProtocolBenchmark;
import org.pkilab.bench.RunConfigMgrBenchmark;
import org.pkilab.bench.ScaleBenchmark;
import org.pkilab.cli.admin.AcmeCommand;
import org.pkilab.cli.admin.AuditCommand;
import org.pkilab.cli.admin.CaCommand;
import org.pkilab.cli.admin.CmpCommand;
import org.pkilab.cli.admin.DirectoryCommands;
import org.pkilab.cli.admin.TemplateCommand;
import org.pkilab.pki.LabCrypto;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code pkilab}: the lab's command line. {@code up} starts a lasting lab, {@code run} plays a scenario,
 * {@code group|computer|user|template|ca} administer a running lab (as samba-tool and certutil do), {@code audit}
 * finds its AD CS misconfigurations (ESC1-ESC16),
 * {@code benchmark} measures it.
 */
@Command(name = "pkilab", mixinStandardHelpOptions = true, version = "pkilab 0.1.0",
        description = "A simulated Active Directory domain with an enterprise CA, for the Configuration Manager PKI guide.",
        subcommands = {ScenariosCommand.class, RunCommand.class, UpCommand.class, HostCommand.class, ClockCommand.class, DcCommand.class,
                DirectoryCommands.GroupCommand.class, DirectoryCommands.ComputerCommand.class, DirectoryCommands.UserCommand.class,
                TemplateCommand.class, CaCommand.class, AcmeCommand.class, CmpCommand.class, AuditCommand.class, PkiLab.BenchmarkCommand.class,
                CommandLine.HelpCommand.class})
public final class PkiLab implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        try {
            LabCrypto.install();
        } catch (IllegalArgumentException e) {
            System.err.println("pkilab: " + e.getMessage());
            System.exit(2);
        }
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, for tests: bad usage exits 2, domain failures exit 1. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new PkiLab());
        cli.setExitCodeExceptionMapper(e -> e instanceof CommandLine.ParameterException ? 2 : 1);
        // certutil -setreg CA\InterfaceFlags -IF_...: a change that starts with '-' is the change, not an option
        cli.getSubcommands().get("ca").getSubcommands().get("setreg").setUnmatchedOptionsArePositionalParams(true);
        cli.setParameterExceptionHandler((e, args) -> {
            e.getCommandLine().getErr().println("pkilab: " + e.getMessage());
            e.getCommandLine().usage(e.getCommandLine().getErr());
            return 2;
        });
        cli.setExecutionExceptionHandler((e, command, parseResult) -> {
            command.getErr().println("pkilab: " + e.getMessage());
            return 1;
        });
        return cli;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "benchmark", mixinStandardHelpOptions = true,
            description = "Measure the lab and print the figures.",
            subcommands = {DomainControllerStartupBenchmark.class, CaIssuanceBenchmark.class, RunConfigMgrBenchmark.class,
                    ScaleBenchmark.class, MtlsBenchmark.class, LoadBenchmark.class, ProtocolBenchmark.class})
    static final class BenchmarkCommand implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }
    }
}
