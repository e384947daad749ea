package org.pkilab.directory;

import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Value;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Collections;
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
 * admin.createGroup("ConfigMgr IIS Servers");        // a test changes the directory
 * DirectorySnapshot.Restored undone = dc.restore(seeded);
 * undone.deleted();                                  // 1: the group is gone again
 * }</pre>
 *
 * <p>It holds the user attributes of each entry: binary values ({@code objectSid}, {@code cACertificate}),
 * security descriptors, passwords, and the domain head's {@code nextRid}, so
 * accounts created after a restore get the same SIDs again. It leaves out what ApacheDS keeps by itself
 * ({@code entryUUID}, {@code entryCSN}, {@code createTimestamp}, {@code modifyTimestamp} ...): a
 * restored entry gets new ones, as a re-created object gets a new GUID in AD.
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
