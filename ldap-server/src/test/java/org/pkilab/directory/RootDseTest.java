package org.pkilab.directory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The root DSE as the field's tools read it before anything else: Debian's {@code python3-ldap3} (what most AD
 * tooling is built on) with {@code get_info=DSA}, and {@code ldapsearch -b "" -s base +}, both anonymous, as on AD.
 * A Windows Server 2016 DC of {@code contoso.com} named DC01 answers with the values asserted here.
 */
class RootDseTest {

    private static final String PASSWORD = "Lab-Passw0rd!";
    private static final Instant LAB_TIME = Instant.parse("2031-05-04T10:20:30Z");
    private static final String CONFIGURATION = "CN=Configuration,DC=contoso,DC=com";
    private static DomainController dc;
    private static JsonNode info;

    @BeforeAll
    static void start() throws Exception {
        dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD)
                .clock(Clock.fixed(LAB_TIME, ZoneOffset.UTC)).build());
        Path script = Files.createTempFile("rootdse", ".py");
        try (InputStream in = RootDseTest.class.getResourceAsStream("rootdse.py")) {
            Files.write(script, in.readAllBytes());
        }
        Result r = ExternalTool.run(null, Map.of(), null, "/usr/bin/python3", script.toString(), "127.0.0.1",
                String.valueOf(dc.ldapPort()));
        Files.delete(script);
        assertEquals(0, r.exit(), "ldap3 reading DC01's root DSE (python3-ldap3 installed?): " + r);
        info = new ObjectMapper().readTree(r.out());
    }

    @AfterAll
    static void stop() {
        if (dc != null) {
            dc.close();
        }
    }

    private static String other(String attribute) {
        JsonNode values = info.path("other").path(attribute);
        assertEquals(1, values.size(), "DC01's root DSE as ldap3 sees it should hold one " + attribute + ": " + info);
        return values.get(0).asText();
    }

    private static List<String> list(String field) {
        List<String> values = new ArrayList<>();
        info.path(field).forEach(v -> values.add(v.asText()));
        return values;
    }

    @Test
    void namingContextsAreTheDomainsConfigurationAndSchemaOnly() {
        assertEquals("DC=contoso,DC=com", other("defaultNamingContext"), "defaultNamingContext");
        assertEquals("DC=contoso,DC=com", other("rootDomainNamingContext"), "rootDomainNamingContext");
        assertEquals(CONFIGURATION, other("configurationNamingContext"), "configurationNamingContext");
        assertEquals("CN=Schema," + CONFIGURATION, other("schemaNamingContext"), "schemaNamingContext");
        assertEquals(Set.of("DC=contoso,DC=com", CONFIGURATION, "CN=Schema," + CONFIGURATION),
                Set.copyOf(list("naming_contexts")), "namingContexts: AD's, not ApacheDS's ou=system or ou=schema");
    }

    @Test
    void theServerIsNamedAsDc01InTheDefaultSite() {
        String server = "CN=DC01,CN=Servers,CN=Default-First-Site-Name,CN=Sites," + CONFIGURATION;
        assertEquals("dc01.contoso.com", other("dnsHostName"), "dnsHostName");
        assertEquals("contoso.com:dc01$@CONTOSO.COM", other("ldapServiceName"), "ldapServiceName");
        assertEquals(server, other("serverName"), "serverName");
        assertEquals("CN=NTDS Settings," + server, other("dsServiceName"), "dsServiceName");
    }

    @Test
    void functionalLevelsAreWindowsServer2016() {
        for (String level : List.of("domainFunctionality", "forestFunctionality", "domainControllerFunctionality")) {
            assertEquals("7", other(level), level + " (7 = Windows Server 2016)");
        }
    }

    @Test
    void stateIsSynchronizedWithoutAGlobalCatalogAtTheLabsTime() {
        assertEquals("TRUE", other("isSynchronized"), "isSynchronized");
        assertEquals("FALSE", other("isGlobalCatalogReady"), "isGlobalCatalogReady: the lab has no GC port");
        assertEquals("20310504102030.0Z", other("currentTime"), "currentTime from DC01's clock");
        assertTrue(other("highestCommittedUSN").matches("[1-9][0-9]*"), "highestCommittedUSN: " + info);
    }

    @Test
    void capabilitiesPoliciesAndVersionsAreWhatTheDcHonours() {
        assertEquals(List.of("3"), list("supported_ldap_versions"), "supportedLDAPVersion");
        assertTrue(list("supported_features").contains("1.2.840.113556.1.4.800"),
                "supportedCapabilities should name Active Directory (1.2.840.113556.1.4.800): " + info);
        List<String> policies = new ArrayList<>();
        info.path("other").path("supportedLDAPPolicies").forEach(v -> policies.add(v.asText()));
        assertEquals(new TreeSet<>(List.of("MaxConnIdleTime", "MaxQueryDuration", "MaxReceiveBuffer")), new TreeSet<>(policies),
                "supportedLDAPPolicies: the limits LdapQueryPolicy enforces, by AD's names");
        assertTrue(list("supported_controls").contains("1.2.840.113556.1.4.319"),
                "supportedControl should name paged results, which ApacheDS honours: " + info);
        assertEquals(List.of("GSS-SPNEGO", "EXTERNAL"), list("supported_sasl_mechanisms"),
                "supportedSASLMechanisms: GSS-SPNEGO (with NTLM) and EXTERNAL (certificate logon), the mechanisms the DC implements: " + info);
    }

    @Test
    void ldapsearchSeesTheSameAnonymouslyAndTheUsnGrowsWithAWrite() throws Exception {
        Result before = ldapsearchRootDse();
        assertTrue(before.out().contains("defaultNamingContext: DC=contoso,DC=com"), before.toString());
        assertFalse(before.out().toLowerCase().contains("namingcontexts: ou=system"), "ou=system listed: " + before.out());
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            admin.usersAndComputers().createComputer("WS07", "ws07.contoso.com", PASSWORD);
        }
        Result after = ldapsearchRootDse();
        long usnBefore = usn(before.out());
        long usnAfter = usn(after.out());
        assertTrue(usnAfter > usnBefore, "highestCommittedUSN should grow when WS07$ is created: " + usnBefore + " then " + usnAfter);
    }

    @Test
    void aLastingDcsUsnNeverGoesBackAcrossARestart(@TempDir Path folder) throws Exception {
        DomainControllerConfig config = DomainControllerConfig.builder().administratorPassword(PASSWORD).dataDirectory(folder).build();
        long beforeRestart;
        try (DomainController lasting = DomainController.start(config)) {
            try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", lasting.ldapPort(), lasting.names(),
                    lasting.administratorDn(), PASSWORD)) {
                admin.usersAndComputers().createComputer("WS08", "ws08.contoso.com", PASSWORD);
            }
            beforeRestart = usn(ldapsearchRootDse(lasting).out());
        }
        try (DomainController restarted = DomainController.start(config)) {
            long afterRestart = usn(ldapsearchRootDse(restarted).out());
            assertTrue(afterRestart >= beforeRestart, "DC01's highestCommittedUSN went back from " + beforeRestart
                    + " to " + afterRestart + " when the lab in " + folder + " restarted");
        }
    }

    private static Result ldapsearchRootDse() throws Exception {
        return ldapsearchRootDse(dc);
    }

    private static Result ldapsearchRootDse(DomainController dc) throws Exception {
        Result r = ExternalTool.run(null, Map.of(), null, "ldapsearch", "-LLL", "-x", "-H", dc.ldapUrl(), "-b", "", "-s", "base",
                "-o", "ldif-wrap=no", "+");
        assertEquals(0, r.exit(), "ldapsearch -x -b '' -s base + against DC01: " + r);
        return r;
    }

    private static long usn(String ldif) {
        for (String line : ldif.split("\n")) {
            if (line.startsWith("highestCommittedUSN: ")) {
                return Long.parseLong(line.substring(21).trim());
            }
        }
        return fail("no highestCommittedUSN in DC01's root DSE: " + ldif);
    }
}
