package org.pkilab.directory;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.CertificatePolicies;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.PolicyInformation;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.pkilab.pki.RsaKeys;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A certification authority for the directory's tests, made with Bouncy Castle (the directory cannot use the lab's
 * CA): it signs logon certificates with whatever a test needs (UPN, DNS name, SID extension, SAN URL SID, EKUs,
 * issuance policies) and CRLs that list the serials a test revoked.
 */
final class TestCa {

    private static final AtomicLong SERIALS = new AtomicLong(0x1000);

    final String name;
    final KeyPair keys;
    final X509Certificate certificate;
    private final List<BigInteger> revoked = new ArrayList<>();

    TestCa(String name) throws Exception {
        this.name = name;
        this.keys = RsaKeys.generate(2048);
        Instant now = Instant.now();
        // encoded most significant part first, as a Windows CA's name is: RFC 4514 shows it as CN=...,DC=contoso,DC=com
        X500Name subject = new X500Name("DC=com,DC=contoso,CN=" + name);
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, BigInteger.valueOf(SERIALS.incrementAndGet()),
                Date.from(now.minus(Duration.ofDays(3650))), Date.from(now.plus(Duration.ofDays(3650))), subject, keys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        builder.addExtension(Extension.subjectKeyIdentifier, false, new JcaX509ExtensionUtils().createSubjectKeyIdentifier(keys.getPublic()));
        this.certificate = new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withRSA")
                .build(keys.getPrivate())));
    }

    /** What goes into one logon certificate; every field is optional. */
    static final class Request {
        String subject = "CN=Someone";
        final List<GeneralName> names = new ArrayList<>();
        String sidExtension;
        boolean sidImplicit;
        List<KeyPurposeId> ekus = List.of(KeyPurposeId.id_kp_clientAuth);
        List<String> issuancePolicies = List.of();
        List<String> applicationPolicies;
        Instant notBefore = Instant.now().minus(Duration.ofMinutes(5));
        Instant notAfter;

        Request upn(String upn) {
            names.add(new GeneralName(GeneralName.otherName, new DERSequence(new ASN1Encodable[]{
                    new ASN1ObjectIdentifier("1.3.6.1.4.1.311.20.2.3"), new DERTaggedObject(true, 0, new DERUTF8String(upn))})));
            return this;
        }

        Request dns(String dns) {
            names.add(new GeneralName(GeneralName.dNSName, dns));
            return this;
        }

        Request sanUrlSid(String sid) {
            names.add(new GeneralName(GeneralName.uniformResourceIdentifier, "tag:microsoft.com,2022-09-14:sid:" + sid));
            return this;
        }

        Request sid(String sid) {
            this.sidExtension = sid;
            return this;
        }

        /** The SID extension's value under an implicit [0] tag, where a Windows CA writes an explicit one. */
        Request sidImplicitlyTagged(String sid) {
            this.sidExtension = sid;
            this.sidImplicit = true;
            return this;
        }

        Request ekus(KeyPurposeId... ekus) {
            this.ekus = ekus.length == 0 ? null : List.of(ekus);
            return this;
        }

        Request notBefore(Instant notBefore) {
            this.notBefore = notBefore;
            return this;
        }

        /** The end of the validity; a year from now if unset. */
        Request notAfter(Instant notAfter) {
            this.notAfter = notAfter;
            return this;
        }

        /** The Microsoft Application Policies extension (1.3.6.1.4.1.311.21.10), which Windows reads instead of the EKU. */
        Request applicationPolicies(String... oids) {
            this.applicationPolicies = List.of(oids);
            return this;
        }

        Request issuancePolicies(String... oids) {
            this.issuancePolicies = List.of(oids);
            return this;
        }
    }

    X509Certificate issue(PublicKey key, Request request) throws Exception {
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(X500Name.getInstance(certificate.getSubjectX500Principal()
                .getEncoded()), BigInteger.valueOf(SERIALS.incrementAndGet()).shiftLeft(64).add(BigInteger.valueOf(0x42)),
                Date.from(request.notBefore), Date.from(request.notAfter != null ? request.notAfter : Instant.now().plus(Duration.ofDays(365))),
                new X500Name(request.subject), key);
        if (!request.names.isEmpty()) {
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(request.names.toArray(GeneralName[]::new)));
        }
        if (request.sidExtension != null) {
            builder.addExtension(new ASN1ObjectIdentifier("1.3.6.1.4.1.311.25.2"), false, new GeneralNames(new GeneralName(
                    GeneralName.otherName, new DERSequence(new ASN1Encodable[]{new ASN1ObjectIdentifier("1.3.6.1.4.1.311.25.2.1"),
                    new DERTaggedObject(!request.sidImplicit, 0, new DEROctetString(request.sidExtension.getBytes(StandardCharsets.US_ASCII)))}))));
        }
        if (request.ekus != null) {
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(request.ekus.toArray(KeyPurposeId[]::new)));
        }
        if (request.applicationPolicies != null) {
            builder.addExtension(new ASN1ObjectIdentifier("1.3.6.1.4.1.311.21.10"), false, new DERSequence(request.applicationPolicies
                    .stream().map(oid -> new DERSequence(new ASN1ObjectIdentifier(oid))).toArray(ASN1Encodable[]::new)));
        }
        if (!request.issuancePolicies.isEmpty()) {
            builder.addExtension(Extension.certificatePolicies, false, new CertificatePolicies(request.issuancePolicies.stream()
                    .map(oid -> new PolicyInformation(new ASN1ObjectIdentifier(oid))).toArray(PolicyInformation[]::new)));
        }
        builder.addExtension(Extension.subjectKeyIdentifier, false, new JcaX509ExtensionUtils().createSubjectKeyIdentifier(key));
        builder.addExtension(Extension.cRLDistributionPoints, false, new CRLDistPoint(new DistributionPoint[]{new DistributionPoint(
                new DistributionPointName(new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier,
                        "http://127.0.0.1/CertEnroll/" + name + ".crl"))), null, null)}));
        return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withRSA")
                .build(keys.getPrivate())));
    }

    void revoke(X509Certificate issued) {
        revoked.add(issued.getSerialNumber());
    }

    /** A base CRL valid for a week that lists every serial {@link #revoke}d so far. */
    X509CRL crl() throws Exception {
        Instant now = Instant.now();
        X509v2CRLBuilder builder = new X509v2CRLBuilder(X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()),
                Date.from(now.minus(Duration.ofMinutes(5))));
        builder.setNextUpdate(Date.from(now.plus(Duration.ofDays(7))));
        for (BigInteger serial : revoked) {
            builder.addCRLEntry(serial, Date.from(now.minus(Duration.ofMinutes(1))), CRLReason.keyCompromise);
        }
        return new JcaX509CRLConverter().getCRL(builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
    }

    /** A base CRL numbered {@code number} (CRL Number, 2.5.29.20), valid until {@code nextUpdate}, listing every revoked serial. */
    X509CRL crl(long number, Instant nextUpdate) throws Exception {
        return crl(number, null, nextUpdate);
    }

    /** A delta CRL numbered {@code number} on the base CRL {@code baseNumber} (Delta CRL Indicator, 2.5.29.27). */
    X509CRL deltaCrl(long number, long baseNumber, Instant nextUpdate) throws Exception {
        return crl(number, baseNumber, nextUpdate);
    }

    private X509CRL crl(long number, Long baseNumber, Instant nextUpdate) throws Exception {
        X509v2CRLBuilder builder = new X509v2CRLBuilder(X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()),
                Date.from(nextUpdate.minus(Duration.ofDays(8))));
        builder.setNextUpdate(Date.from(nextUpdate));
        builder.addExtension(Extension.cRLNumber, false, new org.bouncycastle.asn1.x509.CRLNumber(BigInteger.valueOf(number)));
        if (baseNumber != null) {
            builder.addExtension(Extension.deltaCRLIndicator, true, new org.bouncycastle.asn1.x509.CRLNumber(BigInteger.valueOf(baseNumber)));
        }
        for (BigInteger serial : revoked) {
            builder.addCRLEntry(serial, Date.from(Instant.now().minus(Duration.ofMinutes(1))), CRLReason.keyCompromise);
        }
        return new JcaX509CRLConverter().getCRL(builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
    }
}
