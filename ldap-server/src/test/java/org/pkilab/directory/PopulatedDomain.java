package org.pkilab.directory;

import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.UsersAndComputers;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.SecurityIdentifier;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * DC01 of {@code contoso.com} as the field's tools find a small domain: besides what the forest provisions, users
 * alice, bob and carol, computers WS01, WS02 and IIS01, and a nested group, "PKI Operators" holding bob and the group
 * "Site Admins", which holds alice. Everything is created over LDAP by the lab's own client, as an administrator
 * would with Active Directory Users and Computers; what the directory holds is then read back with LDAP searches on
 * {@code objectClass} (never with constants), so a test compares what a tool reports with what the DC serves.
 *
 * <pre>{@code
 * try (PopulatedDomain domain = PopulatedDomain.start()) {
 *     run("ldapdomaindump", "-u", "CONTOSO\\Administrator", "-p", PopulatedDomain.PASSWORD, domain.ldapUrl(), ...);
 *     assertEquals(domain.userNames(), namesInTheDump);
 * }
 * }</pre>
 */
final class PopulatedDomain implements AutoCloseable {

    static final String PASSWORD = "Lab-Passw0rd!";
    static final String OUTER_GROUP = "PKI Operators";
    static final String INNER_GROUP = "Site Admins";
    static final String NESTED_USER = "alice";
    static final String DIRECT_USER = "bob";

    private final DomainController dc;

    private PopulatedDomain(DomainController dc) {
        this.dc = dc;
    }

    static PopulatedDomain start() {
        DomainController dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            UsersAndComputers aduc = admin.usersAndComputers();
            for (String user : List.of(NESTED_USER, DIRECT_USER, "carol")) {
                aduc.createUser(user, PASSWORD);
            }
            for (String computer : List.of("WS01", "WS02", "IIS01")) {
                aduc.createComputer(computer, computer.toLowerCase() + "." + dc.names().dnsName(), PASSWORD);
            }
            aduc.createGroup(OUTER_GROUP, UsersAndComputers.GroupScope.GLOBAL, "Operate the enterprise CA");
            aduc.createGroup(INNER_GROUP, UsersAndComputers.GroupScope.GLOBAL, "Administer the web sites");
            aduc.addMember(INNER_GROUP, NESTED_USER);
            aduc.addMember(OUTER_GROUP, INNER_GROUP);
            aduc.addMember(OUTER_GROUP, DIRECT_USER);
        } catch (RuntimeException e) {
            dc.close();
            throw e;
        }
        return new PopulatedDomain(dc);
    }

    DomainController dc() {
        return dc;
    }

    int port() {
        return dc.ldapPort();
    }

    String ldapUrl() {
        return "ldap://127.0.0.1:" + dc.ldapPort();
    }

    String domain() {
        return dc.names().domain();
    }

    String dnOf(String name) {
        List<SearchResultEntry> found = search(Filter.createORFilter(Filter.createEqualityFilter("sAMAccountName", name),
                Filter.createEqualityFilter("cn", name)));
        if (found.size() != 1) {
            throw new IllegalStateException("DC01 holds " + found.size() + " entries named '" + name + "'");
        }
        return found.get(0).getDN();
    }

    /** The sAMAccountName of every user account that is no computer. */
    Set<String> userNames() {
        return samAccountNames(Filter.createANDFilter(Filter.createEqualityFilter("objectClass", "user"),
                Filter.createNOTFilter(Filter.createEqualityFilter("objectClass", "computer"))));
    }

    /** The sAMAccountName of every computer account, DC01$ included. */
    Set<String> computerNames() {
        return samAccountNames(Filter.createEqualityFilter("objectClass", "computer"));
    }

    /** The sAMAccountName of every group. */
    Set<String> groupNames() {
        return samAccountNames(Filter.createEqualityFilter("objectClass", "group"));
    }

    /** The sAMAccountNames a group's {@code member} attribute lists, read from the DC. */
    Set<String> memberNames(String group) {
        SearchResultEntry entry = read(dnOf(group), "member");
        Set<String> names = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        String[] members = entry.getAttributeValues("member");
        for (String member : members == null ? new String[0] : members) {
            names.add(read(member, "sAMAccountName").getAttributeValue("sAMAccountName"));
        }
        return names;
    }

    /**
     * The sAMAccountNames of a group's members as {@code group listmembers} means them: the accounts its {@code member}
     * attribute lists and those whose primary group it is ({@code primaryGroupID} = its RID).
     */
    Set<String> membersWithPrimary(String group) {
        Set<String> names = memberNames(group);
        names.addAll(samAccountNames(Filter.createEqualityFilter("primaryGroupID", Integer.toString(sid(group).rid()))));
        return names;
    }

    /** The sAMAccountNames of the accounts (not groups) in a group, directly or through nested groups. */
    Set<String> transitiveAccountMembers(String group) {
        Set<String> accounts = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        collectAccounts(dnOf(group), accounts, new TreeSet<>(String.CASE_INSENSITIVE_ORDER));
        return accounts;
    }

    private void collectAccounts(String groupDn, Set<String> accounts, Set<String> seen) {
        if (!seen.add(groupDn)) {
            return;
        }
        String[] members = read(groupDn, "member").getAttributeValues("member");
        for (String member : members == null ? new String[0] : members) {
            SearchResultEntry entry = read(member, "objectClass", "sAMAccountName");
            if (entry.hasObjectClass("group")) {
                collectAccounts(member, accounts, seen);
            } else {
                accounts.add(entry.getAttributeValue("sAMAccountName"));
            }
        }
    }

    /** The DNs of the groups whose {@code member} attribute lists an account or group directly. */
    Set<String> groupsListing(String name) {
        Set<String> groups = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        search(Filter.createEqualityFilter("member", dnOf(name))).forEach(e -> groups.add(e.getDN()));
        return groups;
    }

    SecurityIdentifier sid(String name) {
        return SecurityIdentifier.fromBytes(read(dnOf(name), "objectSid").getAttributeValueBytes("objectSid"));
    }

    SecurityIdentifier domainSid() {
        return dc.domainSid();
    }

    /** {@code primaryGroupID} of an account, as the directory holds it. */
    int primaryGroupId(String account) {
        return Integer.parseInt(read(dnOf(account), "primaryGroupID").getAttributeValue("primaryGroupID"));
    }

    /** The Security tab of an object as the lab's own client reads it. */
    SecurityDescriptor securityTab(String dn) {
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            return admin.security().descriptor(dn);
        }
    }

    private Set<String> samAccountNames(Filter filter) {
        Set<String> names = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        search(filter).forEach(e -> names.add(e.getAttributeValue("sAMAccountName")));
        return names;
    }

    private List<SearchResultEntry> search(Filter filter) {
        try (LDAPConnection c = administrator()) {
            return c.search(domain(), SearchScope.SUB, filter, "sAMAccountName", "cn").getSearchEntries();
        } catch (LDAPException e) {
            throw new IllegalStateException("searching DC01 for " + filter + ": " + e.getMessage(), e);
        }
    }

    private SearchResultEntry read(String dn, String... attributes) {
        try (LDAPConnection c = administrator()) {
            SearchResultEntry entry = c.getEntry(dn, attributes);
            if (entry == null) {
                throw new IllegalStateException("DC01 holds no " + dn);
            }
            return entry;
        } catch (LDAPException e) {
            throw new IllegalStateException("reading " + dn + " on DC01: " + e.getMessage(), e);
        }
    }

    private LDAPConnection administrator() throws LDAPException {
        return new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD);
    }

    @Override
    public void close() {
        dc.close();
    }
}
