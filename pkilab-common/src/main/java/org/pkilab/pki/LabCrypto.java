package org.pkilab.pki;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;

import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.Security;
import java.util.Locale;

/**
 * Where the lab's cryptography runs. Every RSA and ECDSA signature the lab makes (the CA's certificates, CRLs and OCSP
 * answers, every TLS handshake, every computer's request) is by default computed by the Amazon Corretto Crypto
 * Provider (ACCP), a JCA provider over AWS-LC, OpenSSL's lineage of native code: on the 2-core machine of
 * docs/benchmarks.md it signs RSA-2048 about 1.7 times as fast as the JDK and P-256 about 35 times as fast. It is
 * installed as the JVM's first provider, so the JDK's own TLS (JSSE), PKCS #12 and Bouncy Castle's JCA builders use it
 * without being told; what it does not offer (PKCS #12 key stores, the TLS protocol itself, some algorithm names
 * Bouncy Castle uses) still comes from the JDK's providers behind it, except X25519, the TLS key agreement it lacks,
 * which {@link X25519Provider} takes from Bouncy Castle's faster Java right behind it.
 *
 * <p>Choose with the system property {@code pkilab.crypto} (or the environment variable {@code PKILAB_CRYPTO}, which
 * reaches the processes the lab starts): {@code native} (the default) or {@code jdk}, the JDK's providers alone, with
 * Bouncy Castle for ECDSA as before. Where the native library cannot load (a platform ACCP is not published for, a C
 * library too old), the lab falls back to {@code jdk} and says why in {@link #describe()}: the certificates, CRLs, PFX
 * files and TLS are the same either way, only slower. {@link #install()} is called by every entry point that starts
 * hosts (the {@code pkilab} verbs {@code run}, {@code up} and {@code benchmark}, the lab, the DC, the CA, the key makers)
 * and does its work once; an administration verb, one LDAP or HTTPS conversation, does not load it.
 *
 * <pre>{@code
 * LabCrypto.install();
 * LabCrypto.describe();                          // "Amazon Corretto Crypto Provider 2.5.0 (AWS-LC v1.47.0), first provider"
 * LabCrypto.providerOf("Signature", "SHA256withRSA"); // "AmazonCorrettoCryptoProvider"
 * }</pre>
 */
public final class LabCrypto {

    /** The system property that chooses, and its environment variable. */
    public static final String PROPERTY = "pkilab.crypto";
    public static final String ENVIRONMENT = "PKILAB_CRYPTO";

    /** What the lab's cryptography was asked to be. */
    public enum Choice {
        /** The native provider first, the JDK's behind it. */
        NATIVE,
        /** The JDK's providers alone. */
        JDK
    }

    private static volatile State state;

    /** What {@link #install()} did: the choice, the provider put first (or null) and, if it could not be, why. */
    public record State(Choice asked, Provider nativeProvider, String whyNot) {
        /** Whether the native provider serves the lab. */
        public boolean isNative() {
            return nativeProvider != null;
        }
    }

    private LabCrypto() {
    }

    /**
     * Puts the native provider first among the JVM's providers, unless {@code pkilab.crypto=jdk} or it cannot load.
     * Idempotent and cheap after the first call.
     *
     * @throws IllegalArgumentException when {@code pkilab.crypto} (or {@code PKILAB_CRYPTO}) names neither choice
     */
    public static State install() {
        State s = state;
        if (s != null) {
            return s;
        }
        synchronized (LabCrypto.class) {
            if (state == null) {
                state = load(choice());
                if (state.asked() == Choice.NATIVE && !state.isNative()) {
                    // said once per JVM, where run and up show it: the lab still works, at about half the signing speed
                    org.slf4j.LoggerFactory.getLogger(LabCrypto.class).warn("the lab signs with the JDK's providers, not the native one ({});"
                            + " RSA signing is about half as fast. {}=jdk chooses the JDK's providers without this warning", state.whyNot(), ENVIRONMENT);
                }
            }
            return state;
        }
    }

    /** The choice the property or the environment makes, {@link Choice#NATIVE} when neither is set. */
    public static Choice choice() {
        String setting = setting();
        if (setting == null) {
            return Choice.NATIVE;
        }
        return switch (setting.substring(setting.indexOf('=') + 1).toLowerCase(Locale.ROOT)) {
            case "native", "accp" -> Choice.NATIVE;
            case "jdk", "java" -> Choice.JDK;
            default -> throw new IllegalArgumentException(setting
                    + " names no choice of cryptography: use native (the Amazon Corretto Crypto Provider, the default)"
                    + " or jdk (the JDK's own providers)");
        };
    }

    /** What makes the choice, "pkilab.crypto=jdk" or "PKILAB_CRYPTO=jdk" (the property first); null when neither is set. */
    private static String setting() {
        String value = System.getProperty(PROPERTY);
        if (value != null && !value.isBlank()) {
            return PROPERTY + "=" + value.trim();
        }
        value = System.getenv(ENVIRONMENT);
        return value == null || value.isBlank() ? null : ENVIRONMENT + "=" + value.trim();
    }

