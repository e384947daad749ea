package org.pkilab.ca;

import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.pkilab.pki.KeyFiles;
import org.pkilab.pki.RsaKeys;

import javax.security.auth.x500.X500Principal;
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
 * The CA's key pair and self-signed root certificate, as AD CS setup makes them for an enterprise root
 * CA: RSA 2048, SHA-256, subject {@code CN=contoso-CA01-CA, DC=contoso, DC=com}, basic constraints
 * {@code CA:TRUE}, key usage keyCertSign/cRLSign/digitalSignature, and the CA Version extension
 * ({@code 1.3.6.1.4.1.311.21.1}, 0 for the first key). Kept in the data folder as {@code ca.p12}.
 */
final class CaIdentity {

    static final String CA_VERSION_OID = "1.3.6.1.4.1.311.21.1";

    private final PrivateKey privateKey;
    private final X509Certificate certificate;

    private CaIdentity(PrivateKey privateKey, X509Certificate certificate) {
        this.privateKey = privateKey;
        this.certificate = certificate;
    }

    static CaIdentity loadOrCreate(Path folder, String caName, String domainDn, int keyBits, Duration validity, Clock clock)
            throws IOException, GeneralSecurityException {
        Optional<KeyFiles.KeyEntry> kept = KeyFiles.loadKept(folder, "ca");
        if (kept.isPresent()) {
            return new CaIdentity(kept.get().key(), kept.get().certificate());
        }
        KeyPair pair = RsaKeys.generate(keyBits);
        X509Certificate certificate = selfSign(pair, caName, domainDn, validity, clock);
        KeyFiles.keep(folder, "ca", new KeyFiles.KeyEntry(pair.getPrivate(), new X509Certificate[]{certificate}));
        return new CaIdentity(pair.getPrivate(), certificate);
    }

    private static X509Certificate selfSign(KeyPair pair, String caName, String domainDn, Duration validity, Clock clock)
            throws GeneralSecurityException, IOException {
        X500Name subject = X500Name.getInstance(new X500Principal("CN=" + caName + "," + domainDn).getEncoded());
        Date notBefore = Date.from(clock.instant().minus(Duration.ofMinutes(10)));
        Date notAfter = Date.from(clock.instant().plus(validity));
        JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
                new BigInteger(128, new SecureRandom()).setBit(120), notBefore, notAfter, subject, pair.getPublic());
        builder.addExtension(Extension.keyUsage, false,
                new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyCertSign | KeyUsage.cRLSign));
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        builder.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(pair.getPublic()));
        builder.addExtension(new org.bouncycastle.asn1.ASN1ObjectIdentifier(CA_VERSION_OID), false, new ASN1Integer(0));
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate())));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign the CA certificate", e);
        }
    }

    PrivateKey privateKey() {
        return privateKey;
    }

    X509Certificate certificate() {
        return certificate;
    }
}
