package org.pkilab.ca;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.TemplateFlags;

import java.nio.charset.StandardCharsets;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.List;

/**
 * Signs what the policy module decided, adding what AD CS adds to every certificate it issues: the
 * template extension the snap-in's "Certificate Template" column reads ({@code 1.3.6.1.4.1.311.20.2}
 * with the template name for schema 1; {@code 1.3.6.1.4.1.311.21.7} with the template OID and version
 * for schema 2+), Application Policies for schema 2+, key usage and EKUs from the template, the CDP and
 * AIA URLs of this CA, authority/subject key identifiers, and for names built from the directory the
 * requester's SID ({@code 1.3.6.1.4.1.311.25.2}, KB5014754). It never decides anything itself.
 */
final class CertificateSigner {

    static final ASN1ObjectIdentifier TEMPLATE_NAME = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.20.2");
    static final ASN1ObjectIdentifier TEMPLATE_INFORMATION = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.21.7");
    static final ASN1ObjectIdentifier APPLICATION_POLICIES = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.21.10");
    static final ASN1ObjectIdentifier NTDS_CA_SECURITY = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.25.2");
    static final ASN1ObjectIdentifier NTDS_OBJECTSID = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.25.2.1");

    /** Where this CA's CRLs and certificate can be fetched, as certificates carry them. */
    record Urls(String crl, String deltaCrl, String caIssuers) {
    }

    private static final AlgorithmIdentifier SHA256_WITH_RSA = new DefaultSignatureAlgorithmIdentifierFinder().find("SHA256withRSA");
    /** One initialised Signature per thread: creating and initialising one per certificate costs measurably. */
    private final ThreadLocal<ContentSigner> signers = ThreadLocal.withInitial(this::newSigner);

    private final PrivateKey caKey;
    private final X509Certificate caCertificate;
    private final Extension authorityKeyIdentifier;
    private final Extension crlDistributionPoints;
    private final Extension authorityInformationAccess;

    CertificateSigner(PrivateKey caKey, X509Certificate caCertificate, Urls urls) throws GeneralSecurityException {
        this.caKey = caKey;
        this.caCertificate = caCertificate;
        this.authorityKeyIdentifier = new Extension(Extension.authorityKeyIdentifier, false,
                der(new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(caCertificate)));
        this.crlDistributionPoints = new Extension(Extension.cRLDistributionPoints, false, der(new CRLDistPoint(
                new DistributionPoint[]{new DistributionPoint(new DistributionPointName(new GeneralNames(
                        new GeneralName(GeneralName.uniformResourceIdentifier, urls.crl()))), null, null)})));
        this.authorityInformationAccess = new Extension(Extension.authorityInfoAccess, false, der(new AuthorityInformationAccess(
                new AccessDescription(AccessDescription.id_ad_caIssuers, new GeneralName(GeneralName.uniformResourceIdentifier, urls.caIssuers())))));
    }

    X509Certificate sign(IssuanceContext ctx, BigInteger serial) throws GeneralSecurityException {
        return CertificationAuthority.certificate(signDer(ctx, serial));
    }

    /** The signed certificate's DER: issuance itself never needs it parsed back. */
    byte[] signDer(IssuanceContext ctx, BigInteger serial) throws GeneralSecurityException {
        CertificateTemplate t = ctx.template;
        try {
            X509v3CertificateBuilder builder = new X509v3CertificateBuilder(
                    org.bouncycastle.asn1.x500.X500Name.getInstance(caCertificate.getSubjectX500Principal().getEncoded()),
                    serial, Date.from(ctx.notBefore), Date.from(ctx.notAfter), ctx.subject,
                    SubjectPublicKeyInfo.getInstance(ctx.publicKey.getEncoded()));
            if (t.schemaVersion() >= 2) {
                builder.addExtension(TEMPLATE_INFORMATION, false, new DERSequence(new ASN1Encodable[]{
                        new ASN1ObjectIdentifier(t.oid()), new ASN1Integer(t.revision()), new ASN1Integer(t.minorRevision())}));
            } else {
                builder.addExtension(TEMPLATE_NAME, false, new DERBMPString(t.name()));
            }
            byte[] usage = t.keyUsage();
            int bits = (usage.length > 0 ? usage[0] & 0xFF : 0) | (usage.length > 1 ? (usage[1] & 0xFF) << 8 : 0);
            if (bits != 0) {
                builder.addExtension(Extension.keyUsage, t.criticalExtensions().contains("2.5.29.15"), new KeyUsage(bits));
            }
            if (!t.extendedKeyUsages().isEmpty()) {
                builder.addExtension(Extension.extendedKeyUsage, t.criticalExtensions().contains("2.5.29.37"),
                        new ExtendedKeyUsage(purposes(t.extendedKeyUsages())));
            }
            if (t.schemaVersion() >= 2 && !t.applicationPolicies().isEmpty()) {
                ASN1EncodableVector policies = new ASN1EncodableVector();
                for (String oid : t.applicationPolicies()) {
                    policies.add(new DERSequence(new ASN1ObjectIdentifier(oid)));
                }
                builder.addExtension(APPLICATION_POLICIES, false, new DERSequence(policies));
            }
            if (!ctx.subjectAltNames.isEmpty()) {
                // RFC 5280 4.2.1.6: with an empty subject the SAN must be critical
                builder.addExtension(Extension.subjectAlternativeName, ctx.subject.getRDNs().length == 0,
                        new GeneralNames(ctx.subjectAltNames.toArray(new GeneralName[0])));
            }
            if (ctx.account != null && ctx.account.sid() != null
                    && !TemplateFlags.Enrollment.NO_SECURITY_EXTENSION.isSetIn(t.enrollmentFlags())) {
                // KB5014754: names built from AD carry the account's SID, for strong certificate mapping
                builder.addExtension(NTDS_CA_SECURITY, false, new GeneralNames(new GeneralName(GeneralName.otherName,
                        new DERSequence(new ASN1Encodable[]{NTDS_OBJECTSID, new DERTaggedObject(true, 0,
                                new DEROctetString(ctx.account.sid().toString().getBytes(StandardCharsets.US_ASCII)))}))));
            }
            builder.addExtension(Extension.subjectKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createSubjectKeyIdentifier(ctx.publicKey));
            builder.addExtension(authorityKeyIdentifier);
            builder.addExtension(crlDistributionPoints);
            builder.addExtension(authorityInformationAccess);
            return builder.build(signers.get()).getEncoded();
        } catch (java.io.IOException | IllegalStateException e) {
            throw new GeneralSecurityException("signing failed: " + e.getMessage(), e);
        }
    }

    private ContentSigner newSigner() {
        try {
            java.security.Signature signature = java.security.Signature.getInstance("SHA256withRSA");
            signature.initSign(caKey);
            return new ContentSigner() {
                private final java.io.ByteArrayOutputStream tbs = new java.io.ByteArrayOutputStream(1024);

                @Override
                public AlgorithmIdentifier getAlgorithmIdentifier() {
                    return SHA256_WITH_RSA;
                }

                @Override
                public java.io.OutputStream getOutputStream() {
                    tbs.reset();
                    return tbs;
                }

                @Override
                public byte[] getSignature() {
                    try {
                        signature.update(tbs.toByteArray());
                        return signature.sign(); // sign() leaves the Signature initialised for the next one
                    } catch (java.security.SignatureException e) {
                        throw new IllegalStateException("signing failed: " + e.getMessage(), e);
                    }
                }
            };
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
