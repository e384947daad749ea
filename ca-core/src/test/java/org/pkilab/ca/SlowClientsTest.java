package org.pkilab.ca;

import org.pkilab.enrollment.EstAnswer;
import org.pkilab.enrollment.EstClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.pki.KeyFiles;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Slow request bodies from one account cost that account, not everyone: the EST (HTTPS) and CRL (HTTP) ports
 * have threads of their own, an account has a few requests in progress at a time, and a body that stops
 * arriving is ended.
 */
class SlowClientsTest {

    private static final String PASSWORD = TestForest.PASSWORD;
    private static TestForest forest;
    private static DomainController dc;
    private static CertificationAuthority ca;

    @BeforeAll
    static void startLab() {
        forest = TestForest.start();
        dc = forest.dc();
        ca = forest.ca();
        try (DirectoryAdmin admin = forest.admin()) {
            admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", PASSWORD);
            admin.usersAndComputers().createComputer("PC01", "pc01.contoso.com", PASSWORD);
        }
    }

    @AfterAll
    static void stopLab() {
        forest.close();
    }

    @Test
    void sixtySlowBodiesFromOneAccountStarveNeitherPortNorAnotherAccount() throws Exception {
        List<Socket> slow = new ArrayList<>();
        int tooMany = 0;
        try {
            for (int i = 0; i < 60; i++) {
                Socket socket = slowEnrollment("IIS01$");
                slow.add(socket);
            }
            // every socket read at once, each for up to 10 s: a refusal comes at once, a held request says nothing meanwhile
            java.util.concurrent.ExecutorService readers = java.util.concurrent.Executors.newFixedThreadPool(slow.size());
            List<java.util.concurrent.Future<String>> answers = new ArrayList<>();
            for (Socket socket : slow) {
                answers.add(readers.submit(() -> readSome(socket, 10_000)));
            }
            for (java.util.concurrent.Future<String> future : answers) {
                String answer = future.get();
                if (answer.startsWith("HTTP/1.1 429")) {
                    tooMany++;
                    assertTrue(answer.contains("IIS01$") && answer.contains("at a time"), "429 names the account and the limit: " + answer);
                }
            }
            readers.shutdown();
            assertTrue(tooMany >= 60 - EstAdapter.MAX_REQUESTS_PER_ACCOUNT - 2,
                    "an account has " + EstAdapter.MAX_REQUESTS_PER_ACCOUNT + " requests in progress at a time; " + tooMany + " of 60 refused");

            HttpURLConnection crl = (HttpURLConnection) new URL(ca.crlUrl().replaceFirst("//[^/:]+", "//127.0.0.1")).openConnection();
            crl.setConnectTimeout(5_000);
            crl.setReadTimeout(5_000);
            assertEquals(200, crl.getResponseCode(), "the CRL port answers while IIS01's bodies hang");
            crl.getInputStream().readAllBytes();

            EstAnswer other = CaHttps.est(ca).simpleEnroll("Machine", EstClient.basic("PC01$", PASSWORD),
                    Csrs.request(Csrs.rsa(2048), "CN=pc01.contoso.com"));
            assertEquals(200, other.status(), "another account enrolls while IIS01's bodies hang: " + other.text());
        } finally {
            for (Socket socket : slow) {
                socket.close();
            }
        }
    }

    /** A POST whose body never finishes: headers and ten bytes of a thousand. */
    private static Socket slowEnrollment(String account) throws Exception {
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, KeyFiles.trustOnly(ca.certificate()), null);
        SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", ca.httpsPort());
        socket.startHandshake();
        String basic = EstClient.basic(account, PASSWORD);
        OutputStream out = socket.getOutputStream();
        out.write(("POST /.well-known/est/Machine/simpleenroll HTTP/1.1\r\nHost: " + ca.config().fqdn() + "\r\nAuthorization: " + basic
                + "\r\nContent-Type: application/pkcs10\r\nContent-Length: 1000\r\n\r\nMIIBIjANBg").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return socket;
    }

    private static String readSome(Socket socket, int millis) throws IOException {
        socket.setSoTimeout(millis);
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[2048];
        try {
            int n = in.read(buffer);
            return n <= 0 ? "" : new String(buffer, 0, n, StandardCharsets.UTF_8);
        } catch (SocketTimeoutException e) {
            return "";
        }
    }
}
