package org.pkilab.cli.admin;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.ca.EnrollmentRequest;
import org.pkilab.ca.EnrollmentResult;
import org.pkilab.ca.RequestStatus;
import org.pkilab.ca.RevocationReason;
import org.pkilab.cli.Cli;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.lab.Lab;
import org.pkilab.lab.LabSpec;
import org.pkilab.testing.ExternalTool;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.URI;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The administration verbs against a running lab, run as a user runs them: through picocli, with the
 * output and exit code a user sees, then checked against the directory and the CA.
 */
class AdminVerbsTest {

    private static Lab lab;
    private static KeyPair key;

    @BeforeAll
    static void startLab() throws Exception {
        lab = Lab.start(LabSpec.builder().build());
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        key = generator.generateKeyPair();
    }

    @AfterAll
    static void stopLab() {
        if (lab != null) {
            lab.close();
        }
    }

    private static Cli.Result as(String user, String password, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--ldap", lab.dc().ldapUrl(), "--user", user, "--password", password));
        return Cli.pkilab(all.toArray(new String[0]));
    }

    private static Cli.Result admin(String... args) {
        return as("Administrator", lab.password(), args);
    }

    private static Cli.Result ok(Cli.Result run) {
        assertEquals(0, run.exit(), run.toString());
        return run;
    }

    @Test
    void createdGroupListsTheMemberAdded() {
        ok(admin("group", "create", "Web Admins"));
        ok(admin("computer", "create", "WEB07", "--machine-password", "Machine-Passw0rd!"));
        ok(admin("group", "add-member", "Web Admins", "WEB07$"));
        Cli.Result members = ok(admin("group", "members", "Web Admins"));
        assertTrue(members.out().contains("CN=WEB07,CN=Computers," + lab.dc().names().domain()), members.toString());
        assertTrue(ok(admin("group", "list")).out().contains("Web Admins"));
        assertTrue(ok(admin("computer", "list")).out().contains("WEB07"));
    }

    @Test
    void removedMemberLeavesTheGroup() {
        ok(admin("group", "create", "Leavers"));
        ok(admin("user", "create", "dave", "--new-password", "Dave-Passw0rd!"));
        ok(admin("group", "add-member", "Leavers", "dave"));
        ok(admin("group", "remove-member", "Leavers", "dave"));
        assertEquals(List.of(), lab.admin().usersAndComputers().members("Leavers"));
        assertTrue(ok(admin("user", "list")).out().contains("dave"));
    }

    @Test
    void denyIsTickedAndRemovedTemplateIsNoLongerIssued() {
        ok(admin("template", "duplicate", "Web Server", "Lab Short Lived"));
        Cli.Result deny = ok(admin("template", "deny", "LabShortLived", "Domain Users", "Enroll"));
        assertTrue(deny.out().lines().anyMatch(l -> l.contains("\\Domain Users") && l.strip().endsWith("Enroll")), deny.out());
        ok(admin("template", "remove-principal", "LabShortLived", "Domain Users"));
        assertFalse(lab.admin().security().descriptor("LabShortLived").trustees().contains(lab.admin().usersAndComputers().sidOf("Domain Users")));
        ok(admin("ca", "issue-template", "LabShortLived"));
        Cli.Result removed = ok(admin("ca", "remove-template", "LabShortLived"));
        assertFalse(removed.out().contains("LabShortLived"), removed.out());
        assertFalse(lab.ca().templatesToIssue().contains("LabShortLived"));
    }

    @Test
    void templateShowListsDomainAdminsWithEnroll() {
        Cli.Result show = ok(admin("template", "show", "WebServer"));
        assertTrue(show.out().contains("Supply in the request"), show.out());
        String domainAdmins = show.out().lines().filter(l -> l.contains("\\Domain Admins")).findFirst().orElse("");
        assertTrue(domainAdmins.contains("Enroll"), "Domain Admins should hold Enroll on Web Server:\n" + show.out());
    }

