package org.pkilab.ca;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CA's ACME accounts and external account binding keys as a CA started again finds them: every key issued, every
 * account made, a used key still used, and a file that is not the CA's refused with its name.
 */
class AcmeAccountsTest {

    private static final Instant NOW = Instant.parse("2026-12-07T08:00:00Z");
    private static final String ALICE_DN = "CN=alice,CN=Users,DC=contoso,DC=com";
    private static final String ALICE_SID = "S-1-5-21-1-2-3-1104";

    @Test
    void keysAndAccountsSurviveARestartAndAUsedKeyStaysUsed(@TempDir Path folder) throws IOException {
        AcmeAccounts accounts = AcmeAccounts.load(folder);
        AcmeAccounts.ExternalAccountKey used = accounts.issue("CONTOSO\\alice", ALICE_DN, ALICE_SID, "CONTOSO\\Administrator", NOW);
        AcmeAccounts.ExternalAccountKey unused = accounts.issue("CONTOSO\\bob", "CN=bob,CN=Users,DC=contoso,DC=com", "S-1-5-21-1-2-3-1105", "CONTOSO\\Administrator", NOW);
        AcmeAccounts.Account alice = accounts.create("{\"kty\":\"EC\"}", "thumb-1", used.keyId(), List.of("mailto:alice@contoso.com"), NOW);
        accounts.update(alice.withKey("{\"kty\":\"RSA\"}", "thumb-2"));

        AcmeAccounts again = AcmeAccounts.load(folder);
        assertEquals(alice.id(), again.key(used.keyId()).orElseThrow().boundTo(), "the key alice's account was made with stays used");
        assertEquals("CONTOSO\\bob", again.key(unused.keyId()).orElseThrow().account());
        assertArrayEquals(unused.hmacKey(), again.key(unused.keyId()).orElseThrow().hmacKey());
        assertEquals("CONTOSO\\alice", again.byThumbprint("thumb-2").orElseThrow().directoryAccount(), "the account's new key");
        assertEquals(ALICE_SID, again.byThumbprint("thumb-2").orElseThrow().directorySid(), "bound to alice's SID, not her name");
        assertEquals(ALICE_DN, again.byThumbprint("thumb-2").orElseThrow().directoryDn());
        assertTrue(again.byThumbprint("thumb-1").isEmpty(), "the old key is no account's");
        assertThrows(IllegalStateException.class, () -> again.create("{}", "thumb-3", used.keyId(), List.of(), NOW),
                "a used key makes no second account");
        AcmeAccounts.Account bob = again.create("{}", "thumb-3", unused.keyId(), List.of(), NOW);
        assertTrue(!bob.id().equals(alice.id()), "a new account after a restart gets a new id: " + bob.id());
    }

    @Test
    void noKeyIdOrHmacKeyBeginsWithADashWhichAcmeClientsWouldTakeForAnOption(@TempDir Path folder) throws IOException {
        AcmeAccounts accounts = AcmeAccounts.load(folder);
        // one in 64 base64url values begins with '-': 300 keys would hold about nine such values
        for (int i = 0; i < 300; i++) {
            AcmeAccounts.ExternalAccountKey key = accounts.issue("CONTOSO\\alice", ALICE_DN, ALICE_SID, "CONTOSO\\Administrator", NOW);
            assertFalse(key.keyId().startsWith("-") || key.hmacKeyText().startsWith("-"),
                    "certbot --eab-kid " + key.keyId() + " --eab-hmac-key " + key.hmacKeyText() + " takes a value for an option");
        }
    }

    @Test
    void aFileThatIsNotTheCasAccountsIsRefusedByName(@TempDir Path folder) throws IOException {
        Files.writeString(folder.resolve(AcmeAccounts.FILE), "{\"externalAccountKeys\": [{\"keyId\": \"k\", \"hmacKey\": \"!!\"}]}");
        IOException refused = assertThrows(IOException.class, () -> AcmeAccounts.load(folder));
        assertTrue(refused.getMessage().contains(AcmeAccounts.FILE) && refused.getMessage().contains("backup"), refused.getMessage());
    }

    @Test
    void aFileFromBeforeSidsWereKeptLoadsWithItsKeysAndAccountsUnbound(@TempDir Path folder) throws IOException {
        Files.writeString(folder.resolve(AcmeAccounts.FILE), """
                {"nextAccount": 2,
                 "externalAccountKeys": [{"keyId": "k1", "hmacKey": "AAAA", "account": "CONTOSO\\\\alice", "issuedBy": "CONTOSO\\\\Administrator",
                                          "issuedAt": "2026-12-01T00:00:00Z", "boundTo": "1"}],
                 "accounts": [{"id": "1", "jwk": "{}", "thumbprint": "t1", "status": "valid", "keyId": "k1",
                               "directoryAccount": "CONTOSO\\\\alice", "contact": [], "createdAt": "2026-12-01T00:00:00Z"}]}
                """);
        AcmeAccounts accounts = AcmeAccounts.load(folder);
        AcmeAccounts.Account alice = accounts.account("1").orElseThrow();
        assertEquals("CONTOSO\\alice", alice.directoryAccount());
        assertEquals(null, alice.directorySid(), "no SID is made up from a name: the adapter refuses such an account when used");
        assertEquals(null, accounts.key("k1").orElseThrow().accountSid());
    }

    @Test
    void oneKeyIsOneAccountWhateverOrderTheRequestsComeIn(@TempDir Path folder) throws IOException {
        AcmeAccounts accounts = AcmeAccounts.load(folder);
        AcmeAccounts.ExternalAccountKey first = accounts.issue("CONTOSO\\alice", ALICE_DN, ALICE_SID, "CONTOSO\\Administrator", NOW);
        AcmeAccounts.ExternalAccountKey second = accounts.issue("CONTOSO\\alice", ALICE_DN, ALICE_SID, "CONTOSO\\Administrator", NOW);
        AcmeAccounts.Account alice = accounts.create("{}", "thumb-1", first.keyId(), List.of(), NOW);
        AcmeAccounts.KeyInUse twice = assertThrows(AcmeAccounts.KeyInUse.class,
                () -> accounts.create("{}", "thumb-1", second.keyId(), List.of(), NOW), "a second account with alice's key");
        assertEquals(alice.id(), twice.holder.id());
        assertEquals(null, accounts.key(second.keyId()).orElseThrow().boundTo(), "the refused request used up no external account key");
        AcmeAccounts.Account other = accounts.create("{}", "thumb-2", second.keyId(), List.of(), NOW);
        assertThrows(AcmeAccounts.KeyInUse.class, () -> accounts.update(other.withKey("{}", "thumb-1")),
                "a key rollover to alice's key");
        assertEquals("thumb-2", accounts.account(other.id()).orElseThrow().thumbprint(), "the refused rollover changed nothing");
    }
}
