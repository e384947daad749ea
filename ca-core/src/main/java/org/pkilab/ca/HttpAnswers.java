package org.pkilab.ca;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.pkilab.windows.WindowsError;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * How the CA's web adapters answer: a refusal is an HTTP status chosen from the AD CS error, an
 * {@code X-ADCS-Error} header with its code and name, and a plain-text body with Windows' text, the reason
 * and the fix.
 *
 * <pre>
 * 403 Forbidden
 * X-ADCS-Error: 0x80094012 CERTSRV_E_TEMPLATE_DENIED
 *
 * CERTSRV_E_TEMPLATE_DENIED (0x80094012)
 * The permissions on the certificate template do not allow the current user to enroll for this type of certificate.
 * CONTOSO\IIS01$ holds no Enroll right on 'WebServer'; groups in its token: ...
 * To fix: ...
 * </pre>
 */
final class HttpAnswers {

    private HttpAnswers() {
    }

    /** The HTTP status a client gets with the error: 401 for logon, 403 for denials, 404 for what is not there. */
    static int httpStatus(WindowsError error) {
        return switch (error) {
            case ERROR_LOGON_FAILURE -> 401;
            case CERTSRV_E_TEMPLATE_DENIED, CERTSRV_E_ADMIN_DENIED_REQUEST, E_ACCESSDENIED, CERTSRV_E_ENROLL_DENIED,
                 CERTSRV_E_BAD_RENEWAL_SUBJECT, CERTSRV_E_SIGNATURE_REJECTED, CERTSRV_E_SIGNATURE_COUNT -> 403;
            case CERTSRV_E_UNSUPPORTED_CERT_TYPE, CERTSRV_E_NO_REQUEST, ERROR_NONE_MAPPED -> 404;
            case CERTSRV_E_BAD_REQUESTSTATUS -> 409;
            default -> 400;
        };
    }

    static void refuse(Response response, Callback callback, Decision decision) {
        refuse(response, callback, decision.error(), decision.reason(), decision.fix());
    }

    static void refuse(Response response, Callback callback, WindowsError error, String reason, String fix) {
        response.getHeaders().put("X-ADCS-Error", error.code() + " " + error.symbolicName());
        send(response, callback, httpStatus(error), "text/plain", (Decision.deny(error, reason, fix).explain() + "\n")
                .getBytes(StandardCharsets.UTF_8));
    }

    /** A plain-text answer. */
    static void text(Response response, Callback callback, int status, String text) {
        send(response, callback, status, "text/plain", text.getBytes(StandardCharsets.UTF_8));
    }

    static void send(Response response, Callback callback, int status, String contentType, byte[] body) {
        if (contentType.startsWith("text/plain")) {
            // refusals echo what the client sent; a terminal showing them must not obey the control characters in it
            String[] lines = new String(body, StandardCharsets.UTF_8).split("\n", -1);
            body = String.join("\n", java.util.Arrays.stream(lines).map(RequestedNames::escape).toList()).getBytes(StandardCharsets.UTF_8);
            contentType = "text/plain; charset=utf-8";
        }
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        if (contentType.startsWith("application/pkcs7") || contentType.startsWith("application/csrattrs")) {
            response.getHeaders().put("Content-Transfer-Encoding", "base64");
        }
        response.write(true, ByteBuffer.wrap(body), callback);
    }
}
