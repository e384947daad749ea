package org.pkilab.host;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.ca.CertificationAuthority;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.DirectoryAdmin.TemplateCompatibility;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.TemplateFlags;
import org.pkilab.pki.LabClock;
import org.pkilab.testing.TestLab;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The guide's user certificates: mobile-device enrollment and the Mac client certificate. */
class UserCertificatesTest {

    static final String PASSWORD = TestLab.PASSWORD;
    static final LabNetwork network = new LabNetwork();
    static TestLab lab;
    static LabClock clock;
    static DomainController dc;
    static CertificationAuthority ca;
    static DirectoryAdmin admin;

    @BeforeAll
    static void startLab() {
        lab = TestLab.start();
        clock = lab.clock();
        dc = lab.dc();
        ca = lab.ca();
        admin = lab.admin();
        network.register(ca.config().fqdn(), dc.fqdn());
        userTemplate("ConfigMgr Mobile Device Enrollment Certificate", "ConfigMgr Mobile Device Users", false);
        userTemplate("ConfigMgr Mac Client Certificate", "ConfigMgr Mac Administrators", true);
    }

    /** The guide's steps: duplicate Authenticated Session, Common name, UPN cleared, Enroll for the group. */
    private static void userTemplate(String name, String group, boolean removeAdminEnroll) {
        admin.createGroup(group);
        admin.duplicateTemplate("Authenticated Session", name, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        admin.setSubjectNameFlags(name, TemplateFlags.CertificateName.SUBJECT_REQUIRE_COMMON_NAME);
        if (removeAdminEnroll) {
            admin.clearAllow(name, "Domain Admins", AccessRight.ENROLL);
            admin.clearAllow(name, "Enterprise Admins", AccessRight.ENROLL);
        }
        admin.allow(name, group, AccessRight.READ, AccessRight.ENROLL);
        ca.issueTemplate(name);
    }

    @AfterAll
    static void stopLab() {
        lab.close();
    }

    @Test
    void mobileDeviceUserEnrollsWithTheCommonNameAndNoUpn() throws Exception {
        admin.createUser("Alice", PASSWORD);
        admin.addMember("ConfigMgr Mobile Device Users", "Alice");
        admin.createUser("Bob", PASSWORD);
        try (DomainComputer pc = new DomainComputer(DomainComputerConfig.builder("PC30").domain(dc.names(), "127.0.0.1", dc.ldapPort())
                .machinePassword(PASSWORD).clock(clock).network(network).build()).join(admin).boot()) {
            UserSession alice = pc.logOnUser(dc.names().user("Alice"), PASSWORD);
            StoredCertificate cert = alice.requestCertificate(CertificateRequest.forTemplate("ConfigMgr Mobile Device Enrollment Certificate"));
            assertEquals("CN=Alice", cert.certificate().getSubjectX500Principal().getName());
            assertNull(cert.certificate().getSubjectAlternativeNames(), "UPN cleared: no SAN");
            assertEquals(List.of("Client Authentication"), cert.intendedPurposes());
            assertEquals(1, alice.personal().certificates().size(), "in CurrentUser\\My");
            assertTrue(pc.personal().certificates().isEmpty(), "not in LocalMachine\\My");

            // the copy of Authenticated Session keeps Domain Users' Enroll: until that is cleared, any user may enroll
            UserSession bob = pc.logOnUser(dc.names().user("Bob"), PASSWORD);
            bob.requestCertificate(CertificateRequest.forTemplate("ConfigMgr Mobile Device Enrollment Certificate"));
            admin.clearAllow("ConfigMgr Mobile Device Enrollment Certificate", "Domain Users", AccessRight.ENROLL);
            UserSession bobAgain = pc.logOnUser(dc.names().user("Bob"), PASSWORD);
            EnrollmentException refused = assertThrows(EnrollmentException.class,
                    () -> bobAgain.requestCertificate(CertificateRequest.forTemplate("ConfigMgr Mobile Device Enrollment Certificate")));
            assertTrue(refused.getMessage().contains("CONTOSO\\Bob"), refused.getMessage());
            alice.requestCertificate(CertificateRequest.forTemplate("ConfigMgr Mobile Device Enrollment Certificate"));
        }
    }

    @Test
    void macAdministratorEnrollsTheMacClientCertificateAndDomainAdminsNoLongerCan() throws Exception {
        admin.createUser("MacAdmin", PASSWORD);
        admin.addMember("ConfigMgr Mac Administrators", "MacAdmin");
        try (MacComputer mac = new MacComputer("mac01.contoso.com", network, clock)) {
            mac.trustRoot(ca.certificate());
            StoredCertificate cert = mac.enroll(ca.estBaseUrl(), "ConfigMgrMacClientCertificate", "MacAdmin", PASSWORD);
            assertEquals("CN=MacAdmin", cert.certificate().getSubjectX500Principal().getName());
            assertNull(cert.certificate().getSubjectAlternativeNames());
            assertEquals(1, mac.keychain().certificates().size());

            // with Domain Admins' Enroll cleared, Administrator still enrolls through Domain Users...
            mac.enroll(ca.estBaseUrl(), "ConfigMgrMacClientCertificate", "Administrator", PASSWORD);
            // ...until the request is restricted to the Mac group, as the guide advises
            admin.clearAllow("ConfigMgr Mac Client Certificate", "Domain Users", AccessRight.ENROLL);
            EnrollmentException administrator = assertThrows(EnrollmentException.class,
                    () -> mac.enroll(ca.estBaseUrl(), "ConfigMgrMacClientCertificate", "Administrator", PASSWORD));
            assertEquals("0x80094012 CERTSRV_E_TEMPLATE_DENIED", administrator.adcsError());
        }
    }

    @Test
    void macThatDoesNotTrustTheRootRefusesTheCa() {
        try (MacComputer mac = new MacComputer("mac02.contoso.com", network, clock)) {
            EnrollmentException untrusted = assertThrows(EnrollmentException.class,
                    () -> mac.enroll(ca.estBaseUrl(), "ConfigMgrMacClientCertificate", "Administrator", PASSWORD));
            assertEquals("0x800B0109 CERT_E_UNTRUSTEDROOT", untrusted.adcsError(), untrusted.getMessage());
        }
    }
}
