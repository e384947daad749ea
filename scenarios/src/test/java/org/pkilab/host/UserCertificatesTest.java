package org.pkilab.host;

import org.pkilab.enrollment.EnrollmentException;
import org.pkilab.windows.WindowsError;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.TemplateFlags;
import org.pkilab.testing.DomainLab;
import org.pkilab.testing.TestLab;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The guide's user certificates: mobile-device enrollment and the Mac client certificate. */
class UserCertificatesTest {

    static DomainLab lab;

    @BeforeAll
    static void startLab() {
        lab = DomainLab.start();
        userTemplate("ConfigMgr Mobile Device Enrollment Certificate", "ConfigMgr Mobile Device Users", false);
        userTemplate("ConfigMgr Mac Client Certificate", "ConfigMgr Mac Administrators", true);
    }

    /** The guide's steps: duplicate Authenticated Session, Common name, UPN cleared, Enroll for the group. */
    private static void userTemplate(String name, String group, boolean removeAdminEnroll) {
        lab.admin().usersAndComputers().createGroup(group);
        lab.admin().templates().duplicate("Authenticated Session", name, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        lab.admin().templates().setSubjectNameFlags(name, TemplateFlags.CertificateName.SUBJECT_REQUIRE_COMMON_NAME);
        if (removeAdminEnroll) {
            lab.admin().security().clearAllow(name, "Domain Admins", AccessRight.ENROLL);
            lab.admin().security().clearAllow(name, "Enterprise Admins", AccessRight.ENROLL);
        }
        lab.admin().security().allow(name, group, AccessRight.READ, AccessRight.ENROLL);
        lab.ca().issueTemplate(name);
    }

    @AfterAll
    static void stopLab() {
        lab.close();
    }

    @Test
    void mobileDeviceUserEnrollsWithTheCommonNameAndNoUpn() throws Exception {
        lab.admin().usersAndComputers().createUser("Alice", TestLab.PASSWORD);
        lab.admin().usersAndComputers().addMember("ConfigMgr Mobile Device Users", "Alice");
        lab.admin().usersAndComputers().createUser("Bob", TestLab.PASSWORD);
        try (DomainComputer pc = new DomainComputer(lab.computer("PC30")).join(lab.admin()).boot()) {
            UserSession alice = pc.logOnUser(lab.dc().names().user("Alice"), TestLab.PASSWORD);
            StoredCertificate cert = alice.requestCertificate(CertificateRequest.forTemplate("ConfigMgr Mobile Device Enrollment Certificate"));
            assertEquals("CN=Alice", cert.certificate().getSubjectX500Principal().getName());
            assertNull(cert.certificate().getSubjectAlternativeNames(), "UPN cleared: no SAN");
            assertEquals(List.of("Client Authentication"), cert.intendedPurposes());
            assertEquals(1, alice.personal().certificates().size(), "in CurrentUser\\My");
            assertTrue(pc.personal().certificates().isEmpty(), "not in LocalMachine\\My");

            // the copy of Authenticated Session keeps Domain Users' Enroll: until that is cleared, any user may enroll
            UserSession bob = pc.logOnUser(lab.dc().names().user("Bob"), TestLab.PASSWORD);
            bob.requestCertificate(CertificateRequest.forTemplate("ConfigMgr Mobile Device Enrollment Certificate"));
            lab.admin().security().clearAllow("ConfigMgr Mobile Device Enrollment Certificate", "Domain Users", AccessRight.ENROLL);
            UserSession bobAgain = pc.logOnUser(lab.dc().names().user("Bob"), TestLab.PASSWORD);
            EnrollmentException refused = assertThrows(EnrollmentException.class,
                    () -> bobAgain.requestCertificate(CertificateRequest.forTemplate("ConfigMgr Mobile Device Enrollment Certificate")));
            assertTrue(refused.getMessage().contains("CONTOSO\\Bob"), refused.getMessage());
            alice.requestCertificate(CertificateRequest.forTemplate("ConfigMgr Mobile Device Enrollment Certificate"));
        }
    }

    @Test
    void macAdministratorEnrollsTheMacClientCertificateAndDomainAdminsNoLongerCan() throws Exception {
        lab.admin().usersAndComputers().createUser("MacAdmin", TestLab.PASSWORD);
        lab.admin().usersAndComputers().addMember("ConfigMgr Mac Administrators", "MacAdmin");
        try (MacComputer mac = new MacComputer("mac01.contoso.com", lab.network(), lab.clock())) {
            mac.trustRoot(lab.ca().certificate());
            StoredCertificate cert = mac.enroll(lab.ca().estBaseUrl(), "ConfigMgrMacClientCertificate", "MacAdmin", TestLab.PASSWORD);
            assertEquals("CN=MacAdmin", cert.certificate().getSubjectX500Principal().getName());
            assertNull(cert.certificate().getSubjectAlternativeNames());
            assertEquals(1, mac.keychain().certificates().size());

            // with Domain Admins' Enroll cleared, Administrator still enrolls through Domain Users...
            mac.enroll(lab.ca().estBaseUrl(), "ConfigMgrMacClientCertificate", "Administrator", TestLab.PASSWORD);
            // ...until the request is restricted to the Mac group, as the guide advises
            lab.admin().security().clearAllow("ConfigMgr Mac Client Certificate", "Domain Users", AccessRight.ENROLL);
            EnrollmentException administrator = assertThrows(EnrollmentException.class,
                    () -> mac.enroll(lab.ca().estBaseUrl(), "ConfigMgrMacClientCertificate", "Administrator", TestLab.PASSWORD));
            assertEquals(WindowsError.CERTSRV_E_TEMPLATE_DENIED, administrator.error());
        }
    }

    @Test
    void macThatDoesNotTrustTheRootRefusesTheCa() {
        try (MacComputer mac = new MacComputer("mac02.contoso.com", lab.network(), lab.clock())) {
            EnrollmentException untrusted = assertThrows(EnrollmentException.class,
                    () -> mac.enroll(lab.ca().estBaseUrl(), "ConfigMgrMacClientCertificate", "Administrator", TestLab.PASSWORD));
            assertEquals(WindowsError.CERT_E_UNTRUSTEDROOT, untrusted.error(), untrusted.getMessage());
        }
    }
}
