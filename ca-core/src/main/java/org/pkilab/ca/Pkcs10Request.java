package org.pkilab.ca;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.crmf.CertificateRequestMessage;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.pkilab.windows.WindowsError;

import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A certificate request as the CA reads it once, before any policy step runs: the DER exactly as
 * the client sent it, its public key, the subject and the alternative names it asks for, and whether its
 * self-signature verifies. Policy steps read these facts; none of them parses DER.
 *
 * <pre>{@code
 * Pkcs10Request.Parsed parsed = Pkcs10Request.parse(der, "CONTOSO\\IIS01$");
 * if (parsed.request() == null) return parsed.refusal();     // CRYPT_E_ASN1_BADTAG: not a request at all
 * parsed.request().rsaModulusBits();                          // 2048
 * parsed.request().signatureVerifies();                       // checked over the bytes as sent
 * }</pre>
 *
 * <p>Besides extensions, a request carries <em>request attributes</em>, name-value pairs that {@code certreq -attrib}
 * and Certipy put in the PKCS #10 as {@code szOID_ENROLLMENT_NAME_VALUE_PAIR} ({@value #NAME_VALUE_PAIR}, each
 * {@code SEQUENCE { name BMPString, value BMPString }}): {@code certreq -attrib "SAN:upn=administrator@contoso.com"}
 * gives {@code nameValuePairs()} = {@code [SAN=upn=administrator@contoso.com]}. Only a CA with
 * {@code EDITF_ATTRIBUTESUBJECTALTNAME2} reads the {@code SAN} one ({@link SanAttribute}).
 *
 * <p>CMP sends its requests in CRMF (RFC 4211) instead: a {@code CertReqMsg} whose {@code CertTemplate} holds the subject,
 * the public key and the extensions, and whose proof of possession is the key's signature over the request. Such a request
 * is read here too ({@link Crmf}): the facts are the same, and {@link #signatureVerifies()} checks the proof of possession.
 * The CA database keeps the {@code CertReqMsg} as sent, so an approval reads it again as the first submission did.
 *
 * <p>A key the JDK cannot read is still a request when it is an RSA key above {@link #MAX_RSA_KEY_BITS}: the
 * key step refuses it by its size, so {@link #publicKey()} is null then.
 */
final class Pkcs10Request {

    /**
     * The largest RSA key the CA certifies. Windows' providers make keys up to 16,384 bits, but past 8,192
     * a key buys no security worth having and makes every TLS handshake with its certificate slow; the
     * JDK cannot even read one past 16,384 bits.
     */
    static final int MAX_RSA_KEY_BITS = 8192;
    /** szOID_ENROLLMENT_NAME_VALUE_PAIR: a request attribute as certreq -attrib sends it. */
    static final String NAME_VALUE_PAIR = "1.3.6.1.4.1.311.13.2.1";
    /** szOID_APPLICATION_CERT_POLICIES: Application Policies, which Windows reads before the EKU. */
    static final String APPLICATION_POLICIES = "1.3.6.1.4.1.311.21.10";

    /** One request attribute ({@code certreq -attrib "NAME:VALUE"}). */
    record NameValuePair(String name, String value) {
        @Override
        public String toString() {
            return name + "=" + value;
        }
    }

    /** Key factories kept per thread: RSA and EC keys are read through them. */
    private static final ThreadLocal<Map<String, KeyFactory>> KEY_FACTORIES = ThreadLocal.withInitial(HashMap::new);
    /** Verifiers kept per thread: looking one up through the providers costs more than half an RSA verification. */
    private static final ThreadLocal<Map<String, Signature>> VERIFIERS = ThreadLocal.withInitial(HashMap::new);

    private final byte[] der;
    private final JcaPKCS10CertificationRequest csr;
    /** The CRMF request {@link #csr} stands for, or null for a PKCS #10. */
    private final CertificateRequestMessage crmf;
    private final PublicKey publicKey;
    private final int rsaModulusBits;
    private final List<GeneralName> requestedAltNames;
    private final String requestedAltNamesProblem;
    private final List<NameValuePair> nameValuePairs;
    private final String nameValuePairsProblem;
    private final List<String> requestedApplicationPolicies;

    /** A parsed request, or the refusal of bytes that are not one (nothing is recorded then). */
    record Parsed(Pkcs10Request request, Decision refusal) {
    }

    private Pkcs10Request(byte[] der, JcaPKCS10CertificationRequest csr, CertificateRequestMessage crmf, PublicKey publicKey,
                          int rsaModulusBits) {
        this.der = der;
        this.csr = csr;
        this.crmf = crmf;
        this.publicKey = publicKey;
        this.rsaModulusBits = rsaModulusBits;
        List<GeneralName> names = List.of();
        String problem = null;
        try {
            names = List.copyOf(altNames(csr));
        } catch (RuntimeException e) {
            problem = String.valueOf(e.getMessage());
        }
        this.requestedAltNames = names;
        this.requestedAltNamesProblem = problem;
        List<NameValuePair> pairs = List.of();
        String pairsProblem = null;
        try {
            pairs = List.copyOf(nameValuePairs(csr));
        } catch (RuntimeException e) {
            pairsProblem = String.valueOf(e.getMessage());
        }
        this.nameValuePairs = pairs;
        this.nameValuePairsProblem = pairsProblem;
        List<String> policies = List.of();
        try {
            policies = List.copyOf(applicationPolicies(csr));
        } catch (RuntimeException e) {
            // an Application Policies extension that does not decode is copied nowhere: the certificate goes without it
        }
        this.requestedApplicationPolicies = policies;
    }

    /**
     * Reads {@code der} as a PKCS #10 request: DER (not BER, nothing after it), with a key that can be
     * read or an RSA key too large to certify.
     *
     * @param requester the account that sent it, for the refusal's text
     */
    static Parsed parse(byte[] der, String requester) {
        return parse(der, requester, EnrollmentRequest.Form.PKCS10);
    }

    /**
     * Reads {@code der} in the form its protocol carries: a PKCS #10 request as {@link #parse(byte[], String)} does, or for
     * CMP alone ({@code CRMF}) a CertReqMsg, whose CertTemplate and proof of possession stand for a PKCS #10's subject, key,
     * extensions and signature. Neither form is taken in place of the other.
     */
    static Parsed parse(byte[] der, String requester, EnrollmentRequest.Form form) {
        String fix = "send a base64 DER certificate request, for example from 'openssl req -new -outform DER'";
        JcaPKCS10CertificationRequest csr;
        CertificateRequestMessage crmf = null;
        if (form == EnrollmentRequest.Form.CRMF) {
            try {
                crmf = Crmf.read(der);
            } catch (IllegalArgumentException e) {
                return new Parsed(null, Decision.deny(WindowsError.CRYPT_E_ASN1_BADTAG, "the CRMF request from " + requester
                        + " cannot be certified: " + RequestedNames.printable(String.valueOf(e.getMessage())),
                        "send the CertTemplate with the subject and public key, and proof of possession by the key's signature"));
            }
            if (crmf == null) {
                return new Parsed(null, Decision.deny(WindowsError.CRYPT_E_ASN1_BADTAG, "the " + der.length + " bytes from " + requester
                        + " are not a CRMF CertReqMsg", "send ir, cr and kur with a CRMF CertReqMsg, or a PKCS #10 request as p10cr"));
            }
        }
        try {
            if (crmf != null) {
                csr = new JcaPKCS10CertificationRequest(Crmf.asPkcs10(crmf));
            } else {
                PKCS10CertificationRequest parsed = new PKCS10CertificationRequest(der);
                byte[] reencoded = parsed.getEncoded();
                if (!Arrays.equals(reencoded, der)) {
                    return new Parsed(null, Decision.deny(WindowsError.CRYPT_E_ASN1_BADTAG, "the request from " + requester + " is not DER: its "
                            + der.length + " bytes hold a request of " + reencoded.length + " bytes and something more or different", fix));
                }
                csr = new JcaPKCS10CertificationRequest(parsed);
            }
        } catch (Exception | StackOverflowError e) {
            return new Parsed(null, Decision.deny(WindowsError.CRYPT_E_ASN1_BADTAG, "the " + der.length + " bytes from " + requester
                    + " are not a PKCS #10 certificate request: " + RequestedNames.printable(String.valueOf(e.getMessage())), fix));
        }
        int rsaBits = rsaModulusBits(csr.getSubjectPublicKeyInfo());
        PublicKey key = null;
        try {
            key = publicKey(csr);
        } catch (Exception e) {
            // an RSA key too large for the JDK to read is still a request: the key step refuses it by its size
            if (rsaBits <= MAX_RSA_KEY_BITS) {
                return new Parsed(null, Decision.deny(WindowsError.CRYPT_E_ASN1_BADTAG, "the public key in the request from " + requester
                        + " cannot be read (" + csr.getSubjectPublicKeyInfo().getAlgorithm().getAlgorithm().getId() + "): "
                        + RequestedNames.printable(innermostMessage(e)), "use an RSA or EC key"));
            }
        }
        return new Parsed(new Pkcs10Request(der, csr, crmf, key, rsaBits), null);
    }

    /** Whether the request came as CRMF (CMP) rather than PKCS #10. */
    boolean isCrmf() {
        return crmf != null;
    }

    /** The request's attributes as sent: extensionRequest, request name-value pairs, and whatever else it carries. */
    List<org.bouncycastle.asn1.pkcs.Attribute> attributes() {
        return List.of(csr.getAttributes());
    }

    /** The request exactly as sent. */
    byte[] der() {
        return der.clone();
    }

    X500Name subject() {
        return csr.getSubject();
    }

    SubjectPublicKeyInfo subjectPublicKeyInfo() {
        return csr.getSubjectPublicKeyInfo();
    }

    /** The request's key; null only for an RSA key above {@link #MAX_RSA_KEY_BITS} that the JDK could not read. */
    PublicKey publicKey() {
        return publicKey;
    }

    /** The modulus size of an RSA key read straight from the request's ASN.1, or -1 when it is no RSA key. */
    int rsaModulusBits() {
        return rsaModulusBits;
    }

    /** RSA modulus or EC field size in bits; -1 for other keys. */
    int keyBits() {
        return keyBits(publicKey);
    }

    /** The named curve of the request's EC key, from its SubjectPublicKeyInfo; null for other keys. */
    String curveOid() {
        ASN1Encodable parameters = csr.getSubjectPublicKeyInfo().getAlgorithm().getParameters();
        return parameters instanceof ASN1ObjectIdentifier oid ? oid.getId() : null;
    }

    /** The signature algorithm as a person reads it ({@code SHA256WITHRSA}). */
    String signatureAlgorithmName() {
        return new org.bouncycastle.operator.DefaultAlgorithmNameFinder().getAlgorithmName(csr.getSignatureAlgorithm().getAlgorithm());
    }

    /** The alternative names the request asks for in its extensionRequest attribute (none when they do not decode). */
    List<GeneralName> requestedAltNames() {
        return requestedAltNames;
    }

    /** Why the requested alternative names do not decode, as Bouncy Castle says it; null when they do. */
    String requestedAltNamesProblem() {
        return requestedAltNamesProblem;
    }

    /** The request attributes ({@value #NAME_VALUE_PAIR}) in the order sent; none when they do not decode. */
    List<NameValuePair> nameValuePairs() {
        return nameValuePairs;
    }

    /** Why the request attributes do not decode; null when they do. */
    String nameValuePairsProblem() {
        return nameValuePairsProblem;
    }

    /**
     * The OIDs of the Application Policies extension ({@value #APPLICATION_POLICIES}) the request asks for in its
     * extensionRequest attribute, in order; none when it asks for none or they do not decode.
     */
    List<String> requestedApplicationPolicies() {
        return requestedApplicationPolicies;
    }

    /**
     * The extension {@code oid} the request asks for in its extensionRequest attribute, or null when it asks for none.
     *
     * @throws IllegalArgumentException when the extensionRequest attribute does not decode
     */
    Extension requestedExtension(String oid) {
        for (org.bouncycastle.asn1.pkcs.Attribute attribute : csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
            for (ASN1Encodable value : attribute.getAttrValues()) {
                Extension extension = Extensions.getInstance(value).getExtension(new ASN1ObjectIdentifier(oid));
                if (extension != null) {
                    return extension;
                }
            }
        }
        return null;
    }

    private static List<NameValuePair> nameValuePairs(JcaPKCS10CertificationRequest csr) {
        List<NameValuePair> pairs = new ArrayList<>();
        for (org.bouncycastle.asn1.pkcs.Attribute attribute : csr.getAttributes(new ASN1ObjectIdentifier(NAME_VALUE_PAIR))) {
            for (ASN1Encodable value : attribute.getAttrValues()) {
                ASN1Sequence pair = ASN1Sequence.getInstance(value);
                if (pair.size() != 2 || !(pair.getObjectAt(0) instanceof ASN1String name)
                        || !(pair.getObjectAt(1) instanceof ASN1String text)) {
                    throw new IllegalArgumentException("a request attribute (" + NAME_VALUE_PAIR + ") is not SEQUENCE { name, value } of strings");
                }
                pairs.add(new NameValuePair(name.getString(), text.getString()));
            }
        }
        return pairs;
    }

    private static List<String> applicationPolicies(JcaPKCS10CertificationRequest csr) {
        List<String> oids = new ArrayList<>();
        for (org.bouncycastle.asn1.pkcs.Attribute attribute : csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
            for (ASN1Encodable value : attribute.getAttrValues()) {
                Extension extension = Extensions.getInstance(value).getExtension(new ASN1ObjectIdentifier(APPLICATION_POLICIES));
                if (extension != null) {
                    for (ASN1Encodable policy : ASN1Sequence.getInstance(extension.getParsedValue())) {
                        oids.add(ASN1ObjectIdentifier.getInstance(ASN1Sequence.getInstance(policy).getObjectAt(0)).getId());
                    }
                }
            }
        }
        return oids;
    }

    private static List<GeneralName> altNames(JcaPKCS10CertificationRequest csr) {
        List<GeneralName> names = new ArrayList<>();
        for (org.bouncycastle.asn1.pkcs.Attribute attribute : csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
            for (ASN1Encodable value : attribute.getAttrValues()) {
                GeneralNames requested = GeneralNames.fromExtensions(Extensions.getInstance(value), Extension.subjectAlternativeName);
                if (requested != null) {
                    names.addAll(List.of(requested.getNames()));
                }
            }
        }
        return names;
    }

    /**
     * Checks the request's self-signature with the JCA directly (the only algorithms AD CS clients use),
     * over the certificationRequestInfo bytes exactly as the client sent them, as OpenSSL and CryptoAPI
     * do, rather than over a re-encoding of them.
     *
     * @throws Exception when the declared algorithm cannot be checked with the request's key
     */
    boolean signatureVerifies() throws Exception {
        if (crmf != null) {
            // CRMF's proof of possession: the key's signature over the CertRequest as sent (RFC 4211 4.1)
            return crmf.getProofOfPossessionType() == CertificateRequestMessage.popSigningKey
                    && crmf.isValidSigningKeyPOP(new JcaContentVerifierProviderBuilder().build(publicKey));
        }
        String algorithm = switch (csr.getSignatureAlgorithm().getAlgorithm().getId()) {
            case "1.2.840.113549.1.1.11" -> "SHA256withRSA";
            case "1.2.840.113549.1.1.12" -> "SHA384withRSA";
            case "1.2.840.113549.1.1.13" -> "SHA512withRSA";
            case "1.2.840.113549.1.1.5" -> "SHA1withRSA";
            case "1.2.840.10045.4.3.2" -> "SHA256withECDSA";
            case "1.2.840.10045.4.3.3" -> "SHA384withECDSA";
            default -> null;
        };
        if (algorithm == null) {
            return csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(publicKey));
        }
        // from the provider that made the key: a verifier kept per thread must not keep a provider that an
        // earlier request's odd key happened to select
        KeyFactory factory = KEY_FACTORIES.get().get(publicKey.getAlgorithm());
        java.security.Provider provider = factory == null ? null : factory.getProvider();
        Signature verifier = provider == null ? Signature.getInstance(algorithm)
                : VERIFIERS.get().computeIfAbsent(algorithm + "/" + provider.getName(), k -> signature(algorithm, provider));
        verifier.initVerify(publicKey);
        int[] info = firstElement(der);
        if (info != null) {
            verifier.update(der, info[0], info[1]);
        } else {
            verifier.update(csr.toASN1Structure().getCertificationRequestInfo().getEncoded("DER"));
        }
        return verifier.verify(csr.getSignature());
    }

    static int keyBits(PublicKey key) {
        if (key instanceof RSAPublicKey rsa) {
            return rsa.getModulus().bitLength();
        }
        if (key instanceof ECPublicKey ec) {
            return ec.getParams().getCurve().getField().getFieldSize();
        }
        return -1;
    }

    /** What the deepest cause says, without the exception class names the JCA wraps it in. */
    private static String innermostMessage(Throwable e) {
        String message = String.valueOf(e.getMessage());
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null) {
                message = t.getMessage();
            }
        }
        return message.replaceAll("\\b(?:java|javax|sun|org)\\.[\\w.$]+(?:Exception|Error):\\s*", "");
    }

    private static int rsaModulusBits(SubjectPublicKeyInfo info) {
        try {
            if (!PKCSObjectIdentifiers.rsaEncryption.equals(info.getAlgorithm().getAlgorithm())) {
                return -1;
            }
            return org.bouncycastle.asn1.pkcs.RSAPublicKey.getInstance(info.parsePublicKey()).getModulus().bitLength();
        } catch (Exception e) {
            return -1;
        }
    }

    /** RSA and EC keys through a KeyFactory kept per thread; anything else as Bouncy Castle finds it. */
    private static PublicKey publicKey(JcaPKCS10CertificationRequest csr) throws Exception {
        String algorithm = switch (csr.getSubjectPublicKeyInfo().getAlgorithm().getAlgorithm().getId()) {
            case "1.2.840.113549.1.1.1" -> "RSA";
            case "1.2.840.10045.2.1" -> "EC";
            default -> null;
        };
        if (algorithm == null) {
            return csr.getPublicKey();
        }
        KeyFactory factory = KEY_FACTORIES.get().computeIfAbsent(algorithm, name -> {
            try {
                return KeyFactory.getInstance(name);
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(name + " keys are not available: " + e.getMessage(), e);
            }
        });
        return factory.generatePublic(new java.security.spec.X509EncodedKeySpec(csr.getSubjectPublicKeyInfo().getEncoded()));
    }

    private static Signature signature(String algorithm, java.security.Provider provider) {
        if (algorithm.endsWith("withECDSA")) {
            return org.pkilab.pki.EcKeys.signature(algorithm); // Java 17's own ECDSA takes ten times as long to verify
        }
        try {
            return Signature.getInstance(algorithm, provider);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is not available from " + provider.getName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Offset and length of the first element inside the outer DER SEQUENCE of {@code der}, or null when
     * the encoding is not the plain definite-length form this reads (the caller then re-encodes).
     */
    static int[] firstElement(byte[] der) {
        if (der.length < 4 || der[0] != 0x30) {
            return null;
        }
        int[] outer = header(der, 0);
        if (outer == null) {
            return null;
        }
        int start = outer[0];
        if (start >= der.length || der[start] != 0x30) {
            return null;
        }
        int[] inner = header(der, start);
        if (inner == null || inner[0] + inner[1] > der.length) {
            return null;
        }
        return new int[]{start, inner[0] - start + inner[1]};
    }

    /** For the element at {@code at}: {offset of its contents, length of its contents}; null for forms not read here. */
    private static int[] header(byte[] der, int at) {
        if (at + 1 >= der.length) {
            return null;
        }
        int first = der[at + 1] & 0xFF;
        if (first < 0x80) {
            return new int[]{at + 2, first};
        }
        int bytes = first & 0x7F;
        if (bytes == 0 || bytes > 3 || at + 2 + bytes > der.length) {
            return null; // indefinite (BER) or absurd lengths
        }
        int length = 0;
        for (int i = 0; i < bytes; i++) {
            length = (length << 8) | (der[at + 2 + i] & 0xFF);
        }
        return new int[]{at + 2 + bytes, length};
    }
}
