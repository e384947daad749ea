package org.pkilab.ca;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.DomainControllerConfig;
import org.pkilab.pki.LabClock;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NDES's two RA certificates (CEP Encryption, Exchange Enrollment Agent (Offline request)): issued by the CA to itself
 * for {@code CN=CA01-MSCEP-RA,C=US}, kept across a restart, and renewed with new keys once the templates' six-week
 * renewal period before their two years run out begins by the lab clock.
 */
class NdesRaCertificatesTest {

    private static final String PASSWORD = "Lab-Passw0rd!";

    @Test
    void theRaCertificatesAreKeptAcrossARestartAndRenewedInTheirLastSixWeeks(@TempDir Path data) {
        LabClock clock = new LabClock();
        try (DomainController dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).clock(clock).build())) {
            CertificationAuthorityConfig config = CertificationAuthorityConfig.builder(dc.names())
                    .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD).dataDirectory(data).clock(clock).build();
            List<X509Certificate> first;
            try (CertificationAuthority ca = CertificationAuthority.start(config)) {
                first = ca.ndesRaCertificates();
                assertEquals("CN=CA01-MSCEP-RA,C=US", first.get(0).getSubjectX500Principal().getName(), "NDES's default RA name");
                assertTrue(first.get(0).getKeyUsage()[2] && !first.get(0).getKeyUsage()[0], "CEP Encryption: key encipherment alone");
                assertTrue(first.get(1).getKeyUsage()[0] && !first.get(1).getKeyUsage()[2], "Exchange Enrollment Agent (Offline request): "
                        + "digital signature alone");
                assertEquals("CONTOSO\\CA01$", ca.bySerial(first.get(0).getSerialNumber()).orElseThrow().requester(),
                        "recorded as the CA host's own request");
            }
            try (CertificationAuthority again = CertificationAuthority.start(config)) {
                assertEquals(first, again.ndesRaCertificates(), "the CA started again keeps NDES's RA certificates from its data folder");
                clock.advance(Duration.ofDays(730 - 43));
                assertEquals(first, again.ndesRaCertificates(), "six weeks and a day before they expire: the same ones");
                clock.advance(Duration.ofDays(2));
                List<X509Certificate> renewed = again.ndesRaCertificates();
                for (int i = 0; i < 2; i++) {
                    assertNotEquals(first.get(i).getSerialNumber(), renewed.get(i).getSerialNumber(), "renewed in the last six weeks: " + renewed.get(i));
                    assertNotEquals(first.get(i).getPublicKey(), renewed.get(i).getPublicKey(), "with a new key");
                }
            }
        }
    }
}
