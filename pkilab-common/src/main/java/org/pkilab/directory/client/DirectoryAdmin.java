package org.pkilab.directory.client;

import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.DomainNames;
import org.pkilab.directory.model.GroupPolicy;
import org.pkilab.directory.model.KeyAlgorithm;
import org.pkilab.directory.model.GroupPolicy.RegistryValue;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.directory.model.TemplateFlags;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * What an administrator does in Active Directory Users and Computers, the Certificate Templates
 * console and Group Policy Management, done over LDAP (UnboundID SDK) against a domain controller.
 * Every change is an LDAP operation the DC authorizes against the bound account, so the same calls made
 * as a machine account fail with result 50, as they would on Windows.
 *
 * <pre>{@code
 * try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", port, DomainNames.of("contoso.com"),
 *         "CN=Administrator,CN=Users,DC=contoso,DC=com", password)) {
 *     admin.createGroup("ConfigMgr IIS Servers");
 *     admin.addMember("ConfigMgr IIS Servers", "IIS01$");
 *     CertificateTemplate t = admin.duplicateTemplate("Web Server", "ConfigMgr Web Server Certificate",
 *             TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
 *     admin.clearAllow(t.name(), "Domain Admins", AccessRight.ENROLL);
 *     admin.allow(t.name(), "ConfigMgr IIS Servers", AccessRight.READ, AccessRight.ENROLL);
 * }
 * }</pre>
 */
public final class DirectoryAdmin implements AutoCloseable {

    /** The choice the "Duplicate Template" dialog offers. */
    public enum TemplateCompatibility {
        /** "Windows 2003 Server, Enterprise Edition": a schema 2 template, keys in a legacy CSP. */
        WINDOWS_2003_SERVER_ENTERPRISE(2),
        /** "Windows 2008 Server, Enterprise Edition": a schema 3 template, keys in a CNG provider. */
        WINDOWS_2008_SERVER_ENTERPRISE(3);

        private final int schemaVersion;

        TemplateCompatibility(int schemaVersion) {
            this.schemaVersion = schemaVersion;
        }

        public int schemaVersion() {
            return schemaVersion;
        }
    }

    /** Group scope, as the New Object - Group dialog offers it (all security groups). */
    public enum GroupScope {
        DOMAIN_LOCAL(0x80000004, 0x20000000), GLOBAL(0x80000002, 0x10000000), UNIVERSAL(0x80000008, 0x10000000);

        private final int groupType;
        private final int samAccountType;

        GroupScope(int groupType, int samAccountType) {
            this.groupType = groupType;
            this.samAccountType = samAccountType;
        }
    }

