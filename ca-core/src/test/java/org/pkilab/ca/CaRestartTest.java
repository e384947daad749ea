package org.pkilab.ca;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.DomainControllerConfig;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.directory.model.LogonToken;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CaRestartTest {

    private static final String PASSWORD = "Lab-Passw0rd!";

    @Test
    void restartOnTheSameDataKeepsEveryRecordAndSerialsNeverRepeat(@TempDir Path data) {
        try (DomainController dc = DomainController.start(DomainControllerConfig.builder()
                .dataDirectory(data.resolve("dc")).administratorPassword(PASSWORD).build())) {
            CertificationAuthorityConfig config = CertificationAuthorityConfig.builder(dc.names())
                    .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD).dataDirectory(data.resolve("ca")).build();
            LogonToken admin = DomainLogon.logon("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD).token();
            Set<BigInteger> serials = new HashSet<>();
            X509Certificate caCertificate;
            List<RequestRecord> before;
            long lastId;
            try (CertificationAuthority ca = CertificationAuthority.start(config)) {
                caCertificate = ca.certificate();
                for (int i = 0; i < 10; i++) {
                    EnrollmentResult r = ca.submit(EnrollmentRequest.manual(admin, "WebServer", Csrs.request(Csrs.rsa(2048), "CN=www.contoso.com")));
                    assertTrue(r.issued(), String.valueOf(r.decision()));
                    serials.add(r.certificate().getSerialNumber());
                }
                ca.revoke(serials.iterator().next(), RevocationReason.SUPERSEDED, "CONTOSO\\Administrator");
                before = ca.issued();
                lastId = ca.requestCount();
            }
            try (CertificationAuthority ca = CertificationAuthority.start(config)) {
                assertEquals(caCertificate, ca.certificate(), "the CA keeps its key and certificate");
                assertEquals(before.stream().map(RequestRecord::requestId).toList(), ca.issued().stream().map(RequestRecord::requestId).toList());
                assertEquals(1, ca.revoked().size());
                assertTrue(ca.crl(false).getRevokedCertificate(ca.revoked().get(0).serial()) != null, "the CRL still lists it");
                for (int i = 0; i < 10; i++) {
                    EnrollmentResult r = ca.submit(EnrollmentRequest.manual(admin, "WebServer", Csrs.request(Csrs.rsa(2048), "CN=www.contoso.com")));
                    assertTrue(r.requestId() > lastId, "request ids continue: " + r.requestId() + " after " + lastId);
                    assertTrue(serials.add(r.certificate().getSerialNumber()), "serial repeated: " + r.certificate().getSerialNumber());
                }
                assertEquals(20, serials.size());
            }
        }
    }
}
