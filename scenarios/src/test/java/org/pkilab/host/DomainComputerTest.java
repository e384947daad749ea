package org.pkilab.host;

import org.pkilab.enrollment.EnrollmentException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.GroupPolicy;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.DomainLab;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Domain computers doing the guide's client-side steps against a real DC and CA. */
class DomainComputerTest {

    static DomainLab lab;

    @BeforeAll
    static void startLab() {
        lab = DomainLab.start();
        // the guide: client certificate for Windows computers
        lab.admin().templates().duplicate("Workstation Authentication", "ConfigMgr Client Certificate", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        lab.admin().security().allow("ConfigMgr Client Certificate", "Domain Computers", AccessRight.READ, AccessRight.AUTOENROLL);
        lab.ca().issueTemplate("ConfigMgr Client Certificate");
        // the guide: web server certificate
        lab.admin().usersAndComputers().createGroup("ConfigMgr IIS Servers");
        lab.admin().templates().duplicate("Web Server", "ConfigMgr Web Server Certificate", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        lab.admin().security().clearAllow("ConfigMgr Web Server Certificate", "Domain Admins", AccessRight.ENROLL);
        lab.admin().security().clearAllow("ConfigMgr Web Server Certificate", "Enterprise Admins", AccessRight.ENROLL);
        lab.admin().security().allow("ConfigMgr Web Server Certificate", "ConfigMgr IIS Servers", AccessRight.READ, AccessRight.ENROLL);
        lab.ca().issueTemplate("ConfigMgr Web Server Certificate");
        // the guide: client certificate for distribution points (exportable)
        lab.admin().templates().duplicate("Workstation Authentication", "ConfigMgr Client Distribution Point Certificate",
                TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        lab.admin().templates().setExportableKey("ConfigMgr Client Distribution Point Certificate", true);
        lab.admin().security().clearAllow("ConfigMgr Client Distribution Point Certificate", "Enterprise Admins", AccessRight.ENROLL);
        lab.admin().security().allow("ConfigMgr Client Distribution Point Certificate", "ConfigMgr IIS Servers", AccessRight.READ, AccessRight.ENROLL);
        lab.ca().issueTemplate("ConfigMgr Client Distribution Point Certificate");
    }

    @AfterAll
    static void stopLab() {
        lab.close();
    }

    static DomainComputer computer(String name, String... extraNames) {
        return new DomainComputer(lab.computer(name, extraNames));
    }

    @Test
    void bootImportsTheEnterpriseRootAndFindsTheCa() {
        try (DomainComputer pc = computer("PC10").join(lab.admin()).boot()) {
            assertTrue(pc.trustedRoots().certificates().stream().anyMatch(c -> c.certificate().equals(lab.ca().certificate())));
            assertTrue(pc.enrollableTemplates().stream().anyMatch(t -> t.name().equals("Machine")));
            assertEquals(0, pc.autoEnrollmentPolicy());
            assertTrue(pc.personal().certificates().isEmpty(), "no GPO, no autoenrollment");
        }
    }

    @Test
    void aBootRecordsWhereItsTimeWent() {
        try (DomainComputer pc = computer("PC19").join(lab.admin()).boot()) {
            pc.requestCertificate(CertificateRequest.forTemplate("Machine"));
            HostTimings timings = pc.timings();
            for (HostTimings.Phase phase : List.of(HostTimings.Phase.LOGON, HostTimings.Phase.GROUP_POLICY, HostTimings.Phase.HTTPS_CLIENT,
                    HostTimings.Phase.TLS_HANDSHAKE, HostTimings.Phase.CRL_DOWNLOAD, HostTimings.Phase.ENROLLMENT_POLICY,
                    HostTimings.Phase.KEY_GENERATION, HostTimings.Phase.REQUEST_SIGNING, HostTimings.Phase.ENROLLMENT)) {
                assertTrue(timings.totals(phase).count() > 0 && timings.totals(phase).wallNanos() > 0, phase + " not recorded: "
                        + timings.snapshot());
            }
            assertTrue(timings.totals(HostTimings.Phase.KEY_GENERATION).cpuNanos() > 0, "key generation runs on the caller's thread");
        }
    }

    @Test
    void clientAutoenrollsWhenTheGpoIsLinkedAndRenewsWhenTheClockPassesTheRenewalPoint() {
        try (DomainComputer pc = computer("PC11").join(lab.admin()).boot()) {
            assertTrue(pc.personal().certificates().isEmpty());
            String gpo = lab.admin().groupPolicy().createGpo("Autoenroll Certificates PC11");
            lab.admin().groupPolicy().setAutoEnrollmentPolicy(gpo, GroupPolicy.GUIDE_SETTING);
            lab.admin().groupPolicy().linkGpo(gpo, lab.dc().names().domain());
            try {
                pc.restart();
                List<StoredCertificate> certs = pc.personal().matching(c -> "ConfigMgrClientCertificate".equals(c.templateName()));
                assertEquals(1, certs.size(), pc.eventLog().toString());
                StoredCertificate first = certs.get(0);
                assertEquals(List.of("Client Authentication"), first.intendedPurposes());
                assertEquals("ConfigMgr Client Certificate", first.certificateTemplate(), "the snap-in's Certificate Template column");
                assertEquals(List.of("pc11.contoso.com"), first.dnsNames());
                assertEquals(StoredCertificate.KeyStorage.LEGACY_CSP, first.keyStorage());
                assertFalse(pc.eventLog().events(19).isEmpty());

                pc.gpupdate(true);
                assertEquals(first.thumbprint(), pc.personal().matching(c -> "ConfigMgrClientCertificate".equals(c.templateName()))
                        .get(0).thumbprint(), "a fresh certificate is not renewed");

                lab.clock().advance(Duration.ofDays(300)); // past 80% of one year: the 8-hour refresh renews it
                List<StoredCertificate> renewed = pc.personal().matching(c -> "ConfigMgrClientCertificate".equals(c.templateName()));
                assertEquals(1, renewed.size(), pc.eventLog().toString());
                assertNotEquals(first.thumbprint(), renewed.get(0).thumbprint());
                assertFalse(pc.eventLog().events(20).isEmpty(), pc.eventLog().toString());
            } finally {
                lab.admin().groupPolicy().unlinkGpo(gpo, lab.dc().names().domain());
            }
        }
    }

    @Test
    void webServerRequestNeedsItsNamesAndKeepsThemInOrder() {
        try (DomainComputer iis = computer("IIS11", "server1.internal.contoso.com", "server.contoso.com").join(lab.admin())) {
            lab.admin().usersAndComputers().addMember("ConfigMgr IIS Servers", "IIS11$");
            iis.boot();
            EnrollmentException incomplete = assertThrows(EnrollmentException.class,
                    () -> iis.requestCertificate(CertificateRequest.forTemplate("ConfigMgr Web Server Certificate")));
            assertTrue(incomplete.getMessage().contains("More information is required"), incomplete.getMessage());
            StoredCertificate web = iis.requestCertificate(CertificateRequest.forTemplate("ConfigMgr Web Server Certificate")
                    .dnsNames("server1.internal.contoso.com", "server.contoso.com"));
            assertEquals(List.of("server1.internal.contoso.com", "server.contoso.com"), web.dnsNames());
            assertEquals(List.of("Server Authentication"), web.intendedPurposes());
        }
    }

    @Test
    void computerNotInTheGroupCannotSeeOrRequestTheWebServerTemplate() {
        try (DomainComputer pc = computer("PC12").join(lab.admin()).boot()) {
            assertTrue(pc.enrollableTemplates().stream().noneMatch(t -> t.name().equals("ConfigMgrWebServerCertificate")));
            assertThrows(EnrollmentException.class, () -> pc.requestCertificate(
                    CertificateRequest.forTemplate("ConfigMgr Web Server Certificate").dnsNames("pc12.contoso.com")));
        }
    }

    @Test
    void pfxExportFollowsTheTemplateAndOpensslReadsTheFile(@TempDir Path dir) throws Exception {
        try (DomainComputer iis = computer("IIS12").join(lab.admin())) {
            lab.admin().usersAndComputers().addMember("ConfigMgr IIS Servers", "IIS12$");
            iis.boot();
            StoredCertificate web = iis.requestCertificate(CertificateRequest.forTemplate("ConfigMgrWebServerCertificate").dnsNames("iis12.contoso.com"));
            IllegalStateException refused = assertThrows(IllegalStateException.class,
                    () -> iis.exportPfx(web.thumbprint(), "Str0ng-Pfx!".toCharArray(), dir.resolve("web.pfx")));
            assertTrue(refused.getMessage().contains("cannot be exported"), refused.getMessage());

            StoredCertificate dp = iis.requestCertificate(CertificateRequest.forTemplate("ConfigMgr Client Distribution Point Certificate"));
            assertThrows(IllegalArgumentException.class, () -> iis.exportPfx(dp.thumbprint(), "password".toCharArray(), dir.resolve("weak.pfx")));
            assertFalse(dir.resolve("weak.pfx").toFile().exists(), "a refused export writes nothing");
            iis.exportPfx(dp.thumbprint(), "Str0ng-Pfx!".toCharArray(), dir.resolve("dp.pfx"));
            ExternalTool.Result openssl = ExternalTool.run(dir, Map.of(), null, "openssl", "pkcs12", "-in", "dp.pfx",
                    "-passin", "pass:Str0ng-Pfx!", "-nokeys", "-clcerts");
            assertEquals(0, openssl.exit(), openssl.toString());
            assertTrue(openssl.out().contains("BEGIN CERTIFICATE"), openssl.out());
            ExternalTool.Result keytool = ExternalTool.run(dir, Map.of(), null,
                    Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-list", "-keystore", "dp.pfx",
                    "-storetype", "PKCS12", "-storepass", "Str0ng-Pfx!");
            assertEquals(0, keytool.exit(), keytool.toString());
            assertTrue(keytool.out().contains("PrivateKeyEntry"), keytool.out());

            try (DomainComputer other = computer("DP11").join(lab.admin()).boot()) {
                assertThrows(IllegalArgumentException.class, () -> other.importPfx(dir.resolve("dp.pfx"), "wrong".toCharArray(), false));
                assertTrue(other.personal().certificates().isEmpty(), "a wrong password imports nothing");
                StoredCertificate imported = other.importPfx(dir.resolve("dp.pfx"), "Str0ng-Pfx!".toCharArray(), false);
                assertEquals(dp.thumbprint(), imported.thumbprint());
            }
        }
    }

    @Test
    void anImportedPfxShowsItsTemplateByNameAndItsKeyIsExportableOnlyWhenMarkedSo(@TempDir Path dir) {
        String template = "ConfigMgr Client Distribution Point Certificate";
        try (DomainComputer dp = computer("DP15").join(lab.admin());
             DomainComputer kept = computer("DP16").join(lab.admin()).boot();
             DomainComputer marked = computer("DP17").join(lab.admin()).boot()) {
            lab.admin().usersAndComputers().addMember("ConfigMgr IIS Servers", "DP15$");
            dp.boot();
            StoredCertificate issued = dp.requestCertificate(CertificateRequest.forTemplate(template));
            dp.exportPfx(issued.thumbprint(), "Str0ng-Pfx!".toCharArray(), dir.resolve("dp.pfx"));

            StoredCertificate imported = kept.importPfx(dir.resolve("dp.pfx"), "Str0ng-Pfx!".toCharArray(), false);
            assertEquals(template, imported.certificateTemplate(), "the snap-in shows the template's name, not its OID");
            IllegalStateException refused = assertThrows(IllegalStateException.class,
                    () -> kept.exportPfx(imported.thumbprint(), "Str0ng-Pfx!".toCharArray(), dir.resolve("again.pfx")));
            assertTrue(refused.getMessage().contains("NTE_BAD_KEY_STATE") && refused.getMessage().contains("Mark this key as exportable")
                    && !refused.getMessage().contains("Allow private key to be exported"), refused.getMessage());
            assertFalse(dir.resolve("again.pfx").toFile().exists(), "a refused export writes nothing");

            StoredCertificate exportable = marked.importPfx(dir.resolve("dp.pfx"), "Str0ng-Pfx!".toCharArray(), true);
            marked.exportPfx(exportable.thumbprint(), "Str0ng-Pfx!".toCharArray(), dir.resolve("again.pfx"));
            assertTrue(dir.resolve("again.pfx").toFile().exists(), "a key imported as exportable is exported again");
        }
    }

    @Test
    void pfxFromOpensslImportsAtItsUsualIterationsAndIsRefusedUnreadAtAMillion(@TempDir Path dir) throws Exception {
        try (DomainComputer dp = computer("DP13").join(lab.admin());
             DomainComputer other = computer("DP14").join(lab.admin()).boot()) {
            lab.admin().usersAndComputers().addMember("ConfigMgr IIS Servers", "DP13$");
            dp.boot();
            StoredCertificate issued = dp.requestCertificate(CertificateRequest.forTemplate("ConfigMgr Client Distribution Point Certificate"));
            dp.exportPfx(issued.thumbprint(), "Str0ng-Pfx!".toCharArray(), dir.resolve("dp.pfx"));
            // openssl unpacks the file and packs it again, once with its defaults and once with 1,000,000 iterations
            ExternalTool.Result pem = ExternalTool.run(dir, Map.of(), null, "openssl", "pkcs12", "-in", "dp.pfx", "-passin", "pass:Str0ng-Pfx!",
                    "-nodes", "-out", "dp.pem");
            assertEquals(0, pem.exit(), pem.toString());
            ExternalTool.Result usual = ExternalTool.run(dir, Map.of(), null, "openssl", "pkcs12", "-export", "-in", "dp.pem",
                    "-passout", "pass:Str0ng-Pfx!", "-out", "usual.pfx");
            assertEquals(0, usual.exit(), usual.toString());
            ExternalTool.Result costly = ExternalTool.run(dir, Map.of(), null, "openssl", "pkcs12", "-export", "-in", "dp.pem",
                    "-passout", "pass:Str0ng-Pfx!", "-out", "costly.pfx", "-iter", "1000000");
            assertEquals(0, costly.exit(), costly.toString());

            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> other.importPfx(dir.resolve("costly.pfx"), "Str0ng-Pfx!".toCharArray(), false));
            assertTrue(refused.getMessage().contains("costly.pfx") && refused.getMessage().contains("3,000,000")
                    && refused.getMessage().contains("600,000"), refused.getMessage());
            assertTrue(other.personal().certificates().isEmpty(), "a refused PFX imports nothing");

            assertEquals(issued.thumbprint(), other.importPfx(dir.resolve("usual.pfx"), "Str0ng-Pfx!".toCharArray(), false).thumbprint(),
                    "openssl's own export (2,048 iterations for its MAC, certificates and key) imports");
        }
    }
}
