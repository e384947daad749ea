package org.pkilab.ca;

import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.crmf.CertReqMsg;
import org.bouncycastle.asn1.crmf.CertTemplate;
import org.bouncycastle.asn1.crmf.POPOSigningKey;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.CertificationRequest;
import org.bouncycastle.asn1.pkcs.CertificationRequestInfo;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.crmf.CertificateRequestMessage;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

import java.io.IOException;
import java.util.Arrays;

/**
 * CRMF (RFC 4211), the request form of CMP, as the CA's pipeline reads it: a {@code CertReqMsg} is told apart from a
 * PKCS #10 by its shape, and its {@code CertTemplate} is presented as the facts a PKCS #10 carries (subject, public key,
 * extensionRequest), so every policy step reads a CMP request as it reads any other.
 *
 * <pre>
 * CertReqMsg ::= SEQUENCE { certReq CertRequest, popo ProofOfPossession OPTIONAL, regInfo ... }
 * CertRequest ::= SEQUENCE { certReqId INTEGER, certTemplate CertTemplate, controls Controls OPTIONAL }
 * PKCS #10:      SEQUENCE { certificationRequestInfo SEQUENCE { version INTEGER, subject Name, ... }, algorithm, signature }
 * </pre>
 *
 * The two differ in the second element of the inner SEQUENCE: a CertTemplate (a SEQUENCE of tagged fields) or a Name
 * (a SEQUENCE of SETs), and in what follows it: PKCS #10's AlgorithmIdentifier or CRMF's tagged proof of possession.
 */
final class Crmf {

    private Crmf() {
    }

    /** True when {@code der} has CRMF's shape, whether or not the CA could certify it. */
    static boolean isCrmf(byte[] der) {
        try {
            return read(der) != null;
        } catch (IllegalArgumentException e) {
            return true;
        }
    }

    /**
     * The CRMF request {@code der} holds, or null when it is no CRMF request (a PKCS #10, or no request at all).
     *
     * @throws IllegalArgumentException when it is a CRMF request the CA cannot certify: not DER, no public key in its
     *                                  template (central key generation), or with something after it
     */
    static CertificateRequestMessage read(byte[] der) {
        if (!shaped(der)) {
            return null;
        }
        CertReqMsg message;
        try {
            ASN1Primitive outer = ASN1Primitive.fromByteArray(der);
            if (!(outer instanceof ASN1Sequence sequence) || sequence.size() < 1 || sequence.size() > 3
                    || !(sequence.getObjectAt(0) instanceof ASN1Sequence certRequest) || certRequest.size() < 2
                    || !(certRequest.getObjectAt(1) instanceof ASN1Sequence template)
                    || (template.size() > 0 && !(template.getObjectAt(0) instanceof org.bouncycastle.asn1.ASN1TaggedObject))
                    || (sequence.size() > 1 && !(sequence.getObjectAt(1) instanceof org.bouncycastle.asn1.ASN1TaggedObject))) {
                return null;
            }
            message = CertReqMsg.getInstance(outer);
        } catch (IOException | RuntimeException | StackOverflowError e) {
            // deep nesting included: no CRMF request, and the PKCS #10 reading after this one refuses it
            return null;
        }
        byte[] reencoded;
        try {
            reencoded = message.getEncoded("DER");
        } catch (IOException e) {
            throw new IllegalArgumentException("it does not encode again: " + e.getMessage());
        }
        if (!Arrays.equals(reencoded, der)) {
            throw new IllegalArgumentException("it is not DER: its " + der.length + " bytes hold a request of " + reencoded.length
                    + " bytes and something more or different");
        }
        CertTemplate template = message.getCertReq().getCertTemplate();
        if (template.getPublicKey() == null) {
            throw new IllegalArgumentException("its CertTemplate carries no public key; the CA does not generate keys for "
                    + "requesters (central key generation)");
        }
        return new CertificateRequestMessage(message);
    }

    /**
     * Whether the first bytes are CRMF's: SEQUENCE { SEQUENCE { INTEGER, SEQUENCE { a context-specific field ... } } }, read
     * from the bytes without parsing the rest, so a body that is neither costs nothing before PKCS #10 reads it (a PKCS #10
     * has a Name there, a SEQUENCE of SETs). An empty second SEQUENCE is either: the whole parse tells.
     */
    private static boolean shaped(byte[] der) {
        int[] outer = element(der, 0, 0x30);
        int[] certRequest = outer == null ? null : element(der, outer[0], 0x30);
        int[] certReqId = certRequest == null ? null : element(der, certRequest[0], 0x02);
        int[] template = certReqId == null ? null : element(der, certReqId[0] + certReqId[1], 0x30);
        if (template == null) {
            return false;
        }
        return template[1] == 0 || (template[0] < der.length && (der[template[0]] & 0xC0) == 0x80);
    }

    /** Offset and length of the contents of the DER element with {@code tag} at {@code at}; null for another tag or form. */
    private static int[] element(byte[] der, int at, int tag) {
        if (at + 1 >= der.length || (der[at] & 0xFF) != tag) {
            return null;
        }
        int first = der[at + 1] & 0xFF;
        if (first < 0x80) {
            return new int[]{at + 2, first};
        }
        int bytes = first & 0x7F;
        if (bytes == 0 || bytes > 3 || at + 2 + bytes > der.length) {
            return null;  // indefinite (BER, never DER) or absurd lengths
        }
        int length = 0;
        for (int i = 0; i < bytes; i++) {
            length = (length << 8) | (der[at + 2 + i] & 0xFF);
        }
        return new int[]{at + 2 + bytes, length};
    }

    /**
     * The request's facts as a PKCS #10 would carry them: subject, public key and the template's extensions as the
     * extensionRequest attribute; signed with the proof of possession's algorithm and value, which
     * {@link Pkcs10Request#signatureVerifies()} checks as CRMF defines (over the CertRequest, not this structure).
     */
    static PKCS10CertificationRequest asPkcs10(CertificateRequestMessage request) {
        CertTemplate template = request.getCertTemplate();
        X500Name subject = template.getSubject() == null ? new X500Name(new org.bouncycastle.asn1.x500.RDN[0]) : template.getSubject();
        SubjectPublicKeyInfo key = template.getPublicKey();
        DERSet attributes = template.getExtensions() == null ? new DERSet()
                : new DERSet(new Attribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, new DERSet(template.getExtensions())));
        AlgorithmIdentifier algorithm = new AlgorithmIdentifier(PKCSObjectIdentifiers.sha256WithRSAEncryption);
        org.bouncycastle.asn1.ASN1BitString signature = new DERBitString(new byte[0]);
        if (request.getProofOfPossessionType() == CertificateRequestMessage.popSigningKey) {
            POPOSigningKey pop = POPOSigningKey.getInstance(request.toASN1Structure().getPop().getObject());
            algorithm = pop.getAlgorithmIdentifier();
            signature = pop.getSignature();
        }
        return new PKCS10CertificationRequest(new CertificationRequest(new CertificationRequestInfo(subject, key,
                attributes), algorithm, signature));
    }
}
