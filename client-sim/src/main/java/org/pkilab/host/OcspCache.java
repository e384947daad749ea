package org.pkilab.host;

import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPReq;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.http.HttpMethod;

import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A computer's OCSP answers, as the CryptoAPI chain engine keeps them: a certificate whose Authority Information
 * Access names an OCSP responder ({@code id-ad-ocsp}) is checked there first, and the answer is kept until its
 * {@code nextUpdate}; only when no responder is named, or it gives no usable answer (unreachable, unknown, a signature
 * that does not verify), does the chain engine fall back to the CRL. So a certificate revoked at the CA is refused at
 * the next check through OCSP, while a CRL-only check waits for the next CRL the computer fetches.
 *
 * <p>An answer is accepted when it is signed by the certificate's issuer, or by a responder certificate the issuer
 * issued for OCSP Signing (1.3.6.1.5.5.7.3.9, the "OCSP Response Signing" template's certificate), when it carries the
 * nonce this computer sent, and when the lab clock lies between its {@code thisUpdate} and {@code nextUpdate}.
 */
public final class OcspCache {

    /** What a responder said of one certificate. */
    public enum Status { GOOD, REVOKED }

    /** A usable answer: the status, and for a revoked certificate when and why. */
    public record Answer(Status status, String responder, Instant revokedAt, int reason, Instant nextUpdate) {
    }

    private static final Duration SKEW = Duration.ofMinutes(15);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Supplier<LabHttp.Client> http;
    private final Clock clock;
    private final Map<String, Answer> cached = new ConcurrentHashMap<>();

    OcspCache(Supplier<LabHttp.Client> http, Clock clock) {
        this.http = http;
        this.clock = clock;
    }

    /**
     * The OCSP answer for {@code certificate} issued by {@code issuer}: empty when it names no responder or the responder
     * gives no usable answer (the caller falls back to the CRL, as Windows does).
     */
    Optional<Answer> check(X509Certificate certificate, X509Certificate issuer) {
        List<String> urls = responders(certificate);
        if (urls.isEmpty()) {
            return Optional.empty();
        }
        String key = issuer.getSubjectX500Principal().getName() + "#" + certificate.getSerialNumber();
        Answer held = cached.get(key);
        Instant now = clock.instant();
        if (held != null && held.nextUpdate() != null && now.isBefore(held.nextUpdate())) {
            return Optional.of(held);
        }
        for (String url : urls) {
            Optional<Answer> answer = ask(url, certificate, issuer, now);
            if (answer.isPresent()) {
                cached.put(key, answer.get());
                return answer;
            }
        }
        return Optional.empty();
    }

    /** Forgets every cached answer ({@code certutil -urlcache OCSP delete}); returns how many it held. */
    public int clear() {
        int held = cached.size();
        cached.clear();
        return held;
    }

    private Optional<Answer> ask(String url, X509Certificate certificate, X509Certificate issuer, Instant now) {
        try {
            CertificateID id = new CertificateID(new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
                    new JcaX509CertificateHolder(issuer), certificate.getSerialNumber());
            byte[] nonce = new byte[16];
            RANDOM.nextBytes(nonce);
            OCSPReq request = new OCSPReqBuilder().addRequest(id)
                    // RFC 8954: the extension's value is the DER of an OCTET STRING holding the nonce
                    .setRequestExtensions(new Extensions(new Extension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false,
                            new DEROctetString(new DEROctetString(nonce).getEncoded()))))
                    .build();
            ContentResponse response = http.get().newRequest(url).method(HttpMethod.POST)
                    .body(new BytesRequestContent("application/ocsp-request", request.getEncoded())).timeout(10, TimeUnit.SECONDS).send();
            if (response.getStatus() != 200) {
                return Optional.empty();
            }
            OCSPResp parsed = new OCSPResp(response.getContent());
            if (parsed.getStatus() != OCSPResp.SUCCESSFUL || !(parsed.getResponseObject() instanceof BasicOCSPResp basic)) {
                return Optional.empty();
            }
            if (!signedFor(basic, issuer) || !nonceMatches(basic, nonce)) {
                return Optional.empty();
            }
            for (SingleResp single : basic.getResponses()) {
                if (!single.getCertID().equals(id)) {
                    continue;
                }
                Instant thisUpdate = single.getThisUpdate().toInstant();
                Instant nextUpdate = single.getNextUpdate() == null ? null : single.getNextUpdate().toInstant();
                if (thisUpdate.isAfter(now.plus(SKEW)) || nextUpdate != null && !now.isBefore(nextUpdate)) {
                    return Optional.empty();
                }
                CertificateStatus status = single.getCertStatus();
                if (status == CertificateStatus.GOOD) {
                    return Optional.of(new Answer(Status.GOOD, url, null, -1, nextUpdate));
                }
                if (status instanceof RevokedStatus revoked) {
                    return Optional.of(new Answer(Status.REVOKED, url, revoked.getRevocationTime().toInstant(),
                            revoked.hasRevocationReason() ? revoked.getRevocationReason() : 0, nextUpdate));
                }
                return Optional.empty();
            }
            return Optional.empty();
        } catch (Exception e) {
            // unreachable, malformed, or not for this certificate: the chain engine goes on to the CRL
            return Optional.empty();
        }
    }

    /** Signed by the issuer itself, or by a certificate the issuer issued for OCSP Signing that the answer carries. */
    private static boolean signedFor(BasicOCSPResp basic, X509Certificate issuer) throws Exception {
        if (basic.isSignatureValid(new JcaContentVerifierProviderBuilder().build(issuer.getPublicKey()))) {
            return true;
        }
        for (X509CertificateHolder holder : basic.getCerts()) {
            X509Certificate responder = new JcaX509CertificateConverter().getCertificate(holder);
            List<String> purposes = responder.getExtendedKeyUsage();
            if (responder.getIssuerX500Principal().equals(issuer.getSubjectX500Principal()) && purposes != null
                    && purposes.contains(KeyPurposeId.id_kp_OCSPSigning.getId())) {
                try {
                    responder.verify(issuer.getPublicKey());
                } catch (Exception e) {
                    continue;
                }
                if (basic.isSignatureValid(new JcaContentVerifierProviderBuilder().build(responder.getPublicKey()))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean nonceMatches(BasicOCSPResp basic, byte[] sent) {
        Extension nonce = basic.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce);
        if (nonce == null) {
            return false;
        }
        try {
            return Arrays.equals(org.bouncycastle.asn1.ASN1OctetString.getInstance(nonce.getParsedValue()).getOctets(), sent);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The http URLs of the OCSP responders the certificate's Authority Information Access names. */
    static List<String> responders(X509Certificate certificate) {
        List<String> urls = new ArrayList<>();
        byte[] value = certificate.getExtensionValue(Extension.authorityInfoAccess.getId());
        if (value == null) {
            return urls;
        }
        try {
            AuthorityInformationAccess aia = AuthorityInformationAccess.getInstance(DEROctetString.getInstance(value).getOctets());
            for (AccessDescription d : aia.getAccessDescriptions()) {
                if (d.getAccessMethod().equals(AccessDescription.id_ad_ocsp)
                        && d.getAccessLocation().getTagNo() == GeneralName.uniformResourceIdentifier) {
                    String url = d.getAccessLocation().getName().toString();
                    if (url.startsWith("http://")) {
                        urls.add(url);
                    }
                }
            }
        } catch (RuntimeException e) {
            // an unreadable AIA names no responder: the CRL decides
        }
        return urls;
    }
}
