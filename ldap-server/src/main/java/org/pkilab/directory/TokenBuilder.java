package org.pkilab.directory;

import org.apache.directory.api.ldap.model.cursor.Cursor;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchObjectException;
import org.apache.directory.api.ldap.model.filter.ExprNode;
import org.apache.directory.api.ldap.model.filter.FilterEncoder;
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
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Computes what goes into a logon token: the account's SID, its primary group ({@code primaryGroupID},
 * which AD does not list in {@code member}), every group that lists it or one of its groups in
 * {@code member}, transitively, and the well-known groups every authenticated caller holds.
 * Runs inside the DC with its own session, so it sees the directory as it is at this moment.
 */
final class TokenBuilder {

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
        Entry entry = admin.lookup(account, "objectSid", "sAMAccountName", "primaryGroupID");
        if (entry == null || entry.get("objectSid") == null) {
            throw new LdapNoSuchObjectException(account + " is " + (entry == null ? "not there" : "not a security principal (no objectSid)"));
        }
        SecurityIdentifier sid = SecurityIdentifier.fromBytes(entry.get("objectSid").getBytes());
        List<TokenGroup> groups = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        Deque<Dn> frontier = new ArrayDeque<>();
        frontier.add(account);
        seen.add(account.getNormName());
        Attribute primary = entry.get("primaryGroupID");
        if (primary != null) {
            SecurityIdentifier primarySid = domainSid.withRid(Integer.parseInt(primary.getString().trim()));
            for (Entry group : search("(objectSid=" + binaryFilter(primarySid.toBytes()) + ")")) {
                if (seen.add(group.getDn().getNormName())) {
                    groups.add(group(group));
                    frontier.add(group.getDn());
                }
            }
        }
        while (!frontier.isEmpty()) {
            Dn member = frontier.poll();
            for (Entry group : search("(&(objectClass=group)(member=" + FilterEncoder.encodeFilterValue(member.getName()) + "))")) {
                if (seen.add(group.getDn().getNormName())) {
                    groups.add(group(group));
                    frontier.add(group.getDn());
                }
            }
        }
        groups.add(new TokenGroup(SecurityIdentifier.EVERYONE, "Everyone"));
        groups.add(new TokenGroup(SecurityIdentifier.AUTHENTICATED_USERS, "NT AUTHORITY\\Authenticated Users"));
        return new LogonToken(netbiosName + "\\" + entry.get("sAMAccountName").getString(), account.getName(), sid,
                groups, now, logonServer);
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
        ExprNode node;
        try {
            node = FilterParser.parse(schema, filter);
        } catch (ParseException e) {
            throw new LdapException("bad internal filter " + filter, e);
        }
        List<Entry> result = new ArrayList<>();
        try (Cursor<Entry> cursor = admin.search(domain, SearchScope.SUBTREE, node, AliasDerefMode.NEVER_DEREF_ALIASES,
                "objectSid", "sAMAccountName")) {
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
