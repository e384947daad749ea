package org.pkilab.enrollment;

import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.cmp.CMPCertificate;
import org.bouncycastle.asn1.cmp.CMPObjectIdentifiers;
import org.bouncycastle.asn1.cmp.CertRepMessage;
import org.bouncycastle.asn1.cmp.CertResponse;
import org.bouncycastle.asn1.cmp.ErrorMsgContent;
import org.bouncycastle.asn1.cmp.PKIBody;
import org.bouncycastle.asn1.cmp.PKIFreeText;
import org.bouncycastle.asn1.cmp.PKIMessage;
import org.bouncycastle.asn1.cmp.PKIStatus;
import org.bouncycastle.asn1.cmp.PKIStatusInfo;
import org.bouncycastle.asn1.cmp.PollRepContent;
import org.bouncycastle.asn1.cmp.PollReqContent;
import org.bouncycastle.asn1.cmp.RevDetails;
import org.bouncycastle.asn1.cmp.RevRepContent;
import org.bouncycastle.asn1.cmp.RevReqContent;
import org.bouncycastle.asn1.crmf.CertReqMessages;
import org.bouncycastle.asn1.crmf.CertTemplateBuilder;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.CertificationRequest;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.cmp.CertificateConfirmationContentBuilder;
import org.bouncycastle.cert.cmp.GeneralPKIMessage;
import org.bouncycastle.cert.cmp.ProtectedPKIMessage;
import org.bouncycastle.cert.cmp.ProtectedPKIMessageBuilder;
import org.bouncycastle.cert.crmf.CertificateRequestMessageBuilder;
import org.bouncycastle.cert.crmf.PKMACBuilder;
import org.bouncycastle.cert.crmf.jcajce.JcePKMACValuesCalculator;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.asn1.cmp.PBMParameter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.pkilab.windows.WindowsError;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.Date;
import java.util.Objects;

/**
 * The lab's CMP client (RFC 9483's lightweight profile, over HTTP as RFC 6712 carries it), as a device or a host speaks
 * to the CA's {@code /.well-known/cmp}: with a shared secret an administrator issued for its account (MAC protection,
 * {@code ir}), or with a certificate the CA issued it (signature protection: {@code cr}, {@code kur}, {@code rr}).
 * Each enrollment is one transaction: the request, the certificate (polling while a certificate manager holds it),
 * and the confirmation ({@code certConf}).
 *
 * <pre>{@code
 * CmpClient device = CmpClient.withSecret(ca.cmpUrl(), ca.certificate(), "5c1f0e9a27d4b3e8", secret);
 * X509Certificate cert = device.enroll("WebServer", key, "CN=iis01.contoso.com", "iis01.contoso.com");
 * CmpClient holder = CmpClient.withCertificate(ca.cmpUrl(), ca.certificate(), cert, key.getPrivate());
 * X509Certificate renewed = holder.renew(newKey);
 * holder.revoke(cert, CRLReason.keyCompromise);
 * }</pre>
 *
 * <p>A refusal is an {@link EnrollmentException} carrying the AD CS error the CA put in the answer's {@code statusString}
 * ({@code 0x80094012 CERTSRV_E_TEMPLATE_DENIED: ...}); a request still held after the polling time is a
 * {@link PendingException}. Answers are checked before they are believed: the MAC with the secret, or the signature of
 * a certificate the trusted CA issued.
 */
public final class CmpClient {

    /** The media type of CMP over HTTP. */
    public static final String MEDIA_TYPE = "application/pkixcmp";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String baseUrl;
    private final X509Certificate ca;
    private final String reference;
    private final String secret;
    private final X509Certificate certificate;
    private final PrivateKey key;
    private final Duration polling;
    private final HttpClient http;

