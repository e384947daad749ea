package org.pkilab.host;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The certificate dialog's Details tab: every kind of alternative name an attack or a server certificate carries. */
class StoredCertificateTest {

    @Test
    void theDetailsTabShowsDnsUpnAndTheSidUrl() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair key = generator.generateKeyPair();
        GeneralNames names = new GeneralNames(new GeneralName[]{
                new GeneralName(GeneralName.dNSName, "pc01.contoso.com"),
                new GeneralName(GeneralName.otherName, new DERSequence(new ASN1Encodable[]{
                        new ASN1ObjectIdentifier("1.3.6.1.4.1.311.20.2.3"), new DERTaggedObject(true, 0, new DERUTF8String("administrator@contoso.com"))})),
                new GeneralName(GeneralName.uniformResourceIdentifier, "tag:microsoft.com,2022-09-14:sid:S-1-5-21-1-2-3-500")});
        X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(new X500Name("CN=mallory"),
                BigInteger.ONE, new Date(), new Date(System.currentTimeMillis() + 86_400_000L), new X500Name("CN=mallory"), key.getPublic())
                .addExtension(Extension.subjectAlternativeName, false, names)
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(key.getPrivate())));
        StoredCertificate stored = new StoredCertificate(certificate, key.getPrivate(), false, StoredCertificate.KeyStorage.LEGACY_CSP, null, null, List.of());
        assertEquals(List.of("DNS Name=pc01.contoso.com", "Other Name:Principal Name=administrator@contoso.com",
                "URL=tag:microsoft.com,2022-09-14:sid:S-1-5-21-1-2-3-500"), stored.subjectAlternativeNames());
        assertEquals(List.of("pc01.contoso.com"), stored.dnsNames());
    }
}
