package org.pkilab.enrollment;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.oiw.OIWObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cms.CMSAbsentContent;
import org.bouncycastle.cms.CMSEnvelopedData;
import org.bouncycastle.cms.CMSEnvelopedDataGenerator;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.cms.RecipientInformation;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.cms.jcajce.JceCMSContentEncryptorBuilder;
import org.bouncycastle.cms.jcajce.JceKeyTransEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientId;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientInfoGenerator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;

/**
 * SCEP's messages (RFC 8894): a {@code pkiMessage} is a CMS SignedData whose signed attributes say what it is
 * ({@code messageType}, {@code transactionID}, {@code senderNonce}, and in an answer {@code pkiStatus},
 * {@code recipientNonce}, {@code failInfo}), and whose content, when there is one, is an EnvelopedData encrypted to the
 * other side: the PKCS #10 request to the RA's encryption certificate, the issued certificate (a certs-only PKCS #7) back
 * to the requester's signing certificate. Both the CA's SCEP service and the lab's {@link ScepClient} build and read
 * them here, with Bouncy Castle's CMS.
 *
 * <pre>{@code
 * byte[] inner = ScepMessage.envelope(csrDer, raEncryption, ScepMessage.AES_128_CBC);
 * byte[] request = ScepMessage.sign(MessageType.PKCS_REQ, transactionId, nonce, null, null, null, null, inner,
 *         selfSignedKey, selfSigned, "SHA256");
 * ScepMessage.Signed answer = ScepMessage.read(responseBody);
 * answer.status();        // SUCCESS, PENDING or FAILURE (with failInfo, and failInfoText: 0x80094012 CERTSRV_E_TEMPLATE_DENIED ...)
 * }</pre>
 */
public final class ScepMessage {

    private static final String ID_PKI = "2.16.840.1.113733.1.9.";
    public static final ASN1ObjectIdentifier MESSAGE_TYPE = new ASN1ObjectIdentifier(ID_PKI + "2");
    public static final ASN1ObjectIdentifier PKI_STATUS = new ASN1ObjectIdentifier(ID_PKI + "3");
    public static final ASN1ObjectIdentifier FAIL_INFO = new ASN1ObjectIdentifier(ID_PKI + "4");
    public static final ASN1ObjectIdentifier SENDER_NONCE = new ASN1ObjectIdentifier(ID_PKI + "5");
    public static final ASN1ObjectIdentifier RECIPIENT_NONCE = new ASN1ObjectIdentifier(ID_PKI + "6");
    public static final ASN1ObjectIdentifier TRANSACTION_ID = new ASN1ObjectIdentifier(ID_PKI + "7");
    /** id-scep-failInfoText (RFC 8894 3.2.1.4.5): the human-readable reason of a FAILURE. */
    public static final ASN1ObjectIdentifier FAIL_INFO_TEXT = new ASN1ObjectIdentifier("1.3.6.1.5.5.7.24.1");
    public static final ASN1ObjectIdentifier AES_128_CBC = NISTObjectIdentifiers.id_aes128_CBC;
    /** The SCEP media type of a pkiMessage, both ways. */
    public static final String MEDIA_TYPE = "application/x-pki-message";

    private static final Map<String, String> DIGESTS = Map.of(OIWObjectIdentifiers.idSHA1.getId(), "SHA1",
            NISTObjectIdentifiers.id_sha256.getId(), "SHA256", NISTObjectIdentifiers.id_sha384.getId(), "SHA384",
            NISTObjectIdentifiers.id_sha512.getId(), "SHA512", NISTObjectIdentifiers.id_sha224.getId(), "SHA224");

    /** AES-128/192/256-CBC, DES-EDE3-CBC and single DES-CBC (RFC 8894 3.5.2 lets a server accept it still). */
    private static final java.util.Set<String> CONTENT_ENCRYPTION = java.util.Set.of(NISTObjectIdentifiers.id_aes128_CBC.getId(),
            NISTObjectIdentifiers.id_aes192_CBC.getId(), NISTObjectIdentifiers.id_aes256_CBC.getId(), "1.2.840.113549.3.7", "1.3.14.3.2.7");

    private ScepMessage() {
    }

