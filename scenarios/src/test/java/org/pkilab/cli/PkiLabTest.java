package org.pkilab.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PkiLabTest {

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        CommandLine cli = PkiLab.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void upExplainsItsFlags() {
        Run help = run("up", "--help");
        assertEquals(0, help.exit);
        for (String flag : new String[]{"--data", "--domain", "--ldap-port", "--ldaps-port", "--admin-password"}) {
            assertTrue(help.out.contains(flag), "help lacks " + flag + ":\n" + help.out);
        }
    }

    @Test
    void badDomainNameExitsTwoWithTheReason() {
        Run bad = run("up", "--domain", "contoso");
        assertEquals(2, bad.exit, bad.err);
        assertTrue(bad.err.contains("at least two labels"), bad.err);
    }

    @Test
    void weakAdministratorPasswordExitsTwoBeforeAnythingStarts() {
        Run weak = run("up", "--admin-password", "password");
        assertEquals(2, weak.exit, weak.err);
        assertTrue(weak.err.contains("complexity"), weak.err);
    }

    @Test
    void unknownCommandExitsTwo() {
        assertEquals(2, run("frobnicate").exit);
    }
}
