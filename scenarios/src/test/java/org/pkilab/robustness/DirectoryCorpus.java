package org.pkilab.robustness;

import com.unboundid.asn1.ASN1OctetString;
import com.unboundid.ldap.sdk.AddRequest;
import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.CompareRequest;
import com.unboundid.ldap.sdk.DeleteRequest;
import com.unboundid.ldap.sdk.ExtendedRequest;
import com.unboundid.ldap.sdk.LDAPRequest;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import com.unboundid.ldap.sdk.ModifyDNRequest;
import com.unboundid.ldap.sdk.ModifyRequest;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchRequest;
import com.unboundid.ldap.sdk.SearchScope;
import org.pkilab.directory.client.LogonRequest;
import org.pkilab.directory.model.DomainNames;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.pkilab.robustness.HostileCorpus.*;

/**
 * The corpus for the directory over LDAP: writes by accounts that are not administrators (each the
 * guide's kind of account: a member server, a workstation, a user; the user also in a group named
 * "Enterprise Admins" made in another OU), requests without a bind, binds that must authenticate nobody,
 * and searches whose filters ask whether a guess is Administrator's password.
 */
final class DirectoryCorpus {

    private final Facts facts;
    private final List<LdapInput> ldap;
    private final List<LdapBind> binds;
    private final List<LdapOracle> oracles;
    private final Random random = new Random(SEED + 1);

    DirectoryCorpus(Facts facts, List<LdapInput> ldap, List<LdapBind> binds, List<LdapOracle> oracles) {
        this.facts = facts;
        this.ldap = ldap;
        this.binds = binds;
        this.oracles = oracles;
    }

    void generate() {
        ldapWrites();
        ldapLimits();
        ldapBinds();
        passwordOracles();
    }

    /**
     * Searches that would tell a reader whether a guess is Administrator's password if the DC matched
     * filters on it: every one is asked with the right password, so any entry found is an answer.
     */
    private void passwordOracles() {
        DomainNames n = facts.names();
        String category = "LDAP: password oracles in search filters";
        String right = escape(facts.password());
        String wrong = escape(facts.password() + "x");
        List<String> filters = List.of("(&(cn=Administrator)(userPassword=" + right + "))",
                "(&(cn=Administrator)(!(userPassword=" + wrong + ")))",
                "(&(cn=Administrator)(!(!(userPassword=" + right + "))))",
                "(&(cn=Administrator)(userPassword=*))",
                "(&(cn=Administrator)(!(userPassword=*)))",
                "(&(cn=Administrator)(userPassword=" + right.substring(0, 3) + "*))",
                "(&(cn=Administrator)(!(userPassword=" + right.substring(0, 3) + "*)))",
                "(&(cn=Administrator)(userPassword>=" + right + "))",
                "(&(cn=Administrator)(userPassword<=" + right + "))",
                "(&(cn=Administrator)(!(userPassword<=" + wrong + ")))",
                "(&(cn=Administrator)(userPassword~=" + right + "))",
                "(&(cn=Administrator)(2.5.4.35=" + right + "))",
                "(&(cn=Administrator)(USERPASSWORD;binary=" + right + "))",
                "(&(cn=Administrator)(userPassword:=" + right + "))",
                "(&(cn=Administrator)(userPassword:2.5.13.17:=" + right + "))",
                "(&(cn=Administrator)(|(userPassword=" + right + ")(cn=nobody)))",
                "(&(cn=Administrator)(!(&(userPassword=" + wrong + ")(cn=Administrator))))");
        Map<String, String> accounts = new LinkedHashMap<>();
        accounts.put("IIS01$", n.computer("IIS01"));
        accounts.put("alice", n.user("alice"));
        accounts.put("Administrator", n.user("Administrator"));
        for (Map.Entry<String, String> account : accounts.entrySet()) {
            for (String filter : filters) {
                oracles.add(new LdapOracle(category, account.getKey() + ": " + printable(filter), account.getValue(), facts.password(),
                        search(n.domain(), SearchScope.SUB, filter, "1.1")));
            }
        }
    }

    private static String escape(String value) {
        return com.unboundid.ldap.sdk.Filter.encodeValue(value);
    }

