package org.pkilab.pki;

import org.bouncycastle.jce.provider.BouncyCastleProvider;

import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.HashMap;
import java.util.Map;

/**
 * Elliptic-curve keys and ECDSA signatures, for templates whose Cryptography tab asks for
 * {@code ECDSA_P256} (or P-384, P-521). They go through the native provider of {@link LabCrypto} (about 50,000 P-256
 * signatures a second on one core), or, when the lab runs on the JDK's providers, through Bouncy Castle's: on Java 17
 * the JDK's own EC code is five to seven times slower than Bouncy Castle's (P-256 on this machine: 0.5 ms to make a
 * key, 0.5 ms to sign, 1 ms to verify, against about 0.1 ms each), and mass autoenrollment does all three for every
 * computer. Bouncy Castle's provider is made on first use and never registered: registering it costs half a second
 * at start-up, which every command that never touches an EC key would pay.
 *
 * <pre>{@code
 * KeyPair key = EcKeys.generate("secp256r1");
 * Signature signer = EcKeys.signature("SHA256withECDSA");
 * }</pre>
 */
public final class EcKeys {

    private static final ThreadLocal<Map<String, KeyPairGenerator>> GENERATORS = ThreadLocal.withInitial(HashMap::new);

    private EcKeys() {
    }

    /** Made when an EC key is first needed. */
    private static final class Holder {
        static final Provider PROVIDER = LabCrypto.isNative() ? LabCrypto.nativeProvider() : new BouncyCastleProvider();
    }

    /** The provider EC keys and ECDSA signatures come from. */
    public static Provider provider() {
        return Holder.PROVIDER;
    }

    /** A new key pair on the named curve ({@code secp256r1}, {@code secp384r1}, {@code secp521r1}). */
    public static KeyPair generate(String curve) {
        KeyPairGenerator generator = GENERATORS.get().computeIfAbsent(curve, name -> {
            try {
                KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider());
                g.initialize(new ECGenParameterSpec(name));
                return g;
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException("no EC key pair generator for curve " + name + ": " + e.getMessage(), e);
            }
        });
        return generator.generateKeyPair();
    }

    /**
     * The same key as {@link #provider()}'s own key object, when it is an EC key of another provider (one read from a
     * PKCS #12 file or a certificate by the JDK); any other key as it is. A provider signs and verifies with a
     * foreign EC key by converting it anew on every call; Bouncy Castle throws away the tables it keeps on the
     * generator: a P-256 signature took 0.4 to 0.75 ms instead of 0.15 on this machine. Convert a key that signs or
     * verifies many times once, where it is loaded.
     */
    public static PrivateKey own(PrivateKey key) {
        if (!foreignEc(key)) {
            return key;
        }
        try {
            return KeyFactory.getInstance("EC", provider()).generatePrivate(new PKCS8EncodedKeySpec(key.getEncoded()));
        } catch (GeneralSecurityException e) {
            // a key the provider cannot read stays the JDK's, which still signs, only slower
            return key;
        }
    }

    /** The public half of {@link #own(PrivateKey)}: a foreign EC public key as the provider's own. */
    public static PublicKey own(PublicKey key) {
        if (!foreignEc(key)) {
            return key;
        }
        try {
            return KeyFactory.getInstance("EC", provider()).generatePublic(new X509EncodedKeySpec(key.getEncoded()));
        } catch (GeneralSecurityException e) {
            return key;
        }
    }

    private static boolean foreignEc(Key key) {
        return key instanceof java.security.interfaces.ECKey && !vendor(key.getClass()).equals(vendor(provider().getClass()));
    }

    /** "org.bouncycastle", "com.amazon": whose classes these are. */
    private static String vendor(Class<?> type) {
        String[] parts = type.getPackageName().split("\\.");
        return parts.length < 2 ? type.getPackageName() : parts[0] + "." + parts[1];
    }

    /** A new ECDSA signature object ({@code SHA256withECDSA} ...), for one thread's use. */
    public static Signature signature(String algorithm) {
        try {
            return Signature.getInstance(algorithm, provider());
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(algorithm + " is not an ECDSA signature algorithm: " + e.getMessage(), e);
        }
    }
}
