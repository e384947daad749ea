package org.pkilab.pki;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Optional;
import java.util.Properties;

import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * The lab's one place for PEM, DER and PKCS #12: reading and writing keys and certificates in the
 * formats {@code openssl} and {@code keytool} read, and keeping a server's key in its data folder as a
 * PKCS #12 file with its password beside it. Files are written to a temporary name and moved into
 * place, so a crash leaves either the old file or the whole new one, never half of one.
 */
public final class KeyFiles {

    /** A private key with its certificate chain, leaf first. */
    public record KeyEntry(PrivateKey key, X509Certificate[] chain) {
        public X509Certificate certificate() {
            return chain[0];
        }
    }

    private static final String ALIAS = "key";

    private KeyFiles() {
    }

    /**
     * Loads {@code <name>.p12} from {@code folder} with the password kept in {@code <name>.password};
     * empty when the files are not there yet.
     */
    public static Optional<KeyEntry> loadKept(Path folder, String name) throws IOException, GeneralSecurityException {
        Path store = folder.resolve(name + ".p12");
        Path secret = folder.resolve(name + ".password");
        if (!Files.exists(store) || !Files.exists(secret)) {
            return Optional.empty();
        }
        char[] password = loadProperties(secret).getProperty("password", "").toCharArray();
        KeyStore ks = readPkcs12(Files.readAllBytes(store), password);
        String alias = ks.aliases().nextElement();
        Certificate[] chain = ks.getCertificateChain(alias);
        X509Certificate[] x509 = new X509Certificate[chain.length];
        for (int i = 0; i < chain.length; i++) {
            x509[i] = (X509Certificate) chain[i];
        }
        return Optional.of(new KeyEntry((PrivateKey) ks.getKey(alias, password), x509));
    }

    /** The password of a kept key file, for servers that insist on reading the file themselves. */
    public static String keptPassword(Path folder, String name) throws IOException {
        Path secret = folder.resolve(name + ".password");
        if (!Files.exists(secret)) {
            throw new java.nio.file.NoSuchFileException(secret.toString());
        }
        return loadProperties(secret).getProperty("password", "");
    }

    /**
     * Keeps a key as {@code <name>.p12} in {@code folder}, with a random password in {@code <name>.password}.
     * A key kept before under that name is replaced under the password it had, so that only the PKCS #12
     * file changes: a crash leaves the old pair or the new one, never a file with the other's password.
     */
    public static void keep(Path folder, String name, KeyEntry entry) throws IOException, GeneralSecurityException {
        Files.createDirectories(folder);
        Path secret = folder.resolve(name + ".password");
        String kept = loadProperties(secret).getProperty("password", "");
        char[] password = kept.isEmpty() ? randomPassword() : kept.toCharArray();
        // a new pair is written key first: a key without its password file counts as not kept, and is made again
        writeAtomically(folder.resolve(name + ".p12"), pkcs12(entry, password));
        if (kept.isEmpty()) {
            Properties props = new Properties();
            props.setProperty("password", new String(password));
            storeProperties(secret, props, "PKI Lab: password of " + name + ".p12");
        }
    }

