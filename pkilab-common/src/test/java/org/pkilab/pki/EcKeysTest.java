package org.pkilab.pki;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EcKeysTest {

    private static final byte[] TOKEN = "account: CONTOSO\\PC01$\n".getBytes(StandardCharsets.UTF_8);

    @Test
    void aJdkEcKeyBecomesTheProvidersOwnAndStillSignsAndVerifiesWithTheJdk() throws Exception {
        KeyPairGenerator jdk = KeyPairGenerator.getInstance("EC", "SunEC");
        jdk.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = jdk.generateKeyPair();

        PrivateKey ownPrivate = EcKeys.own(pair.getPrivate());
        PublicKey ownPublic = EcKeys.own(pair.getPublic());
        // the class of the keys EcKeys' provider makes: ACCP's with the native provider, Bouncy Castle's on the JDK's
        KeyPair providers = EcKeys.generate("secp256r1");
        assertEquals(providers.getPrivate().getClass(), ownPrivate.getClass(), EcKeys.provider().getName() + "'s own private key");
        assertEquals(providers.getPublic().getClass(), ownPublic.getClass(), EcKeys.provider().getName() + "'s own public key");
        assertArrayEquals(pair.getPublic().getEncoded(), ownPublic.getEncoded(), "the same public key");

        Signature signer = EcKeys.signature("SHA256withECDSA");
        signer.initSign(ownPrivate);
        signer.update(TOKEN);
        byte[] signature = signer.sign();
        Signature jdkVerifier = Signature.getInstance("SHA256withECDSA", "SunEC");
        jdkVerifier.initVerify(pair.getPublic());
        jdkVerifier.update(TOKEN);
        assertTrue(jdkVerifier.verify(signature), "the JDK verifies what the converted private key signed");

        Signature jdkSigner = Signature.getInstance("SHA256withECDSA", "SunEC");
        jdkSigner.initSign(pair.getPrivate());
        jdkSigner.update(TOKEN);
        Signature verifier = EcKeys.signature("SHA256withECDSA");
        verifier.initVerify(ownPublic);
        verifier.update(TOKEN);
        assertTrue(verifier.verify(jdkSigner.sign()), "the converted public key verifies what the JDK signed");
    }

    @Test
    void keysThatAreNotForeignEcKeysAreLeftAsTheyAre() throws Exception {
        KeyPair providers = EcKeys.generate("secp256r1");
        assertSame(providers.getPrivate(), EcKeys.own(providers.getPrivate()));
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        KeyPair older = rsa.generateKeyPair();
        assertSame(older.getPublic(), EcKeys.own(older.getPublic()), "an older lab's RSA DC key");
    }
}
