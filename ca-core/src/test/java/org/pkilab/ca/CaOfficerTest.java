package org.pkilab.ca;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.directory.model.DefaultTemplates;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.enrollment.CaRegistrySettings;
import org.pkilab.enrollment.EstAnswer;
import org.pkilab.enrollment.EstClient;
import org.pkilab.enrollment.EstTransport;
import org.pkilab.windows.WindowsError;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ESC7 through the CA's administration interface, as Certipy's {@code ca} command does it: an account given Manage CA
 * makes itself an officer, resubmits its own request the policy module denied, and fetches the certificate; an account
 * without Manage CA is refused; a new request needs the CA's Request Certificates.
 */
class CaOfficerTest {

    private static final String PASSWORD = TestForest.PASSWORD;
    private static TestForest forest;
    private static DomainController dc;
    private static CertificationAuthority ca;
    private static DirectoryAdmin admin;
    private static EstClient est;

    @BeforeAll
    static void startLab() {
        forest = TestForest.start();
        dc = forest.dc();
        ca = forest.ca();
        admin = forest.admin();
        est = CaHttps.est(ca);
        admin.usersAndComputers().createUser("mallory", PASSWORD);
        admin.usersAndComputers().createUser("bob", PASSWORD);
    }

    @AfterAll
    static void stopLab() {
        admin.close();
        forest.close();
    }

    private static EstTransport.Response call(String user, String method, String path) throws Exception {
        return CaHttps.admin(ca, method, path, EstClient.basic(user, PASSWORD));
    }

    @Test
    void aManageCaHolderMakesHimselfOfficerAndIssuesHisOwnDeniedRequest() throws Exception {
        // the misconfiguration, as an administrator ticks it on the CA's Security tab
        EstTransport.Response granted = call("Administrator", "POST", "security/manager?account=CONTOSO%5Cmallory");
        assertEquals(200, granted.status(), granted.text());
        SecurityIdentifier mallory = admin.usersAndComputers().sidOf("mallory");

        EstTransport.Response notYet = call("mallory", "POST", "requests/1/resubmit");
        assertEquals(403, notYet.status(), notYet.text());
        assertTrue(notYet.text().contains("Issue and Manage Certificates"), "the refusal names the permission: " + notYet.text());

        EstTransport.Response officer = call("mallory", "POST", "security/officer/mallory");
        assertEquals(200, officer.status(), "mallory, a Manage CA holder, adds himself as officer: " + officer.text());
        assertTrue(officer.text().contains("CONTOSO\\\\mallory"), "the Security tab lists mallory by name: " + officer.text());
        assertEquals(java.util.List.of(CaSecurity.Permission.MANAGE_CA, CaSecurity.Permission.MANAGE_CERTIFICATES),
                CaSecurity.allowed(ca.security().descriptor(), mallory));

        // Web Server: only Domain Admins and Enterprise Admins may enroll; mallory's request is denied and recorded
        KeyPair key = Csrs.rsa(2048);
        byte[] csr = Csrs.request(key, "CN=dc01.contoso.com", "dc01.contoso.com");
        EstAnswer denied = est.simpleEnroll(DefaultTemplates.WEB_SERVER, EstClient.basic("mallory", PASSWORD), csr);
        assertEquals("0x80094012 CERTSRV_E_TEMPLATE_DENIED", denied.errorHeader(), denied.text());
        long id = Long.parseLong(denied.requestId());
        long rows = ca.requestCount();
        EstAnswer stillDenied = est.retrieve(DefaultTemplates.WEB_SERVER, EstClient.basic("mallory", PASSWORD), id, csr);
        assertEquals("0x80094012 CERTSRV_E_TEMPLATE_DENIED", stillDenied.errorHeader(), "certreq -retrieve answers the refusal: " + stillDenied.text());
        assertEquals(rows, ca.requestCount(), "a retrieve is never a new request");
        EstAnswer notHis = est.retrieve(DefaultTemplates.WEB_SERVER, EstClient.basic("bob", PASSWORD), id, csr);
        assertEquals("0x80070005 E_ACCESSDENIED", notHis.errorHeader(), "only its requester retrieves it: " + notHis.text());
        assertFalse(notHis.text().toLowerCase(java.util.Locale.ROOT).contains("mallory"),
                "the refusal to CONTOSO\\bob does not say who made request " + id + ": " + notHis.text());
        assertTrue(notHis.text().contains("CONTOSO\\bob"), "it names the caller: " + notHis.text());

        EstTransport.Response resubmitted = call("mallory", "POST", "requests/" + id + "/resubmit");
        assertEquals(200, resubmitted.status(), resubmitted.text());
        assertTrue(resubmitted.text().contains("\"status\":\"ISSUED\""), "an officer's resubmission skips the Enroll check: " + resubmitted.text());

        EstAnswer retrieved = est.simpleEnroll(DefaultTemplates.WEB_SERVER, EstClient.basic("mallory", PASSWORD), csr);
        assertEquals(200, retrieved.status(), "the same request sent again fetches the certificate: " + retrieved.text());
        X509Certificate certificate = retrieved.certificate();
        assertEquals("CN=dc01.contoso.com", certificate.getSubjectX500Principal().getName());
        assertEquals(id, Long.parseLong(retrieved.requestId()), "the resubmitted request, not a new one");
        EstAnswer byId = est.retrieve(DefaultTemplates.WEB_SERVER, EstClient.basic("mallory", PASSWORD), id, csr);
        assertEquals(certificate, byId.certificate(), "certreq -retrieve " + id + " gives the same certificate");
    }

