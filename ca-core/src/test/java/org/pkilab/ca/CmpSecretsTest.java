package org.pkilab.ca;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CA's CMP shared secrets: kept across a restart, one per account, and a damaged file stops the CA naming it. */
class CmpSecretsTest {

    private static final String IIS01 = "CN=IIS01,CN=Computers,DC=contoso,DC=com";

    @Test
    void aSecretIssuedIsThereWhenTheCaStartsAgainAndANewOneReplacesIt(@TempDir Path data) throws IOException {
        CmpSecrets.Secret first = CmpSecrets.load(data, false).issue("CONTOSO\\IIS01$", IIS01, "S-1-5-21-1-2-3-1105", "CONTOSO\\Administrator", Instant.EPOCH);
        CmpSecrets again = CmpSecrets.load(data, false);
        assertEquals(first, again.byReference(first.reference()).orElseThrow(), "the secret of IIS01$ in " + CmpSecrets.FILE + " after a restart");

        CmpSecrets.Secret second = again.issue("CONTOSO\\IIS01$", IIS01, "S-1-5-21-1-2-3-1105", "CONTOSO\\Administrator", Instant.EPOCH);
        assertNotEquals(first.reference(), second.reference());
        CmpSecrets after = CmpSecrets.load(data, false);
        assertFalse(after.byReference(first.reference()).isPresent(), "IIS01's earlier secret is replaced");
        assertTrue(after.byReference(second.reference()).isPresent());
        assertFalse(Files.readString(data.resolve(CmpSecrets.FILE)).contains(first.secret()), "the replaced secret is not kept");
    }

    @Test
    void aTemporaryCaKeepsItsSecretsInMemoryOnly(@TempDir Path data) throws IOException {
        CmpSecrets temporary = CmpSecrets.load(data, true);
        CmpSecrets.Secret secret = temporary.issue("CONTOSO\\IIS01$", IIS01, "S-1-5-21-1-2-3-1105", "CONTOSO\\Administrator", Instant.EPOCH);
        assertTrue(temporary.byReference(secret.reference()).isPresent());
        assertFalse(Files.exists(data.resolve(CmpSecrets.FILE)));
    }

    @Test
    void aDamagedFileStopsTheCaNamingIt(@TempDir Path data) throws IOException {
        Files.writeString(data.resolve(CmpSecrets.FILE), "{\"secrets\": [{\"reference\": 7}]}");
        IOException damaged = assertThrows(IOException.class, () -> CmpSecrets.load(data, false));
        assertTrue(damaged.getMessage().contains(CmpSecrets.FILE) && damaged.getMessage().contains("pkilab cmp secret"), damaged.getMessage());
    }
}
