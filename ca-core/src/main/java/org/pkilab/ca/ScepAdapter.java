package org.pkilab.ca;

import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.enrollment.CaRegistrySettings;
import org.pkilab.enrollment.CertsOnlyPkcs7;
import org.pkilab.enrollment.ScepMessage;
import org.pkilab.enrollment.ScepMessage.FailInfo;
import org.pkilab.enrollment.ScepMessage.MessageType;
import org.pkilab.enrollment.ScepMessage.PkiStatus;
import org.pkilab.windows.WindowsError;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The Network Device Enrollment Service: SCEP (RFC 8894) at {@value #PATH}, as NDES serves it from IIS on the CA's
 * plain-HTTP port (and, here, on HTTPS as well), and its administrators' page {@value #ADMIN_PATH}/ on HTTPS.
 *
 * <pre>
 * GET  mscep.dll?operation=GetCACaps                   POSTPKIOperation, SHA-512, SHA-256, SHA-1, DES3, AES, SCEPStandard
 * GET  mscep.dll?operation=GetCACert                   the CA and the two RA certificates (application/x-x509-ca-ra-cert)
 * GET  mscep.dll?operation=PKIOperation&amp;message=...    a pkiMessage in base64 (POST: the DER as the body)
 * GET  /certsrv/mscep_admin/                           "The enrollment challenge password is: 3F2A6D7F0F3C2B1A"
 * </pre>
 *
 * <p>A device's request (PKCSReq) is a PKCS #10 request with a one-time challenge password, encrypted to the CEP
 * Encryption certificate and signed with the device's own (self-signed) key. NDES checks and uses up the password, picks
 * the template by the key usage the request asks for ({@code MSCEP\SignatureTemplate}, {@code EncryptionTemplate} or
 * {@code GeneralPurposeTemplate}, each IPSec (Offline request) on a new NDES) and submits the request to the CA as its
 * service account: the CA judges that account's token against the template's ACL and records the request under it, as
 * a Windows CA records {@code CONTOSO\NDES01$} (here the CA host's own computer account, as NDES with the built-in
 * application pool identity on the CA host). Its answer (CertRep) is signed with the Exchange Enrollment Agent (Offline
 * request) key: {@code SUCCESS} with the certificate encrypted back to the device, {@code PENDING} when the template
 * needs a certificate manager's approval (the device then polls with GetCertInitial under the same transactionID), or
 * {@code FAILURE} with a {@code failInfo} and, in {@code failInfoText}, the AD CS code and the reason:
 *
 * <pre>
 * badRequest       0x80094012 CERTSRV_E_TEMPLATE_DENIED ... CONTOSO\CA01$ holds no Enroll right on 'IPSec (Offline request)' ...
 * badRequest       the challenge password was used already / expired / is none NDES gave out
 * badMessageCheck  the signature does not verify; the request is not encrypted to the CEP Encryption certificate
 * badAlg           a digest or content-encryption algorithm SCEP does not name
 * badTime          the message was signed more than a day from the CA's clock
 * badCertId        GetCertInitial for a transactionID NDES does not know
 * </pre>
 *
 * A message that cannot be read as a pkiMessage at all (not CMS, no signer certificate, no transactionID) has no one
 * to answer to in SCEP's form: it gets HTTP 400 and a sentence. A replayed message (a senderNonce seen before) is a
 * FAILURE, and nothing reaches the CA.
 */
final class ScepAdapter {

    static final String PATH = "/certsrv/mscep/mscep.dll";
    static final String ADMIN_PATH = "/certsrv/mscep_admin";
    static final int MAX_BODY = 64 * 1024;
    static final String CA_RA_CERT_TYPE = "application/x-x509-ca-ra-cert";
    static final String CAPABILITIES = "POSTPKIOperation\nSHA-512\nSHA-256\nSHA-1\nDES3\nAES\nSCEPStandard\n";
    /** How far a message's signingTime may be from the CA's clock. */
    static final Duration CLOCK_SKEW = Duration.ofDays(1);
    private static final int REMEMBERED = 10_000;
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * What NDES needs from the CA host: its RA keys, its challenge passwords, its service account's logon token and its
     * {@code MSCEP} templates.
     */
    record Ndes(RaCertificates ra, ChallengePasswords passwords, Supplier<LogonToken> serviceAccount,
                Supplier<CaRegistrySettings.NdesTemplates> templates, Clock clock) {
    }

    /** A request NDES submitted: the CA's request id, and the key of the device that sent it (the only one it answers about it). */
    private record Transaction(long requestId, byte[] signerKey) {
    }

    private final String caName;
    private final Supplier<String> adminUrl;
    private final Supplier<X509Certificate> caCertificate;
    private final Enrollment enrollment;
    private final EnrollmentPolicySource templates;
    private final HttpLogon logon;
    private final Ndes ndes;
    private final Map<String, Transaction> transactions = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Transaction> eldest) {
            return size() > REMEMBERED;
        }
    };
    private final Set<String> nonces = new LinkedHashSet<>();

    ScepAdapter(String caName, Supplier<String> adminUrl, Supplier<X509Certificate> caCertificate, Enrollment enrollment,
                EnrollmentPolicySource templates, HttpLogon logon, Ndes ndes) {
        this.caName = caName;
        this.adminUrl = adminUrl;
        this.caCertificate = caCertificate;
        this.enrollment = enrollment;
        this.templates = templates;
        this.logon = logon;
        this.ndes = ndes;
    }

    /** {@code request}'s path is {@value #PATH}, or below it as Cisco devices send it ({@code mscep.dll/pkiclient.exe}). */
    void handle(Request request, Response response, Callback callback) {
        String method = request.getMethod();
        if (!"GET".equals(method) && !"POST".equals(method)) {
            response.getHeaders().put(HttpHeader.ALLOW, "GET, POST");
            HttpAnswers.text(response, callback, 405, "SCEP takes GET " + PATH + "?operation=... and POST ?operation=PKIOperation\n");
            return;
        }
        Fields query = Request.extractQueryParameters(request);
        String operation = query.getValue("operation");
        if (operation == null) {
            HttpAnswers.text(response, callback, 400, "Bad Request: no operation; use " + PATH
                    + "?operation=GetCACaps, GetCACert or PKIOperation (RFC 8894)\n");
            return;
        }
        switch (operation) {
            case "GetCACaps" -> HttpAnswers.send(response, callback, 200, "text/plain", CAPABILITIES.getBytes(StandardCharsets.US_ASCII));
            case "GetCACert" -> caCertificates(response, callback);
            case "PKIOperation" -> {
                byte[] message = "POST".equals(method) ? body(request, response, callback) : fromQuery(query.getValue("message"), response, callback);
                if (message != null) {
                    answer(response, callback, message);
                }
            }
            default -> HttpAnswers.text(response, callback, 400, "Bad Request: unknown operation '" + RequestedNames.printable(operation)
                    + "'; NDES answers GetCACaps, GetCACert and PKIOperation\n");
        }
    }

    private void caCertificates(Response response, Callback callback) {
        List<X509Certificate> certificates;
        try {
            certificates = List.of(caCertificate.get(), ndes.ra().encryption().certificate(), ndes.ra().signature().certificate());
        } catch (CaException e) {
            HttpAnswers.text(response, callback, 503, "NDES has no RA certificates: " + e.getMessage() + "\n");
            return;
        }
        HttpAnswers.send(response, callback, 200, CA_RA_CERT_TYPE, CertsOnlyPkcs7.encode(certificates));
    }

    private static byte[] body(Request request, Response response, Callback callback) {
        if (request.getLength() > MAX_BODY) {
            tooLarge(response, callback, "declares " + request.getLength() + " bytes");
            return null;
        }
        byte[] body;
        try {
            body = Content.Source.asInputStream(request).readNBytes(MAX_BODY + 1);
        } catch (IOException | RuntimeException e) {
            HttpAnswers.text(response, callback, 400, "Bad Request: the request body could not be read to its end (" + e.getMessage()
                    + "); send it whole\n");
            return null;
        }
        if (body.length > MAX_BODY) {
            tooLarge(response, callback, "is over " + MAX_BODY + " bytes");
            return null;
        }
        return body;
    }

    private static byte[] fromQuery(String message, Response response, Callback callback) {
        if (message == null || message.isBlank()) {
            HttpAnswers.text(response, callback, 400, "Bad Request: PKIOperation by GET carries the pkiMessage in base64 as "
                    + "&message=...; none came\n");
            return null;
        }
        try {
            // a '+' the client did not percent-encode arrives as a space from the form decoding
            return Base64.getMimeDecoder().decode(message.replace(' ', '+'));
        } catch (IllegalArgumentException e) {
            HttpAnswers.text(response, callback, 400, "Bad Request: the message parameter is not base64 (" + e.getMessage() + ")\n");
            return null;
        }
    }

    private static void tooLarge(Response response, Callback callback, String what) {
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        HttpAnswers.text(response, callback, 413, "Content Too Large: the SCEP message " + what + "; NDES reads at most " + MAX_BODY
                + " bytes (a request is a few KB)\n");
    }

    private void answer(Response response, Callback callback, byte[] der) {
        ScepMessage.Signed message;
        try {
            message = ScepMessage.read(der);
        } catch (ScepMessage.MalformedException e) {
            HttpAnswers.text(response, callback, 400, "Bad Request: not a SCEP pkiMessage: " + e.getMessage() + "\n");
            return;
        }
        if (message.transactionId() == null || message.senderNonce() == null || message.messageTypeText() == null) {
            HttpAnswers.text(response, callback, 400, "Bad Request: the pkiMessage lacks its "
                    + (message.messageTypeText() == null ? "messageType" : message.transactionId() == null ? "transactionID" : "senderNonce")
                    + " signed attribute; RFC 8894 3.2.1 requires messageType, transactionID and senderNonce\n");
            return;
        }
        RaCertificates.RaKey signer;
        RaCertificates.RaKey encryption;
        try {
            signer = ndes.ra().signature();
            encryption = ndes.ra().encryption();
        } catch (CaException e) {
            HttpAnswers.text(response, callback, 503, "NDES has no RA certificates: " + e.getMessage() + "\n");
            return;
        }
        Reply reply = new Reply(message, signer, message.digest() == null ? "SHA256" : message.digest());
        HttpAnswers.send(response, callback, 200, ScepMessage.MEDIA_TYPE, operation(message, encryption, reply));
    }

    /** Signs CertReps for one message: its transactionID, its senderNonce as recipientNonce, its digest. */
    private record Reply(ScepMessage.Signed message, RaCertificates.RaKey signer, String digest) {
        byte[] failure(FailInfo failInfo, String text) {
            return sign(PkiStatus.FAILURE, failInfo, text, null);
        }

        byte[] sign(PkiStatus status, FailInfo failInfo, String text, byte[] content) {
            byte[] nonce = new byte[16];
            RANDOM.nextBytes(nonce);
            return ScepMessage.sign(MessageType.CERT_REP, message.transactionId(), nonce, message.senderNonce(), status, failInfo, text,
                    content, signer.key(), signer.certificate(), digest);
        }
    }

    private byte[] operation(ScepMessage.Signed message, RaCertificates.RaKey encryption, Reply reply) {
        if (message.digest() == null) {
            return reply.failure(FailInfo.BAD_ALG, "the message's digest algorithm is none SCEP names; sign with SHA-256 (or SHA-1, SHA-512)");
        }
        if (!message.signatureValid()) {
            return reply.failure(FailInfo.BAD_MESSAGE_CHECK, "the message's signature does not verify with the certificate it was sent "
                    + "with (" + RequestedNames.printable(message.signer().getSubjectX500Principal().getName()) + "); nothing was submitted");
        }
        if (message.signingTime() != null
                && Duration.between(message.signingTime(), ndes.clock().instant()).abs().compareTo(CLOCK_SKEW) > 0) {
            return reply.failure(FailInfo.BAD_TIME, "the message was signed at " + message.signingTime() + ", and " + caName
                    + "'s clock says " + ndes.clock().instant() + "; set the device's clock");
        }
        if (!firstSeen(message.senderNonce())) {
            return reply.failure(FailInfo.BAD_REQUEST, "this message (senderNonce " + HexFormat.of().formatHex(message.senderNonce())
                    + ") was sent before: a replay; nothing was submitted. A new message needs a new senderNonce");
        }
        if (message.type() != MessageType.PKCS_REQ && message.type() != MessageType.GET_CERT_INITIAL) {
            return reply.failure(FailInfo.BAD_REQUEST, "NDES takes PKCSReq (19) and GetCertInitial (20), not messageType "
                    + RequestedNames.printable(message.messageTypeText()));
        }
        if (message.content() == null) {
            return reply.failure(FailInfo.BAD_REQUEST, "the message carries no content; a " + message.type() + " carries an EnvelopedData");
        }
        ScepMessage.Opened opened;
        try {
            opened = ScepMessage.open(message.content(), encryption.key(), encryption.certificate());
        } catch (ScepMessage.MalformedException e) {
            return reply.failure(FailInfo.BAD_MESSAGE_CHECK, e.getMessage() + "; encrypt the request to NDES's CEP Encryption certificate "
                    + "(GetCACert), serial " + encryption.certificate().getSerialNumber().toString(16));
        } catch (NoSuchAlgorithmException e) {
            return reply.failure(FailInfo.BAD_ALG, e.getMessage());
        } catch (java.security.GeneralSecurityException e) {
            return reply.failure(FailInfo.BAD_MESSAGE_CHECK, undecryptable(encryption));
        }
        byte[] signerKey = message.signer().getPublicKey().getEncoded();
        Transaction known;
        synchronized (transactions) {
            known = transactions.get(message.transactionId());
        }
        if (known != null && !Arrays.equals(known.signerKey(), signerKey)) {
            return reply.failure(FailInfo.BAD_REQUEST, "transactionID " + RequestedNames.printable(message.transactionId())
                    + " is request " + known.requestId() + "'s, sent with another key; a new request needs a new transactionID");
        }
        if (message.type() == MessageType.GET_CERT_INITIAL) {
            if (known == null) {
                return reply.failure(FailInfo.BAD_CERT_ID, "NDES knows no request with transactionID "
                        + RequestedNames.printable(message.transactionId()) + " (it remembers them until " + caName + " restarts); send a new PKCSReq");
            }
            return retrieved(reply, opened, known.requestId());
        }
        if (known != null) {
            // the same request sent again (a device retrying): its answer as it stands now, and no second request
            return retrieved(reply, opened, known.requestId());
        }
        return pkcsReq(reply, opened, signerKey, encryption);
    }

    /**
     * The one answer to a request NDES cannot decrypt or read: the RSA padding of the key, the content's encryption and the
     * PKCS #10 inside all fail alike, with the same text (see {@link ScepMessage#open}), so the CEP Encryption key is no oracle.
     */
    private static String undecryptable(RaCertificates.RaKey encryption) {
        return "the request cannot be decrypted with NDES's CEP Encryption key, or what it holds is no PKCS #10 request; nothing "
                + "was submitted. Encrypt a PKCS #10 request to the CEP Encryption certificate GetCACert returns (serial "
                + encryption.certificate().getSerialNumber().toString(16) + ") with AES or DES3";
    }

    private byte[] pkcsReq(Reply reply, ScepMessage.Opened opened, byte[] signerKey, RaCertificates.RaKey encryption) {
        PKCS10CertificationRequest csr;
        try {
            csr = new PKCS10CertificationRequest(opened.content());
        } catch (IOException | RuntimeException e) {
            // content decrypted with the substitute key of a bad RSA block is noise: answered as a decryption failure
            return reply.failure(FailInfo.BAD_MESSAGE_CHECK, undecryptable(encryption));
        }
        String password = attributeText(csr, PKCSObjectIdentifiers.pkcs_9_at_challengePassword);
        if (password == null) {
            return reply.failure(FailInfo.BAD_REQUEST, "the request carries no challenge password; NDES requires one: an administrator "
                    + "gets a one-time password at " + adminUrl.get() + " (or 'pkilab ca scep-password') for the device to send");
        }
        LogonToken serviceAccount;
        try {
            serviceAccount = ndes.serviceAccount().get();
        } catch (CaException e) {
            // before the password is redeemed: a logon that fails at the DC must not use up the device's one-time password
            return reply.failure(FailInfo.BAD_REQUEST, "NDES's service account cannot log on, so nothing was submitted and the "
                    + "challenge password is still good: " + oneLine(Decision.deny(e.error(), e.reason(), e.fix()))
                    + " Send the same request again once the account can log on");
        }
        String why = ndes.passwords().redeem(password);
        if (why != null) {
            return reply.failure(FailInfo.BAD_REQUEST, "The password in the certificate request cannot be verified. It may have been used "
                    + "already. Obtain a new password to submit with this request. (" + why + "; get a new one at " + adminUrl.get() + ")");
        }
        boolean[] usage = keyUsage(csr);
        String template = ndes.templates().get().forKeyUsage(usage[0], usage[1]);
        EnrollmentResult result;
        try {
            result = enrollment.submit(new EnrollmentRequest(serviceAccount, template, opened.content(), false, null,
                    EnrollmentRequest.Form.PKCS10, RequestRecord.Arrival.NDES));
        } catch (CaException e) {
            return reply.failure(FailInfo.BAD_REQUEST, oneLine(Decision.deny(e.error(), e.reason(), e.fix())));
        }
        synchronized (transactions) {
            transactions.put(reply.message().transactionId(), new Transaction(result.requestId(), signerKey));
        }
        return result(reply, opened, result);
    }

    private byte[] retrieved(Reply reply, ScepMessage.Opened opened, long requestId) {
        try {
            return result(reply, opened, enrollment.retrieve(ndes.serviceAccount().get(), requestId));
        } catch (CaException e) {
            // a request the CA no longer holds (its database replaced): the device must start again
            return reply.failure(FailInfo.BAD_CERT_ID, "request " + requestId + ": " + oneLine(Decision.deny(e.error(), e.reason(), e.fix())));
        }
    }

    private byte[] result(Reply reply, ScepMessage.Opened opened, EnrollmentResult result) {
        return switch (result.status()) {
            case REVOKED -> reply.failure(FailInfo.BAD_REQUEST, "request " + result.requestId() + ": its certificate (serial "
                    + result.record().serialHex() + ") was revoked at " + result.record().revokedAt() + " ("
                    + (result.record().revocationReason() == null ? "no reason" : result.record().revocationReason().rfcName()) + "), so NDES hands it out no more. Get a new challenge password and enroll "
                    + "with a new key (a new transactionID)");
            case ISSUED -> reply.sign(PkiStatus.SUCCESS, null, null, ScepMessage.envelope(
                    CertsOnlyPkcs7.encode(List.of(result.certificate())), reply.message().signer(), opened.algorithm()));
            case PENDING -> reply.sign(PkiStatus.PENDING, null, null, null);
            default -> reply.failure(FailInfo.BAD_REQUEST, "request " + result.requestId() + ": " + oneLine(result.decision()));
        };
    }

    /** {@code 0x80094012 CERTSRV_E_TEMPLATE_DENIED: <Windows' text> <reason> To fix: <fix>}, on one line as a device log shows it. */
    private static String oneLine(Decision decision) {
        if (decision == null || decision.error() == null) {
            return "denied";
        }
        return (decision.error() + ": " + decision.error().windowsMessage() + " " + decision.reason()
                + (decision.fix() == null || decision.fix().isEmpty() ? "" : " To fix: " + decision.fix())).replaceAll("\\s*\n\\s*", " ");
    }

    private boolean firstSeen(byte[] nonce) {
        String key = HexFormat.of().formatHex(nonce);
        synchronized (nonces) {
            if (!nonces.add(key)) {
                return false;
            }
            if (nonces.size() > REMEMBERED) {
                nonces.remove(nonces.iterator().next());
            }
            return true;
        }
    }

    private static String attributeText(PKCS10CertificationRequest csr, org.bouncycastle.asn1.ASN1ObjectIdentifier oid) {
        for (Attribute a : csr.getAttributes(oid)) {
            if (a.getAttrValues().size() == 1 && a.getAttrValues().getObjectAt(0) instanceof ASN1String s) {
                return s.getString();
            }
        }
        return null;
    }

    /** {digitalSignature, keyEncipherment} as the request's key usage extension asks; neither when it has none. */
    private static boolean[] keyUsage(PKCS10CertificationRequest csr) {
        for (Attribute a : csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
            try {
                KeyUsage usage = KeyUsage.fromExtensions(Extensions.getInstance(a.getAttrValues().getObjectAt(0)));
                if (usage != null) {
                    return new boolean[]{usage.hasUsages(KeyUsage.digitalSignature), usage.hasUsages(KeyUsage.keyEncipherment)};
                }
            } catch (RuntimeException e) {
                // an extension request the CA cannot read: the pipeline refuses it with the reason
            }
        }
        return new boolean[]{false, false};
    }

    // ---- /certsrv/mscep_admin/ ----------------------------------------------------------------------------

    /**
     * The administrators' page: a new one-time challenge password for whoever holds Enroll on every template NDES is set
     * to issue from (NDES's own rule), in NDES's words.
     */
    void admin(Request request, Response response, Callback callback) {
        if (!"GET".equals(request.getMethod())) {
            response.getHeaders().put(HttpHeader.ALLOW, "GET");
            HttpAnswers.text(response, callback, 405, "use GET " + ADMIN_PATH + "/\n");
            return;
        }
        HttpLogon.Result caller = logon.authenticate(request);
        if (!caller.succeeded()) {
            logon.challenge(response, callback, caller.refusal());
            return;
        }
        LogonToken token = caller.token();
        CaRegistrySettings.NdesTemplates configured = ndes.templates().get();
        for (String name : new LinkedHashSet<>(List.of(configured.encryptionTemplate(), configured.signatureTemplate(),
                configured.generalPurposeTemplate()))) {
            CertificateTemplate template = templates.template(name).orElse(null);
            String problem = template == null ? "the template " + name + " that NDES's MSCEP registry key names is not in the directory"
                    : template.securityDescriptor() == null || !template.securityDescriptor().check(token.sids(), AccessRight.ENROLL).granted()
                    ? token.account() + " holds no Enroll right on '" + template.displayName() + "' (" + template.name() + "); groups in its token: "
                    + token.groupNames() : null;
            if (problem != null) {
                response.getHeaders().put("X-ADCS-Error", WindowsError.CERTSRV_E_TEMPLATE_DENIED.code() + " "
                        + WindowsError.CERTSRV_E_TEMPLATE_DENIED.symbolicName());
                page(response, callback, 403, "You do not have sufficient permission to enroll with SCEP. Please contact your system "
                        + "administrator.", problem + ". To fix: grant Enroll on the template(s) NDES issues from, or set MSCEP\\"
                        + "EncryptionTemplate, SignatureTemplate and GeneralPurposeTemplate (pkilab ca setreg) to templates the account may enroll for.");
                return;
            }
        }
        String password;
        try {
            password = ndes.passwords().issue();
        } catch (ChallengePasswords.CacheFull e) {
            page(response, callback, 429, e.getMessage() + ".", "");
            return;
        }
        page(response, callback, 200, "The thumbprint (hash value) for the CA certificate is: " + thumbprint(caCertificate.get())
                + "\nThe enrollment challenge password is: " + password + "\nThis password can be used only once and will expire within "
                + ChallengePasswords.VALIDITY_MINUTES + " minutes.\nEach enrollment requires a new challenge password. You can refresh "
                + "this web page to obtain a new challenge password.", "");
    }

    private static void page(Response response, Callback callback, int status, String text, String detail) {
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        StringBuilder html = new StringBuilder("<html><head><title>Network Device Enrollment Service</title></head><body>\n"
                + "<p>Network Device Enrollment Service allows you to obtain certificates for routers or other network devices using "
                + "the Simple Certificate Enrollment Protocol (SCEP).</p>\n");
        for (String line : text.split("\n")) {
            html.append("<p>").append(org.apache.commons.text.StringEscapeUtils.escapeHtml4(line)).append("</p>\n");
        }
        if (!detail.isEmpty()) {
            html.append("<p>").append(org.apache.commons.text.StringEscapeUtils.escapeHtml4(detail)).append("</p>\n");
        }
        html.append("</body></html>\n");
        HttpAnswers.send(response, callback, status, "text/html; charset=utf-8", html.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static String thumbprint(X509Certificate certificate) {
        try {
            return HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
