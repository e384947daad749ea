package org.pkilab.console;

import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.SearchResultEntry;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.SecurityIdentifier;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a restart would change in a computer's token: the groups it holds since its last logon against the ones the DC
 * would give it now ({@code tokenGroups}, nesting resolved). Everyone, Authenticated Users and the account's own SID come
 * with every logon and are never in {@code tokenGroups}, so they count as neither gained nor lost. The Active Directory
 * view and the Computers view both show it, each in its own words.
 *
 * @param now    the DC's {@code tokenGroups} for the account, as the signed-in account may read them (empty: not shown)
 * @param gained groups a restart would add
 * @param lost   groups a restart would drop
 */
record TokenChange(List<SecurityIdentifier> now, List<SecurityIdentifier> gained, List<SecurityIdentifier> lost) {

    TokenChange {
        now = List.copyOf(now);
        gained = List.copyOf(gained);
        lost = List.copyOf(lost);
    }

    /** {@code held} (the token since the last restart) against the {@code tokenGroups} of {@code dn}, read over {@code ldap}. */
    static TokenChange of(LDAPConnection ldap, String dn, LogonToken held) throws LDAPException {
        List<SecurityIdentifier> now = tokenGroups(ldap, dn);
        Set<SecurityIdentifier> heldSids = new LinkedHashSet<>();
        held.groups().forEach(g -> heldSids.add(g.sid()));
        Set<SecurityIdentifier> logonOnly = Set.of(SecurityIdentifier.EVERYONE, SecurityIdentifier.AUTHENTICATED_USERS, held.sid());
        return new TokenChange(now, now.stream().filter(s -> !heldSids.contains(s)).toList(),
                heldSids.stream().filter(s -> !logonOnly.contains(s) && !now.contains(s)).toList());
    }

    /** The {@code tokenGroups} of {@code dn}: one base-scope read, the DC resolving nesting and the primary group. */
    static List<SecurityIdentifier> tokenGroups(LDAPConnection ldap, String dn) throws LDAPException {
        List<SecurityIdentifier> sids = new ArrayList<>();
        SearchResultEntry entry = ldap.getEntry(dn, "tokenGroups");
        if (entry != null && entry.hasAttribute("tokenGroups")) {
            for (byte[] sid : entry.getAttributeValueByteArrays("tokenGroups")) {
                sids.add(SecurityIdentifier.fromBytes(sid));
            }
        }
        return sids;
    }

    boolean unchanged() {
        return gained.isEmpty() && lost.isEmpty();
    }
}
