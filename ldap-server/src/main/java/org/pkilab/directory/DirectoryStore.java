package org.pkilab.directory;

import org.apache.directory.api.ldap.model.cursor.Cursor;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Modification;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapOtherException;
import org.apache.directory.api.ldap.model.filter.FilterParser;
import org.apache.directory.api.ldap.model.ldif.LdifEntry;
import org.apache.directory.api.ldap.model.ldif.LdifReader;
import org.apache.directory.api.ldap.model.ldif.LdifUtils;
import org.apache.directory.api.ldap.model.message.AliasDerefMode;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.api.ldap.model.schema.UsageEnum;
import org.apache.directory.server.core.api.CoreSession;
import org.apache.directory.server.core.api.interceptor.BaseInterceptor;
import org.apache.directory.server.core.api.interceptor.context.AddOperationContext;
import org.apache.directory.server.core.api.interceptor.context.DeleteOperationContext;
import org.apache.directory.server.core.api.interceptor.context.ModifyOperationContext;
import org.apache.directory.server.core.api.interceptor.context.MoveAndRenameOperationContext;
import org.apache.directory.server.core.api.interceptor.context.MoveOperationContext;
import org.apache.directory.server.core.api.interceptor.context.OperationContext;
import org.apache.directory.server.core.api.interceptor.context.RenameOperationContext;
import org.pkilab.pki.KeyFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Where a lasting lab's directory lives between starts, written so that a kill at any moment leaves it whole:
 * the DC holds the domain in memory and keeps it here as text, the way a database keeps a checkpoint and
 * a write-ahead log.
 *
 * <pre>
 * dc/store/entries.ldif         every entry of the domain when the DC last started, parents first, as LDIF
 *                               ("ldapadd -f" reads it), headed by the journal sequence it includes and
 *                               ended by a line with its entry count and the CRC-32 of all before it
 * dc/store/journal-&lt;n&gt;.log      every write since: the entry as it stands after the write, or its deletion;
 *                               one record each, appended before the DC answers the write; a write
 *                               whose record cannot be written (a full disk) is undone and refused
 * dc/store/discarded-&lt;n&gt;/      what a first start killed while it made the forest had kept, set aside when the
 *                               next start made the forest again
 * </pre>
 *
 * <p>A journal record is {@code magic, sequence, kind, length, payload, CRC-32}; a start reads entries.ldif,
 * then every whole record in order, and stops at a torn last one (the write its client was never told
 * about), then writes a new entries.ldif (whole or not at all) and starts an empty journal. Damage anywhere
 * else (entries.ldif cut short or changed, a bad record followed by whole ones) refuses the start with the
 * file, the offset and what to do: those writes were answered, and a DC that started without them would
 * serve an older directory without a word. Records are
 * written, not flushed to the disk: like the CA database's, a write survives the process being killed; only
 * the machine failing can lose the last ones.
 *
 * <p>The lab used ApacheDS's JDBM files until they were seen to break for good when {@code pkilab up} was
 * killed while writing ({@code ERR_562 Offset too large for record header}); a data folder from then is
 * read once through JDBM and kept here from then on.
 */
final class DirectoryStore implements AutoCloseable {

    static final String ENTRIES = "entries.ldif";
    private static final byte PUT = DirectoryStoreFiles.PUT;
    private static final byte DELETE = DirectoryStoreFiles.DELETE;
    /** What an entry keeps besides its user attributes (AD's objectGUID, whenCreated and USNs are user attributes here). */
    static final String[] KEPT_OPERATIONAL = {"entryUUID", "createTimestamp", "creatorsName"};

    private final Path folder;
    private final SchemaManager schema;
    private final Dn suffix;
    private final ReentrantLock writes = new ReentrantLock();
    /** Normalized DN to the entry's LDIF, as read at start. */
    private final Map<String, String> recovered;
    private volatile long sequence;
    private FileChannel journal;
    /** The journal's length after its last whole record: what a failed append is cut back to. */
    private long journalLength;
    private volatile boolean recording;
    /** True while a write whose record failed is being undone: the undoing writes are not recorded. */
    private boolean undoing;

