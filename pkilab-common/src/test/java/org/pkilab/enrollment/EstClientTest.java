package org.pkilab.enrollment;

import org.junit.jupiter.api.Test;
import org.pkilab.windows.WindowsError;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The EST client against a transport that answers as the CA would, with no CA and no DC. */
class EstClientTest {

    private static final String BASE = "https://ca01.contoso.com:8443/.well-known/est";
    private static final byte[] CSR = {0x30, 0x03, 0x02, 0x01, 0x07};

    private final List<EstTransport.Request> sent = new ArrayList<>();

    private EstClient answering(int status, Map<String, String> headers, String body) {
        return new EstClient(BASE, request -> {
            sent.add(request);
            return new EstTransport.Response(status, headers, body.getBytes(StandardCharsets.UTF_8));
        });
    }

    @Test
    void aRefusalBecomesTheWindowsErrorItsHeaderNames() {
        EstClient est = answering(403, Map.of("x-adcs-error", "0x80094012 CERTSRV_E_TEMPLATE_DENIED", "X-ADCS-Request-Id", "41"),
                "IIS01$ holds no Enroll right on 'Web Server'\n");
        EnrollmentException refused = assertThrows(EnrollmentException.class,
                () -> est.simpleEnroll("WebServer", EstClient.bearer("token"), CSR).certificate());
        assertEquals(WindowsError.CERTSRV_E_TEMPLATE_DENIED, refused.error(), refused.getMessage());
        assertEquals(403, refused.httpStatus());
        assertEquals("0x80094012 CERTSRV_E_TEMPLATE_DENIED: IIS01$ holds no Enroll right on 'Web Server'", refused.getMessage());
    }

    @Test
    void aHeaderNamingAnUnknownCodeStaysInTheMessage() {
        EstClient est = answering(400, Map.of("X-ADCS-Error", "0x80091234 SOMETHING_NEW"), "what the CA said");
        EnrollmentException refused = assertThrows(EnrollmentException.class, () -> est.policy(null).policy());
        assertNull(refused.error(), refused.getMessage());
        assertEquals("0x80091234 SOMETHING_NEW: what the CA said", refused.getMessage());
    }

    @Test
    void takenUnderSubmissionIsPendingWithItsRequestIdAndRetryAfter() {
        EstClient est = answering(202, Map.of("X-ADCS-Request-Id", "17", "Retry-After", "60"),
                "Taken Under Submission: request 17 waits for a certificate manager.\n");
        EstAnswer answer = est.simpleEnroll("LabApprovedWeb", EstClient.basic("IIS01$", "pw"), CSR);
        assertTrue(answer.pending(), answer.toString());
        PendingException pending = assertThrows(PendingException.class, answer::certificate);
        assertEquals(17, pending.requestId());
        assertEquals(Duration.ofSeconds(60), pending.retryAfter());
        assertEquals("Taken Under Submission: request 17 waits for a certificate manager.", pending.getMessage());
    }

    @Test
    void simpleEnrollPostsTheRequestInBase64ToTheTemplatesPath() {
        answering(202, Map.of("X-ADCS-Request-Id", "1"), "").simpleEnroll("Web Server", EstClient.basic("IIS01$", "pw"), CSR);
        EstTransport.Request request = sent.get(0);
        assertEquals("POST", request.method());
        assertEquals(BASE + "/Web%20Server/simpleenroll", request.url(), "a display name is one path segment");
        assertEquals(EstClient.PKCS10, request.contentType());
        assertEquals("Basic " + Base64.getEncoder().encodeToString("IIS01$:pw".getBytes(StandardCharsets.UTF_8)), request.authorization());
        assertArrayEquals(CSR, Base64.getMimeDecoder().decode(request.body()));
    }

    @Test
    void aPolicyThatDoesNotParseSaysWhereItCameFrom() {
        EstClient est = answering(200, Map.of("Content-Type", EnrollmentPolicy.MEDIA_TYPE), "{\"ca\":\"contoso-CA\"}");
        IllegalStateException broken = assertThrows(IllegalStateException.class, () -> est.policy(null).policy());
        assertTrue(broken.getMessage().contains(BASE) && broken.getMessage().contains("templates"), broken.getMessage());
    }

    @Test
    void noAnswerIsAnEnrollmentFailureThatNamesTheUrl() {
        EstClient est = new EstClient(BASE, request -> {
            throw new IOException("Connection refused");
        });
        EnrollmentException unreachable = assertThrows(EnrollmentException.class, est::cacerts);
        assertEquals(0, unreachable.httpStatus());
        assertTrue(unreachable.getMessage().contains(BASE + "/cacerts"), unreachable.getMessage());
    }
}
