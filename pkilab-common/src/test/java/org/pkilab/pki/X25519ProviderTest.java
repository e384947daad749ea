package org.pkilab.pki;

import org.junit.jupiter.api.Test;

import javax.crypto.KeyAgreement;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.NamedParameterSpec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class X25519ProviderTest {

    @Test
    void tlsKeyAgreementOverX25519IsNotLeftToTheJdksSlowerCodeWhenTheNativeProviderServes() {
        LabCrypto.install();
        String expected = LabCrypto.isNative() ? X25519Provider.NAME : "SunEC";
        assertEquals(expected, LabCrypto.providerOf("KeyAgreement", "XDH"),
                "XDH (x25519 in every TLS handshake) with " + LabCrypto.describe());
        assertEquals(expected, LabCrypto.providerOf("KeyPairGenerator", "XDH"), "XDH key pairs with " + LabCrypto.describe());
    }

    @Test
    void bouncyCastlesX25519AgreesOnTheSameSecretAsTheJdksInBothDirections() throws Exception {
        X25519Provider bouncyCastle = new X25519Provider();
        KeyPairGenerator ours = KeyPairGenerator.getInstance("XDH", bouncyCastle);
        ours.initialize(new NamedParameterSpec("X25519"));
        KeyPairGenerator jdk = KeyPairGenerator.getInstance("XDH", "SunEC");
        jdk.initialize(NamedParameterSpec.X25519);
        KeyPair a = ours.generateKeyPair();
        KeyPair b = jdk.generateKeyPair();

        KeyAgreement ourSide = KeyAgreement.getInstance("XDH", bouncyCastle);
        ourSide.init(a.getPrivate());
        // the peer's key as JSSE hands it over: the JDK's object, rebuilt from the u-coordinate on the wire
        ourSide.doPhase(b.getPublic(), true);
        KeyAgreement jdkSide = KeyAgreement.getInstance("XDH", "SunEC");
        jdkSide.init(b.getPrivate());
        jdkSide.doPhase(a.getPublic(), true);
        assertArrayEquals(jdkSide.generateSecret(), ourSide.generateSecret(), "the shared secret of a Bouncy Castle and a JDK key");
        assertEquals("X25519", ((NamedParameterSpec) ((java.security.interfaces.XECPublicKey) a.getPublic()).getParams()).getName(),
                "the public key JSSE encodes for the wire");
    }
}
