package org.pkilab.lab;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.host.CertificateRequest;
import org.pkilab.host.HttpsResult;
import org.pkilab.host.StoredCertificate;
import org.pkilab.iis.IisServer;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A lab on a data folder, stopped and started again, as {@code pkilab up --data DIR} does. */
class LabPersistenceTest {

    private static LabSpec spec(String password) {
        return LabSpec.builder().password(password).iis("IIS01", "server1.internal.contoso.com").client("PC01").build();
    }

    @Test
    void aLabStartedAgainOnItsFolderHasItsForestCertificatesAndHttpsBinding(@TempDir Path data) {
        Lab.Site site = new Lab.Site(data, 0, 0, 0, 0);
        String password;
        String thumbprint;
        int port;
        try (Lab lab = Lab.start(spec("First-Passw0rd!"), site)) {
            password = lab.password();
            lab.admin().security().allow("WebServer", "Domain Computers", AccessRight.ENROLL);
            IisServer iis = lab.iis("IIS01");
            StoredCertificate certificate = iis.requestCertificate(CertificateRequest.forTemplate("WebServer")
                    .dnsNames("server1.internal.contoso.com"));
            thumbprint = certificate.thumbprint();
            iis.bindHttps(thumbprint);
            port = iis.httpsPort();
        }

        try (Lab again = Lab.start(spec("Other-Passw0rd!"), site)) {
            assertEquals(password, again.password(), "the forest keeps the password it was made with");
            IisServer iis = again.iis("IIS01");
            assertEquals(thumbprint, iis.boundThumbprint(), "IIS01's https binding came back");
            assertEquals(port, iis.httpsPort(), "on the same port");
            StoredCertificate kept = iis.personal().byThumbprint(thumbprint).orElseThrow();
            assertEquals("WebServer", kept.templateName());
            assertTrue(kept.privateKey() != null, "with its private key");
            assertTrue(again.admin().security().descriptor("WebServer").toSddl(again.dc().domainSid()).contains(";DC)"),
                    "Domain Computers still hold Enroll on WebServer");
            HttpsResult result = again.computer("PC01").get(iis.url("server1.internal.contoso.com", "/"), null);
            assertTrue(result.connected(), String.valueOf(result));
            assertTrue(result.body().contains("IIS Windows Server on iis01.contoso.com"), result.body());
        }
    }

    @Test
    void aDamagedStoreFileIsNamedAndNothingStarts(@TempDir Path data) throws Exception {
        Lab.Site site = new Lab.Site(data, 0, 0, 0, 0);
        try (Lab lab = Lab.start(spec("First-Passw0rd!"), site)) {
            lab.computer("PC01");
        }
        Path damaged = data.resolve("hosts/PC01/LocalMachine-My/0000.properties");
        Files.createDirectories(damaged.getParent());
        Files.writeString(damaged, "certificate=not base64 at all\n");
        RuntimeException e = assertThrows(RuntimeException.class, () -> Lab.start(spec("First-Passw0rd!"), site).close());
        assertTrue(e.getMessage().contains("0000.properties is not a stored certificate"), e.getMessage());
    }

    @Test
    void aLabStartedAgainKeepsItsClockWhereItWasMoved(@TempDir Path data) {
        Lab.Site site = new Lab.Site(data, 0, 0, 0, 0);
        try (Lab lab = Lab.start(LabSpec.builder().password("First-Passw0rd!").build(), site)) {
            lab.advanceClock(java.time.Duration.ofDays(40));
        }
        try (Lab again = Lab.start(LabSpec.builder().password("First-Passw0rd!").build(), site)) {
            assertEquals(java.time.Duration.ofDays(40), again.clock().offset(),
                    "the lab's certificates and CRLs would otherwise read as 40 days younger than when it stopped");
        }
    }

    @Test
    void aComputerAddedWhileTheLabRanIsThereWhenItStartsAgain(@TempDir Path data) {
        Lab.Site site = new Lab.Site(data, 0, 0, 0, 0);
        String thumbprint;
        try (Lab lab = Lab.start(LabSpec.builder().password("First-Passw0rd!").build(), site)) {
            lab.admin().usersAndComputers().createComputer("PC07", "pc07.contoso.com", "Machine-Passw0rd!");
            thumbprint = lab.addComputer("PC07", LabSpec.Role.CLIENT, java.util.List.of(), "Machine-Passw0rd!")
                    .requestCertificate(CertificateRequest.forTemplate("Machine")).thumbprint();
        }
        try (Lab again = Lab.start(LabSpec.builder().password("First-Passw0rd!").build(), site)) {
            assertTrue(again.computerNames().contains("PC07"), "computers: " + again.computerNames());
            assertTrue(again.computer("PC07").personal().byThumbprint(thumbprint).isPresent(), "with its LocalMachine\\My");
        }
    }

    @Test
    void aPendingRequestIsRetrievedAfterTheLabStartsAgain(@TempDir Path data) {
        Lab.Site site = new Lab.Site(data, 0, 0, 0, 0);
        long id;
        try (Lab lab = Lab.start(spec("First-Passw0rd!"), site)) {
            lab.admin().templates().duplicate("Computer", "Held Computer", org.pkilab.directory.model.TemplateCompatibility
                    .WINDOWS_2003_SERVER_ENTERPRISE);
            lab.admin().templates().setRequiresApproval("Held Computer", true);
            lab.ca().issueTemplate("Held Computer");
            id = assertThrows(org.pkilab.enrollment.PendingException.class,
                    () -> lab.computer("PC01").requestCertificate(CertificateRequest.forTemplate("Held Computer"))).requestId();
        }
        try (Lab again = Lab.start(spec("First-Passw0rd!"), site)) {
            assertEquals(java.util.List.of(id), again.computer("PC01").pendingEnrollments().stream()
                    .map(org.pkilab.host.DomainComputer.PendingEnrollment::requestId).toList(), "PC01 still knows its pending request");
            again.ca().approve(id, "CONTOSO\\Administrator");
            StoredCertificate retrieved = again.computer("PC01").retrievePending(id);
            assertEquals("Held Computer", retrieved.certificateTemplate());
            assertTrue(again.computer("PC01").pendingEnrollments().isEmpty(), "retrieved, it no longer waits");
        }
        try (Lab third = Lab.start(spec("First-Passw0rd!"), site)) {
            assertTrue(third.computer("PC01").pendingEnrollments().isEmpty(), "nor after the next start");
        }
    }
}
