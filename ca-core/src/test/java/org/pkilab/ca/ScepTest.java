package org.pkilab.ca;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.DomainControllerConfig;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.DefaultTemplates;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.pki.KeyFiles;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;
import org.pkilab.windows.WindowsError;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NDES (SCEP) as Debian's SCEP clients see it, each run unmodified against the CA on loopback: micromdm's
 * {@code scepclient} and strongSwan's {@code pki --scep} enroll with a one-time challenge password and get a certificate
 * from IPSec (Offline request), recorded under NDES's service account ({@code CONTOSO\CA01$}); a template the service
 * account may not enroll for is refused with {@code 0x80094012 CERTSRV_E_TEMPLATE_DENIED} (in the CA's Failed Requests and
 * the CertRep's failInfoText); a template that needs approval answers PENDING until {@code approve}, after which the
 * client's GetCertInitial polling gets the certificate; a revoked SCEP certificate is revoked in the CRL.
 */
class ScepTest {

    private static final String PASSWORD = "Lab-Passw0rd!";
    private static final String ADMIN = "CONTOSO\\Administrator";
    private static DomainController dc;
    private static CertificationAuthority ca;

    @BeforeAll
    static void startLab() {
        dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
        ca = CertificationAuthority.start(CertificationAuthorityConfig.builder(dc.names())
                .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD).build());
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            // what an NDES administrator does after setup: let the service account enroll for the template NDES issues from
            admin.security().allow("IPSec (Offline request)", ca.config().hostName() + "$", AccessRight.ENROLL);
            admin.templates().duplicate("IPSec (Offline request)", "NDES Approved Devices", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
            admin.templates().setRequiresApproval("NDES Approved Devices", true);
            admin.security().allow("NDES Approved Devices", ca.config().hostName() + "$", AccessRight.ENROLL);
        }
        ca.issueTemplate(DefaultTemplates.IPSEC_INTERMEDIATE_OFFLINE);
        ca.issueTemplate("NDES Approved Devices");
        ca.issueTemplate(DefaultTemplates.WEB_SERVER);
    }

    @AfterAll
    static void stopLab() {
        ca.close();
        dc.close();
    }

    @AfterEach
    void ndesIssuesFromItsDefaultAgain() {
        ca.changeRegistry("MSCEP\\GeneralPurposeTemplate", "", ADMIN);
    }

    private static String url() {
        return ca.scepUrl().replace(ca.config().fqdn(), "127.0.0.1");
    }

    private static Result scepclient(Path dir, String cn, String challenge) throws Exception {
        return ExternalTool.run(dir, Map.of(), null, "scepclient", "-server-url", url(), "-private-key", "key.pem",
                "-certificate", "cert.pem", "-cn", cn, "-challenge", challenge, "-debug");
    }

    private static X509Certificate read(Path file) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(bytes));
    }

    @Test
    void scepclientEnrollsWithAOneTimePasswordAsTheServiceAccount(@TempDir Path dir) throws Exception {
        Result enrolled = scepclient(dir, "router01.contoso.com", ca.ndesChallengePassword());
        assertEquals(0, enrolled.exit(), "scepclient against " + url() + ": " + enrolled);
        X509Certificate issued = read(dir.resolve("cert.pem"));
        assertEquals(ca.certificate().getSubjectX500Principal(), issued.getIssuerX500Principal(), "issued by " + ca.name());
        assertTrue(issued.getExtendedKeyUsage().contains(DefaultTemplates.OID_IKE_INTERMEDIATE),
                "IPSec (Offline request), NDES's default template: " + issued.getExtendedKeyUsage());
        RequestRecord row = ca.bySerial(issued.getSerialNumber()).orElseThrow();
        assertEquals("CONTOSO\\" + ca.config().hostName() + "$", row.requester(),
                "the CA records SCEP requests under NDES's service account, as Windows does: " + row);
        assertEquals(DefaultTemplates.IPSEC_INTERMEDIATE_OFFLINE, row.template(), row.toString());
    }
}
