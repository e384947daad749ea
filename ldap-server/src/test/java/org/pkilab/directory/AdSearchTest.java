package org.pkilab.directory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.UsersAndComputers;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Searches as AD tools send them, through Debian's {@code python3-ldap3} and {@code ldapsearch}: the in-chain and
 * bitwise matching rules (the filters of samba-tool's {@code user list} and of ldapdomaindump among them), paged
 * results and server-side sort. The domain holds a three-level nesting with a loop: alice in Tier2, Tier2 in
 * Tier1, Tier1 in Tier0, and Tier0 back in Tier2; bob, disabled; and WS01, a computer.
 */
class AdSearchTest {

    private static final String PASSWORD = "Lab-Passw0rd!";
    private static final String IN_CHAIN = "1.2.840.113556.1.4.1941";
    private static DomainController dc;
    private static String domain;
    private static String tier0;
    private static String alice;

    @BeforeAll
    static void start() throws Exception {
        dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
        domain = dc.names().domain();
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            UsersAndComputers users = admin.usersAndComputers();
            tier0 = users.createGroup("Tier0");
            String tier1 = users.createGroup("Tier1");
            String tier2 = users.createGroup("Tier2");
            alice = users.createUser("alice", PASSWORD);
            String bob = users.createUser("bob", PASSWORD);
            users.createComputer("WS01", "ws01.contoso.com", PASSWORD);
            users.addMember(tier2, alice);
            users.addMember(tier1, tier2);
            users.addMember(tier0, tier1);
            users.addMember(tier2, tier0);
            try (LDAPConnection ldap = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
                // NORMAL_ACCOUNT | ACCOUNTDISABLE, as "Disable Account" in Users and Computers sets it
                ldap.modify(bob, new Modification(ModificationType.REPLACE, "userAccountControl", "514"));
            }
        }
    }

    @AfterAll
    static void stop() {
        if (dc != null) {
            dc.close();
        }
    }

    @Test
    void inChainOnMemberOfFindsEveryNestedMemberAndEndsAtTheLoop() throws Exception {
        assertEquals(Set.of("Tier0", "Tier1", "Tier2", "alice"),
                names("(memberOf:" + IN_CHAIN + ":=" + tier0 + ")"),
                "members of Tier0 at every level (Tier0 itself through the loop Tier0 -> Tier2)");
        assertEquals(Set.of("Tier0", "Tier1", "Tier2", "alice"),
                names("(memberOf:" + IN_CHAIN + ":=" + tier0.toLowerCase(Locale.ROOT) + ")"),
                "the group's DN in lower case names the same group");
    }

    @Test
    void inChainOnMemberFindsEveryGroupThatHoldsTheAccount() throws Exception {
        assertEquals(Set.of("Tier0", "Tier1", "Tier2"), names("(member:" + IN_CHAIN + ":=" + alice + ")"),
                "groups holding alice directly or through nested groups");
        Set<String> notAlices = names("(&(objectClass=group)(!(member:" + IN_CHAIN + ":=" + alice + ")))");
        assertTrue(notAlices.contains("Domain Admins") && !notAlices.contains("Tier1"),
                "NOT in-chain: every other group, none of alice's: " + notAlices);
    }

    @Test
    void ldapdomaindumpsAdminCheckFindsOnlyNestedAdmins() throws Exception {
        String domainAdmins = "CN=Domain Admins,CN=Users," + domain;
        // ldapdomaindump's own filter for "is this user a Domain Admin"
        assertEquals(Set.of("Administrator"), names("(&(objectClass=user)(sAMAccountName=Administrator)(memberOf:" + IN_CHAIN
                + ":=" + domainAdmins + "))"), "Administrator is in Domain Admins");
        assertEquals(Set.of(), names("(&(objectClass=user)(sAMAccountName=alice)(memberOf:" + IN_CHAIN + ":=" + domainAdmins
                + "))"), "alice is in no admin group");
    }

    @Test
    void bitwiseAndFindsDisabledAccountsAsSambaToolUserListAsks() throws Exception {
        assertEquals(Set.of("bob"), names("(userAccountControl:1.2.840.113556.1.4.803:=2)"),
                "ACCOUNTDISABLE (0x2) set: only bob");
        // samba-tool user list, and with --hide-disabled
        Set<String> users = names("(&(objectClass=user)(userAccountControl:1.2.840.113556.1.4.803:=512))");
        assertEquals(Set.of("Administrator", "alice", "bob"), users, "NORMAL_ACCOUNT (0x200): users, no computer");
        assertEquals(Set.of("Administrator", "alice"), names("(&(objectClass=user)(userAccountControl:1.2.840.113556.1.4.803:=512)"
                + "(!(userAccountControl:1.2.840.113556.1.4.803:=2)))"), "samba-tool user list --hide-disabled");
    }

    @Test
    void bitwiseOrFindsAnyOfTheBits() throws Exception {
        // ACCOUNTDISABLE | WORKSTATION_TRUST_ACCOUNT (0x1002): bob, and the workstation
        assertEquals(Set.of("bob", "WS01"), names("(userAccountControl:1.2.840.113556.1.4.804:=4098)"), "either bit of 0x1002");
        assertEquals(Set.of(), names("(userAccountControl:1.2.840.113556.1.4.803:=4098)"), "both bits of 0x1002: no account");
    }

    @Test
    void bitwiseAndTestsTheSignBitOfGroupTypeEitherWayItIsWritten() throws Exception {
        Set<String> security = new TreeSet<>();
        try (LDAPConnection ldap = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            for (SearchResultEntry group : ldap.search(domain, SearchScope.SUB, "(groupType=*)", "cn", "groupType").getSearchEntries()) {
                if (group.getAttributeValueAsInteger("groupType") < 0) { // GROUP_TYPE_SECURITY_ENABLED, 0x80000000
                    security.add(group.getAttributeValue("cn"));
                }
            }
        }
        assertTrue(security.contains("Tier0") && security.contains("Domain Admins"), "security groups: " + security);
        // ldapdomaindump's filter for security groups, with the bit as an unsigned number
        assertEquals(security, names("(groupType:1.2.840.113556.1.4.803:=2147483648)"), "0x80000000 as 2147483648");
        assertEquals(security, names("(groupType:1.2.840.113556.1.4.803:=-2147483648)"), "0x80000000 as AD stores it");
    }

    @Test
    void bitwiseAndOnTheTemplateNameFlag() throws Exception {
        Set<String> suppliesSubject = new TreeSet<>();
        try (LDAPConnection ldap = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            for (SearchResultEntry template : ldap.search(dc.names().configuration(), SearchScope.SUB,
                    "(objectClass=pKICertificateTemplate)", "cn", "msPKI-Certificate-Name-Flag").getSearchEntries()) {
                if ((template.getAttributeValueAsInteger("msPKI-Certificate-Name-Flag") & 1) != 0) { // CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT
                    suppliesSubject.add(template.getAttributeValue("cn"));
                }
            }
        }
        assertTrue(suppliesSubject.contains("WebServer") && !suppliesSubject.contains("User"),
                "AD's defaults: Web Server takes the subject from the request, User does not: " + suppliesSubject);
        assertEquals(suppliesSubject, names("(msPKI-Certificate-Name-Flag:1.2.840.113556.1.4.803:=1)"),
                "templates with CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT");
    }

    @Test
    void aBitwiseAssertionThatIsNotANumberIsUndefined() throws Exception {
        assertEquals(Set.of(), names("(userAccountControl:1.2.840.113556.1.4.803:=disabled)"), "not a number: Undefined");
        assertEquals(Set.of(), names("(!(userAccountControl:1.2.840.113556.1.4.803:=disabled))"), "NOT Undefined is Undefined");
    }

    @Test
    void ldapsearchFindsNestedMembersToo() throws Exception {
        Result r = ExternalTool.run(null, Map.of(), null, "ldapsearch", "-LLL", "-x", "-H", dc.ldapUrl(), "-D", dc.administratorDn(),
                "-w", PASSWORD, "-b", domain, "(memberOf:" + IN_CHAIN + ":=" + tier0 + ")", "sAMAccountName");
        assertEquals(0, r.exit(), "ldapsearch in-chain on DC01: " + r);
        Set<String> accounts = new TreeSet<>();
        r.out().lines().filter(line -> line.startsWith("sAMAccountName: ")).forEach(line -> accounts.add(line.substring(16)));
        assertEquals(Set.of("Tier0", "Tier1", "Tier2", "alice"), accounts, r.out());
    }

    @Test
    void pagedSearchReturnsEveryEntryExactlyOnceEvenWithoutAttributes() throws Exception {
        int total = adsearch("filters", domain, "(objectClass=*)").get(0).path("dns").size();
        JsonNode paged = adsearch("paged", domain, "(objectClass=*)", "7");
        List<String> dns = new ArrayList<>();
        paged.path("dns").forEach(dn -> dns.add(dn.asText()));
        assertEquals(0, paged.path("result").asInt(), "paged search result: " + paged);
        assertTrue(total > 14, "enough entries for three pages: " + total);
        assertEquals(total, dns.size(), "entries over " + paged.path("pages") + " pages of 7: " + paged.path("page_sizes"));
        assertEquals(total, new HashSet<>(dns).size(), "each entry once: " + dns);
        paged.path("page_sizes").forEach(size -> assertTrue(size.asInt() <= 7, "a page of 7 at most: " + paged.path("page_sizes")));

        Result r = ExternalTool.run(null, Map.of(), null, "ldapsearch", "-LLL", "-x", "-H", dc.ldapUrl(), "-D", dc.administratorDn(),
                "-w", PASSWORD, "-b", domain, "-E", "pr=5/noprompt", "(objectClass=*)", "1.1");
        assertEquals(0, r.exit(), "ldapsearch -E pr=5/noprompt on DC01: " + r);
        assertEquals(total, r.out().lines().filter(line -> line.startsWith("dn: ")).count(), "ldapsearch's pages: " + r.out());
    }

    @Test
    void sortedSearchReturnsEntriesInTheKeysOrder() throws Exception {
        List<String> names = new ArrayList<>();
        try (LDAPConnection ldap = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            for (SearchResultEntry entry : ldap.search(domain, SearchScope.SUB, "(objectClass=group)", "cn").getSearchEntries()) {
                names.add(entry.getAttributeValue("cn"));
            }
        }
        names.sort(Comparator.comparing(name -> name.toLowerCase(Locale.ROOT)));
        JsonNode sorted = adsearch("sorted", domain, "(objectClass=group)", "cn");
        List<String> returned = new ArrayList<>();
        sorted.path("dns").forEach(dn -> returned.add(dn.asText().substring(3, dn.asText().indexOf(','))));
        assertEquals(0, sorted.path("result").asInt(), "sorted search result: " + sorted);
        assertEquals(names, returned, "groups sorted by cn");
        assertTrue(sorted.path("controls").toString().contains("1.2.840.113556.1.4.474"), "a sort response control: " + sorted);

        Result r = ExternalTool.run(null, Map.of(), null, "ldapsearch", "-LLL", "-x", "-H", dc.ldapUrl(), "-D", dc.administratorDn(),
                "-w", PASSWORD, "-b", domain, "-E", "sss=-cn", "(objectClass=group)", "cn");
        assertEquals(0, r.exit(), "ldapsearch -E sss=-cn on DC01: " + r);
        List<String> reversed = r.out().lines().filter(line -> line.startsWith("cn: ")).map(line -> line.substring(4)).toList();
        List<String> descending = new ArrayList<>(names);
        Collections.reverse(descending);
        assertEquals(descending, reversed, "groups in reverse cn order: " + r.out());
    }

    @Test
    void anAnonymousRootDseReadDoesNotTellWhichGuidOrSidAnObjectHolds() throws Exception {
        SearchResultEntry held;
        try (LDAPConnection ldap = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            held = ldap.getEntry(domain, "objectGUID", "objectSid");
        }
        String heldGuid = "<GUID=" + HexFormat.of().formatHex(held.getAttributeValueBytes("objectGUID")) + ">";
        String heldSid = "<SID=" + SecurityIdentifier.fromBytes(held.getAttributeValueBytes("objectSid")) + ">";
        try (LDAPConnection anonymous = new LDAPConnection("127.0.0.1", dc.ldapPort())) {
            // namingContexts holds the domain's DN: were the form resolved, the domain's own GUID and SID would match it
            for (String form : List.of(heldGuid, "<GUID=00000000000000000000000000000000>", heldSid, "<SID=S-1-5-21-1-2-3>")) {
                Filter filter = Filter.createEqualityFilter("namingContexts", form);
                assertEquals(0, anonymous.search("", SearchScope.BASE, filter).getEntryCount(),
                        "an anonymous read of DC01's root DSE with " + filter + ": the same for a GUID or SID held or not");
                assertEquals(1, anonymous.search("", SearchScope.BASE, Filter.createNOTFilter(filter)).getEntryCount(),
                        "an anonymous read of DC01's root DSE with the NOT of " + filter);
            }
        }
    }

    @Test
    void anAnonymousRootDseReadWithAnInChainItemFollowsNoLink() throws Exception {
        try (LDAPConnection anonymous = new LDAPConnection("127.0.0.1", dc.ldapPort())) {
            String inChain = "(memberOf:" + IN_CHAIN + ":=" + tier0 + ")";
            assertEquals(0, anonymous.search("", SearchScope.BASE, inChain).getEntryCount(),
                    "the root DSE is in no group: " + inChain + " read anonymously from DC01");
            assertEquals(1, anonymous.search("", SearchScope.BASE, "(!" + inChain + ")").getEntryCount(),
                    "so its NOT selects the root DSE, read anonymously from DC01");
        }
    }

    private static Set<String> names(String filter) throws Exception {
        JsonNode result = adsearch("filters", domain, filter).get(0);
        assertEquals(0, result.path("result").asInt(), "DC01 answering " + filter + ": " + result);
        Set<String> names = new TreeSet<>();
        result.path("dns").forEach(dn -> names.add(dn.asText().substring(3, dn.asText().indexOf(','))));
        return names;
    }

    private static JsonNode adsearch(String mode, String base, String... args) throws Exception {
        Path script = Files.createTempFile("adsearch", ".py");
        try (InputStream in = AdSearchTest.class.getResourceAsStream("adsearch.py")) {
            Files.write(script, in.readAllBytes());
        }
        List<String> command = new ArrayList<>(List.of("/usr/bin/python3", script.toString(), "127.0.0.1",
                String.valueOf(dc.ldapPort()), dc.administratorDn(), PASSWORD, mode, base));
        command.addAll(List.of(args));
        try {
            Result r = ExternalTool.run(null, Map.of(), null, command.toArray(String[]::new));
            assertEquals(0, r.exit(), "ldap3 " + mode + " search on DC01 (python3-ldap3 installed?): " + r);
            return new ObjectMapper().readTree(r.out());
        } finally {
            Files.delete(script);
        }
    }
}
