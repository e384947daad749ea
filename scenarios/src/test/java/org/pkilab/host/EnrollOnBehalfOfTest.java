package org.pkilab.host;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.DefaultTemplates;
import org.pkilab.enrollment.EnrollmentException;
import org.pkilab.testing.DomainLab;
import org.pkilab.testing.TestLab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ESC3 from a lab computer: a Domain User enrolls for Enrollment Agent, then for a certificate on behalf of Administrator. */
class EnrollOnBehalfOfTest {

    static DomainLab lab;

    @BeforeAll
    static void startLab() {
        lab = DomainLab.start();
        lab.admin().security().allow("Enrollment Agent", "Domain Users", AccessRight.ENROLL);
        lab.ca().issueTemplate(DefaultTemplates.ENROLLMENT_AGENT);
        lab.ca().issueTemplate(DefaultTemplates.CLIENT_AUTH);
    }

    @AfterAll
    static void stopLab() {
        lab.close();
    }

    @Test
    void aUserWithAnAgentCertificateGetsOneForAdministratorInHisOwnStore() throws Exception {
        lab.admin().usersAndComputers().createUser("Eve", TestLab.PASSWORD);
        try (DomainComputer pc = new DomainComputer(lab.computer("PC40")).join(lab.admin()).boot()) {
            UserSession eve = pc.logOnUser(lab.dc().names().user("Eve"), TestLab.PASSWORD);
            EnrollmentException noAgent = assertThrows(EnrollmentException.class,
                    () -> eve.requestOnBehalfOf("Authenticated Session", "CONTOSO\\Administrator"));
            assertTrue(noAgent.getMessage().contains("Certificate Request Agent"), noAgent.getMessage());

            StoredCertificate agent = eve.requestCertificate(CertificateRequest.forTemplate("Enrollment Agent"));
            assertTrue(agent.hasPurpose("1.3.6.1.4.1.311.20.2.1"), "Certificate Request Agent: " + agent.intendedPurposes());

            StoredCertificate admin = eve.requestOnBehalfOf("Authenticated Session", "CONTOSO\\Administrator");
            assertTrue(admin.certificate().getSubjectX500Principal().getName().startsWith("CN=Administrator,"),
                    admin.certificate().getSubjectX500Principal().getName());
            assertTrue(eve.personal().byThumbprint(admin.thumbprint()).isPresent(), "in the agent's CurrentUser\\My");
            assertEquals("CONTOSO\\Administrator", lab.ca().bySerial(admin.certificate().getSerialNumber()).orElseThrow().requester());
        }
    }

    @Test
    void aDeniedRequestAnOfficerResubmittedIsRetrievedWithTheKeyMadeForIt() throws Exception {
        lab.admin().usersAndComputers().createUser("Mallory", TestLab.PASSWORD);
        try (DomainComputer pc = new DomainComputer(lab.computer("PC41")).join(lab.admin()).boot()) {
            UserSession mallory = pc.logOnUser(lab.dc().names().user("Mallory"), TestLab.PASSWORD);
            EnrollmentException denied = assertThrows(EnrollmentException.class, () -> mallory.requestCertificate(
                    CertificateRequest.forTemplate("Web Server").commonName("dc01.contoso.com")));
            assertEquals(org.pkilab.windows.WindowsError.CERTSRV_E_TEMPLATE_DENIED, denied.error(), denied.getMessage());
            long id = lab.ca().failed().stream().filter(r -> r.requester().equals("CONTOSO\\Mallory")).mapToLong(r -> r.requestId())
                    .max().orElseThrow();
            assertThrows(EnrollmentException.class, () -> mallory.retrieve(id), "still denied before the officer acts");

            assertTrue(lab.ca().approve(id, "CONTOSO\\Mallory").issued(), "an officer resubmits it (ESC7)");
            StoredCertificate issued = mallory.retrieve(id);
            assertEquals("CN=dc01.contoso.com", issued.certificate().getSubjectX500Principal().getName());
            assertTrue(mallory.personal().byThumbprint(issued.thumbprint()).isPresent(), "in CurrentUser\\My with its key");
            assertTrue(java.util.Arrays.equals(issued.certificate().getPublicKey().getEncoded(),
                    lab.ca().request(id).orElseThrow().certificate() == null ? null
                            : org.pkilab.pki.KeyFiles.certificate(lab.ca().request(id).orElseThrow().certificate()).getPublicKey().getEncoded()));
        }
    }
}
