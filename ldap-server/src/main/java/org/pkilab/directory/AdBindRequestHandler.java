package org.pkilab.directory;

import org.apache.directory.api.ldap.model.cursor.Cursor;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapInvalidAttributeValueException;
import org.apache.directory.api.ldap.model.filter.EqualityNode;
import org.apache.directory.api.ldap.model.message.AliasDerefMode;
import org.apache.directory.api.ldap.model.message.BindRequest;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.server.core.api.CoreSession;
import org.apache.directory.server.ldap.LdapSession;
import org.apache.directory.server.ldap.handlers.request.BindRequestHandler;

import java.util.ArrayList;
import java.util.List;

/**
 * Takes the names a Windows DC takes in a simple bind (MS-ADTS 5.1.1.1.1), not only a DN. In
 * {@code contoso.com} (NetBIOS name CONTOSO) each of these names Administrator's account, in any letter case:
 * <pre>
 *   CN=Administrator,CN=Users,DC=contoso,DC=com   the DN
 *   administrator@contoso.com                     the user principal name (userPrincipalName)
 *   CONTOSO\Administrator                         the down-level logon name (NetBIOS domain \ sAMAccountName)
 * </pre>
 * and {@code CONTOSO\IIS01$} or {@code IIS01$@contoso.com} (the implicit UPN, {@code sAMAccountName@} the
 * domain's DNS name, which every account has) names the computer IIS01. The forms are tried in AD's order;
 * the first that names an object decides, and only if it names exactly one. The account found becomes the
 * request's DN, and from there ApacheDS authenticates the bind as it does a bind by DN: the session, the access
 * checks and the logon token all see the account's DN. A name that names no account (or several) is left as it
 * came, with no DN, and {@link SystemAccountGuard} refuses it with the 49 (invalidCredentials) a wrong password
 * gets, never telling whether the account exists.
 */
final class AdBindRequestHandler extends BindRequestHandler {
    private static final String SAM_ACCOUNT_NAME = "1.2.840.113556.1.4.221";
    private static final String USER_PRINCIPAL_NAME = "1.2.840.113556.1.4.656";

    private final Dn domain;
    private final String netbiosName;
    private final String dnsName;

    AdBindRequestHandler(Dn domain, String netbiosName, String dnsName) {
        this.domain = domain;
        this.netbiosName = netbiosName;
        this.dnsName = dnsName;
    }

    @Override
    public void handleSimpleAuth(LdapSession session, BindRequest request) throws Exception {
        String name = request.getName();
        if (request.getDn() == null && name != null && !name.isEmpty()) {
            Dn account = resolve(session.getLdapServer().getDirectoryService().getAdminSession(), name);
            if (account != null) {
                request.setDn(account);
            }
        }
        super.handleSimpleAuth(session, request);
    }

    /**
     * The DN of the one account the name stands for, or null when it stands for none; a form that names several
     * objects ends the search there, refused (MS-ADTS: invalidCredentials, ERROR_INVALID_PARAMETER).
     */
    Dn resolve(CoreSession admin, String name) throws LdapException {
        int at = name.lastIndexOf('@');
        int backslash = name.indexOf('\\');
        List<Dn> holders = at > 0 ? holders(admin, USER_PRINCIPAL_NAME, name) : List.of();
        if (holders.isEmpty() && backslash > 0 && backslash < name.length() - 1
                && name.substring(0, backslash).equalsIgnoreCase(netbiosName)) {
            holders = holders(admin, SAM_ACCOUNT_NAME, name.substring(backslash + 1));
        }
        if (holders.isEmpty() && at > 0 && at < name.length() - 1 && name.substring(at + 1).equalsIgnoreCase(dnsName)) {
            holders = holders(admin, SAM_ACCOUNT_NAME, name.substring(0, at));
        }
        return holders.size() == 1 ? holders.get(0) : null;
    }

    /**
     * The account whose sAMAccountName is {@code samAccountName} (any letter case), read with its sAMAccountName and NT
     * hash, or null when no one account holds it: the name NTLM gives.
     */
    Entry account(CoreSession admin, String samAccountName) throws LdapException {
        List<Dn> holders = holders(admin, SAM_ACCOUNT_NAME, samAccountName);
        return holders.size() == 1 ? admin.lookup(holders.get(0), "sAMAccountName", PasswordVerifiers.UNICODE_PWD) : null;
    }

    /** Up to two objects of the domain holding the value, enough to tell one from several. */
    private List<Dn> holders(CoreSession admin, String attribute, String value) throws LdapException {
        AttributeType type = admin.getDirectoryService().getSchemaManager().getAttributeType(attribute);
        Value wanted;
        try {
            wanted = new Value(type, value);
        } catch (LdapInvalidAttributeValueException e) {
            return List.of();
        }
        List<Dn> found = new ArrayList<>(2);
        try (Cursor<Entry> cursor = admin.search(domain, SearchScope.SUBTREE, new EqualityNode<>(type, wanted),
                AliasDerefMode.NEVER_DEREF_ALIASES, "1.1")) {
            while (found.size() < 2 && cursor.next()) {
                found.add(cursor.get().getDn());
            }
        } catch (LdapException e) {
            throw e;
        } catch (Exception e) {
            throw new LdapException("cannot look up the bind name '" + value + "' by " + attribute + ": " + e.getMessage(), e);
        }
        return found;
    }
}
