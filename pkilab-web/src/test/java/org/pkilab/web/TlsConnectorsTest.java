package org.pkilab.web;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.pkilab.pki.KeyFiles;
import org.pkilab.pki.RsaKeys;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The IIS "SSL Settings" a connector is made with show in what a client without a certificate gets, and ALPN in what it negotiates. */
class TlsConnectorsTest {

    private static final KeyFiles.KeyEntry WEB = selfSigned("CN=web01.contoso.com");
    private Server server;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void acceptServesAClientWithoutACertificate() throws Exception {
        ServerConnector https = start(TlsConnectors.ClientAuth.WANT, false);
        try (SSLSocket socket = connect(https, "http/1.1")) {
            assertTrue(get(socket).startsWith("HTTP/1.1 200"), "ClientAuth.WANT ('Accept') serves a client that has no certificate");
        }
    }

    @Test
    void requireRefusesAClientWithoutACertificate() throws Exception {
        ServerConnector https = start(TlsConnectors.ClientAuth.NEED, false);
        try (SSLSocket socket = connect(https, "http/1.1")) {
            // TLS 1.3 reports the server's certificate_required alert at the client's first read
            String answer;
            try {
                answer = get(socket);
            } catch (IOException refused) {
                answer = "";
            }
            assertFalse(answer.startsWith("HTTP/1.1"), "ClientAuth.NEED ('Require') answered a client without a certificate: " + answer);
        }
    }

    @Test
    void http2IsChosenOnlyWhereOffered() throws Exception {
        ServerConnector h2 = start(TlsConnectors.ClientAuth.NONE, true);
        try (SSLSocket socket = connect(h2, "h2", "http/1.1")) {
            socket.startHandshake();
            assertEquals("h2", socket.getApplicationProtocol(), "a port made with http2(true) chooses h2 when the client offers it");
        }
        server.stop();
        ServerConnector http11 = start(TlsConnectors.ClientAuth.NONE, false);
        try (SSLSocket socket = connect(http11, "h2", "http/1.1")) {
            assertTrue(get(socket).startsWith("HTTP/1.1 200"), "a port without http2 answers HTTP/1.1 to a client offering h2");
        }
    }

    @Test
    void askingForClientCertificatesWithNothingToJudgeThemIsRefused() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TlsConnectors.builder(new Server()).identity(WEB).clientAuth(TlsConnectors.ClientAuth.NEED).build());
        assertTrue(e.getMessage().contains("trustAnchors"), e.getMessage());
    }

    private ServerConnector start(TlsConnectors.ClientAuth clientAuth, boolean http2) throws Exception {
        server = new Server();
        ServerConnector https = TlsConnectors.builder(server).identity(WEB).trustAnchors(List.of(WEB.certificate()))
                .clientAuth(clientAuth).http2(http2).build();
        server.addConnector(https);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                response.setStatus(200);
                response.write(true, ByteBuffer.wrap("ok\n".getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        });
        server.start();
        return https;
    }

    private static SSLSocket connect(ServerConnector https, String... alpn) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[]{new TrustOnly(WEB.certificate())}, null);
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", https.getLocalPort());
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setApplicationProtocols(alpn);
        socket.setSSLParameters(parameters);
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static String get(SSLSocket socket) throws IOException {
        socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: web01.contoso.com\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        InputStream in = socket.getInputStream();
        return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    }

    private static KeyFiles.KeyEntry selfSigned(String subject) {
        try {
            KeyPair pair = RsaKeys.generate(2048);
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            X500Name name = new X500Name(subject);
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, BigInteger.ONE, Date.from(now.minusSeconds(60)),
                    Date.from(now.plus(1, ChronoUnit.DAYS)), name, pair.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate())));
            return new KeyFiles.KeyEntry(pair.getPrivate(), new X509Certificate[]{certificate});
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The client trusts the test's one certificate and nothing else. */
    private record TrustOnly(X509Certificate trusted) implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            throw new UnsupportedOperationException("a client");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            if (!chain[0].equals(trusted)) {
                throw new java.security.cert.CertificateException("not the test's certificate: " + chain[0].getSubjectX500Principal());
            }
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[]{trusted};
        }
    }
}
