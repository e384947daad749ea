package org.pkilab.ca;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * The Online Responder over HTTP (RFC 6960 appendix A, RFC 5019), on the CA's plain-HTTP port beside the
 * {@code CertEnroll} files, as IIS serves the {@code ocsp} application of a Windows Online Responder:
 *
 * <pre>
 * POST /ocsp                      Content-Type: application/ocsp-request, the DER request as the body
 * GET  /ocsp/MEIwQDA%2BMDwwOjAJ…  the DER request, base64, URL-encoded (raw '/' and '+' taken as well)
 *   → 200 application/ocsp-response
 * </pre>
 *
 * <p>Every OCSP answer, {@code malformedRequest} and {@code unauthorized} too, is a 200 with an OCSP response, as
 * RFC 6960 wants; only what is not an OCSP request at the HTTP level is refused in HTTP: a body over
 * {@value #MAX_BODY} bytes (413), another content type (415), another method (405).
 */
final class OcspAdapter {

    static final String PATH = "/ocsp";
    static final int MAX_BODY = 16 * 1024;
    static final String REQUEST_TYPE = "application/ocsp-request";
    static final String RESPONSE_TYPE = "application/ocsp-response";

    private final OnlineResponder responder;

    OcspAdapter(OnlineResponder responder) {
        this.responder = responder;
    }

    /** {@code request}'s path is {@value #PATH} or below it. */
    void handle(Request request, Response response, Callback callback) {
        switch (request.getMethod()) {
            case "POST" -> post(request, response, callback);
            case "GET" -> get(request, response, callback);
            default -> {
                response.getHeaders().put(HttpHeader.ALLOW, "GET, POST");
                HttpAnswers.text(response, callback, 405, "the Online Responder takes OCSP requests by POST to " + PATH
                        + " or by GET of " + PATH + "/<base64 request>\n");
            }
        }
    }

    private void post(Request request, Response response, Callback callback) {
        String contentType = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        if (contentType == null || !contentType.strip().toLowerCase(Locale.ROOT).startsWith(REQUEST_TYPE)) {
            HttpAnswers.text(response, callback, 415, "Unsupported Media Type: send the DER OCSP request as Content-Type: "
                    + REQUEST_TYPE + ", not " + (contentType == null ? "without a Content-Type" : "'" + contentType + "'") + "\n");
            return;
        }
        if (request.getLength() > MAX_BODY) {
            tooLarge(response, callback, "declares " + request.getLength() + " bytes");
            return;
        }
        byte[] body;
        try {
            body = Content.Source.asInputStream(request).readNBytes(MAX_BODY + 1);
        } catch (IOException | RuntimeException e) {
            HttpAnswers.text(response, callback, 400, "Bad Request: the request body could not be read to its end ("
                    + e.getMessage() + "); send it whole\n");
            return;
        }
        if (body.length > MAX_BODY) {
            tooLarge(response, callback, "is over " + MAX_BODY + " bytes");
            return;
        }
        answer(response, callback, responder.respond(body));
    }

    /** The request line is bounded by the server (414 over {@value CaWebServer#MAX_HEADERS} bytes) before this is reached. */
    private void get(Request request, Response response, Callback callback) {
        // the raw path: base64 holds '/' and '+', and clients send them raw or percent-encoded
        String raw = request.getHttpURI().getPath();
        int start = raw.indexOf(PATH + "/");
        String encoded = start < 0 ? "" : raw.substring(start + PATH.length() + 1);
        byte[] der;
        try {
            // '+' is base64 here, not a space: keep it through the form-style decoder
            String base64 = URLDecoder.decode(encoded.replace("+", "%2B"), StandardCharsets.UTF_8);
            der = Base64.getMimeDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            der = new byte[0];
        }
        answer(response, callback, responder.respond(der));
    }

    private static void answer(Response response, Callback callback, byte[] der) {
        // RFC 5019 6 lets HTTP caches keep a GET's answer until nextUpdate; the status is read live, so a cache must not
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        HttpAnswers.send(response, callback, 200, RESPONSE_TYPE, der);
    }

    private static void tooLarge(Response response, Callback callback, String what) {
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        HttpAnswers.text(response, callback, 413, "Content Too Large: the OCSP request " + what + "; the Online Responder reads at most "
                + MAX_BODY + " bytes (a request is a few hundred)\n");
    }
}
