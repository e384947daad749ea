package org.pkilab.robustness;

import com.unboundid.ldap.sdk.AddRequest;
import com.unboundid.ldap.sdk.CompareRequest;
import com.unboundid.ldap.sdk.DeleteRequest;
import com.unboundid.ldap.sdk.ExtendedRequest;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPConnectionOptions;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPRequest;
import com.unboundid.ldap.sdk.LDAPResult;
import com.unboundid.ldap.sdk.ModifyDNRequest;
import com.unboundid.ldap.sdk.ModifyRequest;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchRequest;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import com.unboundid.ldap.sdk.SimpleBindRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.ca.CertificationAuthority;
import org.pkilab.ca.EnrollmentRequest;
import org.pkilab.ca.EnrollmentResult;
import org.pkilab.ca.RequestRecord;
import org.pkilab.ca.RequestStatus;
import org.pkilab.ca.RevocationReason;
import org.pkilab.cli.Cli;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.host.DomainComputer;
import org.pkilab.host.DomainComputerConfig;
import org.pkilab.host.StoredCertificate;
import org.pkilab.lab.Lab;
import org.pkilab.lab.LabSpec;
import org.pkilab.pki.KeyFiles;
import org.pkilab.robustness.HostileCorpus.Answer;
import org.pkilab.enrollment.ScepClient;
import org.pkilab.enrollment.ScepMessage;
import org.pkilab.directory.model.DefaultTemplates;
import org.pkilab.pki.RsaKeys;
import org.pkilab.robustness.HostileCorpus.HttpInput;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.URI;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile input through the lab's real interfaces: EST and the CA's web servers over HTTPS and HTTP, the
 * directory over LDAP, scenario files through {@code pkilab run}, PFX files through a computer's
 * Certificate Import Wizard. A deterministic corpus ({@link HostileCorpus}) of well over a thousand
 * inputs, each of which must be refused clearly: an HTTP 4xx that explains itself, with the AD CS code
 * where one applies; an LDAP result code; {@code file:line: ...} and exit 2; "The password you entered is
 * incorrect". CMP's inputs are answered in CMP (HTTP 200, a PKIMessage whose PKIStatusInfo names the
 * PKIFailureInfo and carries the AD CS code in its text, as {@code openssl cmp} prints it), unless they are no
 * CMP request at all. After every input the server still answers, and nothing changed.
 *
 * <p>"Nothing changed" is read as AD CS reads it. Input that is not yet a request (no valid credentials,
 * a label that cannot be a template name, a body that is not PKCS #10, too large, the wrong content type)
 * leaves the CA database as it was. A well-formed request the policy module refuses (bad signature, key
 * size, names) is recorded as AD CS records it, a row in Failed Requests, and nothing else: issued
 * certificates, serial numbers, templates and every directory entry stay the same.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputTest {

    private static final Pattern STACK_FRAME = Pattern.compile("\\n\\s*at [\\w$.]+\\(|Exception:|\\.java:\\d+\\)");
    private static final Pattern PROBLEM = Pattern.compile("^  (\\S+):(\\d+): (.+)$");

    @TempDir
    static Path files;

    private static Lab lab;
    private static HostileCorpus corpus;
    private static HostileCorpus.Facts facts;
    private static HttpsWire probe;
    private static final Map<HostileCorpus.ClientCertificate, HttpsWire> wires = new IdentityHashMap<>();

    @BeforeAll
    static void startLabAndMakeTheCorpus() throws Exception {
        long start = System.nanoTime();
        lab = Lab.start(LabSpec.builder().iis("IIS01", "server1.internal.contoso.com").client("PC01").user("alice").build());
        DirectoryAdmin admin = lab.admin();
        CertificationAuthority ca = lab.ca();
        String password = lab.password();
        // a request waiting for a certificate manager, for the administration inputs to try to approve
        admin.templates().duplicate("Web Server", "Hostile Approval", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        admin.templates().setRequiresApproval("Hostile Approval", true);
        admin.security().allow("Hostile Approval", "Domain Computers", AccessRight.READ, AccessRight.ENROLL);
        ca.issueTemplate("Hostile Approval");
        // Write without Write permissions: the corpus tries to replace the template's descriptor under every spelling
        for (String account : List.of("IIS01$", "PC01$", "alice")) {
            admin.security().allow("Hostile Approval", account, AccessRight.WRITE);
        }
        // alice is in a group named 'Enterprise Admins' made in another OU (the DC refuses a second such sAMAccountName,
        // so it goes by its CN): she must still be no administrator, of the directory or of the CA
        try (LDAPConnection administrator = connect(lab.dc().administratorDn(), password)) {
            administrator.add("OU=Impostors," + lab.dc().names().domain(), new com.unboundid.ldap.sdk.Attribute("objectClass", "top", "organizationalUnit"));
            administrator.add("CN=Enterprise Admins,OU=Impostors," + lab.dc().names().domain(),
                    new com.unboundid.ldap.sdk.Attribute("objectClass", "top", "group"),
                    new com.unboundid.ldap.sdk.Attribute("groupType", "-2147483640"),
                    new com.unboundid.ldap.sdk.Attribute("member", lab.dc().names().user("alice")));
        }
        assertTrue(DomainLogon.logon("127.0.0.1", lab.dc().ldapPort(), lab.dc().names().user("alice"), password).token()
                .memberOf("Enterprise Admins"), "alice's token names the impostor 'Enterprise Admins'");
        var iis01 = DomainLogon.logon("127.0.0.1", lab.dc().ldapPort(), lab.dc().names().computer("IIS01"), password).token();
        RequestForge forge = new RequestForge(1);
        EnrollmentResult pending = ca.submit(EnrollmentRequest.manual(iis01, "HostileApproval",
                RequestForge.request(forge.rsa(2048), RequestForge.cn("pending.contoso.com"), RequestForge.dnsNames("pending.contoso.com"))));
        assertEquals(RequestStatus.PENDING, pending.status(), "the approval template holds requests");
        // IIS01's computer certificate, current and revoked, for the re-enrollment inputs
        KeyPair current = forge.rsa(2048);
        EnrollmentResult valid = ca.submit(EnrollmentRequest.manual(iis01, "Machine", RequestForge.request(current, RequestForge.cn("x"))));
        KeyPair old = forge.rsa(2048);
        EnrollmentResult revoked = ca.submit(EnrollmentRequest.manual(iis01, "Machine", RequestForge.request(old, RequestForge.cn("x"))));
        assertTrue(valid.issued() && revoked.issued(), "IIS01 enrolls for Computer");
        ca.revoke(revoked.certificate().getSerialNumber(), RevocationReason.SUPERSEDED, "CONTOSO\\Administrator");

        // IIS01's CMP shared secret, for the CMP inputs that get past the protection
        var cmp = ca.issueCmpSecret("IIS01$", "CONTOSO\\Administrator");
        String adminToken = DomainLogon.logon("127.0.0.1", lab.dc().ldapPort(), lab.dc().administratorDn(), password).encoded();
        HostileCorpus.Facts facts = new HostileCorpus.Facts(ca.name(), ca.config().fqdn(), ca.certificate(), lab.dc().names(), password,
                adminToken, valid.certificate().getSerialNumber(), valid.requestId(), pending.requestId(),
                new HostileCorpus.ClientCertificate(new X509Certificate[]{valid.certificate()}, current.getPrivate()),
                new HostileCorpus.ClientCertificate(new X509Certificate[]{revoked.certificate()}, old.getPrivate()),
                cmp.reference(), cmp.secret());
        long corpusStart = System.nanoTime();
        HostileInputTest.facts = facts;
        corpus = HostileCorpus.generate(facts, ca.httpsPort());
        System.out.printf("hostile input: corpus made in %.1f s%n", (System.nanoTime() - corpusStart) / 1e9);
        probe = new HttpsWire(ca.certificate(), ca.config().fqdn(), ca.httpsPort());
        System.out.printf("hostile input: lab and corpus ready in %.1f s%n", (System.nanoTime() - start) / 1e9);
    }

    @AfterAll
    static void stopLab() {
        wires.values().forEach(HttpsWire::close);
        if (probe != null) {
            probe.close();
        }
        if (lab != null) {
            lab.close();
        }
    }

    // ---- the CA's web servers --------------------------------------------------------------------

    @Test
    void bodiesThatAreNotCertificateRequestsAreRefusedWithBadTagAndLeaveNoRecord() {
        assertRefusedAndNothingChanged(http("EST body"));
    }

    @Test
    void wellFormedRequestsThePolicyRefusesAreRecordedAsFailedAndIssueNothing() {
        assertRefusedAndNothingChanged(http("EST request"));
    }

    @Test
    void malformedHttpIsRefusedWithAnExplanationAndTheServerKeepsServing() {
        assertRefusedAndNothingChanged(Stream.concat(http("EST HTTP").stream(), http("HTTP: CertEnroll").stream()).toList());
    }

    @Test
    void hostileTemplateLabelsAreRefusedAndOnlyThoseThatCouldBeTemplateNamesAreRecorded() {
        assertRefusedAndNothingChanged(http("EST label"));
    }

    @Test
    void wrongAndEmptyCredentialsAreRefusedWithLogonFailure() {
        assertRefusedAndNothingChanged(http("EST credentials"));
    }

    @Test
    void foreignRevokedAndKeylessClientCertificatesCannotRenew() {
        assertRefusedAndNothingChanged(http("EST client certificate"));
    }

    @Test
    void accountsOutsideTheAdministratorGroupsCannotAdministerTheCa() {
        assertRefusedAndNothingChanged(http("CA administration"));
    }

    @Test
    void ocspBodiesThatAreNoFitRequestsGetAnOcspRefusalAndTheResponderGoesOnAnswering() throws Exception {
        CaState caBefore = CaState.of(lab.ca());
        List<String> failures = new ArrayList<>();
        assertTrue(corpus.ocsp.size() > 80, "the OCSP corpus has " + corpus.ocsp.size() + " inputs");
        byte[] good = new OcspCorpus(facts, new ArrayList<>()).good();
        for (HostileCorpus.OcspInput input : corpus.ocsp) {
            HttpsWire.Reply reply = ocsp(input.wire());
            String got = ocspStatus(reply);
            if (!String.valueOf(input.ocspStatus()).equals(got)) {
                failures.add(input.category() + " / " + input.name() + ": expected OCSP response status " + input.ocspStatus() + ", got " + got);
            }
            String after = ocspStatus(ocsp(HttpsWire.request("POST", "/ocsp", "ca01", List.of("Content-Type", "application/ocsp-request"), good)));
            if (!"0 good".equals(after)) {
                failures.add(input.category() + " / " + input.name() + ": afterwards the valid client certificate is answered " + after);
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " problems with " + corpus.ocsp.size() + " OCSP inputs:\n" + String.join("\n", failures));
        assertEquals(caBefore.kept(), CaState.of(lab.ca()).kept(), "the Online Responder changed the CA database");
        assertEquals(caBefore.lastId(), CaState.of(lab.ca()).lastId(), "the Online Responder recorded requests");
    }

    private static HttpsWire.Reply ocsp(byte[] wire) {
        try (HttpsWire plain = HttpsWire.plain(lab.ca().config().fqdn(), lab.ca().httpPort(), 20_000)) {
            return plain.exchange(wire);
        }
    }

    /** The OCSP response status of an HTTP answer ("0 good" for a successful one about a good certificate), or what else came. */
    private static String ocspStatus(HttpsWire.Reply reply) {
        if (reply.status() != 200 || !"application/ocsp-response".equals(reply.header("Content-Type"))) {
            return "HTTP " + reply;
        }
        try {
            org.bouncycastle.cert.ocsp.OCSPResp resp = new org.bouncycastle.cert.ocsp.OCSPResp(reply.body());
            if (resp.getStatus() != 0) {
                return String.valueOf(resp.getStatus());
            }
            var single = ((org.bouncycastle.cert.ocsp.BasicOCSPResp) resp.getResponseObject()).getResponses()[0];
            return "0 " + (single.getCertStatus() == null ? "good" : single.getCertStatus().getClass().getSimpleName());
        } catch (Exception e) {
            return "an answer that is no OCSP response (" + e.getMessage() + ")";
        }
    }

    @Test
    void hostileAcmeRequestsGetAProblemDocumentAndMakeNoAccount() throws Exception {
        assertRefusedAndNothingChanged(http("ACME"));
        // the external account key every bad binding tried is still unused: a good binding with it makes the account
        CertificationAuthority ca = lab.ca();
        java.security.KeyPairGenerator rsa = java.security.KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        String account = org.pkilab.enrollment.AcmeClient.builder("https://127.0.0.1:" + ca.httpsPort() + AcmeCorpus.PREFIX + "directory")
                .trust(ca.certificate(), ca.config().fqdn()).accountKey(rsa.generateKeyPair())
                .externalAccountBinding(corpus.acme.unusedKeyId, corpus.acme.unusedHmacKey).build().accountUrl();
        assertTrue(account.contains("/acct/"), "an account made with the key the hostile bindings tried: " + account);
    }

    @Test
    void hostileCmpMessagesGetACmpErrorWithTheFailureAndTheCodeAndChangeNothing() {
        assertRefusedAndNothingChanged(http("CMP"));
    }

    /**
     * NDES: what is no pkiMessage gets HTTP 400 (413 when too large) and a sentence; a pkiMessage NDES will not act on gets
     * a signed CertRep FAILURE with the failInfo that says why; none reaches the CA or uses up a challenge password.
     */
    @Test
    void hostileScepMessagesAreRefusedInScepsOwnFormAndReachNoCa() throws Exception {
        CertificationAuthority ca = lab.ca();
        // the lab is shared: what this test grants it takes back (a finally below), so no later test finds CA01$ allowed
        boolean issued = ca.templatesToIssue().stream().anyMatch(DefaultTemplates.IPSEC_INTERMEDIATE_OFFLINE::equalsIgnoreCase);
        lab.admin().security().allow("IPSec (Offline request)", ca.config().hostName() + "$", AccessRight.ENROLL);
        ca.issueTemplate(DefaultTemplates.IPSEC_INTERMEDIATE_OFFLINE);
        try {
            scepCorpus(ca);
        } finally {
            lab.admin().security().clearAllow("IPSec (Offline request)", ca.config().hostName() + "$", AccessRight.ENROLL);
            if (!issued) {
                ca.stopIssuing(DefaultTemplates.IPSEC_INTERMEDIATE_OFFLINE);
            }
        }
    }

    private void scepCorpus(CertificationAuthority ca) throws Exception {
        ScepClient scep = new ScepClient(URI.create(ca.scepUrl().replace(ca.config().fqdn(), "127.0.0.1")));
        KeyPair used = RsaKeys.generate(2048);
        ScepClient.CaCertificates ra = scep.caCertificates();
        // a PKCSReq with a good password, granted: the corpus sends it again byte for byte
        X509Certificate usedSelf = ScepClient.selfSigned(used, "CN=router.contoso.com");
        byte[] usedNonce = ScepClient.nonce();
        byte[] granted = ScepMessage.sign(ScepMessage.MessageType.PKCS_REQ, ScepClient.transactionId(used), usedNonce, null, null, null, null,
                ScepMessage.envelope(ScepClient.request(used, "CN=router.contoso.com", ca.ndesChallengePassword()), ra.encryption(),
                        org.bouncycastle.cms.CMSAlgorithm.AES128_CBC), used.getPrivate(), usedSelf, "SHA256");
        assertEquals(ScepMessage.PkiStatus.SUCCESS, ScepClient.answer(scep.post(granted), ra, used, usedSelf, usedNonce).status(),
                "the PKCSReq the corpus replays is granted first");
        List<ScepCorpus.ScepInput> inputs = new ScepCorpus(new ScepCorpus.Facts(ra.ca(), ra.encryption(), ScepClient.transactionId(used),
                granted)).generate().inputs;
        String password = ca.ndesChallengePassword();
        CaState before = CaState.of(ca);
        List<String> failures = new ArrayList<>();
        for (ScepCorpus.ScepInput input : inputs) {
            String problem;
            try {
                byte[] answer = scep.post(input.message());
                if (input.status() != 200) {
                    problem = "a SCEP answer, not HTTP " + input.status();
                } else {
                    ScepMessage.Signed reply = ScepMessage.read(answer);
                    problem = !reply.signatureValid() || !reply.signer().equals(ra.signature()) ? "a CertRep not signed by the RA"
                            : reply.status() != ScepMessage.PkiStatus.FAILURE || reply.failInfo() != input.failInfo()
                            ? reply.status() + " " + reply.failInfo() + " (" + reply.failInfoText() + ")"
                            : reply.failInfoText() == null || !reply.failInfoText().contains(input.mentions())
                            ? "a failInfoText without '" + input.mentions() + "': " + reply.failInfoText() : null;
                }
            } catch (ScepClient.HttpRefusal e) {
                problem = e.status() != input.status() ? e.getMessage()
                        : !e.getMessage().contains(input.mentions()) ? "an answer without '" + input.mentions() + "': " + e.getMessage() : null;
            }
            if (problem != null) {
                failures.add(input.category() + " / " + input.name() + ": got " + problem + ", expected "
                        + (input.status() == 200 ? "FAILURE " + input.failInfo().rfcName() : "HTTP " + input.status()));
            }
        }
        CaState after = CaState.of(ca);
        assertTrue(failures.isEmpty(), failures.size() + " problems with " + inputs.size() + " SCEP inputs:\n" + String.join("\n", failures));
        assertEquals(before, after, "no SCEP input reached " + ca.name() + "'s database");
        KeyPair last = RsaKeys.generate(2048);
        assertEquals(ScepMessage.PkiStatus.SUCCESS, scep.send(last, ScepClient.request(last, "CN=last.contoso.com", password)).status(),
                "the challenge password given before the corpus is still good, and NDES still serves");
    }

    private static List<HttpInput> http(String categoryPrefix) {
        List<HttpInput> inputs = corpus.http.stream().filter(i -> i.category().startsWith(categoryPrefix)).toList();
        assertTrue(!inputs.isEmpty(), "no inputs in " + categoryPrefix);
        return inputs;
    }

    private static void assertRefusedAndNothingChanged(List<HttpInput> inputs) {
        CaState caBefore = CaState.of(lab.ca());
        Map<String, String> directoryBefore = directory();
        List<String> failures = new ArrayList<>();
        Set<Long> recorded = new HashSet<>();
        Map<Long, Answer> recordedAs = new TreeMap<>();
        for (HttpInput input : inputs) {
            long start = System.nanoTime();
            HttpsWire.Reply reply = send(input);
            Optional<Answer> matched = input.answers().stream().filter(a -> mismatch(a, reply) == null).findFirst();
            if (matched.isEmpty()) {
                failures.add(input.category() + " / " + input.name() + ": " + unexpected(input, reply));
            } else if (matched.get().recorded()) {
                long id = Long.parseLong(reply.header("X-ADCS-Request-Id"));
                recorded.add(id);
                recordedAs.put(id, matched.get());
            }
            String serving = stillServing(input);
            if (serving != null) {
                failures.add(input.category() + " / " + input.name() + ": afterwards " + serving);
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            // plain bytes to the TLS port get no answer at all: the client's own 2 s wait is not the server's doing
            if (millis > (input.transport() == HostileCorpus.Transport.TCP_TO_HTTPS_PORT ? 3_000 : 2_000)) {
                failures.add(input.category() + " / " + input.name() + ": took " + millis + " ms");
            }
        }
        CaState caAfter = CaState.of(lab.ca());
        if (!caBefore.kept().equals(caAfter.kept())) {
            List<String> added = new ArrayList<>(caAfter.kept());
            added.removeAll(caBefore.kept());
            failures.add("issued, pending and revoked requests changed; now also: " + added);
        }
        Map<Long, RequestRecord> added = caAfter.failedAfter(caBefore.lastId());
        if (!recorded.equals(added.keySet())) {
            failures.add("the CA recorded failed requests " + added.keySet() + " but announced " + recorded + " with X-ADCS-Request-Id");
        }
        for (Map.Entry<Long, Answer> r : recordedAs.entrySet()) {
            RequestRecord row = added.get(r.getKey());
            if (row != null && (row.dispositionCode() != r.getValue().error().hresult()
                    || !(row.status() == RequestStatus.DENIED || row.status() == RequestStatus.FAILED))) {
                failures.add("request " + r.getKey() + " is recorded as " + row.status() + " " + Integer.toHexString(row.dispositionCode())
                        + ", answered as " + r.getValue());
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " problems with " + inputs.size() + " inputs:\n" + String.join("\n", failures));
        assertDirectoryUnchanged(directoryBefore);
    }

    private static HttpsWire.Reply send(HttpInput input) {
        CertificationAuthority ca = lab.ca();
        return switch (input.transport()) {
            case HTTPS -> wires.computeIfAbsent(input.client(), c -> c == null
                    ? new HttpsWire(ca.certificate(), ca.config().fqdn(), ca.httpsPort())
                    : new HttpsWire(ca.certificate(), ca.config().fqdn(), ca.httpsPort(), c.chain(), c.key())).exchange(input.wire());
            case HTTP -> {
                try (HttpsWire plain = HttpsWire.plain(ca.config().fqdn(), ca.httpPort(), 20_000)) {
                    yield plain.exchange(input.wire());
                }
            }
            case TCP_TO_HTTPS_PORT -> {
                try (HttpsWire raw = HttpsWire.plain(ca.config().fqdn(), ca.httpsPort(), 2_000)) {
                    yield raw.exchange(input.wire());
                }
            }
        };
    }

    /** What the reply was and how it differs from each refusal the input allows. */
    private static String unexpected(HttpInput input, HttpsWire.Reply reply) {
        List<String> misses = new ArrayList<>();
        for (Answer answer : input.answers()) {
            misses.add(answer + ": " + mismatch(answer, reply));
        }
        return "got " + reply.toString().replace("\n", "\n    ") + "\n  expected " + String.join("\n  or ", misses);
    }

    /** Null when the reply is this refusal and explains itself; else how it differs. */
    private static String mismatch(Answer answer, HttpsWire.Reply reply) {
        if (reply.status() != answer.status()) {
            return "status " + reply.status();
        }
        if (answer.status() == 0) {
            return null;
        }
        String text = cmpStatus(reply);
        if (text.isBlank()) {
            return "an answer that explains nothing";
        }
        if (STACK_FRAME.matcher(text).find()) {
            return "a stack trace or exception in the answer";
        }
        if (text.chars().anyMatch(c -> c < 0x20 && c != '\n' && c != '\r' && c != '\t' || c == 0x7F || c == 0xFFFD)) {
            return "control characters (or undecodable bytes) in the answer";
        }
        if (answer.error() != null) {
            String expected = answer.error().code() + " " + answer.error().symbolicName();
            if (!expected.equals(reply.header("X-ADCS-Error"))) {
                return "X-ADCS-Error " + reply.header("X-ADCS-Error");
            }
            if (!text.contains(answer.error().code()) || !text.contains(answer.error().symbolicName())) {
                return "an answer without " + expected;
            }
        }
        if ((reply.header("X-ADCS-Request-Id") != null) != answer.recorded()) {
            return answer.recorded() ? "no request id: not recorded" : "recorded as request " + reply.header("X-ADCS-Request-Id");
        }
        if (answer.mentions() != null && !text.toLowerCase().contains(answer.mentions().toLowerCase())) {
            return "an answer that does not mention '" + answer.mentions() + "'";
        }
        return null;
    }

    /** PKIFailureInfo's bits by name, as Bouncy Castle holds them (in its own bit order). */
    private static final Map<String, Integer> FAILURE_INFO = new java.util.LinkedHashMap<>();

    static {
        FAILURE_INFO.put("badAlg", org.bouncycastle.asn1.cmp.PKIFailureInfo.badAlg);
        FAILURE_INFO.put("badMessageCheck", org.bouncycastle.asn1.cmp.PKIFailureInfo.badMessageCheck);
        FAILURE_INFO.put("badRequest", org.bouncycastle.asn1.cmp.PKIFailureInfo.badRequest);
        FAILURE_INFO.put("badTime", org.bouncycastle.asn1.cmp.PKIFailureInfo.badTime);
        FAILURE_INFO.put("badCertId", org.bouncycastle.asn1.cmp.PKIFailureInfo.badCertId);
        FAILURE_INFO.put("badDataFormat", org.bouncycastle.asn1.cmp.PKIFailureInfo.badDataFormat);
        FAILURE_INFO.put("wrongAuthority", org.bouncycastle.asn1.cmp.PKIFailureInfo.wrongAuthority);
        FAILURE_INFO.put("incorrectData", org.bouncycastle.asn1.cmp.PKIFailureInfo.incorrectData);
        FAILURE_INFO.put("missingTimeStamp", org.bouncycastle.asn1.cmp.PKIFailureInfo.missingTimeStamp);
        FAILURE_INFO.put("badPOP", org.bouncycastle.asn1.cmp.PKIFailureInfo.badPOP);
        FAILURE_INFO.put("certRevoked", org.bouncycastle.asn1.cmp.PKIFailureInfo.certRevoked);
        FAILURE_INFO.put("certConfirmed", org.bouncycastle.asn1.cmp.PKIFailureInfo.certConfirmed);
        FAILURE_INFO.put("wrongIntegrity", org.bouncycastle.asn1.cmp.PKIFailureInfo.wrongIntegrity);
        FAILURE_INFO.put("badRecipientNonce", org.bouncycastle.asn1.cmp.PKIFailureInfo.badRecipientNonce);
        FAILURE_INFO.put("timeNotAvailable", org.bouncycastle.asn1.cmp.PKIFailureInfo.timeNotAvailable);
        FAILURE_INFO.put("unacceptedPolicy", org.bouncycastle.asn1.cmp.PKIFailureInfo.unacceptedPolicy);
        FAILURE_INFO.put("unacceptedExtension", org.bouncycastle.asn1.cmp.PKIFailureInfo.unacceptedExtension);
        FAILURE_INFO.put("addInfoNotAvailable", org.bouncycastle.asn1.cmp.PKIFailureInfo.addInfoNotAvailable);
        FAILURE_INFO.put("badSenderNonce", org.bouncycastle.asn1.cmp.PKIFailureInfo.badSenderNonce);
        FAILURE_INFO.put("badCertTemplate", org.bouncycastle.asn1.cmp.PKIFailureInfo.badCertTemplate);
        FAILURE_INFO.put("signerNotTrusted", org.bouncycastle.asn1.cmp.PKIFailureInfo.signerNotTrusted);
        FAILURE_INFO.put("transactionIdInUse", org.bouncycastle.asn1.cmp.PKIFailureInfo.transactionIdInUse);
        FAILURE_INFO.put("unsupportedVersion", org.bouncycastle.asn1.cmp.PKIFailureInfo.unsupportedVersion);
        FAILURE_INFO.put("notAuthorized", org.bouncycastle.asn1.cmp.PKIFailureInfo.notAuthorized);
        FAILURE_INFO.put("systemUnavail", org.bouncycastle.asn1.cmp.PKIFailureInfo.systemUnavail);
        FAILURE_INFO.put("systemFailure", org.bouncycastle.asn1.cmp.PKIFailureInfo.systemFailure);
        FAILURE_INFO.put("duplicateCertReq", org.bouncycastle.asn1.cmp.PKIFailureInfo.duplicateCertReq);
    }

    /**
     * What a reply says: its text, or for a CMP answer ({@code application/pkixcmp}) the status text of its PKIStatusInfo followed by
     * the names of its PKIFailureInfo bits, as {@code openssl cmp} prints them; an answer that is no PKIMessage says so.
     */
    private static String cmpStatus(HttpsWire.Reply reply) {
        if (!String.valueOf(reply.header("Content-Type")).startsWith("application/pkixcmp")) {
            return reply.text();
        }
        try {
            org.bouncycastle.asn1.cmp.PKIMessage message = org.bouncycastle.asn1.cmp.PKIMessage.getInstance(reply.body());
            org.bouncycastle.asn1.cmp.PKIBody body = message.getBody();
            org.bouncycastle.asn1.cmp.PKIStatusInfo status = switch (body.getType()) {
                case org.bouncycastle.asn1.cmp.PKIBody.TYPE_ERROR ->
                        org.bouncycastle.asn1.cmp.ErrorMsgContent.getInstance(body.getContent()).getPKIStatusInfo();
                case org.bouncycastle.asn1.cmp.PKIBody.TYPE_INIT_REP, org.bouncycastle.asn1.cmp.PKIBody.TYPE_CERT_REP,
                     org.bouncycastle.asn1.cmp.PKIBody.TYPE_KEY_UPDATE_REP ->
                        org.bouncycastle.asn1.cmp.CertRepMessage.getInstance(body.getContent()).getResponse()[0].getStatus();
                default -> null;
            };
            if (status == null || status.getStatusString() == null) {
                return "a CMP answer of body type " + body.getType() + " without a status text";
            }
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < status.getStatusString().size(); i++) {
                text.append(status.getStatusString().getStringAtUTF8(i).getString()).append('\n');
            }
            int bits = status.getFailInfo() == null ? 0 : status.getFailInfo().intValue();
            FAILURE_INFO.forEach((name, bit) -> {
                if ((bits & bit) != 0) {
                    text.append("PKIFailureInfo: ").append(name).append('\n');
                }
            });
            return text.toString();
        } catch (RuntimeException e) {
            return "\u0000 an answer typed application/pkixcmp that is no PKIMessage: " + e.getMessage();
        }
    }

    /** Null when the server that took the input still answers an ordinary request. */
    private static String stillServing(HttpInput input) {
        CertificationAuthority ca = lab.ca();
        HttpsWire.Reply reply;
        if (input.transport() == HostileCorpus.Transport.HTTP) {
            try (HttpsWire plain = HttpsWire.plain(ca.config().fqdn(), ca.httpPort(), 20_000)) {
                reply = plain.exchange(HttpsWire.request("GET", "/CertEnroll/" + ca.name() + ".crl", "ca01", List.of(), null));
            }
        } else {
            reply = probe.exchange(HttpsWire.request("GET", HostileCorpus.EST + "cacerts", ca.config().fqdn(), List.of(), null));
        }
        return reply.status() == 200 ? null : "the server no longer serves: " + reply;
    }

    /** The CA database as a fingerprint: every row but the failed ones, in full, and where the rows end. */
    private record CaState(List<String> kept, long lastId) {
        static CaState of(CertificationAuthority ca) {
            List<String> kept = new ArrayList<>();
            long last = 0;
            for (RequestRecord r : Stream.of(ca.issued(), ca.pending(), ca.revoked(), ca.failed()).flatMap(List::stream)
                    .sorted(java.util.Comparator.comparingLong(RequestRecord::requestId)).toList()) {
                last = Math.max(last, r.requestId());
                if (r.status() != RequestStatus.DENIED && r.status() != RequestStatus.FAILED) {
                    kept.add(r.requestId() + " " + r.status() + " " + r.serialHex() + " " + r.template() + " " + r.requester() + " "
                            + r.dispositionMessage() + " " + sha256(r.certificate()));
                }
            }
            kept.add("registry settings " + ca.registrySettings());
            assertEquals(last, ca.requestCount(), "request ids count from 1 without gaps");
            return new CaState(kept, last);
        }

        Map<Long, RequestRecord> failedAfter(long id) {
            return lab.ca().failed().stream().filter(r -> r.requestId() > id)
                    .collect(Collectors.toMap(RequestRecord::requestId, r -> r, (a, b) -> a, TreeMap::new));
        }
    }

    // ---- the directory -----------------------------------------------------------------------------

    @Test
    void nonAdministratorsCannotWriteTheDirectoryAndAnonymousCallersCannotReadIt() throws Exception {
        Map<String, String> before = directory();
        List<String> failures = new ArrayList<>();
        Map<String, LDAPConnection> connections = new TreeMap<>();
        try {
            for (HostileCorpus.LdapInput input : corpus.ldap) {
                LDAPConnection connection = connections.computeIfAbsent(String.valueOf(input.bindDn()), dn -> connect(input.bindDn(), input.password()));
                LDAPResult result = process(connection, input.request());
                if (result.getResultCode() == ResultCode.SERVER_DOWN) {
                    // the DC hung up on this request; the next goes on a new connection
                    connections.remove(String.valueOf(input.bindDn())).close();
                }
                if (!input.codes().contains(result.getResultCode())) {
                    failures.add(input.category() + " / " + input.name() + ": expected " + input.codes() + ", got " + result);
                } else if (result.getDiagnosticMessage() == null || result.getDiagnosticMessage().isBlank()) {
                    failures.add(input.category() + " / " + input.name() + ": result " + result.getResultCode() + " explains nothing");
                } else if (input.mentions() != null && !result.getDiagnosticMessage().contains(input.mentions())) {
                    failures.add(input.category() + " / " + input.name() + ": '" + result.getDiagnosticMessage() + "' does not mention '"
                            + input.mentions() + "'");
                }
            }
            try (LDAPConnection iis01 = connect(lab.dc().names().computer("IIS01"), lab.password())) {
                assertTrue(iis01.search(lab.dc().names().certificateTemplates(), SearchScope.ONE, "(cn=WebServer)").getEntryCount() == 1,
                        "IIS01 still reads the templates");
            }
        } finally {
            connections.values().forEach(LDAPConnection::close);
        }
        assertDirectoryUnchanged(before);
        assertTrue(failures.isEmpty(), failures.size() + " of " + corpus.ldap.size() + " LDAP requests were not refused as they should be:\n"
                + String.join("\n", failures));
    }

    @Test
    void searchFiltersNeverTellWhetherAGuessIsAPassword() {
        List<String> failures = new ArrayList<>();
        Map<String, LDAPConnection> connections = new TreeMap<>();
        try {
            for (HostileCorpus.LdapOracle oracle : corpus.oracles) {
                LDAPConnection connection = connections.computeIfAbsent(oracle.bindDn(), dn -> connect(dn, oracle.password()));
                try {
                    int found = connection.search(oracle.search()).getEntryCount();
                    if (found != 0) {
                        failures.add(oracle.name() + ": " + found + " entries: the filter matched a password");
                    }
                } catch (LDAPException e) {
                    // an Undefined item finds nothing; it is not an error
                    failures.add(oracle.name() + ": " + e.getResultCode() + " " + e.getDiagnosticMessage().lines().findFirst().orElse(""));
                }
            }
        } finally {
            connections.values().forEach(LDAPConnection::close);
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + corpus.oracles.size() + " searches answered whether a guess is "
                + "Administrator's password:\n" + String.join("\n", failures));
    }

    @Test
    void hostileBindsNeverAuthenticate() throws Exception {
        Map<String, String> before = directory();
        List<String> failures = new ArrayList<>();
        LDAPConnectionOptions options = new LDAPConnectionOptions();
        // send the empty password as it is: an unauthenticated bind, which must authenticate nobody
        options.setBindWithDNRequiresPassword(false);
        for (HostileCorpus.LdapBind bind : corpus.binds) {
            try (LDAPConnection connection = new LDAPConnection(options, "127.0.0.1", lab.dc().ldapPort())) {
                ResultCode code;
                try {
                    code = connection.bind(new SimpleBindRequest(bind.dn(), bind.password())).getResultCode();
                } catch (LDAPException e) {
                    code = e.getResultCode();
                }
                LDAPResult read = process(connection, new SearchRequest(lab.dc().names().domain(), SearchScope.SUB, "(objectClass=user)"));
                if (!bind.codes().contains(code)) {
                    failures.add(bind.name() + ": bind answered " + code + ", expected " + bind.codes());
                } else if (read.getResultCode() != ResultCode.OPERATIONS_ERROR) {
                    failures.add(bind.name() + ": after the bind the connection could search the domain (" + read.getResultCode() + ")");
                }
            }
        }
        try (LDAPConnection administrator = connect(lab.dc().administratorDn(), lab.password())) {
            assertEquals(ResultCode.SUCCESS, administrator.search(lab.dc().names().domain(), SearchScope.BASE, "(objectClass=*)").getResultCode(),
                    "the DC still logs Administrator on");
        }
        assertDirectoryUnchanged(before);
        assertTrue(failures.isEmpty(), failures.size() + " of " + corpus.binds.size() + " binds were not refused as they should be:\n"
                + String.join("\n", failures));
    }

    private static LDAPConnection connect(String dn, String password) {
        try {
            LDAPConnection connection = new LDAPConnection("127.0.0.1", lab.dc().ldapPort());
            if (dn != null) {
                connection.bind(dn, password);
            }
            return connection;
        } catch (LDAPException e) {
            throw new IllegalStateException("cannot connect as " + dn + ": " + e.getMessage(), e);
        }
    }

    private static LDAPResult process(LDAPConnection c, LDAPRequest request) {
        try {
            if (request instanceof AddRequest r) {
                return c.add(r);
            } else if (request instanceof ModifyRequest r) {
                return c.modify(r);
            } else if (request instanceof DeleteRequest r) {
                return c.delete(r);
            } else if (request instanceof ModifyDNRequest r) {
                return c.modifyDN(r);
            } else if (request instanceof CompareRequest r) {
                return c.compare(r);
            } else if (request instanceof ExtendedRequest r) {
                return c.processExtendedOperation(r);
            } else if (request instanceof SearchRequest r) {
                return c.search(r);
            }
            throw new IllegalArgumentException("no way to send " + request);
        } catch (LDAPException e) {
            return e.toLDAPResult();
        }
    }

    /** Every entry of the domain, read as Administrator with its operational attributes: DN to its attributes, in order. */
    private static Map<String, String> directory() {
        Map<String, String> entries = new TreeMap<>();
        try (LDAPConnection administrator = connect(lab.dc().administratorDn(), lab.password())) {
            for (SearchResultEntry entry : administrator.search(lab.dc().names().domain(), SearchScope.SUB, "(objectClass=*)", "*", "+")
                    .getSearchEntries()) {
                entries.put(entry.getParsedDN().toNormalizedString(), entry.getAttributes().stream()
                        .map(a -> a.getName().toLowerCase() + "=" + Stream.of(a.getValueByteArrays()).map(v -> Base64.getEncoder().encodeToString(v))
                                .sorted().toList())
                        .sorted().collect(Collectors.joining("\n")));
            }
        } catch (LDAPException e) {
            throw new IllegalStateException("cannot read the directory: " + e.getMessage(), e);
        }
        return entries;
    }

    private static void assertDirectoryUnchanged(Map<String, String> before) {
        Map<String, String> after = directory();
        List<String> changed = new ArrayList<>();
        for (String dn : new java.util.TreeSet<>(Set.copyOf(Stream.concat(before.keySet().stream(), after.keySet().stream()).toList()))) {
            if (!java.util.Objects.equals(before.get(dn), after.get(dn))) {
                changed.add(dn + (before.containsKey(dn) ? after.containsKey(dn) ? " changed" : " deleted" : " added"));
            }
        }
        assertTrue(changed.isEmpty(), "directory entries changed: " + changed);
        assertEquals(before.size(), after.size(), "directory entries");
    }

    // ---- scenario files ---------------------------------------------------------------------------

    @Test
    void brokenScenarioFilesAreRefusedWithFileAndLineAndExitTwo() throws IOException {
        Path folder = Files.createDirectories(files.resolve("scenarios"));
        List<String> failures = new ArrayList<>();
        for (HostileCorpus.ScenarioFile input : corpus.scenarios) {
            Path file = folder.resolve(input.fileName());
            Files.write(file, input.content());
            Cli.Result run = Cli.pkilab("run", file.toString());
            String problem = judge(input, run);
            if (problem != null) {
                failures.add(input.category() + " / " + input.name() + " (" + input.fileName() + "): " + problem + "\n    " + run.err().strip()
                        .replace("\n", "\n    "));
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + corpus.scenarios.size() + " scenario files were not refused as they should be:\n"
                + String.join("\n", failures));
    }

    private static String judge(HostileCorpus.ScenarioFile input, Cli.Result run) {
        if (run.exit() != 2) {
            return "exit " + run.exit() + ", not 2";
        }
        if (!run.out().isEmpty()) {
            return "something ran: " + run.out();
        }
        List<String> lines = run.err().lines().toList();
        if (lines.isEmpty() || !lines.get(0).equals("pkilab: the scenario cannot run:") || lines.size() < 2) {
            return "no list of problems";
        }
        long fileLines = new String(input.content(), StandardCharsets.ISO_8859_1).lines().count();
        boolean named = false;
        for (String line : lines.subList(1, lines.size())) {
            Matcher m = PROBLEM.matcher(line);
            if (!m.matches()) {
                return "a problem without file and line: '" + HostileCorpus.printable(line) + "'";
            }
            int at = Integer.parseInt(m.group(2));
            if (!m.group(1).equals(input.fileName()) || at < 1 || at > fileLines + 1) {
                return "a problem at " + m.group(1) + ":" + at + ", outside " + input.fileName() + " (" + fileLines + " lines)";
            }
            if (m.group(3).chars().anyMatch(c -> c < 0x20 || c == 0x7F)) {
                return "control characters in '" + HostileCorpus.printable(line) + "'";
            }
            named |= (input.line() == 0 || at == input.line()) && m.group(3).toLowerCase().contains(input.mentions().toLowerCase());
        }
        return named ? null : "no problem at line " + (input.line() == 0 ? "(any)" : input.line()) + " mentioning '" + input.mentions() + "'";
    }

    // ---- PFX files --------------------------------------------------------------------------------

    @Test
    void brokenPfxFilesAndWrongPasswordsAreRefusedAndLeaveTheStoreAsItWas() throws Exception {
        Path data = files.resolve("PFX01");
        Path incoming = Files.createDirectories(files.resolve("incoming"));
        DomainComputerConfig config = DomainComputerConfig.builder("PFX01").domain(lab.dc().names(), "127.0.0.1", lab.dc().ldapPort())
                .machinePassword(lab.password()).clock(lab.clock()).network(lab.network()).dataDirectory(data).build();
        List<String> failures = new ArrayList<>();
        try (DomainComputer pfx01 = new DomainComputer(config)) {
            Path first = incoming.resolve("first.pfx");
            Files.write(first, pfxOf(new RequestForge(2).rsa(1024), "CN=first.contoso.com"));
            pfx01.importPfx(first, HostileCorpus.PFX_PASSWORD.toCharArray(), false);
            Map<String, String> before = folder(data);
            List<String> storeBefore = pfx01.personal().certificates().stream().map(StoredCertificate::thumbprint).sorted().toList();
            for (HostileCorpus.PfxFile input : corpus.pfx) {
                Path file = incoming.resolve(input.fileName());
                Files.deleteIfExists(file);
                switch (input.kind()) {
                    case FILE -> Files.write(file, input.content());
                    case DIRECTORY -> Files.createDirectories(file);
                    case MISSING -> { }
                }
                String problem;
                try {
                    StoredCertificate imported = pfx01.importPfx(file, input.password(), false);
                    problem = "imported " + imported.thumbprint();
                } catch (IllegalArgumentException e) {
                    String message = String.valueOf(e.getMessage());
                    problem = !message.contains(input.fileName()) ? "'" + message + "' does not name the file"
                            : input.mentions().stream().noneMatch(message::contains) ? "'" + message + "' says none of " + input.mentions()
                            : null;
                } catch (RuntimeException e) {
                    problem = "refused with " + e;
                }
                if (input.kind() == HostileCorpus.PfxKind.DIRECTORY) {
                    Files.delete(file);
                }
                if (problem != null) {
                    failures.add(input.category() + " / " + input.name() + ": " + problem);
                }
                if (!folder(data).equals(before)) {
                    failures.add(input.category() + " / " + input.name() + ": the store's folder changed: " + folder(data).keySet());
                }
            }
            List<String> storeAfter = pfx01.personal().certificates().stream().map(StoredCertificate::thumbprint).sorted().toList();
            if (!storeAfter.equals(storeBefore)) {
                failures.add("LocalMachine\\My held " + storeBefore + " and now holds " + storeAfter);
            }
            assertTrue(failures.isEmpty(), failures.size() + " of " + corpus.pfx.size() + " PFX files were not refused as they should be:\n"
                    + String.join("\n", failures));
            Path last = incoming.resolve("last.pfx");
            Files.write(last, pfxOf(new RequestForge(3).rsa(1024), "CN=last.contoso.com"));
            assertEquals("CN=last.contoso.com", pfx01.importPfx(last, HostileCorpus.PFX_PASSWORD.toCharArray(), false).certificate()
                    .getSubjectX500Principal().getName(), "a good PFX still imports afterwards");
        }
    }

    private static byte[] pfxOf(KeyPair key, String subject) throws Exception {
        X509Certificate certificate = RequestForge.certificate(subject, subject, key, key.getPrivate(), BigInteger.ONE, 1);
        return KeyFiles.pkcs12(new KeyFiles.KeyEntry(key.getPrivate(), new X509Certificate[]{certificate}), HostileCorpus.PFX_PASSWORD.toCharArray());
    }

    /** Every file under {@code folder}, with a digest of its content. */
    private static Map<String, String> folder(Path folder) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(folder)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                files.put(folder.relativize(p).toString(), sha256(Files.readAllBytes(p)));
            }
        }
        return files;
    }

    // ---- the corpus as a whole --------------------------------------------------------------------

    @Test
    @Order(1)
    void theCorpusHoldsAtLeastAThousandInputs() {
        Map<String, Integer> counts = corpus.countsByCategory();
        int total = counts.values().stream().mapToInt(Integer::intValue).sum();
        StringBuilder table = new StringBuilder("hostile input corpus (seed " + HostileCorpus.SEED + "):\n");
        counts.forEach((category, count) -> table.append(String.format("  %5d  %s%n", count, category)));
        table.append(String.format("  %5d  in all%n", total));
        System.out.print(table);
        assertTrue(total >= 1000, "only " + total + " inputs:\n" + table);
    }

    @Test
    @Order(Integer.MAX_VALUE)
    void theCaStillIssuesAWellFormedRequestAfterAllOfIt() {
        KeyPair key = new RequestForge(4).rsa(2048);
        byte[] csr = RequestForge.request(key, RequestForge.cn("Zoë's web server"), RequestForge.dnsNames("*.hostile.contoso.com",
                "www.hostile.contoso.com"));
        HttpsWire.Reply reply = probe.exchange(HttpsWire.request("POST", HostileCorpus.EST + "WebServer/simpleenroll", lab.ca().config().fqdn(),
                List.of("Authorization", "Basic " + Base64.getEncoder().encodeToString(("Administrator:" + lab.password())
                        .getBytes(StandardCharsets.UTF_8)), "Content-Type", "application/pkcs10"), Base64.getMimeEncoder().encode(csr)));
        assertEquals(200, reply.status(), reply.toString());
    }

    private static String sha256(byte[] data) {
        if (data == null) {
            return "-";
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
