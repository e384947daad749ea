package org.pkilab.ca;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.KeyAlgorithm;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.enrollment.CertsOnlyPkcs7;
import org.pkilab.pki.KeyFiles;
import org.pkilab.windows.WindowsError;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * EST (RFC 7030) enrollment over HTTPS: the CA certificate, first enrollment, re-enrollment and what a
 * request should carry. {@link CaWebServer} routes {@code /.well-known/est/[<template>/]<operation>} here.
 *
 * <pre>
 * GET  /.well-known/est/cacerts                      the CA certificate (certs-only PKCS #7, base64)
 * POST /.well-known/est/[&lt;template&gt;/]simpleenroll   a PKCS #10 request, base64; the label names the template
 * POST /.well-known/est/&lt;template&gt;/simpleenroll?requestId=N  certreq -retrieve N: what became of request N (never a new one)
 * POST /.well-known/est/[&lt;template&gt;/]simplereenroll authenticated by the current certificate (TLS client auth)
 * GET  /.well-known/est/[&lt;template&gt;/]csrattrs       what the request should carry
 * </pre>
 *
 * <p>Many EST clients cannot put a label in the path (strongSwan's {@code pki --est}, Bouncy Castle's {@code ESTService}
 * without one). Their template is the one the request names itself ({@link RequestedTemplate}: the template name extension
 * {@code 1.3.6.1.4.1.311.20.2}, the template information extension {@code 1.3.6.1.4.1.311.21.7}, or the request attribute
 * {@code CertificateTemplate:}), else the CA's {@code CA\EstDefaultTemplate} registry value, else the request is refused
 * with {@code 0x80094801 CERTSRV_E_NO_CERT_TYPE}. A label and a request naming different templates are refused with
 * {@code 0x80094802 CERTSRV_E_TEMPLATE_CONFLICT}. However chosen, the template goes through the one
 * {@link EnrollmentService} pipeline: issued here, the requester's Enroll right, and the rest.
 *
 * <pre>
 * pki --req --in key.der --dn "CN=alice" --profile User | pki --est --url https://ca01.contoso.com/.well-known/est \
 *     --cacert ca.der --userpass 'alice:...'           the template 'User', named by the request
 * </pre>
 *
 * <p>First enrollment authenticates with {@link HttpLogon}. A pending request answers {@code 202} with
 * {@code Retry-After}; sending the same request again returns the certificate once approved. What a client may
 * send is bounded: a body of {@value #MAX_BODY} bytes (413, answered from {@code Content-Length} before any of
 * the body is read), {@code Content-Type: application/pkcs10} or, for an enrollment agent's request on behalf of another
 * account, {@code application/pkcs7-mime} (a CMS SignedData around the PKCS #10, {@link AgentSignedRequest}; RFC 7030 would
 * send a full CMC request to {@code /fullcmc}, which the lab does not offer) and nothing else (415), and
 * {@value #MAX_REQUESTS_PER_ACCOUNT} requests in progress per account (429).
 */
final class EstAdapter {

    static final String PREFIX = "/.well-known/est/";
    static final int MAX_BODY = 64 * 1024;
    /** Enrollments one account may have in progress at once: slow bodies from one account cost that account alone. */
    static final int MAX_REQUESTS_PER_ACCOUNT = 8;
    /** RFC 7030's media type, with parameters (token=token or token="quoted") and nothing else. */
    private static final Pattern PKCS10 = Pattern.compile(
            "(?i)application/(pkcs10|pkcs7-mime)\\s*(;\\s*[-!#$%&'*+.^_`|~0-9a-z]+=([-!#$%&'*+.^_`|~0-9a-z]+|\"([^\"\\\\]|\\\\.)*\")\\s*)*");
    /** A CMS message other than a request ({@code smime-type=certs-only}, {@code signed-data} ...) is not one to enroll with. */
    private static final Pattern OTHER_SMIME_TYPE = Pattern.compile("(?i).*;\\s*smime-type\\s*=\\s*\"?(?!cmc-request\\b)[^;\"]+.*");

    private final String caName;
    private final Supplier<X509Certificate> caCertificate;
    private final Enrollment enrollment;
    private final EnrollmentPolicySource templates;
    private final HttpLogon logon;
    private final ConcurrentHashMap<String, Integer> inProgress = new ConcurrentHashMap<>();

    EstAdapter(String caName, Supplier<X509Certificate> caCertificate, Enrollment enrollment, EnrollmentPolicySource templates,
               HttpLogon logon) {
        this.caName = caName;
        this.caCertificate = caCertificate;
        this.enrollment = enrollment;
        this.templates = templates;
        this.logon = logon;
    }

    void cacerts(Response response, Callback callback) {
        HttpAnswers.send(response, callback, 200, CertsOnlyPkcs7.MEDIA_TYPE, CertsOnlyPkcs7.base64(CertsOnlyPkcs7.encode(List.of(caCertificate.get()))));
    }

    /** {@code simpleenroll} ({@code renewal} false) or {@code simplereenroll}; {@code label} null when the path names no template. */
    void enroll(Request request, Response response, Callback callback, String label, boolean renewal) {
        String contentType = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        if (contentType == null || !PKCS10.matcher(contentType.strip()).matches()) {
            HttpAnswers.text(response, callback, 415, "Unsupported Media Type: send the certificate request as Content-Type: "
                    + "application/pkcs10 (RFC 7030: the DER request, base64), or an enrollment agent's signed request as "
                    + "application/pkcs7-mime, not " + (contentType == null ? "without a Content-Type"
                    : "'" + contentType + "'") + "\n");
            return;
        }
        if (request.getLength() > MAX_BODY) {
            tooLarge(response, callback, "declares " + request.getLength() + " bytes");
            return;
        }
        X509Certificate clientCertificate = clientCertificate(request);
        LogonToken requester;
        String template = label;
        if (renewal) {
            if (clientCertificate == null) {
                logon.challenge(response, callback, "re-enrollment authenticates with the current certificate: present it as the TLS client certificate");
                return;
            }
            requester = logon.certificateHolder(clientCertificate);
            if (template == null) {
                template = enrollment.templateOf(clientCertificate).orElse(null);
            }
        } else {
            HttpLogon.Result caller = logon.authenticate(request);
            if (!caller.succeeded()) {
                logon.challenge(response, callback, caller.refusal());
                return;
            }
            requester = caller.token();
        }
        String account = requester.account();
        if (!enterRequest(account)) {
            response.getHeaders().put("Retry-After", "5");
            HttpAnswers.text(response, callback, 429, "Too Many Requests: " + account + " has " + MAX_REQUESTS_PER_ACCOUNT
                    + " requests in progress at " + caName + " already; send them one at a time\n");
            return;
        }
        try {
            enroll(request, response, callback, requester, template, label != null, renewal, clientCertificate);
        } finally {
            leaveRequest(account);
        }
    }

    /** Counts a request of {@code account} in progress; false when it has as many as it may have already. */
    private boolean enterRequest(String account) {
        int[] now = new int[1];
        inProgress.compute(account, (k, count) -> {
            now[0] = count == null ? 1 : count + 1;
            return now[0] > MAX_REQUESTS_PER_ACCOUNT ? count : Integer.valueOf(now[0]);
        });
        return now[0] <= MAX_REQUESTS_PER_ACCOUNT;
    }

    private void leaveRequest(String account) {
        inProgress.computeIfPresent(account, (k, count) -> count <= 1 ? null : count - 1);
    }

    private void enroll(Request request, Response response, Callback callback, LogonToken requester, String template,
                        boolean fromPath, boolean renewal, X509Certificate clientCertificate) {
        byte[] body;
        try {
            // blocking is fine here: the body is small and bounded, and the minimum data rate ends a stalled one
            body = Content.Source.asInputStream(request).readNBytes(MAX_BODY + 1);
        } catch (IOException | RuntimeException e) {
            if (causedBy(e, TimeoutException.class)) {
                HttpAnswers.text(response, callback, 408, "Request Timeout: the request body stopped arriving; send it whole\n");
            } else {
                HttpAnswers.text(response, callback, 400, "Bad Request: the request body could not be read to its end ("
                        + e.getMessage() + "); send it whole, with a Content-Length or as valid chunks\n");
            }
            return;
        }
        if (body.length > MAX_BODY) {
            tooLarge(response, callback, "is over " + MAX_BODY + " bytes");
            return;
        }
        byte[] csr;
        try {
            csr = decodeBase64(body);
        } catch (IllegalArgumentException e) {
            HttpAnswers.refuse(response, callback, WindowsError.CRYPT_E_ASN1_BADTAG, "the " + body.length + " bytes of the body are not base64: "
                    + e.getMessage(), "send the DER request base64-encoded (openssl base64 -in req.der)");
            return;
        }
        String byId = renewal ? null : Request.extractQueryParameters(request).getValue("requestId");
        if (byId != null) {
            long id;
            try {
                id = Long.parseLong(byId.strip());
            } catch (NumberFormatException e) {
                HttpAnswers.refuse(response, callback, WindowsError.CERTSRV_E_NO_REQUEST, "'" + RequestedNames.printable(byId)
                        + "' is not a request id", "give the number the CA answered in X-ADCS-Request-Id");
                return;
            }
            answer(response, callback, enrollment.retrieve(requester, id));
            return;
        }
        boolean signedType = request.getHeaders().get(HttpHeader.CONTENT_TYPE).strip().toLowerCase(java.util.Locale.ROOT)
                .startsWith("application/pkcs7-mime");
        if (signedType != AgentSignedRequest.isSignedData(csr)
                || (signedType && OTHER_SMIME_TYPE.matcher(request.getHeaders().get(HttpHeader.CONTENT_TYPE)).matches())) {
            HttpAnswers.text(response, callback, 415, "Unsupported Media Type: " + (signedType
                    ? "application/pkcs7-mime carries an enrollment agent's signed request (CMS SignedData, smime-type=CMC-request); "
                    + "send a PKCS #10 request as application/pkcs10"
                    : "this body is a CMS SignedData: send an enrollment agent's signed request as application/pkcs7-mime") + "\n");
            return;
        }
        if (!signedType && Crmf.isCrmf(csr)) {
            // the pipeline reads CRMF for CMP; EST's simpleenroll carries PKCS #10 alone (RFC 7030 4.2.1)
            HttpAnswers.refuse(response, callback, WindowsError.CRYPT_E_ASN1_BADTAG, "the body is a CRMF CertReqMsg, CMP's request "
                    + "form, not a PKCS #10 request", "send a PKCS #10 request to EST, or the CRMF request over CMP at " + CmpAdapter.PATH);
            return;
        }
        Chosen chosen = chooseTemplate(template, fromPath, requester, signedType ? agentSignedPkcs10(csr, requester) : csr, renewal);
        if (chosen.refusal() != null) {
            HttpAnswers.refuse(response, callback, chosen.refusal());
            return;
        }
        template = chosen.template();
        EnrollmentRequest submitted = new EnrollmentRequest(requester, template, csr, false, renewal ? clientCertificate : null);
        EnrollmentResult result = enrollment.retrieve(requester, template, csr).orElseGet(() -> enrollment.submit(submitted));
        answer(response, callback, result);
    }

    /**
     * The PKCS #10 inside an enrollment agent's signed request, which names the template as any request does (certreq
     * -policy writes the template extension into it); null when the body is no signed request, which the pipeline then refuses.
     */
    private static byte[] agentSignedPkcs10(byte[] signed, LogonToken requester) {
        AgentSignedRequest.Parsed parsed = AgentSignedRequest.parse(signed, requester.account());
        return parsed.request() == null ? null : parsed.request().pkcs10();
    }

    /** The template a request is for, or the refusal saying why none can be chosen. */
    private record Chosen(String template, Decision refusal) {
    }

    /**
     * The template of a request: the one the path names ({@code fromPath}) or the renewed certificate was issued from
     * ({@code given}), else the one the request names itself ({@link RequestedTemplate}), else the CA's
     * {@code EstDefaultTemplate}. The path and the request naming different templates is a conflict, not a choice.
     *
     * @param given the label or the renewed certificate's template; null when neither names one
     * @param csr   the PKCS #10 request (for an enrollment agent's signed request, the one inside it), or null when there is none
     */
    private Chosen chooseTemplate(String given, boolean fromPath, LogonToken requester, byte[] csr, boolean renewal) {
        List<RequestedTemplate> named = List.of();
        // a labelled request without Microsoft's arc in it names no template: the pipeline parses it, not this step as well
        if (csr != null && (given == null || containsMicrosoftArc(csr))) {
            Pkcs10Request.Parsed parsed = Pkcs10Request.parse(csr, requester.account());
            if (parsed.request() == null) {
                return new Chosen(null, parsed.refusal());
            }
            try {
                named = RequestedTemplate.read(parsed.request());
            } catch (IllegalArgumentException e) {
                return new Chosen(null, Decision.deny(WindowsError.CRYPT_E_ASN1_BADTAG, "the request from " + requester.account()
                        + " names its template in a form the CA cannot read: " + e.getMessage(), "name the template as "
                        + "Windows does (a BMPString in " + RequestedTemplate.TEMPLATE_NAME_OID + "), or in the path: " + PREFIX + "<template>/simpleenroll"));
            }
        }
        String givenBy = fromPath ? "the path " + PREFIX + RequestedNames.printable(String.valueOf(given)) + "/" : "the certificate being renewed";
        String chosen = given;
        String chosenBy = givenBy;
        // a label that cannot be a name is never looked up: the pipeline refuses it before any directory search
        String chosenName = given == null || named.isEmpty() || !IssuancePolicy.isTemplateName(given) ? null
                : templates.template(given).map(CertificateTemplate::name).orElse(null);
        for (RequestedTemplate request : named) {
            Optional<CertificateTemplate> found = request.byOid() ? templates.templateWithOid(request.template())
                    : IssuancePolicy.isTemplateName(request.template()) ? templates.template(request.template()) : Optional.empty();
            if (chosen == null) {
                if (request.byOid() && found.isEmpty()) {
                    return new Chosen(null, Decision.deny(WindowsError.CERTSRV_E_UNSUPPORTED_CERT_TYPE, "the request from "
                            + requester.account() + " names the template with OID " + request + ", and no certificate template in the "
                            + "directory has that msPKI-Cert-Template-OID", "check the template's OID in the Certificate Templates console "
                            + "(its Extensions tab, Certificate Template Information), or name the template in the path"));
                }
                chosen = found.map(CertificateTemplate::name).orElse(request.template());
                chosenName = found.map(CertificateTemplate::name).orElse(null);
                chosenBy = "the request's " + request.where();
                continue;
            }
            if (!request.byOid() && request.template().equalsIgnoreCase(chosen)) {
                continue;
            }
            if (chosenName == null || found.isEmpty() || !found.get().name().equalsIgnoreCase(chosenName)) {
                return new Chosen(null, Decision.deny(WindowsError.CERTSRV_E_TEMPLATE_CONFLICT, "the request from " + requester.account()
                        + " names two templates: '" + RequestedNames.printable(chosen) + "' in " + chosenBy + " and " + request
                        + (found.isPresent() ? ", which is '" + found.get().displayName() + "' (" + found.get().name() + ")" : "")
                        + "; " + caName + " will not choose between them",
                        "name one template: send the request to the path of the template it names, or make the request without "
                                + "naming a template (or naming the path's)"));
            }
        }
        if (chosen != null) {
            return new Chosen(chosen, null);
        }
        Optional<String> fallback = templates.estDefaultTemplate();
        if (fallback.isPresent()) {
            return new Chosen(fallback.get(), null);
        }
        return new Chosen(null, Decision.deny(WindowsError.CERTSRV_E_NO_CERT_TYPE, "the " + (renewal ? "re-enrollment" : "enrollment")
                + " request from " + requester.account() + " to " + PREFIX + (renewal ? "simplereenroll" : "simpleenroll")
                + " names no certificate template: not in the path, not in the request (extension " + RequestedTemplate.TEMPLATE_NAME_OID
                + " or " + RequestedTemplate.TEMPLATE_OID + ", or the request attribute " + RequestedTemplate.ATTRIBUTE
                + ":), and " + caName + " has no CA\\EstDefaultTemplate set",
                "name the template in the path (" + PREFIX + "<template>/simpleenroll) or in the request (pki --req --profile <template>, "
                        + "certreq -attrib \"CertificateTemplate:<template>\"), or have an administrator of " + caName
                        + " set a default: pkilab ca setreg 'CA\\EstDefaultTemplate' <template>"));
    }

    /** Whether {@code der} holds the DER of an OID under 1.3.6.1.4.1.311, as each place a request names its template does. */
    private static boolean containsMicrosoftArc(byte[] der) {
        byte[] arc = {0x2B, 0x06, 0x01, 0x04, 0x01, (byte) 0x82, 0x37};
        outer:
        for (int i = 0; i + arc.length <= der.length; i++) {
            for (int j = 0; j < arc.length; j++) {
                if (der[i + j] != arc[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static void answer(Response response, Callback callback, EnrollmentResult result) {
        response.getHeaders().put("X-ADCS-Request-Id", Long.toString(result.requestId()));
        switch (result.status()) {
            case ISSUED -> HttpAnswers.send(response, callback, 200, CertsOnlyPkcs7.MEDIA_TYPE,
                    CertsOnlyPkcs7.base64(CertsOnlyPkcs7.encodeDer(List.of(result.record().certificate()))));
            case PENDING -> {
                response.getHeaders().put(HttpHeader.RETRY_AFTER, "60");
                HttpAnswers.text(response, callback, 202, "Taken Under Submission: request " + result.requestId()
                        + " waits for a certificate manager. " + result.decision().reason()
                        + "\nSend the same request again to get the certificate once it is approved.\n");
            }
            default -> HttpAnswers.refuse(response, callback, result.decision());
        }
    }

    private static void tooLarge(Response response, Callback callback, String what) {
        // the rest of the body is not read: the connection cannot carry another request after it
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        HttpAnswers.text(response, callback, 413, "Content Too Large: the request body " + what + "; the CA reads at most " + MAX_BODY
                + " bytes (a certificate request is a few KB)\n");
    }

    /**
     * What the request for {@code label}'s template (without a label: the {@code EstDefaultTemplate}'s) should carry: its key
     * type (with the curve, RFC 7030 4.5.2) and signature.
     */
    void csrAttributes(String label, Response response, Callback callback) {
        KeyAlgorithm algorithm = KeyAlgorithm.RSA;
        String template = label != null ? label : templates.estDefaultTemplate().orElse(null);
        if (template != null) {
            try {
                algorithm = templates.template(template).map(CertificateTemplate::keyAlgorithm).orElse(KeyAlgorithm.RSA);
            } catch (IllegalStateException e) {
                // an algorithm the lab does not know: the CA explains when the request comes
            }
        }
        ASN1EncodableVector attributes = new ASN1EncodableVector();
        if (algorithm.elliptic()) {
            attributes.add(new DERSequence(new ASN1Encodable[]{new ASN1ObjectIdentifier("1.2.840.10045.2.1"),
                    new DERSet(new ASN1ObjectIdentifier(algorithm.curveOid()))}));  // id-ecPublicKey, curve
        } else {
            attributes.add(new ASN1ObjectIdentifier("1.2.840.113549.1.1.1"));   // rsaEncryption
        }
        // the signature the client makes with that key: ecdsa-with-SHA256 for P-256, sha256WithRSAEncryption for RSA
        attributes.add(new DefaultSignatureAlgorithmIdentifierFinder().find(algorithm.signatureAlgorithm()).getAlgorithm());
        try {
            HttpAnswers.send(response, callback, 200, "application/csrattrs", CertsOnlyPkcs7.base64(new DERSequence(attributes).getEncoded("DER")));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate clientCertificate(Request request) {
        Object data = request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE);
        if (data instanceof EndPoint.SslSessionData ssl && ssl.peerCertificates() != null && ssl.peerCertificates().length > 0) {
            return ssl.peerCertificates()[0];
        }
        return null;
    }

    private static byte[] decodeBase64(byte[] body) {
        String text = new String(KeyFiles.der(body), StandardCharsets.US_ASCII);
        if (body.length > 0 && body[0] == 0x30) {
            return body;
        }
        return Base64.getMimeDecoder().decode(text.replaceAll("\\s", ""));
    }

    static boolean causedBy(Throwable failure, Class<? extends Throwable> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }
}
