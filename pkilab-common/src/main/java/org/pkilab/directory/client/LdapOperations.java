package org.pkilab.directory.client;

import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPInterface;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;

import java.util.List;

/**
 * The LDAP reads and writes the lab's clients make, over a connection or a pool, each turning a
 * failure into a {@link DirectoryException} that says what was being done, the LDAP result code and
 * name, and the DC's own diagnostic.
 *
 * @param ldap  a connection or a connection pool
 * @param actor who is acting, for messages ("the CA could not ..."); empty for plain "could not ..."
 */
public record LdapOperations(LDAPInterface ldap, String actor) {

    /** The entry, or a {@link DirectoryException} with result 32 when there is none. */
    public SearchResultEntry read(String dn, String... attributes) {
        try {
            SearchResultEntry entry = ldap.getEntry(dn, attributes);
            if (entry == null) {
                throw new DirectoryException(32, "no object " + dn, null);
            }
            return entry;
        } catch (LDAPException e) {
            throw failure(e, "read " + dn);
        }
    }

    public boolean exists(String dn) {
        try {
            return ldap.getEntry(dn, "1.1") != null;
        } catch (LDAPException e) {
            throw failure(e, "read " + dn);
        }
    }

    public List<SearchResultEntry> search(String base, Filter filter, String... attributes) {
        try {
            return ldap.search(base, SearchScope.SUB, filter, attributes).getSearchEntries();
        } catch (LDAPException e) {
            throw failure(e, "search " + base + " for " + filter);
        }
    }

    public void add(String dn, List<Attribute> attributes, String action) {
        try {
            ldap.add(dn, attributes);
        } catch (LDAPException e) {
            throw failure(e, action);
        }
    }

    public void modify(String dn, String action, Modification... changes) {
        try {
            ldap.modify(dn, changes);
        } catch (LDAPException e) {
            throw failure(e, action);
        }
    }

    public DirectoryException failure(LDAPException e, String action) {
        return failure(actor, e, action);
    }

    /** "{@code <actor> could not <action>: LDAP 50 insufficientAccessRights — <the DC's diagnostic>}". */
    public static DirectoryException failure(String actor, LDAPException e, String action) {
        String detail = e.getDiagnosticMessage() == null ? e.getMessage() : e.getDiagnosticMessage();
        if (detail != null && detail.strip().contains("\n")) {
            // ApacheDS echoes the whole request in its diagnostic; its own error is the last line
            String[] lines = detail.strip().split("\n");
            detail = lines[lines.length - 1].replaceFirst("^:\\s*", "");
        }
        String hint = switch (e.getResultCode().intValue()) {
            case 49 -> " (wrong password, or no such account: bind with the account's full DN)";
            case 68 -> " (an object with that name already exists)";
            case 20 -> " (that value is already there: already a member, or already set)";
            default -> "";
        };
        return new DirectoryException(e.getResultCode().intValue(), (actor.isEmpty() ? "" : actor + " ") + "could not " + action + ": LDAP "
                + e.getResultCode().intValue() + " " + e.getResultCode().getName() + hint + (detail == null ? "" : " — " + detail), e);
    }
}
