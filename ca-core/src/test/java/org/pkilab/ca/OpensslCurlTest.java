package org.pkilab.ca;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.pki.KeyFiles;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CA as Debian's curl and openssl see it: curl enrolls over EST with Basic auth and an
 * {@code openssl req} CSR; openssl accepts the PKCS #7 answer, the certificate and its chain, and after
 * revocation finds the certificate revoked in the CRL downloaded from the CDP URL it carries.
 */
class OpensslCurlTest {

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
            admin.usersAndComputers().createGroup("ConfigMgr IIS Servers");
            admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", PASSWORD);
            admin.usersAndComputers().addMember("ConfigMgr IIS Servers", "IIS01$");
            admin.templates().duplicate("Web Server", "ConfigMgr Web Server Certificate", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
            admin.security().clearAllow("ConfigMgr Web Server Certificate", "Domain Admins", AccessRight.ENROLL);
            admin.security().allow("ConfigMgr Web Server Certificate", "ConfigMgr IIS Servers", AccessRight.READ, AccessRight.ENROLL);
        }
        ca.issueTemplate("ConfigMgr Web Server Certificate");
    }

    @AfterAll
    static void stopLab() {
        forest.close();
    }

    private static String resolve(int port) {
        return ca.config().fqdn() + ":" + port + ":127.0.0.1";
    }

    private static Result run(Path dir, String... command) throws Exception {
        return ExternalTool.run(dir, Map.of(), null, command);
    }

    @Test
    void curlEnrollsAndOpensslAcceptsThenFindsItRevokedInTheCrl(@TempDir Path dir) throws Exception {
        Result aia = run(dir, "curl", "-sS", "--fail", "--resolve", resolve(ca.httpPort()), "-o", "ca.der", ca.caIssuersUrl());
        assertEquals(0, aia.exit(), "AIA download: " + aia);
        assertEquals(0, run(dir, "openssl", "x509", "-inform", "DER", "-in", "ca.der", "-out", "ca.pem").exit());

        Result req = run(dir, "openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem",
                "-subj", "/CN=iis01.contoso.com", "-addext", "subjectAltName=DNS:iis01.contoso.com,DNS:server.contoso.com",
                "-outform", "DER", "-out", "req.der");
        assertEquals(0, req.exit(), req.toString());
        assertEquals(0, run(dir, "openssl", "base64", "-in", "req.der", "-out", "req.b64").exit());

        Result enroll = run(dir, "curl", "-sS", "--cacert", "ca.pem", "--resolve", resolve(ca.httpsPort()),
                "-u", "IIS01$:" + PASSWORD, "-H", "Content-Type: application/pkcs10", "--data-binary", "@req.b64",
                "-o", "resp.b64", "-w", "%{http_code}",
                ca.estBaseUrl() + "/ConfigMgrWebServerCertificate/simpleenroll");
        assertEquals("200", enroll.out(), "curl over EST: " + enroll + "\nbody: " + read(dir, "resp.b64"));

        assertEquals(0, run(dir, "openssl", "base64", "-d", "-A", "-in", "resp.b64", "-out", "resp.p7b").exit());
        Result pkcs7 = run(dir, "openssl", "pkcs7", "-inform", "DER", "-in", "resp.p7b", "-print_certs", "-out", "cert.pem");
        assertEquals(0, pkcs7.exit(), pkcs7.toString());
        Result text = run(dir, "openssl", "x509", "-in", "cert.pem", "-noout", "-text");
        assertEquals(0, text.exit(), text.toString());
        assertTrue(text.out().contains("DNS:iis01.contoso.com, DNS:server.contoso.com"), "SAN in the requested order:\n" + text.out());
        assertTrue(text.out().contains("TLS Web Server Authentication"), text.out());
        assertTrue(text.out().contains(ca.crlUrl()), "CDP URL:\n" + text.out());
        Result verify = run(dir, "openssl", "verify", "-CAfile", "ca.pem", "cert.pem");
        assertEquals(0, verify.exit(), verify.toString());
        assertTrue(verify.out().contains("cert.pem: OK"), verify.toString());

        X509Certificate issued = KeyFiles.certificate(Files.readAllBytes(dir.resolve("cert.pem")));
        ca.revoke(issued.getSerialNumber(), RevocationReason.KEY_COMPROMISE, "CONTOSO\\Administrator");

        Result cdp = run(dir, "curl", "-sS", "--fail", "--resolve", resolve(ca.httpPort()), "-o", "crl.der", ca.crlUrl());
        assertEquals(0, cdp.exit(), "CRL download from the CDP URL: " + cdp);
        Result crl = run(dir, "openssl", "crl", "-inform", "DER", "-in", "crl.der", "-noout", "-text");
        assertEquals(0, crl.exit(), crl.toString());
        assertTrue(crl.out().contains(issued.getSerialNumber().toString(16).toUpperCase(Locale.ROOT)), crl.out());
        assertTrue(crl.out().contains("Key Compromise"), crl.out());
        assertEquals(0, run(dir, "openssl", "crl", "-inform", "DER", "-in", "crl.der", "-out", "crl.pem").exit());
        Result revoked = run(dir, "openssl", "verify", "-crl_check", "-CAfile", "ca.pem", "-CRLfile", "crl.pem", "cert.pem");
        assertNotEquals(0, revoked.exit(), revoked.toString());
        assertTrue((revoked.out() + revoked.err()).contains("certificate revoked"), revoked.toString());
    }

    @Test
    void curlSpeakingHttp2IsAnsweredOnBothPorts(@TempDir Path dir) throws Exception {
        Result crl = run(dir, "curl", "-sS", "--http2-prior-knowledge", "--resolve", resolve(ca.httpPort()), "-o", "crl.der",
                "-w", "%{http_version} %{http_code}", ca.crlUrl());
        assertEquals("2 200", crl.out(), "the CRL over HTTP/2 with prior knowledge: " + crl);
        assertEquals(0, run(dir, "openssl", "crl", "-inform", "DER", "-in", "crl.der", "-noout").exit(), "a CRL came back");
        Result cacerts = run(dir, "curl", "-sS", "-k", "--http2", "--resolve", resolve(ca.httpsPort()), "-o", "cacerts.p7",
                "-w", "%{http_version} %{http_code}", ca.estBaseUrl() + "/cacerts");
        assertEquals("2 200", cacerts.out(), "EST over HTTP/2 chosen in ALPN: " + cacerts);
        Result http11 = run(dir, "curl", "-sS", "-k", "--http1.1", "--resolve", resolve(ca.httpsPort()), "-o", "cacerts11.p7",
                "-w", "%{http_version} %{http_code}", ca.estBaseUrl() + "/cacerts");
        assertEquals("1.1 200", http11.out(), "a client offering only http/1.1 in ALPN: " + http11);
    }

    @Test
    void curlSeesEveryRefusalAsA4xxWithItsCode(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("junk.b64"), "bm90IGEgQ1NS\n");
        Result junk = run(dir, "curl", "-sS", "-k", "--resolve", resolve(ca.httpsPort()), "-u", "IIS01$:" + PASSWORD,
                "-H", "Content-Type: application/pkcs10", "--data-binary", "@junk.b64", "-D", "-",
                ca.estBaseUrl() + "/ConfigMgrWebServerCertificate/simpleenroll");
        // curl speaks HTTP/2 to the EST port now that ALPN offers it; the refusal is the same in either
        assertTrue(junk.out().contains("HTTP/2 400") && junk.out().contains("CRYPT_E_ASN1_BADTAG"), junk.out());
        Result dotdot = run(dir, "curl", "-sS", "-k", "--path-as-is", "--resolve", resolve(ca.httpsPort()), "-u", "IIS01$:" + PASSWORD,
                "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: application/pkcs10", "--data-binary", "@junk.b64",
                ca.estBaseUrl() + "/../../CertEnroll/simpleenroll");
        assertTrue(dotdot.out().startsWith("4"), "a '..' label is refused: " + dotdot);
        String plainToHttps = "http://" + ca.config().fqdn() + ":" + ca.httpsPort() + "/.well-known/est/cacerts";
        Result plain = run(dir, "curl", "-sS", "--resolve", resolve(ca.httpsPort()), "-D", "-", plainToHttps);
        assertTrue(plain.out().contains("HTTP/1.1 400") && plain.out().contains("speaks HTTPS") && plain.out().contains(
                "use https://" + ca.config().fqdn() + ":" + ca.httpsPort() + "/.well-known/est/cacerts"), "plain HTTP to the HTTPS port: " + plain);
    }

    private static String read(Path dir, String file) {
        try {
            return Files.readString(dir.resolve(file));
        } catch (Exception e) {
            return "(none)";
        }
    }
}
