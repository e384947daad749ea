package org.pkilab.directory.model;

import org.junit.jupiter.api.Test;
import org.pkilab.pki.EcKeys;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LogonTokenTest {

    private static final SecurityIdentifier DOMAIN = SecurityIdentifier.parse("S-1-5-21-1004336348-1177238915-682003330");

    private static LogonToken pc01() {
        return new LogonToken("CONTOSO\\PC01$", "CN=PC01,CN=Computers,DC=contoso,DC=com", DOMAIN.withRid(1105),
                List.of(new LogonToken.TokenGroup(DOMAIN.withRid(515), "CONTOSO\\Domain Computers"),
                        new LogonToken.TokenGroup(SecurityIdentifier.EVERYONE, "Everyone")),
                Instant.parse("2026-11-25T08:00:00Z"), "dc01.contoso.com");
    }

    @Test
    void aNewLabsEcKeySignsAndAnOlderLabsRsaKeyStillDoes() throws Exception {
        KeyPair ec = EcKeys.generate("secp256r1");
        KeyPairGenerator rsaGenerator = KeyPairGenerator.getInstance("RSA");
        rsaGenerator.initialize(2048);
        KeyPair rsa = rsaGenerator.generateKeyPair();

        String byEc = pc01().encode(ec.getPrivate());
        String byRsa = pc01().encode(rsa.getPrivate());
        assertEquals(pc01(), LogonToken.decode(byEc, ec.getPublic()));
        assertEquals(pc01(), LogonToken.decode(byRsa, rsa.getPublic()));
        // a token verifies only against the key of the DC that signed it, whatever the key types
        assertThrows(IllegalArgumentException.class, () -> LogonToken.decode(byEc, rsa.getPublic()));
        assertThrows(IllegalArgumentException.class, () -> LogonToken.decode(byRsa, ec.getPublic()));
        assertThrows(IllegalArgumentException.class, () -> LogonToken.decode(byEc, EcKeys.generate("secp256r1").getPublic()));
    }

    @Test
    void itsHolderReadsItWithoutTheKey() {
        KeyPair ec = EcKeys.generate("secp256r1");
        assertEquals(pc01(), LogonToken.read(pc01().encode(ec.getPrivate())));
        IllegalArgumentException notOne = assertThrows(IllegalArgumentException.class, () -> LogonToken.read("bm90IGEgdG9rZW4"));
        assertEquals("not a PKI Lab logon token", notOne.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LogonToken.read("%%%"), "not base64url");
    }
}
