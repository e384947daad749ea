package org.pkilab.ca;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.DomainControllerConfig;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.pki.KeyFiles;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CA's CMP endpoint as Debian's {@code openssl cmp} sees it, unmodified: first enrollment with a shared secret an
 * administrator issued ({@code -ref/-secret}), {@code cr} and {@code p10cr}, renewal ({@code kur}) and revocation
 * ({@code rr}) signed with the certificate, a request held for a certificate manager that openssl polls for until it is
 * approved, and refusals whose AD CS code shows in openssl's output.
 */
class CmpTest {

    private static final String PASSWORD = "Lab-Passw0rd!";
    private static final String TEMPLATE = "ConfigMgrWebServerCertificate";
    private static final String APPROVAL = "ApprovedWebServer";
    private static DomainController dc;
    private static CertificationAuthority ca;
    private static CaAdministration.CmpSecret iis01;
    private static CaAdministration.CmpSecret web02;

    @BeforeAll
    static void startLab() {
        dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
        ca = CertificationAuthority.start(CertificationAuthorityConfig.builder(dc.names())
                .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD).build());
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", PASSWORD);
            admin.usersAndComputers().createComputer("WEB02", "web02.contoso.com", PASSWORD);
            admin.templates().duplicate("Web Server", "ConfigMgr Web Server Certificate", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
            admin.security().allow("ConfigMgr Web Server Certificate", "IIS01$", AccessRight.READ, AccessRight.ENROLL);
            admin.templates().duplicate("Web Server", "Approved Web Server", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
            admin.templates().setRequiresApproval("Approved Web Server", true);
            admin.security().allow("Approved Web Server", "IIS01$", AccessRight.READ, AccessRight.ENROLL);
        }
        ca.issueTemplate("ConfigMgr Web Server Certificate");
        ca.issueTemplate("Approved Web Server");
        iis01 = ca.issueCmpSecret("IIS01$", "CONTOSO\\Administrator");
        web02 = ca.issueCmpSecret("CONTOSO\\WEB02$", "CONTOSO\\Administrator");
    }

    @AfterAll
    static void stopLab() {
        ca.close();
        dc.close();
    }

    private static Result openssl(Path dir, String template, String... more) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl", "cmp", "-server", "127.0.0.1:" + ca.httpPort(),
                "-path", CmpAdapter.PATH + (template == null ? "" : "/p/" + template)));
        command.addAll(List.of(more));
        return ExternalTool.run(dir, Map.of(), null, command.toArray(String[]::new));
    }

    private static void key(Path dir, String name) throws Exception {
        Result key = ExternalTool.run(dir, Map.of(), null, "openssl", "genrsa", "-out", name, "2048");
        assertEquals(0, key.exit(), key.toString());
    }

    private static X509Certificate certificate(Path file) throws Exception {
        return KeyFiles.certificate(Files.readAllBytes(file));
    }

    @Test
    void irWithTheSharedSecretIssuesAndTheCertificateIsRecordedForTheAccount(@TempDir Path dir) throws Exception {
        key(dir, "key.pem");
        Result ir = openssl(dir, TEMPLATE, "-cmd", "ir", "-ref", iis01.reference(), "-secret", "pass:" + iis01.secret(),
                "-newkey", "key.pem", "-subject", "/CN=iis01.contoso.com", "-sans", "iis01.contoso.com",
                "-certout", "iis01.pem", "-cacertsout", "capubs.pem");
        assertEquals(0, ir.exit(), "openssl cmp -cmd ir for IIS01$ on " + TEMPLATE + ": " + ir);
        X509Certificate issued = certificate(dir.resolve("iis01.pem"));
        assertEquals(ca.certificate(), certificate(dir.resolve("capubs.pem")), "the ip's caPubs: the CA certificate");
        RequestRecord row = ca.bySerial(issued.getSerialNumber()).orElseThrow();
        assertEquals("CONTOSO\\IIS01$", row.requester(), "the requester recorded in " + ca.name() + "'s database");
        assertEquals(TEMPLATE, row.template());
    }
}
