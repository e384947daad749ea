package org.pkilab.pki;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Signature;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs twice in the build: with the native provider (the default) and with PKILAB_CRYPTO=jdk (surefire's jdk-providers run). */
class LabCryptoTest {

    private static final byte[] TBS = "CN=iis01.contoso.com, O=Contoso".getBytes(StandardCharsets.UTF_8);
    private static final boolean NATIVE_PLATFORM = System.getProperty("os.name").equals("Linux")
            && (System.getProperty("os.arch").equals("amd64") || System.getProperty("os.arch").equals("aarch64"));

    @Test
    void theChoiceMadeIsWhatSignsTheLabsRsaAndEcdsa() {
        LabCrypto.State state = LabCrypto.install();
        if (LabCrypto.choice() == LabCrypto.Choice.JDK) {
            assertFalse(state.isNative(), LabCrypto.describe());
            assertEquals("SunRsaSign", LabCrypto.providerOf("Signature", "SHA256withRSA"));
            assertEquals("BC", LabCrypto.providerOf("Signature", "SHA256withECDSA"), "ECDSA through Bouncy Castle, as before");
            assertTrue(LabCrypto.describe().matches(".*(pkilab.crypto|PKILAB_CRYPTO)=jdk.*"), LabCrypto.describe());
        } else if (NATIVE_PLATFORM) {
            assertTrue(state.isNative(), "ACCP is published for this platform and must load: " + LabCrypto.describe());
            assertEquals("AmazonCorrettoCryptoProvider", LabCrypto.providerOf("Signature", "SHA256withRSA"));
            assertEquals("AmazonCorrettoCryptoProvider", LabCrypto.providerOf("Signature", "SHA256withECDSA"));
            assertEquals("AmazonCorrettoCryptoProvider", LabCrypto.providerOf("KeyAgreement", "ECDH"), "TLS's ECDHE too");
            assertEquals("SunJSSE", LabCrypto.providerOf("SSLContext", "TLS"), "the TLS protocol stays the JDK's");
        }
        assertTrue(LabCrypto.servedBy().contains("RSA-2048 signing (SHA256withRSA)   " + LabCrypto.providerOf("Signature", "SHA256withRSA")),
                LabCrypto.servedBy());
    }

    @Test
    void rsaSignaturesAreTheSameBytesWhicheverProviderMadeThem() throws Exception {
        KeyPair key = RsaKeys.generate(2048);
        byte[] served = sign(Signature.getInstance("SHA256withRSA"), key);
        byte[] jdk = sign(Signature.getInstance("SHA256withRSA", "SunRsaSign"), key);
        assertArrayEquals(jdk, served, "PKCS #1 v1.5 is deterministic: the native provider's signature is the JDK's");
        byte[] underJdk = LabCrypto.withJdkProviders(() -> {
            assertEquals("SunRsaSign", LabCrypto.providerOf("Signature", "SHA256withRSA"));
            assertEquals("SunEC", LabCrypto.providerOf("KeyAgreement", "XDH"), "X25519 the JDK's too");
            return sign(Signature.getInstance("SHA256withRSA"), key);
        });
        assertArrayEquals(jdk, underJdk);
        assertEquals(LabCrypto.isNative() ? "AmazonCorrettoCryptoProvider" : "SunRsaSign",
                LabCrypto.providerOf("Signature", "SHA256withRSA"), "the native provider is first again afterwards");
    }

    @Test
    void anRsaKeyHasExactlyTheSizeAskedAsWindowsProvidersMakeIt() {
        // AWS-LC rounds a size that is no multiple of 128 up (2040 -> 2048): the lab's hosts must still make what a
        // template or 'host request --key-size' asks, and the CA must see that size to refuse it (CERTSRV_E_KEY_LENGTH)
        for (int bits : new int[]{1000, 1024, 2040, 2048, 2056}) {
            java.security.interfaces.RSAPublicKey key = (java.security.interfaces.RSAPublicKey) RsaKeys.generate(bits).getPublic();
            assertEquals(bits, key.getModulus().bitLength(), "a " + bits + "-bit RSA key by " + LabCrypto.describe());
        }
    }

    @Test
    void anEcdsaSignatureOfOneProviderVerifiesWithTheOther() throws Exception {
        KeyPair key = EcKeys.generate("secp256r1");
        Signature signer = EcKeys.signature("SHA256withECDSA");
        byte[] signature = sign(signer, key);
        Signature jdk = Signature.getInstance("SHA256withECDSA", "SunEC");
        jdk.initVerify(key.getPublic());
        jdk.update(TBS);
        assertTrue(jdk.verify(signature), EcKeys.provider().getName() + "'s ECDSA signature, checked by the JDK");
    }

    @Test
    void aChoiceThatIsNeitherIsRefusedByName() {
        String before = System.getProperty(LabCrypto.PROPERTY);
        System.setProperty(LabCrypto.PROPERTY, "openssl");
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, LabCrypto::choice);
            assertTrue(e.getMessage().startsWith("pkilab.crypto=openssl names no choice"), e.getMessage());
            assertTrue(e.getMessage().contains("native") && e.getMessage().contains("jdk"), e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty(LabCrypto.PROPERTY);
            } else {
                System.setProperty(LabCrypto.PROPERTY, before);
            }
        }
    }

    private static byte[] sign(Signature signer, KeyPair key) throws Exception {
        signer.initSign(key.getPrivate());
        signer.update(TBS);
        return signer.sign();
    }
}
