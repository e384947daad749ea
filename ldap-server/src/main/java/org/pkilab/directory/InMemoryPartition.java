package org.pkilab.directory;

import org.apache.directory.api.ldap.model.constants.SchemaConstants;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.server.core.api.DnFactory;
import org.apache.directory.server.core.api.entry.ClonedServerEntry;
import org.apache.directory.server.core.api.interceptor.context.AddOperationContext;
import org.apache.directory.server.core.api.interceptor.context.ModifyOperationContext;
import org.apache.directory.server.core.api.partition.PartitionTxn;
import org.apache.directory.server.core.partition.impl.avl.AvlPartition;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;

/**
 * ApacheDS's in-memory (AVL) partition, where the DC holds the domain, with reads made safe against writes.
 *
 * <p>The AVL table holds the live entry objects, and a modify changes an entry in place while it holds the
 * directory's write lock. ApacheDS copies an entry for a search's cursor after the search has let go of its
 * read lock, so a search that met an entry being modified could copy it half-changed or fail with
 * {@code ConcurrentModificationException}, which reached the client as LDAP 80 (other) with no message: a CA
 * reading its templates while an administrator edited one failed about one request in eight thousand. Here a
 * reader gets copies made under the same read lock every other read takes, so it sees an entry before or after
 * a write, never during one. (ApacheDS's JDBM partitions never showed this: each read there decodes a new copy.)
 *
 * <p>It also indexes attributes of binary syntax by their bytes, which ApacheDS's own indexes cannot: they key
 * each value by its normalized string, and a binary value has none, so an index on {@code objectSid} held nothing
 * and made every search on it find nothing. The DC names objects by {@code objectSid} and {@code objectGUID}
 * ({@code <SID=...>}, {@code <GUID=...>}): {@link #holderOf} finds the one entry holding a value without reading
 * every entry of the domain.
 *
 * <pre>{@code
 * partition.indexBytes(schema.getAttributeType("objectSid"));
 * String id = partition.holderOf(objectSid, sid);  // the holder's entryUUID (the partition's id for it), or null
 * }</pre>
 */
final class InMemoryPartition extends AvlPartition {

    private volatile Lock reads;
    /** The binary attributes indexed by their bytes, by OID. */
    private final Set<String> byteIndexed = ConcurrentHashMap.newKeySet();
    /** "OID:hex of the value" to the id of the entry holding it. */
    private final Map<String, String> holders = new ConcurrentHashMap<>();
    /** The keys of {@link #holders} each entry id holds, to drop them when the entry changes or goes. */
    private final Map<String, List<String>> keysOf = new ConcurrentHashMap<>();

    InMemoryPartition(SchemaManager schema, DnFactory dnFactory) {
        super(schema, dnFactory);
    }

    /** The read half of the directory service's operation lock, whose write half every write holds. */
    void readUnder(Lock operationsRead) {
        this.reads = operationsRead;
    }

    @Override
    public Entry fetch(PartitionTxn transaction, String id, Dn dn) throws LdapException {
        Lock lock = reads;
        if (lock == null) {
            return super.fetch(transaction, id, dn); // the service is not built yet: nothing else runs
        }
        lock.lock();
        try {
            Entry fetched = super.fetch(transaction, id, dn);
            if (fetched instanceof ClonedServerEntry live) {
                // ApacheDS's schema filter walks the "original" after the lock is gone: give it a copy of its own
                return new ReadCopy(live.getOriginalEntry().clone(), live.getClonedEntry());
            }
            return fetched;
        } finally {
            lock.unlock();
        }
    }

    /** Indexes {@code type}, an attribute of binary syntax, by its values' bytes. */
    void indexBytes(AttributeType type) {
        byteIndexed.add(type.getOid());
    }

    /** Whether {@code type}'s values are indexed by their bytes here. */
    boolean indexesBytesOf(AttributeType type) {
        return byteIndexed.contains(type.getOid());
    }

    /** The id (entryUUID) of the entry whose {@code type} holds {@code value}; null when none does. */
    String holderOf(AttributeType type, byte[] value) {
        return holders.get(key(type.getOid(), value));
    }

    @Override
    public void add(AddOperationContext ctx) throws LdapException {
        super.add(ctx);
        Entry entry = ctx.getEntry();
        Attribute uuid = entry.get(SchemaConstants.ENTRY_UUID_AT);
        if (uuid != null) {
            index(uuid.getString(), entry);
        }
    }

    @Override
    public void modify(ModifyOperationContext ctx) throws LdapException {
        super.modify(ctx);
        Entry altered = ctx.getAlteredEntry();
        Attribute uuid = altered == null ? null : altered.get(SchemaConstants.ENTRY_UUID_AT);
        if (uuid != null) {
            index(uuid.getString(), altered);
        }
    }

    @Override
    public Entry delete(PartitionTxn transaction, String id) throws LdapException {
        Entry deleted = super.delete(transaction, id);
        unindex(id);
        return deleted;
    }

    /** Puts {@code entry}'s values of the byte-indexed attributes in the index, in place of what it held before. */
    private void index(String id, Entry entry) {
        if (byteIndexed.isEmpty()) {
            return;
        }
        unindex(id);
        List<String> keys = new ArrayList<>();
        for (Attribute attribute : entry) {
            AttributeType type = attribute.getAttributeType();
            if (type == null || !byteIndexed.contains(type.getOid())) {
                continue;
            }
            for (Value value : attribute) {
                if (value.getBytes() != null) {
                    String key = key(type.getOid(), value.getBytes());
                    holders.put(key, id);
                    keys.add(key);
                }
            }
        }
        if (!keys.isEmpty()) {
            keysOf.put(id, keys);
        }
    }

    private void unindex(String id) {
        List<String> keys = keysOf.remove(id);
        if (keys != null) {
            keys.forEach(key -> holders.remove(key, id));
        }
    }

    private static String key(String oid, byte[] value) {
        return oid + ':' + HexFormat.of().formatHex(value);
    }

    /** What ApacheDS hands a reader: the entry as stored, and the copy its filters trim; here neither is the live entry. */
    private static final class ReadCopy extends ClonedServerEntry {
        ReadCopy(Entry original, Entry copy) {
            this.originalEntry = original;
            this.clonedEntry = copy;
        }
    }
}