    /** A PKCS #12 file holding one key entry, AES-256 protected (what {@code openssl pkcs12} reads). */
    public static byte[] pkcs12(KeyEntry entry, char[] password) throws IOException, GeneralSecurityException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        keyStore(entry, password).store(out, password);
        return out.toByteArray();
    }

    /**
     * An in-memory key store holding one key entry under {@code password}, for a TLS server's or client's
     * key manager: what {@link #readPkcs12} would give for {@link #pkcs12}'s file, without writing and
     * reading one.
     */
    public static KeyStore keyStore(KeyEntry entry, char[] password) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry(ALIAS, entry.key(), password, entry.chain());
        return ks;
    }

    /**
     * The most password-hashing iterations a PKCS #12 file may ask for, its MAC and every encrypted part
     * added up: the limit Microsoft gave .NET's certificate import in June 2023 (KB5025823), since each
     * iteration is paid for before the password is even known to be wrong. Windows' exports use 2,000 per
     * part, OpenSSL's 2,048 and Java's 10,000.
     */
    public static final long PKCS12_ITERATION_LIMIT = 600_000;

    /** A PKCS #12 file refused before any password is tried, because its key derivations would cost too much. */
    public static final class CostlyPkcs12Exception extends IOException {
        CostlyPkcs12Exception(String message) {
            super(message);
        }
    }

    /**
     * Reads a PKCS #12 file. One that asks for more than {@link #PKCS12_ITERATION_LIMIT} iterations in all
     * is refused with {@link CostlyPkcs12Exception} before a single one is run.
     */
    public static KeyStore readPkcs12(byte[] file, char[] password) throws IOException, GeneralSecurityException {
        long iterations = Pkcs12Cost.iterations(file);
        if (iterations > PKCS12_ITERATION_LIMIT) {
            throw new CostlyPkcs12Exception(String.format("its MAC and key protection ask for %,d password-hashing iterations in all, more "
                    + "than the %,d a Windows import accepts (KB5025823); export it again with the usual 2,000 to 10,000", iterations,
                    PKCS12_ITERATION_LIMIT));
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(new ByteArrayInputStream(file), password);
        return ks;
    }

    /**
     * Whether {@code key} is the private half of the key {@code certificate} certifies: it signs, the
     * certificate's public key verifies. A PKCS #12 file can pair any key with any certificate.
     */
    public static boolean belongTogether(PrivateKey key, X509Certificate certificate) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "DSA" -> "SHA256withDSA";
            default -> null;
        };
        if (algorithm == null || !key.getAlgorithm().equals(certificate.getPublicKey().getAlgorithm())) {
            return false;
        }
        try {
            byte[] challenge = "PKI Lab: does this key belong to this certificate?".getBytes(StandardCharsets.US_ASCII);
            java.security.Signature signer = java.security.Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            java.security.Signature verifier = java.security.Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(challenge);
            return verifier.verify(signer.sign());
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /** {@code -----BEGIN CERTIFICATE-----} text. */
    public static String pem(X509Certificate certificate) throws GeneralSecurityException {
        return pem("CERTIFICATE", certificate.getEncoded());
    }

    public static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    /** The DER inside PEM armour, or the bytes themselves when they are not PEM. */
    public static byte[] der(byte[] pemOrDer) {
        String text = new String(pemOrDer, StandardCharsets.US_ASCII);
        int begin = text.indexOf("-----BEGIN ");
        if (begin < 0) {
            return pemOrDer;
        }
        int bodyStart = text.indexOf('\n', begin) + 1;
        int end = text.indexOf("-----END ", bodyStart);
        if (bodyStart <= 0 || end < 0) {
            throw new IllegalArgumentException("PEM text without its END line");
        }
        return Base64.getMimeDecoder().decode(text.substring(bodyStart, end));
    }

    public static X509Certificate certificate(byte[] pemOrDer) throws GeneralSecurityException {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der(pemOrDer)));
    }

    /** The JDK's PKIX trust managers with {@code root} as their only trust anchor: a client that trusts the lab's CA alone. */
    public static TrustManager[] trustOnly(X509Certificate root) throws GeneralSecurityException {
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        try {
            anchors.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException("cannot make an empty key store: " + e.getMessage(), e);
        }
        anchors.setCertificateEntry("root", root);
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(anchors);
        return factory.getTrustManagers();
    }

    /** Writes {@code properties} to {@code target} whole or not at all, under a {@code #} comment line. */
    public static void storeProperties(Path target, Properties properties, String comment) throws IOException {
        java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
        properties.store(text, comment);
        writeAtomically(target, text.toByteArray());
    }

    /** The properties in {@code file}; none when the file is not there. */
    public static Properties loadProperties(Path file) throws IOException {
        Properties properties = new Properties();
        if (Files.exists(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                properties.load(in);
            }
        }
        return properties;
    }

    /** Writes {@code data} to a temporary file beside {@code target}, then moves it into place. */
    public static void writeAtomically(Path target, byte[] data) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, "." + target.getFileName(), ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                out.write(data);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static char[] randomPassword() {
        return org.pkilab.directory.model.PasswordPolicy.generate().toCharArray();
    }
}
