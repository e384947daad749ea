package org.pkilab.ca;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.SQLException;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CA database's transaction log: what a CA killed between answering and applying left in
 * {@code ca.log} is in the tables when it starts again, a torn last entry is cut, and entries applied
 * before the kill are not applied twice. (The whole-process kill -9 test is in the scenarios module.)
 */
class CaDatabaseLogTest {

    private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");

    @Test
    void requestsLeftInTheLogAreInTheTablesWhenTheCaStartsAgain(@TempDir Path data) throws Exception {
        try (RequestLog log = RequestLog.open(data.resolve("ca.log"))) {
            for (int id = 1; id <= 3; id++) {
                log.append(issued(id, BigInteger.valueOf(1000 + id)), "hash" + id);
            }
        }
        // a process killed in the middle of its next write leaves part of an entry behind
        Files.write(data.resolve("ca.log"), new byte[]{0, 0, 4, 0, 1, 2, 3, 4, 5, 6}, StandardOpenOption.APPEND);

        try (CaDatabase db = CaDatabase.open(data.resolve("ca.db"))) {
            assertEquals(3, db.count(), "the three complete entries are applied, the torn one is not");
            for (int id = 1; id <= 3; id++) {
                RequestRecord r = db.byId(id).orElseThrow(() -> new AssertionError("request lost"));
                assertEquals(BigInteger.valueOf(1000 + id), r.serial());
                assertArrayEquals(certificate(1000 + id), r.certificate());
            }
            assertEquals(4, db.insert(issued(0, BigInteger.valueOf(2000)), "hash4").requestId(), "request ids continue after the log's");
        }
        assertEquals(0, Files.size(data.resolve("ca.log")), "a CA that stops cleanly leaves an empty log");
    }

    @Test
    void aDamagedEntryFollowedByWholeOnesStopsTheCaAndLosesNothing(@TempDir Path data) throws Exception {
        Path file = data.resolve("ca.log");
        long secondEntry;
        try (RequestLog log = RequestLog.open(file)) {
            log.append(issued(1, BigInteger.valueOf(1001)), "hash1");
            secondEntry = log.size();
            for (int id = 2; id <= 20; id++) {
                log.append(issued(id, BigInteger.valueOf(1000 + id)), "hash" + id);
            }
        }
        byte[] bytes = Files.readAllBytes(file);
        bytes[(int) secondEntry + 40] ^= 0x01; // one bit flipped inside the second entry
        Files.write(file, bytes);

        SQLException refused = assertThrows(SQLException.class, () -> CaDatabase.open(data.resolve("ca.db")).close());
        assertTrue(refused.getMessage().contains(file.toString()) && refused.getMessage().contains("damaged at byte " + secondEntry)
                && refused.getMessage().contains("truncate -s " + secondEntry), refused.getMessage());
        assertArrayEquals(bytes, Files.readAllBytes(file), "the log is left as it was found: nothing confirmed is cut");
    }

