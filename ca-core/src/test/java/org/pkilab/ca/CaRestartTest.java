package org.pkilab.ca;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.DomainControllerConfig;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.directory.model.LogonToken;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
            X509Certificate responder;
            List<RequestRecord> before;
            long lastId;
            try (CertificationAuthority ca = CertificationAuthority.start(config)) {
                caCertificate = ca.certificate();
                responder = ca.ocspSigningCertificate();
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
                assertEquals(responder, ca.ocspSigningCertificate(), "the Online Responder keeps its OCSP Response Signing certificate");
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

    @Test
    void theCasDatabaseLogAndKeysAreReadableByTheLabsAccountOnly(@TempDir Path data) throws Exception {
        assumeTrue(Files.getFileStore(data).supportsFileAttributeView(java.nio.file.attribute.PosixFileAttributeView.class), "POSIX file modes");
        Path folder = data.resolve("ca");
        try (DomainController dc = DomainController.start(DomainControllerConfig.builder()
                .dataDirectory(data.resolve("dc")).administratorPassword(PASSWORD).build())) {
            CertificationAuthorityConfig config = CertificationAuthorityConfig.builder(dc.names())
                    .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD).dataDirectory(folder).build();
            try (CertificationAuthority ca = CertificationAuthority.start(config)) {
                assertTrue(Files.exists(folder.resolve("ca.db")) && Files.exists(folder.resolve("ca.log")), "the CA keeps ca.db and ca.log");
                assertEquals(List.of(), notOwnerOnly(folder), "after the CA's first start");
            }
            // a folder kept by a lab from before: readable by everyone
            try (Stream<Path> paths = Files.walk(folder)) {
                for (Path path : paths.toList()) {
                    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(Files.isDirectory(path) ? "rwxr-xr-x" : "rw-r--r--"));
                }
            }
            try (CertificationAuthority ca = CertificationAuthority.start(config)) {
                assertEquals(List.of(), notOwnerOnly(folder), "after a start on a folder everyone could read");
            }
        }
    }

    /** The files not 0600 and folders not 0700 under {@code folder} (itself included), with their modes. */
    private static List<String> notOwnerOnly(Path folder) throws IOException {
        List<String> loose = new ArrayList<>();
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path p : paths.filter(p -> !Files.isSymbolicLink(p)).toList()) {
                String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
                if (!mode.equals(Files.isDirectory(p) ? "rwx------" : "rw-------")) {
                    loose.add(folder.relativize(p) + " " + mode);
                }
            }
        }
        return loose;
    }
}
