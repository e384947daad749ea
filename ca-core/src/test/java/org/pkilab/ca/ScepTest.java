package org.pkilab.ca;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.DomainControllerConfig;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.DefaultTemplates;
import org.pkilab.directory.model.TemplateCompatibility;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.pkilab.enrollment.CmpClient;
import org.pkilab.enrollment.EnrollmentException;
import org.pkilab.enrollment.EstAnswer;
import org.pkilab.enrollment.ScepClient;
import org.pkilab.enrollment.ScepMessage;
import org.pkilab.pki.KeyFiles;
import org.pkilab.pki.RsaKeys;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;
import org.pkilab.windows.WindowsError;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.net.URI;
import java.security.KeyPair;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NDES (SCEP) as Debian's SCEP clients see it, each run unmodified against the CA on loopback: micromdm's
 * {@code scepclient} and strongSwan's {@code pki --scep} enroll with a one-time challenge password and get a certificate
 * from IPSec (Offline request), recorded under NDES's service account ({@code CONTOSO\CA01$}); a template the service
 * account may not enroll for is refused: scepclient and pki print the failInfo ({@code badRequest}), the CA's Failed
 * Requests hold {@code 0x80094012 CERTSRV_E_TEMPLATE_DENIED}, and the CertRep's failInfoText carries the code and the
 * reason, which {@code openssl cms -cmsout -print} shows (no SCEP client prints it); certmonger enrolls and tracks the
 * certificate in {@code getcert list}; a template that needs approval answers PENDING until {@code approve}, after which the
 * client's GetCertInitial polling gets the certificate; a revoked SCEP certificate is revoked in the CRL.
 */
class ScepTest {

    private static final String PASSWORD = "Lab-Passw0rd!";
    private static final String ADMIN = "CONTOSO\\Administrator";
    private static DomainController dc;
    private static CertificationAuthority ca;

