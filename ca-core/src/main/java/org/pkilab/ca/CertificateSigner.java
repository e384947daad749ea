package org.pkilab.ca;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1UTCTime;
import org.bouncycastle.asn1.BERTags;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.pkilab.directory.model.TemplateFlags;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.CertificatePolicies;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.PolicyInformation;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.asn1.x509.V3TBSCertificateGenerator;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;
import org.pkilab.directory.model.CertificateTemplate;

import java.nio.charset.StandardCharsets;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Signs the {@link CertificateDraft} the policy module built, adding what AD CS adds to every certificate it issues: the
 * template extension the snap-in's "Certificate Template" column reads ({@code 1.3.6.1.4.1.311.20.2}
 * with the template name for schema 1; {@code 1.3.6.1.4.1.311.21.7} with the template OID and version
 * for schema 2+), the draft's Application Policies and the template's Issuance Policies (certificatePolicies, schema 2+), key usage and EKUs from the template (no EKU extension when the
 * template lists none: any purpose), the CDP and AIA URLs of this CA, authority/subject key identifiers, and for names
 * built from the directory the requester's SID ({@code 1.3.6.1.4.1.311.25.2}, KB5014754). An extension the draft lists
 * as disabled (the CA's {@code DisableExtensionList}) is left out, whichever it is. It never decides anything itself.
 */
final class CertificateSigner {

    static final ASN1ObjectIdentifier TEMPLATE_NAME = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.20.2");
    static final ASN1ObjectIdentifier TEMPLATE_INFORMATION = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.21.7");
    static final ASN1ObjectIdentifier APPLICATION_POLICIES = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.21.10");
    static final ASN1ObjectIdentifier NTDS_CA_SECURITY = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.25.2");
    static final ASN1ObjectIdentifier NTDS_OBJECTSID = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.25.2.1");

    /** Where this CA's CRLs and certificate can be fetched, as certificates carry them. */
    record Urls(String crl, String deltaCrl, String caIssuers, String ocsp) {
    }

    private static final AlgorithmIdentifier SHA256_WITH_RSA = new DefaultSignatureAlgorithmIdentifierFinder().find("SHA256withRSA");
    private static final ThreadLocal<MessageDigest> SHA1 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-1");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });
    /** One initialised Signature per thread: creating and initialising one per certificate costs measurably. */
    private final ThreadLocal<java.security.Signature> signatures = ThreadLocal.withInitial(this::newSignature);

    private final PrivateKey caKey;
    private final X500Name issuer;
    private final Extension authorityKeyIdentifier;
    private final Extension crlDistributionPoints;
    private final AccessDescription caIssuers;
    private final java.util.function.Supplier<String> ocspUrl;
    /** The AIA extension for the OCSP URL in force (empty: caIssuers only), made again only when the URL changes. */
    private volatile Map.Entry<String, Extension> authorityInformationAccess;

    /**
     * @param ocspUrl the Online Responder URL the AIA of each certificate names ({@code CA\OcspUrl}; empty: none), read at
     *                each issuance so a change applies to the next certificate
     */
    CertificateSigner(PrivateKey caKey, X509Certificate caCertificate, Urls urls, java.util.function.Supplier<String> ocspUrl)
            throws GeneralSecurityException {
        this.caKey = caKey;
        this.issuer = X500Name.getInstance(caCertificate.getSubjectX500Principal().getEncoded());
        this.authorityKeyIdentifier = new Extension(Extension.authorityKeyIdentifier, false,
                der(new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(caCertificate)));
        this.crlDistributionPoints = new Extension(Extension.cRLDistributionPoints, false, der(new CRLDistPoint(
                new DistributionPoint[]{new DistributionPoint(new DistributionPointName(new GeneralNames(
                        new GeneralName(GeneralName.uniformResourceIdentifier, urls.crl()))), null, null)})));
        this.caIssuers = new AccessDescription(AccessDescription.id_ad_caIssuers,
                new GeneralName(GeneralName.uniformResourceIdentifier, urls.caIssuers()));
        this.ocspUrl = ocspUrl;
    }

    /**
     * The AIA: caIssuers, then the OCSP URL when the Extensions tab's "Include in the online certificate status protocol
     * (OCSP) extension" is ticked ({@code CA\OcspUrl}), after caIssuers as Windows writes it.
     */
    private Extension authorityInformationAccess() {
        String url = ocspUrl.get();
        Map.Entry<String, Extension> made = authorityInformationAccess;
        if (made == null || !made.getKey().equals(url)) {
            AccessDescription[] access = url.isEmpty() ? new AccessDescription[]{caIssuers} : new AccessDescription[]{caIssuers,
                    new AccessDescription(AccessDescription.id_ad_ocsp, new GeneralName(GeneralName.uniformResourceIdentifier, url))};
            made = Map.entry(url, new Extension(Extension.authorityInfoAccess, false, der(new AuthorityInformationAccess(access))));
            authorityInformationAccess = made;
        }
        return made.getValue();
    }

    /**
     * The signed certificate's DER: issuance itself never needs it parsed back. The to-be-signed part is
     * encoded once and the certificate is assembled around it, because issuance runs at the speed of
     * RSA signing only when everything else stays small beside one private-key operation.
     */
    byte[] signDer(CertificateDraft draft, BigInteger serial) throws GeneralSecurityException {
        CertificateTemplate t = draft.template();
        try {
            ExtensionsGenerator extensions = draft.disabledExtensions().isEmpty() ? new ExtensionsGenerator() : new ExtensionsGenerator() {
                @Override
                public void addExtension(ASN1ObjectIdentifier oid, boolean critical, ASN1Encodable value) throws java.io.IOException {
                    if (!draft.disabledExtensions().contains(oid.getId())) {
                        super.addExtension(oid, critical, value);
                    }
                }

                @Override
                public void addExtension(ASN1ObjectIdentifier oid, boolean critical, byte[] value) {
                    if (!draft.disabledExtensions().contains(oid.getId())) {
                        super.addExtension(oid, critical, value);
                    }
                }

                @Override
                public void addExtension(Extension extension) {
                    if (!draft.disabledExtensions().contains(extension.getExtnId().getId())) {
                        super.addExtension(extension);
                    }
                }
            };
            if (t.schemaVersion() >= 2) {
                extensions.addExtension(TEMPLATE_INFORMATION, false, new DERSequence(new ASN1Encodable[]{
                        new ASN1ObjectIdentifier(t.oid()), new ASN1Integer(t.revision()), new ASN1Integer(t.minorRevision())}));
            } else {
                extensions.addExtension(TEMPLATE_NAME, false, new DERBMPString(t.name()));
            }
            byte[] usage = t.keyUsage();
            int bits = (usage.length > 0 ? usage[0] & 0xFF : 0) | (usage.length > 1 ? (usage[1] & 0xFF) << 8 : 0);
            if (bits != 0) {
                extensions.addExtension(Extension.keyUsage, t.criticalExtensions().contains("2.5.29.15"), new KeyUsage(bits));
            }
            if (!t.extendedKeyUsages().isEmpty()) {
                extensions.addExtension(Extension.extendedKeyUsage, t.criticalExtensions().contains("2.5.29.37"),
                        new ExtendedKeyUsage(purposes(t.extendedKeyUsages())));
            }
            if (!draft.applicationPolicies().isEmpty()) {
                ASN1EncodableVector policies = new ASN1EncodableVector();
                for (String oid : draft.applicationPolicies()) {
                    policies.add(new DERSequence(new ASN1ObjectIdentifier(oid)));
                }
                extensions.addExtension(APPLICATION_POLICIES, false, new DERSequence(policies));
            }
            if (t.schemaVersion() >= 2 && !t.issuancePolicies().isEmpty()) {
                // the Extensions tab's Issuance Policies: what a relying party (and AD's OID-to-group links) reads
                extensions.addExtension(Extension.certificatePolicies, false, new CertificatePolicies(t.issuancePolicies().stream()
                        .map(oid -> new PolicyInformation(new ASN1ObjectIdentifier(oid))).toArray(PolicyInformation[]::new)));
            }
            if (!draft.subjectAltNames().isEmpty()) {
                // RFC 5280 4.2.1.6: with an empty subject the SAN must be critical
                extensions.addExtension(Extension.subjectAlternativeName, draft.subject().getRDNs().length == 0,
                        new GeneralNames(draft.subjectAltNames().toArray(new GeneralName[0])));
            }
            if (draft.requesterSid() != null) {
                // KB5014754: names built from AD carry the account's SID, for strong certificate mapping
                extensions.addExtension(NTDS_CA_SECURITY, false, new GeneralNames(new GeneralName(GeneralName.otherName,
                        new DERSequence(new ASN1Encodable[]{NTDS_OBJECTSID, new DERTaggedObject(true, 0,
                                new DEROctetString(draft.requesterSid().toString().getBytes(StandardCharsets.US_ASCII)))}))));
            }
            if (TemplateFlags.Enrollment.ADD_OCSP_NOCHECK.isSetIn(t.enrollmentFlags())) {
                // RFC 6960 4.2.2.2.1: clients trust an OCSP signing certificate for its lifetime without asking about it
                extensions.addExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nocheck, false, DERNull.INSTANCE);
            }
            SubjectPublicKeyInfo publicKey = draft.publicKey();
            extensions.addExtension(Extension.subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyIdentifier(publicKey)));
            extensions.addExtension(authorityKeyIdentifier);
            extensions.addExtension(crlDistributionPoints);
            extensions.addExtension(authorityInformationAccess());

            V3TBSCertificateGenerator tbs = new V3TBSCertificateGenerator();
            tbs.setSerialNumber(new ASN1Integer(serial));
            tbs.setSignature(SHA256_WITH_RSA);
            tbs.setIssuer(issuer);
            tbs.setStartDate(time(draft.notBefore()));
            tbs.setEndDate(time(draft.notAfter()));
            tbs.setSubject(draft.subject());
            tbs.setSubjectPublicKeyInfo(publicKey);
            tbs.setExtensions(extensions.generate());
            byte[] toBeSigned = tbs.generateTBSCertificate().getEncoded(ASN1Encoding.DER);
            java.security.Signature signature = signatures.get();
            signature.update(toBeSigned);
            return certificate(toBeSigned, signature.sign()); // sign() leaves the Signature initialised for the next one
        } catch (java.io.IOException | IllegalStateException | IllegalArgumentException e) {
            throw new GeneralSecurityException("signing failed: " + e.getMessage(), e);
        }
    }

    /** RFC 5280 4.2.1.2 method (1): the SHA-1 of the subjectPublicKey bits, as Windows computes it. */
    private static byte[] keyIdentifier(SubjectPublicKeyInfo publicKey) {
        MessageDigest sha1 = SHA1.get();
        return sha1.digest(publicKey.getPublicKeyData().getBytes());
    }

    /**
     * RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 (the lab clock can be advanced
     * that far). Built from the encoding, since Bouncy Castle's Date constructors go through
     * SimpleDateFormat, which costs more than the rest of the certificate together.
     */
    static Time time(Instant instant) {
        java.time.LocalDateTime utc = java.time.LocalDateTime.ofEpochSecond(instant.getEpochSecond(), 0, java.time.ZoneOffset.UTC);
        int year = utc.getYear();
        boolean utcTime = year >= 1950 && year < 2050;
        // YYMMDDHHMMSSZ or YYYYMMDDHHMMSSZ, written digit by digit: a DateTimeFormatter cost 2-4 µs a call, twice a certificate
        byte[] der = new byte[utcTime ? 15 : 17];
        der[0] = (byte) (utcTime ? BERTags.UTC_TIME : BERTags.GENERALIZED_TIME);
        der[1] = (byte) (der.length - 2);
        int at = 2;
        if (!utcTime) {
            at = twoDigits(der, at, year / 100);
        }
        at = twoDigits(der, at, year % 100);
        at = twoDigits(der, at, utc.getMonthValue());
        at = twoDigits(der, at, utc.getDayOfMonth());
        at = twoDigits(der, at, utc.getHour());
        at = twoDigits(der, at, utc.getMinute());
        at = twoDigits(der, at, utc.getSecond());
        der[at] = 'Z';
        return Time.getInstance(utcTime ? ASN1UTCTime.getInstance(der) : ASN1GeneralizedTime.getInstance(der));
    }

    private static int twoDigits(byte[] into, int at, int value) {
        into[at] = (byte) ('0' + value / 10);
        into[at + 1] = (byte) ('0' + value % 10);
        return at + 2;
    }

    /** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }, around the encoded TBS. */
    private static byte[] certificate(byte[] toBeSigned, byte[] signature) throws java.io.IOException {
        byte[] algorithm = SHA256_WITH_RSA.getEncoded(ASN1Encoding.DER);
        byte[] bitString = new DERBitString(signature).getEncoded(ASN1Encoding.DER);
        int bodyLength = toBeSigned.length + algorithm.length + bitString.length;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(bodyLength + 4);
        out.write(BERTags.SEQUENCE | BERTags.CONSTRUCTED);
        writeLength(out, bodyLength);
        out.write(toBeSigned);
        out.write(algorithm);
        out.write(bitString);
        return out.toByteArray();
    }

    private static void writeLength(java.io.ByteArrayOutputStream out, int length) {
        if (length < 0x80) {
            out.write(length);
            return;
        }
        int bytes = length > 0xFFFFFF ? 4 : length > 0xFFFF ? 3 : length > 0xFF ? 2 : 1;
        out.write(0x80 | bytes);
        for (int i = bytes - 1; i >= 0; i--) {
            out.write(length >>> (8 * i));
        }
    }

    private java.security.Signature newSignature() {
        try {
            java.security.Signature signature = java.security.Signature.getInstance("SHA256withRSA");
            signature.initSign(caKey);
            return signature;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the CA key cannot sign: " + e.getMessage(), e);
        }
    }

    private static KeyPurposeId[] purposes(List<String> oids) {
        return oids.stream().map(oid -> KeyPurposeId.getInstance(new ASN1ObjectIdentifier(oid))).toArray(KeyPurposeId[]::new);
    }

    private static byte[] der(ASN1Encodable value) {
        try {
            return value.toASN1Primitive().getEncoded("DER");
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
