package org.pkilab.ca;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.DomainControllerConfig;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.pki.KeyFiles;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;

import org.bouncycastle.asn1.x509.CRLReason;
import org.pkilab.enrollment.CmpClient;
import org.pkilab.enrollment.EnrollmentException;
import org.pkilab.windows.WindowsError;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CA's CMP endpoint as Debian's {@code openssl cmp} sees it, unmodified: first enrollment with a shared secret an
 * administrator issued ({@code -ref/-secret}), {@code cr} and {@code p10cr}, renewal ({@code kur}) and revocation
 * ({@code rr}) signed with the certificate, a request held for a certificate manager that openssl polls for until it is
 * approved, and refusals whose AD CS code shows in openssl's output; a certificate openssl rejects in its {@code certConf}
 * is revoked, {@code -implicit_confirm} needs no {@code certConf}, the HTTPS port serves CMP too, PBMAC1 protects as well
 * as PasswordBasedMac, and the lab's own {@link CmpClient} does what openssl does.
 */
class CmpTest {

    private static final String PASSWORD = "Lab-Passw0rd!";
    private static final String TEMPLATE = "ConfigMgrWebServerCertificate";
    private static final String APPROVAL = "ApprovedWebServer";
    private static DomainController dc;
    private static CertificationAuthority ca;
    private static CaAdministration.CmpSecret iis01;
    private static CaAdministration.CmpSecret web02;

    @BeforeAll
    static void startLab() {
        dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
        ca = CertificationAuthority.start(CertificationAuthorityConfig.builder(dc.names())
                .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD).build());
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", PASSWORD);
            admin.usersAndComputers().createComputer("WEB02", "web02.contoso.com", PASSWORD);
            admin.templates().duplicate("Web Server", "ConfigMgr Web Server Certificate", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
            admin.security().allow("ConfigMgr Web Server Certificate", "IIS01$", AccessRight.READ, AccessRight.ENROLL);
            admin.templates().duplicate("Web Server", "Approved Web Server", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
            admin.templates().setRequiresApproval("Approved Web Server", true);
            admin.security().allow("Approved Web Server", "IIS01$", AccessRight.READ, AccessRight.ENROLL);
        }
        ca.issueTemplate("ConfigMgr Web Server Certificate");
        ca.issueTemplate("Approved Web Server");
        iis01 = ca.issueCmpSecret("IIS01$", "CONTOSO\\Administrator");
        web02 = ca.issueCmpSecret("CONTOSO\\WEB02$", "CONTOSO\\Administrator");
    }

