package org.pkilab.scenario;

import org.junit.jupiter.api.Test;
import org.pkilab.cli.Cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A revocation is narrated with the reason's name as 'pkilab ca revoke --help' and 'ca revoked' give it. */
class RevocationNarrationTest {

    @Test
    void theRevokeStepNamesItsReasonAsTheCaVerbsDo() {
        Cli.Result run = Cli.pkilab("run", "lesson-revoked-client-certificate");
        assertEquals(0, run.exit(), run.toString());
        assertTrue(run.out().contains(" (keyCompromise); new CRL at "), run.out());
    }
}