    @Test
    void anAccountWithoutManageCaMayNotChangeTheSecurity() throws Exception {
        EstTransport.Response refused = call("bob", "POST", "security/officer/bob");
        assertEquals(403, refused.status(), refused.text());
        assertEquals("0x80070005 E_ACCESSDENIED", refused.header("X-ADCS-Error"), refused.text());
        assertTrue(refused.text().contains("CONTOSO\\bob") && refused.text().contains("'Manage CA'"),
                "the refusal names the account and the permission: " + refused.text());
        assertTrue(refused.text().contains("CONTOSO\\Domain Admins"), "and who holds it, by name: " + refused.text());
        assertFalse(ca.securitySddl().contains(admin.usersAndComputers().sidOf("bob").toString()), "nothing changed: " + ca.securitySddl());
        EstTransport.Response read = call("bob", "GET", "security");
        assertEquals(200, read.status(), "any domain account reads the Security tab: " + read.text());
        assertTrue(read.text().contains("Request Certificates") && read.text().contains("Authenticated Users"), read.text());
    }

    @Test
    void theSecurityTabTakesGroupsOfThisDomainAndRefusesOtherNamesWithoutChangingAnything() throws Exception {
        String before = ca.securitySddl();
        for (String name : List.of("FABRIKAM\\bob", "CN=bob,CN=Users," + dc.names().domain(), "CN=Users," + dc.names().domain(), "nobody")) {
            CaException refused = assertThrows(CaException.class,
                    () -> ca.changeSecurity(name, CaSecurity.Permission.MANAGE_CERTIFICATES, true, "CONTOSO\\Administrator"),
                    "the Security tab took '" + name + "'");
            assertEquals(WindowsError.ERROR_NONE_MAPPED, refused.error(), refused.getMessage());
            assertTrue(refused.reason().contains(name), "the refusal names the value: " + refused.reason());
            assertEquals(before, ca.securitySddl(), "nothing changed for '" + name + "'");
        }
        EstTransport.Response dn = call("Administrator", "POST", "security/officer?account=" + java.net.URLEncoder.encode(
                "CN=Users," + dc.names().domain(), java.nio.charset.StandardCharsets.UTF_8));
        assertEquals("0x80070534 ERROR_NONE_MAPPED", dn.header("X-ADCS-Error"), dn.status() + " " + dn.text());
        String changed = ca.changeSecurity("CONTOSO\\Domain Users", CaSecurity.Permission.READ, true, "CONTOSO\\Administrator");
        assertTrue(changed.contains("(A;;0x100;;;DU)"), "a group is a trustee: " + changed);
        ca.changeSecurity("CONTOSO\\Domain Users", CaSecurity.Permission.READ, false, "CONTOSO\\Administrator");
        String builtin = ca.changeSecurity("BUILTIN\\Administrators", CaSecurity.Permission.READ, true, "CONTOSO\\Administrator");
        assertTrue(builtin.contains("(A;;0x100;;;BA)"), "the name the tab lists for S-1-5-32-544 is taken back: " + builtin);
        ca.changeSecurity("BUILTIN\\Administrators", CaSecurity.Permission.READ, false, "CONTOSO\\Administrator");
    }