    private DirectoryStore(Path folder, SchemaManager schema, Dn suffix, Map<String, String> recovered, long sequence) {
        this.folder = folder;
        this.schema = schema;
        this.suffix = suffix;
        this.recovered = recovered;
        this.sequence = sequence;
    }

    /** Reads what is kept in {@code folder}: the entries at the last start, then every whole journal record since. */
    static DirectoryStore open(Path folder, SchemaManager schema, Dn suffix) throws IOException, LdapException {
        DirectoryStoreFiles.Kept kept = DirectoryStoreFiles.read(folder, schema);
        return new DirectoryStore(folder, schema, suffix, kept.entries(), kept.sequence());
    }

    /** How many writes this store has kept, over every start of the lab: it only grows. */
    long sequence() {
        return sequence;
    }

    /** Whether nothing was kept yet: a new forest, or a data folder from before the store. */
    boolean isEmpty() {
        return recovered.isEmpty();
    }

    /**
     * Forgets what was read, so that {@link #load} adds nothing and the next {@link #checkpoint} keeps an empty domain:
     * for a forest whose first start was cut short, which is made again from nothing. Its files are moved aside to
     * {@code discarded-<sequence>/}, not deleted: were the forest whole after all ({@code lab.properties} lost some other
     * way), it is still there. The journals go first, so a kill in between leaves entries.ldif alone, a state it was in.
     *
     * @return the folder the files were moved to
     */
    Path discard() throws IOException {
        Path aside = Files.createDirectories(folder.resolve("discarded-" + sequence));
        List<Path> files = new ArrayList<>(DirectoryStoreFiles.journals(folder));
        if (Files.exists(folder.resolve(ENTRIES))) {
            files.add(folder.resolve(ENTRIES));
        }
        for (Path file : files) {
            Files.move(file, aside.resolve(file.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        recovered.clear();
        return aside;
    }

    /** Adds every recovered entry to the directory, parents first, without recording them again. */
    void load(CoreSession admin) throws LdapException {
        List<Entry> entries = new ArrayList<>();
        try (LdifReader reader = new LdifReader()) {
            for (String ldif : recovered.values()) {
                for (LdifEntry parsed : reader.parseLdif(ldif)) {
                    entries.add(new DefaultEntry(schema, parsed.getEntry()));
                }
            }
        } catch (IOException e) {
            throw new LdapOtherException("cannot read the kept directory: " + e.getMessage(), e);
        }
        entries.sort(Comparator.comparingInt(e -> e.getDn().size()));
        for (Entry entry : entries) {
            admin.add(entry);
        }
    }

    /**
     * Writes {@code entries} (the whole domain) as the new entries.ldif, whole or not at all, deletes the journals
     * it includes, and starts an empty one: from here on every write is recorded.
     */
    void checkpoint(List<Entry> entries) throws IOException {
        writes.lock();
        try {
            String text = DirectoryStoreFiles.entriesLdif(entries, sequence, suffix);
            List<Path> old = DirectoryStoreFiles.journals(folder);
            KeyFiles.writeAtomically(folder.resolve(ENTRIES), text.getBytes(StandardCharsets.UTF_8));
            close();
            for (Path log : old) {
                Files.deleteIfExists(log);
            }
            journal = FileChannel.open(folder.resolve("journal-" + sequence + ".log"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            journalLength = 0;
            recording = true;
        } finally {
            writes.unlock();
        }
    }

    private void append(byte kind, String dn, String ldif) throws LdapException {
        if (undoing) {
            return;
        }
        byte[] payload = (ldif == null ? dn : dn + "\n" + ldif).getBytes(StandardCharsets.UTF_8);
        try {
            if (journal.size() != journalLength) {
                journal.truncate(journalLength); // what an earlier failed write left half-written
            }
            ByteBuffer record = ByteBuffer.wrap(DirectoryStoreFiles.record(sequence, kind, payload));
            while (record.hasRemaining()) {
                journal.write(record);
            }
            journalLength += record.capacity();
            sequence++;
        } catch (IOException e) {
            boolean full = String.valueOf(e.getMessage()).contains("No space left");
            throw new LdapOtherException("the domain controller could not keep the change to " + dn + " on disk, so it did not make it: "
                    + (full ? "the disk holding " + folder + " is full; free space there and send the change again"
                    : folder + ": " + e.getMessage()), e);
        }
    }

    /** Where the journal stands before a write's records: what a write that cannot be recorded goes back to. */
    private record Mark(long length, long sequence) {
    }

    private Mark mark() {
        return new Mark(journalLength, sequence);
    }

    /** Forgets the records written since {@code mark} (a write recorded in part); the disk may refuse this too. */
    private void rewind(Mark mark) {
        journalLength = mark.length();
        sequence = mark.sequence();
        try {
            journal.truncate(mark.length());
        } catch (IOException e) {
            // the next append cuts the journal back to journalLength before it writes
        }
    }

    /** The member of the DC's operation chain that records every write to the domain before it is answered. */
    BaseInterceptor recorder() {
        return new Recorder();
    }

    @Override
    public void close() {
        recording = false;
        if (journal != null) {
            try {
                journal.close();
            } catch (IOException e) {
                // every record was written when it was made; closing has nothing left to lose
            }
            journal = null;
        }
    }

    private final class Recorder extends BaseInterceptor {

        Recorder() {
            super("pkilabDirectoryStore");
        }

        @Override
        public void add(AddOperationContext ctx) throws LdapException {
            underWriteLock(() -> {
                next(ctx);
                recordedOrUndone(() -> put(ctx, ctx.getDn()), () -> admin(ctx).delete(ctx.getDn()));
            });
        }

        @Override
        public void modify(ModifyOperationContext ctx) throws LdapException {
            underWriteLock(() -> {
                Entry before = kept(ctx.getDn()) ? admin(ctx).lookup(ctx.getDn(), attributes()) : null;
                next(ctx);
                recordedOrUndone(() -> put(ctx, ctx.getDn()), () -> restore(ctx, before));
            });
        }

        @Override
        public void delete(DeleteOperationContext ctx) throws LdapException {
            underWriteLock(() -> {
                Entry before = kept(ctx.getDn()) ? admin(ctx).lookup(ctx.getDn(), attributes()) : null;
                next(ctx);
                if (before != null) {
                    recordedOrUndone(() -> append(DELETE, ctx.getDn().getNormName(), null), () -> admin(ctx).add(before));
                }
            });
        }

        @Override
        public void rename(RenameOperationContext ctx) throws LdapException {
            relocate(ctx, ctx.getDn(), ctx.getNewDn(), () -> next(ctx));
        }

        @Override
        public void move(MoveOperationContext ctx) throws LdapException {
            relocate(ctx, ctx.getDn(), ctx.getNewDn(), () -> next(ctx));
        }

        @Override
        public void moveAndRename(MoveAndRenameOperationContext ctx) throws LdapException {
            relocate(ctx, ctx.getDn(), ctx.getNewDn(), () -> next(ctx));
        }

        /** Whether a write to {@code dn} is recorded now. */
        private boolean kept(Dn dn) {
            return recording && !undoing && inDomain(dn);
        }

        /**
         * Records a write made in memory, or undoes it when its record cannot be written, so that what the DC
         * answered as done is on disk and what it refused never happened (the client gets the recording's error).
         */
        private void recordedOrUndone(Write record, Write undo) throws LdapException {
            Mark mark = mark();
            try {
                record.run();
            } catch (LdapException failed) {
                rewind(mark);
                undoing = true;
                try {
                    undo.run();
                } catch (LdapException | RuntimeException notUndone) {
                    failed.addSuppressed(notUndone);
                } finally {
                    undoing = false;
                }
                throw failed;
            }
        }

        /** Puts back the attributes a modify changed, as they were before it. */
        private void restore(OperationContext ctx, Entry before) throws LdapException {
            if (before == null) {
                return;
            }
            Entry now = admin(ctx).lookup(before.getDn(), attributes());
            List<Modification> changes = new ArrayList<>();
            for (Attribute attribute : now) {
                if (userAttribute(attribute) && !before.containsAttribute(attribute.getAttributeType())) {
                    changes.add(new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, attribute.getAttributeType()));
                }
            }
            for (Attribute attribute : before) {
                if (userAttribute(attribute) && !attribute.equals(now.get(attribute.getAttributeType()))) {
                    changes.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, attribute));
                }
            }
            if (!changes.isEmpty()) {
                admin(ctx).modify(before.getDn(), changes);
            }
        }

        private boolean userAttribute(Attribute attribute) {
            return attribute.getAttributeType() != null && attribute.getAttributeType().getUsage() == UsageEnum.USER_APPLICATIONS;
        }

        private boolean inDomain(Dn dn) {
            return dn.equals(suffix) || dn.isDescendantOf(suffix);
        }

        /** Records the entry as it now stands, read back through the whole chain as the administrator sees it. */
        private void put(OperationContext ctx, Dn dn) throws LdapException {
            if (!kept(dn)) {
                return;
            }
            Entry entry = admin(ctx).lookup(dn, attributes());
            append(PUT, dn.getNormName(), LdifUtils.convertToLdif(entry));
        }

        private interface Write {
            void run() throws LdapException;
        }

        /** Rename, move, or both: the subtree's entries are recorded again under their new names. */
        private void relocate(OperationContext ctx, Dn from, Dn to, Write next) throws LdapException {
            underWriteLock(() -> {
                List<Dn> before = subtree(ctx, from);
                next.run();
                recordedOrUndone(() -> moved(ctx, before, to),
                        () -> admin(ctx).moveAndRename(to, from.getParent(), from.getRdn(), true));
            });
        }

        /** A write and its record happen under one lock, so the journal's order is the directory's. */
        private void underWriteLock(Write write) throws LdapException {
            writes.lock();
            try {
                write.run();
            } finally {
                writes.unlock();
            }
        }

        private void moved(OperationContext ctx, List<Dn> before, Dn after) throws LdapException {
            if (!recording || undoing) {
                return;
            }
            for (Dn dn : before) {
                if (inDomain(dn)) {
                    append(DELETE, dn.getNormName(), null);
                }
            }
            for (Dn dn : subtree(ctx, after)) {
                put(ctx, dn);
            }
        }

        private List<Dn> subtree(OperationContext ctx, Dn base) throws LdapException {
            List<Dn> dns = new ArrayList<>();
            if (!recording || undoing) {
                return dns;
            }
            try (Cursor<Entry> cursor = admin(ctx).search(base, SearchScope.SUBTREE, FilterParser.parse(schema, "(objectClass=*)"),
                    AliasDerefMode.NEVER_DEREF_ALIASES, "1.1")) {
                while (cursor.next()) {
                    dns.add(cursor.get().getDn());
                }
            } catch (LdapException e) {
                throw e;
            } catch (Exception e) {
                throw new LdapOtherException("cannot list " + base + ": " + e.getMessage(), e);
            }
            dns.sort(Comparator.comparingInt(Dn::size)); // parents before children, as they are put back
            return dns;
        }

        private CoreSession admin(OperationContext ctx) {
            return ctx.getSession().getDirectoryService().getAdminSession();
        }
    }

    /** Every user attribute and the operational attributes an entry keeps across starts. */
    static String[] attributes() {
        String[] all = new String[KEPT_OPERATIONAL.length + 1];
        all[0] = "*";
        System.arraycopy(KEPT_OPERATIONAL, 0, all, 1, KEPT_OPERATIONAL.length);
        return all;
    }
}
