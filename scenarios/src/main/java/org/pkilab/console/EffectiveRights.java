package org.pkilab.console;

import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.SearchResult;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import org.pkilab.directory.client.UsersAndComputers;
import org.pkilab.directory.model.AccessControlEntry;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.DomainNames;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.SecurityIdentifier;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The "Effective Access" of a template's Security tab: what each account may do on the template once nested groups
 * and Deny entries are applied, and which entry decided it. Windows checks a right against the SIDs of the caller's
 * logon token: every Deny entry naming one of them wins over every Allow entry, and one Allow entry naming one of
 * them grants it. The SIDs come from the DC: a base-scope read of an account's {@code tokenGroups} returns every
 * group it holds, nesting and its primary group resolved; the account's own SID, Everyone and Authenticated Users
 * are added as a logon adds them. The path through which an account holds the deciding group is found by walking
 * {@code memberOf} up from the account.
 *
 * <pre>{@code
 * Template "Blocked Users": (OD;;CR;0e10c968-...;;Outer)(OA;;CR;0e10c968-...;;DU)
 * bob is in Inner, Inner is in Outer; bob's tokenGroups: Domain Users, Inner, Outer
 * Enroll for bob: Deny — Deny Enroll to CONTOSO\Outer, which bob holds through CONTOSO\Inner
 * }</pre>
 *
 * <p>Everything is read over the signed-in account's own connection: an account that may not read another's
 * {@code tokenGroups} or {@code memberOf} sees less, as it would on Windows.
 */
final class EffectiveRights {

    /** The rights the Effective Access table shows, in the Security tab's order. */
    static final List<AccessRight> RIGHTS = List.of(AccessRight.READ, AccessRight.WRITE, AccessRight.ENROLL, AccessRight.AUTOENROLL);
    private static final String[] ACCOUNT_ATTRIBUTES = {"objectSid", "sAMAccountName", "objectClass", "memberOf", "primaryGroupID",
            "tokenGroups", "userAccountControl"};
    private static final Map<SecurityIdentifier, String> WELL_KNOWN = Map.of(
            SecurityIdentifier.EVERYONE, "Everyone",
            SecurityIdentifier.AUTHENTICATED_USERS, "NT AUTHORITY\\Authenticated Users",
            SecurityIdentifier.ENTERPRISE_DOMAIN_CONTROLLERS, "NT AUTHORITY\\ENTERPRISE DOMAIN CONTROLLERS",
            SecurityIdentifier.LOCAL_SYSTEM, "NT AUTHORITY\\SYSTEM");

    /** An account (or group) with the SIDs its token would hold. */
    record Account(String name, String dn, String kind, SecurityIdentifier sid, Set<SecurityIdentifier> token, List<String> memberOf,
                   SecurityIdentifier primaryGroup) {
    }

    /** One right for one account: {@code verdict} is "Allow", "Deny" or "Not granted"; {@code because} names the entry and the path. */
    record Decision(AccessRight right, String verdict, String because) {
    }

    record Row(Account account, List<Decision> decisions) {
    }

    private final LDAPConnection ldap;
    private final DomainNames names;
    private final SecurityIdentifier domainSid;
    private final UsersAndComputers accounts;
    private final Map<SecurityIdentifier, String> sidNames = new HashMap<>();
    private final Map<String, SearchResultEntry> groups = new HashMap<>();

    EffectiveRights(LDAPConnection ldap, DomainNames names, SecurityIdentifier domainSid, UsersAndComputers accounts) {
        this.ldap = ldap;
        this.names = names;
        this.domainSid = domainSid;
        this.accounts = accounts;
    }

    /**
     * A row for each principal of the ACL, then one for each enabled user and computer whose token holds one of the ACL's
     * domain groups (a member, however deeply nested), by name. Everyone and Authenticated Users are in every token: an
     * account that holds only those is their row, not one of its own (the lookup form answers for any account).
     */
    List<Row> forAcl(SecurityDescriptor sd) throws LDAPException {
        List<Row> rows = new ArrayList<>();
        Set<SecurityIdentifier> trustees = new LinkedHashSet<>(sd.trustees());
        for (SecurityIdentifier trustee : trustees) {
            rows.add(row(sd, principal(trustee)));
        }
        List<Account> members = new ArrayList<>();
        SearchResult all = ldap.search(names.domain(), SearchScope.SUB, Filter.createANDFilter(Filter.createEqualityFilter("objectClass", "user"),
                Filter.createPresenceFilter("objectSid")), "objectSid", "userAccountControl");
        for (SearchResultEntry e : all.getSearchEntries()) {
            SecurityIdentifier sid = SecurityIdentifier.fromBytes(e.getAttributeValueBytes("objectSid"));
            Integer control = e.getAttributeValueAsInteger("userAccountControl");
            if (trustees.contains(sid) || (control != null && (control & 0x2) != 0)) {
                continue; // already a row, or disabled (krbtgt, Guest): it cannot sign in to enroll
            }
            Account account = read(e.getDN());
            if (account.token().stream().anyMatch(held -> trustees.contains(held) && held.isInDomain(domainSid))) {
                members.add(account);
            }
        }
        members.sort(Comparator.comparing(Account::name, String.CASE_INSENSITIVE_ORDER));
        for (Account account : members) {
            rows.add(row(sd, account));
        }
        return rows;
    }