    private CmpClient(String baseUrl, X509Certificate ca, String reference, String secret, X509Certificate certificate, PrivateKey key,
                      Duration polling) {
        this.baseUrl = Objects.requireNonNull(baseUrl, "a CMP client needs the CA's CMP URL").replaceAll("/+$", "");
        this.ca = Objects.requireNonNull(ca, "a CMP client needs the CA certificate it trusts");
        this.reference = reference;
        this.secret = secret;
        this.certificate = certificate;
        this.key = key;
        this.polling = polling;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** MAC protection with the secret an administrator issued ({@code pkilab cmp secret <account>}) and its reference. */
    public static CmpClient withSecret(String baseUrl, X509Certificate ca, String reference, String secret) {
        return new CmpClient(baseUrl, ca, Objects.requireNonNull(reference, "reference"), Objects.requireNonNull(secret, "secret"),
                null, null, Duration.ofMinutes(2));
    }

    /** Signature protection with a certificate the CA issued and its private key. */
    public static CmpClient withCertificate(String baseUrl, X509Certificate ca, X509Certificate certificate, PrivateKey key) {
        return new CmpClient(baseUrl, ca, null, null, Objects.requireNonNull(certificate, "certificate"), Objects.requireNonNull(key, "key"),
                Duration.ofMinutes(2));
    }

    /** This client, waiting at most {@code time} for a certificate manager before {@link PendingException}; if unset 2 minutes. */
    public CmpClient polling(Duration time) {
        if (time.isNegative()) {
            throw new IllegalArgumentException("polling time < 0: " + time);
        }
        return new CmpClient(baseUrl, ca, reference, secret, certificate, key, time);
    }

    /**
     * A certificate from {@code template} for {@code keys}: {@code ir} with a secret, {@code cr} with a certificate.
     *
     * @param subject  {@code CN=iis01.contoso.com}; empty for none
     * @param dnsNames the DNS names of the subject alternative name, if any
     */
    public X509Certificate enroll(String template, KeyPair keys, String subject, String... dnsNames) {
        return transaction(template, certificate == null ? PKIBody.TYPE_INIT_REQ : PKIBody.TYPE_CERT_REQ, keys,
                subject == null || subject.isEmpty() ? null : new X500Name(subject), dnsNames, null);
    }

    /** A certificate from {@code template} for a PKCS #10 request ({@code p10cr}). */
    public X509Certificate enroll(String template, byte[] pkcs10) {
        return transaction(template, PKIBody.TYPE_P10_CERT_REQ, null, null, new String[0], pkcs10);
    }

    /**
     * The certificate this client signs with, renewed for {@code newKeys} ({@code kur}) from the template it came from, for its
     * subject and DNS names (a renewal asks for the names it renews, as {@code openssl cmp -cmd kur} copies them).
     */
    public X509Certificate renew(KeyPair newKeys) {
        if (certificate == null) {
            throw new IllegalStateException("a kur is signed with the certificate it renews: use CmpClient.withCertificate");
        }
        String[] dnsNames;
        try {
            dnsNames = certificate.getSubjectAlternativeNames() == null ? new String[0] : certificate.getSubjectAlternativeNames().stream()
                    .filter(name -> Integer.valueOf(GeneralName.dNSName).equals(name.get(0))).map(name -> (String) name.get(1))
                    .toArray(String[]::new);
        } catch (java.security.cert.CertificateParsingException e) {
            throw new IllegalStateException("the certificate's subject alternative names cannot be read: " + e.getMessage(), e);
        }
        return transaction(null, PKIBody.TYPE_KEY_UPDATE_REQ, newKeys, X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()),
                dnsNames, null);
    }

