package org.pkilab.ca;

import org.junit.jupiter.api.Test;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.DomainControllerConfig;
import org.pkilab.pki.LabClock;

import java.security.cert.X509Certificate;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Online Responder's OCSP Response Signing certificate is renewed in its last two days by the lab clock, with a
 * new key, and never used after it expires.
 */
class ResponderRenewalTest {

    private static final String PASSWORD = "Lab-Passw0rd!";

    @Test
    void theSigningCertificateIsRenewedOnceItsRenewalPeriodBegins() {
        LabClock clock = new LabClock();
        try (DomainController dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).clock(clock).build());
             CertificationAuthority ca = CertificationAuthority.start(CertificationAuthorityConfig.builder(dc.names())
                     .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD).clock(clock).build())) {
            X509Certificate first = ca.ocspSigningCertificate();
            clock.advance(Duration.ofDays(11));
            assertEquals(first.getSerialNumber(), ca.ocspSigningCertificate().getSerialNumber(), "day 11 of 14: the same certificate");
            clock.advance(Duration.ofDays(1).plusHours(1));
            X509Certificate renewed = ca.ocspSigningCertificate();
            assertNotEquals(first.getSerialNumber(), renewed.getSerialNumber(), "in the last two days of " + ca.config().caName()
                    + "'s OCSP Response Signing certificate it is renewed");
            assertNotEquals(first.getPublicKey(), renewed.getPublicKey(), "with a new key");
            assertTrue(renewed.getNotAfter().toInstant().isAfter(clock.instant().plus(Duration.ofDays(13))), "valid two weeks from now");
        }
    }
}
