package org.pkilab.directory;

import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPSearchException;
import com.unboundid.ldap.sdk.SearchResult;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A search filter that names an attribute the DC's schema does not have, as SSSD's
 * {@code (|(sudoHost=ALL)(sudoHost=dc01))} does against a domain without the sudo schema, is answered with
 * success (result 0) and the entries the rest of the filter selects, as a Windows DC answers it.
 *
 * <p>The rule followed: RFC 4511 4.5.1.7, where a filter item whose attribute description the server does not
 * recognize evaluates to <em>Undefined</em>, and [MS-ADTS] 3.1.1.3.1.3.1 "Search Filters": Active Directory
 * since Windows Server 2003 evaluates filters with the RFC's three-valued logic (Windows 2000 turned Undefined
 * into FALSE). An entry is returned only where the whole filter is TRUE. AND is FALSE when one part is FALSE,
 * else Undefined when one part is; OR is TRUE when one part is TRUE, else Undefined when one part is; NOT of
 * Undefined is Undefined. Every kind of item on an unknown attribute is Undefined, a presence item
 * {@code (sudoHost=*)} too (as OpenLDAP's slapd reads the RFC; see docs/differences.md), and so is an extensible
 * match that names no attribute, as [MS-ADTS] 3.1.1.3.1.3.1 says. So, on {@code CN=Users}:
 *
 * <pre>
 * (sudoHost=x)                                  Undefined everywhere: no entry
 * (!(sudoHost=x))                               Undefined everywhere: no entry
 * (|(sudoHost=x)(cn=Administrator))             Administrator (TRUE by its cn)
 * (&amp;(objectClass=user)(!(sudoHost=*)))          no entry (TRUE and Undefined is Undefined)
 * (!(&amp;(cn=Administrator)(sudoHost=x)))          every entry but Administrator (FALSE and Undefined is FALSE)
 * (!(|(cn=Administrator)(sudoHost=x)))          no entry (Administrator's OR is TRUE, the others' Undefined)
 * </pre>
 */
class UndefinedAttributeFilterTest {

    private static final String PASSWORD = "Lab-Passw0rd!";
    private static final String UNKNOWN = "sudoHost";
    private static DomainController dc;
    private LDAPConnection administrator;

    @BeforeAll
    static void startDomainController() {
        dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
    }

    @AfterAll
    static void stopDomainController() {
        dc.close();
    }

    @BeforeEach
    void bindAsAdministrator() throws LDAPException {
        administrator = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD);
    }

    @AfterEach
    void unbind() {
        administrator.close();
    }

    @Test
    void anItemOnAnUnknownAttributeMatchesNothingAloneOrUnderNot() {
        List<String> answered = new ArrayList<>();
        for (String item : List.of("(sudoHost=ALL)", "(sudoHost=*)", "(sudoHost=dc*)", "(sudoHost>=a)", "(sudoHost<=z)",
                "(sudoHost~=ALL)", "(sudoHost:caseExactMatch:=ALL)", "(sudoHost;binary=ALL)", "(SUDOHOST=ALL)",
                "(1.3.6.1.4.1.15953.9.1.2=ALL)", "(:caseExactMatch:=ALL)")) {
            for (String filter : List.of(item, "(!" + item + ")", "(!(!" + item + "))")) {
                try {
                    Set<String> found = search(dc.names().users(), filter);
                    if (!found.isEmpty()) {
                        answered.add(filter + " matched " + found);
                    }
                } catch (AssertionError e) {
                    answered.add(e.getMessage());
                }
            }
        }
        assertEquals(List.of(), answered, "items on the unknown attribute " + UNKNOWN + " are Undefined, under any number of NOTs");
    }

    @Test
    void anOrMatchesWhatItsKnownPartsMatch() {
        assertEquals(Set.of(dn(dc.administratorDn())), search(dc.names().users(), "(|(sudoHost=ALL)(cn=Administrator))"));
        assertEquals(search(dc.names().users(), "(objectClass=group)"),
                search(dc.names().users(), "(|(objectClass=group)(sudoHost=*)(!(sudoHost=ALL)))"),
                "an OR of groups and Undefined items on " + UNKNOWN);
    }

    @Test
    void anAndWithAnUndefinedPartMatchesNothing() {
        assertEquals(Set.of(), search(dc.names().users(), "(&(objectClass=user)(sudoHost=ALL))"));
        assertEquals(Set.of(), search(dc.names().users(), "(&(objectClass=user)(!(sudoHost=*)))"),
                "TRUE and Undefined is Undefined, even for entries that lack " + UNKNOWN);
    }

    @Test
    void notTurnsFalseIntoTrueAndLeavesUndefinedUndefined() {
        Set<String> everyoneButAdministrator = search(dc.names().users(), "(!(cn=Administrator))");
        assertFalse(everyoneButAdministrator.isEmpty(), "CN=Users holds the built-in groups besides Administrator");
        assertEquals(everyoneButAdministrator, search(dc.names().users(), "(!(&(cn=Administrator)(sudoHost=ALL)))"),
                "FALSE and Undefined is FALSE, so its NOT is TRUE for every entry but Administrator");
        assertEquals(Set.of(), search(dc.names().users(), "(!(|(cn=Administrator)(sudoHost=ALL)))"),
                "Administrator's OR is TRUE and the others' Undefined: NOT of either returns nothing");
    }

    @Test
    void ldapsearchGetsSuccessAndTheEntriesTheRestOfTheFilterSelects() throws Exception {
        Result sssd = ldapsearch("(&(objectClass=user)(|(cn=Administrator)(sudoHost=ALL)(sudoHost=dc01)))");
        assertEquals(0, sssd.exit(), "an OR with " + UNKNOWN + " items: " + sssd);
        assertEquals(List.of("dn: " + dc.administratorDn()), dns(sssd.out()), sssd.out());
        for (String filter : List.of("(sudoHost=ALL)", "(!(sudoHost=ALL))", "(&(objectClass=user)(!(sudoHost=*)))")) {
            Result nothing = ldapsearch(filter);
            assertEquals(0, nothing.exit(), filter + ": " + nothing);
            assertEquals(List.of(), dns(nothing.out()), filter + ": " + nothing.out());
        }
    }

    @Test
    void aSearchWithAnUnknownAttributeStillNeedsABind() throws Exception {
        Result anonymous = ExternalTool.run(null, Map.of(), null, "ldapsearch", "-LLL", "-x", "-H", dc.ldapUrl(),
                "-b", dc.names().users(), "(|(cn=Administrator)(sudoHost=ALL))", "1.1");
        assertEquals(1, anonymous.exit(), "operationsError, as for any anonymous search below the root DSE: " + anonymous);
        assertTrue(anonymous.err().contains("successful bind must be completed"), anonymous.err());
    }

    /** The DNs {@code filter} finds under {@code base}, lower-cased; fails the test naming the filter if the search fails. */
    private Set<String> search(String base, String filter) {
        try {
            SearchResult result = administrator.search(base, SearchScope.SUB, filter, "1.1");
            Set<String> dns = new TreeSet<>();
            for (SearchResultEntry entry : result.getSearchEntries()) {
                dns.add(dn(entry.getDN()));
            }
            return dns;
        } catch (LDAPSearchException e) {
            throw new AssertionError("searching " + base + " for " + filter + " answered " + e.getResultCode() + " "
                    + e.getDiagnosticMessage() + "; a Windows DC answers success (0)", e);
        }
    }

    private static String dn(String dn) {
        return dn.toLowerCase(Locale.ROOT);
    }

    private static Result ldapsearch(String filter) throws IOException, InterruptedException {
        return ExternalTool.run(null, Map.of(), null, "ldapsearch", "-LLL", "-x", "-H", dc.ldapUrl(), "-D", dc.administratorDn(),
                "-w", PASSWORD, "-o", "ldif-wrap=no", "-b", dc.names().users(), filter, "1.1");
    }

    private static List<String> dns(String ldif) {
        return ldif.replace("\r", "").lines().filter(line -> line.startsWith("dn: ")).toList();
    }
}