    /** Revokes {@code revoked} ({@code rr}) for {@code reason} ({@link CRLReason#keyCompromise} ...). */
    public void revoke(X509Certificate revoked, int reason) {
        try {
            CertTemplateBuilder template = new CertTemplateBuilder()
                    .setIssuer(X500Name.getInstance(revoked.getIssuerX500Principal().getEncoded()))
                    .setSerialNumber(new ASN1Integer(revoked.getSerialNumber()));
            Extensions details = new Extensions(new Extension(Extension.reasonCode, false, CRLReason.lookup(reason).getEncoded()));
            PKIBody body = new PKIBody(PKIBody.TYPE_REVOCATION_REQ, new RevReqContent(new RevDetails(template.build(), details)));
            byte[] transactionId = random(16);
            PKIMessage answer = exchange(null, message(transactionId, null, body, false));
            if (answer.getBody().getType() != PKIBody.TYPE_REVOCATION_REP) {
                throw refusal(answer, "rr");
            }
            PKIStatusInfo status = RevRepContent.getInstance(answer.getBody().getContent()).getStatus()[0];
            if (status.getStatus().intValue() != PKIStatus.GRANTED && status.getStatus().intValue() != PKIStatus.GRANTED_WITH_MODS) {
                throw refused(status, "rr");
            }
        } catch (IOException e) {
            throw new IllegalStateException("the rr could not be encoded: " + e.getMessage(), e);
        }
    }

