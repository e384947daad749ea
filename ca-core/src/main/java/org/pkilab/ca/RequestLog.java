package org.pkilab.ca;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The CA database's transaction log ({@code edb.log} beside {@code certsrv.edb} on Windows): a new
 * request is durable once its record is appended here, in one write, and it reaches the database
 * tables a moment later, many records to a transaction. A CA killed in between finds the records here
 * when it starts again and applies them before it answers anyone.
 *
 * <p>Each entry is {@code length, CRC-32C, record}. A process killed in the middle of a write leaves a
 * short or damaged last entry; nobody was answered for it, so reading stops there and the tail is cut. Damage
 * anywhere else (a flipped byte, a bad sector) is followed by whole entries whose requesters were answered: the
 * CA then refuses to start, naming the file, the offset and what to do, rather than losing them.
 */
final class RequestLog implements AutoCloseable {

    /** A logged request and the hash its "ask again" lookup uses. */
    record Entry(RequestRecord record, String csrSha256) {
    }

    private final Path file;
    private final FileChannel channel;

    private RequestLog(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    static RequestLog open(Path file) throws IOException {
        return new RequestLog(file, FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ));
    }

    /**
     * Every complete entry, oldest first; a torn last entry is cut off the file.
     *
     * @throws IOException when a damaged entry is followed by whole ones: those were confirmed to their requesters,
     *                     and cutting the log there would lose them without a word
     */
    List<Entry> readAll() throws IOException {
        List<Entry> entries = new ArrayList<>();
        byte[] all = Files.readAllBytes(file);
        int valid = 0;
        while (true) {
            int length = wholeEntryAt(all, valid);
            if (length < 0) {
                break;
            }
            entries.add(decode(all, valid + 8, length));
            valid += 8 + length;
        }
        if (valid < all.length) {
            int next = nextWholeEntry(all, valid + 1);
            if (next >= 0) {
                throw new IOException(file + " is damaged at byte " + valid + " (entry " + (entries.size() + 1) + "), and whole entries follow"
                        + " from byte " + next + ": those requests were answered, so the CA will not start without them. Restore "
                        + file.getFileName() + " from a backup, or, to give up every request logged after byte " + valid
                        + ", cut it there (truncate -s " + valid + " " + file + ") and start again");
            }
            channel.truncate(valid);
        }
        channel.position(valid);
        return entries;
    }

    /** The length of the entry at {@code offset} when it is whole and its checksum holds; -1 otherwise. */
    private static int wholeEntryAt(byte[] all, int offset) {
        if (offset < 0 || all.length - offset < 8) {
            return -1;
        }
        ByteBuffer header = ByteBuffer.wrap(all, offset, 8);
        int length = header.getInt();
        int crc = header.getInt();
        if (length <= 0 || length > all.length - offset - 8) {
            return -1;
        }
        CRC32C check = new CRC32C();
        check.update(all, offset + 8, length);
        return (int) check.getValue() == crc ? length : -1;
    }

    /**
     * The offset of the first whole entry at or after {@code from}, or -1. An entry begins with its request id, a
     * small positive number: only offsets where one stands are checksummed, so a long damaged stretch is cheap to cross.
     */
    private static int nextWholeEntry(byte[] all, int from) {
        for (int offset = from; offset + 16 <= all.length; offset++) {
            long requestId = ByteBuffer.wrap(all, offset + 8, 8).getLong();
            if (requestId > 0 && requestId < (1L << 40) && wholeEntryAt(all, offset) >= 0) {
                return offset;
            }
        }
        return -1;
    }

    /** Appends one record in a single write: once this returns, a killed process keeps it. */
    void append(RequestRecord record, String csrSha256) throws IOException {
        byte[] body = encode(record, csrSha256);
        CRC32C crc = new CRC32C();
        crc.update(body);
        ByteBuffer entry = ByteBuffer.allocate(8 + body.length).putInt(body.length).putInt((int) crc.getValue()).put(body).flip();
        long end = channel.position();
        try {
            while (entry.hasRemaining()) {
                channel.write(entry);
            }
        } catch (IOException e) {
            // a torn entry would hide every later one from recovery: cut it off before anything follows it
            try {
                channel.truncate(end);
                channel.position(end);
            } catch (IOException cut) {
                e.addSuppressed(cut);
            }
            throw e;
        }
    }

    long size() {
        try {
            return channel.size();
        } catch (IOException e) {
            return 0;
        }
    }

    /** Empties the log once everything in it is in the database tables. */
    void clear() throws IOException {
        channel.truncate(0);
        channel.position(0);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    private static byte[] encode(RequestRecord r, String csrSha256) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(512 + length(r.certificate()) + length(r.csr()));
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeLong(r.requestId());
        writeString(out, r.requester());
        writeString(out, r.requesterDn());
        writeString(out, r.template());
        writeString(out, r.status().name());
        out.writeInt(r.dispositionCode());
        writeString(out, r.dispositionMessage());
        writeString(out, r.serialHex());
        writeString(out, r.subject());
        writeBytes(out, r.certificate());
        writeBytes(out, r.csr());
        writeString(out, csrSha256);
        writeInstant(out, r.submittedAt());
        writeInstant(out, r.resolvedAt());
        writeInstant(out, r.notBefore());
        writeInstant(out, r.notAfter());
        writeString(out, r.arrival().name());
        return bytes.toByteArray();
    }

    private static Entry decode(byte[] data, int offset, int length) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data, offset, length));
        try {
            long id = in.readLong();
            String requester = readString(in);
            String requesterDn = readString(in);
            String template = readString(in);
            RequestStatus status = RequestStatus.valueOf(readString(in));
            int code = in.readInt();
            String message = readString(in);
            String serial = readString(in);
            String subject = readString(in);
            byte[] certificate = readBytes(in);
            byte[] csr = readBytes(in);
            String csrSha256 = readString(in);
            Instant submitted = readInstant(in);
            Instant resolved = readInstant(in);
            Instant notBefore = readInstant(in);
            Instant notAfter = readInstant(in);
            // an entry a CA from before the arrival was logged wrote ends here
            RequestRecord.Arrival arrival = RequestRecord.Arrival.of(in.available() > 0 ? readString(in) : null);
            RequestRecord record = new RequestRecord(id, requester, requesterDn, template, status, code, message,
                    serial == null ? null : new BigInteger(serial, 16), subject, certificate, csr,
                    submitted, resolved, notBefore, notAfter, null, null, arrival);
            return new Entry(record, csrSha256);
        } catch (EOFException | IllegalArgumentException e) {
            throw new IOException("a log entry that passed its checksum does not read back: " + e.getMessage(), e);
        }
    }

    private static int length(byte[] value) {
        return value == null ? 0 : value.length;
    }

    private static void writeString(DataOutputStream out, String value) throws IOException {
        writeBytes(out, value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }

    private static String readString(DataInputStream in) throws IOException {
        byte[] bytes = readBytes(in);
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    private static void writeBytes(DataOutputStream out, byte[] value) throws IOException {
        out.writeInt(value == null ? -1 : value.length);
        if (value != null) {
            out.write(value);
        }
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0) {
            return null;
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return bytes;
    }

    private static void writeInstant(DataOutputStream out, Instant value) throws IOException {
        out.writeBoolean(value != null);
        if (value != null) {
            out.writeLong(value.toEpochMilli());
        }
    }

    private static Instant readInstant(DataInputStream in) throws IOException {
        return in.readBoolean() ? Instant.ofEpochMilli(in.readLong()) : null;
    }
}