    @Test
    void duplicateAndGrantLandInTheDirectory() throws Exception {
        ok(admin("group", "create", "Cert Requesters"));
        Cli.Result duplicate = ok(admin("template", "duplicate", "Web Server", "Lab Web Copy", "--compatibility", "2008"));
        assertTrue(duplicate.out().contains("LabWebCopy"), duplicate.out());
        ok(admin("template", "grant", "Lab Web Copy", "Cert Requesters", "Read", "Enroll"));
        ok(admin("template", "set", "LabWebCopy", "--min-key-size", "3072", "--exportable"));
        CertificateTemplate copy = lab.admin().templates().get("LabWebCopy");
        assertEquals(3, copy.schemaVersion());
        assertEquals(3072, copy.minimalKeySize());
        assertTrue(copy.exportableKey());
        assertTrue(copy.securityDescriptor().rightsOf(lab.admin().usersAndComputers().sidOf("Cert Requesters"), true).contains(AccessRight.ENROLL),
                "Cert Requesters should hold Enroll on LabWebCopy: " + copy.securityDescriptor());
        // as another LDAP client sees it: the Enroll extended right for the group's SID in the binary descriptor
        ExternalTool.Result seen = ExternalTool.run(null, Map.of(), null, "ldapsearch", "-LLL", "-x", "-H", lab.dc().ldapUrl(),
                "-D", lab.dc().administratorDn(), "-w", lab.password(), "-b", lab.dc().names().template("LabWebCopy"),
                "-s", "base", "nTSecurityDescriptor", "msPKI-Minimal-Key-Size");
        assertEquals(0, seen.exit(), seen.toString());
        assertTrue(seen.out().contains("msPKI-Minimal-Key-Size: 3072"), seen.out());
        java.util.regex.Matcher value = java.util.regex.Pattern.compile("nTSecurityDescriptor:: (\\S+)")
                .matcher(seen.out().replaceAll("\\n ", ""));
        assertTrue(value.find(), "ldapsearch shows the descriptor in binary (base64): " + seen.out());
        org.pkilab.directory.model.SecurityDescriptor stored = org.pkilab.directory.model.SecurityDescriptor.fromBinary(
                java.util.Base64.getDecoder().decode(value.group(1)));
        assertTrue(stored.entries().stream().anyMatch(e -> e.allow() && AccessRight.ENROLL.extendedRightGuid().equals(e.objectType())
                && e.trustee().equals(lab.admin().usersAndComputers().sidOf("Cert Requesters"))), stored.toSddl(lab.dc().domainSid()));
    }

    @Test
    void templateSetAlgorithmMakesAWindows2008TemplateAskForEcdsaP256() {
        ok(admin("template", "duplicate", "Workstation Authentication", "Lab ECC Verb", "--compatibility", "2008"));
        ok(admin("template", "set", "LabECCVerb", "--algorithm", "ECDSA_P256"));
        assertEquals(org.pkilab.directory.model.KeyAlgorithm.ECDSA_P256, lab.admin().templates().get("LabECCVerb").keyAlgorithm());
        assertEquals(256, lab.admin().templates().get("LabECCVerb").minimalKeySize(), "ECDSA_P256 fixes the size");
        Cli.Result show = ok(admin("template", "show", "LabECCVerb"));
        assertTrue(show.out().contains("ECDSA_P256"), show.out());
    }

    @Test
    void templateSetAlgorithmOnAWindows2003TemplateIsRefused() {
        ok(admin("template", "duplicate", "Workstation Authentication", "Lab CSP Verb"));
        Cli.Result refused = admin("template", "set", "LabCSPVerb", "--algorithm", "ECDSA_P256");
        assertEquals(1, refused.exit(), refused.toString());
        assertTrue(refused.err().contains("Windows 2008 Server"), "the refusal says what to duplicate it as: " + refused);
    }

    @Test
    void aManageCaHolderMakesHimselfOfficerAndResubmitsHisDeniedRequest() throws Exception {
        String password = "Mallory-Passw0rd!";
        ok(admin("user", "create", "mallory", "--new-password", password));
        ok(admin("user", "create", "eve", "--new-password", password));
        ok(admin("ca", "add-manager", "mallory"));

        Cli.Result refused = as("eve", password, "ca", "add-officer", "eve");
        assertEquals(1, refused.exit(), refused.toString());
        assertTrue(refused.err().contains("0x80070005") && refused.err().contains("'Manage CA'"),
                "eve holds no Manage CA: " + refused);

        Cli.Result officer = ok(as("mallory", password, "ca", "add-officer", "CONTOSO\\mallory"));
        assertTrue(officer.out().lines().anyMatch(l -> l.contains("CONTOSO\\mallory") && l.contains("Manage CA")
                && l.contains("Issue and Manage Certificates")), officer.out());

        LogonToken mallory = DomainLogon.logon("127.0.0.1", lab.dc().ldapPort(), lab.dc().names().user("mallory"), password).token();
        EnrollmentResult denied = lab.ca().submit(EnrollmentRequest.manual(mallory, "WebServer", csr("CN=dc01.contoso.com")));
        assertEquals(RequestStatus.DENIED, denied.status(), "mallory may not enroll for Web Server");
        Cli.Result resubmit = ok(as("mallory", password, "ca", "resubmit", Long.toString(denied.requestId())));
        assertTrue(resubmit.out().contains("ISSUED"), resubmit.out());
        assertEquals(RequestStatus.ISSUED, lab.ca().request(denied.requestId()).orElseThrow().status());
        assertTrue(ok(as("eve", password, "ca", "security")).out().contains("CONTOSO\\mallory"), "anyone reads the Security tab");
    }