    private static final Pattern SAM_ILLEGAL = Pattern.compile("[\"/\\\\\\[\\]:;|=,+*?<>]");
    private static final Pattern COMPUTER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,14}");
    private static final Pattern DNS_NAME = Pattern.compile("(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}");
    private static final String CNG_KEY_SETTINGS = "msPKI-Asymmetric-Algorithm`PZPWSTR`RSA`msPKI-Hash-Algorithm`PZPWSTR`SHA256`"
            + "msPKI-Key-Usage`DWORD`16777215`msPKI-Symmetric-Algorithm`PZPWSTR`3DES`msPKI-Symmetric-Key-Length`DWORD`168`";
    private static final String[] TEMPLATE_ATTRIBUTES = {"*"};
    private static final SecureRandom RANDOM = new SecureRandom();

    private final LDAPConnection connection;
    private final LdapOperations operations;
    private final DomainNames names;
    private final String bindDn;
    private final SecurityIdentifier domainSid;

    private DirectoryAdmin(LDAPConnection connection, DomainNames names, String bindDn) throws LDAPException {
        this.connection = connection;
        this.operations = new LdapOperations(connection, "");
        this.names = names;
        this.bindDn = bindDn;
        SearchResultEntry domain = connection.getEntry(names.domain(), "objectSid");
        if (domain == null || !domain.hasAttribute("objectSid")) {
            throw new DirectoryException("no domain " + names.domain() + " on this directory");
        }
        this.domainSid = SecurityIdentifier.fromBytes(domain.getAttributeValueBytes("objectSid"));
    }

    /** An account or group as Active Directory Users and Computers lists it. */
    public record Principal(String name, String samAccountName, String distinguishedName, String description) {
    }

    /**
     * An enterprise CA as published under {@code CN=Enrollment Services}: its host, its "Certificate
     * Templates to Issue", its certificate, and the enrollment URLs of {@code msPKI-Enrollment-Servers}
     * (each value {@code <priority>\n<authentication>\n<renewal only>\n<URL>}; here just the URLs).
     */
    public record EnrollmentService(String name, String dnsHostName, List<String> templates, byte[] caCertificate,
                                    List<String> enrollmentUrls) {
        public EnrollmentService {
            templates = List.copyOf(templates);
            enrollmentUrls = List.copyOf(enrollmentUrls);
            caCertificate = caCertificate == null ? null : caCertificate.clone();
        }

        @Override
        public byte[] caCertificate() {
            return caCertificate == null ? null : caCertificate.clone();
        }
    }

    /**
     * The domain a DC serves, read anonymously from its rootDSE ({@code defaultNamingContext}, else the
     * {@code DC=} naming context), as tools find it before binding.
     */
    public static DomainNames discoverDomain(String host, int port) {
        try (LDAPConnection connection = new LDAPConnection(host, port)) {
            com.unboundid.ldap.sdk.RootDSE root = connection.getRootDSE();
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
            for (com.unboundid.ldap.sdk.RDN rdn : new DN(dn).getRDNs()) {
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

    // ---- accounts and groups ---------------------------------------------------------------------

    /** Creates a global security group in {@code CN=Users}; returns its DN. */
    public String createGroup(String name) {
        return createGroup(name, GroupScope.GLOBAL, null);
    }

    /**
     * Creates a security group in {@code CN=Users}. Its pre-Windows 2000 name ({@code sAMAccountName})
     * is the name with the characters AD forbids there ({@code " / \ [ ] : ; | = , + * ? < >}) replaced
     * by {@code _}; the group keeps its full name as {@code cn}.
     */
    public String createGroup(String name, GroupScope scope, String description) {
        String dn = DomainNames.child(checkName("group", name), names.users());
        List<Attribute> attributes = new ArrayList<>(List.of(
                new Attribute("objectClass", "top", "group"), new Attribute("cn", name),
                new Attribute("sAMAccountName", samAccountName(name)),
                new Attribute("groupType", Integer.toString(scope.groupType)),
                new Attribute("sAMAccountType", Integer.toString(scope.samAccountType))));
        if (description != null) {
            attributes.add(new Attribute("description", description));
        }
        add(dn, attributes, "create group '" + name + "'");
        return dn;
    }

    /**
     * Creates a computer account in {@code CN=Computers}, as joining the domain does: {@code NAME$},
     * the machine-account password, {@code dNSHostName}, HOST service principal names, primary group
     * Domain Computers.
     */
    public String createComputer(String name, String dnsHostName, String password) {
        if (name == null || !COMPUTER_NAME.matcher(name).matches()) {
            throw new DirectoryException("computer name '" + name + "' is not valid: use 1-15 letters, digits or hyphens");
        }
        if (dnsHostName == null || !DNS_NAME.matcher(dnsHostName).matches()) {
            throw new DirectoryException("DNS host name '" + dnsHostName + "' of computer " + name + " is not a valid FQDN");
        }
        checkPassword(name + "$", password);
        String upper = name.toUpperCase(Locale.ROOT);
        String dn = names.computer(upper);
        add(dn, List.of(
                new Attribute("objectClass", "top", "person", "organizationalPerson", "user", "computer"),
                new Attribute("cn", upper), new Attribute("sAMAccountName", upper + "$"),
                new Attribute("dNSHostName", dnsHostName.toLowerCase(Locale.ROOT)),
                new Attribute("servicePrincipalName", "HOST/" + dnsHostName.toLowerCase(Locale.ROOT), "HOST/" + upper),
                new Attribute("primaryGroupID", "515"), new Attribute("userAccountControl", "4096"),
                new Attribute("sAMAccountType", "805306369"), new Attribute("userPassword", password)),
                "create computer " + upper);
        return dn;
    }

    /** Creates a user in {@code CN=Users} with a UPN in the domain; primary group Domain Users. */
    public String createUser(String name, String password) {
        checkPassword(name, password);
        String dn = DomainNames.child(checkName("user", name), names.users());
        String sam = samAccountName(name);
        add(dn, List.of(
                new Attribute("objectClass", "top", "person", "organizationalPerson", "user"),
                new Attribute("cn", name), new Attribute("sAMAccountName", sam),
                new Attribute("userPrincipalName", sam.replace(' ', '.') + "@" + names.dnsName()),
                new Attribute("primaryGroupID", "513"), new Attribute("userAccountControl", "512"),
                new Attribute("sAMAccountType", "805306368"), new Attribute("userPassword", password)),
                "create user '" + name + "'");
        return dn;
    }

    /**
     * The General tab's "E-mail" of a user (its {@code mail} attribute), which a template with "Include e-mail name"
     * puts in the certificate; {@code null} or blank clears it.
     *
     * @throws IllegalArgumentException when {@code address} is not one mailbox, {@code local@domain.example}
     */
    public void setMail(String account, String address) {
        String dn = dnOf(account);
        if (address == null || address.isBlank()) {
            modify(dn, "clear the e-mail of " + account, new Modification(ModificationType.REPLACE, "mail"));
            return;
        }
        if (!address.matches("[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+")) {
            throw new IllegalArgumentException("'" + address + "' is not an e-mail address: give one mailbox, as alice@contoso.com");
        }
        modify(dn, "set the e-mail of " + account, new Modification(ModificationType.REPLACE, "mail", address));
    }

    /** Adds an account or group (by name or DN) to a group; nested groups are allowed. */
    public void addMember(String group, String member) {
        String groupDn = dnOf(group);
        String memberDn = dnOf(member);
        modify(groupDn, "add " + member + " to " + group, new Modification(ModificationType.ADD, "member", memberDn));
    }

    /** Removes a member from a group. */
    public void removeMember(String group, String member) {
        String groupDn = dnOf(group);
        String memberDn = dnOf(member);
        modify(groupDn, "remove " + member + " from " + group, new Modification(ModificationType.DELETE, "member", memberDn));
    }

    /** The DNs listed in a group's {@code member} attribute (not its primary-group members). */
    public List<String> members(String group) {
        SearchResultEntry entry = read(dnOf(group), "member");
        String[] values = entry.getAttributeValues("member");
        return values == null ? List.of() : List.of(values);
    }

    /** Every security group in the domain, by name. */
    public List<Principal> groups() {
        return principals(Filter.createEqualityFilter("objectClass", "group"));
    }

    /** Every user account (computers excluded), by name. */
    public List<Principal> users() {
        return principals(Filter.createANDFilter(Filter.createEqualityFilter("objectClass", "user"),
                Filter.createNOTFilter(Filter.createEqualityFilter("objectClass", "computer"))));
    }

    /** Every computer account, domain controllers included, by name. */
    public List<Principal> computers() {
        return principals(Filter.createEqualityFilter("objectClass", "computer"));
    }

    private List<Principal> principals(Filter filter) {
        return search(names.domain(), filter, "cn", "sAMAccountName", "description").stream()
                .map(e -> new Principal(e.getAttributeValue("cn"), e.getAttributeValue("sAMAccountName"), e.getDN(),
                        e.getAttributeValue("description")))
                .sorted(java.util.Comparator.comparing(Principal::name, String.CASE_INSENSITIVE_ORDER))
                .toList();
    }

    /** The enterprise CAs published in the forest ({@code CN=Enrollment Services}). */
    public List<EnrollmentService> enrollmentServices() {
        List<EnrollmentService> services = new ArrayList<>();
        for (SearchResultEntry e : search(names.enrollmentServices(), Filter.createEqualityFilter("objectClass", "pKIEnrollmentService"),
                "cn", "dNSHostName", "certificateTemplates", "cACertificate", "msPKI-Enrollment-Servers")) {
            String[] templates = e.getAttributeValues("certificateTemplates");
            String[] servers = e.getAttributeValues("msPKI-Enrollment-Servers");
            List<String> urls = servers == null ? List.of()
                    : java.util.Arrays.stream(servers).map(v -> v.substring(v.lastIndexOf('\n') + 1)).toList();
            services.add(new EnrollmentService(e.getAttributeValue("cn"), e.getAttributeValue("dNSHostName"),
                    templates == null ? List.of() : List.of(templates), e.getAttributeValueBytes("cACertificate"), urls));
        }
        return services;
    }

    /**
     * Finds the DN of an account, group or well-known principal by its {@code sAMAccountName}
     * ({@code IIS01$}, {@code Domain Admins}), its name ({@code cn}), or its DN.
     */
    public String dnOf(String nameOrDn) {
        if (nameOrDn == null || nameOrDn.isEmpty()) {
            throw new DirectoryException("no account or group name given");
        }
        if (DN.isValidDN(nameOrDn) && nameOrDn.contains("=")
                && nameOrDn.toLowerCase(Locale.ROOT).endsWith(names.domain().toLowerCase(Locale.ROOT))) {
            return nameOrDn;
        }
        Filter filter = Filter.createANDFilter(Filter.createPresenceFilter("objectSid"), Filter.createORFilter(
                Filter.createEqualityFilter("sAMAccountName", nameOrDn), Filter.createEqualityFilter("cn", nameOrDn)));
        List<SearchResultEntry> found = search(names.domain(), filter, "cn");
        if (found.isEmpty()) {
            throw new DirectoryException(32, "no account, group or well-known principal named '" + nameOrDn + "' in "
                    + names.dnsName(), null);
        }
        if (found.size() > 1) {
            throw new DirectoryException("the name '" + nameOrDn + "' is ambiguous: "
                    + found.stream().map(SearchResultEntry::getDN).toList() + "; give the DN instead");
        }
        return found.get(0).getDN();
    }

    /** The SID of an account, group or well-known principal. */
    public SecurityIdentifier sidOf(String nameOrDn) {
        return SecurityIdentifier.fromBytes(read(dnOf(nameOrDn), "objectSid").getAttributeValueBytes("objectSid"));
    }

    /** {@code CONTOSO\Domain Admins}, a well-known name, or the SID's text when nothing has it. */
    public String nameOf(SecurityIdentifier sid) {
        List<SearchResultEntry> found = search(names.domain(), Filter.createEqualityFilter("objectSid", sid.toBytes()),
                "sAMAccountName", "cn");
        if (found.isEmpty()) {
            return sid.toString();
        }
        SearchResultEntry entry = found.get(0);
        return entry.hasAttribute("sAMAccountName")
                ? names.defaultNetbiosName() + "\\" + entry.getAttributeValue("sAMAccountName")
                : (sid.equals(SecurityIdentifier.AUTHENTICATED_USERS) ? "NT AUTHORITY\\" : "") + entry.getAttributeValue("cn");
    }

    // ---- certificate templates -------------------------------------------------------------------

    /** Every template, as the Certificate Templates console lists them. */
    public List<CertificateTemplate> templates() {
        List<CertificateTemplate> templates = new ArrayList<>();
        for (SearchResultEntry entry : search(names.certificateTemplates(),
                Filter.createEqualityFilter("objectClass", "pKICertificateTemplate"), TEMPLATE_ATTRIBUTES)) {
            templates.add(toTemplate(entry));
        }
        return templates;
    }

    /** A template by name ({@code WebServer}) or display name ({@code Web Server}). */
    public CertificateTemplate template(String nameOrDisplayName) {
        return toTemplate(templateEntry(nameOrDisplayName));
    }

    /**
     * "Duplicate Template": copies {@code source} under a new display name; the template name is the
     * display name without spaces, as the console proposes. The copy gets a new OID from the forest's
     * OID arc (registered under {@code CN=OID}), revision 100, {@code CT_FLAG_IS_MODIFIED} instead of
     * {@code CT_FLAG_IS_DEFAULT}, the chosen compatibility, its EKUs as application policies, the
     * source's Security tab, and the bound account as owner with Read and Write.
     */
    public CertificateTemplate duplicateTemplate(String source, String newDisplayName, TemplateCompatibility compatibility) {
        CertificateTemplate original = template(source);
        String displayName = checkName("template", newDisplayName).trim();
        String name = displayName.replace(" ", "");
        if (!search(names.certificateTemplates(), Filter.createORFilter(Filter.createEqualityFilter("cn", name),
                Filter.createEqualityFilter("displayName", displayName)), "cn").isEmpty()) {
            throw new DirectoryException(68, "a certificate template named '" + displayName + "' (" + name + ") already exists", null);
        }
        String oid = newTemplateOid();
        SecurityIdentifier creator = sidOf(bindDn);
        SecurityDescriptor security = original.securityDescriptor();
        security = new SecurityDescriptor(creator, creator, "PAI", security.entries())
                .allow(creator, AccessRight.READ).allow(creator, AccessRight.WRITE);
        int schema = compatibility.schemaVersion();
        CertificateTemplate.Builder copy = original.toBuilder()
                .name(name).displayName(displayName).schemaVersion(schema).revision(100).minorRevision(0).oid(oid)
                .flags((original.flags() & ~TemplateFlags.General.IS_DEFAULT.value()) | TemplateFlags.General.IS_MODIFIED.value())
                .privateKeyFlags((original.privateKeyFlags() & ~TemplateFlags.PrivateKey.COMPATIBILITY_MASK)
                        | (schema == 2 ? TemplateFlags.PrivateKey.COMPATIBILITY_2003 : TemplateFlags.PrivateKey.COMPATIBILITY_2008))
                .applicationPolicies(original.applicationPolicies().isEmpty() ? original.extendedKeyUsages() : original.applicationPolicies())
                .securityDescriptor(security);
        if (schema >= 3) {
            copy.cryptographicProviders(List.of()).raApplicationPolicies(List.of(CNG_KEY_SETTINGS));
        }
        CertificateTemplate duplicate = copy.build();
        List<Attribute> attributes = new ArrayList<>();
        attributes.add(new Attribute("objectClass", "top", "pKICertificateTemplate"));
        duplicate.toAttributes(domainSid).forEach((attribute, values) ->
                attributes.add(new Attribute(attribute, values.toArray(new byte[0][]))));
        // the OID object first, as the console writes them: cut off between the two, what is left is an unused OID
        // object, and Duplicate Template again makes the template whole; the other order left a template without it
        String oidObject = registerOid(oid, displayName);
        try {
            add(names.template(name), attributes, "duplicate template '" + original.displayName() + "' as '" + displayName + "'");
        } catch (DirectoryException e) {
            try {
                connection.delete(oidObject);
            } catch (LDAPException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        return template(name);
    }

    /**
     * Changes a template's settings through {@code edit}, as pressing OK in its Properties dialog does:
     * the minor revision goes up by one. Version 1 templates cannot be changed (only their Security
     * tab), as in the console. If two administrators edit at once, the second gets an error and
     * nothing half-written.
     */
    public CertificateTemplate updateTemplate(String template, UnaryOperator<CertificateTemplate.Builder> edit) {
        SearchResultEntry entry = templateEntry(template);
        CertificateTemplate before = toTemplate(entry);
        if (before.schemaVersion() < 2) {
            throw new DirectoryException("'" + before.displayName() + "' is a Windows 2000 (version 1) template: its settings "
                    + "cannot be changed. Duplicate it (Windows 2003 Server, Enterprise Edition) and change the copy.");
        }
        CertificateTemplate after;
        try {
            after = edit.apply(before.toBuilder()).name(before.name()).minorRevision(before.minorRevision() + 1).build();
        } catch (IllegalArgumentException e) {
            throw new DirectoryException("template '" + before.displayName() + "' not changed: " + e.getMessage());
        }
        List<Modification> changes = diff(before, after);
        // the old minor revision as a precondition: a concurrent edit makes this modify fail whole
        changes.add(0, new Modification(ModificationType.DELETE, "msPKI-Template-Minor-Revision",
                Integer.toString(before.minorRevision())));
        changes.add(1, new Modification(ModificationType.ADD, "msPKI-Template-Minor-Revision",
                Integer.toString(after.minorRevision())));
        try {
            connection.modify(entry.getDN(), changes);
        } catch (LDAPException e) {
            if (e.getResultCode() == ResultCode.NO_SUCH_ATTRIBUTE) {
                throw new DirectoryException(e.getResultCode().intValue(), "template '" + before.displayName()
                        + "' was changed by someone else meanwhile; nothing was written, read it again", e);
            }
            throw failure(e, "change template '" + before.displayName() + "'");
        }
        return template(before.name());
    }

    /** Subject Name tab: "Supply in the request" or "Build from this Active Directory information". */
    public CertificateTemplate setSubjectNameMode(String template, CertificateTemplate.SubjectNameMode mode) {
        return updateTemplate(template, b -> {
            CertificateTemplate t = b.build();
            int flags = t.certificateNameFlags();
            if (mode == CertificateTemplate.SubjectNameMode.SUPPLY_IN_REQUEST) {
                flags = (flags & ~TemplateFlags.CertificateName.BUILD_FROM_DIRECTORY_MASK)
                        | TemplateFlags.CertificateName.ENROLLEE_SUPPLIES_SUBJECT.value();
            } else if (t.enrolleeSuppliesSubject()) {
                flags = (flags & ~TemplateFlags.CertificateName.ENROLLEE_SUPPLIES_SUBJECT.value())
                        | (t.machineTemplate() ? TemplateFlags.CertificateName.SUBJECT_ALT_REQUIRE_DNS.value()
                        | TemplateFlags.CertificateName.SUBJECT_REQUIRE_DNS_AS_CN.value()
                        : TemplateFlags.CertificateName.SUBJECT_REQUIRE_COMMON_NAME.value()
                        | TemplateFlags.CertificateName.SUBJECT_ALT_REQUIRE_UPN.value());
            }
            return b.certificateNameFlags(flags);
        });
    }

    /**
     * Subject Name tab with "Build from this Active Directory information": the subject name format and
     * which names go in the alternate subject name, given as {@code msPKI-Certificate-Name-Flag} bits.
     * The guide's mobile-device step ("Common name", UPN cleared) is
     * {@code SUBJECT_REQUIRE_COMMON_NAME} alone.
     */
    public CertificateTemplate setSubjectNameFlags(String template, TemplateFlags.CertificateName... flags) {
        int value = 0;
        for (TemplateFlags.CertificateName flag : flags) {
            value |= flag.value();
        }
        int chosen = value;
        return updateTemplate(template, b -> b.certificateNameFlags(chosen));
    }

    /** Request Handling tab: "Allow private key to be exported". */
    public CertificateTemplate setExportableKey(String template, boolean exportable) {
        return updateTemplate(template, b -> {
            int flags = b.build().privateKeyFlags();
            int bit = TemplateFlags.PrivateKey.EXPORTABLE_KEY.value();
            return b.privateKeyFlags(exportable ? flags | bit : flags & ~bit);
        });
    }

    /** Issuance Requirements tab: "CA certificate manager approval". */
    public CertificateTemplate setRequiresApproval(String template, boolean approval) {
        return updateTemplate(template, b -> {
            int flags = b.build().enrollmentFlags();
            int bit = TemplateFlags.Enrollment.PEND_ALL_REQUESTS.value();
            return b.enrollmentFlags(approval ? flags | bit : flags & ~bit);
        });
    }

    /** Cryptography tab: "Minimum key size". */
    public CertificateTemplate setMinimalKeySize(String template, int bits) {
        if (!CertificateTemplate.minimalKeySizeFits(KeyAlgorithm.RSA, bits)) {
            throw new DirectoryException("minimum key size must be a multiple of 8 from 512 to 16384: " + bits);
        }
        return updateTemplate(template, b -> b.minimalKeySize(bits));
    }

    /**
     * Cryptography tab: "Algorithm name" and "Minimum key size", which the console offers only for a
     * "Windows Server 2008, Enterprise Edition" (schema 3, CNG) template. The algorithm goes into the
     * template's CNG key settings ({@code msPKI-Asymmetric-Algorithm} in
     * {@code msPKI-RA-Application-Policies}), the size into {@code msPKI-Minimal-Key-Size}; an ECDSA
     * algorithm fixes the size (256 for {@code ECDSA_P256}) and makes Key Usage "Digital signature" alone,
     * since an ECDSA key cannot encipher keys.
     *
     * @throws DirectoryException for a schema 1 or 2 template (legacy CSP: RSA only), or a size that does
     *                            not fit the algorithm
     */
    public CertificateTemplate setKeyAlgorithm(String template, KeyAlgorithm algorithm, int minimumBits) {
        CertificateTemplate current = template(template);
        if (current.schemaVersion() < 3) {
            throw new DirectoryException("'" + current.displayName() + "' is a " + (current.schemaVersion() == 1
                    ? "Windows 2000 (version 1)" : "Windows 2003 Server, Enterprise Edition (version 2)") + " template: its keys "
                    + "live in a legacy cryptographic service provider, which knows only RSA, so the Cryptography tab greys out "
                    + "the algorithm. To use " + algorithm.windowsName() + ", duplicate it choosing 'Windows 2008 Server, Enterprise "
                    + "Edition' (a CNG template) and set the algorithm on the copy; mind that Configuration Manager's site "
                    + "systems cannot use CNG keys.");
        }
        if (algorithm.elliptic() && !CertificateTemplate.minimalKeySizeFits(algorithm, minimumBits)) {
            throw new DirectoryException(algorithm.windowsName() + " keys are " + algorithm.bits() + " bits: set the minimum key "
                    + "size of '" + current.displayName() + "' to " + algorithm.bits() + ", not " + minimumBits);
        }
        if (!algorithm.elliptic() && !CertificateTemplate.minimalKeySizeFits(algorithm, minimumBits)) {
            throw new DirectoryException("minimum RSA key size must be a multiple of 8 from 512 to 16384: " + minimumBits);
        }
        // Key Usage follows the algorithm, as the console's Extensions tab does: ECDSA signs only
        byte[] keyUsage = algorithm.elliptic() ? new byte[]{(byte) 0x80, 0} : new byte[]{(byte) 0xA0, 0};
        return updateTemplate(template, b -> b.raApplicationPolicies(withAsymmetricAlgorithm(b.build().raApplicationPolicies(),
                algorithm)).minimalKeySize(minimumBits).keyUsage(keyUsage));
    }

    /** The CNG key settings naming {@code algorithm} (Windows' defaults for the rest when the template has none). */
    private static List<String> withAsymmetricAlgorithm(List<String> raPolicies, KeyAlgorithm algorithm) {
        String name = "msPKI-Asymmetric-Algorithm";
        String value = algorithm.windowsName();
        List<String> out = new ArrayList<>();
        boolean done = false;
        for (String policy : raPolicies) {
            if (!done && policy.contains("`")) {
                String[] parts = policy.split("`", -1);
                StringBuilder rebuilt = new StringBuilder();
                boolean found = false;
                for (int i = 0; i + 2 < parts.length; i += 3) {
                    String v = parts[i].equalsIgnoreCase(name) ? value : parts[i + 2];
                    found |= parts[i].equalsIgnoreCase(name);
                    rebuilt.append(parts[i]).append('`').append(parts[i + 1]).append('`').append(v).append('`');
                }
                if (!found) {
                    rebuilt.insert(0, name + "`PZPWSTR`" + value + "`");
                }
                out.add(rebuilt.toString());
                done = true;
            } else {
                out.add(policy);
            }
        }
        if (!done) {
            out.add(CNG_KEY_SETTINGS.replace("`RSA`", "`" + value + "`"));
        }
        return out;
    }

    /** General tab: validity and renewal periods. */
    public CertificateTemplate setValidity(String template, Duration validity, Duration renewal) {
        return updateTemplate(template, b -> b.validity(validity).renewalPeriod(renewal));
    }

    /** Extensions tab: Application Policies (the EKUs, kept in both attributes for schema 2+). */
    public CertificateTemplate setExtendedKeyUsages(String template, List<String> oids) {
        for (String oid : oids) {
            if (!oid.matches("[0-2](\\.\\d+)+")) {
                throw new DirectoryException("not an OID: " + oid);
            }
        }
        return updateTemplate(template, b -> b.extendedKeyUsages(oids).applicationPolicies(oids));
    }

    /** Superseded Templates tab: the templates (by name or display name) this one replaces. */
    public CertificateTemplate setSupersededTemplates(String template, List<String> superseded) {
        List<String> resolved = superseded.stream().map(s -> template(s).name()).toList();
        return updateTemplate(template, b -> b.supersededTemplates(resolved));
    }

    // ---- security (any object; templates by name) -----------------------------------------------

    /** The Security tab of an object: a template name or display name, a GPO, or any DN. */
    public SecurityDescriptor security(String object) {
        SearchResultEntry entry = read(objectDn(object), "nTSecurityDescriptor");
        if (!entry.hasAttribute("nTSecurityDescriptor")) {
            throw new DirectoryException(object + " has no security descriptor of its own");
        }
        return SecurityDescriptor.parse(entry.getAttributeValue("nTSecurityDescriptor"), domainSid);
    }

    /** Ticks "Allow" for each right, adding the principal to the list if needed. */
    public SecurityDescriptor allow(String object, String principal, AccessRight... rights) {
        return tick(object, principal, rights, SecurityDescriptor::allow);
    }

    /** Ticks "Deny" for each right. */
    public SecurityDescriptor deny(String object, String principal, AccessRight... rights) {
        return tick(object, principal, rights, SecurityDescriptor::deny);
    }

    /** Clears "Allow" for each right (the guide's "remove the Enroll permission from Domain Admins"). */
    public SecurityDescriptor clearAllow(String object, String principal, AccessRight... rights) {
        return tick(object, principal, rights, SecurityDescriptor::clearAllow);
    }

    /** Clears "Deny" for each right. */
    public SecurityDescriptor clearDeny(String object, String principal, AccessRight... rights) {
        return tick(object, principal, rights, SecurityDescriptor::clearDeny);
    }

    /** One checkbox change on the Security tab. */
    private interface Checkbox {
        SecurityDescriptor apply(SecurityDescriptor sd, SecurityIdentifier principal, AccessRight right);
    }

    private SecurityDescriptor tick(String object, String principal, AccessRight[] rights, Checkbox checkbox) {
        SecurityIdentifier sid = sidOf(principal);
        return editSecurity(object, sd -> {
            for (AccessRight right : rights) {
                sd = checkbox.apply(sd, sid, right);
            }
            return sd;
        });
    }

    /** Removes a principal from the Security tab. */
    public SecurityDescriptor removePrincipal(String object, String principal) {
        SecurityIdentifier sid = sidOf(principal);
        return editSecurity(object, sd -> sd.remove(sid));
    }

    private SecurityDescriptor editSecurity(String object, UnaryOperator<SecurityDescriptor> edit) {
        String dn = objectDn(object);
        SearchResultEntry entry = read(dn, "nTSecurityDescriptor");
        String before = entry.getAttributeValue("nTSecurityDescriptor");
        if (before == null) {
            throw new DirectoryException(object + " has no security descriptor of its own");
        }
        SecurityDescriptor after = edit.apply(SecurityDescriptor.parse(before, domainSid));
        String text = after.toSddl(domainSid);
        if (!text.equals(before)) {
            // delete-old/add-new: a concurrent edit of the same descriptor fails instead of being lost
            modify(dn, "change the security of " + object,
                    new Modification(ModificationType.DELETE, "nTSecurityDescriptor", before.getBytes(StandardCharsets.UTF_8)),
                    new Modification(ModificationType.ADD, "nTSecurityDescriptor", text.getBytes(StandardCharsets.UTF_8)));
        }
        return after;
    }

    // ---- group policy ----------------------------------------------------------------------------

    /**
     * "Create a GPO in this domain": a {@code groupPolicyContainer} under {@code CN=Policies,CN=System}
     * named by a new GUID; Authenticated Users may read and apply it. Returns its DN.
     */
    public String createGpo(String displayName) {
        checkName("GPO", displayName);
        String guid = "{" + UUID.randomUUID().toString().toUpperCase(Locale.ROOT) + "}";
        String dn = names.gpo(guid);
        String sddl = "O:DAG:DAD:PAI(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;DA)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;EA)"
                + "(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)(A;;LCRPLORC;;;AU)(OA;;CR;"
                + AccessRight.APPLY_GROUP_POLICY.extendedRightGuid() + ";;AU)";
        add(dn, List.of(new Attribute("objectClass", "top", "container", "groupPolicyContainer"),
                new Attribute("cn", guid), new Attribute("displayName", displayName), new Attribute("flags", "0"),
                new Attribute("versionNumber", "0"), new Attribute("gPCFunctionalityVersion", "2"),
                new Attribute("gPCFileSysPath", "\\\\" + names.dnsName() + "\\SysVol\\" + names.dnsName() + "\\Policies\\" + guid),
                new Attribute("nTSecurityDescriptor", sddl.getBytes(StandardCharsets.UTF_8))),
                "create GPO '" + displayName + "'");
        return dn;
    }

    /** Finds a GPO by display name ({@code Autoenroll Certificates}) or DN. */
    public String gpoDn(String nameOrDn) {
        if (DN.isValidDN(nameOrDn) && nameOrDn.contains("=")) {
            return nameOrDn;
        }
        List<SearchResultEntry> found = search(names.policies(), Filter.createANDFilter(
                Filter.createEqualityFilter("objectClass", "groupPolicyContainer"),
                Filter.createEqualityFilter("displayName", nameOrDn)), "cn");
        if (found.size() != 1) {
            throw new DirectoryException(32, found.isEmpty() ? "no GPO named '" + nameOrDn + "'"
                    : "several GPOs are named '" + nameOrDn + "'; give the DN", null);
        }
        return found.get(0).getDN();
    }

    /** Sets one registry value in a GPO (replacing the same key and value name) and bumps its version. */
    public void setRegistryValue(String gpo, RegistryValue value) {
        String dn = gpoDn(gpo);
        SearchResultEntry entry = read(dn, "labRegistryPolicy", "versionNumber");
        List<Modification> changes = new ArrayList<>();
        String[] existing = entry.getAttributeValues("labRegistryPolicy");
        for (String old : existing == null ? new String[0] : existing) {
            if (RegistryValue.parse(old).sameValue(value)) {
                changes.add(new Modification(ModificationType.DELETE, "labRegistryPolicy", old));
            }
        }
        changes.add(new Modification(ModificationType.ADD, "labRegistryPolicy", value.encode()));
        String version = entry.getAttributeValue("versionNumber");
        changes.add(new Modification(ModificationType.REPLACE, "versionNumber",
                Integer.toString((version == null ? 0 : Integer.parseInt(version)) + 1)));
        modify(dn, "set " + value.key() + "\\" + value.valueName() + " in GPO " + gpo, changes.toArray(new Modification[0]));
    }

    /** The registry values a GPO sets. */
    public List<RegistryValue> registryValues(String gpo) {
        String[] values = read(gpoDn(gpo), "labRegistryPolicy").getAttributeValues("labRegistryPolicy");
        return values == null ? List.of() : java.util.Arrays.stream(values).map(RegistryValue::parse).toList();
    }

    /**
     * "Certificate Services Client - Auto-Enrollment" properties: sets {@code AEPolicy}
     * ({@link GroupPolicy#GUIDE_SETTING} for the guide's choice).
     */
    public void setAutoEnrollmentPolicy(String gpo, int aePolicy) {
        setRegistryValue(gpo, RegistryValue.dword(GroupPolicy.AUTOENROLLMENT_KEY, GroupPolicy.AE_POLICY, aePolicy));
    }

    /** The GPO's {@code AEPolicy}, if it sets one. */
    public OptionalInt autoEnrollmentPolicy(String gpo) {
        for (RegistryValue value : registryValues(gpo)) {
            if (value.sameValue(RegistryValue.dword(GroupPolicy.AUTOENROLLMENT_KEY, GroupPolicy.AE_POLICY, 0))) {
                return OptionalInt.of(Integer.parseUnsignedInt(value.data()));
            }
        }
        return OptionalInt.empty();
    }

    /** "Link an existing GPO": adds the GPO to {@code gPLink} of the domain (or an OU DN). */
    public void linkGpo(String gpo, String targetDn) {
        String gpoDn = gpoDn(gpo);
        SearchResultEntry target = read(targetDn, "gPLink");
        String before = target.getAttributeValue("gPLink");
        String link = "[LDAP://" + gpoDn + ";0]";
        if (before != null && before.toLowerCase(Locale.ROOT).contains(("[LDAP://" + gpoDn + ";").toLowerCase(Locale.ROOT))) {
            return;
        }
        List<Modification> changes = new ArrayList<>();
        if (before != null) {
            changes.add(new Modification(ModificationType.DELETE, "gPLink", before));
        }
        changes.add(new Modification(ModificationType.ADD, "gPLink", (before == null ? "" : before) + link));
        modify(targetDn, "link GPO " + gpo + " to " + targetDn, changes.toArray(new Modification[0]));
    }

    /** GPMC's "Delete link": removes the GPO from {@code gPLink} of {@code targetDn}; the GPO itself stays. */
    public void unlinkGpo(String gpo, String targetDn) {
        String gpoDn = gpoDn(gpo);
        String before = read(targetDn, "gPLink").getAttributeValue("gPLink");
        if (before == null) {
            return;
        }
        String after = Pattern.compile("\\[LDAP://" + Pattern.quote(gpoDn) + ";\\d+\\]", Pattern.CASE_INSENSITIVE)
                .matcher(before).replaceAll("");
        if (after.equals(before)) {
            return;
        }
        List<Modification> changes = new ArrayList<>(List.of(new Modification(ModificationType.DELETE, "gPLink", before)));
        if (!after.isEmpty()) {
            changes.add(new Modification(ModificationType.ADD, "gPLink", after));
        }
        modify(targetDn, "unlink GPO " + gpo + " from " + targetDn, changes.toArray(new Modification[0]));
    }

    /** The GPO DNs linked to {@code targetDn}, in {@code gPLink} order. */
    public List<String> linkedGpos(String targetDn) {
        String value = read(targetDn, "gPLink").getAttributeValue("gPLink");
        List<String> links = new ArrayList<>();
        if (value != null) {
            java.util.regex.Matcher m = Pattern.compile("\\[LDAP://([^;\\]]+);\\d+\\]", Pattern.CASE_INSENSITIVE).matcher(value);
            while (m.find()) {
                links.add(m.group(1));
            }
        }
        return links;
    }

    @Override
    public void close() {
        connection.close();
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private SearchResultEntry templateEntry(String nameOrDisplayName) {
        if (nameOrDisplayName == null || nameOrDisplayName.isBlank()) {
            throw new DirectoryException("no template name given");
        }
        List<SearchResultEntry> found = search(names.certificateTemplates(), Filter.createANDFilter(
                Filter.createEqualityFilter("objectClass", "pKICertificateTemplate"),
                Filter.createORFilter(Filter.createEqualityFilter("cn", nameOrDisplayName),
                        Filter.createEqualityFilter("displayName", nameOrDisplayName))), TEMPLATE_ATTRIBUTES);
        if (found.isEmpty()) {
            throw new DirectoryException(32, "no certificate template named '" + nameOrDisplayName + "' in "
                    + names.certificateTemplates(), null);
        }
        return found.get(0);
    }

    private String objectDn(String object) {
        if (DN.isValidDN(object) && object.contains("=")) {
            return object;
        }
        return templateEntry(object).getDN();
    }

    private CertificateTemplate toTemplate(SearchResultEntry entry) {
        Map<String, List<byte[]>> attributes = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (Attribute attribute : entry.getAttributes()) {
            attributes.put(attribute.getName(), List.of(attribute.getValueByteArrays()));
        }
        return CertificateTemplate.fromAttributes(attributes, domainSid);
    }

    private static List<Modification> diff(CertificateTemplate before, CertificateTemplate after) {
        Map<String, List<byte[]>> old = new LinkedHashMap<>(before.toAttributes(SecurityIdentifier.EVERYONE));
        Map<String, List<byte[]>> now = new LinkedHashMap<>(after.toAttributes(SecurityIdentifier.EVERYONE));
        Set<String> all = new LinkedHashSet<>(old.keySet());
        all.addAll(now.keySet());
        all.removeAll(Set.of("cn", "msPKI-Template-Minor-Revision", "nTSecurityDescriptor"));
        List<Modification> changes = new ArrayList<>();
        for (String attribute : all) {
            List<byte[]> a = old.getOrDefault(attribute, List.of());
            List<byte[]> b = now.getOrDefault(attribute, List.of());
            if (!sameValues(a, b)) {
                changes.add(new Modification(ModificationType.REPLACE, attribute, b.toArray(new byte[0][])));
            }
        }
        return changes;
    }

    private static boolean sameValues(List<byte[]> a, List<byte[]> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!java.util.Arrays.equals(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }

    private String newTemplateOid() {
        String base = read(names.oid(), "msPKI-Cert-Template-OID").getAttributeValue("msPKI-Cert-Template-OID");
        return base + "." + (1 + RANDOM.nextInt(16_777_215)) + "." + (1 + RANDOM.nextInt(16_777_215));
    }

    private String registerOid(String oid, String displayName) {
        byte[] hex = new byte[16];
        RANDOM.nextBytes(hex);
        String cn = oid.substring(oid.lastIndexOf('.') + 1) + "." + HexFormat.of().withUpperCase().formatHex(hex);
        String dn = DomainNames.child(cn, names.oid());
        add(dn, List.of(new Attribute("objectClass", "top", "msPKI-Enterprise-Oid"),
                new Attribute("cn", cn), new Attribute("displayName", displayName), new Attribute("flags", "1"),
                new Attribute("msPKI-Cert-Template-OID", oid)), "register OID " + oid);
        return dn;
    }

    private static String samAccountName(String name) {
        String sam = SAM_ILLEGAL.matcher(name).replaceAll("_");
        return sam.length() > 256 ? sam.substring(0, 256) : sam;
    }

    private static String checkName(String what, String name) {
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

    private static void checkPassword(String account, String password) {
        try {
            org.pkilab.directory.model.PasswordPolicy.check(account, password);
        } catch (IllegalArgumentException e) {
            throw new DirectoryException(e.getMessage());
        }
    }

    private SearchResultEntry read(String dn, String... attributes) {
        return operations.read(dn, attributes);
    }

    private List<SearchResultEntry> search(String base, Filter filter, String... attributes) {
        return operations.search(base, filter, attributes);
    }

    private void add(String dn, List<Attribute> attributes, String action) {
        operations.add(dn, attributes, action);
    }

    private void modify(String dn, String action, Modification... changes) {
        operations.modify(dn, action, changes);
    }

    private static DirectoryException failure(LDAPException e, String action) {
        return LdapOperations.failure("", e, action);
    }
}
