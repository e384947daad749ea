package org.pkilab.directory.client;

import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.RDN;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.RootDSE;
import com.unboundid.ldap.sdk.SearchResultEntry;
import org.pkilab.directory.model.DomainNames;
import org.pkilab.directory.model.SecurityIdentifier;

/**
 * An administrator's session with a domain controller over LDAP (UnboundID SDK), and the consoles it
 * opens: {@link UsersAndComputers Active Directory Users and Computers}, the
 * {@link CertificateTemplatesConsole Certificate Templates console}, the {@link SecurityTab Security tab} of
 * any object, {@link GroupPolicyManagement Group Policy Management} and {@link EnterprisePki Enterprise PKI}.
 * Every change is an LDAP operation the DC authorizes against the bound account, so the same calls made as a
 * machine account fail with result 50, as they would on Windows.
 *
 * <pre>{@code
 * try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", port, DomainNames.of("contoso.com"),
 *         "CN=Administrator,CN=Users,DC=contoso,DC=com", password)) {
 *     admin.usersAndComputers().createGroup("ConfigMgr IIS Servers");
 *     admin.usersAndComputers().addMember("ConfigMgr IIS Servers", "IIS01$");
 *     CertificateTemplate t = admin.templates().duplicate("Web Server", "ConfigMgr Web Server Certificate",
 *             TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
 *     admin.security().clearAllow(t.name(), "Domain Admins", AccessRight.ENROLL);
 *     admin.security().allow(t.name(), "ConfigMgr IIS Servers", AccessRight.READ, AccessRight.ENROLL);
 * }
 * }</pre>
 */
public final class DirectoryAdmin implements AutoCloseable {

    private final LDAPConnection connection;
    private final DomainNames names;
    private final String bindDn;
    private final SecurityIdentifier domainSid;
    private final UsersAndComputers usersAndComputers;
    private final CertificateTemplatesConsole templates;
    private final SecurityTab security;
    private final GroupPolicyManagement groupPolicy;
    private final EnterprisePki enterprisePki;

    private DirectoryAdmin(LDAPConnection connection, DomainNames names, String bindDn) throws LDAPException {
        this.connection = connection;
        this.names = names;
        this.bindDn = bindDn;
        SearchResultEntry domain = connection.getEntry(names.domain(), "objectSid");
        if (domain == null || !domain.hasAttribute("objectSid")) {
            throw new DirectoryException("no domain " + names.domain() + " on this directory");
        }
        this.domainSid = SecurityIdentifier.fromBytes(domain.getAttributeValueBytes("objectSid"));
        LdapOperations operations = new LdapOperations(connection, "");
        this.usersAndComputers = new UsersAndComputers(operations, names);
        this.templates = new CertificateTemplatesConsole(connection, operations, names, domainSid, bindDn, usersAndComputers);
        this.security = new SecurityTab(operations, domainSid, usersAndComputers, templates);
        this.groupPolicy = new GroupPolicyManagement(operations, names, domainSid);
        this.enterprisePki = new EnterprisePki(operations, names);
    }

    /**
     * The domain a DC serves, read anonymously from its rootDSE ({@code defaultNamingContext}, else the
     * {@code DC=} naming context), as tools find it before binding.
     */
    public static DomainNames discoverDomain(String host, int port) {
        try (LDAPConnection connection = new LDAPConnection(host, port)) {
            RootDSE root = connection.getRootDSE();
            String dn = root == null ? null : root.getAttributeValue("defaultNamingContext");
            if (dn == null && root != null && root.getNamingContextDNs() != null) {
                for (String context : root.getNamingContextDNs()) {
                    if (context.regionMatches(true, 0, "DC=", 0, 3) && (dn == null || context.length() < dn.length())) {
                        dn = context;
                    }
                }
            }
            if (dn == null) {
                throw new DirectoryException("the directory at " + host + ":" + port + " names no domain in its rootDSE");
            }
            StringBuilder dns = new StringBuilder();
            for (RDN rdn : new DN(dn).getRDNs()) {
                dns.append(dns.length() == 0 ? "" : ".").append(rdn.getAttributeValues()[0]);
            }
            return DomainNames.of(dns.toString());
        } catch (LDAPException e) {
            if (e.getResultCode() == ResultCode.CONNECT_ERROR || e.getResultCode() == ResultCode.SERVER_DOWN) {
                throw new DirectoryException(e.getResultCode().intValue(), "no domain controller answers at ldap://" + host + ":" + port
                        + " — is the lab running? 'pkilab up' prints its LDAP URL", e);
            }
            throw failure(e, "read the rootDSE of " + host + ":" + port);
        }
    }

    /**
     * Binds to the DC at {@code host:port} as {@code bindDn} (a DN: the lab's DC, like ApacheDS, does not
     * take UPN or {@code DOMAIN\name} binds).
     *
     * @throws DirectoryException with result code 49 on a wrong password or unknown account
     */
    public static DirectoryAdmin connect(String host, int port, DomainNames names, String bindDn, String password) {
        LDAPConnection connection = null;
        try {
            connection = new LDAPConnection(host, port);
            connection.bind(bindDn, password);
            return new DirectoryAdmin(connection, names, bindDn);
        } catch (LDAPException e) {
            if (connection != null) {
                connection.close();
            }
            throw failure(e, "bind as " + bindDn + " to " + host + ":" + port);
        }
    }

    /**
     * The consoles over a connection bound already, by whatever means (a certificate logon's SASL EXTERNAL bind):
     * {@code bindDn} is the account it is bound as. The connection is closed with this object.
     */
    public static DirectoryAdmin over(LDAPConnection connection, DomainNames names, String bindDn) {
        try {
            return new DirectoryAdmin(connection, names, bindDn);
        } catch (LDAPException e) {
            throw failure(e, "read the domain as " + bindDn);
        }
    }

    public DomainNames names() {
        return names;
    }

    public SecurityIdentifier domainSid() {
        return domainSid;
    }

    /** The DN this session is bound as. */
    public String bindDn() {
        return bindDn;
    }

    /** Active Directory Users and Computers: accounts, groups, membership, and finding a principal by name. */
    public UsersAndComputers usersAndComputers() {
        return usersAndComputers;
    }

    /** The Certificate Templates console. */
    public CertificateTemplatesConsole templates() {
        return templates;
    }

    /** The Security tab of a template, a GPO or any object. */
    public SecurityTab security() {
        return security;
    }

    /** Group Policy Management. */
    public GroupPolicyManagement groupPolicy() {
        return groupPolicy;
    }

    /** Enterprise PKI: the enterprise CAs the forest publishes. */
    public EnterprisePki enterprisePki() {
        return enterprisePki;
    }

    @Override
    public void close() {
        connection.close();
    }

    /** The name check every console makes before it creates an object: not blank, at most 64 characters, no control characters. */
    static String checkName(String what, String name) {
        if (name == null || name.isBlank()) {
            throw new DirectoryException("a " + what + " needs a name");
        }
        if (name.length() > 64) {
            throw new DirectoryException(what + " name longer than 64 characters: " + name);
        }
        for (char c : name.toCharArray()) {
            if (Character.isISOControl(c)) {
                throw new DirectoryException(what + " name holds a control character: " + name.replaceAll("\\p{Cntrl}", "?"));
            }
        }
        return name;
    }

    private static DirectoryException failure(LDAPException e, String action) {
        return LdapOperations.failure("", e, action);
    }
}