    @Test
    void pendingRequestIsIssuedOnApprovalThenRevokedIntoTheCrl() throws Exception {
        ok(admin("template", "duplicate", "Web Server", "Lab Approved Web"));
        ok(admin("template", "set", "LabApprovedWeb", "--approval"));
        Cli.Result issue = ok(admin("ca", "issue-template", "LabApprovedWeb"));
        assertTrue(issue.out().contains("LabApprovedWeb"), issue.out());
        assertTrue(lab.ca().templatesToIssue().contains("LabApprovedWeb"));

        LogonToken administrator = DomainLogon.logon("127.0.0.1", lab.dc().ldapPort(),
                lab.dc().administratorDn(), lab.password()).token();
        EnrollmentResult submitted = lab.ca().submit(EnrollmentRequest.manual(administrator, "LabApprovedWeb", csr("CN=web9.contoso.com")));
        assertEquals(RequestStatus.PENDING, submitted.status(), String.valueOf(submitted.decision()));
        String id = Long.toString(submitted.requestId());

        Cli.Result pending = ok(admin("ca", "pending"));
        assertTrue(pending.out().lines().anyMatch(l -> l.startsWith(id + " ") && l.contains("LabApprovedWeb")), pending.out());
        Cli.Result approve = ok(admin("ca", "approve", id));
        assertTrue(approve.out().contains("ISSUED"), approve.out());
        BigInteger serial = lab.ca().request(submitted.requestId()).orElseThrow().serial();
        assertNotNull(serial, "request " + id + " should have a certificate after approval");
        assertTrue(ok(admin("ca", "issued")).out().contains(serial.toString(16)));

        Cli.Result revoke = ok(admin("ca", "revoke", serial.toString(16), "--reason", "key_compromise"));
        assertTrue(revoke.out().lines().anyMatch(l -> l.contains(" revoked ") && l.endsWith("(keyCompromise)")),
                "the row shows the reason by the name --help lists: " + revoke.out());
        Cli.Result publish = ok(admin("ca", "publish-crl"));
        assertTrue(publish.out().startsWith("Publishing CRLs"), publish.out());
        String cdp = lab.ca().crlUrl().replace(lab.ca().config().fqdn(), "127.0.0.1");
        X509CRL crl;
        try (var in = URI.create(cdp).toURL().openStream()) {
            crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(in.readAllBytes()));
        }
        assertNotNull(crl.getRevokedCertificate(serial), "the CRL at " + cdp + " should list " + serial.toString(16));
    }

    @Test
    void aMisspeltRevocationReasonIsBadUsageNamingTheNearestAndRevokesNothing() throws Exception {
        LogonToken administrator = DomainLogon.logon("127.0.0.1", lab.dc().ldapPort(),
                lab.dc().administratorDn(), lab.password()).token();
        EnrollmentResult issued = lab.ca().submit(EnrollmentRequest.manual(administrator, "WebServer", csr("CN=web6.contoso.com")));
        assertEquals(RequestStatus.ISSUED, issued.status(), String.valueOf(issued.decision()));
        String serial = issued.record().serialHex();

        Cli.Result misspelt = admin("ca", "revoke", serial, "--reason", "superseeded");
        assertEquals(2, misspelt.exit(), misspelt.toString());
        assertTrue(misspelt.err().contains("'superseeded'") && misspelt.err().contains("did you mean superseded?"), misspelt.err());
        assertEquals(RequestStatus.ISSUED, lab.ca().request(issued.requestId()).orElseThrow().status(), "nothing was revoked");

        String help = ok(admin("ca", "revoke", "--help")).out();
        for (RevocationReason reason : RevocationReason.values()) {
            assertTrue(help.contains(reason.rfcName()), "--help lists " + reason.rfcName() + ": " + help);
            assertTrue(misspelt.err().contains(reason.rfcName() + " (" + reason.code() + ")"), "the error lists " + reason.rfcName());
        }
        Cli.Result certutilName = ok(admin("ca", "revoke", serial, "--reason", "crl_reason_superseded"));
        assertTrue(certutilName.out().lines().anyMatch(l -> l.contains(" revoked ") && l.endsWith("(superseded)")), certutilName.out());
    }

    @Test
    void aPeriodThatIsNotOneIsNamedWithTheFormsAndTheSetVerbsUsage() {
        ok(admin("template", "duplicate", "Web Server", "Lab Forever Web"));
        String before = lab.admin().templates().get("LabForeverWeb").validity().toString();
        Cli.Result forever = admin("template", "set", "LabForeverWeb", "--validity", "forever");
        assertEquals(2, forever.exit(), forever.toString());
        assertTrue(forever.err().contains("--validity") && forever.err().contains("'forever' is not a period")
                && forever.err().contains("'2 years', '6 weeks'"), forever.err());
        assertTrue(forever.err().contains("Usage: pkilab template set "), "the usage shown is the set verb's: " + forever.err());
        assertEquals(before, lab.admin().templates().get("LabForeverWeb").validity().toString(), "the template is unchanged");

        Cli.Result subject = admin("template", "set", "LabForeverWeb", "--subject-name", "guess");
        assertEquals(2, subject.exit(), subject.toString());
        assertTrue(subject.err().contains("Usage: pkilab template set "), subject.err());
    }

    @Test
    void denyResolvesAPendingRequest() throws Exception {
        ok(admin("template", "duplicate", "Web Server", "Lab Denied Web"));
        ok(admin("template", "set", "LabDeniedWeb", "--approval"));
        ok(admin("ca", "issue-template", "Lab Denied Web"));
        LogonToken administrator = DomainLogon.logon("127.0.0.1", lab.dc().ldapPort(),
                lab.dc().administratorDn(), lab.password()).token();
        EnrollmentResult submitted = lab.ca().submit(EnrollmentRequest.manual(administrator, "LabDeniedWeb", csr("CN=web8.contoso.com")));
        Cli.Result deny = ok(admin("ca", "deny", Long.toString(submitted.requestId())));
        assertTrue(deny.out().contains("Denied by"), deny.out());
        assertEquals(RequestStatus.DENIED, lab.ca().request(submitted.requestId()).orElseThrow().status());
        // [MS-CSRA] ResubmitRequest takes a pending or a denied request: the manager may change his mind, once
        assertTrue(ok(admin("ca", "approve", Long.toString(submitted.requestId()))).out().contains("ISSUED"));
        Cli.Result again = admin("ca", "approve", Long.toString(submitted.requestId()));
        assertEquals(1, again.exit(), again.toString());
        assertTrue(again.err().contains("0x80094003"), "approving an issued request: CERTSRV_E_BAD_REQUESTSTATUS\n" + again);
    }

    @Test
    void nonAdministratorIsRefusedWithAccessDenied() {
        ok(admin("user", "create", "carol", "--new-password", "Carol-Passw0rd!"));
        Cli.Result refused = as("carol", "Carol-Passw0rd!", "ca", "pending");
        assertEquals(1, refused.exit(), refused.toString());
        assertTrue(refused.err().contains("0x80070005") && refused.err().contains("E_ACCESSDENIED"), refused.err());
        assertTrue(refused.err().contains("carol") && refused.err().contains("Issue and Manage Certificates"), refused.err());
        Cli.Result crl = as("carol", "Carol-Passw0rd!", "ca", "issue-template", "User");
        assertTrue(crl.err().contains("Manage CA"), crl.err());
        Cli.Result group = as("carol", "Carol-Passw0rd!", "group", "create", "Carol Group");
        assertEquals(1, group.exit(), group.toString());
        assertTrue(group.err().contains("LDAP 50"), group.err());
    }

    @Test
    void scepPasswordPrintsNdesSentenceAndTheMscepTemplatesAreSetUnderNdesKey() {
        Cli.Result password = ok(admin("ca", "scep-password"));
        assertTrue(password.out().matches("(?s)The enrollment challenge password is: [0-9A-F]{16}\n.*"), password.out());
        Cli.Result set = ok(admin("ca", "setreg", "MSCEP\\GeneralPurposeTemplate", "WebServer"));
        assertTrue(set.out().contains("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Cryptography\\MSCEP\\GeneralPurposeTemplate"), set.out());
        assertTrue(set.out().contains("GeneralPurposeTemplate REG_SZ = WebServer"), set.out());
        assertEquals("WebServer", lab.ca().registrySettings().ndes().generalPurposeTemplate(), "the CA's NDES issues from it now");
        ok(admin("ca", "setreg", "MSCEP\\GeneralPurposeTemplate", ""));
        Cli.Result shown = ok(admin("ca", "getreg", "MSCEP\\GeneralPurposeTemplate"));
        assertTrue(shown.out().contains("GeneralPurposeTemplate REG_SZ = IPSECIntermediateOffline"), "'' puts NDES's default back: " + shown.out());
    }

    @Test
    void scepPasswordIsRefusedToAnAccountWithoutEnrollOnNdesTemplates() {
        ok(admin("user", "create", "scepdevops", "--new-password", "Scep-Passw0rd!"));
        Cli.Result refused = as("scepdevops", "Scep-Passw0rd!", "ca", "scep-password");
        assertEquals(1, refused.exit(), refused.toString());
        assertTrue(refused.err().contains("You do not have sufficient permission to enroll with SCEP"), refused.err());
        assertTrue(refused.err().contains("scepdevops") && refused.err().contains("IPSec (Offline request)"), refused.err());
    }

    @Test
    void wrongPasswordSaysSoAndExitsOne() {
        Cli.Result wrong = as("Administrator", "not-the-password", "group", "list");
        assertEquals(1, wrong.exit(), wrong.toString());
        assertTrue(wrong.err().contains("wrong password"), wrong.err());
        assertFalse(wrong.err().contains("not-the-password"), "the password must never be echoed:\n" + wrong.err());
    }

    @Test
    void ldapSpecialCharactersAreEscapedOrRefusedClearly() {
        ok(admin("group", "create", "a,b (x*)"));
        Cli.Result members = ok(admin("group", "members", "a,b (x*)"));
        assertEquals("", members.out().strip());
        assertTrue(lab.admin().usersAndComputers().dnOf("a,b (x*)").startsWith("CN=a\\,b (x*),CN=Users"), lab.admin().usersAndComputers().dnOf("a,b (x*)"));
        Cli.Result wildcard = admin("group", "add-member", "a*", "Administrator");
        assertEquals(1, wildcard.exit(), wildcard.toString());
        assertTrue(wildcard.err().contains("no account, group or well-known principal named 'a*'"), wildcard.err());
        Cli.Result unknownTemplate = admin("template", "grant", "No Such (Template)", "Domain Users", "Enroll");
        assertEquals(1, unknownTemplate.exit(), unknownTemplate.toString());
        assertTrue(unknownTemplate.err().contains("no certificate template named 'No Such (Template)'"), unknownTemplate.err());
        Cli.Result badRight = admin("template", "grant", "WebServer", "Domain Users", "Enrol");
        assertEquals(2, badRight.exit(), badRight.toString());
        assertTrue(badRight.err().contains("unknown permission 'Enrol'"), badRight.err());
    }

    @Test
    void unknownCaIsNamedWithThoseThatExist() {
        Cli.Result wrong = admin("ca", "pending", "--ca", "Fabrikam-CA");
        assertEquals(1, wrong.exit(), wrong.toString());
        assertTrue(wrong.err().contains("no enterprise CA named 'Fabrikam-CA'") && wrong.err().contains(lab.ca().name()), wrong.err());
        assertEquals(0, admin("ca", "pending", "--ca", lab.ca().name()).exit());
    }

    @Test
    void everyVerbHasHelp() {
        for (String[] verb : new String[][]{{"group", "create"}, {"group", "members"}, {"template", "show"}, {"template", "set"},
                {"template", "grant"}, {"ca", "approve"}, {"ca", "revoke"}, {"ca", "publish-crl"}, {"ca", "issue-template"}}) {
            Cli.Result help = Cli.pkilab(verb[0], verb[1], "--help");
            assertEquals(0, help.exit(), String.join(" ", verb));
            assertTrue(help.out().contains("--password"), String.join(" ", verb) + " --help:\n" + help.out());
        }
    }

    private static byte[] csr(String subject) throws Exception {
        return new JcaPKCS10CertificationRequestBuilder(new X500Name(subject), key.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(key.getPrivate())).getEncoded();
    }
}
