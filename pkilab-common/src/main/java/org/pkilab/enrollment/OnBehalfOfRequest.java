package org.pkilab.enrollment;

import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.util.List;

/**
 * An enrollment agent's request on behalf of another account, as the Certificates snap-in's "Enroll On Behalf Of",
 * {@code certreq -policy} with a signing certificate, and Certipy's {@code req -on-behalf-of} make it: the requester's
 * PKCS #10 wrapped in a CMS {@code SignedData} (content type id-data), signed with the agent's key, the agent's
 * certificate included, and the account the certificate is for as a signed attribute of the signer:
 * {@code szOID_ENROLLMENT_NAME_VALUE_PAIR} (1.3.6.1.4.1.311.13.2.1) {@code { "RequesterName", "CONTOSO\Administrator" }}.
 *
 * <pre>{@code
 * byte[] body = OnBehalfOfRequest.sign(pkcs10, "CONTOSO\\Administrator", agentCertificate, agentKey);
 * est.simpleEnroll("User", authorization, body, OnBehalfOfRequest.MEDIA_TYPE);
 * }</pre>
 *
 * The same message from the command line: {@code openssl cms -sign -nodetach -binary -outform DER -in req.der
 * -signer agent.pem -inkey agent.key} makes the SignedData, but OpenSSL cannot add the name-value pair, so such a
 * message asks for the signer itself.
 */
public final class OnBehalfOfRequest {

    /** szOID_ENROLLMENT_NAME_VALUE_PAIR. */
    public static final String NAME_VALUE_PAIR = "1.3.6.1.4.1.311.13.2.1";
    /** The media type the lab's EST takes such a request with. */
    public static final String MEDIA_TYPE = "application/pkcs7-mime; smime-type=CMC-request";

    private OnBehalfOfRequest() {
    }

    /**
     * The signed request, DER.
     *
     * @param pkcs10        the requester's PKCS #10, DER, signed with the new certificate's key
     * @param requesterName the account the certificate is for, {@code CONTOSO\Administrator}; null or empty for none
     *                      (the agent signs a request for itself)
     */
    public static byte[] sign(byte[] pkcs10, String requesterName, X509Certificate agentCertificate, PrivateKey agentKey) {
        try {
            ASN1EncodableVector signedAttributes = new ASN1EncodableVector();
            if (requesterName != null && !requesterName.isEmpty()) {
                DERSequence pair = new DERSequence(new DERBMPString[]{new DERBMPString("RequesterName"), new DERBMPString(requesterName)});
                signedAttributes.add(new Attribute(new ASN1ObjectIdentifier(NAME_VALUE_PAIR), new DERSet(pair)));
            }
            String algorithm = agentKey instanceof ECPrivateKey ? "SHA256withECDSA" : "SHA256withRSA";
            CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
            generator.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                    .setSignedAttributeGenerator(new DefaultSignedAttributeTableGenerator(new AttributeTable(signedAttributes)))
                    .build(new JcaContentSignerBuilder(algorithm).build(agentKey), agentCertificate));
            generator.addCertificates(new JcaCertStore(List.of(agentCertificate)));
            return generator.generate(new CMSProcessableByteArray(pkcs10), true).getEncoded("DER");
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot sign the request on behalf of " + requesterName + " with "
                    + agentCertificate.getSubjectX500Principal().getName() + ": " + e.getMessage(), e);
        }
    }
}
