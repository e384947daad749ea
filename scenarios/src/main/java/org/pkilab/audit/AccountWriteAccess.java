package org.pkilab.audit;

import org.pkilab.audit.AuditContext.Holders;
import org.pkilab.audit.AuditContext.Scope;
import org.pkilab.audit.AuditSnapshot.Principal;
import org.pkilab.directory.model.AccessControlEntry;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.SecurityIdentifier;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.pkilab.audit.AuditContext.SELF;
import static org.pkilab.audit.AuditContext.trustees;

/**
 * Who may write an account's certificate-mapping attributes, as its Security tab (Advanced) grants them: Write
 * {@code userPrincipalName} (ESC9, ESC10, ESC16: rename the victim's UPN, enroll, rename it back) and Write
 * {@code altSecurityIdentities} (ESC14: map one's own certificate to the victim). Owner, Write DACL and Write Owner
 * count as the write too, since they grant it; Deny entries win, and SELF applies when an account acts on itself.
 *
 * <pre>{@code
 * AccountWriteAccess writes = ctx.accountWrites();
 * writes.upnWriters(enrollers.accountPrincipals()).pairs();   // [accounts CONTOSO\bob may write userPrincipalName of CONTOSO\alice]
 * AccountWriteAccess.canWriteProperty(sd, token, AccountWriteAccess.ALT_SECURITY_IDENTITIES_GUIDS);
 * }</pre>
 */
final class AccountWriteAccess {

    /** {@code userPrincipalName}'s schemaIDGUID, and the Public-Information property set that holds it. */
    static final Set<String> UPN_WRITE_GUIDS = Set.of("28630ebb-41d5-11d1-a9c1-0000f80367c1", "e48d0154-bcf8-11d1-8702-00c04fb96050");
    /** {@code altSecurityIdentities}'s schemaIDGUID. */
    static final Set<String> ALT_SECURITY_IDENTITIES_GUIDS = Set.of("00fbf30c-91fe-11d1-aebc-0000f80367c1");

    private final AuditContext ctx;
    private final Map<SecurityIdentifier, Boolean> privilegedPrincipal = new HashMap<>();

    AccountWriteAccess(AuditContext ctx) {
        this.ctx = ctx;
    }

    /**
     * Whether the token may write the property named by {@code guids} on an object with descriptor {@code sd}: owner,
     * Write DACL, Write Owner, or Write Property on the whole object or on the property (set), with Deny applied.
     */
    static boolean canWriteProperty(SecurityDescriptor sd, Set<SecurityIdentifier> token, Set<String> guids) {
        if (sd == null) {
            return false;
        }
        if (sd.owner() != null && token.contains(sd.owner())) {
            return true;
        }
        if (sd.grants(token, AccessControlEntry.WRITE_DAC) || sd.grants(token, AccessControlEntry.WRITE_OWNER)) {
            return true;
        }
        for (AccessControlEntry e : sd.entries()) {
            if (!e.allow() && e.appliesToObject() && token.contains(e.trustee()) && (e.mask() & AccessControlEntry.WRITE_PROPERTY) != 0
                    && (e.objectType() == null || guids.contains(e.objectType()))) {
                return false;
            }
        }
        for (AccessControlEntry e : sd.entries()) {
            if (e.allow() && e.appliesToObject() && token.contains(e.trustee()) && (e.mask() & AccessControlEntry.WRITE_PROPERTY) != 0
                    && (e.objectType() == null || guids.contains(e.objectType()))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether anyone low-privileged could be granted a write by {@code sd}: a low-privileged owner, or an allow entry for
     * a low-privileged trustee (SELF included) carrying Write Property, Write DACL or Write Owner. Descriptors that fail
     * this are skipped before the account-by-account check, which is what keeps the audit of a large domain fast.
     */
    boolean mayGrantWrite(SecurityDescriptor sd) {
        if (sd == null) {
            return false;
        }
        if (sd.owner() != null && !privilegedPrincipal(sd.owner())) {
            return true;
        }
        int writes = AccessControlEntry.WRITE_PROPERTY | AccessControlEntry.WRITE_DAC | AccessControlEntry.WRITE_OWNER;
        for (AccessControlEntry e : sd.entries()) {
            if (e.allow() && e.appliesToObject() && (e.mask() & writes) != 0
                    && (e.trustee().equals(SELF) || !privilegedPrincipal(e.trustee()))) {
                return true;
            }
        }
        return false;
    }

    private boolean privilegedPrincipal(SecurityIdentifier sid) {
        return privilegedPrincipal.computeIfAbsent(sid, x -> ctx.privileged(ctx.memberToken(x), Scope.ENROLLMENT));
    }

    /** A token for {@code actor} acting on {@code target}: with SELF when they are the same account. */
    Set<SecurityIdentifier> tokenOn(Principal actor, Principal target) {
        Set<SecurityIdentifier> token = new HashSet<>(ctx.token(actor));
        if (actor.sid().equals(target.sid())) {
            token.add(SELF);
        }
        return token;
    }

    /**
     * The low-privileged principals that may write the {@code userPrincipalName} of an account in {@code victims}
     * (itself included: an account that may rename its own UPN needs no victim), and the pairs as text.
     */
    record UpnWriters(Holders writers, List<String> pairs) {
    }

    UpnWriters upnWriters(List<Principal> victims) {
        List<String> pairs = new ArrayList<>();
        List<Holders> all = new ArrayList<>();
        for (Principal victim : victims) {
            SecurityDescriptor sd = victim.securityDescriptor();
            if (!mayGrantWrite(sd)) {
                continue;
            }
            Set<SecurityIdentifier> candidates = trustees(sd);
            candidates.remove(SELF);
            Holders h = ctx.holders(candidates, Scope.ENROLLMENT, token -> canWriteProperty(sd, token, UPN_WRITE_GUIDS));
            List<String> selfWriters = new ArrayList<>();
            if (canWriteProperty(sd, tokenOn(victim, victim), UPN_WRITE_GUIDS) && !ctx.privileged(ctx.token(victim), Scope.ENROLLMENT)) {
                selfWriters.add(ctx.nameOf(victim.sid()));
            }
            if (!h.isEmpty() || !selfWriters.isEmpty()) {
                Set<String> accounts = new LinkedHashSet<>(h.accounts());
                accounts.addAll(selfWriters);
                List<Principal> ps = new ArrayList<>(h.accountPrincipals());
                if (!selfWriters.isEmpty() && ps.stream().noneMatch(p -> p.sid().equals(victim.sid()))) {
                    ps.add(victim);
                }
                Holders merged = new Holders(h.groups(), List.copyOf(accounts), ps);
                all.add(merged);
                pairs.add(merged.describe() + " may write userPrincipalName of " + ctx.nameOf(victim.sid()));
            }
        }
        return new UpnWriters(Holders.merge(all), pairs);
    }

    Condition upnWritable(UpnWriters writers) {
        return new Condition("a low-privileged principal may rewrite the userPrincipalName of an account that may enroll",
                !writers.writers().isEmpty(), writers.pairs().isEmpty() ? "no such write access on the enrolling accounts"
                : String.join("; ", writers.pairs()));
    }
}
