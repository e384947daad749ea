package org.pkilab.ca;

import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.ocsp.OCSPRequest;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ocsp.RevokedInfo;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPRespBuilder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPException;
import org.bouncycastle.cert.ocsp.OCSPReq;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.Req;
import org.bouncycastle.cert.ocsp.RespID;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.UnknownStatus;
import org.bouncycastle.operator.DigestCalculatorProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

import java.io.IOException;
import java.math.BigInteger;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The CA's Online Responder (RFC 6960 in the RFC 5019 profile): it answers "is this certificate revoked?" for
 * the CA's serial numbers straight from the CA database, so a revocation shows in the very next answer, while a
 * CRL shows it only once the next CRL is published and the client's cached one has expired.
 *
 * <pre>
 * request   CertID { SHA-1(issuer name), SHA-1(issuer key), serial 4a1f }   nonce 16 bytes
 * answer    successful, signed with the key of CN=ca01.contoso.com's OCSP Response Signing certificate (in the answer):
 *           4a1f revoked 2026-12-07T06:40:00Z keyCompromise   thisUpdate now, nextUpdate now + 1 h, the nonce echoed
 * </pre>
 *
 * <p>Each serial is answered {@code good} when the CA issued it and has not revoked it, {@code revoked} with the
 * time and reason when it has, and {@code unknown} when the CA never issued it. A CertID naming another issuer
 * makes the whole answer {@code unauthorized}, as RFC 5019 wants from a responder that is not authoritative for it;
 * anything that does not parse as an OCSP request, that asks about no certificate or more than
 * {@value #MAX_CERTIFICATES}, that names a hash algorithm the responder lacks, or whose nonce is outside RFC 8954's 1 to 32 bytes is {@code malformedRequest}.
 * Request signatures are not checked: the answer tells only what the CRL tells anyone.
 */
final class OnlineResponder {

    /** The most CertIDs one request may ask about: RFC 5019 clients ask about one. */
    static final int MAX_CERTIFICATES = 16;
    /** RFC 8954: a nonce is 1 to 32 octets. */
    static final int MAX_NONCE = 32;
    /** How long an answer may be cached: revocations show within this even to a client that caches answers. */
    static final Duration VALIDITY = Duration.ofHours(1);

    /** A row of the CA database by serial number, if there is one. */
    @FunctionalInterface
    interface Certificates {
        Optional<RequestRecord> bySerial(BigInteger serial);
    }

    /**
     * The key answers are signed with and the certificate that proves the CA gave it that job: the CA's own key
     * and certificate, or a delegated responder's key with its OCSP Response Signing certificate (RFC 6960 4.2.2.2).
     */
    record SigningKey(PrivateKey key, X509Certificate certificate, boolean delegated) {
    }

    private final Supplier<X509Certificate> caCertificate;
    private final Supplier<SigningKey> signingKey;
    private final Certificates certificates;
    private final Clock clock;
    private final DigestCalculatorProvider digests;

    OnlineResponder(Supplier<X509Certificate> caCertificate, Supplier<SigningKey> signingKey, Certificates certificates, Clock clock) {
        this.caCertificate = caCertificate;
        this.signingKey = signingKey;
        this.certificates = certificates;
        this.clock = clock;
        try {
            this.digests = new JcaDigestCalculatorProviderBuilder().build();
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The DER OCSPResponse for a DER OCSPRequest: never throws for what a client sends, only for a CA that cannot sign. */
    byte[] respond(byte[] requestDer) {
        Req[] asked;
        Extension nonce;
        try {
            // one DER object and nothing after it: BC's OCSPReq(byte[]) would read the first and ignore what follows
            OCSPReq request = new OCSPReq(OCSPRequest.getInstance(ASN1Primitive.fromByteArray(requestDer)));
            // BC parses lazily: read every part answered from now, so a broken one is malformedRequest here, not a failure later
            asked = request.getRequestList();
            for (Req one : asked) {
                one.getCertID().getSerialNumber();
                one.getCertID().getHashAlgOID();
            }
            nonce = request.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce);
        } catch (IOException | RuntimeException | StackOverflowError e) {
            // StackOverflowError: SEQUENCEs nested thousands deep, which BC walks by recursion; nothing is held while parsing
            return status(OCSPRespBuilder.MALFORMED_REQUEST);
        }
        if (asked.length == 0 || asked.length > MAX_CERTIFICATES || (nonce != null && !nonceLengthAllowed(nonce))) {
            return status(OCSPRespBuilder.MALFORMED_REQUEST);
        }
        try {
            X509CertificateHolder ca = new JcaX509CertificateHolder(caCertificate.get());
            for (Req one : asked) {
                boolean ours;
                try {
                    ours = one.getCertID().matchesIssuer(ca, digests);
                } catch (OCSPException e) {
                    // a hash algorithm the responder does not have: it cannot tell which issuer is meant
                    return status(OCSPRespBuilder.MALFORMED_REQUEST);
                }
                if (!ours) {
                    return status(OCSPRespBuilder.UNAUTHORIZED);
                }
            }
            SigningKey signer = signingKey.get();
            Instant now = clock.instant();
            BasicOCSPRespBuilder answer = new BasicOCSPRespBuilder(new RespID(
                    SubjectPublicKeyInfo.getInstance(signer.certificate().getPublicKey().getEncoded()),
                    digests.get(RespID.HASH_SHA1)));
            for (Req one : asked) {
                CertificateID id = one.getCertID();
                answer.addResponse(id, statusOf(id.getSerialNumber()), Date.from(now), Date.from(now.plus(VALIDITY)), null);
            }
            if (nonce != null) {
                answer.setResponseExtensions(new Extensions(new Extension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false,
                        nonce.getExtnValue())));
            }
            X509CertificateHolder[] chain = signer.delegated()
                    ? new X509CertificateHolder[]{new JcaX509CertificateHolder(signer.certificate())}
                    : null;
            return new OCSPRespBuilder().build(OCSPRespBuilder.SUCCESSFUL, answer.build(
                    new JcaContentSignerBuilder("SHA256withRSA").build(signer.key()), chain, Date.from(now))).getEncoded();
        } catch (OCSPException | IOException | CertificateEncodingException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException("the Online Responder could not sign its answer: " + e.getMessage(), e);
        }
    }

    /** What the CA database says of {@code serial}: null is BC's {@code good}. */
    private CertificateStatus statusOf(BigInteger serial) {
        Optional<RequestRecord> row = certificates.bySerial(serial);
        if (row.isEmpty() || row.get().certificate() == null) {
            return new UnknownStatus();
        }
        RequestRecord record = row.get();
        if (record.status() == RequestStatus.REVOKED && record.revokedAt() != null) {
            RevocationReason reason = record.revocationReason();
            // unspecified is left out, as RFC 5280 wants it left out of CRL entries
            return reason == null || reason == RevocationReason.UNSPECIFIED
                    ? new RevokedStatus(new RevokedInfo(new ASN1GeneralizedTime(Date.from(record.revokedAt())), null))
                    : new RevokedStatus(Date.from(record.revokedAt()), reason.code());
        }
        return CertificateStatus.GOOD;
    }

    /** RFC 8954's limit on the nonce itself: the extension holds it as an OCTET STRING, or bare from older clients. */
    private static boolean nonceLengthAllowed(Extension nonce) {
        byte[] value = nonce.getExtnValue().getOctets();
        int length = value.length;
        try {
            ASN1Primitive inner = ASN1Primitive.fromByteArray(value);
            if (inner instanceof ASN1OctetString octets) {
                length = octets.getOctets().length;
            }
        } catch (IOException | RuntimeException e) {
            // not DER: a bare nonce, counted as sent
        }
        return length >= 1 && length <= MAX_NONCE;
    }

    private static byte[] status(int status) {
        try {
            return new OCSPRespBuilder().build(status, null).getEncoded();
        } catch (OCSPException | IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
