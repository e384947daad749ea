package org.pkilab.directory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Debian's {@code ldapdomaindump} (python3-ldapdomaindump, unmodified) against DC01, as an auditor runs it:
 * {@code ldapdomaindump -u 'CONTOSO\Administrator' -p ... ldap://dc01:389 -o outdir}, with its default NTLM
 * authentication (Microsoft's Sicily bind, sent by ldap3) and with {@code -at SIMPLE}. It reads the root DSE and
 * the schema ({@code get_info=ALL}), finds users with {@code (&(objectCategory=person)(objectClass=user))}, computers
 * with {@code (&(objectClass=computer)(objectClass=user))} and groups with {@code (objectClass=group)}, all paged, and
 * maps primary groups by the RID at the end of each group's {@code objectSid}. Its {@code domain_users.json},
 * {@code domain_computers.json} and {@code domain_groups.json} must hold what the directory holds, with each
 * account's {@code memberOf}.
 */
class LdapDomainDumpTest {

    private static PopulatedDomain domain;
    @TempDir
    static Path dumps;
    private static final Map<String, Result> RUNS = new HashMap<>();

    @BeforeAll
    static void start() throws IOException {
        domain = PopulatedDomain.start();
    }

    @AfterAll
    static void stop() {
        if (domain != null) {
            domain.close();
        }
    }

    /** Runs ldapdomaindump once per authentication type and returns its output folder, checking it succeeded. */
    private static Path dump(String authentication) throws Exception {
        Path out = dumps.resolve(authentication);
        Result r = RUNS.get(authentication);
        if (r == null) {
            Files.createDirectories(out);
            // ldapdomaindump's -p takes "a password or LM:NTLM hash"; with a password, ldap3 needs MD4, which Debian 12's
            // OpenSSL 3 keeps in its legacy provider, so the NTLM run passes the hashes, as pentesters usually do.
            String secret = authentication.equals("SIMPLE") ? PopulatedDomain.PASSWORD
                    : "aad3b435b51404eeaad3b435b51404ee:" + Hex.toHexString(PasswordVerifiers.ntHash(PopulatedDomain.PASSWORD));
            List<String> command = new ArrayList<>(List.of("/usr/bin/ldapdomaindump", "-u", "CONTOSO\\Administrator",
                    "-p", secret, domain.ldapUrl(), "-o", out.toString()));
            if (authentication.equals("SIMPLE")) {
                command.addAll(List.of("-at", "SIMPLE"));
            }
            r = ExternalTool.run(out, Map.of(), null, command.toArray(String[]::new));
            RUNS.put(authentication, r);
        }
        assertEquals(0, r.exit(), "ldapdomaindump (" + authentication + " bind as CONTOSO\\Administrator) against DC01 at "
                + domain.ldapUrl() + " (python3-ldapdomaindump installed?): " + r);
        return out;
    }

    private static JsonNode json(Path folder, String file) throws IOException {
        Path path = folder.resolve(file);
        return new ObjectMapper().readTree(Files.readString(path));
    }

    private static List<String> values(JsonNode entry, String attribute) {
        List<String> values = new ArrayList<>();
        JsonNode node = MissingNode.getInstance();
        for (var field : (Iterable<Map.Entry<String, JsonNode>>) () -> entry.path("attributes").fields()) {
            if (field.getKey().equalsIgnoreCase(attribute)) {
                node = field.getValue();
            }
        }
        if (node.isArray()) {
            node.forEach(v -> values.add(v.asText()));
        } else if (!node.isMissingNode() && !node.isNull()) {
            values.add(node.asText());
        }
        return values;
    }

    private static List<String> accountNames(JsonNode entries) {
        List<String> names = new ArrayList<>();
        entries.forEach(e -> names.addAll(values(e, "sAMAccountName")));
        return names;
    }

    private static JsonNode entryNamed(JsonNode entries, String samAccountName, String file) {
        for (JsonNode e : entries) {
            if (values(e, "sAMAccountName").stream().anyMatch(samAccountName::equalsIgnoreCase)) {
                return e;
            }
        }
        throw new AssertionError(file + " holds no entry for " + samAccountName + ": " + entries);
    }

    private static void assertSameAccounts(Set<String> directory, List<String> dumped, String what) {
        Set<String> dumpedSet = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        dumpedSet.addAll(dumped);
        assertEquals(directory, dumpedSet, what + ": ldapdomaindump's list against DC01's");
        assertEquals(directory.size(), dumped.size(), what + ": ldapdomaindump counts " + dumped + ", DC01 holds " + directory);
    }

    @ParameterizedTest(name = "{0} bind")
    @ValueSource(strings = {"NTLM", "SIMPLE"})
    void usersAreTheDirectorysUsers(String authentication) throws Exception {
        JsonNode users = json(dump(authentication), "domain_users.json");
        assertSameAccounts(domain.userNames(), accountNames(users), "domain_users.json (" + authentication + ")");
    }

    @ParameterizedTest(name = "{0} bind")
    @ValueSource(strings = {"NTLM", "SIMPLE"})
    void computersAreTheDirectorysComputers(String authentication) throws Exception {
        JsonNode computers = json(dump(authentication), "domain_computers.json");
        assertSameAccounts(domain.computerNames(), accountNames(computers), "domain_computers.json (" + authentication + ")");
    }

    @ParameterizedTest(name = "{0} bind")
    @ValueSource(strings = {"NTLM", "SIMPLE"})
    void groupsAreTheDirectorysGroups(String authentication) throws Exception {
        JsonNode groups = json(dump(authentication), "domain_groups.json");
        assertSameAccounts(domain.groupNames(), accountNames(groups), "domain_groups.json (" + authentication + ")");
    }

    @ParameterizedTest(name = "{0} bind")
    @ValueSource(strings = {"NTLM", "SIMPLE"})
    void membershipsOfANestedUserAndGroupAreTheDirectorys(String authentication) throws Exception {
        Path out = dump(authentication);
        JsonNode alice = entryNamed(json(out, "domain_users.json"), PopulatedDomain.NESTED_USER, "domain_users.json");
        assertEquals(domain.groupsListing(PopulatedDomain.NESTED_USER), caseless(values(alice, "memberOf")),
                "memberOf of alice in domain_users.json (" + authentication + ") against the groups whose member lists her on DC01");
        JsonNode siteAdmins = entryNamed(json(out, "domain_groups.json"), PopulatedDomain.INNER_GROUP, "domain_groups.json");
        assertEquals(domain.groupsListing(PopulatedDomain.INNER_GROUP), caseless(values(siteAdmins, "memberOf")),
                "memberOf of '" + PopulatedDomain.INNER_GROUP + "' in domain_groups.json (" + authentication + ")");
        assertEquals(domain.primaryGroupId(PopulatedDomain.NESTED_USER),
                Integer.parseInt(values(alice, "primaryGroupID").isEmpty() ? "-1" : values(alice, "primaryGroupID").get(0)),
                "primaryGroupID of alice in domain_users.json (" + authentication + "): " + alice);
    }

    private static Set<String> caseless(List<String> values) {
        Set<String> set = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        set.addAll(values);
        return set;
    }
}
