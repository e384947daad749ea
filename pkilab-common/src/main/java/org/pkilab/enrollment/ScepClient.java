package org.pkilab.enrollment;

import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.pkilab.enrollment.ScepMessage.FailInfo;
import org.pkilab.enrollment.ScepMessage.MessageType;
import org.pkilab.enrollment.ScepMessage.PkiStatus;
import org.pkilab.windows.WindowsError;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The lab's SCEP client (RFC 8894), as a router or an MDM agent enrolls at NDES: it fetches the CA and RA certificates,
 * makes itself a self-signed certificate for its key, sends its PKCS #10 request (with the challenge password an
 * administrator got from NDES's {@code mscep_admin} page) encrypted to the CEP Encryption certificate, and reads NDES's
 * signed answer.
 *
 * <pre>{@code
 * ScepClient scep = new ScepClient(URI.create("http://ca01.contoso.com:8080/certsrv/mscep/mscep.dll"));
 * byte[] csr = ScepClient.request(key, "CN=router01.contoso.com", challengePassword);
 * X509Certificate issued = scep.enroll(key, csr);         // SUCCESS
 * // a FAILURE: ScepClient.Refused, its failInfo (badRequest) and error() (0x80094012 CERTSRV_E_TEMPLATE_DENIED)
 * // a PENDING: ScepClient.Pending with its transactionID; scep.poll(key, pending.transactionId(), subject) later
 * }</pre>
 *
 * Every answer's signature is checked against the RA signing certificate GetCACert named (Exchange Enrollment Agent
 * (Offline request)), and its recipientNonce against the nonce sent.
 */
public final class ScepClient {

    private static final SecureRandom RANDOM = new SecureRandom();

    /** What NDES answered to one message. {@code certificate} is set on SUCCESS. */
    public record Answer(PkiStatus status, FailInfo failInfo, String failInfoText, X509Certificate certificate, String transactionId) {
        /** The AD CS error named in {@code failInfoText}, when NDES passed the CA's on. */
        public Optional<WindowsError> error() {
            return failInfoText == null ? Optional.empty() : WindowsError.find(failInfoText);
        }
    }

    /** A FAILURE answer, as an exception: the failInfo and the reason NDES gave. */
    public static final class Refused extends RuntimeException {
        private final transient Answer answer;

        Refused(Answer answer) {
            super("SCEP FAILURE " + (answer.failInfo() == null ? "" : answer.failInfo().rfcName()) + ": " + answer.failInfoText());
            this.answer = answer;
        }

        public Answer answer() {
            return answer;
        }

        public FailInfo failInfo() {
            return answer.failInfo();
        }

        public Optional<WindowsError> error() {
            return answer.error();
        }
    }

    /** A PENDING answer: poll with the same key and {@code transactionId} once a certificate manager has approved. */
    public static final class Pending extends RuntimeException {
        private final String transactionId;

        Pending(String transactionId) {
            super("SCEP PENDING: transaction " + transactionId + " waits for a certificate manager");
            this.transactionId = transactionId;
        }

        public String transactionId() {
            return transactionId;
        }
    }

    /** The CA and RA certificates NDES holds: GetCACert's answer sorted by what each is for. */
    public record CaCertificates(X509Certificate ca, X509Certificate encryption, X509Certificate signature) {
    }

    /** An HTTP answer that is no SCEP message at all: a status and the text the server gave. */
    public static final class HttpRefusal extends RuntimeException {
        private final int status;

