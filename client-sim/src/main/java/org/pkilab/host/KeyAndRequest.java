package org.pkilab.host;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.pkilab.directory.model.KeyAlgorithm;
import org.pkilab.enrollment.EnrollableTemplate;
import org.pkilab.pki.RsaKeys;
import org.pkilab.pki.EcKeys;

import java.security.KeyPair;
import java.security.interfaces.ECPrivateKey;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code certreq -new} does before anything is sent: makes the key the template's Cryptography tab asks for
 * and the PKCS #10 request signed with it, carrying the subject and the DNS names the enrollee supplies.
 *
 * <pre>{@code
 * KeyPair key = KeyAndRequest.generateKey(template, 0);              // ECDSA_P256: a P-256 key; RSA: max(minimum, 2048)
 * byte[] csr = KeyAndRequest.csr(key, "CN=server1", List.of("server1.contoso.com"));
 * }</pre>
 */
final class KeyAndRequest {

    /** The KB5014754 strong-mapping SAN URL, followed by the SID. */
    static final String SID_URL_PREFIX = "tag:microsoft.com,2022-09-14:sid:";
    private static final ASN1ObjectIdentifier UPN = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.20.2.3");
    private static final ASN1ObjectIdentifier APPLICATION_POLICIES = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.21.10");
    /** szOID_ENROLLMENT_NAME_VALUE_PAIR: a request attribute such as {@code SAN} or {@code CertificateTemplate}. */
    private static final ASN1ObjectIdentifier ENROLLMENT_NAME_VALUE_PAIR = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.13.2.1");

    private KeyAndRequest() {
    }

    /**
     * The key the template's Cryptography tab asks for: an EC key on its curve for ECDSA_P256 (P-384,
     * P-521); otherwise RSA of the size asked for (a certreq INF's KeyLength), else the template's minimum
     * or 2048 bits, whichever is larger.
     */
    static KeyPair generateKey(EnrollableTemplate template, int askedBits) {
        if (template.keyAlgorithm().elliptic()) {
            return EcKeys.generate(template.keyAlgorithm().curve());
        }
        return RsaKeys.generate(askedBits > 0 ? askedBits : KeyAlgorithm.rsaBitsFor(template.minimalKeySize()));
    }

    /** The DER PKCS #10 request: {@code subject} (empty: none) and, when given, DNS names in an extension request. */
    static byte[] csr(KeyPair key, String subject, List<String> dnsNames) {
        return csr(key, subject, dnsNames, null);
    }

    /**
     * The DER PKCS #10 request as {@code certreq} or Certipy make it: {@code subject} (empty: none); an extension request
     * with the alternative names (DNS names, then the UPN and the SID's SAN URL of {@code asked}) and the Application
     * Policies {@code asked} names; and {@code asked}'s {@code SAN} request attribute as a name-value pair.
     */
    static byte[] csr(KeyPair key, String subject, List<String> dnsNames, CertificateRequest asked) {
        try {
            JcaPKCS10CertificationRequestBuilder builder = new JcaPKCS10CertificationRequestBuilder(
                    subject.isEmpty() ? new X500Name(new RDN[0]) : new X500Name(subject), key.getPublic());
            List<GeneralName> names = new ArrayList<>();
            dnsNames.forEach(n -> names.add(new GeneralName(GeneralName.dNSName, n)));
            if (asked != null && !asked.upn().isEmpty()) {
                names.add(new GeneralName(GeneralName.otherName, new DERSequence(new ASN1Encodable[]{UPN,
                        new DERTaggedObject(true, 0, new DERUTF8String(asked.upn()))})));
            }
            if (asked != null && !asked.sid().isEmpty()) {
                names.add(new GeneralName(GeneralName.uniformResourceIdentifier, SID_URL_PREFIX + asked.sid()));
            }
            ExtensionsGenerator extensions = new ExtensionsGenerator();
            if (!names.isEmpty()) {
                extensions.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
            }
            if (asked != null && !asked.applicationPolicies().isEmpty()) {
                extensions.addExtension(APPLICATION_POLICIES, false, new DERSequence(asked.applicationPolicies().stream()
                        .map(oid -> new DERSequence(new ASN1ObjectIdentifier(oid))).toArray(ASN1Encodable[]::new)));
            }
            if (!extensions.isEmpty()) {
                builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate());
            }
            if (asked != null && !asked.sanAttribute().isEmpty()) {
                builder.addAttribute(ENROLLMENT_NAME_VALUE_PAIR, new DERSequence(new ASN1Encodable[]{
                        new DERBMPString("SAN"), new DERBMPString(asked.sanAttribute())}));
            }
            return builder.build(signer(key)).getEncoded();
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot build the certificate request: " + e.getMessage(), e);
        }
    }

    /** The request's signature: SHA256withRSA for an RSA key; ECDSA with the hash that fits the curve for an EC key. */
    private static ContentSigner signer(KeyPair key) throws OperatorCreationException {
        if (key.getPrivate() instanceof ECPrivateKey ec) {
            KeyAlgorithm algorithm = KeyAlgorithm.ofCurveBits(ec.getParams().getCurve().getField().getFieldSize()).orElse(KeyAlgorithm.ECDSA_P256);
            return new JcaContentSignerBuilder(algorithm.signatureAlgorithm()).setProvider(EcKeys.provider()).build(key.getPrivate());
        }
        return new JcaContentSignerBuilder("SHA256withRSA").build(key.getPrivate());
    }
}