    /**
     * Requests shaped to cost the DC more than its query policy allows, sent without a bind and by a member
     * server: each is refused as adminLimitExceeded naming the limit, and the DC goes on answering.
     */
    private void ldapLimits() {
        DomainNames n = facts.names();
        String category = "LDAP: requests over the DC's query policy";
        List<ResultCode> refused = List.of(ResultCode.ADMIN_LIMIT_EXCEEDED);
        com.unboundid.ldap.sdk.Filter deep = com.unboundid.ldap.sdk.Filter.createPresenceFilter("objectClass");
        for (int i = 0; i < 1_000; i++) {
            deep = com.unboundid.ldap.sdk.Filter.createNOTFilter(deep);
        }
        com.unboundid.ldap.sdk.Filter[] guesses = new com.unboundid.ldap.sdk.Filter[20_000];
        for (int i = 0; i < guesses.length; i++) {
            guesses[i] = com.unboundid.ldap.sdk.Filter.createEqualityFilter("cn", "Administrator" + i);
        }
        String longBase = "CN=x,".repeat(20_000) + n.domain();
        Map<String, String> callers = new LinkedHashMap<>();
        callers.put("anonymous", null);
        callers.put("IIS01$", n.computer("IIS01"));
        for (Map.Entry<String, String> caller : callers.entrySet()) {
            String who = caller.getKey();
            ldap.add(new LdapInput(category, who + ": a filter of 1,000 nested NOTs", caller.getValue(), facts.password(),
                    new SearchRequest(n.domain(), SearchScope.SUB, deep), refused, "deeper than"));
            ldap.add(new LdapInput(category, who + ": an OR of 20,000 terms", caller.getValue(), facts.password(),
                    new SearchRequest(n.domain(), SearchScope.SUB, com.unboundid.ldap.sdk.Filter.createORFilter(guesses)), refused, "terms"));
            ldap.add(new LdapInput(category, who + ": a search base of 20,000 RDNs", caller.getValue(), facts.password(),
                    new SearchRequest(longBase, SearchScope.BASE, com.unboundid.ldap.sdk.Filter.createPresenceFilter("objectClass")), refused, "over the DC's limit"));
            ldap.add(new LdapInput(category, who + ": delete a DN of 20,000 RDNs", caller.getValue(), facts.password(),
                    new DeleteRequest(longBase), refused, "over the DC's limit"));
        }
    }

