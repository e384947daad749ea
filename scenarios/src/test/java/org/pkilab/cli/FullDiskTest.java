package org.pkilab.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code pkilab up} on a disk that fills up: a write the DC refuses (LDAP 80, disk full) never happened, and
 * a write it confirms after space came back survives SIGKILL. The disk is a small tmpfs mounted for the test
 * (CI runs as root); the writes and reads are OpenLDAP's {@code ldapmodify} and {@code ldapsearch}.
 */
class FullDiskTest {

    @TempDir
    Path folder;
    private Path disk;

    @BeforeEach
    void mountSmallDisk() throws Exception {
        disk = folder.resolve("disk");
        Files.createDirectories(disk);
        Result mount = ExternalTool.run(null, Map.of(), null, "mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", disk.toString());
        assertEquals(0, mount.exit(), "this test mounts a 48 MB tmpfs as a disk that fills up; it needs root, as CI runs: " + mount);
    }

    @AfterEach
    void unmount() throws Exception {
        ExternalTool.run(null, Map.of(), null, "umount", "-l", disk.toString());
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void aWriteRefusedForAFullDiskNeverHappensAndOneConfirmedAfterSpaceReturnsSurvivesSigkill() throws Exception {
        Path data = disk.resolve("lab");
        Path filler = disk.resolve("filler");
        LabProcess lab = LabProcess.up(data);
        try {
            LabProcess.Endpoints up = ready(lab);
            assertEquals(0, describe(up, "before the disk filled").exit());

            fill(filler);
            // larger than the page a journal's last record may leave free, so the record needs space the disk has not
            String whileFull = "while the disk was full " + "x".repeat(16_384);
            // another entry than the write that follows, so nothing that write does can hide this one
            String domainAdmins = "CN=Domain Admins," + up.administratorDn().substring(up.administratorDn().indexOf(',') + 1);
            String before = read(up, domainAdmins, "description");
            Result refused = change(up, domainAdmins, "description", whileFull);
            assertNotEquals(0, refused.exit(), "ldapmodify on a full disk was confirmed: " + refused);
            assertTrue(refused.err().contains("Other (e.g., implementation specific) error (80)") && refused.err().contains("is full"),
                    "refused as LDAP 80 naming the full disk: " + refused);
            assertEquals("before the disk filled", description(up), "the description stays");
            assertEquals(before, read(up, domainAdmins, "description"), "a refused write is not served");

            Files.delete(filler);
            assertEquals(0, describe(up, "after space came back").exit());
            assertEquals("after space came back", description(up));

            lab.kill();
            lab = LabProcess.up(data);
            LabProcess.Endpoints again = ready(lab);
            assertEquals("after space came back", description(again), "the write confirmed after space came back survives SIGKILL");
            assertEquals(before, read(again, domainAdmins, "description"), "the refused write did not reach the disk either");
        } finally {
            lab.close();
        }
    }

    private static Result describe(LabProcess.Endpoints lab, String description) throws Exception {
        return change(lab, lab.administratorDn(), "description", description);
    }

    private static Result change(LabProcess.Endpoints lab, String dn, String attribute, String value) throws Exception {
        String change = "dn: " + dn + "\nchangetype: modify\nreplace: " + attribute + "\n" + attribute + ": " + value + "\n";
        return ExternalTool.run(null, Map.of(), change, "ldapmodify", "-x", "-H", lab.ldapUrl(), "-D", lab.administratorDn(),
                "-w", lab.password());
    }

    private static String description(LabProcess.Endpoints lab) throws Exception {
        return read(lab, lab.administratorDn(), "description");
    }

    private static String read(LabProcess.Endpoints lab, String dn, String attribute) throws Exception {
        Result read = ExternalTool.run(null, Map.of(), null, "ldapsearch", "-LLL", "-x", "-o", "ldif-wrap=no", "-H", lab.ldapUrl(),
                "-D", lab.administratorDn(), "-w", lab.password(), "-b", dn, "-s", "base", attribute);
        assertEquals(0, read.exit(), read.toString());
        for (String line : read.out().split("\n")) {
            if (line.startsWith(attribute + ": ")) {
                String value = line.substring((attribute + ": ").length());
                return value.length() <= 80 ? value : value.substring(0, 40) + "... (" + value.length() + " characters)";
            }
        }
        return "";
    }

    /** Writes until the disk refuses another byte. */
    private static void fill(Path filler) throws IOException {
        byte[] block = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(block);
            }
        } catch (IOException full) {
            if (!String.valueOf(full.getMessage()).contains("No space left")) {
                throw full;
            }
        }
        try (OutputStream out = Files.newOutputStream(filler, java.nio.file.StandardOpenOption.APPEND)) {
            for (int i = 0; i < 4096; i++) {
                out.write(0); // the last bytes of the last page
                out.flush();
            }
        } catch (IOException full) {
            // full to the byte
        }
    }

    private static LabProcess.Endpoints ready(LabProcess lab) throws InterruptedException {
        return lab.awaitReady(Duration.ofSeconds(90)).orElseThrow(() -> new AssertionError("pkilab up (pid " + lab.pid()
                + ") was not ready in 90 s; its output:\n" + lab.output()));
    }
}