    @Test
    void aFullDiskRefusesRequestsPlainlyAndTheDatabaseGoesOnOnceThereIsRoom(@TempDir Path folder) throws Exception {
        Path disk = folder.resolve("disk");
        Files.createDirectories(disk);
        org.pkilab.testing.ExternalTool.Result mount = org.pkilab.testing.ExternalTool.run(null, java.util.Map.of(), null,
                "mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", disk.toString());
        assertEquals(0, mount.exit(), "this test mounts a 4 MB tmpfs as a disk that fills up; it needs root, as CI runs: " + mount);
        try (CaDatabase db = CaDatabase.open(disk.resolve("ca.db"))) {
            db.insert(issued(0, BigInteger.valueOf(1)), "before");
            assertEquals(1, db.count());
            Path filler = disk.resolve("filler");
            try (java.io.OutputStream out = Files.newOutputStream(filler)) {
                byte[] block = new byte[4096];
                while (true) {
                    out.write(block);
                }
            } catch (java.io.IOException full) {
                assertTrue(String.valueOf(full.getMessage()).contains("No space left"), full.toString());
            }
            // room for a few log entries but not for the tables' pages: the background writer meets the full disk first
            try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(filler, StandardOpenOption.WRITE)) {
                channel.truncate(channel.size() - 24 * 1024);
            }
            SQLException refused = null;
            for (int i = 0; i < 200 && refused == null; i++) { // until the log's last page has no room left
                try {
                    db.insert(issued(0, BigInteger.valueOf(100 + i)), "while-full-" + i);
                    db.count(); // reads apply what is logged, so the tables are written too
                } catch (SQLException e) {
                    refused = e;
                }
            }
            assertTrue(refused instanceof CaDatabase.StorageFullException, "a full disk is refused as such: " + refused);
            assertTrue(refused.getMessage().contains("the disk holding " + disk) && refused.getMessage().contains("free space"),
                    refused.getMessage());

            Thread.sleep(300); // the background writer has met the full disk too
            Files.delete(filler);
            RequestRecord after = db.insert(issued(0, BigInteger.valueOf(999)), "after");
            assertEquals(BigInteger.valueOf(999), db.byId(after.requestId()).orElseThrow().serial(), "without a restart, once there is room");
            assertEquals(BigInteger.valueOf(999), db.bySerial(BigInteger.valueOf(999)).orElseThrow().serial());
        } finally {
            org.pkilab.testing.ExternalTool.run(null, java.util.Map.of(), null, "umount", "-l", disk.toString());
        }
    }

    @Test
    void entriesAppliedBeforeTheKillAreNotAppliedTwice(@TempDir Path data) throws Exception {
        try (CaDatabase db = CaDatabase.open(data.resolve("ca.db"))) {
            db.insert(issued(0, BigInteger.valueOf(11)), "a");
            db.insert(issued(0, BigInteger.valueOf(12)), "b");
        }
        // killed after the writer committed them but before it emptied the log
        try (RequestLog log = RequestLog.open(data.resolve("ca.log"))) {
            log.append(issued(1, BigInteger.valueOf(11)), "a");
            log.append(issued(2, BigInteger.valueOf(12)), "b");
            log.append(issued(3, BigInteger.valueOf(13)), "c");
        }
        try (CaDatabase db = CaDatabase.open(data.resolve("ca.db"))) {
            assertEquals(3, db.count());
            assertEquals(BigInteger.valueOf(13), db.byId(3).orElseThrow().serial());
        }
    }

    @Test
    void aSerialAlreadyIssuedIsRefusedBeforeItReachesTheTables(@TempDir Path data) throws Exception {
        try (CaDatabase db = CaDatabase.open(data.resolve("ca.db"))) {
            db.insert(issued(0, new BigInteger("4f2a9c0e11d3b7a85e60c4f1a2b3c4d5", 16)), "a");
            SQLException twice = assertThrows(SQLException.class,
                    () -> db.insert(issued(0, new BigInteger("4f2a9c0e11d3b7a85e60c4f1a2b3c4d5", 16)), "b"));
            assertTrue(twice.getMessage().contains("UNIQUE"), twice.getMessage());
        }
        try (CaDatabase db = CaDatabase.open(data.resolve("ca.db"))) {
            assertThrows(SQLException.class, () -> db.insert(issued(0, new BigInteger("4f2a9c0e11d3b7a85e60c4f1a2b3c4d5", 16)), "c"),
                    "after a restart too");
            assertEquals(1, db.count());
        }
    }

    @Test
    void askingAgainFindsARequestStillInTheLog(@TempDir Path data) throws Exception {
        try (CaDatabase db = CaDatabase.open(data.resolve("ca.db"))) {
            RequestRecord first = db.insert(issued(0, BigInteger.valueOf(77)), "same-csr");
            RequestRecord found = db.byCsr("CONTOSO\\IIS01$", "same-csr").orElseThrow(() -> new AssertionError("not found"));
            assertEquals(first.requestId(), found.requestId());
            assertTrue(db.byCsr("CONTOSO\\CLIENT01$", "same-csr").isEmpty(), "another requester's request is not theirs");
        }
    }

    @Test
    void aDatabaseAndALogFromBeforeArrivalsWereRecordedOpenAndTheirRowsReadAsDirect(@TempDir Path data) throws Exception {
        try (java.sql.Connection old = java.sql.DriverManager.getConnection("jdbc:sqlite:" + data.resolve("ca.db"));
             java.sql.Statement s = old.createStatement()) {
            s.execute("CREATE TABLE requests (request_id INTEGER PRIMARY KEY, requester TEXT NOT NULL, requester_dn TEXT NOT NULL,"
                    + " template TEXT NOT NULL, status TEXT NOT NULL, disposition_code INTEGER NOT NULL, disposition_message TEXT NOT NULL,"
                    + " serial TEXT UNIQUE, subject TEXT, certificate BLOB, csr BLOB NOT NULL, csr_sha256 TEXT NOT NULL,"
                    + " submitted_at INTEGER NOT NULL, resolved_at INTEGER, not_before INTEGER, not_after INTEGER, revoked_at INTEGER,"
                    + " revocation_reason INTEGER)");
            s.execute("INSERT INTO requests VALUES (1, 'CONTOSO\\IIS01$', 'CN=IIS01', 'WebServer', 'ISSUED', 0, 'Issued', '3e9', 'CN=a',"
                    + " x'00', x'3003020101', 'hash1', 0, 0, 0, 0, NULL, NULL)");
        }
        // an entry as a CA from before wrote it: everything up to notAfter, no arrival after it
        RequestRecord logged = issued(2, BigInteger.valueOf(1002));
        try (RequestLog log = RequestLog.open(data.resolve("ca.log"))) {
            log.append(logged, "hash2");
        }
        byte[] entry = Files.readAllBytes(data.resolve("ca.log"));
        int cut = entry.length - 4 - "DIRECT".length();
        byte[] body = java.util.Arrays.copyOfRange(entry, 8, cut);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(body);
        Files.write(data.resolve("ca.log"), java.nio.ByteBuffer.allocate(8 + body.length).putInt(body.length).putInt((int) crc.getValue())
                .put(body).array());

        try (CaDatabase db = CaDatabase.open(data.resolve("ca.db"))) {
            assertEquals(RequestRecord.Arrival.DIRECT, db.byId(1).orElseThrow().arrival(), "a row from before reads as sent directly");
            assertEquals(RequestRecord.Arrival.DIRECT, db.byId(2).orElseThrow().arrival(), "a log entry from before too");
            RequestRecord ndes = new RequestRecord(0, "CONTOSO\\CA01$", "CN=CA01", "IPSECIntermediateOffline", RequestStatus.ISSUED, 0,
                    "Issued", BigInteger.valueOf(3003), "CN=router", certificate(3003), new byte[]{0x30, 0x03, 0x02, 0x01, 0x01}, NOW, NOW, NOW,
                    NOW.plusSeconds(86_400), null, null, RequestRecord.Arrival.NDES);
            long id = db.insert(ndes, "hash3").requestId();
            assertEquals(RequestRecord.Arrival.NDES, db.byId(id).orElseThrow().arrival());
        }
        try (CaDatabase db = CaDatabase.open(data.resolve("ca.db"))) {
            assertEquals(RequestRecord.Arrival.NDES, db.byId(3).orElseThrow().arrival(), "kept in the tables across a restart");
        }
    }

    private static RequestRecord issued(long id, BigInteger serial) {
        return new RequestRecord(id, "CONTOSO\\IIS01$", "CN=IIS01,CN=Computers,DC=contoso,DC=com", "WebServer",
                RequestStatus.ISSUED, 0, "Issued", serial, "CN=server1.internal.contoso.com", certificate(serial.intValue()),
                new byte[]{0x30, 0x03, 0x02, 0x01, 0x01}, NOW, NOW, NOW, NOW.plusSeconds(86_400), null, null);
    }

    private static byte[] certificate(long id) {
        return ("certificate " + id).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
