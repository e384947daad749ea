package org.pkilab.enrollment;

import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * EST over the JDK's own {@code HttpsURLConnection}, for a client outside the lab's computers (the CA's tests,
 * a command-line tool): it trusts what {@code tls} trusts and, when given a {@code serverName}, accepts the
 * server only if its certificate names that DNS name, whatever host the URL has; that is how a test reaches
 * {@code ca01.contoso.com} at {@code 127.0.0.1}. One transport keeps its connections alive between requests
 * (the JDK reuses a connection only for the same socket factory); threads that each want their own connection
 * use a transport each.
 */
public final class JdkEstTransport implements EstTransport {

    private final SSLSocketFactory sockets;
    private final String serverName;

    /**
     * @param tls        the trust (and the client certificate, for re-enrollment) of the connections
     * @param serverName the DNS name the server's certificate must carry; null checks the URL's host as usual
     */
    public JdkEstTransport(SSLContext tls, String serverName) {
        this.sockets = tls.getSocketFactory();
        this.serverName = serverName;
    }

    @Override
    public Response exchange(Request request) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(request.url()).toURL().openConnection();
        if (c instanceof HttpsURLConnection https) {
            https.setSSLSocketFactory(sockets);
            if (serverName != null) {
                https.setHostnameVerifier(namedServer(serverName));
            }
        }
        c.setConnectTimeout(10_000);
        c.setReadTimeout(30_000);
        c.setRequestMethod(request.method());
        if (request.authorization() != null) {
            c.setRequestProperty("Authorization", request.authorization());
        }
        if (request.contentType() != null) {
            c.setRequestProperty("Content-Type", request.contentType());
        }
        if (request.body() != null || "POST".equals(request.method())) {
            c.setDoOutput(true);
            try (OutputStream out = c.getOutputStream()) {
                if (request.body() != null) {
                    out.write(request.body());
                }
            }
        }
        int status = c.getResponseCode();
        byte[] body;
        try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
            body = in == null ? new byte[0] : in.readAllBytes();
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> field : c.getHeaderFields().entrySet()) {
            if (field.getKey() != null && !field.getValue().isEmpty()) {
                headers.put(field.getKey(), c.getHeaderField(field.getKey()));
            }
        }
        return new Response(status, headers, body);
    }

    /**
     * Accepts a server whose certificate names {@code serverName} among its DNS names, whatever address the URL
     * holds: a lab host is reached at 127.0.0.1 and must still prove it is {@code ca01.contoso.com}.
     */
    public static HostnameVerifier namedServer(String serverName) {
        return (host, session) -> {
            try {
                X509Certificate server = (X509Certificate) session.getPeerCertificates()[0];
                return server.getSubjectAlternativeNames() != null && server.getSubjectAlternativeNames().stream()
                        .anyMatch(n -> Integer.valueOf(2).equals(n.get(0)) && serverName.equalsIgnoreCase(String.valueOf(n.get(1))));
            } catch (Exception e) {
                return false;
            }
        };
    }
}
