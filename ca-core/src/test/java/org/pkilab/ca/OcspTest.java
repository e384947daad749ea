package org.pkilab.ca;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.pki.KeyFiles;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CA's Online Responder as Debian's {@code openssl ocsp}, curl and GnuTLS's {@code ocsptool} see it: a
 * certificate the CA issued is {@code good}, revoked in the very next answer after the CA revokes it (no CRL
 * published in between), a serial the CA never issued is {@code unknown}; nonces are echoed, the answer verifies
 * with the CA as trust anchor, and GET works as well as POST.
 */
class OcspTest {

    private static final String PASSWORD = TestForest.PASSWORD;
    private static TestForest forest;
    private static final String TEMPLATE = "ConfigMgrWebServerCertificate";
    private static DomainController dc;
    private static CertificationAuthority ca;

    @BeforeAll
    static void startLab() {
        forest = TestForest.start();
        dc = forest.dc();
        ca = forest.ca();
        try (DirectoryAdmin admin = forest.admin()) {
            admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", PASSWORD);
            admin.templates().duplicate("Web Server", "ConfigMgr Web Server Certificate", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
            admin.security().allow("ConfigMgr Web Server Certificate", "IIS01$", AccessRight.READ, AccessRight.ENROLL);
        }
        ca.issueTemplate("ConfigMgr Web Server Certificate");
    }

    @AfterAll
    static void stopLab() {
        forest.close();
    }

    /** A new certificate for IIS01, written as leaf.pem, with ca.pem beside it. */
    private static X509Certificate issue(Path dir) throws Exception {
        LogonToken iis01 = DomainLogon.logon("127.0.0.1", dc.ldapPort(), dc.names().computer("IIS01"), PASSWORD).token();
        EnrollmentResult result = ca.submit(EnrollmentRequest.manual(iis01, TEMPLATE, Csrs.request(Csrs.rsa(2048), "", "iis01.contoso.com")));
        assertTrue(result.issued(), "IIS01 enrolls for " + TEMPLATE + ": " + result);
        Files.writeString(dir.resolve("leaf.pem"), KeyFiles.pem(result.certificate()));
        Files.writeString(dir.resolve("ca.pem"), KeyFiles.pem(ca.certificate()));
        return result.certificate();
    }

    private static Result openssl(Path dir, String... more) throws Exception {
        // the AIA names ca01.contoso.com, which resolves to the lab's loopback only inside the lab; openssl has no --resolve
        List<String> command = new ArrayList<>(List.of("openssl", "ocsp", "-issuer", "ca.pem", "-url", localUrl(), "-CAfile", "ca.pem"));
        command.addAll(List.of(more));
        return ExternalTool.run(dir, Map.of(), null, command.toArray(String[]::new));
    }

    private static String localUrl() {
        return ca.ocspUrl().replace(ca.config().fqdn(), "127.0.0.1");
    }

    @Test
    void certificatesNameTheResponderInTheirAiaOnceCaOcspUrlIsSet(@TempDir Path dir) throws Exception {
        try {
            issue(dir);
            Result none = ExternalTool.run(dir, Map.of(), null, "openssl", "x509", "-in", "leaf.pem", "-noout", "-ocsp_uri");
            assertEquals("", none.out().strip(), "a new CA, like Windows', names no OCSP URL until its Extensions tab adds one: " + none);

            ca.changeRegistry("CA\\OcspUrl", "responder", "CONTOSO\\Administrator");
            issue(dir);
            Result uri = ExternalTool.run(dir, Map.of(), null, "openssl", "x509", "-in", "leaf.pem", "-noout", "-ocsp_uri");
            assertEquals(ca.ocspUrl(), uri.out().strip(), "the AIA's id-ad-ocsp URL of a certificate from " + ca.config().caName() + ": " + uri);
        } finally {
            ca.changeRegistry("CA\\OcspUrl", "", "CONTOSO\\Administrator");
        }
    }

    @Test
    void goodThenRevokedAtTheVeryNextRequest(@TempDir Path dir) throws Exception {
        X509Certificate leaf = issue(dir);
        Result good = openssl(dir, "-cert", "leaf.pem");
        assertEquals(0, good.exit(), good.toString());
        assertTrue(good.out().contains("leaf.pem: good"), "a certificate " + ca.config().caName() + " issued: " + good);
        assertTrue(good.err().contains("Response verify OK"), "the answer verifies with the CA as trust anchor: " + good);

        ca.revoke(leaf.getSerialNumber(), RevocationReason.KEY_COMPROMISE, "CONTOSO\\Administrator");
        Result revoked = openssl(dir, "-cert", "leaf.pem");
        assertEquals(0, revoked.exit(), revoked.toString());
        assertTrue(revoked.out().contains("leaf.pem: revoked"), "revoked by the next answer, with no CRL published: " + revoked);
        assertTrue(revoked.out().contains("Reason: keyCompromise"), revoked.toString());
        assertTrue(revoked.out().contains("Revocation Time:"), revoked.toString());
    }

    @Test
    void answersAreSignedByAnOcspResponseSigningCertificateTheCaIssuedItself(@TempDir Path dir) throws Exception {
        issue(dir);
        X509Certificate responder = ca.ocspSigningCertificate();
        Files.writeString(dir.resolve("responder.pem"), KeyFiles.pem(responder));
        Result text = ExternalTool.run(dir, Map.of(), null, "openssl", "x509", "-in", "responder.pem", "-noout", "-text");
        assertTrue(text.out().contains("OCSP Signing"), "the EKU of the OCSP Response Signing certificate: " + text.out());
        assertTrue(text.out().contains("OCSP No Check"), "id-pkix-ocsp-nocheck in it: " + text.out());
        assertTrue(text.out().contains("DNS:" + ca.config().fqdn()), "named for the CA computer: " + text.out());
        // notBefore is set back a few minutes for clocks behind the CA's, as Windows does
        java.time.Duration validity = java.time.Duration.between(responder.getNotBefore().toInstant(), responder.getNotAfter().toInstant());
        assertTrue(validity.compareTo(java.time.Duration.ofDays(14)) >= 0 && validity.compareTo(java.time.Duration.ofDays(14).plusHours(1)) < 0,
                "OCSP Response Signing's two weeks: " + validity);
        assertTrue(ca.issued().stream().anyMatch(r -> r.serial().equals(responder.getSerialNumber())
                && r.template().equals(org.pkilab.directory.model.DefaultTemplates.OCSP_RESPONSE_SIGNING)), "recorded in the CA database");

        Result va = ExternalTool.run(dir, Map.of(), null, "openssl", "ocsp", "-issuer", "ca.pem", "-cert", "leaf.pem", "-url", localUrl(),
                "-VAfile", "responder.pem");
        assertEquals(0, va.exit(), va.toString());
        assertTrue(va.err().contains("Response verify OK") && va.out().contains("leaf.pem: good"), "-VAfile with the responder's certificate: " + va);
    }

    @Test
    void gnutlsOcsptoolAsksAndVerifiesGoodThenRevoked(@TempDir Path dir) throws Exception {
        X509Certificate leaf = issue(dir);
        Result good = ocsptool(dir, "--nonce");
        assertEquals(0, good.exit(), good.toString());
        assertTrue(good.out().contains("Certificate Status: good"), "ocsptool --ask for a certificate " + ca.config().caName() + " issued: " + good);
        assertTrue(good.out().contains("Verifying OCSP Response: Success"), "verified against the CA as trust anchor: " + good);
        assertTrue(good.out().contains("Nonce:"), "the nonce ocsptool sent, echoed: " + good);

        ca.revoke(leaf.getSerialNumber(), RevocationReason.CESSATION_OF_OPERATION, "CONTOSO\\Administrator");
        Result revoked = ocsptool(dir);
        assertTrue(revoked.out().contains("Certificate Status: revoked"), "ocsptool --ask after revocation: " + revoked);
        // ocsptool prints the time, not the reason (openssl's test checks that)
        assertTrue(revoked.out().contains("Revocation time:"), revoked.toString());
        assertTrue(revoked.out().contains("Verifying OCSP Response: Success"), revoked.toString());
    }

    private static Result ocsptool(Path dir, String... more) throws Exception {
        List<String> command = new ArrayList<>(List.of("ocsptool", "--ask=" + localUrl(), "--load-issuer", "ca.pem", "--load-cert", "leaf.pem",
                "--load-trust", "ca.pem"));
        command.addAll(List.of(more));
        return ExternalTool.run(dir, Map.of(), null, command.toArray(String[]::new));
    }

    @Test
    void aSerialTheCaNeverIssuedIsUnknown(@TempDir Path dir) throws Exception {
        issue(dir);
        Result unknown = openssl(dir, "-serial", "0x1234567890abcdef");
        assertEquals(0, unknown.exit(), unknown.toString());
        assertTrue(unknown.out().contains("0x1234567890abcdef: unknown"), "a serial " + ca.config().caName() + " never issued: " + unknown);
    }

    @Test
    void theNonceIsEchoed(@TempDir Path dir) throws Exception {
        issue(dir);
        Result withNonce = openssl(dir, "-cert", "leaf.pem", "-nonce", "-resp_text");
        assertEquals(0, withNonce.exit(), withNonce.toString());
        assertTrue(withNonce.out().contains("OCSP Nonce"), "the nonce in the answer: " + withNonce);
        assertTrue(!(withNonce.out() + withNonce.err()).contains("WARNING: no nonce in response")
                && !(withNonce.out() + withNonce.err()).contains("Nonce Verify error"), withNonce.toString());
        Result none = openssl(dir, "-cert", "leaf.pem", "-no_nonce", "-resp_text");
        assertTrue(!none.out().contains("OCSP Nonce"), "no nonce asked, none answered: " + none);
    }

    @Test
    void anotherIssuersCertificateIsUnauthorized(@TempDir Path dir) throws Exception {
        issue(dir);
        Result self = ExternalTool.run(dir, Map.of(), null, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key",
                "-subj", "/CN=Fabrikam Root", "-out", "other.pem");
        assertEquals(0, self.exit(), self.toString());
        Result other = ExternalTool.run(dir, Map.of(), null, "openssl", "ocsp", "-issuer", "other.pem", "-serial", "0x10",
                "-url", localUrl());
        assertTrue((other.out() + other.err()).contains("unauthorized"), "a CertID naming Fabrikam Root, not " + ca.config().caName() + ": " + other);
    }

    @Test
    void getOfTheBase64RequestIsAnsweredAsPost(@TempDir Path dir) throws Exception {
        X509Certificate leaf = issue(dir);
        Result reqout = ExternalTool.run(dir, Map.of(), null, "openssl", "ocsp", "-issuer", "ca.pem", "-cert", "leaf.pem", "-no_nonce",
                "-reqout", "req.der");
        assertEquals(0, reqout.exit(), reqout.toString());
        String base64 = Base64.getEncoder().encodeToString(Files.readAllBytes(dir.resolve("req.der")));
        for (String path : List.of(base64, java.net.URLEncoder.encode(base64, java.nio.charset.StandardCharsets.UTF_8))) {
            Result get = ExternalTool.run(dir, Map.of(), null, "curl", "-sS", "--fail", "-o", "resp.der", "-w", "%{content_type}",
                    localUrl() + "/" + path);
            assertEquals(0, get.exit(), "GET " + path + ": " + get);
            assertEquals(OcspAdapter.RESPONSE_TYPE, get.out(), get.toString());
            Result read = ExternalTool.run(dir, Map.of(), null, "openssl", "ocsp", "-respin", "resp.der", "-issuer", "ca.pem",
                    "-cert", "leaf.pem", "-CAfile", "ca.pem");
            assertTrue(read.out().contains("leaf.pem: good"), "the answer to GET " + path + " for " + leaf.getSerialNumber().toString(16) + ": " + read);
        }
    }
}
