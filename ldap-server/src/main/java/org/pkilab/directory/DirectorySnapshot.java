package org.pkilab.directory;

import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.DefaultAttribute;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Modification;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.server.core.api.CoreSession;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every entry of a domain as it stood at one moment, taken by {@link DomainController#snapshot()} so
 * that tests seed a directory once and {@linkplain DomainController#restore(DirectorySnapshot) put it
 * back} between tests.
 *
 * <pre>{@code
 * DirectorySnapshot seeded = dc.snapshot();          // after the forest, groups and templates exist
 * admin.usersAndComputers().createGroup("ConfigMgr IIS Servers"); // a test changes the directory
 * DirectorySnapshot.Restored undone = dc.restore(seeded);
 * undone.deleted();                                  // 1: the group is gone again
 * }</pre>
 *
 * <p>It holds the user attributes of each entry: binary values ({@code objectSid}, {@code cACertificate}),
 * security descriptors, passwords, and the domain head's {@code nextRid}, so
 * accounts created after a restore get the same SIDs again. AD's {@code objectGUID}, times and USNs are user
 * attributes here, so a restored entry comes back with them, as an object restored from a backup does on AD;
 * a write the restore makes takes them back too. It leaves out what ApacheDS keeps by itself ({@code entryUUID},
 * {@code entryCSN}, {@code createTimestamp}, {@code modifyTimestamp} ...): a restored entry gets new ones.
 */
public final class DirectorySnapshot {

    /**
     * What a restore changed: entries deleted (created since the snapshot), added back (deleted since),
     * and modified (an attribute differed), and how long it took.
     */
    public record Restored(int deleted, int added, int modified, Duration took) {
        public int changed() {
            return deleted + added + modified;
        }
    }

    /** Entries by normalized DN, parents before children. */
    private final Map<String, Entry> entries;

    DirectorySnapshot(List<Entry> parentsFirst) {
        Map<String, Entry> copy = new LinkedHashMap<>();
        for (Entry entry : parentsFirst) {
            copy.put(entry.getDn().getNormName(), entry.clone());
        }
        this.entries = Collections.unmodifiableMap(copy);
    }

    /** Entries by normalized DN, parents before children; never hand these out, they are not copies. */
    Map<String, Entry> entries() {
        return entries;
    }

    public int size() {
        return entries.size();
    }

    /**
     * Puts the directory back as it was when this snapshot was taken, touching only what differs: deletes
     * entries created since (children first), adds back entries deleted since (parents first), and replaces or
     * removes the attributes that changed. The writes go through {@code admin}'s operation chain like any LDAP
     * write, so persistent searches (the CA's template watch) hear of them.
     *
     * @param current every entry of the domain now
     * @param start   {@link System#nanoTime()} when the restore began, for {@link Restored#took()}
     * @throws IllegalStateException naming the domain and how far the restore got
     */
    Restored restoreInto(CoreSession admin, List<Entry> current, String domain, long start) {
        int deleted = 0;
        int added = 0;
        int modified = 0;
        try {
            Map<String, Entry> byDn = new HashMap<>();
            List<Entry> extra = new ArrayList<>();
            for (Entry entry : current) {
                byDn.put(entry.getDn().getNormName(), entry);
                if (!entries.containsKey(entry.getDn().getNormName())) {
                    extra.add(entry);
                }
            }
            extra.sort(Comparator.comparingInt((Entry e) -> e.getDn().size()).reversed());
            for (Entry entry : extra) {
                admin.delete(entry.getDn());
                deleted++;
            }
            for (Map.Entry<String, Entry> was : entries.entrySet()) {
                Entry now = byDn.get(was.getKey());
                if (now == null) {
                    admin.add(was.getValue().clone());
                    added++;
                    continue;
                }
                List<Modification> changes = differences(now, was.getValue());
                if (!changes.isEmpty()) {
                    admin.modify(now.getDn(), changes);
                    modified++;
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("restore of " + domain + " failed after " + deleted + " deletes, " + added
                    + " adds and " + modified + " modifies: " + e.getMessage(), e);
        }
        return new Restored(deleted, added, modified, Duration.ofNanos(System.nanoTime() - start));
    }

    /** The modifications that turn {@code now} back into {@code was}: whole attributes replaced or removed. */
    private static List<Modification> differences(Entry now, Entry was) {
        List<Modification> changes = new ArrayList<>();
        for (Attribute before : was) {
            Attribute after = now.get(before.getAttributeType());
            if (after == null || !sameValues(before, after)) {
                changes.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, before.clone()));
            }
        }
        for (Attribute after : now) {
            if (!was.containsAttribute(after.getAttributeType())) {
                changes.add(new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, new DefaultAttribute(after.getAttributeType())));
            }
        }
        return changes;
    }

    /** Whether two forms of one attribute hold the same values, byte for byte, in any order. */
    static boolean sameValues(Attribute a, Attribute b) {
        if (a.size() != b.size()) {
            return false;
        }
        return bytes(a).equals(bytes(b));
    }

    private static Set<ByteBuffer> bytes(Attribute attribute) {
        Set<ByteBuffer> values = new HashSet<>();
        for (Value value : attribute) {
            values.add(ByteBuffer.wrap(value.getBytes()));
        }
        return values;
    }
}
