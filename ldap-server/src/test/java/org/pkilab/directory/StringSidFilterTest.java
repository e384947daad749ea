package org.pkilab.directory;

import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPSearchException;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code objectSid} searched by a SID's string form, as a Windows DC takes it ([MS-ADTS] 3.1.1.3.1.2.5, String(Sid)
 * syntax): {@code (objectSid=S-1-5-21-...-512)} finds Domain Admins, though the DC stores the binary SID.
 */
class StringSidFilterTest {

    private static final String PASSWORD = "Lab-Passw0rd!";
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

    private static String sid(int rid) {
        return dc.domainSid() + "-" + rid;
    }

    @Test
    void aStringSidFindsTheGroupThatHoldsIt() throws LDAPException {
        assertEquals(Set.of(dn(dc.names().user("Domain Admins"))), search("(objectSid=" + sid(512) + ")"),
                "(objectSid=" + sid(512) + ")");
        assertEquals(Set.of(dn(dc.names().user("Domain Admins")), dn(dc.names().user("Enterprise Admins"))),
                search("(|(objectSid=" + sid(512) + ")(objectSid~=" + sid(519) + "))"));
        Set<String> otherGroups = search("(&(objectClass=group)(!(cn=Domain Admins)))");
        assertEquals(otherGroups, search("(&(objectClass=group)(!(objectSid=" + sid(512) + ")))"));
    }

    @Test
    void theBinaryFormStillMatchesAndAValueThatIsNoSidMatchesNothing() throws LDAPException {
        byte[] binary = org.pkilab.directory.model.SecurityIdentifier.parse(sid(512)).toBytes();
        assertEquals(Set.of(dn(dc.names().user("Domain Admins"))),
                search(Filter.createEqualityFilter("objectSid", binary).toString()), "the binary SID of Domain Admins");
        assertEquals(Set.of(), search("(objectSid=S-1-5-21-not-a-sid)"));
        assertEquals(Set.of(), search("(objectSid=" + sid(4000) + ")"), "no object holds RID 4000");
    }

    @Test
    void ldapsearchFindsAdministratorByItsStringSid() throws Exception {
        Result r = ExternalTool.run(null, Map.of(), null, "ldapsearch", "-LLL", "-x", "-H", dc.ldapUrl(), "-D", dc.administratorDn(),
                "-w", PASSWORD, "-o", "ldif-wrap=no", "-b", dc.names().domain(), "(objectSid=" + sid(500) + ")", "1.1");
        assertEquals(0, r.exit(), r.toString());
        assertEquals(List.of("dn: " + dc.administratorDn()), r.out().replace("\r", "").lines().filter(l -> l.startsWith("dn: ")).toList(),
                r.out());
    }

    private Set<String> search(String filter) throws LDAPSearchException {
        Set<String> dns = new TreeSet<>();
        for (SearchResultEntry entry : administrator.search(dc.names().domain(), SearchScope.SUB, filter, "1.1").getSearchEntries()) {
            dns.add(dn(entry.getDN()));
        }
        return dns;
    }

    private static String dn(String dn) {
        return dn.toLowerCase(Locale.ROOT);
    }
}