    public enum MessageType {
        CERT_REP(3), RENEWAL_REQ(17), PKCS_REQ(19), GET_CERT_INITIAL(20), GET_CERT(21), GET_CRL(22);

        private final int code;

        MessageType(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        /** The type with this number; null for none SCEP defines. */
        public static MessageType of(String code) {
            for (MessageType t : values()) {
                if (Integer.toString(t.code).equals(code)) {
                    return t;
                }
            }
            return null;
        }
    }

    public enum PkiStatus {
        SUCCESS(0), FAILURE(2), PENDING(3);

        private final int code;

        PkiStatus(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        static PkiStatus of(String code) {
            for (PkiStatus s : values()) {
                if (Integer.toString(s.code).equals(code)) {
                    return s;
                }
            }
            return null;
        }
    }

    /** Why a request FAILED, as RFC 8894 3.2.1.4.5 names the reasons. */
    public enum FailInfo {
        BAD_ALG(0, "badAlg"), BAD_MESSAGE_CHECK(1, "badMessageCheck"), BAD_REQUEST(2, "badRequest"), BAD_TIME(3, "badTime"),
        BAD_CERT_ID(4, "badCertId");

        private final int code;
        private final String rfcName;

        FailInfo(int code, String rfcName) {
            this.code = code;
            this.rfcName = rfcName;
        }

        public int code() {
            return code;
        }

        /** {@code badRequest}. */
        public String rfcName() {
            return rfcName;
        }

        static FailInfo of(String code) {
            for (FailInfo f : values()) {
                if (Integer.toString(f.code).equals(code)) {
                    return f;
                }
            }
            return null;
        }
    }

    /** A pkiMessage that is not one: not CMS SignedData, no signer, no signer certificate. */
    public static final class MalformedException extends Exception {
        public MalformedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * A pkiMessage as read. {@code signatureValid} false: the signature does not verify with the signer's certificate
     * (the attributes are then not to be trusted). {@code content} is the encapsulated content (an EnvelopedData), or null.
     */
    public record Signed(MessageType type, String messageTypeText, String transactionId, byte[] senderNonce, byte[] recipientNonce,
                         PkiStatus status, FailInfo failInfo, String failInfoText, X509Certificate signer, String digest,
                         Instant signingTime, byte[] content, boolean signatureValid) {
    }

    /** What an EnvelopedData held, and the content-encryption algorithm it was sealed with. */
    public record Opened(byte[] content, ASN1ObjectIdentifier algorithm) {
    }

    /** Reads a pkiMessage and checks its signature with the certificate it names as signer. */
    public static Signed read(byte[] der) throws MalformedException {
        CMSSignedData signed;
        try {
            signed = new CMSSignedData(der);
        } catch (Exception e) {
            throw new MalformedException("the message is not a CMS SignedData (PKCS #7): " + e.getMessage(), e);
        }
        Collection<SignerInformation> signers = signed.getSignerInfos().getSigners();
        if (signers.size() != 1) {
            throw new MalformedException("the SignedData has " + signers.size() + " signers; a SCEP message has one", null);
        }
        SignerInformation signer = signers.iterator().next();
        Collection<X509CertificateHolder> matches = signed.getCertificates().getMatches(signer.getSID());
        if (matches.isEmpty()) {
            throw new MalformedException("the SignedData does not hold its signer's certificate; a SCEP requester sends it along "
                    + "(its self-signed certificate)", null);
        }
        X509Certificate certificate;
        try {
            certificate = new JcaX509CertificateConverter().getCertificate(matches.iterator().next());
        } catch (Exception e) {
            throw new MalformedException("the signer's certificate cannot be read: " + e.getMessage(), e);
        }
        boolean valid;
        try {
            // by key, not certificate: a device's self-signed certificate may start later than the lab clock says it is now
            valid = signer.verify(new JcaSimpleSignerInfoVerifierBuilder().build(certificate.getPublicKey()));
        } catch (Exception e) {
            valid = false;
        }
        AttributeTable attributes = signer.getSignedAttributes();
        if (attributes == null) {
            throw new MalformedException("the SignedData has no signed attributes; a SCEP message carries messageType, transactionID "
                    + "and senderNonce there", null);
        }
        String type = text(attributes, MESSAGE_TYPE);
        byte[] content = null;
        if (signed.getSignedContent() != null && signed.getSignedContent().getContent() instanceof byte[] bytes) {
            content = bytes;
        }
        Instant signingTime = null;
        Attribute time = attributes.get(CMSAttributes.signingTime);
        if (time != null && time.getAttrValues().size() == 1) {
            try {
                signingTime = Time.getInstance(time.getAttrValues().getObjectAt(0)).getDate().toInstant();
            } catch (RuntimeException e) {
                signingTime = null;
            }
        }
        return new Signed(MessageType.of(type), type, text(attributes, TRANSACTION_ID), octets(attributes, SENDER_NONCE),
                octets(attributes, RECIPIENT_NONCE), PkiStatus.of(text(attributes, PKI_STATUS)), FailInfo.of(text(attributes, FAIL_INFO)),
                text(attributes, FAIL_INFO_TEXT), certificate, DIGESTS.get(signer.getDigestAlgOID()), signingTime, content, valid);
    }

