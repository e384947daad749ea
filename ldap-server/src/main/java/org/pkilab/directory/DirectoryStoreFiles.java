package org.pkilab.directory;

import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.ldif.LdifEntry;
import org.apache.directory.api.ldap.model.ldif.LdifReader;
import org.apache.directory.api.ldap.model.ldif.LdifUtils;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.SchemaManager;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * The files a {@link DirectoryStore} keeps, and how they are read back: {@code entries.ldif} (header with the
 * journal sequence it includes, the entries parents first, a last line with their count and CRC-32) and
 * {@code journal-<n>.log} records ({@code magic, sequence, kind, length, payload, CRC-32}, the payload the DN
 * and, for a put, the entry's LDIF). Reading replays every whole record, passes over a torn last one, and
 * refuses damage anywhere else with the file, the offset and what to do.
 *
 * <pre>{@code
 * DirectoryStoreFiles.Kept kept = DirectoryStoreFiles.read(folder, schema);
 * kept.sequence();                    // the next journal record's sequence
 * DirectoryStoreFiles.record(kept.sequence(), DirectoryStoreFiles.PUT, payload);  // the bytes to append
 * }</pre>
 */
final class DirectoryStoreFiles {

    /** A journal record that puts an entry as it stands after a write. */
    static final byte PUT = 'P';
    /** A journal record that deletes an entry. */
    static final byte DELETE = 'D';
    private static final int MAGIC = 0x504B4A31; // "PKJ1"
    /** The first line; "directory 2" files end with {@link #END}, files from before it do not. */
    private static final Pattern HEADER = Pattern.compile("# pkilab directory( 2)?, journal sequence (\\d+)");
    /** The last line of entries.ldif: how many entries, and the CRC-32 of every byte before this line. */
    private static final Pattern END = Pattern.compile("# end of directory: (\\d+) entries, CRC-32 ([0-9a-f]{8})\n\\z");
    private static final Pattern JOURNAL = Pattern.compile("journal-(\\d+)\\.log");

    /** What was kept: normalized DN to the entry's LDIF, parents first, and the sequence of the next record. */
    record Kept(Map<String, String> entries, long sequence) {
    }

    private DirectoryStoreFiles() {
    }

    /** Reads what is kept in {@code folder}: the entries at the last start, then every whole journal record since. */
    static Kept read(Path folder, SchemaManager schema) throws IOException, LdapException {
        Files.createDirectories(folder);
        Map<String, String> entries = new LinkedHashMap<>();
        long sequence = 0;
        Path file = folder.resolve(DirectoryStore.ENTRIES);
        if (Files.exists(file)) {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            Matcher header = HEADER.matcher(text);
            if (!header.lookingAt()) {
                throw new IOException(file + " is not a PKI Lab directory: its first line should be '# pkilab directory, ...'");
            }
            sequence = Long.parseLong(header.group(2));
            int expected = -1;
            if (header.group(1) != null) {
                Matcher end = END.matcher(text);
                if (!end.find()) {
                    throw damaged(file, "it does not end with its '# end of directory' line, so it was cut short");
                }
                String body = text.substring(0, end.start());
                CRC32 crc = new CRC32();
                crc.update(body.getBytes(StandardCharsets.UTF_8));
                if (!String.format("%08x", crc.getValue()).equals(end.group(2))) {
                    throw damaged(file, "its content does not match the checksum on its last line, so it was changed or damaged");
                }
                expected = Integer.parseInt(end.group(1));
                text = body;
            }
            try (LdifReader reader = new LdifReader()) {
                for (LdifEntry ldif : reader.parseLdif(text)) {
                    entries.put(new Dn(schema, ldif.getDn().getName()).getNormName(), LdifUtils.convertToLdif(ldif.getEntry()));
                }
            }
            if (expected >= 0 && entries.size() != expected) {
                throw damaged(file, "it holds " + entries.size() + " entries where its last line counts " + expected);
            }
        }
        for (Path log : journals(folder)) {
            sequence = replay(log, sequence, entries);
        }
        return new Kept(entries, sequence);
    }

    /**
     * The text of entries.ldif for {@code entries} (the whole domain under {@code suffix}), which includes the
     * journal records before {@code sequence}.
     */
    static String entriesLdif(List<Entry> entries, long sequence, Dn suffix) {
        StringBuilder text = new StringBuilder("# pkilab directory 2, journal sequence ").append(sequence)
                .append("\n# every entry of ").append(suffix.getName()).append(" when the domain controller last started;")
                .append(" the writes since are in journal-").append(sequence).append(".log\n\n");
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingInt(e -> e.getDn().size()));
        for (Entry entry : sorted) {
            text.append(LdifUtils.convertToLdif(entry)).append('\n');
        }
        CRC32 crc = new CRC32();
        crc.update(text.toString().getBytes(StandardCharsets.UTF_8));
        text.append(String.format("# end of directory: %d entries, CRC-32 %08x\n", sorted.size(), crc.getValue()));
        return text.toString();
    }

    /** One journal record's bytes. */
    static byte[] record(long sequence, byte kind, byte[] payload) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(payload.length + 25);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(MAGIC);
            out.writeLong(sequence);
            out.writeByte(kind);
            out.writeInt(payload.length);
            out.write(payload);
            out.writeInt((int) crc(sequence, kind, payload));
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
    }

    /** The journals in {@code folder}, oldest first. */
    static List<Path> journals(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(f -> JOURNAL.matcher(f.getFileName().toString()).matches())
                    .sorted(Comparator.comparingLong(DirectoryStoreFiles::firstSequence)).toList();
        }
    }

    private static long firstSequence(Path journal) {
        Matcher m = JOURNAL.matcher(journal.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : 0;
    }

    private static IOException damaged(Path file, String why) {
        return new IOException(file + " is damaged: " + why + ". The domain controller will not start on part of its directory;"
                + " restore the data folder from a backup");
    }

    /**
     * Applies the whole records of {@code log} at or after {@code next}; returns the sequence after the last. Only
     * a torn last record (a write never answered) is passed over; a damaged record followed by whole ones refuses
     * the start, since those writes were answered.
     */
    private static long replay(Path log, long next, Map<String, String> entries) throws IOException {
        byte[] all = Files.readAllBytes(log);
        int offset = 0;
        while (offset < all.length) {
            int end = wholeRecordAt(all, offset);
            if (end < 0) {
                int following = nextWholeRecord(all, offset + 1);
                if (following >= 0) {
                    throw new IOException(log + " is damaged at byte " + offset + ", and whole records follow from byte " + following
                            + ": those writes were answered, so the domain controller will not start without them. Restore the data"
                            + " folder from a backup, or, to give up every write after byte " + offset + ", cut the journal there"
                            + " (truncate -s " + offset + " " + log + ") and start again");
                }
                return next; // torn: the last write, never answered
            }
            ByteBuffer record = ByteBuffer.wrap(all, offset + 4, end - offset - 4);
            long sequence = record.getLong();
            byte kind = record.get();
            int length = record.getInt();
            String text = new String(all, record.position(), length, StandardCharsets.UTF_8);
            offset = end;
            if (sequence < next) {
                continue; // already in entries.ldif
            }
            int newline = text.indexOf('\n');
            String dn = newline < 0 ? text : text.substring(0, newline);
            if (kind == PUT) {
                entries.remove(dn); // a moved entry goes to the end, after its new parent
                entries.put(dn, text.substring(newline + 1));
            } else {
                entries.remove(dn);
            }
            next = sequence + 1;
        }
        return next;
    }

    /** Where the record at {@code offset} ends when it is whole and its checksum holds; -1 otherwise. */
    private static int wholeRecordAt(byte[] all, int offset) {
        if (all.length - offset < 4 + 8 + 1 + 4 + 4) {
            return -1;
        }
        ByteBuffer record = ByteBuffer.wrap(all, offset, all.length - offset);
        if (record.getInt() != MAGIC) {
            return -1;
        }
        long sequence = record.getLong();
        byte kind = record.get();
        int length = record.getInt();
        if (length < 0 || length > record.remaining() - 4) {
            return -1;
        }
        byte[] payload = Arrays.copyOfRange(all, record.position(), record.position() + length);
        record.position(record.position() + length);
        return record.getInt() == (int) crc(sequence, kind, payload) ? record.position() : -1;
    }

    private static int nextWholeRecord(byte[] all, int from) {
        for (int offset = from; offset + 4 <= all.length; offset++) {
            if (all[offset] == (byte) (MAGIC >>> 24) && ByteBuffer.wrap(all, offset, 4).getInt() == MAGIC && wholeRecordAt(all, offset) >= 0) {
                return offset;
            }
        }
        return -1;
    }

    private static long crc(long sequence, byte kind, byte[] payload) {
        CRC32 crc = new CRC32();
        crc.update(ByteBuffer.allocate(9).putLong(sequence).put(kind).array());
        crc.update(payload);
        return crc.getValue();
    }
}