    /**
     * The row of the account a student typed: {@code bob}, {@code CONTOSO\bob}, {@code IIS01}, {@code IIS01$}, a group's name
     * or a user principal name; empty when no object has that name. The name goes into the filter as a value
     * ({@link Filter#createEqualityFilter}), so {@code *}, {@code (} or {@code \} in it are matched, not interpreted.
     */
    Optional<Row> forTyped(SecurityDescriptor sd, String typed) throws LDAPException {
        String name = typed.trim();
        int slash = name.indexOf('\\');
        if (slash >= 0) {
            name = name.substring(slash + 1);
        }
        SearchResult found = ldap.search(names.domain(), SearchScope.SUB, Filter.createANDFilter(Filter.createPresenceFilter("objectSid"),
                Filter.createORFilter(Filter.createEqualityFilter("sAMAccountName", name), Filter.createEqualityFilter("sAMAccountName", name + "$"),
                        Filter.createEqualityFilter("cn", name), Filter.createEqualityFilter("userPrincipalName", name))), "objectSid");
        if (found.getEntryCount() == 0) {
            return Optional.empty();
        }
        if (found.getEntryCount() > 1) {
            throw new ConsoleAnswer.Refused(400, "Ambiguous name", "'" + typed + "' names " + found.getEntryCount() + " objects ("
                    + String.join("; ", found.getSearchEntries().stream().map(SearchResultEntry::getDN).toList()) + "): type the user logon name.");
        }
        return Optional.of(row(sd, read(found.getSearchEntries().get(0).getDN())));
    }

    private Row row(SecurityDescriptor sd, Account account) throws LDAPException {
        List<Decision> decisions = new ArrayList<>();
        for (AccessRight right : RIGHTS) {
            SecurityDescriptor.AccessCheck check = sd.check(account.token(), right);
            if (check.decidedBy() == null) {
                decisions.add(new Decision(right, "Not granted", "no entry allows it to a SID in "
                        + possessive(first(account.name())) + " token"));
                continue;
            }
            AccessControlEntry ace = sd.entries().stream().filter(e -> e.allow() == check.granted() && e.trustee().equals(check.decidedBy())
                    && e.carries(right)).findFirst().orElseThrow();
            String verdict = check.granted() ? "Allow" : "Deny";
            String why = verdict + " " + carried(ace, right) + " to " + nameOf(check.decidedBy()) + holding(account, check.decidedBy());
            if (right == AccessRight.AUTOENROLL && check.granted() && !sd.check(account.token(), AccessRight.ENROLL).granted()) {
                why += "; but autoenrollment also needs Enroll, which " + first(account.name()) + " does not hold, so it will not autoenroll";
            }
            decisions.add(new Decision(right, verdict, why));
        }
        return new Row(account, decisions);
    }

    /** What the deciding entry grants or denies, as the Security tab's checkbox that wrote it. */
    private static String carried(AccessControlEntry ace, AccessRight right) {
        if (ace.carries(AccessRight.FULL_CONTROL)) {
            return "Full Control";
        }
        if ((right == AccessRight.ENROLL || right == AccessRight.AUTOENROLL) && ace.objectType() == null) {
            return "all extended rights (CR without a GUID)";
        }
        return right.displayName();
    }

    /** How the account holds the deciding SID: itself, as every logon does, directly, or through nested groups. */
    private String holding(Account account, SecurityIdentifier decider) throws LDAPException {
        String who = first(account.name());
        if (decider.equals(account.sid())) {
            return " (its own entry)";
        }
        if (decider.equals(SecurityIdentifier.EVERYONE) || decider.equals(SecurityIdentifier.AUTHENTICATED_USERS)) {
            return ", which every signed-in account holds";
        }
        List<String> path = path(account, decider);
        if (path == null) {
            return ", which " + possessive(who) + " token holds";
        }
        if (path.isEmpty()) {
            return ", which " + who + " holds as a direct member" + (decider.equals(account.primaryGroup()) ? " (its primary group)" : "");
        }
        return ", which " + who + " holds through " + String.join(" → ", path);
    }