    private void ldapWrites() {
        DomainNames n = facts.names();
        String category = "LDAP: writes by non-administrators";
        String template = n.template("WebServer");
        String enrollmentService = "CN=" + facts.caName() + "," + n.enrollmentServices();
        String certificationAuthority = "CN=" + facts.caName() + "," + n.certificationAuthorities();
        Map<String, String> accounts = new LinkedHashMap<>();
        accounts.put("IIS01$", n.computer("IIS01"));
        accounts.put("PC01$", n.computer("PC01"));
        accounts.put("alice", n.user("alice"));
        List<ResultCode> denied = List.of(ResultCode.INSUFFICIENT_ACCESS_RIGHTS);
        for (Map.Entry<String, String> account : accounts.entrySet()) {
            String who = account.getKey();
            String me = account.getValue();
            String other = me.equals(n.computer("IIS01")) ? n.computer("PC01") : n.computer("IIS01");
            Map<String, LDAPRequest> ops = new LinkedHashMap<>();
            ops.put("add a user", new AddRequest("CN=hostile-user," + n.users(), new Attribute("objectClass", "top", "person",
                    "organizationalPerson", "user"), new Attribute("sAMAccountName", "hostile-user")));
            ops.put("add a computer", new AddRequest("CN=HOSTILE01," + n.computers(), new Attribute("objectClass", "top", "person",
                    "organizationalPerson", "user", "computer"), new Attribute("sAMAccountName", "HOSTILE01$")));
            ops.put("add a group", new AddRequest("CN=Hostile Admins," + n.users(), new Attribute("objectClass", "top", "group"),
                    new Attribute("sAMAccountName", "Hostile Admins")));
            ops.put("add a domain controller", new AddRequest("CN=DC99," + n.domainControllers(), new Attribute("objectClass", "top", "person",
                    "organizationalPerson", "user", "computer"), new Attribute("sAMAccountName", "DC99$")));
            ops.put("add a certificate template", new AddRequest("CN=HostileTemplate," + n.certificateTemplates(),
                    new Attribute("objectClass", "top", "pKICertificateTemplate"), new Attribute("displayName", "Hostile Template")));
            ops.put("add an enrollment service", new AddRequest("CN=Hostile-CA," + n.enrollmentServices(),
                    new Attribute("objectClass", "top", "pKIEnrollmentService"), new Attribute("certificateTemplates", "WebServer")));
            ops.put("add an OU under the domain", new AddRequest("OU=Hostile," + n.domain(), new Attribute("objectClass", "top", "organizationalUnit")));
            ops.put("add 'CN=*' with LDAP metacharacters", new AddRequest("CN=a\\2a\\28\\29\\5c," + n.users(), new Attribute("objectClass", "top", "group")));
            ops.put("add a user with Domain Admins' SID", new AddRequest("CN=sid-thief," + n.users(), new Attribute("objectClass", "top", "person",
                    "organizationalPerson", "user"), new Attribute("objectSid", new byte[]{1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0})));
            ops.put("set Administrator's password", new ModifyRequest(n.user("Administrator"),
                    new Modification(ModificationType.REPLACE, "userPassword", "Hostile-Passw0rd!")));
            ops.put("add itself to Domain Admins", new ModifyRequest("CN=Domain Admins," + n.users(), new Modification(ModificationType.ADD, "member", me)));
            ops.put("add itself to Enterprise Admins", new ModifyRequest("CN=Enterprise Admins," + n.users(), new Modification(ModificationType.ADD, "member", me)));
            ops.put("add itself to Cert Publishers", new ModifyRequest("CN=Cert Publishers," + n.users(), new Modification(ModificationType.ADD, "member", me)));
            ops.put("make WebServer build no names", new ModifyRequest(template, new Modification(ModificationType.REPLACE, "msPKI-Certificate-Name-Flag", "1")));
            ops.put("grant Everyone Full Control on WebServer", new ModifyRequest(template, new Modification(ModificationType.REPLACE,
                    "nTSecurityDescriptor", "O:DAG:DAD:(A;;GA;;;WD)")));
            ops.put("lower WebServer's minimum key size", new ModifyRequest(template, new Modification(ModificationType.REPLACE, "msPKI-Minimal-Key-Size", "512")));
            ops.put("rename WebServer's display name to '*)(cn=*'", new ModifyRequest(template, new Modification(ModificationType.REPLACE, "displayName", "*)(cn=*")));
            ops.put("add Workstation to the CA's issue list", new ModifyRequest(enrollmentService, new Modification(ModificationType.ADD,
                    "certificateTemplates", "Workstation")));
            ops.put("empty the CA's issue list", new ModifyRequest(enrollmentService, new Modification(ModificationType.DELETE, "certificateTemplates")));
            ops.put("replace the CA certificate", new ModifyRequest(certificationAuthority, new Modification(ModificationType.REPLACE,
                    "cACertificate", new byte[]{0x30, 0x00})));
            ops.put("add a root to NTAuthCertificates", new ModifyRequest(n.ntAuthCertificates(), new Modification(ModificationType.ADD,
                    "cACertificate", new byte[]{0x30, 0x03, 0x02, 0x01, 0x01})));
            ops.put("change another computer's dNSHostName", new ModifyRequest(other, new Modification(ModificationType.REPLACE, "dNSHostName",
                    "evil.example")));
            ops.put("change its own description", new ModifyRequest(me, new Modification(ModificationType.REPLACE, "description", "hostile")));
            ops.put("change its own objectSid", new ModifyRequest(me, new Modification(ModificationType.REPLACE, "objectSid", new byte[]{1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0})));
            ops.put("change its own sAMAccountName", new ModifyRequest(me, new Modification(ModificationType.REPLACE, "sAMAccountName", "Administrator")));
            ops.put("change the domain's nextRid", new ModifyRequest(n.domain(), new Modification(ModificationType.REPLACE, "nextRid", "500")));
            ops.put("link a GPO at the domain", new ModifyRequest(n.domain(), new Modification(ModificationType.REPLACE, "gPLink",
                    "[LDAP://CN=Evil," + n.policies() + ";0]")));
            ops.put("change Public Key Services' security", new ModifyRequest(n.publicKeyServices(), new Modification(ModificationType.REPLACE,
                    "nTSecurityDescriptor", "O:DAG:DAD:(A;;GA;;;WD)")));
            ops.put("delete Administrator", new DeleteRequest(n.user("Administrator")));
            ops.put("delete Domain Admins", new DeleteRequest("CN=Domain Admins," + n.users()));
            ops.put("delete WebServer", new DeleteRequest(template));
            ops.put("delete itself", new DeleteRequest(me));
            ops.put("delete the CA's enrollment service", new DeleteRequest(enrollmentService));
            ops.put("delete NTAuthCertificates", new DeleteRequest(n.ntAuthCertificates()));
            ops.put("rename WebServer", new ModifyDNRequest(template, "CN=WebServer2", true));
            ops.put("move itself into Domain Controllers", new ModifyDNRequest(me, me.substring(0, me.indexOf(',')), true, n.domainControllers()));
            ops.put("rename Domain Admins", new ModifyDNRequest("CN=Domain Admins," + n.users(), "CN=Domain Users2", true));
            ops.put("rename Administrator", new ModifyDNRequest(n.user("Administrator"), "CN=Admin2", true));
            ops.put("compare Administrator's password", new CompareRequest(n.user("Administrator"), "userPassword", facts.password()));
            // the fixture grants every one of them Write (not Write permissions) on Hostile Approval: the descriptor stays out of reach
            String writable = n.template("HostileApproval");
            for (String spelling : List.of("nTSecurityDescriptor", "1.2.840.113556.1.2.281", "ntSecurityDescriptor;binary",
                    "1.2.840.113556.1.2.281;binary", "NTSECURITYDESCRIPTOR")) {
                ops.put("with Write on Hostile Approval, replace its security as '" + spelling + "'", new ModifyRequest(writable,
                        new Modification(ModificationType.REPLACE, spelling, "O:DAG:DAD:(A;;GA;;;WD)")));
            }
            for (Map.Entry<String, LDAPRequest> op : ops.entrySet()) {
                ldap.add(new LdapInput(category, who + ": " + op.getKey(), me, facts.password(), op.getValue(), denied, "INSUFF_ACCESS_RIGHTS"));
            }
            ldap.add(new LdapInput(category, who + ": add under a DN that does not exist", me, facts.password(), new AddRequest("CN=x,CN=Nowhere,"
                    + n.domain(), new Attribute("objectClass", "top", "group")), List.of(ResultCode.NO_SUCH_OBJECT), "NO_OBJECT"));
            // ApacheDS looks the entry up before any interceptor runs: its own words, which still name the DN
            ldap.add(new LdapInput(category, who + ": delete a DN that does not exist", me, facts.password(), new DeleteRequest("CN=Nobody,"
                    + n.users()), List.of(ResultCode.NO_SUCH_OBJECT), "CN=Nobody"));
            if (who.equals("alice")) {
                // over the DC's 10 MB bound: it must refuse without reading it all into memory
                ldap.add(new LdapInput(category, who + ": a modify of 11 MB", me, facts.password(), new ModifyRequest(me,
                        new Modification(ModificationType.REPLACE, "description", "d".repeat(11 << 20))), List.of(ResultCode.SERVER_DOWN,
                        ResultCode.PROTOCOL_ERROR, ResultCode.UNWILLING_TO_PERFORM), null));
            }
            ldap.add(new LdapInput(category, who + ": ask for Administrator's logon token (S4U2Self)", me, facts.password(),
                    new ExtendedRequest(LogonRequest.OID, new ASN1OctetString(n.user("Administrator"))), denied, "may not obtain logon tokens"));
            ldap.add(new LdapInput(category, who + ": password modify for Administrator", me, facts.password(),
                    new ExtendedRequest("1.3.6.1.4.1.4203.1.11.1", new ASN1OctetString(new byte[]{0x30, 0x00})),
                    List.of(ResultCode.PROTOCOL_ERROR, ResultCode.UNWILLING_TO_PERFORM, ResultCode.INSUFFICIENT_ACCESS_RIGHTS), null));
            ldap.add(new LdapInput(category, who + ": an unknown extended operation", me, facts.password(), new ExtendedRequest("1.2.3.4"),
                    List.of(ResultCode.PROTOCOL_ERROR, ResultCode.UNWILLING_TO_PERFORM), null));
        }
        String anonymous = "LDAP: requests without a bind";
        List<ResultCode> bindFirst = List.of(ResultCode.OPERATIONS_ERROR);
        Map<String, LDAPRequest> ops = new LinkedHashMap<>();
        ops.put("search the domain", search(n.domain(), SearchScope.SUB, "(objectClass=*)"));
        ops.put("search for passwords", search(n.domain(), SearchScope.SUB, "(userPassword=*)", "userPassword"));
        ops.put("read Administrator", search(n.user("Administrator"), SearchScope.BASE, "(objectClass=*)"));
        ops.put("read the templates", search(n.certificateTemplates(), SearchScope.ONE, "(objectClass=*)"));
        ops.put("add a user", new AddRequest("CN=anon," + n.users(), new Attribute("objectClass", "top", "person", "organizationalPerson", "user")));
        ops.put("modify Administrator", new ModifyRequest(n.user("Administrator"), new Modification(ModificationType.REPLACE, "description", "x")));
        ops.put("delete WebServer", new DeleteRequest(template));
        ops.put("rename WebServer", new ModifyDNRequest(template, "CN=X", true));
        ops.put("compare Administrator's password", new CompareRequest(n.user("Administrator"), "userPassword", facts.password()));
        ops.put("ask for a logon token", new ExtendedRequest(LogonRequest.OID));
        for (Map.Entry<String, LDAPRequest> op : ops.entrySet()) {
            ldap.add(new LdapInput(anonymous, "anonymous: " + op.getKey(), null, null, op.getValue(), bindFirst, null));
        }
    }

