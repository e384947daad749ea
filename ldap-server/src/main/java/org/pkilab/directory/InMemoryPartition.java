package org.pkilab.directory;

import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.server.core.api.DnFactory;
import org.apache.directory.server.core.api.entry.ClonedServerEntry;
import org.apache.directory.server.core.api.partition.PartitionTxn;
import org.apache.directory.server.core.partition.impl.avl.AvlPartition;

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
 */
final class InMemoryPartition extends AvlPartition {

    private volatile Lock reads;

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

    /** What ApacheDS hands a reader: the entry as stored, and the copy its filters trim; here neither is the live entry. */
    private static final class ReadCopy extends ClonedServerEntry {
        ReadCopy(Entry original, Entry copy) {
            this.originalEntry = original;
            this.clonedEntry = copy;
        }
    }
}
