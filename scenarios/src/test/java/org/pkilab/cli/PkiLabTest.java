package org.pkilab.cli;

import org.junit.jupiter.api.Test;


import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
