package org.pkilab.cli;

import org.pkilab.bench.CaIssuanceBenchmark;
import org.pkilab.bench.ColdStartBenchmark;
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

import java.util.Arrays;
import java.util.List;

/**
 * {@code pkilab}: the lab's command line. {@code up} starts a lasting lab, {@code run} plays a scenario,
 * {@code group|computer|user|template|ca} administer a running lab (as samba-tool and certutil do), {@code audit}
 * finds its AD CS misconfigurations (ESC1-ESC16),
 * {@code benchmark} measures it.
 */
@Command(name = "pkilab", mixinStandardHelpOptions = true, version = "pkilab 0.1.0",
        description = "A simulated Active Directory domain with an enterprise CA, for the Configuration Manager PKI guide.")
public final class PkiLab implements Runnable {

    /** The verbs, in the order the usage lists them. */
    private static final List<Class<?>> COMMANDS = List.of(ScenariosCommand.class, RunCommand.class, UpCommand.class, HostCommand.class,
            ClockCommand.class, DcCommand.class, DirectoryCommands.GroupCommand.class, DirectoryCommands.ComputerCommand.class,
            DirectoryCommands.UserCommand.class, TemplateCommand.class, CaCommand.class, AcmeCommand.class, CmpCommand.class,
            AuditCommand.class, PkiLab.BenchmarkCommand.class, CommandLine.HelpCommand.class);

    /** The verbs that start a domain controller, a CA or computers in this process, and so sign and handshake. */
    private static final List<String> STARTS_HOSTS = List.of("run", "up", "benchmark");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        String verb = args.length == 0 ? null : args[0];
        try {
            LabCrypto.choice();
        } catch (IllegalArgumentException e) {
            System.err.println("pkilab: " + e.getMessage());
            System.exit(2);
        }
        // help and the version print and exit: nothing to sign, so nothing to load
        boolean onlyHelp = Arrays.stream(args).anyMatch(a -> a.equals("-h") || a.equals("--help") || a.equals("-V") || a.equals("--version"));
        if (verb != null && STARTS_HOSTS.contains(verb) && !onlyHelp) {
            // the native provider loads while the command line and the scenario are read; the hosts wait for it in LabCrypto.install.
            // An administration verb makes one connection, for which loading it costs more than it saves: the JDK's providers serve
            Thread crypto = new Thread(LabCrypto::install, "pkilab-crypto");
            crypto.setDaemon(true);
            crypto.start();
        }
        System.exit(commandLine(verb).execute(args));
    }

    /** The configured command line, for tests: bad usage exits 2, domain failures exit 1. */
    public static CommandLine commandLine() {
        return commandLine(null);
    }

    /**
     * The command line with only the verb {@code verb} when it names one, else with all: picocli reads every command's
     * options by reflection when it is added, and a short command should not pay for the others.
     */
    static CommandLine commandLine(String verb) {
        CommandLine cli = new CommandLine(new PkiLab());
        boolean known = COMMANDS.stream().anyMatch(c -> name(c).equals(verb)) && !"help".equals(verb);
        for (Class<?> command : COMMANDS) {
            if (!known || name(command).equals(verb)) {
                cli.addSubcommand(command);
            }
        }
        cli.setExitCodeExceptionMapper(e -> e instanceof CommandLine.ParameterException ? 2 : 1);
        CommandLine ca = cli.getSubcommands().get("ca");
        if (ca != null) {
            // certutil -setreg CA\InterfaceFlags -IF_...: a change that starts with '-' is the change, not an option
            ca.getSubcommands().get("setreg").setUnmatchedOptionsArePositionalParams(true);
        }
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

    private static String name(Class<?> command) {
        return command.getAnnotation(Command.class).name();
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "benchmark", mixinStandardHelpOptions = true,
            description = "Measure the lab and print the figures.",
            subcommands = {DomainControllerStartupBenchmark.class, CaIssuanceBenchmark.class, RunConfigMgrBenchmark.class,
                    ScaleBenchmark.class, MtlsBenchmark.class, LoadBenchmark.class, ProtocolBenchmark.class, ColdStartBenchmark.class})
    static final class BenchmarkCommand implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }
    }
}