    /** Waits until the clock has left second {@code startSecond}: a whole-second messageTime after it is plainly later. */
    private static void untilTheClockLeavesSecond(long startSecond) {
        while (java.time.Instant.now().getEpochSecond() <= startSecond) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @AfterAll
    static void stopLab() {
        ca.close();
        dc.close();
    }

    private static Result openssl(Path dir, String template, String... more) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl", "cmp", "-server", "127.0.0.1:" + ca.httpPort(),
                "-path", CmpAdapter.PATH + (template == null ? "" : "/p/" + template)));
        command.addAll(List.of(more));
        return ExternalTool.run(dir, Map.of(), null, command.toArray(String[]::new));
    }

    private static void key(Path dir, String name) throws Exception {
        Result key = ExternalTool.run(dir, Map.of(), null, "openssl", "genrsa", "-out", name, "2048");
        assertEquals(0, key.exit(), key.toString());
    }

    private static X509Certificate certificate(Path file) throws Exception {
        return KeyFiles.certificate(Files.readAllBytes(file));
    }

    @Test
    void irWithTheSharedSecretIssuesAndTheCertificateIsRecordedForTheAccount(@TempDir Path dir) throws Exception {
        key(dir, "key.pem");
        Result ir = openssl(dir, TEMPLATE, "-cmd", "ir", "-ref", iis01.reference(), "-secret", "pass:" + iis01.secret(),
                "-newkey", "key.pem", "-subject", "/CN=iis01.contoso.com", "-sans", "iis01.contoso.com",
                "-certout", "iis01.pem", "-cacertsout", "capubs.pem");
        assertEquals(0, ir.exit(), "openssl cmp -cmd ir for IIS01$ on " + TEMPLATE + ": " + ir);
        X509Certificate issued = certificate(dir.resolve("iis01.pem"));
        assertEquals(ca.certificate(), certificate(dir.resolve("capubs.pem")), "the ip's caPubs: the CA certificate");
        RequestRecord row = ca.bySerial(issued.getSerialNumber()).orElseThrow();
        assertEquals("CONTOSO\\IIS01$", row.requester(), "the requester recorded in " + ca.name() + "'s database");
        assertEquals(TEMPLATE, row.template());
    }

    /** A certificate for IIS01 by ir with its shared secret: iis01.pem with key.pem, and ca.pem beside them. */
    private static X509Certificate enrollIis01(Path dir) throws Exception {
        key(dir, "key.pem");
        Result ir = openssl(dir, TEMPLATE, "-cmd", "ir", "-ref", iis01.reference(), "-secret", "pass:" + iis01.secret(),
                "-newkey", "key.pem", "-subject", "/CN=iis01.contoso.com", "-sans", "iis01.contoso.com", "-certout", "iis01.pem");
        assertEquals(0, ir.exit(), "openssl cmp -cmd ir for IIS01$ on " + TEMPLATE + ": " + ir);
        Files.writeString(dir.resolve("ca.pem"), KeyFiles.pem(ca.certificate()));
        return certificate(dir.resolve("iis01.pem"));
    }

    @Test
    void anAccountWithoutEnrollIsRefusedWithTheAdCsCodeInOpensslsOutput(@TempDir Path dir) throws Exception {
        key(dir, "key.pem");
        long before = ca.requestCount();
        Result refused = openssl(dir, TEMPLATE, "-cmd", "ir", "-ref", web02.reference(), "-secret", "pass:" + web02.secret(),
                "-newkey", "key.pem", "-subject", "/CN=web02.contoso.com", "-sans", "web02.contoso.com", "-certout", "web02.pem");
        String output = refused.out() + refused.err();
        assertTrue(refused.exit() != 0, "WEB02$ holds no Enroll right on " + TEMPLATE + ": " + refused);
        assertTrue(output.contains("0x80094012") && output.contains("CERTSRV_E_TEMPLATE_DENIED"), "the AD CS code in openssl's output: " + output);
        assertTrue(output.contains("notAuthorized"), "the PKIFailureInfo openssl prints: " + output);
        assertTrue(!Files.exists(dir.resolve("web02.pem")), "no certificate written");
        assertEquals(before + 1, ca.requestCount(), "the refusal is recorded in " + ca.name() + "'s database as a denied request");
        assertEquals("CONTOSO\\WEB02$", ca.failed().get(ca.failed().size() - 1).requester());
    }

    @Test
    void crSignedWithAnIssuedCertificateAndP10crWithASecretIssue(@TempDir Path dir) throws Exception {
        enrollIis01(dir);
        key(dir, "second.pem");
        Result cr = openssl(dir, TEMPLATE, "-cmd", "cr", "-cert", "iis01.pem", "-key", "key.pem", "-trusted", "ca.pem",
                "-newkey", "second.pem", "-subject", "/CN=iis01.contoso.com", "-sans", "iis01.contoso.com", "-certout", "second-cert.pem");
        assertEquals(0, cr.exit(), "openssl cmp -cmd cr signed with IIS01's certificate: " + cr);
        assertEquals("CONTOSO\\IIS01$", ca.bySerial(certificate(dir.resolve("second-cert.pem")).getSerialNumber()).orElseThrow().requester(),
                "the requester of a signed cr is the account the CA recorded for the signing certificate");

        key(dir, "p10.pem");
        Result req = ExternalTool.run(dir, Map.of(), null, "openssl", "req", "-new", "-key", "p10.pem", "-subj", "/CN=iis01.contoso.com",
                "-addext", "subjectAltName=DNS:iis01.contoso.com", "-out", "p10.csr");
        assertEquals(0, req.exit(), req.toString());
        Result p10cr = openssl(dir, TEMPLATE, "-cmd", "p10cr", "-csr", "p10.csr", "-ref", iis01.reference(), "-secret", "pass:" + iis01.secret(),
                "-certout", "p10-cert.pem");
        assertEquals(0, p10cr.exit(), "openssl cmp -cmd p10cr -csr with IIS01's secret: " + p10cr);
        assertEquals(TEMPLATE, ca.bySerial(certificate(dir.resolve("p10-cert.pem")).getSerialNumber()).orElseThrow().template());
    }

    @Test
    void kurRenewsAndRrSignedWithTheCertificateRevokesItAsTheOnlineResponderThenSays(@TempDir Path dir) throws Exception {
        X509Certificate first = enrollIis01(dir);
        key(dir, "new.pem");
        Result kur = openssl(dir, null, "-cmd", "kur", "-cert", "iis01.pem", "-key", "key.pem", "-trusted", "ca.pem",
                "-newkey", "new.pem", "-certout", "renewed.pem");
        assertEquals(0, kur.exit(), "openssl cmp -cmd kur signed with the certificate it renews: " + kur);
        X509Certificate renewed = certificate(dir.resolve("renewed.pem"));
        assertTrue(!renewed.getSerialNumber().equals(first.getSerialNumber()), "a new certificate");
        assertEquals(TEMPLATE, ca.bySerial(renewed.getSerialNumber()).orElseThrow().template(), "the template of the renewed certificate");
        assertEquals(first.getSubjectX500Principal(), renewed.getSubjectX500Principal());

        Result rr = openssl(dir, null, "-cmd", "rr", "-cert", "renewed.pem", "-key", "new.pem", "-trusted", "ca.pem",
                "-oldcert", "renewed.pem", "-revreason", "1");
        assertEquals(0, rr.exit(), "openssl cmp -cmd rr signed with the certificate it revokes: " + rr);
        RequestRecord row = ca.bySerial(renewed.getSerialNumber()).orElseThrow();
        assertEquals(RequestStatus.REVOKED, row.status(), "revoked in " + ca.name() + "'s database");
        assertEquals(RevocationReason.KEY_COMPROMISE, row.revocationReason());

        Result ocsp = ExternalTool.run(dir, Map.of(), null, "openssl", "ocsp", "-issuer", "ca.pem", "-cert", "renewed.pem",
                "-url", ca.ocspUrl().replace(ca.config().fqdn(), "127.0.0.1"), "-CAfile", "ca.pem");
        assertTrue(ocsp.out().contains("renewed.pem: revoked") && ocsp.out().contains("keyCompromise"),
                "the Online Responder's answer after the rr: " + ocsp);
    }

    @Test
    void aKurForOtherNamesOrIntoAnotherTemplateIsRefusedBadRenewalSubject(@TempDir Path dir) throws Exception {
        enrollIis01(dir);
        key(dir, "new.pem");
        long before = ca.requestCount();
        Result otherName = openssl(dir, null, "-cmd", "kur", "-cert", "iis01.pem", "-key", "key.pem", "-trusted", "ca.pem",
                "-newkey", "new.pem", "-subject", "/CN=web02.contoso.com", "-sans", "web02.contoso.com", "-certout", "other.pem");
        String output = otherName.out() + otherName.err();
        assertTrue(otherName.exit() != 0 && output.contains("0x80094806") && output.contains("CERTSRV_E_BAD_RENEWAL_SUBJECT"),
                "a kur signed with CN=iis01's certificate asking for CN=web02: " + otherName);
        assertTrue(!Files.exists(dir.resolve("other.pem")), "no certificate for web02.contoso.com");

        Result otherTemplate = openssl(dir, APPROVAL, "-cmd", "kur", "-cert", "iis01.pem", "-key", "key.pem", "-trusted", "ca.pem",
                "-newkey", "new.pem", "-certout", "approved.pem");
        String text = otherTemplate.out() + otherTemplate.err();
        assertTrue(otherTemplate.exit() != 0 && text.contains("CERTSRV_E_BAD_RENEWAL_SUBJECT") && text.contains(TEMPLATE),
                "a kur of a " + TEMPLATE + " certificate into " + APPROVAL + " names the template to renew into: " + otherTemplate);
        assertEquals(before + 2, ca.requestCount(), "both refusals recorded as denied requests");
    }

    @Test
    void rrByAnotherAccountWithoutIssueAndManageCertificatesIsRefused(@TempDir Path dir) throws Exception {
        X509Certificate issued = enrollIis01(dir);
        Result rr = openssl(dir, null, "-cmd", "rr", "-ref", web02.reference(), "-secret", "pass:" + web02.secret(),
                "-oldcert", "iis01.pem", "-revreason", "1");
        String output = rr.out() + rr.err();
        assertTrue(rr.exit() != 0, "WEB02$ revoking IIS01's certificate: " + rr);
        assertTrue(output.contains("0x80070005") && output.contains("E_ACCESSDENIED") && output.contains("notAuthorized"), output);
        assertEquals(RequestStatus.ISSUED, ca.bySerial(issued.getSerialNumber()).orElseThrow().status(), "still issued");
    }

    @Test
    void aRequestHeldForACertificateManagerIsPolledForUntilApproved(@TempDir Path dir) throws Exception {
        key(dir, "key.pem");
        long lastBefore = ca.requestCount();
        java.util.concurrent.CompletableFuture<Result> ir = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return openssl(dir, APPROVAL, "-cmd", "ir", "-ref", iis01.reference(), "-secret", "pass:" + iis01.secret(),
                        "-newkey", "key.pem", "-subject", "/CN=iis01.contoso.com", "-sans", "iis01.contoso.com", "-certout", "approved.pem",
                        "-total_timeout", "120");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        // this request's row, by its id: other tests' requests may be pending too
        java.util.function.Supplier<java.util.Optional<RequestRecord>> mine = () -> ca.pending().stream()
                .filter(r -> r.requestId() > lastBefore && r.requester().equals("CONTOSO\\IIS01$") && r.template().equals(APPROVAL)).findFirst();
        while (mine.get().isEmpty() && !ir.isDone() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        RequestRecord held = mine.get().orElseThrow(() -> new AssertionError("IIS01's request for " + APPROVAL + " waits for a certificate "
                + "manager; openssl: " + (ir.isDone() ? ir.join() : "still running")));
        ca.approve(held.requestId(), "CONTOSO\\Administrator");
        Result done = ir.get(120, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(0, done.exit(), "openssl cmp polls (pollReq) and gets the certificate once request " + held.requestId() + " is approved: " + done);
        assertEquals(held.requestId(), ca.bySerial(certificate(dir.resolve("approved.pem")).getSerialNumber()).orElseThrow().requestId());
    }

    @Test
    void theLabsCmpClientEnrollsRenewsRevokesAndCarriesTheCodeOfARefusal() {
        String url = "http://127.0.0.1:" + ca.httpPort() + CmpAdapter.PATH;
        java.security.KeyPair key = Csrs.rsa(2048);
        X509Certificate issued = CmpClient.withSecret(url, ca.certificate(), iis01.reference(), iis01.secret())
                .enroll(TEMPLATE, key, "CN=iis01.contoso.com", "iis01.contoso.com");
        assertEquals("CONTOSO\\IIS01$", ca.bySerial(issued.getSerialNumber()).orElseThrow().requester());

        java.security.KeyPair next = Csrs.rsa(2048);
        X509Certificate renewed = CmpClient.withCertificate(url, ca.certificate(), issued, key.getPrivate()).renew(next);
        assertEquals(TEMPLATE, ca.bySerial(renewed.getSerialNumber()).orElseThrow().template(), "kur renews from the same template");

        CmpClient.withCertificate(url, ca.certificate(), renewed, next.getPrivate()).revoke(renewed, CRLReason.superseded);
        assertEquals(RequestStatus.REVOKED, ca.bySerial(renewed.getSerialNumber()).orElseThrow().status());

        EnrollmentException refused = assertThrows(EnrollmentException.class, () -> CmpClient.withSecret(url, ca.certificate(),
                web02.reference(), web02.secret()).enroll(TEMPLATE, Csrs.rsa(2048), "CN=web02.contoso.com", "web02.contoso.com"));
        assertEquals(WindowsError.CERTSRV_E_TEMPLATE_DENIED, refused.error(), "WEB02$ without Enroll: " + refused.getMessage());

        EnrollmentException wrongSecret = assertThrows(EnrollmentException.class, () -> CmpClient.withSecret(url, ca.certificate(),
                iis01.reference(), "not-the-secret").enroll(TEMPLATE, Csrs.rsa(2048), "CN=iis01.contoso.com", "iis01.contoso.com"));
        assertEquals(WindowsError.ERROR_LOGON_FAILURE, wrongSecret.error(), "a wrong secret: " + wrongSecret.getMessage());
    }

    @Test
    void aCertificateTheClientRejectsInCertConfIsRevokedAndImplicitConfirmNeedsNone(@TempDir Path dir) throws Exception {
        key(dir, "key.pem");
        Result other = ExternalTool.run(dir, Map.of(), null, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key",
                "-subj", "/CN=Fabrikam Root", "-out", "other.pem");
        assertEquals(0, other.exit(), other.toString());
        long before = ca.requestCount();
        // -out_trusted: openssl checks the new certificate against Fabrikam's root, fails, and rejects it in its certConf
        Result rejected = openssl(dir, TEMPLATE, "-cmd", "ir", "-ref", iis01.reference(), "-secret", "pass:" + iis01.secret(),
                "-newkey", "key.pem", "-subject", "/CN=iis01.contoso.com", "-sans", "iis01.contoso.com", "-certout", "rejected.pem",
                "-out_trusted", "other.pem");
        assertTrue(rejected.exit() != 0 && (rejected.out() + rejected.err()).contains("CERTCONF"), "openssl rejects the certificate: " + rejected);
        RequestRecord row = ca.request(before + 1).orElseThrow();
        assertEquals(RequestStatus.REVOKED, row.status(), "the certificate IIS01 rejected in its certConf is revoked: " + row);

        Result implicit = openssl(dir, TEMPLATE, "-cmd", "ir", "-ref", iis01.reference(), "-secret", "pass:" + iis01.secret(),
                "-newkey", "key.pem", "-subject", "/CN=iis01.contoso.com", "-sans", "iis01.contoso.com", "-certout", "implicit.pem",
                "-implicit_confirm");
        assertEquals(0, implicit.exit(), implicit.toString());
        assertTrue(!(implicit.out() + implicit.err()).contains("sending CERTCONF"), "implicitConfirm granted, no certConf: " + implicit);
        assertEquals(RequestStatus.ISSUED, ca.bySerial(certificate(dir.resolve("implicit.pem")).getSerialNumber()).orElseThrow().status());
    }

    @Test
    void cmpIsServedOnTheHttpsPortToo(@TempDir Path dir) throws Exception {
        key(dir, "key.pem");
        Files.writeString(dir.resolve("ca.pem"), KeyFiles.pem(ca.certificate()));
        Result ir = ExternalTool.run(dir, Map.of(), null, "openssl", "cmp", "-cmd", "ir", "-server", "127.0.0.1:" + ca.httpsPort(),
                "-path", CmpAdapter.LABEL_PREFIX + TEMPLATE, "-tls_used", "-tls_trusted", "ca.pem", "-tls_host", ca.config().fqdn(),
                "-ref", iis01.reference(), "-secret", "pass:" + iis01.secret(), "-newkey", "key.pem", "-subject", "/CN=iis01.contoso.com",
                "-sans", "iis01.contoso.com", "-certout", "tls.pem");
        assertEquals(0, ir.exit(), "openssl cmp over TLS to " + ca.config().fqdn() + ":" + ca.httpsPort() + ": " + ir);
        assertEquals("CONTOSO\\IIS01$", ca.bySerial(certificate(dir.resolve("tls.pem")).getSerialNumber()).orElseThrow().requester());
    }

    @Test
    void anIrProtectedWithPbmac1IsTakenAsWell() throws Exception {
        java.security.KeyPair key = Csrs.rsa(2048);
        org.bouncycastle.asn1.cmp.PKIBody body = new org.bouncycastle.asn1.cmp.PKIBody(org.bouncycastle.asn1.cmp.PKIBody.TYPE_INIT_REQ,
                new org.bouncycastle.asn1.crmf.CertReqMessages(new org.bouncycastle.cert.crmf.CertificateRequestMessageBuilder(java.math.BigInteger.ZERO)
                        .setPublicKey(org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(key.getPublic().getEncoded()))
                        .setSubject(new org.bouncycastle.asn1.x500.X500Name("CN=iis01.contoso.com"))
                        .addExtension(org.bouncycastle.asn1.x509.Extension.subjectAlternativeName, false, new org.bouncycastle.asn1.x509.GeneralNames(
                                new org.bouncycastle.asn1.x509.GeneralName(org.bouncycastle.asn1.x509.GeneralName.dNSName, "iis01.contoso.com")))
                        .setProofOfPossessionSigningKeySigner(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withRSA")
                                .build(key.getPrivate())).build().toASN1Structure()));
        byte[] nonce = new byte[16];
        new java.security.SecureRandom().nextBytes(nonce);
        org.bouncycastle.asn1.cmp.PKIMessage request = new org.bouncycastle.cert.cmp.ProtectedPKIMessageBuilder(
                new org.bouncycastle.asn1.x509.GeneralName(new org.bouncycastle.asn1.x500.X500Name("CN=iis01.contoso.com")),
                new org.bouncycastle.asn1.x509.GeneralName(org.bouncycastle.asn1.x500.X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded())))
                .setTransactionID(nonce.clone()).setSenderNonce(nonce).setSenderKID(iis01.reference().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .setMessageTime(new java.util.Date()).setBody(body)
                .build(new org.bouncycastle.pkcs.jcajce.JcePBMac1CalculatorBuilder("HmacSHA256", 256).setIterationCount(10_000)
                        .setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider()).build(iis01.secret().toCharArray()))
                .toASN1Structure();
        java.net.http.HttpResponse<byte[]> answer = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + ca.httpPort() + CmpAdapter.LABEL_PREFIX + TEMPLATE))
                .header("Content-Type", CmpAdapter.MEDIA_TYPE).POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(request.getEncoded())).build(),
                java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        org.bouncycastle.asn1.cmp.PKIMessage ip = org.bouncycastle.asn1.cmp.PKIMessage.getInstance(answer.body());
        assertEquals(org.bouncycastle.asn1.cmp.PKIBody.TYPE_INIT_REP, ip.getBody().getType(), "an ip for a PBMAC1-protected ir, not an error: "
                + answer.headers().firstValue("X-ADCS-Error").orElse(""));
        org.bouncycastle.asn1.cmp.CertResponse response = org.bouncycastle.asn1.cmp.CertRepMessage.getInstance(ip.getBody().getContent()).getResponse()[0];
        assertEquals(org.bouncycastle.asn1.cmp.PKIStatus.GRANTED, response.getStatus().getStatus().intValue());
        assertTrue(new org.bouncycastle.cert.cmp.ProtectedPKIMessage(new org.bouncycastle.cert.cmp.GeneralPKIMessage(ip)).verify(
                new org.bouncycastle.cert.crmf.PKMACBuilder(new org.bouncycastle.cert.crmf.jcajce.JcePKMACValuesCalculator()),
                iis01.secret().toCharArray()), "the ip is MAC-protected with IIS01's secret");
    }

    /** An ir protected with PBMAC1 under IIS01's reference with {@code kdf} and {@code mac}, carrying a MAC of zeros. */
    private static java.net.http.HttpResponse<byte[]> pbmac1Ir(org.bouncycastle.asn1.pkcs.PBKDF2Params kdf,
                                                               org.bouncycastle.asn1.ASN1ObjectIdentifier mac) throws Exception {
        java.security.KeyPair key = Csrs.rsa(2048);
        org.bouncycastle.asn1.cmp.PKIBody body = new org.bouncycastle.asn1.cmp.PKIBody(org.bouncycastle.asn1.cmp.PKIBody.TYPE_INIT_REQ,
                new org.bouncycastle.asn1.crmf.CertReqMessages(new org.bouncycastle.cert.crmf.CertificateRequestMessageBuilder(java.math.BigInteger.ZERO)
                        .setPublicKey(org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(key.getPublic().getEncoded()))
                        .setSubject(new org.bouncycastle.asn1.x500.X500Name("CN=iis01.contoso.com"))
                        .setProofOfPossessionSigningKeySigner(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withRSA")
                                .build(key.getPrivate())).build().toASN1Structure()));
        byte[] nonce = new byte[16];
        new java.security.SecureRandom().nextBytes(nonce);
        org.bouncycastle.asn1.cmp.PKIHeader header = new org.bouncycastle.asn1.cmp.PKIHeaderBuilder(org.bouncycastle.asn1.cmp.PKIHeader.CMP_2000,
                new org.bouncycastle.asn1.x509.GeneralName(new org.bouncycastle.asn1.x500.X500Name("CN=iis01.contoso.com")),
                new org.bouncycastle.asn1.x509.GeneralName(org.bouncycastle.asn1.x500.X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded())))
                .setTransactionID(nonce.clone()).setSenderNonce(nonce).setMessageTime(new org.bouncycastle.asn1.ASN1GeneralizedTime(new java.util.Date()))
                .setSenderKID(iis01.reference().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .setProtectionAlg(new org.bouncycastle.asn1.x509.AlgorithmIdentifier(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_PBMAC1,
                        new org.bouncycastle.asn1.pkcs.PBMAC1Params(new org.bouncycastle.asn1.x509.AlgorithmIdentifier(
                                org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_PBKDF2, kdf), new org.bouncycastle.asn1.x509.AlgorithmIdentifier(mac))))
                .build();
        org.bouncycastle.asn1.cmp.PKIMessage request = new org.bouncycastle.asn1.cmp.PKIMessage(header, body,
                new org.bouncycastle.asn1.DERBitString(new byte[32]));
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + ca.httpPort() + CmpAdapter.LABEL_PREFIX + TEMPLATE))
                .header("Content-Type", CmpAdapter.MEDIA_TYPE).POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(request.getEncoded())).build(),
                java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String statusText(java.net.http.HttpResponse<byte[]> answer) {
        org.bouncycastle.asn1.cmp.PKIMessage error = org.bouncycastle.asn1.cmp.PKIMessage.getInstance(answer.body());
        assertEquals(org.bouncycastle.asn1.cmp.PKIBody.TYPE_ERROR, error.getBody().getType(), "an error message");
        org.bouncycastle.asn1.cmp.PKIStatusInfo status = org.bouncycastle.asn1.cmp.ErrorMsgContent.getInstance(error.getBody().getContent()).getPKIStatusInfo();
        return status.getStatusString().getStringAtUTF8(0).getString() + " failInfo=" + status.getFailInfo().intValue();
    }

    @Test
    void pbmac1ParametersAskingForMoreWorkThanAMacNeedsAreRefusedBadAlgBeforeAnyIsDone() throws Exception {
        byte[] salt = new byte[16];
        org.bouncycastle.asn1.x509.AlgorithmIdentifier sha256 = new org.bouncycastle.asn1.x509.AlgorithmIdentifier(
                org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_hmacWithSHA256, org.bouncycastle.asn1.DERNull.INSTANCE);
        Map<String, org.bouncycastle.asn1.pkcs.PBKDF2Params> excessive = new java.util.LinkedHashMap<>();
        excessive.put("keyLength 10^6", new org.bouncycastle.asn1.pkcs.PBKDF2Params(salt, 1_000, 1_000_000, sha256));
        excessive.put("no keyLength", new org.bouncycastle.asn1.pkcs.PBKDF2Params(salt, 10_000, sha256));
        excessive.put("HMAC-SHA1, the default PRF", new org.bouncycastle.asn1.pkcs.PBKDF2Params(salt, 10_000, 32));
        excessive.put("a salt of 30,000 bytes", new org.bouncycastle.asn1.pkcs.PBKDF2Params(new byte[30_000], 10_000, 32, sha256));
        excessive.put("64-byte key at 100,000 iterations of SHA-256", new org.bouncycastle.asn1.pkcs.PBKDF2Params(salt, 100_000, 64, sha256));
        long before = ca.requestCount();
        for (var input : excessive.entrySet()) {
            java.net.http.HttpResponse<byte[]> answer = pbmac1Ir(input.getValue(), org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_hmacWithSHA256);
            String text = statusText(answer);
            assertEquals("0x80070057 E_INVALIDARG", answer.headers().firstValue("X-ADCS-Error").orElse(""), input.getKey() + ": " + text);
            assertTrue(text.endsWith("failInfo=" + org.bouncycastle.asn1.cmp.PKIFailureInfo.badAlg), input.getKey() + ": badAlg: " + text);
        }
        java.net.http.HttpResponse<byte[]> md5 = pbmac1Ir(new org.bouncycastle.asn1.pkcs.PBKDF2Params(salt, 10_000, 32, sha256),
                org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.md5);
        assertTrue(statusText(md5).contains("PBMAC1's MAC is"), statusText(md5));
        assertEquals(before, ca.requestCount(), "nothing reaches " + ca.name() + "'s database");
    }

    @Test
    void aCrmfRequestIsReadOnlyForCmpNotByThePipelineForEveryProtocol() throws Exception {
        java.security.KeyPair key = Csrs.rsa(2048);
        byte[] crmf = new org.bouncycastle.cert.crmf.CertificateRequestMessageBuilder(java.math.BigInteger.ZERO)
                .setPublicKey(org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(key.getPublic().getEncoded()))
                .setSubject(new org.bouncycastle.asn1.x500.X500Name("CN=iis01.contoso.com"))
                .setProofOfPossessionSigningKeySigner(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withRSA")
                        .build(key.getPrivate())).build().getEncoded();
        org.pkilab.directory.model.LogonToken iis01Token = org.pkilab.directory.client.DomainLogon.logon("127.0.0.1", dc.ldapPort(),
                dc.names().computer("IIS01"), PASSWORD).token();
        long before = ca.requestCount();
        CaException refused = assertThrows(CaException.class, () -> ca.submit(EnrollmentRequest.manual(iis01Token, TEMPLATE, crmf)),
                "a CRMF CertReqMsg submitted as a PKCS #10 request (EST, SCEP, ACME's finalize) for " + TEMPLATE);
        assertEquals(WindowsError.CRYPT_E_ASN1_BADTAG, refused.error(), refused.getMessage());
        assertEquals(before, ca.requestCount(), "no request recorded");
    }

    private static java.net.http.HttpResponse<byte[]> post(CertificationAuthority to, String template, byte[] message) throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + to.httpPort() + CmpAdapter.LABEL_PREFIX + template))
                .header("Content-Type", CmpAdapter.MEDIA_TYPE).POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(message)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void aGrantedIrReplayedAfterTheCaRestartedOrFromLongAgoChangesNothing(@TempDir Path data) throws Exception {
        try (DomainController ownDc = DomainController.start(DomainControllerConfig.builder().dataDirectory(data.resolve("dc"))
                .administratorPassword(PASSWORD).build())) {
            CertificationAuthorityConfig config = CertificationAuthorityConfig.builder(ownDc.names())
                    .directory("127.0.0.1", ownDc.ldapPort(), ownDc.administratorDn(), PASSWORD).dataDirectory(data.resolve("ca")).build();
            try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", ownDc.ldapPort(), ownDc.names(), ownDc.administratorDn(), PASSWORD)) {
                admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", PASSWORD);
            }
            byte[] ir;
            long granted;
            try (CertificationAuthority first = CertificationAuthority.start(config)) {
                CaAdministration.CmpSecret secret = first.issueCmpSecret("IIS01$", "CONTOSO\\Administrator");
                ir = macProtectedIr(first, secret, new java.util.Date());
                java.net.http.HttpResponse<byte[]> ip = post(first, "Machine", ir);
                assertEquals(org.bouncycastle.asn1.cmp.PKIBody.TYPE_INIT_REP, org.bouncycastle.asn1.cmp.PKIMessage.getInstance(ip.body())
                        .getBody().getType(), "the ir is granted: " + ip.headers().firstValue("X-ADCS-Error").orElse(""));
                granted = first.requestCount();
                assertTrue(statusText(post(first, "Machine", ir)).contains("replay"), "the same ir again, before the restart");
                byte[] old = macProtectedIr(first, secret, new java.util.Date(System.currentTimeMillis() - 20 * 60_000L));
                String stale = statusText(post(first, "Machine", old));
                assertTrue(stale.contains("more than") && stale.endsWith("failInfo=" + org.bouncycastle.asn1.cmp.PKIFailureInfo.badTime),
                        "an ir made 20 minutes ago: " + stale);
                assertEquals(granted, first.requestCount(), "neither changed " + first.name() + "'s database");
            }
            // the CA takes a whole-second messageTime in the second it started (differences.md): it starts again a second later
            untilTheClockLeavesSecond(java.time.Instant.now().getEpochSecond());
            try (CertificationAuthority again = CertificationAuthority.start(config)) {
                String replayed = statusText(post(again, "Machine", ir));
                assertTrue(replayed.contains("before " + again.name() + " started") && replayed.contains("0x80070057"),
                        "the granted ir replayed after " + again.name() + " restarted: " + replayed);
                assertEquals(granted, again.requestCount(), "no second certificate for the replayed ir");
            }
        }
    }

    /** An ir for IIS01's key under {@code secret} with PasswordBasedMac, made at {@code messageTime}. */
    private static byte[] macProtectedIr(CertificationAuthority to, CaAdministration.CmpSecret secret, java.util.Date messageTime) throws Exception {
        return macProtectedIr(to, secret, messageTime, 0);
    }

    private static byte[] macProtectedIr(CertificationAuthority to, CaAdministration.CmpSecret secret, java.util.Date messageTime,
                                         int certReqId) throws Exception {
        java.security.KeyPair key = Csrs.rsa(2048);
        org.bouncycastle.asn1.cmp.PKIBody body = new org.bouncycastle.asn1.cmp.PKIBody(org.bouncycastle.asn1.cmp.PKIBody.TYPE_INIT_REQ,
                new org.bouncycastle.asn1.crmf.CertReqMessages(new org.bouncycastle.cert.crmf.CertificateRequestMessageBuilder(java.math.BigInteger.valueOf(certReqId))
                        .setPublicKey(org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(key.getPublic().getEncoded()))
                        .setSubject(new org.bouncycastle.asn1.x500.X500Name("CN=iis01.contoso.com"))
                        .setProofOfPossessionSigningKeySigner(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withRSA")
                                .build(key.getPrivate())).build().toASN1Structure()));
        byte[] nonce = new byte[16];
        new java.security.SecureRandom().nextBytes(nonce);
        return new org.bouncycastle.cert.cmp.ProtectedPKIMessageBuilder(
                new org.bouncycastle.asn1.x509.GeneralName(new org.bouncycastle.asn1.x500.X500Name("CN=iis01.contoso.com")),
                new org.bouncycastle.asn1.x509.GeneralName(org.bouncycastle.asn1.x500.X500Name.getInstance(to.certificate().getSubjectX500Principal().getEncoded())))
                .setTransactionID(nonce.clone()).setSenderNonce(nonce).setMessageTime(messageTime)
                .setSenderKID(secret.reference().getBytes(java.nio.charset.StandardCharsets.UTF_8)).setBody(body)
                .build(new org.bouncycastle.cert.crmf.PKMACBuilder(new org.bouncycastle.cert.crmf.jcajce.JcePKMACValuesCalculator())
                        .setParameters(new org.bouncycastle.asn1.cmp.PBMParameter(nonce, new org.bouncycastle.asn1.x509.AlgorithmIdentifier(
                                org.bouncycastle.asn1.nist.NISTObjectIdentifiers.id_sha256), 10_000, new org.bouncycastle.asn1.x509.AlgorithmIdentifier(
                                org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.id_hmacWithSHA256)))
                        .build(secret.secret().toCharArray()))
                .toASN1Structure().getEncoded();
    }

    @Test
    void aRemovedSecretOrOneOfAnAccountCreatedAgainUnderItsNameIsRefused() throws Exception {
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            admin.usersAndComputers().createComputer("IIS05", "iis05.contoso.com", PASSWORD);
            admin.security().allow("ConfigMgr Web Server Certificate", "IIS05$", AccessRight.READ, AccessRight.ENROLL);
        }
        String url = "http://127.0.0.1:" + ca.httpPort() + CmpAdapter.PATH;
        CaAdministration.CmpSecret removed = ca.issueCmpSecret("IIS05$", "CONTOSO\\Administrator");
        CmpClient.withSecret(url, ca.certificate(), removed.reference(), removed.secret()).enroll(TEMPLATE, Csrs.rsa(2048), "CN=iis05.contoso.com",
                "iis05.contoso.com");
        org.pkilab.enrollment.EstTransport.Response deleted = CaHttps.admin(ca, "DELETE", "cmp/secrets?account=CONTOSO%5CIIS05%24",
                org.pkilab.enrollment.EstClient.basic("CONTOSO\\Administrator", PASSWORD));
        assertEquals(200, deleted.status(), "DELETE cmp/secrets as the Administrator: " + new String(deleted.body()));
        EnrollmentException afterRemoval = assertThrows(EnrollmentException.class, () -> CmpClient.withSecret(url, ca.certificate(),
                removed.reference(), removed.secret()).enroll(TEMPLATE, Csrs.rsa(2048), "CN=iis05.contoso.com", "iis05.contoso.com"));
        assertEquals(WindowsError.ERROR_LOGON_FAILURE, afterRemoval.error(), "the removed secret of IIS05$: " + afterRemoval.getMessage());

        CaAdministration.CmpSecret old = ca.issueCmpSecret("IIS05$", "CONTOSO\\Administrator");
        try (com.unboundid.ldap.sdk.LDAPConnection ldap = new com.unboundid.ldap.sdk.LDAPConnection("127.0.0.1", dc.ldapPort(),
                dc.administratorDn(), PASSWORD);
             DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            ldap.delete(dc.names().computer("IIS05"));
            admin.usersAndComputers().createComputer("IIS05", "iis05.contoso.com", PASSWORD);
        }
        EnrollmentException recreated = assertThrows(EnrollmentException.class, () -> CmpClient.withSecret(url, ca.certificate(),
                old.reference(), old.secret()).enroll(TEMPLATE, Csrs.rsa(2048), "CN=iis05.contoso.com", "iis05.contoso.com"));
        assertEquals(WindowsError.ERROR_LOGON_FAILURE, recreated.error(), recreated.getMessage());
        assertTrue(recreated.getMessage().contains("SID"), "names the SID that changed: " + recreated.getMessage());
    }

    @Test
    void anIrWhoseCertReqIdIsNotZeroIsRefusedBadRequest() throws Exception {
        CaAdministration.CmpSecret secret = new CaAdministration.CmpSecret(iis01.reference(), iis01.secret(), iis01.account(), iis01.url());
        long before = ca.requestCount();
        String text = statusText(post(ca, TEMPLATE, macProtectedIr(ca, secret, new java.util.Date(), 7)));
        assertTrue(text.contains("certReqId is 7") && text.endsWith("failInfo=" + org.bouncycastle.asn1.cmp.PKIFailureInfo.badRequest),
                "an ir from IIS01 with certReqId 7: " + text);
        assertEquals(before, ca.requestCount(), "nothing recorded");
    }

    @Test
    void aMessageSignedWithACertificateThisCaDidNotIssueIsRefusedBeforeItsSignatureIsChecked() throws Exception {
        java.security.KeyPair certified = Csrs.rsa(2048);
        X509Certificate foreign = org.pkilab.enrollment.ScepClient.selfSigned(certified, "CN=Fabrikam Device");
        java.security.KeyPair key = Csrs.rsa(2048);
        byte[] nonce = new byte[16];
        new java.security.SecureRandom().nextBytes(nonce);
        org.bouncycastle.asn1.cmp.PKIBody body = new org.bouncycastle.asn1.cmp.PKIBody(org.bouncycastle.asn1.cmp.PKIBody.TYPE_CERT_REQ,
                new org.bouncycastle.asn1.crmf.CertReqMessages(new org.bouncycastle.cert.crmf.CertificateRequestMessageBuilder(java.math.BigInteger.ZERO)
                        .setPublicKey(org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(key.getPublic().getEncoded()))
                        .setSubject(new org.bouncycastle.asn1.x500.X500Name("CN=iis01.contoso.com"))
                        .setProofOfPossessionSigningKeySigner(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withRSA")
                                .build(key.getPrivate())).build().toASN1Structure()));
        // signed with another key than the certificate's: the signature would not verify, and must not be what is checked first
        byte[] cr = new org.bouncycastle.cert.cmp.ProtectedPKIMessageBuilder(
                new org.bouncycastle.asn1.x509.GeneralName(new org.bouncycastle.asn1.x500.X500Name("CN=Fabrikam Device")),
                new org.bouncycastle.asn1.x509.GeneralName(org.bouncycastle.asn1.x500.X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded())))
                .setTransactionID(nonce.clone()).setSenderNonce(nonce).setMessageTime(new java.util.Date()).setBody(body)
                .addCMPCertificate(new org.bouncycastle.cert.jcajce.JcaX509CertificateHolder(foreign))
                .build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withRSA").build(key.getPrivate()))
                .toASN1Structure().getEncoded();
        java.net.http.HttpResponse<byte[]> answer = post(ca, TEMPLATE, cr);
        String text = statusText(answer);
        assertEquals("0x8009400E CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE", answer.headers().firstValue("X-ADCS-Error").orElse(""), text);
        assertTrue(text.contains("did not issue") && text.endsWith("failInfo=" + org.bouncycastle.asn1.cmp.PKIFailureInfo.signerNotTrusted), text);
    }

    @Test
    void aCertificateWithoutTheDigitalSignatureKeyUsageProtectsNoMessage() {
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            admin.security().allow("CEP Encryption", "IIS01$", AccessRight.READ, AccessRight.ENROLL);
        }
        ca.issueTemplate(org.pkilab.directory.model.DefaultTemplates.CEP_ENCRYPTION);
        String url = "http://127.0.0.1:" + ca.httpPort() + CmpAdapter.PATH;
        java.security.KeyPair key = Csrs.rsa(2048);
        X509Certificate encipherOnly = CmpClient.withSecret(url, ca.certificate(), iis01.reference(), iis01.secret())
                .enroll(org.pkilab.directory.model.DefaultTemplates.CEP_ENCRYPTION, key, "CN=iis01.contoso.com");
        assertTrue(!encipherOnly.getKeyUsage()[0], "CEP Encryption: key encipherment alone");
        long before = ca.requestCount();
        EnrollmentException refused = assertThrows(EnrollmentException.class, () -> CmpClient.withCertificate(url, ca.certificate(),
                encipherOnly, key.getPrivate()).enroll(TEMPLATE, Csrs.rsa(2048), "CN=iis01.contoso.com", "iis01.contoso.com"),
                "a cr signed with IIS01's key-encipherment-only certificate");
        assertEquals(WindowsError.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, refused.error(), refused.getMessage());
        assertTrue(refused.getMessage().contains("digitalSignature"), refused.getMessage());
        assertEquals(before, ca.requestCount(), "nothing submitted");
    }

    @Test
    void noSecretIsIssuedForTheAdministratorOrADomainControllerWhoseCertificatesAreKeysToTheDomain() {
        for (String account : List.of("Administrator", "DC01$")) {
            CaException refused = assertThrows(CaException.class,
                    () -> ca.issueCmpSecret(account, "CONTOSO\\Administrator"), "a CMP secret for " + account);
            assertEquals(WindowsError.E_ACCESSDENIED, refused.error(), account + ": " + refused.getMessage());
            assertTrue(refused.reason().contains("a CMP shared secret") && refused.fix().contains("ordinary account"),
                    account + ": " + refused.reason() + " / " + refused.fix());
        }
    }


    @Test
    void aSecretStopsStandingForItsAccountOnceTheAccountBecomesADomainAdmin() throws Exception {
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            admin.usersAndComputers().createUser("erin", PASSWORD);
            CaAdministration.CmpSecret secret = ca.issueCmpSecret("erin", "CONTOSO\\Administrator");
            admin.usersAndComputers().addMember("Domain Admins", "erin");
            long before = ca.requestCount();
            EnrollmentException refused = assertThrows(EnrollmentException.class, () -> CmpClient.withSecret(ca.cmpUrl().replace(
                    ca.config().fqdn(), "127.0.0.1"), ca.certificate(), secret.reference(), secret.secret())
                    .enroll("Machine", Csrs.rsa(2048), "CN=erin", "erin.contoso.com"));
            assertEquals(WindowsError.E_ACCESSDENIED, refused.error(), refused.getMessage());
            assertTrue(refused.getMessage().contains("CONTOSO\\erin is a member of Domain Admins"), refused.getMessage());
            assertEquals(before, ca.requestCount(), "nothing reached the CA's database");
        }
    }

}
