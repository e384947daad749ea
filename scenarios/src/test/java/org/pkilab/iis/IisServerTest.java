package org.pkilab.iis;

import org.pkilab.windows.WindowsError;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.ca.RevocationReason;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.GroupPolicy;
import org.pkilab.host.CertificateRequest;
import org.pkilab.host.DomainComputer;
import org.pkilab.host.HttpsResult;
import org.pkilab.host.StoredCertificate;
import org.pkilab.host.TrustFailure;
import org.pkilab.pki.KeyFiles;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.DomainLab;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The guide's IIS and site-system deployments, end to end, checked by the lab's clients and by openssl and curl. */
class IisServerTest {

    static final char[] PFX_PASSWORD = "Str0ng-Pfx!".toCharArray();
    static DomainLab lab;
    static IisServer mp;
    static String gpo;

    @BeforeAll
    static void deployTheGuide() {
        lab = DomainLab.start();
        lab.admin().usersAndComputers().createGroup("ConfigMgr IIS Servers");
        lab.admin().usersAndComputers().createGroup("ConfigMgr Site Servers");
        template("Web Server", "ConfigMgr Web Server Certificate", "ConfigMgr IIS Servers", false);
        template("Web Server", "ConfigMgr Cloud-Based Distribution Point Certificate", "ConfigMgr Site Servers", true);
        template("Workstation Authentication", "ConfigMgr Client Distribution Point Certificate", "ConfigMgr IIS Servers", true);
        lab.admin().templates().duplicate("Workstation Authentication", "ConfigMgr Client Certificate", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        lab.admin().security().allow("ConfigMgr Client Certificate", "Domain Computers", AccessRight.READ, AccessRight.AUTOENROLL);
        lab.ca().issueTemplate("ConfigMgr Client Certificate");
        gpo = lab.admin().groupPolicy().createGpo("Autoenroll Certificates");
        lab.admin().groupPolicy().setAutoEnrollmentPolicy(gpo, GroupPolicy.GUIDE_SETTING);
        lab.admin().groupPolicy().linkGpo(gpo, lab.dc().names().domain());

        // the member server that runs IIS: group, restart, request with both FQDNs, bind, then the MP role
        mp = new IisServer(lab.computer("IIS01", "server1.internal.contoso.com", "server.contoso.com"));
        mp.join(lab.admin());
        lab.admin().usersAndComputers().addMember("ConfigMgr IIS Servers", "IIS01$");
        mp.boot();
        StoredCertificate web = mp.requestCertificate(CertificateRequest.forTemplate("ConfigMgr Web Server Certificate")
                .dnsNames("server1.internal.contoso.com", "server.contoso.com"));
        mp.bindHttps(web.thumbprint());
        mp.installManagementPoint();
    }

    private static void template(String source, String name, String group, boolean exportable) {
        lab.admin().templates().duplicate(source, name, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        if (exportable) {
            lab.admin().templates().setExportableKey(name, true);
        }
        lab.admin().security().clearAllow(name, "Enterprise Admins", AccessRight.ENROLL);
        lab.admin().security().clearAllow(name, "Domain Admins", AccessRight.ENROLL);
        lab.admin().security().allow(name, group, AccessRight.READ, AccessRight.ENROLL);
        lab.ca().issueTemplate(name);
    }


    @AfterAll
    static void stopLab() {
        mp.close();
        lab.close();
    }

    @Test
    void siteAnswersHttpsForItsIntranetNameAndOpensslAndCurlVerifyTheChain(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("lab.ca().pem"), KeyFiles.pem(lab.ca().certificate()));
        int port = mp.httpsPort();
        ExternalTool.Result sClient = ExternalTool.run(dir, Map.of(), "", "openssl", "s_client", "-connect", "127.0.0.1:" + port,
                "-servername", "server1.internal.contoso.com", "-verify_hostname", "server1.internal.contoso.com",
                "-CAfile", "lab.ca().pem", "-verify_return_error", "-brief");
        assertTrue((sClient.out() + sClient.err()).contains("Verification: OK"), sClient.toString());
        ExternalTool.Result mismatch = ExternalTool.run(dir, Map.of(), "", "openssl", "s_client", "-connect", "127.0.0.1:" + port,
                "-verify_hostname", "iis99.contoso.com", "-CAfile", "lab.ca().pem", "-verify_return_error", "-brief");
        assertTrue((mismatch.out() + mismatch.err()).contains("hostname mismatch"), mismatch.toString());

        mp.sslSettings(ClientCertificates.IGNORE);
        try {
            ExternalTool.Result curl = ExternalTool.run(dir, Map.of(), null, "curl", "-sS", "--cacert", "lab.ca().pem",
                    "--resolve", "server1.internal.contoso.com:" + port + ":127.0.0.1", "https://server1.internal.contoso.com:" + port + "/");
            assertEquals(0, curl.exit(), curl.toString());
            assertTrue(curl.out().contains("IIS Windows Server"), curl.out());
            ExternalTool.Result wrongName = ExternalTool.run(dir, Map.of(), null, "curl", "-sS", "--cacert", "lab.ca().pem",
                    "--resolve", "iis99.contoso.com:" + port + ":127.0.0.1", "https://iis99.contoso.com:" + port + "/");
            assertEquals(60, wrongName.exit(), "curl: the name is not in the certificate: " + wrongName);

            try (DomainComputer pc = new DomainComputer(lab.computer("PC20")).join(lab.admin()).boot()) {
                assertEquals(200, pc.get(mp.url("server1.internal.contoso.com", "/"), null).status());
                lab.network().alias("iis99.contoso.com", "iis01.contoso.com");
                HttpsResult refused = pc.get(mp.url("iis99.contoso.com", "/"), null);
                assertEquals(WindowsError.CERT_E_CN_NO_MATCH, refused.trustFailure().reason(), refused.failure());
            }
        } finally {
            mp.sslSettings(ClientCertificates.REQUIRE);
        }
    }

    @Test
    void autoenrolledClientReachesTheManagementPointUntilItsCertificateIsRevoked() {
        try (DomainComputer pc = new DomainComputer(lab.computer("PC21")).join(lab.admin()).boot()) {
            StoredCertificate client = pc.clientAuthenticationCertificate().orElseThrow(() -> new AssertionError(pc.eventLog().toString()));
            String mpUrl = mp.url("server1.internal.contoso.com", "/SMS_MP/.sms_aut?MPLIST");
            HttpsResult ok = pc.get(mpUrl, client);
            assertEquals(200, ok.status(), ok.failure());
            assertTrue(ok.body().contains("<Caller>"), ok.body());
            assertTrue(mp.managementPointCallers().stream().anyMatch(c -> c.startsWith("pc21.contoso.com")),
                    "the MP reports which client called: " + mp.managementPointCallers());

            HttpsResult anonymous = pc.get(mpUrl, null);
            assertFalse(anonymous.connected(), "the management point requires a client certificate");

            lab.ca().revoke(client.certificate().getSerialNumber(), RevocationReason.KEY_COMPROMISE, "CONTOSO\\Administrator");
            assertEquals(200, pc.get(mpUrl, client).status(), "the MP still holds the old CRL until it refreshes");
            mp.crlCache().clear();
            HttpsResult revoked = pc.get(mpUrl, client);
            assertFalse(revoked.connected(), "refused once the management point has the new CRL");
        }
    }

    @Test
    void clientWithoutTheGpoGetsNoCertificateAndCannotReachTheManagementPoint() {
        lab.admin().groupPolicy().unlinkGpo(gpo, lab.dc().names().domain());
        try (DomainComputer pc = new DomainComputer(lab.computer("PC22")).join(lab.admin()).boot()) {
            assertTrue(pc.clientAuthenticationCertificate().isEmpty(), pc.eventLog().toString());
        } finally {
            lab.admin().groupPolicy().linkGpo(gpo, lab.dc().names().domain());
        }
    }

    @Test
    void distributionPointAuthenticatesWithTheImportedPfx(@TempDir Path dir) {
        try (IisServer dp = new IisServer(lab.computer("DP01")).join(lab.admin())) {
            lab.admin().usersAndComputers().addMember("ConfigMgr IIS Servers", "DP01$");
            dp.boot();
            StoredCertificate dpCert = dp.requestCertificate(CertificateRequest.forTemplate("ConfigMgr Client Distribution Point Certificate"));
            dp.exportPfx(dpCert.thumbprint(), PFX_PASSWORD, dir.resolve("dp.pfx"));
            dp.personal().remove(dpCert.thumbprint());
            StoredCertificate imported = dp.installDistributionPoint(dir.resolve("dp.pfx"), PFX_PASSWORD);
            assertEquals(dpCert.thumbprint(), imported.thumbprint());
            HttpsResult status = dp.reportStatusTo(mp, "server1.internal.contoso.com");
            assertEquals(200, status.status(), status.failure());
            assertTrue(mp.managementPointCallers().stream().anyMatch(c -> c.contains("dp01.contoso.com")), mp.managementPointCallers().toString());
        }
    }

    @Test
    void cloudDistributionPointServesHttpsUnderItsServiceName(@TempDir Path dir) {
        try (DomainComputer site = new DomainComputer(lab.computer("SITE01")).join(lab.admin());
             IisServer cloud = new IisServer(lab.computer("CLOUD01")).join(lab.admin())) {
            lab.admin().usersAndComputers().addMember("ConfigMgr Site Servers", "SITE01$");
            site.boot();
            cloud.boot();
            StoredCertificate service = site.requestCertificate(CertificateRequest.forTemplate("ConfigMgr Cloud-Based Distribution Point Certificate")
                    .commonName("clouddp1.contoso.com"));
            site.exportPfx(service.thumbprint(), PFX_PASSWORD, dir.resolve("clouddp.pfx"));
            cloud.installCloudDistributionPoint("clouddp1.contoso.com", dir.resolve("clouddp.pfx"), PFX_PASSWORD);
            HttpsResult served = site.get(cloud.url("clouddp1.contoso.com", "/"), null);
            assertEquals(200, served.status(), served.failure());
        }
    }

    @Test
    void aWindows2008TemplateCertificateIsRefusedByTheRoles() {
        lab.admin().templates().duplicate("Web Server", "Lab CNG Web Server", TemplateCompatibility.WINDOWS_2008_SERVER_ENTERPRISE);
        lab.admin().security().allow("Lab CNG Web Server", "ConfigMgr IIS Servers", AccessRight.READ, AccessRight.ENROLL);
        lab.ca().issueTemplate("Lab CNG Web Server");
        try (IisServer iis = new IisServer(lab.computer("IIS05")).join(lab.admin())) {
            lab.admin().usersAndComputers().addMember("ConfigMgr IIS Servers", "IIS05$");
            iis.boot();
            StoredCertificate cng = iis.requestCertificate(CertificateRequest.forTemplate("Lab CNG Web Server").dnsNames("iis05.contoso.com"));
            assertEquals(StoredCertificate.KeyStorage.CNG_KSP, cng.keyStorage());
            iis.bindHttps(cng.thumbprint());
            IllegalStateException refused = assertThrows(IllegalStateException.class, iis::installManagementPoint);
            assertTrue(refused.getMessage().contains("Windows 2008 Server, Enterprise Edition"), refused.getMessage());
            assertNotEquals(null, iis.boundThumbprint());
        }
    }
}
