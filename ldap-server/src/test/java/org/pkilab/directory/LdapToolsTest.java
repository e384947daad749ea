package org.pkilab.directory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.directory.client.DirectoryAdmin;

import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DC as Debian's OpenLDAP tools see it ({@code apt-get install ldap-utils}): what a student runs
 * against the lab must behave as it would against a Windows DC.
 */
class LdapToolsTest {

    private static final String PASSWORD = "Lab-Passw0rd!";
    private static DomainController dc;

    @BeforeAll
    static void start() {
        dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", PASSWORD);
        }
    }

    @AfterAll
    static void stop() {
        dc.close();
    }

    @Test
    void ldapsearchListsTheTemplatesWithTheirNameFlags() throws Exception {
        Result r = run(null, "ldapsearch", "-LLL", "-x", "-H", dc.ldapUrl(), "-D", dc.administratorDn(), "-w", PASSWORD,
                "-b", dc.names().certificateTemplates(), "-o", "ldif-wrap=no", "(objectClass=pKICertificateTemplate)",
                "cn", "msPKI-Certificate-Name-Flag");
        assertEquals(0, r.exit(), r.toString());
        java.util.Map<String, String> flags = new java.util.TreeMap<>();
        for (String entry : normalized(r.out()).split("\n\n")) {
            String cn = null;
            String flag = null;
            for (String line : entry.split("\n")) {
                if (line.startsWith("cn: ")) {
                    cn = line.substring(4);
                } else if (line.startsWith("msPKI-Certificate-Name-Flag: ")) {
                    flag = line.substring(29);
                }
            }
            if (cn != null) {
                flags.put(cn, flag);
            }
        }
        assertEquals(java.util.Map.ofEntries(java.util.Map.entry("WebServer", "1"), java.util.Map.entry("Workstation", "134217728"),
                java.util.Map.entry("ClientAuth", "-2113929216"), java.util.Map.entry("Machine", "402653184"),
                java.util.Map.entry("User", "-1509949440"), java.util.Map.entry("EnrollmentAgent", "-2113929216"), java.util.Map.entry("SubCA", "1"),
                java.util.Map.entry("KerberosAuthentication", "138412032"), java.util.Map.entry("OCSPResponseSigning", "402653184"),
                java.util.Map.entry("CEPEncryption", "1"), java.util.Map.entry("EnrollmentAgentOffline", "1"),
                java.util.Map.entry("IPSECIntermediateOffline", "1")), flags, r.out());
    }

    @Test
    void ldapsearchOverLdapsAndStartTlsAsAMachineAccount() throws Exception {
        Result ldaps = run(null, "ldapsearch", "-LLL", "-x", "-H", dc.ldapsUrl(), "-D", dc.names().computer("IIS01"), "-w", PASSWORD,
                "-b", dc.names().template("WebServer"), "-s", "base", "displayName");
        assertEquals(0, ldaps.exit(), ldaps.toString());
        assertTrue(ldaps.out().contains("displayName: Web Server"), ldaps.out());
        Result startTls = run(null, "ldapsearch", "-LLL", "-ZZ", "-x", "-H", dc.ldapUrl(), "-D", dc.names().computer("IIS01"),
                "-w", PASSWORD, "-b", dc.names().template("WebServer"), "-s", "base", "displayName");
        assertEquals(0, startTls.exit(), startTls.toString());
    }

    @Test
    void ldapmodifyOnATemplateFailsWith50AsAMachineAccountAndSucceedsAsAdministrator() throws Exception {
        String change = "dn: " + dc.names().template("Workstation") + "\nchangetype: modify\n"
                + "replace: msPKI-Minimal-Key-Size\nmsPKI-Minimal-Key-Size: 1024\n-\n";
        Result machine = run(change, "ldapmodify", "-x", "-H", dc.ldapUrl(), "-D", dc.names().computer("IIS01"), "-w", PASSWORD);
        assertEquals(50, machine.exit(), machine.toString());
        assertTrue(machine.err().contains("Insufficient access") && machine.err().contains("INSUFF_ACCESS_RIGHTS"), machine.err());

        Result administrator = run(change, "ldapmodify", "-x", "-H", dc.ldapUrl(), "-D", dc.administratorDn(), "-w", PASSWORD);
        assertEquals(0, administrator.exit(), administrator.toString());
        Result check = run(null, "ldapsearch", "-LLL", "-x", "-H", dc.ldapUrl(), "-D", dc.administratorDn(), "-w", PASSWORD,
                "-b", dc.names().template("Workstation"), "-s", "base", "msPKI-Minimal-Key-Size");
        assertTrue(check.out().contains("msPKI-Minimal-Key-Size: 1024"), check.out());
    }

    @Test
    void anonymousLdapsearchGetsTheRootDseOnly() throws Exception {
        Result rootDse = run(null, "ldapsearch", "-LLL", "-x", "-H", dc.ldapUrl(), "-b", "", "-s", "base", "namingContexts");
        assertEquals(0, rootDse.exit(), rootDse.toString());
        assertTrue(rootDse.out().contains(dc.names().domain()), rootDse.out());
        Result domain = run(null, "ldapsearch", "-LLL", "-x", "-H", dc.ldapUrl(), "-b", dc.names().domain(), "(objectClass=*)");
        assertEquals(1, domain.exit(), "operationsError, as a Windows DC answers: " + domain);
        assertTrue(domain.err().contains("successful bind must be completed"), domain.err());
    }

    private static String normalized(String ldif) {
        return ldif.replace("\r", "");
    }

    private static Result run(String stdin, String... command) throws IOException, InterruptedException {
        return ExternalTool.run(null, Map.of("LDAPTLS_REQCERT", "never"), stdin, command);
    }
}