        HttpRefusal(int status, String text) {
            super("HTTP " + status + ": " + text.strip());
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private final URI url;
    private final HttpClient http;

    /** A client of NDES at {@code url} ({@code http://.../certsrv/mscep/mscep.dll}). */
    public ScepClient(URI url) {
        this.url = Objects.requireNonNull(url, "url");
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** {@code GetCACaps}: the capabilities NDES announces, one a line. */
    public List<String> capabilities() {
        return new String(get("GetCACaps"), java.nio.charset.StandardCharsets.US_ASCII).lines().map(String::strip)
                .filter(s -> !s.isEmpty()).toList();
    }

    /** {@code GetCACert}: the CA certificate and the RA certificates, told apart by their key usage. */
    public CaCertificates caCertificates() {
        List<X509Certificate> all = CertsOnlyPkcs7.decode(get("GetCACert"));
        X509Certificate ca = null;
        X509Certificate encryption = null;
        X509Certificate signature = null;
        for (X509Certificate c : all) {
            boolean[] usage = c.getKeyUsage();
            if (c.getBasicConstraints() >= 0) {
                ca = c;
            } else if (usage != null && usage[2]) {
                encryption = c;
            } else if (usage != null && usage[0]) {
                signature = c;
            }
        }
        if (ca == null || encryption == null || signature == null) {
            throw new IllegalStateException("GetCACert at " + url + " did not give a CA, an encryption and a signing RA certificate: " + all);
        }
        return new CaCertificates(ca, encryption, signature);
    }

    /**
     * A PKCS #10 request for {@code key} with {@code subject} and NDES's challenge password; {@code keyUsage} (null: none)
     * is what NDES chooses its template by.
     */
    public static byte[] request(KeyPair key, String subject, String challengePassword, KeyUsage keyUsage) {
        try {
            JcaPKCS10CertificationRequestBuilder builder = new JcaPKCS10CertificationRequestBuilder(new X500Name(subject), key.getPublic());
            if (challengePassword != null) {
                builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_challengePassword, new DERPrintableString(challengePassword));
            }
            if (keyUsage != null) {
                builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest,
                        new Extensions(new Extension(Extension.keyUsage, true, keyUsage.getEncoded())));
            }
            return builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(key.getPrivate())).getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException("cannot make the request: " + e.getMessage(), e);
        }
    }

    /** {@link #request(KeyPair, String, String, KeyUsage)} without a key usage: NDES's GeneralPurposeTemplate. */
    public static byte[] request(KeyPair key, String subject, String challengePassword) {
        return request(key, subject, challengePassword, null);
    }

    /**
     * Sends a PKCSReq and returns the certificate.
     *
     * @throws Refused on FAILURE
     * @throws Pending on PENDING
     */
    public X509Certificate enroll(KeyPair key, byte[] csr) {
        return certificate(send(key, csr));
    }

    /** Sends a PKCSReq and returns NDES's answer, whatever it is. */
    public Answer send(KeyPair key, byte[] csr) {
        CaCertificates ra = caCertificates();
        X509Certificate self = selfSigned(key, "CN=SCEP Requester");
        String transactionId = transactionId(key);
        byte[] nonce = nonce();
        byte[] message = ScepMessage.sign(MessageType.PKCS_REQ, transactionId, nonce, null, null, null, null,
                ScepMessage.envelope(csr, ra.encryption(), ScepMessage.AES_128_CBC), key.getPrivate(), self, "SHA256");
        return answer(post(message), ra, key, self, nonce);
    }

    /**
     * GetCertInitial: what became of the PKCSReq with {@code transactionId}, asked with the same key.
     *
     * @param subject the subject the request asked for
     */
    public Answer poll(KeyPair key, String transactionId, String subject) {
        CaCertificates ra = caCertificates();
        X509Certificate self = selfSigned(key, "CN=SCEP Requester");
        byte[] nonce = nonce();
        byte[] issuerAndSubject;
        try {
            // IssuerAndSubject has IssuerAndSerialNumber's shape with a Name in the serial's place (RFC 8894 3.3.3)
            issuerAndSubject = new org.bouncycastle.asn1.DERSequence(new org.bouncycastle.asn1.ASN1Encodable[]{
                    X500Name.getInstance(ra.ca().getSubjectX500Principal().getEncoded()), new X500Name(subject)}).getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        byte[] message = ScepMessage.sign(MessageType.GET_CERT_INITIAL, transactionId, nonce, null, null, null, null,
                ScepMessage.envelope(issuerAndSubject, ra.encryption(), ScepMessage.AES_128_CBC), key.getPrivate(), self, "SHA256");
        return answer(post(message), ra, key, self, nonce);
    }

    /** Sends {@code message} as it is (POST PKIOperation) and returns the raw answer: for tests that send what no client would. */
    public byte[] post(byte[] message) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + "?operation=PKIOperation"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", ScepMessage.MEDIA_TYPE)
                .POST(HttpRequest.BodyPublishers.ofByteArray(message)).build();
        return exchange(request);
    }

