package org.pkilab.directory;

import org.apache.directory.api.ldap.model.cursor.Cursor;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapInvalidDnException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchObjectException;
import org.apache.directory.api.ldap.model.filter.ExprNode;
import org.apache.directory.api.ldap.model.filter.FilterParser;
import org.apache.directory.api.ldap.model.message.AliasDerefMode;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.server.core.api.CoreSession;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.LogonToken.TokenGroup;
import org.pkilab.directory.model.SecurityIdentifier;

import java.text.ParseException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Computes what goes into a logon token: the account's SID, its primary group ({@code primaryGroupID},
 * which AD does not list in {@code member}), every group that lists it or one of its groups in
 * {@code member}, transitively, and the well-known groups every authenticated caller holds.
 * Runs inside the DC with its own session, so it sees the directory as it is at this moment.
 *
 * <p>The groups of an account, and the group each primary group id stands for, are kept once computed,
 * as a DC keeps group memberships at hand, and forgotten whenever a write could change any of them
 * ({@link #membershipChanged()}: a group added, anything deleted, renamed or moved, {@code member},
 * {@code primaryGroupID}, {@code objectSid} or {@code sAMAccountName} modified), so a token always holds
 * the groups of this moment. Without that, every logon and every write's access check searched the
 * directory again, the primary group by its SID through every entry (ApacheDS cannot index a binary
 * attribute such as {@code objectSid}), and a domain with a thousand computers spent more time there than
 * anywhere else.
 */
final class TokenBuilder {

    /** What a token holds besides its time and logon server. */
    private record Membership(String account, SecurityIdentifier sid, List<TokenGroup> groups, boolean primaryGroupFound) {
    }

    /** A group as the membership index holds it. */
    private record IndexedGroup(Dn dn, TokenGroup group) {
    }

    private final Map<String, Membership> memberships = new ConcurrentHashMap<>();
    /** The accounts kept whose primary group was not found: the few an added object may concern. */
    private final Set<String> withoutPrimaryGroup = ConcurrentHashMap.newKeySet();
    /** Primary group SID to the group(s) holding it (one, or none when it does not exist). */
    private final Map<SecurityIdentifier, List<Entry>> primaryGroups = new ConcurrentHashMap<>();
    /** Every group by the normalized DN of each member; {@code null} until read again after a change. */
    private volatile Map<String, List<IndexedGroup>> groupIndex;
    /** Moves on with every write that may change memberships: a computation that saw it move is not kept. */
    private final AtomicLong generation = new AtomicLong();

    private final CoreSession admin;
    private final SchemaManager schema;
    private final Dn domain;
    private final SecurityIdentifier domainSid;
    private final String netbiosName;

    TokenBuilder(CoreSession admin, SchemaManager schema, Dn domain, SecurityIdentifier domainSid, String netbiosName) {
        this.admin = admin;
        this.schema = schema;
        this.domain = domain;
        this.domainSid = domainSid;
        this.netbiosName = netbiosName;
    }

    LogonToken tokenFor(Dn account, Instant now, String logonServer) throws LdapException {
        String key = normalized(account);
        Membership membership = memberships.get(key);
        if (membership == null) {
            long before = generation.get();
            membership = membership(account);
            if (!membership.primaryGroupFound()) {
                withoutPrimaryGroup.add(key);
            }
            memberships.put(key, membership);
            if (generation.get() != before) {
                memberships.remove(key, membership); // a write came in meanwhile: what was read may be out of date
            }
        }
        return new LogonToken(membership.account(), account.getName(), membership.sid(), membership.groups(), now, logonServer);
    }

    /**
     * The token of the account a session is bound as, with the groups a certificate logon of that session added
     * (issuance policies linked to groups, {@link CertificateLogonSession}).
     */
    LogonToken tokenOf(CoreSession session) throws LdapException {
        return tokenOf(session, Instant.EPOCH, "");
    }

    /** {@link #tokenOf(CoreSession)} issued at {@code now} by {@code logonServer}, as the logon extended operation hands it out. */
    LogonToken tokenOf(CoreSession session, Instant now, String logonServer) throws LdapException {
        LogonToken token = tokenFor(session.getEffectivePrincipal().getDn(), now, logonServer);
        return session instanceof CertificateLogonSession certificate ? certificate.withLinkedGroups(token) : token;
    }

    /** A write that may change groups (or what they are called) has been made: forget every account's groups. */
    void membershipChanged() {
        generation.incrementAndGet();
        memberships.clear();
        groupIndex = null;
        primaryGroups.clear();
        withoutPrimaryGroup.clear();
    }

    /**
     * A new object that is not a group has been added: no account's groups change, but an account whose
     * primary group was missing may find it now.
     */
    void objectAdded() {
        generation.incrementAndGet();
        for (String key : withoutPrimaryGroup) {
            memberships.remove(key);
            withoutPrimaryGroup.remove(key);
        }
        primaryGroups.values().removeIf(List::isEmpty);
    }

    private Membership membership(Dn account) throws LdapException {
        Entry entry = admin.lookup(account, "objectSid", "sAMAccountName", "primaryGroupID");
        if (entry == null || entry.get("objectSid") == null) {
            throw new LdapNoSuchObjectException(account + " is " + (entry == null ? "not there" : "not a security principal (no objectSid)"));
        }
        SecurityIdentifier sid = SecurityIdentifier.fromBytes(entry.get("objectSid").getBytes());
        List<TokenGroup> groups = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        Deque<Dn> frontier = new ArrayDeque<>();
        frontier.add(account);
        seen.add(normalized(account));
        Attribute primary = entry.get("primaryGroupID");
        boolean primaryFound = primary == null;
        if (primary != null) {
            SecurityIdentifier primarySid = domainSid.withRid(Integer.parseInt(primary.getString().trim()));
            for (Entry group : primaryGroup(primarySid)) {
                primaryFound = true;
                if (seen.add(normalized(group.getDn()))) {
                    groups.add(group(group));
                    frontier.add(group.getDn());
                }
            }
        }
        Map<String, List<IndexedGroup>> groupsOf = groupsByMember();
        while (!frontier.isEmpty()) {
            Dn member = frontier.poll();
            for (IndexedGroup group : groupsOf.getOrDefault(normalized(member), List.of())) {
                if (seen.add(normalized(group.dn()))) {
                    groups.add(group.group());
                    frontier.add(group.dn());
                }
            }
        }
        groups.add(new TokenGroup(SecurityIdentifier.EVERYONE, "Everyone"));
        groups.add(new TokenGroup(SecurityIdentifier.AUTHENTICATED_USERS, "NT AUTHORITY\\Authenticated Users"));
        return new Membership(netbiosName + "\\" + entry.get("sAMAccountName").getString(), sid, List.copyOf(groups), primaryFound);
    }

    /**
     * Every group by the normalized DN of each of its members, read once and kept until memberships change.
     * Membership is matched on the members' identity (their DN as the schema normalizes it), never by turning
     * a DN back into filter text: an escaped backslash, comma or quote in a name once made that text match
     * nothing, and the groups above such a member (and a Deny they held) silently fell out of its token.
     */
    private Map<String, List<IndexedGroup>> groupsByMember() throws LdapException {
        Map<String, List<IndexedGroup>> known = groupIndex;
        if (known != null) {
            return known;
        }
        long before = generation.get();
        Map<String, List<IndexedGroup>> index = new HashMap<>();
        for (Entry entry : search("(objectClass=group)", "objectSid", "sAMAccountName", "member")) {
            Attribute members = entry.get("member");
            if (members == null || entry.get("objectSid") == null) {
                continue;
            }
            IndexedGroup group = new IndexedGroup(entry.getDn(), group(entry));
            for (Value value : members) {
                try {
                    index.computeIfAbsent(normalized(new Dn(schema, value.getString())), k -> new ArrayList<>()).add(group);
                } catch (LdapInvalidDnException e) {
                    // the DN syntax check refuses such a value on write; a value that is not a DN names no member
                }
            }
        }
        if (generation.get() == before) {
            groupIndex = index;
        }
        return index;
    }

    private String normalized(Dn dn) throws LdapInvalidDnException {
        return (dn.isSchemaAware() ? dn : new Dn(schema, dn.getName())).getNormName();
    }

    /** The group whose SID is {@code sid}, from memory once it was searched for (under the same generation rule). */
    private List<Entry> primaryGroup(SecurityIdentifier sid) throws LdapException {
        List<Entry> known = primaryGroups.get(sid);
        if (known != null) {
            return known;
        }
        long before = generation.get();
        List<Entry> found = List.copyOf(search("(objectSid=" + binaryFilter(sid.toBytes()) + ")"));
        primaryGroups.put(sid, found);
        if (generation.get() != before) {
            primaryGroups.remove(sid, found);
        }
        return found;
    }

    /** The display name of a SID: {@code CONTOSO\Domain Admins}, a well-known name, or the SID itself. */
    String nameOf(SecurityIdentifier sid) {
        if (sid.equals(SecurityIdentifier.AUTHENTICATED_USERS)) {
            return "NT AUTHORITY\\Authenticated Users";
        }
        if (sid.equals(SecurityIdentifier.EVERYONE)) {
            return "Everyone";
        }
        try {
            for (Entry e : search("(objectSid=" + binaryFilter(sid.toBytes()) + ")")) {
                Attribute sam = e.get("sAMAccountName");
                return sam == null ? e.getDn().getName() : netbiosName + "\\" + sam.getString();
            }
        } catch (LdapException e) {
            // fall through to the SID itself: a name is a courtesy in a message
        }
        return sid.toString();
    }

    private TokenGroup group(Entry group) throws LdapException {
        Attribute sam = group.get("sAMAccountName");
        return new TokenGroup(SecurityIdentifier.fromBytes(group.get("objectSid").getBytes()),
                netbiosName + "\\" + (sam == null ? group.getDn().getRdn().getValue() : sam.getString()));
    }

    private List<Entry> search(String filter) throws LdapException {
        return search(filter, "objectSid", "sAMAccountName");
    }

    private List<Entry> search(String filter, String... attributes) throws LdapException {
        ExprNode node;
        try {
            node = FilterParser.parse(schema, filter);
        } catch (ParseException e) {
            throw new LdapException("bad internal filter " + filter, e);
        }
        List<Entry> result = new ArrayList<>();
        try (Cursor<Entry> cursor = admin.search(domain, SearchScope.SUBTREE, node, AliasDerefMode.NEVER_DEREF_ALIASES, attributes)) {
            while (cursor.next()) {
                result.add(cursor.get());
            }
        } catch (LdapException e) {
            throw e;
        } catch (Exception e) {
            throw new LdapException(e);
        }
        return result;
    }

    static String binaryFilter(byte[] bytes) {
        StringBuilder text = new StringBuilder();
        for (byte b : bytes) {
            text.append('\\').append(String.format("%02x", b & 0xFF));
        }
        return text.toString();
    }

}
