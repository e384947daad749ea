package org.pkilab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.pkilab.directory.model.PkiPeriod;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.time.Duration;

/**
 * {@code pkilab clock ...}: the running lab's one clock, which its domain controller, CA and computers
 * share. Moving it forward is how a lab shows what takes days on Windows: a CRL's next update passing (a
 * revoked certificate is refused once the CRL cached on the server is out of date), renewal at 80% of a
 * certificate's life, the 8-hour autoenrollment refresh. The clock never goes back, and a lab started again
 * on its data folder keeps it where it was.
 *
 * <pre>
 * pkilab clock show --data lab
 * pkilab clock advance "2 days" --data lab
 * </pre>
 */
@Command(name = "clock", mixinStandardHelpOptions = true,
        description = "The running lab's clock, shared by its DC, CA and computers: show, advance PERIOD.",
        subcommands = {ClockCommand.Show.class, ClockCommand.Advance.class})
final class ClockCommand implements Runnable {

    private static final ObjectMapper JSON = new ObjectMapper();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "The lab's time, and how far it is ahead of real time.")
    static final class Show extends LabControlClient.Verb {
        @Override
        void run(PrintWriter out) {
            describe(out, console.call("GET", "/clock", null));
        }
    }

    @Command(name = "advance", mixinStandardHelpOptions = true,
            description = "Move the lab clock forward by PERIOD; each computer then runs what fell due meanwhile "
                    + "(Group Policy refresh, autoenrollment and renewal) and CRLs past their next update are fetched anew.")
    static final class Advance extends LabControlClient.Verb {
        @Parameters(paramLabel = "PERIOD", description = "How far: '2 days', '6 weeks', '1 year', '8 hours'.")
        String period;

        @Override
        void run(PrintWriter out) {
            try {
                PkiPeriod.parse(period);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "PERIOD: " + e.getMessage());
            }
            out.println("Moving the lab clock " + period + " forward (each computer runs what fell due) ...");
            out.flush();
            describe(out, console.call("POST", "/clock/advance", JSON.createObjectNode().put("period", period)));
        }
    }

    private static void describe(PrintWriter out, JsonNode clock) {
        Duration ahead = Duration.ofSeconds(clock.path("offsetSeconds").asLong());
        out.println("Lab clock " + clock.path("now").asText() + (ahead.isZero() ? " (real time)"
                : " (" + (ahead.equals(Duration.ofHours(ahead.toHours())) ? PkiPeriod.display(ahead) : ahead.toString()) + " ahead of real time)"));
    }
}
