package org.pkilab.directory;

import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.SearchResultEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.UsersAndComputers;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.SecurityIdentifier;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A lasting DC's directory as the disk holds it at any moment: what a kill leaves behind is copied while the DC
 * still runs (the lock file aside), and a DC started on the copy must have every write the first one answered.
 */
class DirectoryStoreTest {

    private static final String PASSWORD = "Store-Passw0rd!";

    /** The data folder as a kill at this moment would leave it: every file as it is, but the running DC's lock. */
    private static void copyAsKilled(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : files.toList()) {
                Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else if (!file.getFileName().toString().equals(".dirservice.lock")
                        && !file.getFileName().toString().equals("ports.properties")) {
                    Files.copy(file, target);
                }
            }
        }
    }

    private static DomainControllerConfig config(Path data) {
        return DomainControllerConfig.builder().dataDirectory(data).administratorPassword(PASSWORD).build();
    }

    @Test
    void everyWriteTheDcAnsweredIsOnDiskBeforeItStops(@TempDir Path folder) throws Exception {
        Path data = folder.resolve("running");
        Path killed = folder.resolve("killed");
        SecurityIdentifier sid;
        try (DomainController dc = DomainController.start(config(data));
             DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            admin.usersAndComputers().createGroup("ConfigMgr IIS Servers");
            admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", PASSWORD);
            admin.usersAndComputers().addMember("ConfigMgr IIS Servers", "IIS01$");
            admin.templates().duplicate("Web Server", "ConfigMgr Web Server Certificate", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
            admin.security().allow("ConfigMgr Web Server Certificate", "ConfigMgr IIS Servers", AccessRight.READ, AccessRight.ENROLL);
            admin.usersAndComputers().createComputer("GONE01", "gone01.contoso.com", PASSWORD);
            try (LDAPConnection ldap = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
                ldap.delete(dc.names().computer("GONE01"));
            }
            sid = admin.usersAndComputers().sidOf("IIS01$");
            copyAsKilled(data, killed);
        }
        try (DomainController dc = DomainController.start(config(killed));
             DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            assertEquals(List.of(dc.names().computer("IIS01")), admin.usersAndComputers().members("ConfigMgr IIS Servers"));
            assertEquals(sid, admin.usersAndComputers().sidOf("IIS01$"), "IIS01 keeps its SID");
            assertTrue(admin.templates().get("ConfigMgr Web Server Certificate").securityDescriptor()
                    .rightsOf(admin.usersAndComputers().sidOf("ConfigMgr IIS Servers"), true).contains(AccessRight.ENROLL), "the Security tab as it was set");
            assertTrue(admin.usersAndComputers().computers().stream().noneMatch(c -> c.name().equals("GONE01")), "a deleted computer stays deleted");
            admin.usersAndComputers().createComputer("IIS02", "iis02.contoso.com", PASSWORD);
            assertFalse(sid.equals(admin.usersAndComputers().sidOf("IIS02$")), "the RID counter was kept: no SID is handed out twice");
        }
    }

    @Test
    void aJournalRecordTornByAKillIsAWriteNobodyWasToldAbout(@TempDir Path folder) throws Exception {
        Path data = folder.resolve("running");
        Path killed = folder.resolve("killed");
        try (DomainController dc = DomainController.start(config(data));
             DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            admin.usersAndComputers().createComputer("PC01", "pc01.contoso.com", PASSWORD);
            copyAsKilled(data, killed);
        }
        // the kill came in the middle of writing the next record: its first bytes are there, the rest is not
        Path journal;
        try (Stream<Path> files = Files.list(killed.resolve("store"))) {
            journal = files.filter(f -> f.getFileName().toString().startsWith("journal-")).findFirst().orElseThrow();
        }
        byte[] whole = Files.readAllBytes(journal);
        Files.write(journal, java.util.Arrays.copyOf(whole, 40), StandardOpenOption.APPEND);

        try (DomainController dc = DomainController.start(config(killed));
             DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            assertTrue(admin.usersAndComputers().computers().stream().anyMatch(c -> c.name().equals("PC01")), "the whole record before it counts");
            admin.usersAndComputers().createComputer("PC02", "pc02.contoso.com", PASSWORD);
        }
        try (DomainController dc = DomainController.start(config(killed));
             DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            assertTrue(admin.usersAndComputers().computers().stream().anyMatch(c -> c.name().equals("PC02")), "and the journal goes on after it");
        }
    }

    @Test
    void anEntryKeepsItsUuidAndCreationTimeAcrossRestarts(@TempDir Path data) throws Exception {
        SearchResultEntry before;
        try (DomainController dc = DomainController.start(config(data));
             LDAPConnection ldap = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            before = ldap.getEntry(dc.administratorDn(), "entryUUID", "createTimestamp");
        }
        try (DomainController dc = DomainController.start(config(data));
             LDAPConnection ldap = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            SearchResultEntry after = ldap.getEntry(dc.administratorDn(), "entryUUID", "createTimestamp");
            assertEquals(before.getAttributeValue("entryUUID"), after.getAttributeValue("entryUUID"));
            assertEquals(before.getAttributeValue("createTimestamp"), after.getAttributeValue("createTimestamp"));
        }
    }

    @Test
    void aDataFolderFromTheJdbmDaysIsReadOnceAndKeptInTheStore(@TempDir Path data) throws Exception {
        // made by the DC of commit 9e184b1: a forest with a group 'Made Before The Journal' holding OLD01
        try (InputStream zip = DirectoryStoreTest.class.getResourceAsStream("jdbm-data-folder.zip");
             ZipInputStream entries = new ZipInputStream(zip)) {
            for (ZipEntry entry; (entry = entries.getNextEntry()) != null; ) {
                Path target = data.resolve(entry.getName());
                if (entry.isDirectory()) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(entries, target);
                }
            }
        }
        DomainControllerConfig config = DomainControllerConfig.builder().dataDirectory(data.resolve("dc")).build();
        try (DomainController dc = DomainController.start(config);
             DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(),
                     dc.administratorPassword())) {
            assertEquals("Jdbm-Passw0rd!", dc.administratorPassword());
            assertEquals("S-1-5-21-2527552640-3063566465-2390960731", dc.domainSid().toString(), "the same forest");
            assertEquals(List.of(dc.names().computer("OLD01")), admin.usersAndComputers().members("Made Before The Journal"));
        }
        assertTrue(Files.exists(data.resolve("dc/store/entries.ldif")));
        assertTrue(Files.isDirectory(data.resolve("dc/directory/partitions.replaced-by-store")), "the JDBM files stay, renamed");
        try (DomainController dc = DomainController.start(config);
             DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(),
                     dc.administratorPassword())) {
            assertEquals(List.of(dc.names().computer("OLD01")), admin.usersAndComputers().members("Made Before The Journal"));
        }
    }

    @Test
    void aJournalDamagedBeforeWholeRecordsIsRefusedWhileATornTailIsCut(@TempDir Path folder) throws Exception {
        Path data = folder.resolve("running");
        try (DomainController dc = DomainController.start(config(data));
             DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            for (int i = 1; i <= 5; i++) {
                admin.usersAndComputers().createGroup("Journal Group " + i);
            }
            copyAsKilled(data, folder.resolve("flipped"));
            copyAsKilled(data, folder.resolve("torn"));
        }
        Path flipped = journal(folder.resolve("flipped"));
        byte[] bytes = Files.readAllBytes(flipped);
        int middle = bytes.length / 2;
        bytes[middle] ^= 0x20;
        Files.write(flipped, bytes);
        String refusal = startFails(folder.resolve("flipped"));
        assertTrue(refusal.contains(flipped.toString()) && refusal.contains("damaged at byte") && refusal.contains("truncate -s"),
                "a flipped byte with whole records after it refuses the start, naming the file, offset and what to do: " + refusal);
        assertTrue(java.util.Arrays.equals(bytes, Files.readAllBytes(flipped)), "the damaged journal is left as it was found");

        Path torn = journal(folder.resolve("torn"));
        byte[] whole = Files.readAllBytes(torn);
        Files.write(torn, java.util.Arrays.copyOf(whole, whole.length - 7)); // the last record, cut as a kill mid-write cuts it
        try (DomainController dc = DomainController.start(config(folder.resolve("torn")));
             DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            List<String> groups = admin.usersAndComputers().groups().stream().map(UsersAndComputers.Principal::name).filter(n -> n.startsWith("Journal Group")).toList();
            assertEquals(List.of("Journal Group 1", "Journal Group 2", "Journal Group 3", "Journal Group 4"), groups,
                    "only the torn last write is lost");
        }
    }

    @Test
    void anEntriesFileCutShortOrChangedIsRefused(@TempDir Path folder) throws Exception {
        Path data = folder.resolve("lab");
        for (int start = 1; start <= 2; start++) {
            try (DomainController dc = DomainController.start(config(data))) {
                dc.names(); // the first start makes the forest in its journal, the second writes it all to entries.ldif
            }
        }
        Path entries = data.resolve("store").resolve(DirectoryStore.ENTRIES);
        String text = Files.readString(entries);
        int cut = text.indexOf("\n\n", text.length() / 2) + 2; // at an entry boundary, as a lost tail would leave it
        Files.writeString(entries, text.substring(0, cut));
        String shortened = startFails(data);
        assertTrue(shortened.contains(entries.toString()) && shortened.contains("cut short"), shortened);

        int at = text.indexOf(": ", text.length() / 2) + 2; // the first letter of a value in the middle of the file
        char letter = text.charAt(at);
        assertTrue(at > text.length() / 2 && Character.isLetterOrDigit(letter), "a value at " + at + ": '" + letter + "'");
        Files.writeString(entries, text.substring(0, at) + (letter == 'x' ? 'y' : 'x') + text.substring(at + 1));
        String changed = startFails(data);
        assertTrue(changed.contains("checksum"), "a changed value is not taken silently: " + changed);

        Files.writeString(entries, text);
        try (DomainController dc = DomainController.start(config(data))) {
            assertEquals("contoso.com", dc.domainName(), "the file as written starts");
        }
    }

    @Test
    void aTemplateLeftWithoutItsOidObjectIsRegisteredAtTheNextStart(@TempDir Path folder) throws Exception {
        Path data = folder.resolve("lab");
        String oid;
        try (DomainController dc = DomainController.start(config(data));
             DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD);
             LDAPConnection ldap = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            oid = admin.templates().duplicate("Web Server", "Cut Off Template", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE).oid();
            // what a kill between the template and its OID object left, when the template was written first
            for (SearchResultEntry registered : ldap.search(dc.names().oid(), com.unboundid.ldap.sdk.SearchScope.ONE,
                    com.unboundid.ldap.sdk.Filter.createEqualityFilter("msPKI-Cert-Template-OID", oid)).getSearchEntries()) {
                ldap.delete(registered.getDN());
            }
        }
        try (DomainController dc = DomainController.start(config(data));
             LDAPConnection ldap = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            List<SearchResultEntry> registered = ldap.search(dc.names().oid(), com.unboundid.ldap.sdk.SearchScope.ONE,
                    com.unboundid.ldap.sdk.Filter.createEqualityFilter("msPKI-Cert-Template-OID", oid)).getSearchEntries();
            assertEquals(1, registered.size(), "the template's OID is in CN=OID again");
            assertEquals("Cut Off Template", registered.get(0).getAttributeValue("displayName"));
        }
    }

    /**
     * A first start killed anywhere while it made the forest: the journal holds the forest's first writes and no
     * password was kept, so the next start makes the forest again from nothing. It used to load what was there and
     * delete it, children first, which CI once saw refused ("Cannot delete entry DC=contoso,DC=com it has children!"),
     * leaving a lab that never started again. Here the kill lands after each of a spread of the forest's writes (every
     * one with {@code -Dpkilab.store.killStride=1}); the half-made forest's files are kept aside, and nothing is deleted.
     */
    @Test
    void aForestKilledAfterAnyOfItsWritesIsMadeAgainAtTheNextStart(@TempDir Path folder) throws Exception {
        Path made = folder.resolve("made");
        int entries;
        SecurityIdentifier halfMade;
        try (DomainController dc = DomainController.start(config(made))) {
            entries = dc.snapshot().size();
            halfMade = dc.domainSid();
        }
        Path journal = journal(made);
        byte[] whole = Files.readAllBytes(journal);
        List<int[]> records = records(whole);
        assertTrue(records.size() > entries / 2, "the forest's writes are in the journal: " + records.size() + " records for " + entries + " entries");
        int stride = Integer.getInteger("pkilab.store.killStride", Math.max(1, records.size() / 12));
        for (int record = 1; record < records.size(); record += stride) {
            Path killed = folder.resolve("killed-" + record);
            copyAsKilled(made, killed);
            Files.delete(killed.resolve("dc").resolve("lab.properties"));
            byte[] cut = java.util.Arrays.copyOf(whole, records.get(record - 1)[0]);
            Files.write(killed.resolve(made.relativize(journal).toString()), cut);
            try (DomainController dc = DomainController.start(config(killed))) {
                assertEquals(entries, dc.snapshot().size(), "the forest made again after its first " + record + " writes is whole");
                assertFalse(halfMade.equals(dc.domainSid()), "a new forest after " + record + " writes, not the half-made one");
            } catch (RuntimeException e) {
                throw new AssertionError("the start after a kill that left the forest's first " + record + " of " + records.size()
                        + " writes failed: " + e.getMessage(), e);
            }
            List<Path> aside;
            try (Stream<Path> files = Files.list(killed.resolve("store"))) {
                aside = files.filter(f -> f.getFileName().toString().startsWith("discarded-")).toList();
            }
            assertEquals(1, aside.size(), "the half-made forest's files are kept aside once: " + aside);
            assertTrue(java.util.Arrays.equals(cut, Files.readAllBytes(aside.get(0).resolve(journal.getFileName()))),
                    "the half-made forest's journal is kept aside as the kill left it");
            assertTrue(records(Files.readAllBytes(journal(killed))).stream().noneMatch(r -> r[1] == DirectoryStoreFiles.DELETE),
                    "the forest after " + record + " writes was made from nothing, not by deleting what the kill left");
        }
    }

    /** The end offset and kind of each record of a journal's bytes. */
    private static List<int[]> records(byte[] journal) {
        List<int[]> records = new java.util.ArrayList<>();
        for (int offset = 0; offset < journal.length; ) {
            byte kind = journal[offset + 12];
            offset += 4 + 8 + 1 + 4 + java.nio.ByteBuffer.wrap(journal, offset + 13, 4).getInt() + 4;
            records.add(new int[]{offset, kind});
        }
        return records;
    }

    private static Path journal(Path data) throws IOException {
        try (Stream<Path> files = Files.list(data.resolve("store"))) {
            return files.filter(f -> f.getFileName().toString().startsWith("journal-")).max(java.util.Comparator.comparingLong(f -> {
                try {
                    return Files.size(f);
                } catch (IOException e) {
                    return 0;
                }
            })).orElseThrow();
        }
    }

    /** The start's refusal, with every cause's message. */
    private static String startFails(Path data) {
        try (DomainController dc = DomainController.start(config(data))) {
            throw new AssertionError("the DC started on " + data + " (" + dc.domainName() + ")");
        } catch (RuntimeException e) {
            StringBuilder text = new StringBuilder();
            for (Throwable t = e; t != null; t = t.getCause()) {
                text.append(t.getMessage()).append(" | ");
            }
            return text.toString();
        }
    }
}