    @BeforeAll
    static void startLab() {
        dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
        ca = CertificationAuthority.start(CertificationAuthorityConfig.builder(dc.names())
                .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD).build());
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            // what an NDES administrator does after setup: let the service account enroll for the template NDES issues from
            admin.security().allow("IPSec (Offline request)", ca.config().hostName() + "$", AccessRight.ENROLL);
            admin.templates().duplicate("IPSec (Offline request)", "NDES Approved Devices", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
            admin.templates().setRequiresApproval("NDES Approved Devices", true);
            admin.security().allow("NDES Approved Devices", ca.config().hostName() + "$", AccessRight.ENROLL);
            admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", PASSWORD);
        }
        ca.issueTemplate(DefaultTemplates.IPSEC_INTERMEDIATE_OFFLINE);
        ca.issueTemplate("NDES Approved Devices");
        ca.issueTemplate(DefaultTemplates.WEB_SERVER);
    }

    @AfterAll
    static void stopLab() {
        ca.close();
        dc.close();
    }

    @AfterEach
    void ndesIssuesFromItsDefaultAgain() {
        ca.changeRegistry("MSCEP\\GeneralPurposeTemplate", "", ADMIN);
    }

    private static String url() {
        return ca.scepUrl().replace(ca.config().fqdn(), "127.0.0.1");
    }

    private static Result scepclient(Path dir, String cn, String challenge) throws Exception {
        return ExternalTool.run(dir, Map.of(), null, "scepclient", "-server-url", url(), "-private-key", "key.pem",
                "-certificate", "cert.pem", "-cn", cn, "-challenge", challenge, "-debug");
    }

    private static String textOf(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private static X509Certificate read(Path file) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(bytes));
    }

    @Test
    void scepclientEnrollsWithAOneTimePasswordAsTheServiceAccount(@TempDir Path dir) throws Exception {
        Result enrolled = scepclient(dir, "router01.contoso.com", ca.ndesChallengePassword());
        assertEquals(0, enrolled.exit(), "scepclient against " + url() + ": " + enrolled);
        X509Certificate issued = read(dir.resolve("cert.pem"));
        assertEquals(ca.certificate().getSubjectX500Principal(), issued.getIssuerX500Principal(), "issued by " + ca.name());
        assertTrue(issued.getExtendedKeyUsage().contains(DefaultTemplates.OID_IKE_INTERMEDIATE),
                "IPSec (Offline request), NDES's default template: " + issued.getExtendedKeyUsage());
        RequestRecord row = ca.bySerial(issued.getSerialNumber()).orElseThrow();
        assertEquals("CONTOSO\\" + ca.config().hostName() + "$", row.requester(),
                "the CA records SCEP requests under NDES's service account, as Windows does: " + row);
        assertEquals(DefaultTemplates.IPSEC_INTERMEDIATE_OFFLINE, row.template(), row.toString());
    }

    /** The RA and CA certificates as files, for pki --scep, which takes them by name. */
    private static void raFiles(Path dir) throws Exception {
        List<X509Certificate> ra = ca.ndesRaCertificates();
        Files.write(dir.resolve("enc.der"), ra.get(0).getEncoded());
        Files.write(dir.resolve("sig.der"), ra.get(1).getEncoded());
        Files.write(dir.resolve("ca.der"), ca.certificate().getEncoded());
        Result key = sh(dir, "pki --gen --type rsa --size 2048 --outform der > key.der 2>/dev/null");
        assertEquals(0, key.exit(), "pki --gen: " + key);
    }

    private static String pkiScep(String dn, String password) {
        return "pki --scep --url " + url() + " --in key.der --dn '" + dn + "' --password " + password
                + " --cacert-enc enc.der --cacert-sig sig.der --cacert ca.der --interval 1 --maxpolltime 120 --outform pem --cipher des3";
    }

    private static Result sh(Path dir, String script) throws Exception {
        return ExternalTool.run(dir, Map.of(), null, "sh", "-c", script);
    }

    @Test
    void strongswanPkiEnrollsWithAOneTimePassword(@TempDir Path dir) throws Exception {
        raFiles(dir);
        Result enrolled = sh(dir, pkiScep("CN=vpn01.contoso.com", ca.ndesChallengePassword()) + " > cert.pem");
        assertEquals(0, enrolled.exit(), "pki --scep against " + url() + ": " + enrolled);
        X509Certificate issued = KeyFiles.certificate(Files.readAllBytes(dir.resolve("cert.pem")));
        assertEquals("CN=vpn01.contoso.com", issued.getSubjectX500Principal().getName(), "the subject pki asked for (supply in request)");
        assertEquals("CONTOSO\\" + ca.config().hostName() + "$", ca.bySerial(issued.getSerialNumber()).orElseThrow().requester());
    }

    @Test
    void aTemplateTheServiceAccountMayNotEnrollForIsRefusedWithTheAdCsCode(@TempDir Path dir) throws Exception {
        ca.changeRegistry("MSCEP\\GeneralPurposeTemplate", DefaultTemplates.WEB_SERVER, ADMIN);
        long before = ca.failed().size();
        Result refused = scepclient(dir, "router02.contoso.com", ca.ndesChallengePassword());
        assertNotEquals(0, refused.exit(), "scepclient gets no certificate from Web Server, which grants CA01$ no Enroll: " + refused);
        assertTrue(refused.out().contains("failInfo: badRequest"), "scepclient prints the SCEP failInfo: " + refused);
        raFiles(dir);
        Result pki = sh(dir, pkiScep("CN=router02b.contoso.com", ca.ndesChallengePassword()) + " > cert2.pem");
        assertNotEquals(0, pki.exit(), "pki --scep gets no certificate either: " + pki);
        assertTrue(pki.err().contains("badRequest"), "pki prints the SCEP failInfo: " + pki);
        List<RequestRecord> failed = ca.failed();
        assertEquals(before + 2, failed.size(), "the refusals are in the CA's Failed Requests");
        RequestRecord row = failed.get(failed.size() - 1);
        assertEquals(WindowsError.CERTSRV_E_TEMPLATE_DENIED.hresult(), row.dispositionCode(), "the CA's recorded refusal: " + row);
        assertEquals("CONTOSO\\" + ca.config().hostName() + "$", row.requester(), row.toString());

        KeyPair key = RsaKeys.generate(2048);
        ScepClient.Answer answer = new ScepClient(URI.create(url())).send(key,
                ScepClient.request(key, "CN=router03.contoso.com", ca.ndesChallengePassword()));
        assertEquals(ScepMessage.PkiStatus.FAILURE, answer.status(), answer.toString());
        assertEquals(ScepMessage.FailInfo.BAD_REQUEST, answer.failInfo(), answer.toString());
        assertEquals(Optional.of(WindowsError.CERTSRV_E_TEMPLATE_DENIED), answer.error(), "the failInfoText names the AD CS code: " + answer);
        assertTrue(answer.failInfoText().contains("Web Server"), "and the template: " + answer.failInfoText());

        // the same CertRep as openssl prints it: RFC 8894's failInfoText among the signed attributes carries the code
        KeyPair device = RsaKeys.generate(2048);
        byte[] request = ScepMessage.sign(ScepMessage.MessageType.PKCS_REQ, ScepClient.transactionId(device), ScepClient.nonce(), null, null,
                null, null, ScepMessage.envelope(ScepClient.request(device, "CN=router03b.contoso.com", ca.ndesChallengePassword()),
                        ca.ndesRaCertificates().get(0), ScepMessage.AES_128_CBC), device.getPrivate(),
                ScepClient.selfSigned(device, "CN=router03b"), "SHA256");
        Files.write(dir.resolve("req.der"), request);
        Result printed = sh(dir, "curl -s --data-binary @req.der -H 'Content-Type: application/x-pki-message' '" + url()
                + "?operation=PKIOperation' -o rep.der && openssl cms -inform DER -in rep.der -cmsout -print");
        assertEquals(0, printed.exit(), printed.toString());
        assertTrue(printed.out().contains("1.3.6.1.5.5.7.24.1") && printed.out().contains("0x80094012 CERTSRV_E_TEMPLATE_DENIED"),
                "openssl cms -cmsout -print shows the failInfoText with the AD CS code: " + printed.out());
    }

    @Test
    void aTemplateNeedingApprovalIsPendingUntilApprovedThenGetCertInitialGetsTheCertificate(@TempDir Path dir) throws Exception {
        ca.changeRegistry("MSCEP\\GeneralPurposeTemplate", "NDES Approved Devices", ADMIN);
        raFiles(dir);
        long lastBefore = ca.requests(0, 100_000).stream().mapToLong(RequestRecord::requestId).max().orElse(0);
        Process pki = new ProcessBuilder("sh", "-c", pkiScep("CN=router04.contoso.com", ca.ndesChallengePassword()) + " > cert.pem")
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("pki.log").toFile()))
                .start();
        try {
            RequestRecord pending = null;
            for (int i = 0; i < 300 && pending == null; i++) {
                pending = ca.pending().stream().filter(r -> r.requestId() > lastBefore).findFirst().orElse(null);
                if (pending == null) {
                    Thread.sleep(100);
                }
            }
            assertTrue(pending != null, "pki's request waits under Pending Requests: " + Files.readString(dir.resolve("pki.log")));
            assertTrue(pki.isAlive(), "pki polls (GetCertInitial) while the request is pending: " + Files.readString(dir.resolve("pki.log")));
            ca.approve(pending.requestId(), ADMIN);
            assertTrue(pki.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "pki stops polling once approved");
            String log = Files.readString(dir.resolve("pki.log"));
            assertEquals(0, pki.exitValue(), "pki --scep: " + log);
            assertTrue(log.toLowerCase(java.util.Locale.ROOT).contains("pending"), "pki was told PENDING first: " + log);
            X509Certificate issued = KeyFiles.certificate(Files.readAllBytes(dir.resolve("cert.pem")));
            assertEquals(pending.requestId(), ca.bySerial(issued.getSerialNumber()).orElseThrow().requestId(),
                    "the certificate GetCertInitial got is the approved request's");
        } finally {
            pki.destroyForcibly();
        }
    }

    @Test
    void aRevokedScepCertificateIsRevokedInTheCrlAndByOcsp(@TempDir Path dir) throws Exception {
        Result enrolled = scepclient(dir, "router05.contoso.com", ca.ndesChallengePassword());
        assertEquals(0, enrolled.exit(), enrolled.toString());
        X509Certificate issued = read(dir.resolve("cert.pem"));
        ca.revoke(issued.getSerialNumber(), RevocationReason.KEY_COMPROMISE, ADMIN);
        Files.write(dir.resolve("crl.der"), ca.publishCrl().getEncoded());
        Result crl = ExternalTool.run(dir, Map.of(), null, "openssl", "crl", "-inform", "DER", "-in", "crl.der", "-noout", "-text");
        assertTrue(crl.out().toUpperCase(java.util.Locale.ROOT).contains(issued.getSerialNumber().toString(16).toUpperCase(java.util.Locale.ROOT)),
                "the CRL lists the SCEP certificate's serial " + issued.getSerialNumber().toString(16) + ": " + crl);
        Files.writeString(dir.resolve("ca.pem"), KeyFiles.pem(ca.certificate()));
        Result ocsp = ExternalTool.run(dir, Map.of(), null, "openssl", "ocsp", "-issuer", "ca.pem", "-cert", "cert.pem", "-CAfile", "ca.pem",
                "-url", ca.ocspUrl().replace(ca.config().fqdn(), "127.0.0.1"));
        assertTrue(ocsp.out().contains("cert.pem: revoked") && ocsp.out().contains("keyCompromise"),
                "the Online Responder answers revoked for it: " + ocsp);
    }

    @Test
    void aWrongUsedOrMissingPasswordIsABadRequestThatReachesNoCa() throws Exception {
        ScepClient scep = new ScepClient(URI.create(url()));
        long requests = ca.requestCount();
        KeyPair key = RsaKeys.generate(2048);
        ScepClient.Answer wrong = scep.send(key, ScepClient.request(key, "CN=router06.contoso.com", "0123456789ABCDEF"));
        assertEquals(ScepMessage.FailInfo.BAD_REQUEST, wrong.failInfo(), wrong.toString());
        assertTrue(wrong.failInfoText().contains("cannot be verified") && wrong.failInfoText().contains("not one NDES gave out"), wrong.failInfoText());

        String password = ca.ndesChallengePassword();
        KeyPair first = RsaKeys.generate(2048);
        assertEquals(ScepMessage.PkiStatus.SUCCESS, scep.send(first, ScepClient.request(first, "CN=router07.contoso.com", password)).status());
        KeyPair second = RsaKeys.generate(2048);
        ScepClient.Answer used = scep.send(second, ScepClient.request(second, "CN=router08.contoso.com", password));
        assertEquals(ScepMessage.FailInfo.BAD_REQUEST, used.failInfo(), used.toString());
        assertTrue(used.failInfoText().contains("used already"), used.failInfoText());

        ScepClient.Answer none = scep.send(key, ScepClient.request(key, "CN=router06.contoso.com", null));
        assertEquals(ScepMessage.FailInfo.BAD_REQUEST, none.failInfo(), none.toString());
        assertTrue(none.failInfoText().contains("mscep_admin"), "says where to get a password: " + none.failInfoText());
        assertEquals(requests + 1, ca.requestCount(), "only the request with the good password reached the CA");
    }

    @Test
    void ndesChoosesTheTemplateByTheKeyUsageTheRequestAsksFor() throws Exception {
        ca.changeRegistry("MSCEP\\SignatureTemplate", "NDES Approved Devices", ADMIN);
        try {
            ScepClient scep = new ScepClient(URI.create(url()));
            KeyPair key = RsaKeys.generate(2048);
            ScepClient.Answer signing = scep.send(key, ScepClient.request(key, "CN=router09.contoso.com", ca.ndesChallengePassword(),
                    new KeyUsage(KeyUsage.digitalSignature)));
            assertEquals(ScepMessage.PkiStatus.PENDING, signing.status(), "digital signature alone: SignatureTemplate, which needs approval");
            KeyPair both = RsaKeys.generate(2048);
            X509Certificate general = scep.enroll(both, ScepClient.request(both, "CN=router10.contoso.com", ca.ndesChallengePassword(),
                    new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment)));
            assertEquals(DefaultTemplates.IPSEC_INTERMEDIATE_OFFLINE, ca.bySerial(general.getSerialNumber()).orElseThrow().template(),
                    "both usages: GeneralPurposeTemplate");
        } finally {
            ca.changeRegistry("MSCEP\\SignatureTemplate", "", ADMIN);
        }
    }

    /**
     * certmonger on a D-Bus of its own (dbus-run-session, certmonger -s), its state in the test's folder: the CA added with
     * {@code getcert add-scep-ca}, the certificate requested with {@code getcert request -L <password>} and tracked in
     * {@code getcert list} as MONITORING.
     */
    @Test
    void certmongerEnrollsAndTracksTheCertificate(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("enroll.sh"), String.join("\n",
                "set -e",
                "getcert add-scep-ca -s -c LabNDES -u '" + url() + "'",
                "getcert request -s -c LabNDES -k " + dir.resolve("key.pem") + " -f " + dir.resolve("cert.pem") + " -N CN=printer01.contoso.com -L "
                        + ca.ndesChallengePassword() + " -w -v || true",
                "getcert list -s",
                ""));
        // certmonger run as root keeps its CAs and requests in /var/lib/certmonger: here, in the test's folder
        Map<String, String> state = new java.util.HashMap<>();
        for (String variable : List.of("CERTMONGER_CONFIG_DIR", "CERTMONGER_REQUESTS_DIR", "CERTMONGER_CAS_DIR", "CERTMONGER_LOCAL_CA_DIR",
                "CERTMONGER_TMPDIR")) {
            Path folder = Files.createDirectories(dir.resolve(variable.toLowerCase(java.util.Locale.ROOT)));
            state.put(variable, folder.toString());
        }
        state.put("CERTMONGER_SYSTEM_LOCK_FILE", dir.resolve("certmonger.lock").toString());
        state.put("HOME", dir.toString());
        Result run = ExternalTool.run(dir, state, null, "dbus-run-session", "--", "certmonger", "-s", "-n", "-c", "sh " + dir.resolve("enroll.sh"));
        try (var left = Files.list(Path.of("/var/lib/certmonger/requests"))) {
            assertTrue(left.noneMatch(f -> textOf(f).contains("printer01")),
                    "certmonger kept its request in the test's folder, not in /var/lib/certmonger");
        } catch (java.nio.file.NoSuchFileException e) {
            // no system state at all: nothing left behind there either
        }
        assertTrue(run.out().contains("status: MONITORING"), "getcert list tracks the certificate: " + run);
        X509Certificate issued = KeyFiles.certificate(Files.readAllBytes(dir.resolve("cert.pem")));
        assertEquals("CN=printer01.contoso.com", issued.getSubjectX500Principal().getName(), run.toString());
        assertEquals("CONTOSO\\" + ca.config().hostName() + "$", ca.bySerial(issued.getSerialNumber()).orElseThrow().requester());
    }

    /** GET /certsrv/mscep_admin/ on the CA's HTTPS port as {@code account}: the status and the page. */
    private static String[] adminPage(String account) throws Exception {
        javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
        tls.init(null, KeyFiles.trustOnly(ca.certificate()), null);
        javax.net.ssl.HttpsURLConnection http = (javax.net.ssl.HttpsURLConnection) URI.create(
                ca.ndesAdminUrl().replace(ca.config().fqdn(), "127.0.0.1")).toURL().openConnection();
        http.setSSLSocketFactory(tls.getSocketFactory());
        http.setHostnameVerifier(org.pkilab.enrollment.JdkEstTransport.namedServer(ca.config().fqdn()));
        http.setRequestProperty("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(
                (account + ":" + PASSWORD).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        int status = http.getResponseCode();
        java.io.InputStream body = status < 400 ? http.getInputStream() : http.getErrorStream();
        return new String[]{Integer.toString(status), new String(body.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)};
    }

    @Test
    void mscepAdminGivesAdministratorsAOneTimePasswordAndRefusesAccountsWithoutEnroll() throws Exception {
        String[] page = adminPage("Administrator");
        assertEquals("200", page[0], page[1]);
        java.util.regex.Matcher shown = java.util.regex.Pattern.compile("The enrollment challenge password is: ([0-9A-F]{16})").matcher(page[1]);
        assertTrue(shown.find(), "NDES's sentence with the password: " + page[1]);
        KeyPair key = RsaKeys.generate(2048);
        X509Certificate issued = new ScepClient(URI.create(url())).enroll(key, ScepClient.request(key, "CN=router11.contoso.com", shown.group(1)));
        assertEquals(ca.certificate().getSubjectX500Principal(), issued.getIssuerX500Principal(), "the page's password enrolls");

        String[] refused = adminPage("IIS01$");
        assertEquals("403", refused[0], refused[1]);
        assertTrue(refused[1].contains("You do not have sufficient permission to enroll with SCEP"), refused[1]);
        assertTrue(refused[1].contains("IIS01$") && refused[1].contains("IPSec (Offline request)"),
                "names the account and the template it may not enroll for: " + refused[1]);
    }

    @Test
    void pkiOperationByGetAndOverHttpsIsAnsweredAsByPost(@TempDir Path dir) throws Exception {
        ScepClient scep = new ScepClient(URI.create(url()));
        ScepClient.CaCertificates ra = scep.caCertificates();
        for (String how : List.of("GET", "HTTPS")) {
            KeyPair device = RsaKeys.generate(2048);
            X509Certificate self = ScepClient.selfSigned(device, "CN=" + how);
            byte[] nonce = ScepClient.nonce();
            byte[] request = ScepMessage.sign(ScepMessage.MessageType.PKCS_REQ, ScepClient.transactionId(device), nonce, null, null, null, null,
                    ScepMessage.envelope(ScepClient.request(device, "CN=" + how.toLowerCase(java.util.Locale.ROOT) + ".contoso.com",
                            ca.ndesChallengePassword()), ra.encryption(), ScepMessage.AES_128_CBC), device.getPrivate(), self, "SHA256");
            Files.write(dir.resolve("req.der"), request);
            Files.writeString(dir.resolve("ca.pem"), KeyFiles.pem(ca.certificate()));
            String command = how.equals("GET")
                    ? "curl -s -G --data-urlencode \"message=$(base64 -w0 req.der)\" '" + url() + "' --data-urlencode operation=PKIOperation -o rep.der"
                    : "curl -s --cacert ca.pem --resolve " + ca.config().fqdn() + ":" + ca.httpsPort() + ":127.0.0.1 --data-binary @req.der "
                    + "-H 'Content-Type: application/x-pki-message' 'https://" + ca.config().fqdn() + ":" + ca.httpsPort() + "/certsrv/mscep/mscep.dll"
                    + "?operation=PKIOperation' -o rep.der";
            Result sent = sh(dir, command);
            assertEquals(0, sent.exit(), how + ": " + sent);
            ScepClient.Answer answer = ScepClient.answer(Files.readAllBytes(dir.resolve("rep.der")), ra, device, self, nonce);
            assertEquals(ScepMessage.PkiStatus.SUCCESS, answer.status(), how + ": " + answer);
            assertEquals(ca.certificate().getSubjectX500Principal(), answer.certificate().getIssuerX500Principal(), how);
        }
    }

    @Test
    void aScepCertificateAuthenticatesNoOneOverCmpOrEstReenrollment() throws Exception {
        KeyPair key = RsaKeys.generate(2048);
        X509Certificate device = new ScepClient(URI.create(url())).enroll(key, ScepClient.request(key, "CN=router20.contoso.com",
                ca.ndesChallengePassword()));
        String service = "CONTOSO\\" + ca.config().hostName() + "$";
        assertEquals(service, ca.bySerial(device.getSerialNumber()).orElseThrow().requester(), "recorded under NDES's service account");
        assertEquals(RequestRecord.Arrival.NDES, ca.bySerial(device.getSerialNumber()).orElseThrow().arrival(), "recorded as NDES's");
        long before = ca.requestCount();

        String cmpUrl = "http://127.0.0.1:" + ca.httpPort() + CmpAdapter.PATH;
        EnrollmentException cmp = assertThrows(EnrollmentException.class, () -> CmpClient.withCertificate(cmpUrl, ca.certificate(), device,
                key.getPrivate()).enroll(DefaultTemplates.IPSEC_INTERMEDIATE_OFFLINE, RsaKeys.generate(2048), "CN=" + ca.config().fqdn(), ca.config().fqdn()),
                "a CMP cr signed with router20's SCEP certificate must not enroll as " + service);
        assertEquals(WindowsError.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, cmp.error(), cmp.getMessage());
        assertTrue(cmp.getMessage().contains("NDES"), "says why: " + cmp.getMessage());

        KeyPair next = RsaKeys.generate(2048);
        EstAnswer est = CaHttps.est(ca, new KeyFiles.KeyEntry(key.getPrivate(), new X509Certificate[]{device, ca.certificate()}))
                .simpleReenroll(DefaultTemplates.WEB_SERVER, Csrs.request(next, "CN=" + ca.config().fqdn(), ca.config().fqdn()));
        assertNotEquals(200, est.status(), "EST simplereenroll with router20's SCEP certificate as " + service + ": " + est.text());
        assertEquals(WindowsError.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, est.windowsError(), est.text());
        assertEquals(before, ca.requestCount(), "nothing submitted as " + service);
    }

    /**
     * {@code envelope} with its RSA-wrapped key replaced by a block whose PKCS #1 padding is wrong ({@code badKey}), or with
     * the last byte of its encrypted content flipped.
     */
    static byte[] spoiled(byte[] envelope, X509Certificate recipient, boolean badKey) throws Exception {
        var data = org.bouncycastle.asn1.cms.EnvelopedData.getInstance(org.bouncycastle.asn1.cms.ContentInfo.getInstance(envelope).getContent());
        var ktri = org.bouncycastle.asn1.cms.KeyTransRecipientInfo.getInstance(
                org.bouncycastle.asn1.cms.RecipientInfo.getInstance(data.getRecipientInfos().getObjectAt(0)).getInfo());
        var content = data.getEncryptedContentInfo();
        if (badKey) {
            int k = (((java.security.interfaces.RSAPublicKey) recipient.getPublicKey()).getModulus().bitLength() + 7) / 8;
            byte[] block = new byte[k];
            java.util.Arrays.fill(block, (byte) 0x5A);
            block[0] = 0;
            block[1] = 1; // block type 1 (signature), not 2: no separator either
            javax.crypto.Cipher rsa = javax.crypto.Cipher.getInstance("RSA/ECB/NoPadding");
            rsa.init(javax.crypto.Cipher.ENCRYPT_MODE, recipient.getPublicKey());
            ktri = new org.bouncycastle.asn1.cms.KeyTransRecipientInfo(ktri.getRecipientIdentifier(), ktri.getKeyEncryptionAlgorithm(),
                    new org.bouncycastle.asn1.DEROctetString(rsa.doFinal(block)));
        } else {
            byte[] encrypted = content.getEncryptedContent().getOctets().clone();
            encrypted[encrypted.length - 1] ^= 0x01;
            content = new org.bouncycastle.asn1.cms.EncryptedContentInfo(content.getContentType(), content.getContentEncryptionAlgorithm(),
                    new org.bouncycastle.asn1.DEROctetString(encrypted));
        }
        var changed = new org.bouncycastle.asn1.cms.EnvelopedData(data.getOriginatorInfo(), new org.bouncycastle.asn1.DERSet(
                new org.bouncycastle.asn1.cms.RecipientInfo(ktri)), content, data.getUnprotectedAttrs());
        return new org.bouncycastle.asn1.cms.ContentInfo(org.bouncycastle.asn1.cms.CMSObjectIdentifiers.envelopedData, changed).getEncoded("DER");
    }

    @Test
    void aBadlyPaddedKeyAndBadContentGetTheSameAnswerSoTheCepEncryptionKeyIsNoPaddingOracle() throws Exception {
        ScepClient scep = new ScepClient(URI.create(url()));
        ScepClient.CaCertificates ra = scep.caCertificates();
        long before = ca.requestCount();
        List<String> texts = new java.util.ArrayList<>();
        for (boolean badKey : new boolean[]{true, false}) {
            KeyPair key = RsaKeys.generate(2048);
            X509Certificate self = ScepClient.selfSigned(key, "CN=router30.contoso.com");
            byte[] envelope = ScepMessage.envelope(ScepClient.request(key, "CN=router30.contoso.com", ca.ndesChallengePassword()),
                    ra.encryption(), org.bouncycastle.cms.CMSAlgorithm.AES128_CBC);
            byte[] nonce = ScepClient.nonce();
            byte[] message = ScepMessage.sign(ScepMessage.MessageType.PKCS_REQ, ScepClient.transactionId(key), nonce, null, null, null, null,
                    spoiled(envelope, ra.encryption(), badKey), key.getPrivate(), self, "SHA256");
            ScepClient.Answer answer = ScepClient.answer(scep.post(message), ra, key, self, nonce);
            assertEquals(ScepMessage.FailInfo.BAD_MESSAGE_CHECK, answer.failInfo(), (badKey ? "bad padding: " : "bad content: ") + answer);
            texts.add(answer.failInfoText());
        }
        assertEquals(texts.get(0), texts.get(1), "NDES answers a badly padded key as it answers bad content");
        assertTrue(texts.get(0).contains("CEP Encryption"), "says what to encrypt to: " + texts.get(0));
        assertEquals(before, ca.requestCount(), "nothing reached " + ca.name());
    }

    @Test
    void aServiceAccountThatCannotLogOnLeavesTheChallengePasswordGood() throws Exception {
        // a CA of its own: NDES's service account token is kept once it has logged on, and this one must never have
        try (DomainController ownDc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
             CertificationAuthority own = CertificationAuthority.start(CertificationAuthorityConfig.builder(ownDc.names())
                     .directory("127.0.0.1", ownDc.ldapPort(), ownDc.administratorDn(), PASSWORD).build());
             com.unboundid.ldap.sdk.LDAPConnection ldap = new com.unboundid.ldap.sdk.LDAPConnection("127.0.0.1", ownDc.ldapPort(),
                     ownDc.administratorDn(), PASSWORD)) {
            try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", ownDc.ldapPort(), ownDc.names(), ownDc.administratorDn(), PASSWORD)) {
                admin.security().allow("IPSec (Offline request)", own.config().hostName() + "$", AccessRight.ENROLL);
            }
            own.issueTemplate(DefaultTemplates.IPSEC_INTERMEDIATE_OFFLINE);
            String computer = ownDc.names().computer(own.config().hostName());
            ldap.modify(computer, new com.unboundid.ldap.sdk.Modification(com.unboundid.ldap.sdk.ModificationType.REPLACE, "userAccountControl", "4098"));
            ScepClient scep = new ScepClient(URI.create(own.scepUrl().replace(own.config().fqdn(), "127.0.0.1")));
            String password = own.ndesChallengePassword();
            KeyPair key = RsaKeys.generate(2048);
            byte[] request = ScepClient.request(key, "CN=router40.contoso.com", password);
            ScepClient.Answer refused = scep.send(key, request);
            assertEquals(ScepMessage.FailInfo.BAD_REQUEST, refused.failInfo(), "NDES's " + own.config().hostName() + "$ disabled: " + refused);
            assertTrue(refused.failInfoText().contains("ERROR_LOGON_FAILURE") && refused.failInfoText().contains("still good"), refused.failInfoText());

            ldap.modify(computer, new com.unboundid.ldap.sdk.Modification(com.unboundid.ldap.sdk.ModificationType.REPLACE, "userAccountControl", "4096"));
            KeyPair again = RsaKeys.generate(2048);
            X509Certificate issued = scep.enroll(again, ScepClient.request(again, "CN=router40.contoso.com", password));
            assertEquals(own.certificate().getSubjectX500Principal(), issued.getIssuerX500Principal(),
                    "the same challenge password enrolls once " + own.config().hostName() + "$ is enabled again");
        }
    }

    @Test
    void aRequestSentAgainAfterItsCertificateWasRevokedGetsAFailureNamingTheRevocation() {
        ScepClient scep = new ScepClient(URI.create(url()));
        KeyPair key = RsaKeys.generate(2048);
        byte[] request = ScepClient.request(key, "CN=router50.contoso.com", ca.ndesChallengePassword());
        X509Certificate issued = scep.enroll(key, request);
        ca.revoke(issued.getSerialNumber(), RevocationReason.KEY_COMPROMISE, ADMIN);
        ScepClient.Answer again = scep.send(key, request);
        assertEquals(ScepMessage.PkiStatus.FAILURE, again.status(), "router50's PKCSReq sent again after its certificate "
                + issued.getSerialNumber().toString(16) + " was revoked: " + again);
        assertEquals(ScepMessage.FailInfo.BAD_REQUEST, again.failInfo(), again.toString());
        assertTrue(again.failInfoText().contains("revoked") && again.failInfoText().contains(issued.getSerialNumber().toString(16)),
                again.failInfoText());
    }
}
