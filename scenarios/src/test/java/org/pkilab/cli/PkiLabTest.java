package org.pkilab.cli;

import org.junit.jupiter.api.Test;
import org.pkilab.testing.ExternalTool;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PkiLabTest {

    private static Cli.Result run(String... args) {
        return Cli.pkilab(args);
    }

    @Test
    void upExplainsItsFlags() {
        Cli.Result help = run("up", "--help");
        assertEquals(0, help.exit());
        for (String flag : new String[]{"--data", "--domain", "--ldap-port", "--ldaps-port", "--admin-password"}) {
            assertTrue(help.out().contains(flag), "help lacks " + flag + ":\n" + help.out());
        }
    }

    @Test
    void badDomainNameExitsTwoWithTheReason() {
        Cli.Result bad = run("up", "--domain", "contoso");
        assertEquals(2, bad.exit(), bad.err());
        assertTrue(bad.err().contains("at least two labels"), bad.err());
    }

    @Test
    void weakAdministratorPasswordExitsTwoBeforeAnythingStarts() {
        Cli.Result weak = run("up", "--admin-password", "password");
        assertEquals(2, weak.exit(), weak.err());
        assertTrue(weak.err().contains("complexity"), weak.err());
    }

    @Test
    void unknownCommandExitsTwo() {
        assertEquals(2, run("frobnicate").exit());
    }

    @Test
    void theCommandLineOfOneVerbReadsOnlyThatVerb() {
        assertEquals(Set.of("template"), PkiLab.commandLine("template").getSubcommands().keySet(),
                "pkilab template ... should not read the other verbs' options");
        assertTrue(PkiLab.commandLine("ca").getSubcommands().get("ca").getSubcommands().get("setreg").isUnmatchedOptionsArePositionalParams(),
                "pkilab ca setreg CA\\InterfaceFlags -IF_... takes the change that starts with '-' as the change");
        assertEquals(PkiLab.commandLine().getSubcommands().keySet(), PkiLab.commandLine("frobnicate").getSubcommands().keySet(),
                "an unknown verb gets the whole command line, to list the verbs");
        assertEquals(PkiLab.commandLine().getSubcommands().keySet(), PkiLab.commandLine("help").getSubcommands().keySet(),
                "pkilab help VERB needs every verb");
    }

    @Test
    void theCommandLineOfOneVerbAnswersAsTheWholeOne() {
        for (List<String> args : List.<List<String>>of(List.of("template", "--help"), List.of("template", "list", "--bogus"), List.of("up", "--help"),
                List.of("ca", "--help"), List.of("benchmark", "--help"), List.of("frobnicate"), List.of("help", "ca"), List.of("--help"),
                List.of("--version"), List.of())) {
            String whole = answer(PkiLab.commandLine(), args);
            String one = answer(PkiLab.commandLine(args.isEmpty() ? null : args.get(0)), args);
            assertEquals(whole, one, "pkilab " + String.join(" ", args) + " answers differently with only its verb read");
        }
    }

    @Test
    void anAdministrationVerbLeavesTheNativeProviderUnloaded() throws Exception {
        ExternalTool.Result scenarios = pkilab(List.of("-Xlog:class+load=info"), "scenarios");
        assertEquals(0, scenarios.exit(), scenarios.toString());
        assertTrue(scenarios.out().contains("configmgr"), "pkilab scenarios lists the guide:\n" + scenarios);
        assertFalse(scenarios.toString().contains("com.amazon.corretto.crypto.provider.Loader"),
                "pkilab scenarios starts no lab and makes no signature: loading the native provider only delays it");
    }

    @Test
    void helpForAVerbThatStartsHostsLeavesTheNativeProviderUnloaded() throws Exception {
        for (List<String> args : List.of(List.of("run", "--help"), List.of("up", "-h"), List.of("benchmark", "--version"))) {
            ExternalTool.Result help = pkilab(List.of("-Xlog:class+load=info"), args.toArray(String[]::new));
            assertEquals(0, help.exit(), help.toString());
            assertFalse(help.toString().contains("com.amazon.corretto.crypto.provider.Loader"),
                    "pkilab " + String.join(" ", args) + " prints and exits: it has nothing to sign");
        }
    }

    @Test
    void noVerbPrintsTheUsageWithEveryVerb() throws Exception {
        ExternalTool.Result bare = pkilab(List.of());
        assertEquals(0, bare.exit(), "pkilab with no verb:\n" + bare);
        String out = bare.toString();
        assertTrue(out.contains("Usage: pkilab") && out.contains("template") && out.contains("benchmark"), out);
    }

    @Test
    void aChoiceOfCryptographyThatNamesNoneExitsTwoForEveryVerb() throws Exception {
        for (String verb : List.of("scenarios", "run")) {
            ExternalTool.Result refused = pkilab(List.of("-Dpkilab.crypto=fast"), verb, "--help");
            assertEquals(2, refused.exit(), "pkilab " + verb + " with pkilab.crypto=fast:\n" + refused);
            assertTrue(refused.err().contains("pkilab.crypto=fast names no choice of cryptography"), refused.toString());
        }
    }

    /** {@code pkilab args} in a JVM of its own started with {@code jvmOptions}, as the launcher starts one. */
    private static ExternalTool.Result pkilab(List<String> jvmOptions, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.pkilab.cli.PkiLab"));
        command.addAll(List.of(args));
        return ExternalTool.run(null, Map.of(), null, command.toArray(String[]::new));
    }

    private static String answer(CommandLine cli, List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args.toArray(String[]::new));
        return "exit " + exit + "\n" + out + "\n" + err;
    }
}