    /**
     * The groups between the account and {@code target}, nearest first, walking {@code memberOf} breadth-first (and the
     * primary group, which {@code memberOf} leaves out); empty for a direct member, null when the walk does not reach it.
     */
    private List<String> path(Account account, SecurityIdentifier target) throws LDAPException {
        Map<String, String> parent = new HashMap<>();
        Deque<String> queue = new ArrayDeque<>();
        List<String> seeds = new ArrayList<>(account.memberOf());
        if (account.primaryGroup() != null) {
            dnOf(account.primaryGroup()).ifPresent(seeds::add);
        }
        for (String dn : seeds) {
            if (parent.putIfAbsent(dn, "") == null) {
                queue.add(dn);
            }
        }
        while (!queue.isEmpty()) {
            String dn = queue.poll();
            SearchResultEntry group = group(dn);
            if (group == null) {
                continue;
            }
            if (group.hasAttribute("objectSid") && SecurityIdentifier.fromBytes(group.getAttributeValueBytes("objectSid")).equals(target)) {
                List<String> path = new ArrayList<>();
                for (String at = parent.get(dn); !at.isEmpty(); at = parent.get(at)) {
                    path.add(0, nameOf(SecurityIdentifier.fromBytes(group(at).getAttributeValueBytes("objectSid"))));
                }
                return path;
            }
            String[] up = group.getAttributeValues("memberOf");
            for (String next : up == null ? new String[0] : up) {
                if (parent.putIfAbsent(next, dn) == null) {
                    queue.add(next);
                }
            }
        }
        return null;
    }

    private SearchResultEntry group(String dn) throws LDAPException {
        if (!groups.containsKey(dn)) {
            groups.put(dn, ldap.getEntry(dn, "objectSid", "memberOf"));
        }
        return groups.get(dn);
    }

    private Optional<String> dnOf(SecurityIdentifier sid) throws LDAPException {
        SearchResult found = ldap.search(names.domain(), SearchScope.SUB, Filter.createEqualityFilter("objectSid", sid.toBytes()), "cn");
        return found.getSearchEntries().stream().map(SearchResultEntry::getDN).findFirst();
    }

    /** A principal of the ACL: read from the directory when it is an object there, else a well-known SID with the token a logon gives it. */
    private Account principal(SecurityIdentifier sid) throws LDAPException {
        Optional<String> dn = WELL_KNOWN.containsKey(sid) ? Optional.empty() : dnOf(sid);
        if (dn.isPresent()) {
            return read(dn.get());
        }
        Set<SecurityIdentifier> token = new LinkedHashSet<>(List.of(sid, SecurityIdentifier.EVERYONE));
        if (!sid.equals(SecurityIdentifier.EVERYONE)) {
            token.add(SecurityIdentifier.AUTHENTICATED_USERS);
        }
        return new Account(nameOf(sid), null, "well-known", sid, Set.copyOf(token), List.of(), null);
    }

    /** An object's token as a logon would build it now: itself, its {@code tokenGroups}, Everyone and Authenticated Users. */
    private Account read(String dn) throws LDAPException {
        SearchResultEntry e = ldap.getEntry(dn, ACCOUNT_ATTRIBUTES);
        if (e == null || !e.hasAttribute("objectSid")) {
            throw new ConsoleAnswer.Refused(403, "Cannot read the account", "The DC returned no objectSid for " + dn
                    + " to this account: it may not read it.");
        }
        SecurityIdentifier sid = SecurityIdentifier.fromBytes(e.getAttributeValueBytes("objectSid"));
        Set<SecurityIdentifier> token = new LinkedHashSet<>(List.of(sid, SecurityIdentifier.EVERYONE, SecurityIdentifier.AUTHENTICATED_USERS));
        byte[][] tokenGroups = e.getAttributeValueByteArrays("tokenGroups");
        for (byte[] g : tokenGroups == null ? new byte[0][] : tokenGroups) {
            token.add(SecurityIdentifier.fromBytes(g));
        }
        List<String> classes = Arrays.asList(e.getObjectClassValues() == null ? new String[0] : e.getObjectClassValues());
        String kind = classes.stream().anyMatch("computer"::equalsIgnoreCase) ? "computer"
                : classes.stream().anyMatch("group"::equalsIgnoreCase) ? "group" : classes.stream().anyMatch("user"::equalsIgnoreCase) ? "user" : "object";
        Integer primary = e.getAttributeValueAsInteger("primaryGroupID");
        String[] memberOf = e.getAttributeValues("memberOf");
        String name = e.hasAttribute("sAMAccountName") ? names.defaultNetbiosName() + "\\" + e.getAttributeValue("sAMAccountName") : nameOf(sid);
        return new Account(name, dn, kind, sid, Set.copyOf(token), memberOf == null ? List.of() : List.of(memberOf),
                primary == null ? null : domainSid.withRid(primary));
    }

    /** {@code CONTOSO\Domain Admins}, a well-known principal's name, or the SID's text. */
    String nameOf(SecurityIdentifier sid) {
        return sidNames.computeIfAbsent(sid, s -> {
            String found = accounts.nameOf(s);
            return found.equals(s.toString()) && WELL_KNOWN.containsKey(s) ? WELL_KNOWN.get(s) : found;
        });
    }

    /** "bob's", "Domain Users'". */
    private static String possessive(String name) {
        return name + (name.endsWith("s") ? "'" : "'s");
    }

    /** {@code bob} of {@code CONTOSO\bob}. */
    private static String first(String name) {
        return name.substring(name.indexOf('\\') + 1);
    }
}
