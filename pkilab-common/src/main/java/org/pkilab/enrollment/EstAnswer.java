package org.pkilab.enrollment;

import org.pkilab.windows.WindowsError;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

/**
 * What the CA answered to one EST request, read as EST defines it (RFC 7030 section 4.2.3) and AD CS adds to it:
 * {@code 200} carries certificates (certs-only PKCS #7, base64) or the policy; {@code 202} with {@code Retry-After}
 * means the request waits for a certificate manager ("Taken Under Submission"), under the id in
 * {@code X-ADCS-Request-Id}; any other status is a refusal whose {@code X-ADCS-Error} header names the Windows error.
 *
 * <pre>{@code
 * EstAnswer answer = est.simpleEnroll("WebServer", EstClient.basic("IIS01$", password), csr);
 * X509Certificate issued = answer.certificate();   // or PendingException (202), or EnrollmentException (refused)
 * }</pre>
 */
public final class EstAnswer {

    /** The header in which the CA names its refusal: {@code 0x80094012 CERTSRV_E_TEMPLATE_DENIED}. */
    public static final String ERROR_HEADER = "X-ADCS-Error";
    /** The header that gives the request's id in the CA database, issued, pending or refused. */
    public static final String REQUEST_ID_HEADER = "X-ADCS-Request-Id";

    private final String from;
    private final EstTransport.Response response;

    EstAnswer(String from, EstTransport.Response response) {
        this.from = from;
        this.response = response;
    }

    public int status() {
        return response.status();
    }

    /** The answer's {@code Content-Type}, or null. */
    public String contentType() {
        return response.header("Content-Type");
    }

    public byte[] body() {
        return response.body().clone();
    }

    public String text() {
        return response.text();
    }

    /** Any header of the answer, or null. */
    public String header(String name) {
        return response.header(name);
    }

    /** The {@code X-ADCS-Error} header as the CA wrote it, or null. */
    public String errorHeader() {
        return response.header(ERROR_HEADER);
    }

    /** The Windows error the {@code X-ADCS-Error} header names, or null when it names none the lab knows (or is absent). */
    public WindowsError windowsError() {
        return WindowsError.find(errorHeader()).orElse(null);
    }

    /** The {@code X-ADCS-Request-Id} header, or null when the CA recorded no request. */
    public String requestId() {
        return response.header(REQUEST_ID_HEADER);
    }

    /** The {@code Retry-After} header as sent (seconds), or null. */
    public String retryAfter() {
        return response.header("Retry-After");
    }

    public boolean issued() {
        return status() == 200;
    }

    /** {@code 202}: the CA took the request under submission. */
    public boolean pending() {
        return status() == 202;
    }

    /** The issued certificate: the first of the certs-only PKCS #7. */
    public X509Certificate certificate() {
        return certificates().get(0);
    }

    /**
     * The certificates of a {@code 200} answer ({@code /cacerts}, {@code /simpleenroll}).
     *
     * @throws PendingException     on {@code 202}, with the request id and the CA's text
     * @throws EnrollmentException  on a refusal, with the error {@code X-ADCS-Error} names
     * @throws IllegalStateException when a {@code 200} answer is not a certs-only PKCS #7
     */
    public List<X509Certificate> certificates() {
        requireIssued();
        try {
            return CertsOnlyPkcs7.decodeBase64(response.body());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("the CA's answer is " + e.getMessage(), e);
        }
    }

    /**
     * The enrollment policy of a {@code 200} answer to {@code /policy}.
     *
     * @throws EnrollmentException   on a refusal
     * @throws IllegalStateException when the policy does not parse
     */
    public EnrollmentPolicy policy() {
        requireIssued();
        try {
            return EnrollmentPolicy.fromJson(response.body());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("the enrollment policy from " + from + " does not parse: " + e.getMessage(), e);
        }
    }

    /** The refusal this answer is, as an exception: its status, its Windows error and the CA's explanation. */
    public EnrollmentException refusal() {
        return EnrollmentException.fromAnswer(status(), errorHeader(), text());
    }

    /** This {@code 202} answer as the exception the hosts throw for it. */
    public PendingException pendingRequest() {
        Duration retry = null;
        try {
            retry = retryAfter() == null ? null : Duration.ofSeconds(Long.parseLong(retryAfter().trim()));
        } catch (NumberFormatException e) {
            // Retry-After may also be an HTTP date; the lab's CA sends seconds, and a date is only advice
        }
        return new PendingException(Long.parseLong(requestId()), retry, text());
    }

    private void requireIssued() {
        if (pending()) {
            throw pendingRequest();
        }
        if (!issued()) {
            throw refusal();
        }
    }

    @Override
    public String toString() {
        return status() + (errorHeader() == null ? "" : " " + errorHeader()) + " from " + from;
    }
}