    private static State load(Choice asked) {
        if (asked == Choice.JDK) {
            return new State(asked, null, setting());
        }
        Provider provider;
        try {
            AmazonCorrettoCryptoProvider accp = AmazonCorrettoCryptoProvider.INSTANCE;
            Throwable error = accp.getLoadingError();
            if (error != null) {
                return new State(asked, null, "the native provider did not load: " + error);
            }
            accp.assertHealthy();
            provider = accp;
        } catch (LinkageError | RuntimeException e) {
            // a platform without its native library, or a library that failed its self-tests: the JDK still signs
            return new State(asked, null, "the native provider did not load: " + e);
        }
        if (Security.getProvider(provider.getName()) == null) {
            Security.insertProviderAt(provider, 1);
        }
        // the native provider has no X25519, which every TLS handshake of the lab's computers uses
        if (Security.getProvider(X25519Provider.NAME) == null) {
            Security.insertProviderAt(new X25519Provider(), 2);
        }
        return new State(asked, provider, null);
    }

    /** The provider ahead of the JDK's, or null when the JDK's serve the lab. */
    public static Provider nativeProvider() {
        return install().nativeProvider();
    }

    /** Whether the native provider serves the lab. */
    public static boolean isNative() {
        return install().isNative();
    }

    /**
     * Runs {@code work} with the native provider (and {@link X25519Provider}) taken out of the JVM's list, then puts them
     * back first: for a benchmark that measures the JDK's providers beside the native one in the same run. Every
     * {@code getInstance} of the process sees the JDK's providers meanwhile, so run nothing else of the lab's at the
     * same time; {@link EcKeys} keeps the provider it chose at its first use, so ECDSA through it stays native. With
     * the JDK's providers already serving, it only runs {@code work}. Calls are serialized.
     */
    public static <T> T withJdkProviders(java.util.concurrent.Callable<T> work) throws Exception {
        Provider provider = nativeProvider();
        if (provider == null) {
            return work.call();
        }
        synchronized (LabCrypto.class) {
            Provider x25519 = Security.getProvider(X25519Provider.NAME);
            try {
                Security.removeProvider(provider.getName());
                if (x25519 != null) {
                    Security.removeProvider(X25519Provider.NAME);
                }
                return work.call();
            } finally {
                if (Security.getProvider(provider.getName()) == null) {
                    Security.insertProviderAt(provider, 1);
                }
                if (x25519 != null && Security.getProvider(X25519Provider.NAME) == null) {
                    Security.insertProviderAt(x25519, 2);
                }
            }
        }
    }

    /**
     * One line naming what serves the lab: "Amazon Corretto Crypto Provider 2.5.0 (AWS-LC v1.47.0), first provider",
     * or "the JDK's providers (pkilab.crypto=jdk)" with the reason the native one is not in use.
     */
    public static String describe() {
        State s = install();
        if (s.isNative()) {
            AmazonCorrettoCryptoProvider accp = (AmazonCorrettoCryptoProvider) s.nativeProvider();
            return "Amazon Corretto Crypto Provider " + accp.getVersionStr() + " (" + accp.getAwsLcVersionStr()
                    + "), first provider";
        }
        return "the JDK's providers (" + s.whyNot() + ")";
    }

    /**
     * The provider a plain {@code getInstance} of this type and algorithm gets ("AmazonCorrettoCryptoProvider",
     * "SunRsaSign", "SunEC" ...), or "none" when no provider offers it. ECDSA is named as {@link EcKeys} serves it.
     */
    public static String providerOf(String type, String algorithm) {
        install();
        if (algorithm.toUpperCase(Locale.ROOT).contains("ECDSA") || (algorithm.equals("EC") && type.equals("KeyPairGenerator"))) {
            return EcKeys.provider().getName();
        }
        try {
            return switch (type) {
                case "Signature" -> java.security.Signature.getInstance(algorithm).getProvider().getName();
                case "KeyPairGenerator" -> java.security.KeyPairGenerator.getInstance(algorithm).getProvider().getName();
                case "KeyAgreement" -> javax.crypto.KeyAgreement.getInstance(algorithm).getProvider().getName();
                case "Cipher" -> javax.crypto.Cipher.getInstance(algorithm).getProvider().getName();
                case "MessageDigest" -> java.security.MessageDigest.getInstance(algorithm).getProvider().getName();
                case "SSLContext" -> javax.net.ssl.SSLContext.getInstance(algorithm).getProvider().getName();
                default -> throw new IllegalArgumentException("no such service type: " + type);
            };
        } catch (NoSuchAlgorithmException | javax.crypto.NoSuchPaddingException e) {
            return "none";
        }
    }

    /**
     * The lines a benchmark prints: which provider served each algorithm the lab's work uses, the TLS handshake's
     * included (JSSE speaks TLS and takes its signatures, key agreement and ciphers from the providers above).
     */
    public static String servedBy() {
        return "cryptography: " + describe() + "\n"
                + "  RSA-2048 signing (SHA256withRSA)   " + providerOf("Signature", "SHA256withRSA") + "\n"
                + "  RSA key generation                 " + providerOf("KeyPairGenerator", "RSA") + "\n"
                + "  ECDSA P-256 (SHA256withECDSA)      " + providerOf("Signature", "SHA256withECDSA") + "\n"
                + "  RSASSA-PSS (TLS 1.3 signatures)    " + providerOf("Signature", "RSASSA-PSS") + "\n"
                + "  ECDHE P-256 key agreement (TLS)    " + providerOf("KeyAgreement", "ECDH") + "\n"
                + "  X25519 key agreement (TLS)         " + providerOf("KeyAgreement", "XDH") + "\n"
                + "  AES-GCM (TLS records)              " + providerOf("Cipher", "AES/GCM/NoPadding") + "\n"
                + "  SHA-256                            " + providerOf("MessageDigest", "SHA-256") + "\n"
                + "  TLS protocol (JSSE)                " + providerOf("SSLContext", "TLS");
    }
}