    /** The certificate of a SUCCESS; see {@link #enroll}. */
    public static X509Certificate certificate(Answer answer) {
        return switch (answer.status()) {
            case SUCCESS -> answer.certificate();
            case PENDING -> throw new Pending(answer.transactionId());
            case FAILURE -> throw new Refused(answer);
        };
    }

    /** RFC 8894's transactionID: a hash of the public key, here SHA-256 in hex. */
    public static String transactionId(KeyPair key) {
        try {
            return HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getPublic().getEncoded()));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The self-signed certificate a SCEP requester signs its first request with. */
    public static X509Certificate selfSigned(KeyPair key, String subject) {
        try {
            Instant now = Instant.now();
            X500Name name = new X500Name(subject);
            return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name,
                    BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))),
                    name, key.getPublic()).build(new JcaContentSignerBuilder("SHA256withRSA").build(key.getPrivate())));
        } catch (Exception e) {
            throw new IllegalStateException("cannot make the self-signed certificate: " + e.getMessage(), e);
        }
    }

    /** A new senderNonce: 16 random bytes. */
    public static byte[] nonce() {
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        return nonce;
    }

    /**
     * NDES's answer as this client reads it: checked against the RA signing certificate and {@code nonce}, its content
     * decrypted with {@code key}.
     */
    public static Answer answer(byte[] der, CaCertificates ra, KeyPair key, X509Certificate self, byte[] nonce) {
        ScepMessage.Signed signed;
        try {
            signed = ScepMessage.read(der);
        } catch (ScepMessage.MalformedException e) {
            throw new IllegalStateException("NDES's answer is not a SCEP message: " + e.getMessage(), e);
        }
        if (!signed.signatureValid() || !signed.signer().equals(ra.signature())) {
            throw new IllegalStateException("NDES's answer is not signed by its RA signing certificate "
                    + ra.signature().getSubjectX500Principal() + " (signed by " + signed.signer().getSubjectX500Principal() + ")");
        }
        if (signed.type() != MessageType.CERT_REP || signed.status() == null) {
            throw new IllegalStateException("NDES's answer is no CertRep with a pkiStatus (messageType " + signed.messageTypeText() + ")");
        }
        if (!java.util.Arrays.equals(nonce, signed.recipientNonce())) {
            throw new IllegalStateException("NDES's answer carries another recipientNonce than the senderNonce sent");
        }
        X509Certificate certificate = null;
        if (signed.status() == PkiStatus.SUCCESS) {
            try {
                certificate = CertsOnlyPkcs7.decode(ScepMessage.open(signed.content(), key.getPrivate(), self).content()).get(0);
            } catch (Exception e) {
                throw new IllegalStateException("NDES's SUCCESS holds no certificate this key can read: " + e.getMessage(), e);
            }
        }
        return new Answer(signed.status(), signed.failInfo(), signed.failInfoText(), certificate, signed.transactionId());
    }

    private byte[] get(String operation) {
        return exchange(HttpRequest.newBuilder(URI.create(url + "?operation=" + operation)).timeout(Duration.ofSeconds(30)).GET().build());
    }

    private byte[] exchange(HttpRequest request) {
        HttpResponse<byte[]> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new IllegalStateException("NDES at " + url + " cannot be reached: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        if (response.statusCode() != 200) {
            throw new HttpRefusal(response.statusCode(), new String(response.body(), java.nio.charset.StandardCharsets.UTF_8));
        }
        return response.body();
    }
}
