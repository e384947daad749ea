package org.pkilab.ca;

import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.pkilab.pki.KeyFiles;

import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Collection;

/**
 * A test EST client over real HTTPS: it trusts only the lab CA and checks that the server's certificate
 * names the CA's FQDN, as a Windows client connecting to ca01.contoso.com would. One client keeps its
 * connections alive between requests (the JDK reuses a connection only for the same socket factory);
 * threads that each want their own connection use a client each.
 */
final class EstClient {

    record Reply(int status, String contentType, byte[] body, String error, String requestId, String retryAfter, String nextAfter) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        X509Certificate certificate() {
            try {
                CMSSignedData p7 = new CMSSignedData(Base64.getMimeDecoder().decode(body));
                Collection<X509CertificateHolder> certs = p7.getCertificates().getMatches(null);
                return new JcaX509CertificateConverter().getCertificate(certs.iterator().next());
            } catch (Exception e) {
                throw new AssertionError("not a certs-only PKCS #7 (status " + status + "): " + text(), e);
            }
        }
    }

    private final CertificationAuthority ca;
    private final SSLSocketFactory sockets;

    EstClient(CertificationAuthority ca) {
        this(ca, null);
    }

    /** With {@code clientKey} the client presents that certificate (for re-enrollment). */
    EstClient(CertificationAuthority ca, KeyFiles.KeyEntry clientKey) {
        this.ca = ca;
        try {
            KeyManagerFactory kmf = null;
            if (clientKey != null) {
                char[] pw = "x".toCharArray();
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(KeyFiles.keyStore(clientKey, pw), pw);
            }
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(kmf == null ? null : kmf.getKeyManagers(), KeyFiles.trustOnly(ca.certificate()), null);
            sockets = tls.getSocketFactory();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    Reply enroll(String template, String authorization, byte[] csr) throws IOException {
        return post("/" + template + "/simpleenroll", authorization, Base64.getMimeEncoder().encode(csr), "application/pkcs10");
    }

    Reply reenroll(byte[] csr) throws IOException {
        return post("/simplereenroll", null, Base64.getMimeEncoder().encode(csr), "application/pkcs10");
    }

    Reply post(String path, String authorization, byte[] body, String contentType) throws IOException {
        HttpsURLConnection c = open(path, authorization);
        c.setRequestMethod("POST");
        c.setDoOutput(true);
        if (contentType != null) {
            c.setRequestProperty("Content-Type", contentType);
        }
        try (OutputStream out = c.getOutputStream()) {
            out.write(body);
        }
        return reply(c);
    }

    Reply get(String path, String authorization) throws IOException {
        HttpsURLConnection c = open(path, authorization);
        return reply(c);
    }

    /** A call on the CA's administration interface, {@code /certsrv/admin/<path>}. */
    Reply admin(String method, String path, String authorization) throws IOException {
        HttpsURLConnection c = open(new URL("https://127.0.0.1:" + ca.httpsPort() + CaAdminEndpoint.PREFIX + path), authorization);
        c.setRequestMethod(method);
        if (!method.equals("GET")) {
            c.setDoOutput(true);
            c.getOutputStream().close();
        }
        return reply(c);
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private HttpsURLConnection open(String path, String authorization) throws IOException {
        return open(new URL("https://127.0.0.1:" + ca.httpsPort() + "/.well-known/est" + path), authorization);
    }

    private HttpsURLConnection open(URL url, String authorization) throws IOException {
        // the lab's names resolve to 127.0.0.1; the certificate must still name the CA's FQDN
        HttpsURLConnection c = (HttpsURLConnection) url.openConnection();
        c.setSSLSocketFactory(sockets);
        String fqdn = ca.config().fqdn();
        c.setHostnameVerifier((host, session) -> {
            try {
                X509Certificate server = (X509Certificate) session.getPeerCertificates()[0];
                return server.getSubjectAlternativeNames().stream().anyMatch(n -> fqdn.equalsIgnoreCase(String.valueOf(n.get(1))));
            } catch (Exception e) {
                return false;
            }
        });
        c.setConnectTimeout(10_000);
        c.setReadTimeout(30_000);
        if (authorization != null) {
            c.setRequestProperty("Authorization", authorization);
        }
        return c;
    }

    private static Reply reply(HttpsURLConnection c) throws IOException {
        int status = c.getResponseCode();
        byte[] body;
        try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
            body = in == null ? new byte[0] : in.readAllBytes();
        }
        return new Reply(status, c.getContentType(), body, c.getHeaderField("X-ADCS-Error"), c.getHeaderField("X-ADCS-Request-Id"),
                c.getHeaderField("Retry-After"), c.getHeaderField(CaAdminEndpoint.NEXT_PAGE));
    }
}
