package org.pkilab.directory;

import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.server.core.api.CoreSession;
import org.pkilab.directory.model.SecurityIdentifier;

/**
 * The RID pool a domain controller holds: the relative ids it gives new accounts and groups. As an AD DC
 * does, it takes {@link #RID_POOL_SIZE} RIDs at a time from the RID master (the domain head's {@code nextRid})
 * and assigns them from memory, so creating an account is one write, not two; RIDs of a pool a DC never used
 * are skipped after a crash, never handed out twice.
 *
 * <pre>{@code
 * rids.allocate(system, domain, domainSid);   // S-1-5-21-...-1104; nextRid is now 1603
 * rids.returnUnused(system, domain);          // nextRid back to 1105, as a clean shutdown leaves it
 * }</pre>
 */
final class RidPool {

    /** AD's default RID pool: a DC asks the RID master for 500 RIDs at a time. */
    static final int RID_POOL_SIZE = 500;
    /** Set on the thread that writes nextRid for this DC's pool, so that write is not taken for someone else's. */
    private static final ThreadLocal<Boolean> WRITING_NEXT_RID = ThreadLocal.withInitial(() -> false);

    /** The pool: [nextPooledRid, ridPoolEnd); empty when equal. Guarded by this. */
    private int nextPooledRid;
    private int ridPoolEnd;

    /** The SID of the domain's next account, taking a new pool from the RID master when this one is used up. */
    synchronized SecurityIdentifier allocate(CoreSession system, Dn domain, SecurityIdentifier domainSid) throws LdapException {
        if (nextPooledRid >= ridPoolEnd) {
            Entry head = system.lookup(domain, "nextRid");
            int rid = Integer.parseInt(head.get("nextRid").getString());
            writeNextRid(system, domain, rid + RID_POOL_SIZE);
            nextPooledRid = rid;
            ridPoolEnd = rid + RID_POOL_SIZE;
        }
        return domainSid.withRid(nextPooledRid++);
    }

    /** Gives the pool's unused RIDs back to the RID master: {@code nextRid} becomes the next RID this DC would have used. */
    synchronized void returnUnused(CoreSession system, Dn domain) throws LdapException {
        if (nextPooledRid < ridPoolEnd) {
            writeNextRid(system, domain, nextPooledRid);
            ridPoolEnd = nextPooledRid;
        }
    }

    /** Drops the pool: someone else set the RID master's counter (a restore), so the next pool comes from it. */
    synchronized void forget() {
        ridPoolEnd = nextPooledRid;
    }

    /** Whether this thread is writing {@code nextRid} for the pool (not someone else's write). */
    static boolean writingNextRid() {
        return WRITING_NEXT_RID.get();
    }

    private static void writeNextRid(CoreSession system, Dn domain, int value) throws LdapException {
        WRITING_NEXT_RID.set(true);
        try {
            system.modify(domain, new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "nextRid", Integer.toString(value)));
        } finally {
            WRITING_NEXT_RID.set(false);
        }
    }
}
