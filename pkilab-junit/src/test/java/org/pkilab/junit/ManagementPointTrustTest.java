package org.pkilab.junit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.pkilab.ca.CertificationAuthority;
import org.pkilab.ca.RevocationReason;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.host.DomainComputer;
import org.pkilab.host.HttpsResult;
import org.pkilab.host.StoredCertificate;
import org.pkilab.iis.IisServer;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The trust regression test a Configuration Manager team keeps next to its site's PKI settings: the
 * site's setup lives in {@code management-point.yaml} (the web server and client certificate templates,
 * the autoenrollment GPO, IIS01 as an HTTPS management point), and these tests say what must stay true
 * whenever someone edits it: clients autoenroll a client certificate, reach the management point with
 * it over mutual TLS, and are refused without one or once it is revoked.
 */
class ManagementPointTrustTest {

    private static final String CLIENT_TEMPLATE = "ConfigMgr Client Certificate";
    private static final String MP_LIST = "/SMS_MP/.sms_aut?MPLIST";

    @RegisterExtension
    static final LabExtension LAB = LabExtension.builder()
            .scenario(Path.of("src", "test", "resources", "management-point.yaml"))
            .client("PC02") // revoked below; the CA's revocations outlive the directory restore between tests
            .build();

    @Test
    void clientsAutoenrollTheClientCertificateAtFirstBoot(@Host("PC01") DomainComputer pc01, DirectoryAdmin admin) {
        StoredCertificate certificate = clientCertificate(pc01, admin);
        assertEquals(CLIENT_TEMPLATE, certificate.certificateTemplate());
        assertTrue(certificate.intendedPurposes().contains("Client Authentication"),
                "PC01's certificate has Intended Purposes " + certificate.intendedPurposes());
    }

    @Test
    void clientReachesTheManagementPointOverMutualTls(@Host("PC01") DomainComputer pc01, IisServer mp, DirectoryAdmin admin) {
        HttpsResult result = pc01.get(mp.url("server1.internal.contoso.com", MP_LIST), clientCertificate(pc01, admin));

        assertTrue(result.connected(), "PC01 -> " + mp.name() + ": " + result.failure() + "; SChannel: " + mp.clientCertificateRejections());
        assertEquals(200, result.status());
        List<String> callers = mp.managementPointCallers();
        assertTrue(callers.get(callers.size() - 1).startsWith(pc01.fqdn() + " "),
                "the management point knew the caller by its client certificate: " + callers);
    }

    @Test
    void clientWithoutACertificateIsRefused(@Host("PC01") DomainComputer pc01, IisServer mp) {
        HttpsResult result = pc01.get(mp.url("server1.internal.contoso.com", MP_LIST), null);

        assertFalse(result.connected(), "the management point requires client certificates (HTTP 403.7), yet answered " + result.status());
    }

    @Test
    void revokedClientCertificateIsRefusedOnceTheManagementPointHasTheNewCrl(@Host("PC02") DomainComputer pc02, IisServer mp,
                                                                            CertificationAuthority ca, DirectoryAdmin admin) {
        StoredCertificate certificate = clientCertificate(pc02, admin);
        ca.revoke(certificate.certificate().getSerialNumber(), RevocationReason.KEY_COMPROMISE, "CONTOSO\\Administrator");
        mp.crlCache().clear(); // otherwise it trusts its cached CRL until that CRL's nextUpdate, as IIS does

        HttpsResult result = pc02.get(mp.url("server1.internal.contoso.com", MP_LIST), certificate);

        assertFalse(result.connected(), "PC02's revoked certificate was accepted by " + mp.name());
        List<String> rejections = mp.clientCertificateRejections();
        assertTrue(rejections.get(rejections.size() - 1).contains("CRYPT_E_REVOKED"), "SChannel on " + mp.name() + ": " + rejections);
    }

    private static StoredCertificate clientCertificate(DomainComputer computer, DirectoryAdmin admin) {
        return computer.clientAuthenticationCertificate(admin.templates().get(CLIENT_TEMPLATE).name()).orElseThrow(() -> new AssertionError(
                computer.name() + " holds no valid " + CLIENT_TEMPLATE + " certificate; its event log:\n" + computer.eventLog()));
    }
}
