package org.pkilab.lab;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.admin.CaAdminClient;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.CertificateMappingSettings;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.host.CertificateRequest;
import org.pkilab.host.DomainComputer;
import org.pkilab.host.StoredCertificate;
import org.pkilab.pki.KeyFiles;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ESC1 end to end with the tools a student uses, none of them the lab's: a certificate for Administrator that a
 * computer obtained through an ESC1 template, exported as a PFX by the Certificate Export Wizard, split by
 * {@code openssl pkcs12}, and presented by OpenLDAP's {@code ldapwhoami -Y EXTERNAL} over LDAPS, which the DC
 * answers {@code u:CONTOSO\Administrator}. After the fix and with Full Enforcement, a certificate that names the
 * Administrator by UPN alone (no SID extension, no SID URL) is refused with KDC event 39.
 *
 * <p>As {@code DomainControllerCertificateTest}, each tool runs in a mount namespace whose {@code /etc/hosts} names
 * {@code dc01.contoso.com} 127.0.0.1 (root, as CI runs), and trusts the enterprise root alone.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CertificateLogonToolsTest {

    private static final String PFX_PASSWORD = "Export-Passw0rd!";
    @TempDir
    static Path folder;
    private static Lab lab;
    private static Path hosts;
    private static DomainComputer pc01;

    @BeforeAll
    static void start() throws Exception {
        lab = Lab.start(LabSpec.builder().client("PC01").build());
        Files.writeString(folder.resolve("root.pem"), KeyFiles.pem(lab.ca().certificate()));
        hosts = folder.resolve("hosts");
        Files.writeString(hosts, "127.0.0.1 localhost\n127.0.0.1 " + lab.dc().fqdn() + "\n");
        DirectoryAdmin admin = lab.admin();
        CertificateTemplate esc1 = admin.templates().duplicate("Web Server", "ESC1 Web", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        admin.templates().setExtendedKeyUsages(esc1.name(), List.of(CertificateTemplate.OID_SERVER_AUTHENTICATION,
                CertificateTemplate.OID_CLIENT_AUTHENTICATION));
        admin.templates().setExportableKey(esc1.name(), true);
        admin.security().allow(esc1.name(), "Domain Computers", AccessRight.ENROLL);
        CaAdminClient.connect(admin, lab.ca().name(), "127.0.0.1", lab.dc().administratorDn(), lab.password()).issueTemplate(esc1.name());
        // a day later: a certificate is backdated 10 minutes, so one issued as the forest is made predates every account (event 40)
        lab.clock().advance(java.time.Duration.ofDays(1));
        pc01 = lab.restart("PC01");
    }

    @AfterAll
    static void stop() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    @Order(1)
    void anEsc1CertificateLogsOnAsAdministratorWithLdapwhoami() throws Exception {
        String sid = lab.admin().usersAndComputers().sidOf("Administrator").toString();
        StoredCertificate forged = pc01.requestCertificate(CertificateRequest.forTemplate("ESC1 Web").commonName("pc01.contoso.com")
                .upn("administrator@contoso.com").sid(sid));
        Result whoami = ldapwhoami(pem(forged, "forged"));
        assertEquals(0, whoami.exit(), "ldapwhoami -Y EXTERNAL with the ESC1 certificate: " + whoami);
        assertEquals("u:CONTOSO\\Administrator", whoami.out().trim(), whoami.toString());
    }

    @Test
    @Order(2)
    void afterTheFixAndFullEnforcementACertificateWithoutTheSidIsRefused() throws Exception {
        StoredCertificate upnOnly = pc01.requestCertificate(CertificateRequest.forTemplate("ESC1 Web").commonName("pc01.contoso.com")
                .upn("administrator@contoso.com"));
        Path files = pem(upnOnly, "upn-only");
        lab.dc().certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT.withEnforcement(1));
        Result compatibility = ldapwhoami(files);
        assertEquals(0, compatibility.exit(), "Compatibility mode takes the weak UPN mapping of a certificate newer than the account: "
                + compatibility);
        assertEquals("u:CONTOSO\\Administrator", compatibility.out().trim(), compatibility.toString());

        lab.admin().templates().setExtendedKeyUsages("ESC1 Web", List.of(CertificateTemplate.OID_SERVER_AUTHENTICATION,
                CertificateTemplate.OID_CLIENT_AUTHENTICATION));
        lab.admin().templates().setSubjectNameMode("ESC1 Web", CertificateTemplate.SubjectNameMode.BUILD_FROM_ACTIVE_DIRECTORY);
        lab.dc().certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        Result refused = ldapwhoami(files);
        assertTrue(refused.exit() != 0, "Full Enforcement refuses a certificate without the SID: " + refused);
        assertTrue(refused.err().contains("Invalid credentials (49)") && refused.err().contains("data 52e"), refused.toString());
        assertTrue(refused.err().contains("event 39"), "the refusal names the KDC's event: " + refused);
    }

    /** The certificate exported as a PFX by the Export Wizard, split into PEM files by openssl pkcs12. */
    private static Path pem(StoredCertificate certificate, String name) throws Exception {
        Path pfx = folder.resolve(name + ".pfx");
        pc01.exportPfx(certificate.thumbprint(), PFX_PASSWORD.toCharArray(), pfx);
        Path dir = Files.createDirectories(folder.resolve(name));
        for (List<String> split : List.of(List.of("-clcerts", "-nokeys", "-out", dir.resolve("cert.pem").toString()),
                List.of("-nocerts", "-nodes", "-out", dir.resolve("key.pem").toString()))) {
            List<String> line = new ArrayList<>(List.of("openssl", "pkcs12", "-in", pfx.toString(), "-passin", "pass:" + PFX_PASSWORD));
            line.addAll(split);
            Result result = ExternalTool.run(folder, Map.of(), null, line.toArray(new String[0]));
            assertEquals(0, result.exit(), "openssl pkcs12 " + split + ": " + result);
        }
        return dir;
    }

    /** ldapwhoami over LDAPS with the certificate in {@code files}, trusting the enterprise root alone. */
    private static Result ldapwhoami(Path files) throws Exception {
        List<String> line = new ArrayList<>(List.of("env", "-u", "LDAPTLS_REQCERT", "-u", "LDAPTLS_CACERTDIR",
                "LDAPTLS_CACERT=" + folder.resolve("root.pem"), "LDAPTLS_CERT=" + files.resolve("cert.pem"),
                "LDAPTLS_KEY=" + files.resolve("key.pem"), "unshare", "--mount", "sh", "-c",
                "mount --bind \"$0\" /etc/hosts && exec \"$@\"", hosts.toString(),
                "ldapwhoami", "-H", "ldaps://" + lab.dc().fqdn() + ":" + lab.dc().ldapsPort(), "-Y", "EXTERNAL", "-Q"));
        Result result = ExternalTool.run(folder, Map.of(), null, line.toArray(new String[0]));
        assertTrue(!result.err().contains("mount:") && !result.err().contains("unshare:"),
                "this test gives ldapwhoami a private /etc/hosts naming " + lab.dc().fqdn() + "; it needs root, as CI runs: " + result);
        return result;
    }
}
