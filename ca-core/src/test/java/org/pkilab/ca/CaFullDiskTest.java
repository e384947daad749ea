package org.pkilab.ca;

import org.pkilab.enrollment.EstAnswer;
import org.pkilab.enrollment.EstClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.DomainControllerConfig;
import org.pkilab.testing.ExternalTool;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CA on a disk that fills up, as an EST client sees it: 503 with Retry-After and the folder named, then
 * issuing again without a restart once there is room. The disk is a small tmpfs (CI runs as root).
 */
class CaFullDiskTest {

    private static final String PASSWORD = "Lab-Passw0rd!";

    @Test
    void aFullDiskIsAnsweredServiceUnavailableAndTheCaIssuesAgainOnceThereIsRoom(@TempDir Path folder) throws Exception {
        Path disk = folder.resolve("disk");
        Files.createDirectories(disk);
        ExternalTool.Result mount = ExternalTool.run(null, Map.of(), null, "mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", disk.toString());
        assertEquals(0, mount.exit(), "this test mounts a 16 MB tmpfs as a disk that fills up; it needs root, as CI runs: " + mount);
        try (DomainController dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
             CertificationAuthority ca = CertificationAuthority.start(CertificationAuthorityConfig.builder(dc.names())
                     .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD).dataDirectory(disk.resolve("ca")).build())) {
            EstClient est = CaHttps.est(ca);
            String administrator = EstClient.basic("Administrator", PASSWORD);
            KeyPair key = Csrs.rsa(2048);
            assertEquals(200, est.simpleEnroll("WebServer", administrator, Csrs.request(key, "CN=before.contoso.com", "before.contoso.com")).status());

            Path filler = disk.resolve("filler");
            fill(filler);
            EstAnswer refused = null;
            for (int i = 0; i < 100 && (refused == null || refused.status() == 200); i++) { // until the log's last page is used up
                refused = est.simpleEnroll("WebServer", administrator, Csrs.request(key, "CN=full" + i + ".contoso.com", "full" + i + ".contoso.com"));
            }
            assertEquals(503, refused.status(), "a full disk: " + refused.text());
            assertEquals("60", refused.retryAfter(), "the client is told when to try again");
            assertTrue(refused.text().contains("is full") && refused.text().contains(disk.toString()), refused.text());

            Files.delete(filler);
            EstAnswer after = est.simpleEnroll("WebServer", administrator, Csrs.request(key, "CN=after.contoso.com", "after.contoso.com"));
            assertEquals(200, after.status(), "without a restart, once there is room: " + after.text());
        } finally {
            ExternalTool.run(null, Map.of(), null, "umount", "-l", disk.toString());
        }
    }

    private static void fill(Path filler) throws IOException {
        try (OutputStream out = Files.newOutputStream(filler)) {
            byte[] block = new byte[4096];
            while (true) {
                out.write(block);
            }
        } catch (IOException full) {
            assertTrue(String.valueOf(full.getMessage()).contains("No space left"), full.toString());
        }
    }
}
