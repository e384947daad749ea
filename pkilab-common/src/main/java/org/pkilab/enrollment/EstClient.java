package org.pkilab.enrollment;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;

/**
 * The lab's one EST client (RFC 7030, as the lab's CA speaks it): every computer, the Mac and the CA's tests send
 * their enrollment requests through it, over a {@link EstTransport} of their own.
 *
 * <pre>
 * GET  {base}/cacerts                        the CA certificate          → {@link EstAnswer#certificates()}
 * GET  {base}/policy                         templates the caller may enroll for → {@link EstAnswer#policy()}
 * GET  {base}/{template}/csrattrs            what the request should carry
 * POST {base}/{template}/simpleenroll        a PKCS #10 request, base64, {@value #PKCS10}
 * POST {base}/[{template}/]simplereenroll    the same, authenticated by the current certificate (TLS)
 * </pre>
 *
 * <p>{@code base} is the URL the CA publishes in {@code msPKI-Enrollment-Servers},
 * {@code https://ca01.contoso.com:8443/.well-known/est}. A request the CA holds for a certificate manager is
 * retrieved by sending the very same request again ({@code certreq -retrieve}): the CA finds it by its content.
 *
 * <pre>{@code
 * EstClient est = new EstClient(ca.estBaseUrl(), transport);
 * X509Certificate issued = est.simpleEnroll("WebServer", EstClient.basic("IIS01$", password), csr).certificate();
 * }</pre>
 */
public final class EstClient {

    /** The media type of a certificate request. */
    public static final String PKCS10 = "application/pkcs10";

    private final String baseUrl;
    private final EstTransport transport;

    /** A client of the EST service at {@code baseUrl} (no final slash) that sends its requests over {@code transport}. */
    public EstClient(String baseUrl, EstTransport transport) {
        Objects.requireNonNull(baseUrl, "an EST client needs the CA's EST URL");
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.transport = Objects.requireNonNull(transport, "transport");
    }

    public String baseUrl() {
        return baseUrl;
    }

    /** {@code GET /cacerts}: the CA's certificate, for anyone. */
    public EstAnswer cacerts() {
        return exchange("GET", "/cacerts", null, null, null);
    }

    /** {@code GET /policy}: the templates {@code authorization}'s account may enroll for. */
    public EstAnswer policy(String authorization) {
        return exchange("GET", "/policy", authorization, null, null);
    }

    /** {@code GET /{template}/csrattrs}: the attributes a request for the template should carry (base64 DER). */
    public EstAnswer csrattrs(String template) {
        return exchange("GET", "/" + label(template) + "/csrattrs", null, null, null);
    }

    /**
     * {@code POST [/{template}]/simpleenroll} with the DER request {@code csr}; {@code template} null sends no label, and the CA
     * takes the template the request names, or its {@code CA\EstDefaultTemplate}. Sending a request the CA holds as
     * pending again retrieves it: {@code 202} while it waits, the certificate once approved.
     */
    public EstAnswer simpleEnroll(String template, String authorization, byte[] csr) {
        return exchange("POST", (template == null ? "" : "/" + label(template)) + "/simpleenroll", authorization, PKCS10,
                Base64.getMimeEncoder().encode(csr));
    }

    /**
     * {@code certreq -retrieve ID}: {@code POST /{template}/simpleenroll?requestId=ID} with the request as it was sent; the
     * CA answers what became of that request (the certificate, {@code 202} while pending, the refusal) and never takes it
     * as a new one.
     */
    public EstAnswer retrieve(String template, String authorization, long requestId, byte[] csr) {
        return exchange("POST", "/" + label(template) + "/simpleenroll?requestId=" + requestId, authorization, PKCS10,
                Base64.getMimeEncoder().encode(csr));
    }

    /**
     * {@code POST [/{template}]/simpleenroll} with an enrollment agent's signed request ({@link OnBehalfOfRequest}) as
     * {@code application/pkcs7-mime}: the lab's EST takes it there, where RFC 7030 would send full CMC to {@code /fullcmc}.
     * {@code template} null leaves the CA to read the template the request inside names, or its default.
     */
    public EstAnswer simpleEnrollOnBehalfOf(String template, String authorization, byte[] signedRequest) {
        return exchange("POST", (template == null ? "" : "/" + label(template)) + "/simpleenroll", authorization, OnBehalfOfRequest.MEDIA_TYPE,
                Base64.getMimeEncoder().encode(signedRequest));
    }

    /**
     * {@code POST [/{template}]/simplereenroll}: renewal, authenticated by the certificate the transport presents;
     * {@code template} null leaves the CA to take the current certificate's.
     */
    public EstAnswer simpleReenroll(String template, byte[] csr) {
        return exchange("POST", (template == null ? "" : "/" + label(template)) + "/simplereenroll", null, PKCS10,
                Base64.getMimeEncoder().encode(csr));
    }

    /**
     * A request of the caller's making under the EST URL, {@code path} as given (not encoded): for what the named
     * operations do not send, such as the tests of the CA's refusals of malformed requests.
     *
     * @throws EnrollmentException with status 0 when no answer came
     */
    public EstAnswer exchange(String method, String path, String authorization, String contentType, byte[] body) {
        String url = baseUrl + path;
        try {
            return new EstAnswer(baseUrl, transport.exchange(new EstTransport.Request(method, url, authorization, contentType, body)));
        } catch (IOException e) {
            throw new EnrollmentException(0, null, "cannot reach " + url + ": " + e);
        }
    }

    /** {@code Basic} credentials, as an account without a logon token (a Mac's administrator, {@code curl -u}) sends them. */
    public static String basic(String account, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((account + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** The logon token a domain member got from the DC at its logon. */
    public static String bearer(String encodedToken) {
        return "Bearer " + encodedToken;
    }

    /** A template's name (or display name, with its spaces) as one path segment: {@code Web Server} is {@code Web%20Server}. */
    static String label(String template) {
        return URLEncoder.encode(template, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