    @Test
    void aNewRequestNeedsRequestCertificatesOnTheCa() throws Exception {
        LogonToken bob = DomainLogon.logon("127.0.0.1", dc.ldapPort(), dc.names().user("bob"), PASSWORD).token();
        long before = ca.requestCount();
        ca.changeSecurity("Authenticated Users", CaSecurity.Permission.REQUEST_CERTIFICATES, false, "CONTOSO\\Administrator");
        try {
            CaException refused = assertThrows(CaException.class,
                    () -> ca.submit(EnrollmentRequest.manual(bob, DefaultTemplates.USER, Csrs.request(Csrs.rsa(2048), ""))));
            assertEquals(WindowsError.CERTSRV_E_ENROLL_DENIED, refused.error(), refused.getMessage());
            assertTrue(refused.getMessage().contains("CONTOSO\\bob"), refused.getMessage());
            assertEquals(before, ca.requestCount(), "IF_LOCKICERTREQUEST: refused before the database, nothing recorded");
        } finally {
            ca.changeSecurity("Authenticated Users", CaSecurity.Permission.REQUEST_CERTIFICATES, true, "CONTOSO\\Administrator");
        }
        assertTrue(ca.securitySddl().contains("(A;;0x200;;;AU)"), "Authenticated Users regain Request Certificates: " + ca.securitySddl());
    }

    @Test
    void withoutTheInterfaceLockThePolicyModuleDeniesAndRecordsAndEditFlagsCanWaiveTheCheck() throws Exception {
        LogonToken bob = DomainLogon.logon("127.0.0.1", dc.ldapPort(), dc.names().user("bob"), PASSWORD).token();
        int lock = CaRegistrySettings.InterfaceFlag.IF_LOCKICERTREQUEST.value();
        int ignore = CaRegistrySettings.EditFlag.EDITF_IGNOREREQUESTERGROUP.value();
        ca.issueTemplate(DefaultTemplates.CLIENT_AUTH);
        ca.changeSecurity("Authenticated Users", CaSecurity.Permission.REQUEST_CERTIFICATES, false, "CONTOSO\\Administrator");
        ca.registry().update(r -> r.withInterfaceFlags(r.interfaceFlags() & ~lock));
        try {
            EnrollmentResult denied = ca.submit(EnrollmentRequest.manual(bob, DefaultTemplates.CLIENT_AUTH, Csrs.request(Csrs.rsa(2048), "")));
            assertEquals(RequestStatus.DENIED, denied.status(), "the policy module denies it and the database records it");
            assertEquals(WindowsError.CERTSRV_E_ENROLL_DENIED, denied.error(), denied.decision().explain());

            ca.registry().update(r -> r.withEditFlags(r.editFlags() | ignore));
            EnrollmentResult waived = ca.submit(EnrollmentRequest.manual(bob, DefaultTemplates.CLIENT_AUTH, Csrs.request(Csrs.rsa(2048), "")));
            assertTrue(waived.issued(), () -> "EDITF_IGNOREREQUESTERGROUP: the CA's Request Certificates is not checked: "
                    + waived.decision().explain());
        } finally {
            ca.registry().update(r -> r.withInterfaceFlags(r.interfaceFlags() | lock).withEditFlags(r.editFlags() & ~ignore));
            ca.changeSecurity("Authenticated Users", CaSecurity.Permission.REQUEST_CERTIFICATES, true, "CONTOSO\\Administrator");
        }
    }

    @Test
    void theChangedSecurityIsKeptAcrossARestart(@TempDir Path data) {
        CertificationAuthorityConfig config = CertificationAuthorityConfig.builder(dc.names()).caName("Restart-CA").hostName("CA02")
                .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD).dataDirectory(data).build();
        String changed;
        try (CertificationAuthority first = CertificationAuthority.start(config)) {
            changed = first.changeSecurity("bob", CaSecurity.Permission.MANAGE_CERTIFICATES, true, "CONTOSO\\Administrator");
        }
        try (CertificationAuthority again = CertificationAuthority.start(config)) {
            assertEquals(changed, again.securitySddl(), "the Security value as it was changed before the restart");
            assertTrue(again.security().check(DomainLogon.logon("127.0.0.1", dc.ldapPort(), dc.names().user("bob"), PASSWORD).token(),
                    CaSecurity.Permission.MANAGE_CERTIFICATES, "approve requests").proceeds(), "bob is still an officer");
        }
    }
}
