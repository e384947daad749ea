package org.pkilab.directory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Debian's {@code samba-tool} (samba-common-bin, with samba-dsdb-modules for its LDAP client) pointed at DC01 with
 * {@code -H ldap://127.0.0.1:port}, as an administrator on a Linux box runs it against a Windows DC: once with
 * {@code --use-kerberos=off -U 'CONTOSO\Administrator%...'}, which samba-tool sends as a SASL GSS-SPNEGO bind carrying
 * NTLMSSP (the lab has no KDC), and once
 * with {@code --simple-bind-dn=... --password=...}, a simple bind. It gets a private {@code smb.conf} naming the domain
 * (workgroup CONTOSO, realm CONTOSO.COM) and private, lock, state and cache folders in the test's own folder, so it
 * needs nothing of the machine's Samba.
 *
 * <p>What it sends: {@code user list} searches {@code (&(objectClass=user)(userAccountControl:1.2.840.113556.1.4.803:=512))},
 * {@code computer list} {@code (sAMAccountType=805306369)}, {@code group listmembers} reads the group's {@code objectSid}
 * then searches {@code (|(primaryGroupID=RID)(memberOf=<SID=S-1-5-21-...>))}, and {@code dsacl get} reads
 * {@code nTSecurityDescriptor} and unpacks it as MS-DTYP's binary self-relative form, printing it as SDDL.
 */
class SambaToolTest {

    /** How samba-tool authenticates. */
    enum Bind {
        NTLM, SIMPLE
    }

    private static PopulatedDomain domain;
    @TempDir
    static Path folder;

    @BeforeAll
    static void start() throws IOException {
        domain = PopulatedDomain.start();
        for (String sub : List.of("private", "lock", "state", "cache")) {
            Files.createDirectories(folder.resolve(sub));
        }
        // Samba's own defaults otherwise: its NTLM binds are sealed ("client ldap sasl wrapping = seal"), as the DC takes them
        Files.writeString(folder.resolve("smb.conf"), """
                [global]
                workgroup = CONTOSO
                realm = CONTOSO.COM
                private dir = %1$s/private
                lock directory = %1$s/lock
                state directory = %1$s/state
                cache directory = %1$s/cache
                """.formatted(folder));
    }

    @AfterAll
    static void stop() {
        if (domain != null) {
            domain.close();
        }
    }

    private static Result sambaTool(Bind bind, String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("samba-tool"));
        command.addAll(List.of(arguments));
        command.addAll(List.of("-H", domain.ldapUrl(), "-s", folder.resolve("smb.conf").toString()));
        if (bind == Bind.NTLM) {
            // the lab has no KDC (Kerberos is out of its scope): NTLM only, as with a DC reached by IP address
            command.addAll(List.of("--use-kerberos=off", "-U", "CONTOSO\\Administrator%" + PopulatedDomain.PASSWORD));
        } else {
            command.add("--simple-bind-dn=" + domain.dc().administratorDn());
            command.add("--password=" + PopulatedDomain.PASSWORD);
        }
        Result r = ExternalTool.run(folder, Map.of(), null, command.toArray(String[]::new));
        assertEquals(0, r.exit(), "samba-tool " + String.join(" ", arguments) + " (" + bind + " bind as Administrator) against DC01 at "
                + domain.ldapUrl() + ": " + r);
        return r;
    }

    private static Set<String> lines(Result r) {
        Set<String> lines = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        r.out().lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(lines::add);
        return lines;
    }

    @ParameterizedTest(name = "{0} bind")
    @EnumSource(Bind.class)
    void userListShowsEveryUserOfTheDirectory(Bind bind) throws Exception {
        Result r = sambaTool(bind, "user", "list");
        assertEquals(domain.userNames(), lines(r), "samba-tool user list (" + bind + ") against DC01's users");
    }

    @ParameterizedTest(name = "{0} bind")
    @EnumSource(Bind.class)
    void computerListShowsEveryComputerOfTheDirectory(Bind bind) throws Exception {
        Result r = sambaTool(bind, "computer", "list");
        assertEquals(domain.computerNames(), lines(r), "samba-tool computer list (" + bind + ") against DC01's computers");
    }

    @ParameterizedTest(name = "{0} bind")
    @EnumSource(Bind.class)
    void groupListmembersShowsDomainAdminsMembers(Bind bind) throws Exception {
        Result r = sambaTool(bind, "group", "listmembers", "Domain Admins");
        Set<String> expected = domain.membersWithPrimary("Domain Admins");
        assertTrue(!expected.isEmpty(), "DC01's Domain Admins has members");
        assertEquals(expected, lines(r), "samba-tool group listmembers \"Domain Admins\" (" + bind + ") against DC01's member list");
    }

    @ParameterizedTest(name = "{0} bind")
    @EnumSource(Bind.class)
    void dsaclGetOnATemplateShowsItsSecurityTab(Bind bind) throws Exception {
        String template = domain.dc().names().template("WebServer");
        Result r = sambaTool(bind, "dsacl", "get", "--objectdn=" + template);
        List<String> out = r.out().lines().filter(l -> !l.isBlank()).toList();
        assertEquals(2, out.size(), "samba-tool dsacl get prints 'descriptor for DN:' and one SDDL line: " + r);
        assertEquals("descriptor for " + template + ":", out.get(0), r.toString());
        SecurityDescriptor shown = SecurityDescriptor.parse(out.get(1), domain.domainSid());
        SecurityDescriptor tab = domain.securityTab(template);
        assertEquals(tab.owner(), shown.owner(), "owner of the Web Server template: samba-tool (" + bind + ") against the Security tab");
        assertEquals(tab.group(), shown.group(), "group of the Web Server template: samba-tool (" + bind + ") against the Security tab");
        assertEquals(new HashSet<>(tab.entries()), new HashSet<>(shown.entries()),
                "ACEs of the Web Server template: samba-tool dsacl get (" + bind + ") printed " + out.get(1)
                        + ", the Security tab holds " + tab.toSddl(domain.domainSid()));
    }
}
