package org.pkilab.directory;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.Properties;

/**
 * The domain controller's own key and certificate: it serves LDAPS and StartTLS with it and signs
 * logon tokens with it (the part the KDC's key plays on Windows). Made once per forest and kept in
 * the data folder as {@code dc/<host>.p12}; published on the DC's computer object as
 * {@code userCertificate} so the CA can verify tokens.
 */
final class DomainControllerIdentity {

    static final String ALIAS = "dc";

    private final PrivateKey privateKey;
    private final X509Certificate certificate;
    private final Path keystore;
    private final String keystorePassword;

    private DomainControllerIdentity(PrivateKey privateKey, X509Certificate certificate, Path keystore, String password) {
        this.privateKey = privateKey;
        this.certificate = certificate;
        this.keystore = keystore;
        this.keystorePassword = password;
    }

    /** Loads the identity from {@code folder}, or makes and saves one for {@code fqdn}. */
    static DomainControllerIdentity loadOrCreate(Path folder, String fqdn, String domainName, Clock clock)
            throws IOException, GeneralSecurityException {
        Files.createDirectories(folder);
        Path keystore = folder.resolve(fqdn + ".p12");
        Path secrets = folder.resolve("keystore.properties");
        if (Files.exists(keystore) && Files.exists(secrets)) {
            Properties props = new Properties();
            try (InputStream in = Files.newInputStream(secrets)) {
                props.load(in);
            }
            String password = props.getProperty("password");
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keystore)) {
                ks.load(in, password.toCharArray());
            }
            return new DomainControllerIdentity((PrivateKey) ks.getKey(ALIAS, password.toCharArray()),
                    (X509Certificate) ks.getCertificate(ALIAS), keystore, password);
        }
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair pair = generator.generateKeyPair();
        X509Certificate certificate = selfSigned(pair, fqdn, domainName, clock);
        String password = PasswordPolicy.generate();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry(ALIAS, pair.getPrivate(), password.toCharArray(), new Certificate[]{certificate});
        // write-then-rename: a crash leaves either no keystore or a whole one
        Path tmpStore = Files.createTempFile(folder, "dc", ".tmp");
        try (OutputStream out = Files.newOutputStream(tmpStore)) {
            ks.store(out, password.toCharArray());
        }
        Path tmpProps = Files.createTempFile(folder, "dc", ".tmp");
        Properties props = new Properties();
        props.setProperty("password", password);
        try (OutputStream out = Files.newOutputStream(tmpProps)) {
            props.store(out, "PKI Lab: password of the domain controller's keystore");
        }
        Files.move(tmpProps, secrets, StandardCopyOption.ATOMIC_MOVE);
        Files.move(tmpStore, keystore, StandardCopyOption.ATOMIC_MOVE);
        return new DomainControllerIdentity(pair.getPrivate(), certificate, keystore, password);
    }

    private static X509Certificate selfSigned(KeyPair pair, String fqdn, String domainName, Clock clock)
            throws GeneralSecurityException, IOException {
        try {
            Date notBefore = Date.from(clock.instant().minus(Duration.ofHours(1)));
            Date notAfter = Date.from(clock.instant().plus(Duration.ofDays(3650)));
            X500Name name = new X500Name("CN=" + fqdn);
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name,
                    new BigInteger(127, new SecureRandom()).setBit(126), notBefore, notAfter, name, pair.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[]{
                    KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[]{
                    new GeneralName(GeneralName.dNSName, fqdn), new GeneralName(GeneralName.dNSName, domainName)}));
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate())));
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign the domain controller certificate", e);
        }
    }

    PrivateKey privateKey() {
        return privateKey;
    }

    X509Certificate certificate() {
        return certificate;
    }

    Path keystore() {
        return keystore;
    }

    String keystorePassword() {
        return keystorePassword;
    }
}
