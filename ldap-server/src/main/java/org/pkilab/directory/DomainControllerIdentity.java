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
import org.pkilab.pki.KeyFiles;
import org.pkilab.pki.EcKeys;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.Optional;

/**
 * The domain controller's own key and certificate: it serves LDAPS and StartTLS with it and signs
 * logon tokens with it (the part the KDC's key plays on Windows). Made once per forest and kept in
 * the data folder as {@code dc/<fqdn>.p12}; published on the DC's computer object as
 * {@code userCertificate} so the CA can verify tokens.
 *
 * <p>The key is ECDSA P-256: a DC signs a token at every logon, and an RSA-2048 signature costs about
 * 0.7 ms of CPU against about 0.1 ms, a fifth of the DC's work when thousands of computers boot. A lab
 * made before keeps its RSA key, and its tokens stay RSA-signed.
 */
final class DomainControllerIdentity {

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

    /** Loads the identity from {@code folder}, or makes and keeps one for {@code fqdn}. */
    static DomainControllerIdentity loadOrCreate(Path folder, String fqdn, String domainName, Clock clock)
            throws IOException, GeneralSecurityException {
        Optional<KeyFiles.KeyEntry> kept = KeyFiles.loadKept(folder, fqdn);
        if (kept.isEmpty()) {
            KeyPair pair = EcKeys.generate("secp256r1");
            KeyFiles.keep(folder, fqdn, new KeyFiles.KeyEntry(pair.getPrivate(),
                    new X509Certificate[]{selfSigned(pair, fqdn, domainName, clock)}));
            kept = KeyFiles.loadKept(folder, fqdn);
        }
        // the DC signs every logon token with this key
        return new DomainControllerIdentity(EcKeys.own(kept.orElseThrow().key()), kept.get().certificate(),
                folder.resolve(fqdn + ".p12"), KeyFiles.keptPassword(folder, fqdn));
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
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[]{
                    KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[]{
                    new GeneralName(GeneralName.dNSName, fqdn), new GeneralName(GeneralName.dNSName, domainName)}));
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").setProvider(EcKeys.provider()).build(pair.getPrivate())));
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