    private X509Certificate transaction(String template, int type, KeyPair keys, X500Name subject, String[] dnsNames, byte[] pkcs10) {
        byte[] transactionId = random(16);
        PKIBody body;
        try {
            if (type == PKIBody.TYPE_P10_CERT_REQ) {
                body = new PKIBody(type, CertificationRequest.getInstance(pkcs10));
            } else {
                CertificateRequestMessageBuilder request = new CertificateRequestMessageBuilder(BigInteger.ZERO)
                        .setPublicKey(SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded()))
                        .setProofOfPossessionSigningKeySigner(signer(keys.getPrivate()));
                // an empty subject rather than none: without one, CRMF's proof of possession needs a MAC of its own (RFC 4211 4.1)
                request.setSubject(subject != null ? subject : new X500Name(new org.bouncycastle.asn1.x500.RDN[0]));
                if (dnsNames.length > 0) {
                    request.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(Arrays.stream(dnsNames)
                            .map(n -> new GeneralName(GeneralName.dNSName, n)).toArray(GeneralName[]::new)));
                }
                body = new PKIBody(type, new CertReqMessages(request.build().toASN1Structure()));
            }
        } catch (Exception e) {
            throw new IllegalStateException("the certificate request could not be made: " + e.getMessage(), e);
        }
        BigInteger certReqId = type == PKIBody.TYPE_P10_CERT_REQ ? BigInteger.valueOf(-1) : BigInteger.ZERO;
        PKIMessage answer = exchange(template, message(transactionId, null, body, false));
        long deadline = System.nanoTime() + polling.toNanos();
        while (true) {
            int answerType = answer.getBody().getType();
            if (answerType == PKIBody.TYPE_POLL_REP) {
                PollRepContent wait = PollRepContent.getInstance(answer.getBody().getContent());
                long seconds = Math.max(1, wait.getCheckAfter(0).getValue().longValueExact());
                if (System.nanoTime() + seconds * 1_000_000_000L > deadline) {
                    throw new PendingException(-1, Duration.ofSeconds(seconds), "the CA still holds the request for a certificate manager "
                            + "after " + polling.toSeconds() + " s of polling (transaction " + hex(transactionId) + ")");
                }
                sleep(seconds);
                answer = exchange(template, message(transactionId, nonce(answer), new PKIBody(PKIBody.TYPE_POLL_REQ,
                        new PollReqContent(certReqId)), false));
                continue;
            }
            if (answerType != PKIBody.TYPE_INIT_REP && answerType != PKIBody.TYPE_CERT_REP && answerType != PKIBody.TYPE_KEY_UPDATE_REP) {
                throw refusal(answer, "the request");
            }
            CertResponse response = CertRepMessage.getInstance(answer.getBody().getContent()).getResponse()[0];
            int status = response.getStatus().getStatus().intValue();
            if (status == PKIStatus.WAITING) {
                if (System.nanoTime() > deadline) {
                    throw new PendingException(-1, "the CA holds the request for a certificate manager: " + text(response.getStatus()));
                }
                sleep(1);
                answer = exchange(template, message(transactionId, nonce(answer), new PKIBody(PKIBody.TYPE_POLL_REQ,
                        new PollReqContent(certReqId)), false));
                continue;
            }
            if (status != PKIStatus.GRANTED && status != PKIStatus.GRANTED_WITH_MODS) {
                throw refused(response.getStatus(), "the request");
            }
            CMPCertificate issued = response.getCertifiedKeyPair().getCertOrEncCert().getCertificate();
            X509Certificate result = parse(issued);
            confirm(template, transactionId, answer, result, certReqId);
            return result;
        }
    }

    private void confirm(String template, byte[] transactionId, PKIMessage answer, X509Certificate issued, BigInteger certReqId) {
        if (Arrays.stream(answer.getHeader().getGeneralInfo() == null ? new org.bouncycastle.asn1.cmp.InfoTypeAndValue[0]
                : answer.getHeader().getGeneralInfo()).anyMatch(i -> CMPObjectIdentifiers.it_implicitConfirm.equals(i.getInfoType()))) {
            return;
        }
        try {
            PKIBody body = new PKIBody(PKIBody.TYPE_CERT_CONFIRM, new CertificateConfirmationContentBuilder()
                    .addAcceptedCertificate(new JcaX509CertificateHolder(issued), certReqId)
                    .build(new JcaDigestCalculatorProviderBuilder().build()).toASN1Structure());
            PKIMessage confirmed = exchange(template, message(transactionId, nonce(answer), body, false));
            if (confirmed.getBody().getType() != PKIBody.TYPE_CONFIRM) {
                throw refusal(confirmed, "certConf");
            }
        } catch (EnrollmentException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("the certConf could not be made: " + e.getMessage(), e);
        }
    }

    private PKIMessage message(byte[] transactionId, byte[] recipNonce, PKIBody body, boolean implicitConfirm) {
        X500Name me = certificate == null ? new X500Name(new org.bouncycastle.asn1.x500.RDN[0])
                : X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
        ProtectedPKIMessageBuilder builder = new ProtectedPKIMessageBuilder(new GeneralName(me),
                new GeneralName(X500Name.getInstance(ca.getSubjectX500Principal().getEncoded())))
                .setTransactionID(transactionId)
                .setSenderNonce(random(16))
                .setMessageTime(new Date())
                .setBody(body);
        if (recipNonce != null) {
            builder.setRecipNonce(recipNonce);
        }
        if (implicitConfirm) {
            builder.addGeneralInfo(new org.bouncycastle.asn1.cmp.InfoTypeAndValue(CMPObjectIdentifiers.it_implicitConfirm, DERNull.INSTANCE));
        }
        try {
            if (secret != null) {
                builder.setSenderKID(reference.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                return builder.build(new PKMACBuilder(new JcePKMACValuesCalculator()).setParameters(new PBMParameter(random(16),
                        new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256), 10_000,
                        new AlgorithmIdentifier(PKCSObjectIdentifiers.id_hmacWithSHA256))).build(secret.toCharArray())).toASN1Structure();
            }
            builder.addCMPCertificate(new JcaX509CertificateHolder(certificate));
            return builder.build(signer(key)).toASN1Structure();
        } catch (Exception e) {
            throw new IllegalStateException("the CMP message could not be protected: " + e.getMessage(), e);
        }
    }

    /** Sends {@code message} and returns the answer once its protection checks out. */
    private PKIMessage exchange(String template, PKIMessage message) {
        String url = baseUrl + (template == null ? "" : "/p/" + java.net.URLEncoder.encode(template, java.nio.charset.StandardCharsets.UTF_8)
                .replace("+", "%20"));
        HttpResponse<byte[]> response;
        try {
            response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                    .header("Content-Type", MEDIA_TYPE).POST(HttpRequest.BodyPublishers.ofByteArray(message.getEncoded("DER"))).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new EnrollmentException(0, null, "the CMP request to " + url + " failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EnrollmentException(0, null, "interrupted while sending to " + url);
        }
        if (response.statusCode() != 200 || !response.headers().firstValue("Content-Type").orElse("").startsWith(MEDIA_TYPE)) {
            throw EnrollmentException.fromAnswer(response.statusCode(), response.headers().firstValue("X-ADCS-Error").orElse(null),
                    new String(response.body(), java.nio.charset.StandardCharsets.UTF_8));
        }
        PKIMessage answer = PKIMessage.getInstance(response.body());
        if (!Arrays.equals(answer.getHeader().getTransactionID().getOctets(), message.getHeader().getTransactionID().getOctets())
                || answer.getHeader().getRecipNonce() == null
                || !Arrays.equals(answer.getHeader().getRecipNonce().getOctets(), message.getHeader().getSenderNonce().getOctets())) {
            throw new EnrollmentException(200, null, "the CMP answer from " + url + " is not the answer to this message "
                    + "(transactionID or recipNonce differ)");
        }
        verify(answer, url);
        return answer;
    }

    private void verify(PKIMessage answer, String url) {
        ProtectedPKIMessage protectedAnswer = new ProtectedPKIMessage(new GeneralPKIMessage(answer));
        boolean verified;
        try {
            if (protectedAnswer.hasPasswordBasedMacProtection()) {
                verified = secret != null && protectedAnswer.verify(new PKMACBuilder(new JcePKMACValuesCalculator(), 100_000), secret.toCharArray());
            } else {
                X509CertificateHolder signer = protectedAnswer.getCertificates()[0];
                verified = signer.isSignatureValid(new JcaContentVerifierProviderBuilder().build(ca.getPublicKey()))
                        && protectedAnswer.verify(new JcaContentVerifierProviderBuilder().build(signer));
            }
        } catch (Exception e) {
            verified = false;
        }
        if (!verified && answer.getBody().getType() != PKIBody.TYPE_ERROR) {
            throw new EnrollmentException(200, null, "the CMP answer from " + url + " does not verify: neither the MAC with the secret "
                    + "nor a signature by a certificate " + ca.getSubjectX500Principal().getName() + " issued");
        }
    }

    private static EnrollmentException refusal(PKIMessage answer, String what) {
        if (answer.getBody().getType() == PKIBody.TYPE_ERROR) {
            return refused(ErrorMsgContent.getInstance(answer.getBody().getContent()).getPKIStatusInfo(), what);
        }
        return new EnrollmentException(200, null, "the CA answered " + what + " with a message of body type " + answer.getBody().getType());
    }

    private static EnrollmentException refused(PKIStatusInfo status, String what) {
        String text = text(status);
        return new EnrollmentException(200, WindowsError.find(text).orElse(null), "the CA refused " + what + ": " + text);
    }

    private static String text(PKIStatusInfo status) {
        PKIFreeText text = status.getStatusString();
        StringBuilder out = new StringBuilder();
        for (int i = 0; text != null && i < text.size(); i++) {
            out.append(i == 0 ? "" : " ").append(text.getStringAtUTF8(i).getString());
        }
        if (status.getFailInfo() != null) {
            out.append(" (PKIFailureInfo ").append(status.getFailInfo().intValue()).append(")");
        }
        return out.toString();
    }

    private static byte[] nonce(PKIMessage answer) {
        return answer.getHeader().getSenderNonce().getOctets();
    }

    private static ContentSigner signer(PrivateKey key) throws Exception {
        return new JcaContentSignerBuilder(key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA").build(key);
    }

    private static X509Certificate parse(CMPCertificate certificate) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
                    new java.io.ByteArrayInputStream(certificate.getX509v3PKCert().getEncoded("DER")));
        } catch (Exception e) {
            throw new IllegalStateException("the issued certificate does not parse: " + e.getMessage(), e);
        }
    }

    private static void sleep(long seconds) {
        try {
            Thread.sleep(seconds * 1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PendingException(-1, "interrupted while waiting to poll");
        }
    }

    private static byte[] random(int bytes) {
        byte[] out = new byte[bytes];
        RANDOM.nextBytes(out);
        return out;
    }

    private static String hex(byte[] bytes) {
        return java.util.HexFormat.of().formatHex(bytes);
    }
}