    /** Whether SCEP knows the digest {@code oid} by a name {@link #sign} takes: SHA1, SHA224, SHA256, SHA384 or SHA512. */
    public static String digestName(String oid) {
        return DIGESTS.get(oid);
    }

    /**
     * A pkiMessage signed with {@code key} and {@code certificate}, {@code digest} ({@code SHA256}) with RSA. Null
     * arguments leave their attribute out; {@code content} null leaves the content out (a PENDING or FAILURE answer).
     */
    public static byte[] sign(MessageType type, String transactionId, byte[] senderNonce, byte[] recipientNonce, PkiStatus status,
                              FailInfo failInfo, String failInfoText, byte[] content, PrivateKey key, X509Certificate certificate,
                              String digest) {
        return sign(type, transactionId, senderNonce, recipientNonce, status, failInfo, failInfoText, content, key, certificate, digest, null);
    }

    /** {@link #sign} with the signingTime {@code signingTime} (null: now), as a device with a wrong clock signs. */
    public static byte[] sign(MessageType type, String transactionId, byte[] senderNonce, byte[] recipientNonce, PkiStatus status,
                              FailInfo failInfo, String failInfoText, byte[] content, PrivateKey key, X509Certificate certificate,
                              String digest, Instant signingTime) {
        ASN1EncodableVector attributes = new ASN1EncodableVector();
        if (signingTime != null) {
            attributes.add(attribute(CMSAttributes.signingTime, new Time(java.util.Date.from(signingTime))));
        }
        attributes.add(attribute(MESSAGE_TYPE, new DERPrintableString(Integer.toString(type.code()))));
        if (transactionId != null) {
            attributes.add(attribute(TRANSACTION_ID, new DERPrintableString(transactionId)));
        }
        if (senderNonce != null) {
            attributes.add(attribute(SENDER_NONCE, new DEROctetString(senderNonce)));
        }
        if (recipientNonce != null) {
            attributes.add(attribute(RECIPIENT_NONCE, new DEROctetString(recipientNonce)));
        }
        if (status != null) {
            attributes.add(attribute(PKI_STATUS, new DERPrintableString(Integer.toString(status.code()))));
        }
        if (failInfo != null) {
            attributes.add(attribute(FAIL_INFO, new DERPrintableString(Integer.toString(failInfo.code()))));
        }
        if (failInfoText != null) {
            attributes.add(attribute(FAIL_INFO_TEXT, new DERUTF8String(failInfoText)));
        }
        try {
            CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
            // rsaEncryption as the SignerInfo's signature algorithm, as NDES writes it: strongSwan's pki reads no other for RSA
            generator.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build(),
                    new RsaEncryptionAsSignatureAlgorithm())
                    .setSignedAttributeGenerator(new DefaultSignedAttributeTableGenerator(new AttributeTable(attributes)))
                    .build(new JcaContentSignerBuilder(digest + "withRSA").build(key), certificate));
            generator.addCertificate(new JcaX509CertificateHolder(certificate));
            // DER, not BC's default BER: clients digest the content as one OCTET STRING, not as BER's constructed chunks
            return generator.generate(content == null ? new CMSAbsentContent() : new CMSProcessableByteArray(content), content != null)
                    .toASN1Structure().getEncoded(ASN1Encoding.DER);
        } catch (Exception e) {
            throw new IllegalStateException("cannot sign the SCEP message: " + e.getMessage(), e);
        }
    }