    private static SearchRequest search(String base, SearchScope scope, String filter, String... attributes) {
        try {
            return new SearchRequest(base, scope, filter, attributes);
        } catch (com.unboundid.ldap.sdk.LDAPException e) {
            throw new IllegalArgumentException(filter, e);
        }
    }

    private void ldapBinds() {
        DomainNames n = facts.names();
        String category = "LDAP: binds that must not authenticate";
        List<ResultCode> invalid = List.of(ResultCode.INVALID_CREDENTIALS);
        for (String dn : List.of(n.user("Administrator"), n.computer("IIS01"), n.user("alice"))) {
            for (int i = 0; i < 4; i++) {
                String wrong = randomText(random, 1 + random.nextInt(20));
                binds.add(new LdapBind(category, dn + " with '" + printable(wrong) + "'", dn, wrong, invalid));
            }
            binds.add(new LdapBind(category, dn + " with the password in upper case", dn, facts.password().toUpperCase(), invalid));
            binds.add(new LdapBind(category, dn + " without a password (an unauthenticated bind)", dn, "",
                    List.of(ResultCode.SUCCESS, ResultCode.UNWILLING_TO_PERFORM, ResultCode.INVALID_CREDENTIALS)));
        }
        for (String system : List.of("uid=admin,ou=system", "UID=ADMIN,OU=SYSTEM", "uid=admin, ou=system", "0.9.2342.19200300.100.1.1=admin,2.5.4.11=system")) {
            binds.add(new LdapBind(category, "ApacheDS's own administrator as '" + system + "' with its default password", system, "secret",
                    List.of(ResultCode.INVALID_CREDENTIALS)));
        }
        for (String dn : List.of("CN=Nobody," + n.users(), "CN=Administrator,CN=Computers," + n.domain(), "CN=Administrator,DC=evil,DC=example",
                "CN=Domain Admins," + n.users())) {
            binds.add(new LdapBind(category, "'" + dn + "'", dn, facts.password(), List.of(ResultCode.INVALID_CREDENTIALS)));
        }
        // AD takes a UPN and CONTOSO\name (MS-ADTS 5.1.1.1.1): with a wrong password, or naming no account, they fail as a DN does
        for (String name : List.of("alice@contoso.com", "ALICE@CONTOSO.COM", "CONTOSO\\alice", "contoso\\ALICE", "alice$@contoso.com")) {
            binds.add(new LdapBind(category, "'" + name + "' with the password in upper case", name, facts.password().toUpperCase(), invalid));
        }
        for (String dn : List.of("not a dn", "CN=Administrator,CN=Users,DC=contoso,DC=com,", "=x", "CN=\\", "nobody@contoso.com", "CONTOSO\\nobody",
                "FABRIKAM\\alice", "alice@fabrikam.com", "CONTOSO\\", "@contoso.com", "CONTOSO\\*", "*@contoso.com", "cn=*", "(cn=*)")) {
            binds.add(new LdapBind(category, "'" + printable(dn) + "'", dn, facts.password(),
                    List.of(ResultCode.INVALID_CREDENTIALS, ResultCode.INVALID_DN_SYNTAX, ResultCode.PROTOCOL_ERROR)));
        }
        binds.add(new LdapBind(category, "Administrator's DN with a NUL and a wrong password", "CN=Administrator\u0000,CN=Users," + n.domain(),
                "wrong", List.of(ResultCode.INVALID_CREDENTIALS, ResultCode.INVALID_DN_SYNTAX)));
        binds.add(new LdapBind(category, "an empty DN with a password", "", facts.password(),
                List.of(ResultCode.INVALID_CREDENTIALS, ResultCode.UNWILLING_TO_PERFORM, ResultCode.SUCCESS)));
    }
}
