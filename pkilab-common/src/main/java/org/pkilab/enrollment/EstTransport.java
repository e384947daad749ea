package org.pkilab.enrollment;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * How an {@link EstClient} reaches the CA: one HTTP exchange, request in, answer out. The protocol (paths, media
 * types, base64, what a status means) stays in the client; the transport owns only the connection: name
 * resolution, TLS trust, a client certificate. A lab computer's transport is its Jetty client, which resolves
 * names in the lab network and trusts what the computer trusts; a test's may be the JDK's {@code HttpsURLConnection}
 * or a lambda that answers without any network.
 *
 * <pre>{@code
 * EstTransport refusing = request -> new EstTransport.Response(403,
 *         Map.of("X-ADCS-Error", "0x80094012 CERTSRV_E_TEMPLATE_DENIED"), "no Enroll right".getBytes());
 * }</pre>
 */
@FunctionalInterface
public interface EstTransport {

    /**
     * One request.
     *
     * @param method        {@code GET} or {@code POST}
     * @param url           the whole URL, {@code https://ca01.contoso.com:8443/.well-known/est/policy}
     * @param authorization the {@code Authorization} header's value; null sends none
     * @param contentType   the body's media type; null with no body
     * @param body          null for a request without a body
     */
    record Request(String method, String url, String authorization, String contentType, byte[] body) {
    }

    /** The server's answer: its status, its headers (looked up by name in any case) and its body. */
    record Response(int status, Map<String, String> headers, byte[] body) {

        public Response {
            TreeMap<String, String> byName = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            byName.putAll(headers == null ? Map.of() : headers);
            headers = java.util.Collections.unmodifiableMap(byName);
            body = body == null ? new byte[0] : body;
        }

        /** The header's value, or null when the answer has none. */
        public String header(String name) {
            return headers.get(name);
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /**
     * Sends {@code request} and returns the server's answer, whatever its status.
     *
     * @throws IOException when no answer came (the {@link EstClient} reports the URL); a transport may instead throw
     *                     an {@link EnrollmentException} with status 0 that says in its host's words why
     */
    Response exchange(Request request) throws IOException;
}
