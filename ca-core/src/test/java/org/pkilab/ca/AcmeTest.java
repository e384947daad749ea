package org.pkilab.ca;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.pki.KeyFiles;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;

import org.pkilab.enrollment.AcmeClient;
import org.pkilab.enrollment.EnrollmentException;
import org.pkilab.windows.WindowsError;

import java.net.ServerSocket;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * ACME in front of the enterprise CA, driven by Debian's clients as they are: {@code lego} (http-01 and tls-alpn-01,
 * revocation with the account key) and {@code certbot} (standalone http-01, revocation with the certificate's key). Each
 * registers with the external account binding {@code pkilab acme eab} issues for a directory account, and the CA judges
 * every order with that account's token: alice (in "ACME Web Servers", which holds Enroll) is issued, bob is refused
 * with {@code 0x80094012 CERTSRV_E_TEMPLATE_DENIED} in the client's own output, and a template that needs CA manager
 * approval holds the order until a certificate manager approves it.
 *
 * <p>The clients reach the CA by its host name through a private {@code /etc/hosts} (unshare, as root, as CI runs), and
 * serve their challenges on a free loopback port the CA's {@code CA\AcmeHttpPort} / {@code CA\AcmeTlsAlpnPort} name.
 */
class AcmeTest {

    private static final String PASSWORD = TestForest.PASSWORD;
    private static TestForest forest;
    private static final String TEMPLATE = "ACMEWebServer";
    private static final String APPROVAL_TEMPLATE = "ACMEApproval";
    private static final String NAME = "iis01.contoso.com";
    private static DomainController dc;
    private static CertificationAuthority ca;

    @BeforeAll
    static void startLab() {
        forest = TestForest.start();
        dc = forest.dc();
        ca = forest.ca();
        try (DirectoryAdmin admin = forest.admin()) {
            admin.usersAndComputers().createGroup("ACME Web Servers");
            admin.usersAndComputers().createUser("alice", PASSWORD);
            admin.usersAndComputers().createUser("bob", PASSWORD);
            admin.usersAndComputers().addMember("ACME Web Servers", "alice");
            for (String template : new String[]{TEMPLATE, APPROVAL_TEMPLATE}) {
                admin.templates().duplicate("Web Server", template, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
                admin.security().clearAllow(template, "Domain Admins", AccessRight.ENROLL);
                admin.security().allow(template, "ACME Web Servers", AccessRight.READ, AccessRight.ENROLL);
            }
            admin.templates().setRequiresApproval(APPROVAL_TEMPLATE, true);
        }
        ca.issueTemplate(TEMPLATE);
        ca.issueTemplate(APPROVAL_TEMPLATE);
    }

    @AfterAll
    static void stopLab() {
        forest.close();
    }

    private static String directory(String template) {
        return "https://" + ca.config().fqdn() + ":" + ca.httpsPort() + "/acme/" + template + "/directory";
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /**
     * {@code script} in a private mount namespace whose {@code /etc/hosts} sends the CA's host name to 127.0.0.1, as the
     * domain's DNS would; the CA's certificate in ca.pem.
     */
    private static Result onTheLab(Path dir, Map<String, String> environment, String script) throws Exception {
        Result uid = ExternalTool.run(dir, Map.of(), null, "id", "-u");
        assumeTrue(uid.out().strip().equals("0"), "the ACME clients reach " + ca.config().fqdn() + " through a private /etc/hosts "
                + "(unshare --mount), which needs root, as CI runs; this run is uid " + uid.out().strip());
        Files.writeString(dir.resolve("hosts"), "127.0.0.1 localhost " + ca.config().fqdn() + " " + NAME + "\n");
        Files.writeString(dir.resolve("ca.pem"), KeyFiles.pem(ca.certificate()));
        return ExternalTool.run(dir, environment, null, "unshare", "--mount", "sh", "-c", "mount --bind hosts /etc/hosts && " + script);
    }

    /** lego as its manual has it, trusting the CA with LEGO_CA_CERTIFICATES; {@code challenge} is its --http or --tls flags. */
    private static Result lego(Path dir, String account, String template, String challenge, String command) throws Exception {
        AcmeAccounts.ExternalAccountKey key = ca.issueAcmeKey(account, "CONTOSO\\Administrator");
        return onTheLab(dir, Map.of("LEGO_CA_CERTIFICATES", dir.resolve("ca.pem").toString()), "lego --server " + directory(template)
                + " --accept-tos --email " + account + "@contoso.com --eab --kid " + key.keyId() + " --hmac " + key.hmacKeyText()
                + " --key-type rsa2048 --domains " + NAME + " " + challenge + " --path " + dir.resolve("lego") + " " + command + " 2>&1");
    }

    private static String legoHttp() throws Exception {
        int port = freePort();
        ca.changeRegistry("CA\\AcmeHttpPort", Integer.toString(port), "CONTOSO\\Administrator");
        return "--http --http.port 127.0.0.1:" + port;
    }

    private static X509Certificate legoCertificate(Path dir) throws Exception {
        return KeyFiles.certificate(Files.readAllBytes(dir.resolve("lego/certificates/" + NAME + ".crt")));
    }

    /** The requests pending now, by id: a test waits for one that is not among them, not for any pending request. */
    private static java.util.Set<Long> pendingIds() {
        return ca.pending().stream().map(RequestRecord::requestId).collect(java.util.stream.Collectors.toSet());
    }

    private static RequestRecord recorded(X509Certificate certificate) {
        return ca.bySerial(certificate.getSerialNumber()).orElseThrow(() -> new AssertionError("serial "
                + certificate.getSerialNumber().toString(16) + " is not in " + ca.name() + "'s database"));
    }

    @Test
    void legoIsIssuedOverHttp01AsTheBoundDirectoryAccount(@TempDir Path dir) throws Exception {
        Result run = lego(dir, "alice", TEMPLATE, legoHttp(), "run");
        assertEquals(0, run.exit(), "lego run for " + NAME + " on " + TEMPLATE + " as alice: " + run);
        RequestRecord record = recorded(legoCertificate(dir));
        assertEquals(TEMPLATE, record.template(), "the ACME directory's template");
        assertEquals("CONTOSO\\alice", record.requester(), "the order's requester is the account the EAB key was issued for");
    }

    @Test
    void legoIsIssuedOverTlsAlpn01(@TempDir Path dir) throws Exception {
        int port = freePort();
        ca.changeRegistry("CA\\AcmeTlsAlpnPort", Integer.toString(port), "CONTOSO\\Administrator");
        Result run = lego(dir, "alice", TEMPLATE, "--tls --tls.port 127.0.0.1:" + port, "run");
        assertEquals(0, run.exit(), "lego run --tls for " + NAME + ": " + run);
        assertEquals("CONTOSO\\alice", recorded(legoCertificate(dir)).requester());
    }

    @Test
    void legoWithoutEnrollRightShowsTemplateDeniedAndNothingIsIssued(@TempDir Path dir) throws Exception {
        long issued = ca.issued().size();
        Result run = lego(dir, "bob", TEMPLATE, legoHttp(), "run");
        assertNotEquals(0, run.exit(), "bob holds no Enroll on " + TEMPLATE + ": " + run);
        assertTrue(run.out().contains("0x80094012 CERTSRV_E_TEMPLATE_DENIED") && run.out().contains("CONTOSO\\bob"),
                "lego prints the problem document's detail with the AD CS code and the account: " + run);
        assertEquals(issued, ca.issued().size(), "nothing issued to bob");
        assertTrue(ca.failed().stream().anyMatch(r -> r.requester().equals("CONTOSO\\bob") && TEMPLATE.equals(r.template())),
                "bob's refused request is in the CA database's Failed Requests");
    }

    @Test
    void legoWaitsWhileTheRequestIsPendingAndIsIssuedOnceApproved(@TempDir Path dir) throws Exception {
        String http = legoHttp();
        java.util.Set<Long> pendingBefore = pendingIds();
        CompletableFuture<Result> run = CompletableFuture.supplyAsync(() -> {
            try {
                return lego(dir, "alice", APPROVAL_TEMPLATE, http, "run");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        RequestRecord pending = null;
        for (int i = 0; i < 200 && pending == null && !run.isDone(); i++) {
            pending = ca.pending().stream().filter(r -> APPROVAL_TEMPLATE.equals(r.template()) && !pendingBefore.contains(r.requestId()))
                    .findFirst().orElse(null);
            if (pending == null) {
                Thread.sleep(100);
            }
        }
        assertTrue(pending != null, "lego's order for " + APPROVAL_TEMPLATE + " waits as a pending request (before: " + pendingBefore.size()
                + " pending): " + (run.isDone() ? run.join() : "lego still running"));
        ca.approve(pending.requestId(), "CONTOSO\\Administrator");
        Result done = run.join();
        assertEquals(0, done.exit(), "lego polls the processing order until the certificate manager approved it: " + done);
        assertEquals(pending.requestId(), recorded(legoCertificate(dir)).requestId(), "the approved request's certificate");
    }

    @Test
    void legoRevokesWithTheAccountKeyAndTheCrlListsTheCertificate(@TempDir Path dir) throws Exception {
        Result run = lego(dir, "alice", TEMPLATE, legoHttp(), "run");
        assertEquals(0, run.exit(), run.toString());
        X509Certificate certificate = legoCertificate(dir);
        Result revoke = lego(dir, "alice", TEMPLATE, legoHttp(), "revoke --reason 1");
        assertEquals(0, revoke.exit(), "lego revoke: " + revoke);
        assertEquals(RequestStatus.REVOKED, recorded(certificate).status(), "the CA database after lego revoke");
        assertTrue(ca.crl(false).isRevoked(certificate), "the CA's CRL lists " + certificate.getSerialNumber().toString(16));
    }

    /** certbot, trusting the CA through REQUESTS_CA_BUNDLE, with its files in {@code dir}. */
    private static Result certbot(Path dir, String account, String template, String arguments) throws Exception {
        AcmeAccounts.ExternalAccountKey key = ca.issueAcmeKey(account, "CONTOSO\\Administrator");
        int port = freePort();
        ca.changeRegistry("CA\\AcmeHttpPort", Integer.toString(port), "CONTOSO\\Administrator");
        String files = " --config-dir " + dir.resolve("etc") + " --work-dir " + dir.resolve("work") + " --logs-dir " + dir.resolve("logs");
        return onTheLab(dir, Map.of("REQUESTS_CA_BUNDLE", dir.resolve("ca.pem").toString()), "certbot " + arguments + " --non-interactive"
                + " --server " + directory(template) + " --agree-tos -m " + account + "@contoso.com --no-eff-email --eab-kid " + key.keyId()
                + " --eab-hmac-key " + key.hmacKeyText() + " --standalone --http-01-address 127.0.0.1 --http-01-port " + port
                + " --key-type rsa --rsa-key-size 2048 -d " + NAME + files + " 2>&1");
    }

    private static Path certbotCertificate(Path dir) throws Exception {
        try (Stream<Path> files = Files.walk(dir.resolve("etc/live"))) {
            return files.filter(p -> p.getFileName().toString().equals("cert.pem")).findFirst().orElseThrow();
        }
    }

    @Test
    void certbotIsIssuedAndRevokesWithTheCertificateKey(@TempDir Path dir) throws Exception {
        Result run = certbot(dir, "alice", TEMPLATE, "certonly");
        assertEquals(0, run.exit(), "certbot certonly --standalone for " + NAME + " as alice: " + run);
        Path certFile = certbotCertificate(dir);
        X509Certificate certificate = KeyFiles.certificate(Files.readAllBytes(certFile));
        assertEquals("CONTOSO\\alice", recorded(certificate).requester());
        Path key = certFile.resolveSibling("privkey.pem");
        Result revoke = onTheLab(dir, Map.of("REQUESTS_CA_BUNDLE", dir.resolve("ca.pem").toString()), "certbot revoke --non-interactive"
                + " --server " + directory(TEMPLATE) + " --cert-path " + certFile + " --key-path " + key + " --reason keycompromise"
                + " --no-delete-after-revoke --config-dir " + dir.resolve("etc2") + " --work-dir " + dir.resolve("work")
                + " --logs-dir " + dir.resolve("logs") + " 2>&1");
        assertEquals(0, revoke.exit(), "certbot revoke --key-path (signed with the certificate's own key): " + revoke);
        assertEquals(RequestStatus.REVOKED, recorded(certificate).status());
        assertTrue(ca.crl(false).isRevoked(certificate), "the CA's CRL lists the certificate certbot revoked");
    }

    @Test
    void certbotWithoutEnrollRightShowsTemplateDenied(@TempDir Path dir) throws Exception {
        // Debian's certbot 2.1.0 under Python 3.11 reports any refusal of finalize as "AttributeError: can't set attribute"
        // (josepy's immutable acme.messages.Error meets contextlib); --debug prints the problem document it got as well
        Result run = certbot(dir, "bob", TEMPLATE, "certonly --debug");
        assertNotEquals(0, run.exit(), "bob holds no Enroll on " + TEMPLATE + ": " + run);
        assertTrue(run.out().contains("0x80094012 CERTSRV_E_TEMPLATE_DENIED"), "certbot prints the problem's detail: " + run);
    }

    // ---- acme4j, through the lab's host-side client ---------------------------------------------------

    private static KeyPair keyPair(String algorithm) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
        if (algorithm.equals("EC")) {
            generator.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        } else {
            generator.initialize(2048);
        }
        return generator.generateKeyPair();
    }

    /** A client for {@code account}'s new ACME account with an EC P-256 key (ES256), reaching the CA at 127.0.0.1. */
    private static AcmeClient acme4j(String account, String template, KeyPair accountKey) throws Exception {
        AcmeAccounts.ExternalAccountKey key = ca.issueAcmeKey(account, "CONTOSO\\Administrator");
        AcmeClient client = AcmeClient.builder("https://127.0.0.1:" + ca.httpsPort() + "/acme/" + template + "/directory")
                .trust(ca.certificate(), ca.config().fqdn()).accountKey(accountKey)
                .externalAccountBinding(key.keyId(), key.hmacKeyText()).http01Port(0).waitForApproval(Duration.ofSeconds(60)).build();
        ca.changeRegistry("CA\\AcmeHttpPort", Integer.toString(client.http01Port()), "CONTOSO\\Administrator");
        return client;
    }

    @Test
    void acme4jWithAnEs256AccountIsIssuedAsTheBoundAccount() throws Exception {
        X509Certificate issued = acme4j("alice", TEMPLATE, keyPair("EC")).enroll(keyPair("RSA"), NAME);
        RequestRecord record = recorded(issued);
        assertEquals("CONTOSO\\alice", record.requester());
        assertEquals(TEMPLATE, record.template());
    }

    @Test
    void acme4jWithoutEnrollRightIsRefusedWithTemplateDenied() throws Exception {
        AcmeClient bob = acme4j("bob", TEMPLATE, keyPair("EC"));
        EnrollmentException refused = assertThrows(EnrollmentException.class, () -> bob.enroll(keyPair("RSA"), NAME));
        assertEquals(WindowsError.CERTSRV_E_TEMPLATE_DENIED, refused.error(), "bob on " + TEMPLATE + ": " + refused.getMessage());
        assertEquals(403, refused.httpStatus());
        assertTrue(refused.getMessage().contains("CONTOSO\\bob") && refused.getMessage().contains("To fix"), refused.getMessage());
    }

    @Test
    void acme4jOrderStaysProcessingUntilACertificateManagerApproves() throws Exception {
        AcmeClient alice = acme4j("alice", APPROVAL_TEMPLATE, keyPair("EC"));
        java.util.Set<Long> pendingBefore = pendingIds();
        CompletableFuture<X509Certificate> enrolled = CompletableFuture.supplyAsync(() -> {
            try {
                return alice.enroll(keyPair("RSA"), NAME);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        RequestRecord pending = null;
        for (int i = 0; i < 200 && pending == null && !enrolled.isDone(); i++) {
            pending = ca.pending().stream().filter(r -> APPROVAL_TEMPLATE.equals(r.template()) && !pendingBefore.contains(r.requestId()))
                    .findFirst().orElse(null);
            if (pending == null || enrolled.isDone()) {
                Thread.sleep(100);
            }
        }
        assertTrue(pending != null, "the order for " + APPROVAL_TEMPLATE + " is a pending request in the CA database");
        ca.approve(pending.requestId(), "CONTOSO\\Administrator");
        assertEquals(pending.requestId(), recorded(enrolled.join()).requestId(), "the approved request's certificate");
    }

    @Test
    void acme4jRevokesByAccountKeyAndByCertificateKeyButNotAnotherAccountsCertificate() throws Exception {
        // bob's first: the CA fetches http-01 answers from the port of the client made last, alice's
        AcmeClient bob = acme4j("bob", TEMPLATE, keyPair("EC"));
        AcmeClient alice = acme4j("alice", TEMPLATE, keyPair("RSA"));
        X509Certificate first = alice.enroll(keyPair("RSA"), NAME);
        EnrollmentException notBobs = assertThrows(EnrollmentException.class, () -> bob.revoke(first));
        assertEquals(403, notBobs.httpStatus(), notBobs.getMessage());
        assertEquals(RequestStatus.ISSUED, recorded(first).status(), "bob's account cannot revoke alice's certificate");
        alice.revoke(first, org.shredzone.acme4j.RevocationReason.KEY_COMPROMISE);
        assertEquals(RequestStatus.REVOKED, recorded(first).status());
        assertTrue(ca.crl(false).isRevoked(first), "the CRL lists the certificate revoked with the account key");

        KeyPair certificateKey = keyPair("RSA");
        X509Certificate second = alice.enroll(certificateKey, NAME);
        bob.revokeWithCertificateKey(second, certificateKey, org.shredzone.acme4j.RevocationReason.SUPERSEDED);
        assertEquals(RequestStatus.REVOKED, recorded(second).status(), "anyone holding the certificate's key may revoke it");
    }

    @Test
    void acme4jKeyRolloverKeepsTheAccountAndDeactivationEndsIt() throws Exception {
        KeyPair oldKey = keyPair("EC");
        AcmeClient alice = acme4j("alice", TEMPLATE, oldKey);
        String account = alice.accountUrl();
        KeyPair newKey = keyPair("RSA");
        alice.changeAccountKey(newKey);
        X509Certificate issued = alice.enroll(keyPair("RSA"), NAME);
        assertEquals("CONTOSO\\alice", recorded(issued).requester(), "the account signs with its new key after the rollover");
        AcmeClient withOldKey = AcmeClient.builder("https://127.0.0.1:" + ca.httpsPort() + "/acme/" + TEMPLATE + "/directory")
                .trust(ca.certificate(), ca.config().fqdn()).accountKey(oldKey).build();
        EnrollmentException gone = assertThrows(EnrollmentException.class, withOldKey::accountUrl);
        assertTrue(gone.getMessage().contains("externalAccountRequired"), "the old key is no account's any more: " + gone.getMessage());

        alice.deactivateAccount();
        EnrollmentException deactivated = assertThrows(EnrollmentException.class, () -> alice.enroll(keyPair("RSA"), NAME));
        assertTrue(deactivated.getMessage().contains("deactivated"), account + " after deactivation: " + deactivated.getMessage());
    }

    @Test
    void acme4jOrderForANameOutsideTheLabIsARejectedIdentifier() throws Exception {
        AcmeClient alice = acme4j("alice", TEMPLATE, keyPair("EC"));
        EnrollmentException rejected = assertThrows(EnrollmentException.class, () -> alice.enroll(keyPair("RSA"), "www.example.org"));
        assertEquals(400, rejected.httpStatus(), rejected.getMessage());
        assertTrue(rejected.getMessage().contains("rejectedIdentifier") && rejected.getMessage().contains("contoso.com"),
                "the refusal names the lab's domain: " + rejected.getMessage());
    }

    @Test
    void acme4jHttp01AnsweredOnAnotherPortThanTheCasIsRefusedNamingTheRegistryValue() throws Exception {
        AcmeClient alice = acme4j("alice", TEMPLATE, keyPair("EC"));
        int elsewhere = freePort();
        ca.changeRegistry("CA\\AcmeHttpPort", Integer.toString(elsewhere), "CONTOSO\\Administrator");
        long before = ca.requestCount();
        EnrollmentException refused = assertThrows(EnrollmentException.class, () -> alice.enroll(keyPair("RSA"), NAME));
        assertTrue(refused.getMessage().contains("127.0.0.1:" + elsewhere) && refused.getMessage().contains("CA\\AcmeHttpPort"),
                "http-01 checked at the registry's port, where nobody answers: " + refused.getMessage());
        assertEquals(before, ca.requestCount(), "an order whose names were not proven sends no request to the CA");
    }

    @Test
    void acme4jOrderDeniedByACertificateManagerIsRefusedWithAdminDenied() throws Exception {
        AcmeClient alice = acme4j("alice", APPROVAL_TEMPLATE, keyPair("EC"));
        KeyPair certificateKey = keyPair("RSA");
        java.util.Set<Long> pendingBefore = pendingIds();
        CompletableFuture<X509Certificate> enrolled = CompletableFuture.supplyAsync(() -> alice.enroll(certificateKey, NAME));
        RequestRecord pending = null;
        for (int i = 0; i < 200 && pending == null && !enrolled.isDone(); i++) {
            pending = ca.pending().stream().filter(r -> APPROVAL_TEMPLATE.equals(r.template()) && !pendingBefore.contains(r.requestId()))
                    .findFirst().orElse(null);
            if (pending == null) {
                Thread.sleep(100);
            }
        }
        assertTrue(pending != null, "the order waits as a pending request");
        ca.deny(pending.requestId(), "CONTOSO\\Administrator");
        java.util.concurrent.CompletionException failed = assertThrows(java.util.concurrent.CompletionException.class, enrolled::join);
        EnrollmentException refused = (EnrollmentException) failed.getCause();
        assertEquals(WindowsError.CERTSRV_E_ADMIN_DENIED_REQUEST, refused.error(), "denied by a certificate manager: " + refused.getMessage());
    }
}
