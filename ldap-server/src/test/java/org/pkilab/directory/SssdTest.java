package org.pkilab.directory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A Linux host that takes its users and groups from DC01 through SSSD, as one joined to AD by LDAP alone does:
 * {@code id_provider = ldap} with {@code ldap_schema = ad}, bound as the lab user carol (a simple bind, no TLS),
 * with {@code ldap_id_mapping = true}, so each UID and GID is SSSD's slice for the domain SID plus the account's RID,
 * and glibc asking through {@code nsswitch.conf}'s {@code passwd: files sss} (SSSD's memory cache off, so each
 * lookup reaches it). SSSD's {@code ad} schema reads {@code objectSid}, {@code sAMAccountName}, {@code primaryGroupID}
 * and a group's {@code member} values, resolving nested groups itself, so {@code getent group "PKI Operators"} lists
 * alice, who is in it through "Site Admins". On a DC that answers a filter on an attribute its schema lacks (SSSD's
 * sudo refresh asks for {@code sudoHost}) with result 54 instead of Undefined, SSSD goes offline and both fail.
 *
 * <p>SSSD, its cache and sockets, and the {@code nsswitch.conf} that sends glibc to it live in a private mount namespace
 * ({@code unshare --mount}, tmpfs over {@code /var/lib/sss}, {@code /var/log/sssd}, {@code /etc/sssd} and {@code /run}),
 * which needs root, as CI runs; nothing is left on the machine when the namespace ends.
 */
class SssdTest {

    private static PopulatedDomain domain;
    @TempDir
    static Path folder;
    private static Result lookups;
    private static String log;

    @BeforeAll
    static void runSssd() throws Exception {
        Result uid = ExternalTool.run(null, Map.of(), null, "id", "-u");
        assumeTrue(uid.out().strip().equals("0"), "SssdTest runs SSSD in a private mount namespace (unshare --mount, tmpfs "
                + "over /var/lib/sss and /etc/sssd), which needs root, as CI runs; this run is uid " + uid.out().strip());
        domain = PopulatedDomain.start();
        Files.writeString(folder.resolve("sssd.conf"), """
                [sssd]
                services = nss
                domains = contoso.com

                [nss]
                memcache_timeout = 0

                [domain/contoso.com]
                id_provider = ldap
                ldap_schema = ad
                ldap_uri = %s
                ldap_search_base = %s
                ldap_default_bind_dn = %s
                ldap_default_authtok_type = password
                ldap_default_authtok = %s
                ldap_id_mapping = true
                enumerate = false
                cache_credentials = false
                ldap_referrals = false
                ldap_tls_reqcert = never
                ldap_id_use_start_tls = false
                """.formatted(domain.ldapUrl(), domain.domain(), domain.dnOf("carol"), PopulatedDomain.PASSWORD));
        Files.writeString(folder.resolve("nsswitch.conf"), "passwd: files sss\ngroup: files sss\n");
        Path script = folder.resolve("sssd-nss.sh");
        try (InputStream in = SssdTest.class.getResourceAsStream("sssd-nss.sh")) {
            Files.write(script, in.readAllBytes());
        }
        lookups = ExternalTool.run(folder, Map.of(), null, "unshare", "--mount", "sh", script.toString(), folder.toString(),
                PopulatedDomain.NESTED_USER + "@" + domain.dc().names().dnsName(), PopulatedDomain.OUTER_GROUP);
        log = Files.exists(folder.resolve("sssd.log")) ? Files.readString(folder.resolve("sssd.log")) : "(no sssd.log)";
        assertEquals(0, lookups.exit(), "sssd and getent in a private mount namespace (root, sssd-ldap and libnss-sss installed?): "
                + lookups + "\nsssd.log:\n" + tail(log));
    }

    @AfterAll
    static void stop() {
        if (domain != null) {
            domain.close();
        }
    }

    /** SSSD's fatal, critical and serious failures (debug levels 0x0010 to 0x0040), then its last lines. */
    private static String tail(String text) {
        List<String> lines = text.lines().toList();
        List<String> failures = lines.stream().filter(l -> l.matches(".*\\(0x00[124]0\\).*")).limit(40).toList();
        return String.join("\n", failures) + "\n...\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }

    /** The fields of the line getent printed for a lookup, checking it answered. */
    private static String[] answer(String database) {
        List<String> lines = lookups.out().lines().toList();
        int exitLine = lines.indexOf("getent " + database + " exit 0");
        assertTrue(exitLine > 0, "getent " + database + " through SSSD found nothing on DC01: " + lookups
                + "\nsssd.log:\n" + tail(log));
        return lines.get(exitLine - 1).split(":", -1);
    }

    @Test
    void getentPasswdShowsALabUserWithIdsMappedFromItsSid() {
        String[] alice = answer("passwd");
        assertEquals(PopulatedDomain.NESTED_USER, alice[0], "the name SSSD gives alice@contoso.com: " + String.join(":", alice));
        long uid = Long.parseLong(alice[2]);
        long gid = Long.parseLong(alice[3]);
        // SSSD's ID mapping gives the domain a slice of 200000 IDs and adds the RID to its base
        assertEquals(domain.sid(PopulatedDomain.NESTED_USER).rid(), uid % 200_000,
                "alice's UID " + uid + " should be SSSD's slice for DC01's domain SID plus her RID");
        assertEquals(domain.primaryGroupId(PopulatedDomain.NESTED_USER), gid % 200_000,
                "alice's GID " + gid + " should be the slice plus her primaryGroupID (Domain Users)");
        assertEquals(uid - uid % 200_000, gid - gid % 200_000, "alice's UID and GID come from one domain slice");
    }

    @Test
    void getentGroupShowsTheNestedGroupsMembersThroughItsInnerGroup() {
        String[] group = answer("group");
        assertEquals(PopulatedDomain.OUTER_GROUP, group[0], "the name SSSD gives the group: " + String.join(":", group));
        Set<String> members = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        Arrays.stream(group[3].split(",")).filter(m -> !m.isBlank()).forEach(members::add);
        Set<String> expected = domain.transitiveAccountMembers(PopulatedDomain.OUTER_GROUP);
        assertTrue(expected.contains(PopulatedDomain.NESTED_USER), "alice is in the group through " + PopulatedDomain.INNER_GROUP);
        assertEquals(expected, members, "members of '" + PopulatedDomain.OUTER_GROUP + "' through SSSD against DC01's, nested included");
        assertEquals(domain.sid(PopulatedDomain.OUTER_GROUP).rid(), Long.parseLong(group[2]) % 200_000,
                "the group's GID should be SSSD's slice plus its RID");
    }
}
