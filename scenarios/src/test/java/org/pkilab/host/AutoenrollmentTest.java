package org.pkilab.host;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.ca.RevocationReason;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.GroupPolicy;
import org.pkilab.directory.model.KeyAlgorithm;
import org.pkilab.testing.DomainLab;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Autoenrollment's store management: pending requests, revoked certificates, superseded templates. */
class AutoenrollmentTest {

    static DomainLab lab;

    @BeforeAll
    static void startLab() {
        lab = DomainLab.start();
        String gpo = lab.admin().groupPolicy().createGpo("Autoenroll Certificates");
        lab.admin().groupPolicy().setAutoEnrollmentPolicy(gpo, GroupPolicy.GUIDE_SETTING);
        lab.admin().groupPolicy().linkGpo(gpo, lab.dc().names().domain());
    }

    @AfterAll
    static void stopLab() {
        lab.close();
    }

    /** A Workstation Authentication copy that only {@code group} autoenrolls for. */
    private static String clientTemplate(String name, String group) {
        lab.admin().usersAndComputers().createGroup(group);
        lab.admin().templates().duplicate("Workstation Authentication", name, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        lab.admin().security().allow(name, group, AccessRight.READ, AccessRight.ENROLL, AccessRight.AUTOENROLL);
        return name.replace(" ", "");
    }

    private static DomainComputer computerIn(String name, String group) {
        DomainComputer pc = new DomainComputer(lab.computer(name)).join(lab.admin());
        lab.admin().usersAndComputers().addMember(group, name + "$");
        return pc;
    }

    private static List<StoredCertificate> held(DomainComputer pc, String template) {
        return pc.personal().matching(c -> template.equalsIgnoreCase(c.templateName()));
    }

    @Test
    void autoenrollmentMakesAnEcdsaP256KeyWhenTheTemplateAsksForOne() throws Exception {
        lab.admin().usersAndComputers().createGroup("Lab ECC Computers");
        lab.admin().templates().duplicate("Workstation Authentication", "Lab ECC Client", TemplateCompatibility.WINDOWS_2008_SERVER_ENTERPRISE);
        lab.admin().templates().setKeyAlgorithm("Lab ECC Client", KeyAlgorithm.ECDSA_P256, 256);
        lab.admin().security().allow("Lab ECC Client", "Lab ECC Computers", AccessRight.READ, AccessRight.ENROLL, AccessRight.AUTOENROLL);
        lab.ca().issueTemplate("Lab ECC Client");
        try (DomainComputer pc = computerIn("PC43", "Lab ECC Computers").boot()) {
            List<StoredCertificate> held = held(pc, "LabECCClient");
            assertEquals(1, held.size(), pc.eventLog().toString());
            java.security.interfaces.ECPublicKey key = (java.security.interfaces.ECPublicKey) held.get(0).certificate().getPublicKey();
            assertEquals(256, key.getParams().getCurve().getField().getFieldSize(), "a P-256 key");
            assertEquals(StoredCertificate.KeyStorage.CNG_KSP, held.get(0).keyStorage(), "a schema 3 template's key lives in CNG");
            java.security.Signature check = java.security.Signature.getInstance("SHA256withECDSA");
            check.initSign(held.get(0).privateKey());
            check.update(new byte[]{1});
            byte[] signature = check.sign();
            check.initVerify(key);
            check.update(new byte[]{1});
            assertTrue(check.verify(signature), "the stored private key belongs to the certificate");
        }
    }

    @Test
    void aPendingRequestIsPickedUpOnceApproved() {
        String template = clientTemplate("Lab Approved Client", "Lab Approval Computers");
        lab.admin().templates().setRequiresApproval("Lab Approved Client", true);
        lab.ca().issueTemplate(template);
        try (DomainComputer pc = computerIn("PC40", "Lab Approval Computers").boot()) {
            assertTrue(held(pc, template).isEmpty());
            assertEquals(1, pc.pendingRequests().size(), pc.eventLog().toString());
            assertFalse(pc.eventLog().events(15).isEmpty(), "event 15: pending");
            lab.ca().approve(pc.pendingRequests().get(0), "CONTOSO\\Administrator");
            lab.clock().advance(DomainComputer.AUTOENROLLMENT_INTERVAL);
            assertEquals(1, held(pc, template).size(), pc.eventLog().toString());
            assertTrue(pc.pendingRequests().isEmpty());
        }
    }

    @Test
    void aRevokedCertificateIsRemovedAndReplacedOnceTheCrlIsRefreshed() {
        String template = clientTemplate("Lab Revoked Client", "Lab Revocation Computers");
        lab.ca().issueTemplate(template);
        try (DomainComputer pc = computerIn("PC41", "Lab Revocation Computers").boot()) {
            StoredCertificate first = held(pc, template).get(0);
            lab.ca().revoke(first.certificate().getSerialNumber(), RevocationReason.KEY_COMPROMISE, "CONTOSO\\Administrator");
            lab.clock().advance(DomainComputer.AUTOENROLLMENT_INTERVAL);
            assertEquals(first.thumbprint(), held(pc, template).get(0).thumbprint(), "its cached CRL is still current");
            lab.clock().advance(Duration.ofDays(7)); // past the cached base CRL's nextUpdate
            List<StoredCertificate> now = held(pc, template);
            assertEquals(1, now.size(), pc.eventLog().toString());
            assertNotEquals(first.thumbprint(), now.get(0).thumbprint());
            assertTrue(pc.eventLog().events(64).stream().anyMatch(e -> e.message().contains("revoked")), pc.eventLog().toString());
        }
    }

    @Test
    void aCertificateOfASupersededTemplateIsReplaced() {
        String v1 = clientTemplate("Lab Client V1", "Lab Supersede Computers");
        lab.ca().issueTemplate(v1);
        try (DomainComputer pc = computerIn("PC42", "Lab Supersede Computers").boot()) {
            assertEquals(1, held(pc, v1).size(), pc.eventLog().toString());
            lab.admin().templates().duplicate("Workstation Authentication", "Lab Client V2", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
            lab.admin().security().allow("Lab Client V2", "Lab Supersede Computers", AccessRight.READ, AccessRight.ENROLL, AccessRight.AUTOENROLL);
            lab.admin().templates().setSupersededTemplates("Lab Client V2", List.of("Lab Client V1"));
            lab.ca().issueTemplate("Lab Client V2");
            lab.clock().advance(DomainComputer.AUTOENROLLMENT_INTERVAL);
            assertEquals(1, held(pc, "LabClientV2").size(), pc.eventLog().toString());
            assertTrue(held(pc, v1).isEmpty(), "the superseded certificate is gone: " + pc.eventLog());
            lab.clock().advance(DomainComputer.AUTOENROLLMENT_INTERVAL);
            assertTrue(held(pc, v1).isEmpty(), "a superseded template is not enrolled again: " + pc.eventLog());
        }
    }
}
