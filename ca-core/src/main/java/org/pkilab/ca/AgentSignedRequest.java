package org.pkilab.ca;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.util.Selector;
import org.pkilab.windows.WindowsError;

import java.security.cert.X509Certificate;
import java.util.Collection;

/**
 * A certificate request signed by an enrollment agent, as {@code certreq -policy}, the Certificates snap-in's
 * "Enroll On Behalf Of" and Certipy's {@code req -on-behalf-of} send it: the requester's PKCS #10 (signed with the
 * new key) is the content of a CMS {@code SignedData} signed with the agent's key, with the agent's certificate
 * in it and the account the certificate is for as a signed (authenticated) attribute of the signer,
 * {@code szOID_ENROLLMENT_NAME_VALUE_PAIR} (1.3.6.1.4.1.311.13.2.1) named {@code RequesterName}
 * ({@code IX509CertificateRequestPkcs7::put_RequesterName}):
 *
 * <pre>
 * ContentInfo signedData
 *   encapContentInfo  id-data: the PKCS #10 (CN=, key of the new certificate)
 *   certificates      the agent's Certificate Request Agent certificate
 *   signerInfo        signed by the agent's key; signedAttrs:
 *                       1.3.6.1.4.1.311.13.2.1  { "RequesterName", "CONTOSO\Administrator" }
 *                       contentType, messageDigest
 * </pre>
 *
 * A name-value pair carried anywhere else (in the PKCS #10's own attributes) is not the signer's word, and Windows
 * does not take it as the requester. This class only reads: whether the agent may do so is
 * {@link EnrollmentAgentSignature}'s to decide.
 */
final class AgentSignedRequest {

    /** szOID_ENROLLMENT_NAME_VALUE_PAIR. */
    static final ASN1ObjectIdentifier NAME_VALUE_PAIR = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.13.2.1");
    static final String REQUESTER_NAME = "RequesterName";

    private final byte[] pkcs10;
    private final X509Certificate signer;
    private final boolean signatureVerifies;
    private final String requesterName;

    private AgentSignedRequest(byte[] pkcs10, X509Certificate signer, boolean signatureVerifies, String requesterName) {
        this.pkcs10 = pkcs10;
        this.signer = signer;
        this.signatureVerifies = signatureVerifies;
        this.requesterName = requesterName;
    }

    /** A parsed signed request, or the refusal of bytes that are not one. */
    record Parsed(AgentSignedRequest request, Decision refusal) {
    }

    /** DER of the OID id-signedData, 1.2.840.113549.1.7.2, with its tag and length. */
    private static final byte[] SIGNED_DATA_OID = {0x06, 0x09, 0x2A, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xF7, 0x0D, 0x01, 0x07, 0x02};

    /**
     * Whether {@code der} is a CMS (PKCS #7) SignedData rather than a bare PKCS #10: an outer SEQUENCE whose first element
     * is the OID id-signedData. Read from the first bytes only: a hostile body must not cost a parse before it is refused.
     */
    static boolean isSignedData(byte[] der) {
        if (der.length < 2 + SIGNED_DATA_OID.length || der[0] != 0x30) {
            return false;
        }
        int length = der[1] & 0xFF;
        // a long length form takes (length & 0x7F) more bytes; short and indefinite (0x80) forms none
        int at = length > 0x80 ? 2 + (length & 0x7F) : 2;
        if (at + SIGNED_DATA_OID.length > der.length) {
            return false;
        }
        for (int i = 0; i < SIGNED_DATA_OID.length; i++) {
            if (der[at + i] != SIGNED_DATA_OID[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Reads {@code der}: one signer, whose certificate travels in the message, over an encapsulated PKCS #10.
     *
     * @param requester the caller, for the refusal's text
     */
    static Parsed parse(byte[] der, String requester) {
        String fix = "send the PKCS #10 inside a CMS SignedData signed by the enrollment agent's certificate and key, "
                + "with its certificate included (openssl cms -sign -nodetach -outform DER -binary -signer agent.pem -inkey agent.key)";
        try {
            CMSSignedData signed = new CMSSignedData(der);
            Object content = signed.getSignedContent() == null ? null : signed.getSignedContent().getContent();
            if (!(content instanceof byte[] inner)) {
                return refuse("the signed request from " + requester + " carries no request: its content is detached", fix);
            }
            Collection<SignerInformation> signers = signed.getSignerInfos().getSigners();
            if (signers.size() != 1) {
                return refuse("the signed request from " + requester + " has " + signers.size()
                        + " signers; an enrollment agent's request has exactly one", fix);
            }
            SignerInformation signer = signers.iterator().next();
            @SuppressWarnings("unchecked")
            Collection<X509CertificateHolder> matches = signed.getCertificates().getMatches((Selector<X509CertificateHolder>) signer.getSID());
            if (matches.isEmpty()) {
                return refuse("the signed request from " + requester + " does not include the signer's certificate", fix);
            }
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(matches.iterator().next());
            boolean verifies;
            try {
                verifies = signer.verify(new JcaSimpleSignerInfoVerifierBuilder().build(certificate));
            } catch (Exception e) {
                verifies = false;
            }
            return new Parsed(new AgentSignedRequest(inner, certificate, verifies, requesterName(signer.getSignedAttributes())), null);
        } catch (Exception | StackOverflowError e) {
            return refuse("the " + der.length + " bytes from " + requester + " are not a CMS signed certificate request: "
                    + RequestedNames.printable(String.valueOf(e.getMessage())), fix);
        }
    }

    private static Parsed refuse(String reason, String fix) {
        return new Parsed(null, Decision.deny(WindowsError.CRYPT_E_ASN1_BADTAG, reason, fix));
    }

    /** The {@code RequesterName} pair among the signer's signed attributes; null when there is none. */
    private static String requesterName(AttributeTable signedAttributes) {
        if (signedAttributes == null) {
            return null;
        }
        org.bouncycastle.asn1.ASN1EncodableVector all = signedAttributes.getAll(NAME_VALUE_PAIR);
        for (int i = 0; i < all.size(); i++) {
            for (ASN1Encodable value : Attribute.getInstance(all.get(i)).getAttrValues()) {
                ASN1Sequence pair = ASN1Sequence.getInstance(value);
                if (pair.size() == 2 && pair.getObjectAt(0) instanceof ASN1String name && pair.getObjectAt(1) instanceof ASN1String text
                        && strip(name.getString()).equalsIgnoreCase(REQUESTER_NAME)) {
                    return strip(text.getString());
                }
            }
        }
        return null;
    }

    /** Certipy and CertEnroll end BMPStrings with a NUL, as Windows' wide strings do. */
    private static String strip(String text) {
        int end = text.length();
        while (end > 0 && text.charAt(end - 1) == '\0') {
            end--;
        }
        return text.substring(0, end).strip();
    }

    /** The PKCS #10 inside, DER as the requester made it. */
    byte[] pkcs10() {
        return pkcs10.clone();
    }

    /** The certificate the message was signed with: the enrollment agent's. */
    X509Certificate signer() {
        return signer;
    }

    /** Whether the agent's signature verifies with its certificate's key over the signed attributes and content. */
    boolean signatureVerifies() {
        return signatureVerifies;
    }

    /** {@code CONTOSO\Administrator}: the account the agent asks for; null when the signer asks for itself. */
    String requesterName() {
        return requesterName;
    }
}
