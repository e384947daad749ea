package org.pkilab.directory.client;

import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import com.unboundid.ldap.sdk.SearchResultEntry;
import org.pkilab.directory.model.DomainNames;
import org.pkilab.directory.model.PasswordPolicy;
import org.pkilab.directory.model.SecurityIdentifier;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Active Directory Users and Computers: user, computer and group accounts, group membership, the
 * accounts' passwords and e-mail, and finding an account by name ({@code IIS01$}, {@code Domain Admins})
 * as the Security tab's "Select Users, Computers, or Groups" does.
 *
 * <pre>{@code
 * UsersAndComputers aduc = admin.usersAndComputers();
 * aduc.createGroup("ConfigMgr IIS Servers");
 * aduc.createComputer("IIS01", "iis01.contoso.com", machinePassword);
 * aduc.addMember("ConfigMgr IIS Servers", "IIS01$");
 * aduc.sidOf("ConfigMgr IIS Servers");  // S-1-5-21-...-1104
 * }</pre>
 */
public final class UsersAndComputers {

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

    /** An account or group as Active Directory Users and Computers lists it. */
    public record Principal(String name, String samAccountName, String distinguishedName, String description) {
    }

    private static final Pattern SAM_ILLEGAL = Pattern.compile("[\"/\\\\\\[\\]:;|=,+*?<>]");
    private static final Pattern COMPUTER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,14}");
    private static final Pattern DNS_NAME = Pattern.compile("(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}");

    private final LdapOperations operations;
    private final DomainNames names;

    UsersAndComputers(LdapOperations operations, DomainNames names) {
        this.operations = operations;
        this.names = names;
    }

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
        String dn = DomainNames.child(DirectoryAdmin.checkName("group", name), names.users());
        List<Attribute> attributes = new ArrayList<>(List.of(
                new Attribute("objectClass", "top", "group"), new Attribute("cn", name),
                new Attribute("sAMAccountName", samAccountName(name)),
                new Attribute("groupType", Integer.toString(scope.groupType)),
                new Attribute("sAMAccountType", Integer.toString(scope.samAccountType))));
        if (description != null) {
            attributes.add(new Attribute("description", description));
        }
        operations.add(dn, attributes, "create group '" + name + "'");
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
        operations.add(dn, List.of(
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
        String dn = DomainNames.child(DirectoryAdmin.checkName("user", name), names.users());
        String sam = samAccountName(name);
        operations.add(dn, List.of(
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
            operations.modify(dn, "clear the e-mail of " + account, new Modification(ModificationType.REPLACE, "mail"));
            return;
        }
        if (!address.matches("[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+")) {
            throw new IllegalArgumentException("'" + address + "' is not an e-mail address: give one mailbox, as alice@contoso.com");
        }
        operations.modify(dn, "set the e-mail of " + account, new Modification(ModificationType.REPLACE, "mail", address));
    }

    /**
     * The Account tab's "User logon name" ({@code userPrincipalName}); {@code null} or blank clears it. AD takes any text
     * here, a name without {@code @domain} too (what ESC9's attack writes: {@code Administrator}), but not one another
     * account holds, which the DC refuses.
     */
    public void setUserPrincipalName(String account, String upn) {
        String dn = dnOf(account);
        if (upn == null || upn.isBlank()) {
            operations.modify(dn, "clear the user logon name of " + account, new Modification(ModificationType.REPLACE, "userPrincipalName"));
            return;
        }
        operations.modify(dn, "set the user logon name of " + account + " to " + upn,
                new Modification(ModificationType.REPLACE, "userPrincipalName", upn));
    }

    /** Adds an account or group (by name or DN) to a group; nested groups are allowed. */
    public void addMember(String group, String member) {
        String groupDn = dnOf(group);
        String memberDn = dnOf(member);
        operations.modify(groupDn, "add " + member + " to " + group, new Modification(ModificationType.ADD, "member", memberDn));
    }

    /** Removes a member from a group. */
    public void removeMember(String group, String member) {
        String groupDn = dnOf(group);
        String memberDn = dnOf(member);
        operations.modify(groupDn, "remove " + member + " from " + group, new Modification(ModificationType.DELETE, "member", memberDn));
    }

    /** The DNs listed in a group's {@code member} attribute (not its primary-group members). */
    public List<String> members(String group) {
        SearchResultEntry entry = operations.read(dnOf(group), "member");
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
        return operations.search(names.domain(), filter, "cn", "sAMAccountName", "description").stream()
                .map(e -> new Principal(e.getAttributeValue("cn"), e.getAttributeValue("sAMAccountName"), e.getDN(),
                        e.getAttributeValue("description")))
                .sorted(Comparator.comparing(Principal::name, String.CASE_INSENSITIVE_ORDER))
                .toList();
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
        List<SearchResultEntry> found = operations.search(names.domain(), filter, "cn");
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
        return SecurityIdentifier.fromBytes(operations.read(dnOf(nameOrDn), "objectSid").getAttributeValueBytes("objectSid"));
    }

    /** {@code CONTOSO\Domain Admins}, a well-known name, or the SID's text when nothing has it. */
    public String nameOf(SecurityIdentifier sid) {
        List<SearchResultEntry> found = operations.search(names.domain(), Filter.createEqualityFilter("objectSid", sid.toBytes()),
                "sAMAccountName", "cn");
        if (found.isEmpty()) {
            return sid.toString();
        }
        SearchResultEntry entry = found.get(0);
        return entry.hasAttribute("sAMAccountName")
                ? names.defaultNetbiosName() + "\\" + entry.getAttributeValue("sAMAccountName")
                : (sid.equals(SecurityIdentifier.AUTHENTICATED_USERS) ? "NT AUTHORITY\\" : "") + entry.getAttributeValue("cn");
    }

    private static String samAccountName(String name) {
        String sam = SAM_ILLEGAL.matcher(name).replaceAll("_");
        return sam.length() > 256 ? sam.substring(0, 256) : sam;
    }

    private static void checkPassword(String account, String password) {
        try {
            PasswordPolicy.check(account, password);
        } catch (IllegalArgumentException e) {
            throw new DirectoryException(e.getMessage());
        }
    }
}