    /** {@code content} encrypted to {@code recipient}'s RSA key with {@code algorithm} (AES-128-CBC, DES-EDE3-CBC, ...). */
    public static byte[] envelope(byte[] content, X509Certificate recipient, ASN1ObjectIdentifier algorithm) {
        try {
            CMSEnvelopedDataGenerator generator = new CMSEnvelopedDataGenerator();
            generator.addRecipientInfoGenerator(new JceKeyTransRecipientInfoGenerator(recipient));
            return generator.generate(new CMSProcessableByteArray(content), new JceCMSContentEncryptorBuilder(algorithm).build())
                    .toASN1Structure().getEncoded(ASN1Encoding.DER);
        } catch (Exception e) {
            throw new IllegalStateException("cannot encrypt to " + recipient.getSubjectX500Principal() + " with " + algorithm + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * What {@code enveloped} holds for {@code certificate}'s key.
     *
     * @throws MalformedException when it is no EnvelopedData or names no recipient with this certificate
     * @throws java.security.GeneralSecurityException when it cannot be decrypted (a content-encryption algorithm this side
     *                                                does not know, a key that does not fit)
     */
    public static Opened open(byte[] enveloped, PrivateKey key, X509Certificate certificate)
            throws MalformedException, java.security.GeneralSecurityException {
        CMSEnvelopedData data;
        try {
            data = new CMSEnvelopedData(enveloped);
        } catch (Exception e) {
            throw new MalformedException("the signed content is not a CMS EnvelopedData: " + e.getMessage(), e);
        }
        if (!CONTENT_ENCRYPTION.contains(data.getEncryptionAlgOID())) {
            throw new java.security.NoSuchAlgorithmException("the request is encrypted with " + data.getEncryptionAlgOID()
                    + ", which SCEP does not name; use AES-128-CBC (GetCACaps: AES) or DES-EDE3-CBC (DES3)");
        }
        RecipientInformation recipient = data.getRecipientInfos().get(new JceKeyTransRecipientId(certificate));
        if (recipient == null) {
            throw new MalformedException("the EnvelopedData is not encrypted to " + certificate.getSubjectX500Principal().getName()
                    + " (serial " + certificate.getSerialNumber().toString(16) + ")", null);
        }
        try {
            return new Opened(recipient.getContent(new ImplicitRejection(key)), data.getContentEncryptionAlgorithm().getAlgorithm());
        } catch (Exception e) {
            // one text, no cause: which step failed (RSA padding or the content) is what a padding oracle needs to learn
            throw new java.security.GeneralSecurityException(DECRYPTION_FAILED);
        }
    }

    /** What {@link #open} says of every EnvelopedData it cannot decrypt, whatever went wrong inside. */
    public static final String DECRYPTION_FAILED = "the EnvelopedData cannot be decrypted with the recipient's key";

    /** The content-encryption key's length for each algorithm SCEP names. */
    private static final Map<String, Integer> KEY_BYTES = Map.of(NISTObjectIdentifiers.id_aes128_CBC.getId(), 16,
            NISTObjectIdentifiers.id_aes192_CBC.getId(), 24, NISTObjectIdentifiers.id_aes256_CBC.getId(), 32, "1.2.840.113549.3.7", 24,
            "1.3.14.3.2.7", 8);

    /**
     * RSA PKCS #1 v1.5 key transport with implicit rejection (as in draft-irtf-cfrg-rsa-guidance): the content-encryption
     * key is read from the RSA block without a padding exception, and a block whose padding or length is wrong yields a
     * key derived from the private key and the ciphertext instead. Either way the content is then decrypted, and fails the
     * same way, so that a recipient answering anyone who asks (NDES's CEP Encryption key) is no Bleichenbacher oracle.
     */
    private static final class ImplicitRejection extends JceKeyTransEnvelopedRecipient {
        private final PrivateKey key;

        ImplicitRejection(PrivateKey key) {
            super(key);
            this.key = key;
        }

        @Override
        protected java.security.Key extractSecretKey(AlgorithmIdentifier keyEncryptionAlgorithm, AlgorithmIdentifier contentEncryptionAlgorithm,
                                                     byte[] encryptedKey) {
            int length = KEY_BYTES.getOrDefault(contentEncryptionAlgorithm.getAlgorithm().getId(), 16);
            String oid = contentEncryptionAlgorithm.getAlgorithm().getId();
            String name = oid.equals("1.2.840.113549.3.7") ? "DESede" : oid.equals("1.3.14.3.2.7") ? "DES" : "AES";
            return new javax.crypto.spec.SecretKeySpec(unwrap(key, encryptedKey, length), name);
        }
    }

    /** The {@code length}-byte key inside a PKCS #1 v1.5 block, or the substitute when the block holds none; no branch on which. */
    static byte[] unwrap(PrivateKey key, byte[] encrypted, int length) {
        byte[] substitute = substitute(key, encrypted, length);
        byte[] block;
        int k = (((java.security.interfaces.RSAKey) key).getModulus().bitLength() + 7) / 8;
        try {
            javax.crypto.Cipher rsa = javax.crypto.Cipher.getInstance("RSA/ECB/NoPadding");
            rsa.init(javax.crypto.Cipher.DECRYPT_MODE, key);
            byte[] raw = rsa.doFinal(encrypted);
            block = new byte[k];
            System.arraycopy(raw, 0, block, Math.max(0, k - raw.length), Math.min(k, raw.length));
        } catch (java.security.GeneralSecurityException | ClassCastException e) {
            // a ciphertext no RSA decryption takes (longer than the modulus): its length is public, nothing to hide
            return substitute;
        }
        int separator = k - length - 1;
        if (separator < 10) {
            return substitute;
        }
        // 00 02, eight or more nonzero padding bytes, 00, then exactly the key
        int bad = (block[0] & 0xFF) | ((block[1] & 0xFF) ^ 2) | (block[separator] & 0xFF);
        for (int i = 2; i < separator; i++) {
            bad |= ((block[i] & 0xFF) - 1) >>> 31;
        }
        int keep = ((bad | -bad) >> 31) ^ -1; // -1 when the block is good, 0 when not
        byte[] result = new byte[length];
        for (int i = 0; i < length; i++) {
            result[i] = (byte) ((block[separator + 1 + i] & keep) | (substitute[i] & ~keep));
        }
        return result;
    }

    /** HMAC-SHA256 over the ciphertext under a key derived from the private key: the same wrong key for the same ciphertext. */
    private static byte[] substitute(PrivateKey key, byte[] encrypted, int length) {
        try {
            byte[] secret = java.security.MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(secret, "HmacSHA256"));
            return java.util.Arrays.copyOf(mac.doFinal(encrypted), length);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Attribute attribute(ASN1ObjectIdentifier oid, ASN1Encodable value) {
        return new Attribute(oid, new DERSet(value));
    }

    private static String text(AttributeTable table, ASN1ObjectIdentifier oid) {
        Attribute a = table.get(oid);
        if (a == null || a.getAttrValues().size() != 1 || !(a.getAttrValues().getObjectAt(0) instanceof ASN1String s)) {
            return null;
        }
        return s.getString();
    }

    private static byte[] octets(AttributeTable table, ASN1ObjectIdentifier oid) {
        Attribute a = table.get(oid);
        if (a == null || a.getAttrValues().size() != 1 || !(a.getAttrValues().getObjectAt(0) instanceof ASN1OctetString s)) {
            return null;
        }
        return s.getOctets();
    }

    /**
     * {@code rsaEncryption} as the SignerInfo's signature algorithm. A class, not a lambda: a lambda implementing an interface
     * of Bouncy Castle's signed jar crashes Java 17's dynamic class-data archive at exit (the {@code pkilab} launcher records
     * one on the first run after a build).
     */
    private static final class RsaEncryptionAsSignatureAlgorithm implements org.bouncycastle.cms.CMSSignatureEncryptionAlgorithmFinder {
        @Override
        public AlgorithmIdentifier findEncryptionAlgorithm(AlgorithmIdentifier signatureAlgorithm) {
            return new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE);
        }
    }
}
