package org.pkilab.directory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.unboundid.ldap.sdk.LDAPConnection;
import org.apache.directory.api.ldap.model.cursor.Cursor;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.filter.FilterParser;
import org.apache.directory.api.ldap.model.message.AliasDerefMode;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.server.core.api.CoreSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * AD's object attributes as the field's tools read them: Debian's {@code python3-ldap3} against a DC of
 * {@code contoso.com}, bound as Administrator, reading and searching {@code objectGUID}, {@code memberOf},
 * {@code objectCategory}, {@code tokenGroups} and the rest as a Windows Server 2016 DC returns them.
 */
class AdObjectAttributesTest {

    private static final String PASSWORD = "Lab-Passw0rd!";
    private static final Instant LAB_TIME = Instant.parse("2031-05-04T10:20:30Z");
    private static final String SCHEMA = "CN=Schema,CN=Configuration,DC=contoso,DC=com";
    private static final String DOMAIN_ADMINS = "CN=Domain Admins,CN=Users,DC=contoso,DC=com";
    private DomainController dc;

    @AfterEach
    void stop() {
        if (dc != null) {
            dc.close();
        }
    }

    private DomainController start(Path folder) {
        DomainControllerConfig.Builder config = DomainControllerConfig.builder().administratorPassword(PASSWORD)
                .clock(Clock.fixed(LAB_TIME, ZoneOffset.UTC));
        if (folder != null) {
            config.dataDirectory(folder);
        }
        dc = DomainController.start(config.build());
        return dc;
    }

    /** Runs objectattributes.py with ldap3 as Administrator; the JSON it prints. */
    private JsonNode ldap3(String... operation) throws Exception {
        Path script = Files.createTempFile("objectattributes", ".py");
        try (InputStream in = AdObjectAttributesTest.class.getResourceAsStream("objectattributes.py")) {
            Files.write(script, in.readAllBytes());
        }
        List<String> command = new ArrayList<>(List.of("/usr/bin/python3", script.toString(), "127.0.0.1",
                String.valueOf(dc.ldapPort()), dc.administratorDn(), dc.administratorPassword()));
        command.addAll(List.of(operation));
        Result r = ExternalTool.run(null, Map.of(), null, command.toArray(String[]::new));
        Files.delete(script);
        assertEquals(0, r.exit(), "ldap3 " + String.join(" ", operation) + " against DC01 (python3-ldap3 installed?): " + r);
        return new ObjectMapper().readTree(r.out());
    }

    private JsonNode read(String dn, String... attributes) throws Exception {
        List<String> args = new ArrayList<>(List.of("read", dn));
        args.addAll(List.of(attributes));
        JsonNode answer = ldap3(args.toArray(String[]::new));
        assertEquals(0, answer.path("result").asInt(), "reading " + dn + ": " + answer);
        assertEquals(1, answer.path("entries").size(), "reading " + dn + ": " + answer);
        return answer.path("entries").get(0).path("attributes");
    }

    private List<String> searchDns(String filter) throws Exception {
        JsonNode answer = ldap3("search", dc.names().domain(), filter, "cn");
        assertEquals(0, answer.path("result").asInt(), "searching " + filter + ": " + answer);
        List<String> dns = new ArrayList<>();
        answer.path("entries").forEach(e -> dns.add(e.path("dn").asText()));
        return dns;
    }

    private static List<byte[]> bytes(JsonNode attributes, String name) {
        List<byte[]> values = new ArrayList<>();
        attributes.path(name).forEach(v -> values.add(HexFormat.of().parseHex(v.asText())));
        return values;
    }

    private static List<String> strings(JsonNode attributes, String name) {
        List<String> values = new ArrayList<>();
        for (byte[] value : bytes(attributes, name)) {
            values.add(new String(value, StandardCharsets.UTF_8));
        }
        return values;
    }

    private static String one(JsonNode attributes, String name) {
        List<String> values = strings(attributes, name);
        assertEquals(1, values.size(), name + " should hold one value: " + attributes);
        return values.get(0);
    }

    @Test
    void objectGuidIsSixteenBytesKeptAcrossARestartAndFoundByItsEscapedBytes(@TempDir Path folder) throws Exception {
        start(folder);
        String administrator = dc.administratorDn();
        List<byte[]> guid = bytes(read(administrator, "objectGUID"), "objectGUID");
        assertEquals(1, guid.size(), "Administrator's objectGUID");
        assertEquals(16, guid.get(0).length, "Administrator's objectGUID is a GUID's 16 bytes");
        List<byte[]> other = bytes(read(dc.names().user("Domain Admins"), "objectGUID"), "objectGUID");
        assertFalse(java.util.Arrays.equals(guid.get(0), other.get(0)), "Domain Admins and Administrator share an objectGUID");

        assertEquals(List.of(administrator), searchDns("(objectGUID=" + TokenBuilder.binaryFilter(guid.get(0)) + ")"),
                "(objectGUID=\\xx...) should find Administrator alone");

        dc.close();
        start(folder);
        assertEquals(HexFormat.of().formatHex(guid.get(0)),
                HexFormat.of().formatHex(bytes(read(administrator, "objectGUID"), "objectGUID").get(0)),
                "Administrator's objectGUID after DC01 restarted on its kept folder");
    }

    @Test
    void everyObjectCarriesItsNameTimesUsnsAndInstanceType() throws Exception {
        start(null);
        JsonNode administrator = read(dc.administratorDn(), "*");
        assertEquals(dc.administratorDn(), one(administrator, "distinguishedName"), "Administrator's distinguishedName");
        assertEquals("Administrator", one(administrator, "name"), "Administrator's name (its RDN's value)");
        assertEquals("20310504102030.0Z", one(administrator, "whenCreated"), "whenCreated from DC01's clock");
        assertEquals("20310504102030.0Z", one(administrator, "whenChanged"), "whenChanged from DC01's clock");
        assertEquals("4", one(administrator, "instanceType"), "instanceType of an ordinary object");
        assertEquals("513", one(administrator, "primaryGroupID"), "Administrator's primary group: Domain Users");
        long created = Long.parseLong(one(administrator, "uSNCreated"));
        long changed = Long.parseLong(one(administrator, "uSNChanged"));
        assertTrue(created > 0 && changed >= created, "uSNCreated " + created + " <= uSNChanged " + changed);

        JsonNode head = read(dc.names().domain(), "instanceType", "uSNChanged");
        assertEquals("5", one(head, "instanceType"), "instanceType of the domain head (IT_NC_HEAD | IT_WRITE)");

        String group = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)
                .usersAndComputers().createGroup("ConfigMgr IIS Servers");
        JsonNode made = read(group, "uSNCreated", "primaryGroupToken", "objectSid");
        long usn = Long.parseLong(one(made, "uSNCreated"));
        assertTrue(usn > changed, "a group made later gets a higher uSNCreated: " + usn + " after " + changed);
        long highest = Long.parseLong(one(read("", "highestCommittedUSN"), "highestCommittedUSN"));
        assertTrue(highest >= usn, "the root DSE's highestCommittedUSN " + highest + " is below a USN given: " + usn);
        assertEquals(String.valueOf(SecurityIdentifier.fromBytes(bytes(made, "objectSid").get(0)).rid()),
                one(made, "primaryGroupToken"), "primaryGroupToken of " + group + " is its RID");
        assertEquals("512", one(read(DOMAIN_ADMINS, "primaryGroupToken"), "primaryGroupToken"), "Domain Admins' primaryGroupToken");
    }

    @Test
    void objectCategoryPersonFindsUsersAndComputerFindsComputers() throws Exception {
        start(null);
        DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD);
        String iis = admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", PASSWORD);
        String alice = admin.usersAndComputers().createUser("alice", PASSWORD);
        assertEquals("CN=Person," + SCHEMA, one(read(alice, "objectCategory"), "objectCategory"), "alice's objectCategory");
        assertEquals("CN=Computer," + SCHEMA, one(read(iis, "objectCategory"), "objectCategory"), "IIS01's objectCategory");
        assertEquals("515", one(read(iis, "primaryGroupID"), "primaryGroupID"), "IIS01's primary group: Domain Computers");

        Set<String> byDn = new TreeSet<>(searchDns("(objectCategory=CN=Person," + SCHEMA + ")"));
        Set<String> people = new TreeSet<>(searchDns("(objectCategory=person)"));
        assertEquals(new TreeSet<>(List.of(dc.administratorDn(), alice)), people,
                "(objectCategory=person): the users, not IIS01 nor DC01 (a computer's objectClass holds user too)");
        Set<String> computers = new TreeSet<>(searchDns("(&(objectCategory=computer)(objectClass=user))"));
        assertEquals(new TreeSet<>(List.of(iis, org.pkilab.directory.model.DomainNames.child(dc.config().hostName(), dc.names().domainControllers()))), computers,
                "(objectCategory=computer): IIS01 and DC01");
        assertEquals(people, byDn,
                "the category's DN finds what its class name finds");
    }

    @Test
    void memberOfFollowsMembershipAndIsNotWritable() throws Exception {
        start(null);
        String administrator = dc.administratorDn();
        assertTrue(strings(read(administrator, "memberOf"), "memberOf").contains(DOMAIN_ADMINS),
                "Administrator's memberOf should hold Domain Admins");
        assertTrue(searchDns("(memberOf=" + DOMAIN_ADMINS + ")").contains(administrator), "(memberOf=Domain Admins) finds Administrator");

        DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), administrator, PASSWORD);
        String group = admin.usersAndComputers().createGroup("ConfigMgr IIS Servers");
        JsonNode added = ldap3("modify", group, "add", "member", administrator);
        assertEquals(0, added.path("result").asInt(), "adding Administrator to " + group + ": " + added);
        assertTrue(strings(read(administrator, "memberOf"), "memberOf").contains(group), "memberOf after the group's member was written");
        assertEquals(List.of(administrator), searchDns("(memberOf=" + group + ")"), "(memberOf=" + group + ")");

        JsonNode removed = ldap3("modify", group, "delete", "member", administrator);
        assertEquals(0, removed.path("result").asInt(), "removing Administrator from " + group + ": " + removed);
        assertFalse(strings(read(administrator, "memberOf"), "memberOf").contains(group), "memberOf after the member was removed");

        admin.usersAndComputers().addMember(group, administrator);
        admin.close();
        JsonNode deleted = ldap3("modify", dc.names().user("Domain Admins"), "delete", "member", administrator);
        assertEquals(0, deleted.path("result").asInt(), "removing Administrator from Domain Admins: " + deleted);
        List<String> memberOf = strings(read(administrator, "memberOf"), "memberOf");
        assertFalse(memberOf.contains(DOMAIN_ADMINS), "memberOf after Domain Admins lost Administrator: " + memberOf);
        assertTrue(memberOf.contains(group), "memberOf keeps the other group: " + memberOf);

        JsonNode write = ldap3("modify", administrator, "add", "memberOf", DOMAIN_ADMINS);
        assertEquals(53, write.path("result").asInt(), "writing memberOf, a back-link, is unwillingToPerform as on AD: " + write);
        assertTrue(write.path("message").asText().contains("00002077: SvcErr: DSID-"), "AD's text for the refusal: " + write);
        assertFalse(strings(read(administrator, "memberOf"), "memberOf").contains(DOMAIN_ADMINS), "the refused write changed memberOf");
    }

    @Test
    void tokenGroupsOfAComputerAreItsLogonTokensGroups() throws Exception {
        start(null);
        DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD);
        String iis = admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", PASSWORD);
        String servers = admin.usersAndComputers().createGroup("ConfigMgr IIS Servers");
        String site = admin.usersAndComputers().createGroup("ConfigMgr Site Systems");
        admin.usersAndComputers().addMember(servers, iis);
        admin.usersAndComputers().addMember(site, servers);
        String local = admin.usersAndComputers().createGroup("IIS Local Readers",
                org.pkilab.directory.client.UsersAndComputers.GroupScope.DOMAIN_LOCAL, "a domain-local group");
        admin.usersAndComputers().addMember(local, iis);
        admin.close();

        LogonToken token = DomainLogon.logon("127.0.0.1", dc.ldapPort(), iis, PASSWORD).token();
        Set<String> expected = new TreeSet<>();
        for (LogonToken.TokenGroup group : token.groups()) {
            if (!group.sid().equals(SecurityIdentifier.EVERYONE) && !group.sid().equals(SecurityIdentifier.AUTHENTICATED_USERS)) {
                expected.add(group.sid().toString());
            }
        }
        Set<String> tokenGroups = new TreeSet<>();
        for (byte[] sid : bytes(read(iis, "tokenGroups"), "tokenGroups")) {
            tokenGroups.add(SecurityIdentifier.fromBytes(sid).toString());
        }
        assertEquals(expected, tokenGroups, "IIS01's tokenGroups: its logon token's groups, Everyone and Authenticated Users left out");
        assertTrue(tokenGroups.contains(dc.domainSid().withRid(515).toString()), "tokenGroups holds the primary group Domain Computers");
        assertEquals(4, tokenGroups.size(),
                "Domain Computers, ConfigMgr IIS Servers, (nested) ConfigMgr Site Systems and IIS Local Readers: " + tokenGroups);
        String localSid = SecurityIdentifier.fromBytes(bytes(read(local, "objectSid"), "objectSid").get(0)).toString();
        Set<String> globalAndUniversal = new TreeSet<>();
        for (byte[] sid : bytes(read(iis, "tokenGroupsGlobalAndUniversal"), "tokenGroupsGlobalAndUniversal")) {
            globalAndUniversal.add(SecurityIdentifier.fromBytes(sid).toString());
        }
        Set<String> withoutLocal = new TreeSet<>(tokenGroups);
        withoutLocal.remove(localSid);
        assertEquals(withoutLocal, globalAndUniversal, "IIS01's tokenGroupsGlobalAndUniversal: tokenGroups but the domain-local group");

        JsonNode subtree = ldap3("search", dc.names().computers(), "(cn=IIS01)", "tokenGroups");
        assertNotEquals(0, subtree.path("entries").size(), "IIS01 found: " + subtree);
        assertTrue(subtree.path("entries").get(0).path("attributes").path("tokenGroups").isMissingNode()
                || subtree.path("entries").get(0).path("attributes").path("tokenGroups").isEmpty(),
                "tokenGroups is computed on base-scope reads only, as AD: " + subtree);
    }

    @Test
    void anObjectIsFoundAndModifiedByItsGuidOrSidInPlaceOfItsDn() throws Exception {
        start(null);
        String group = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)
                .usersAndComputers().createGroup("ConfigMgr IIS Servers");
        JsonNode identity = read(group, "objectGUID", "objectSid");
        byte[] guid = bytes(identity, "objectGUID").get(0);
        SecurityIdentifier sid = SecurityIdentifier.fromBytes(bytes(identity, "objectSid").get(0));
        String hex = HexFormat.of().formatHex(guid);
        // the GUID's string form: its first three fields are little-endian in the 16 bytes
        String dashed = hex.substring(6, 8) + hex.substring(4, 6) + hex.substring(2, 4) + hex.substring(0, 2) + "-"
                + hex.substring(10, 12) + hex.substring(8, 10) + "-" + hex.substring(14, 16) + hex.substring(12, 14) + "-"
                + hex.substring(16, 20) + "-" + hex.substring(20);
        for (String alternative : List.of("<GUID=" + hex + ">", "<GUID=" + dashed + ">", "<SID=" + sid + ">",
                "<SID=" + HexFormat.of().formatHex(sid.toBytes()) + ">")) {
            JsonNode answer = ldap3("read", alternative, "cn");
            assertEquals(0, answer.path("result").asInt(), "a base search of " + alternative + ": " + answer);
            assertEquals(group, answer.path("entries").get(0).path("dn").asText(), "the object " + alternative + " names");
        }
        JsonNode modified = ldap3("modify", "<GUID=" + dashed + ">", "replace", "description", "IIS servers of the site");
        assertEquals(0, modified.path("result").asInt(), "a modify of <GUID=" + dashed + ">: " + modified);
        assertEquals("IIS servers of the site", one(read(group, "description"), "description"), "description written by GUID");

        JsonNode unknown = ldap3("read", "<GUID=00000000-0000-0000-0000-000000000000>", "cn");
        assertEquals(32, unknown.path("result").asInt(), "a GUID no object holds is noSuchObject, as on AD: " + unknown);
        assertTrue(unknown.path("message").asText().startsWith("0000208D"), "AD's NO_OBJECT text: " + unknown);
    }

    @Test
    void objectSidAndObjectGuidAreIndexedThroughARenameADeleteAndARestart(@TempDir Path folder) throws Exception {
        start(folder);
        String group = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)
                .usersAndComputers().createGroup("ConfigMgr IIS Servers");
        JsonNode identity = read(group, "objectGUID", "objectSid");
        byte[] guid = bytes(identity, "objectGUID").get(0);
        byte[] sid = bytes(identity, "objectSid").get(0);
        assertEquals(group, indexedHolder("objectSid", sid), "the domain partition's objectSid index finds the new group");
        assertEquals(group, indexedHolder("objectGUID", guid), "the domain partition's objectGUID index finds the new group");

        String renamed = "CN=Web Servers," + group.substring(group.indexOf(',') + 1);
        try (LDAPConnection ldap = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            ldap.modifyDN(group, "CN=Web Servers", true);
            assertEquals(renamed, indexedHolder("objectSid", sid), "the objectSid index after a rename");
            assertEquals(renamed, ldap3("read", "<SID=" + SecurityIdentifier.fromBytes(sid) + ">", "cn").path("entries").get(0)
                    .path("dn").asText(), "<SID=...> names the renamed group");
            ldap.delete(renamed);
        }
        assertEquals(null, indexedHolder("objectSid", sid), "a deleted group's SID names nothing");
        assertEquals(null, indexedHolder("objectGUID", guid), "a deleted group's GUID names nothing");

        byte[] administratorSid = bytes(read(dc.administratorDn(), "objectSid"), "objectSid").get(0);
        dc.close();
        start(folder);
        assertEquals(dc.administratorDn(), indexedHolder("objectSid", administratorSid), "the objectSid index after a restart");
    }

    /** The DN of the entry the domain partition's index says holds {@code value} in {@code attribute}; null for none. */
    private String indexedHolder(String attribute, byte[] value) throws Exception {
        CoreSession system = dc.systemSession();
        SchemaManager schema = system.getDirectoryService().getSchemaManager();
        Dn domain = new Dn(schema, dc.names().domain());
        InMemoryPartition partition = (InMemoryPartition) system.getDirectoryService().getPartitionNexus().getPartition(domain);
        String id = partition.holderOf(schema.lookupAttributeTypeRegistry(attribute), value);
        if (id == null) {
            return null;
        }
        try (Cursor<Entry> found = system.search(domain, SearchScope.SUBTREE,
                FilterParser.parse(schema, "(entryUUID=" + id + ")"), AliasDerefMode.NEVER_DEREF_ALIASES, "1.1")) {
            assertTrue(found.next(), attribute + " indexed to " + id + ", which no entry is");
            return found.get().getDn().getName();
        }
    }

    @Test
    void anIssuancePolicyIsLinkedToAGroupByMsDsOidToGroupLink() throws Exception {
        start(null);
        String group = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)
                .usersAndComputers().createGroup("IIS Certificate Holders",
                        org.pkilab.directory.client.UsersAndComputers.GroupScope.UNIVERSAL, "linked to an issuance policy");
        String base = one(read(dc.names().oid(), "msPKI-Cert-Template-OID"), "msPKI-Cert-Template-OID");
        String policy = "CN=402.5F1A4E9C0B7D4B2A8C3E6F1D2B4A6C8E," + dc.names().oid();
        JsonNode added = ldap3("add", policy, "objectClass=top", "objectClass=msPKI-Enterprise-Oid", "displayName=High Assurance",
                "flags=2", "msPKI-Cert-Template-OID=" + base + ".402", "msDS-OIDToGroupLink=" + group,
                "msPKI-OID-CPS=https://pki.contoso.com/cps.html", "msPKI-OID-User-Notice=Issued to Contoso's administrators");
        assertEquals(0, added.path("result").asInt(), "adding an issuance policy linked to " + group + " (ESC13's setup): " + added);
        JsonNode linked = read(policy, "msDS-OIDToGroupLink", "flags", "objectCategory", "msPKI-OID-CPS", "msPKI-OID-User-Notice");
        assertEquals(group, one(linked, "msDS-OIDToGroupLink"), "the issuance policy's msDS-OIDToGroupLink");
        assertEquals("https://pki.contoso.com/cps.html", one(linked, "msPKI-OID-CPS"), "the issuance policy's CPS, as the Certificate Templates console writes it");
        assertEquals("Issued to Contoso's administrators", one(linked, "msPKI-OID-User-Notice"), "the issuance policy's user notice");
        assertEquals("CN=ms-PKI-Enterprise-Oid," + SCHEMA, one(linked, "objectCategory"), "an enterprise OID's objectCategory");
        assertEquals(List.of(policy), searchDns("(&(objectClass=msPKI-Enterprise-Oid)(msDS-OIDToGroupLink=" + group + "))"),
                "the policy found by the group it links to");
    }

    @Test
    void aWriteThatChangesAValueMovesUsnChangedAndOneThatChangesNothingDoesNot() throws Exception {
        start(null);
        String group = DOMAIN_ADMINS;
        long before = Long.parseLong(one(read(group, "uSNChanged"), "uSNChanged"));
        JsonNode changed = ldap3("modify", group, "replace", "description", "Administrators of contoso.com");
        assertEquals(0, changed.path("result").asInt(), "changing Domain Admins' description: " + changed);
        long after = Long.parseLong(one(read(group, "uSNChanged"), "uSNChanged"));
        assertTrue(after > before, "uSNChanged of Domain Admins after its description changed: " + before + " then " + after);

        JsonNode same = ldap3("modify", group, "replace", "description", "Administrators of contoso.com");
        assertEquals(0, same.path("result").asInt(), "writing Domain Admins' description again: " + same);
        assertEquals(after, Long.parseLong(one(read(group, "uSNChanged"), "uSNChanged")),
                "a write that leaves Domain Admins as it was gets no USN, as on AD");
    }

    @Test
    void aLabKeptBeforeTheseAttributesGetsThemAtItsNextStartAndKeepsThem(@TempDir Path data) throws Exception {
        // made by the DC of commit 9e184b1, long before objectGUID and memberOf: a group 'Made Before The Journal' holding OLD01
        try (InputStream zip = AdObjectAttributesTest.class.getResourceAsStream("jdbm-data-folder.zip");
             java.util.zip.ZipInputStream entries = new java.util.zip.ZipInputStream(zip)) {
            for (java.util.zip.ZipEntry entry; (entry = entries.getNextEntry()) != null; ) {
                Path target = data.resolve(entry.getName());
                if (entry.isDirectory()) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(entries, target);
                }
            }
        }
        DomainControllerConfig config = DomainControllerConfig.builder().dataDirectory(data.resolve("dc")).build();
        dc = DomainController.start(config);
        String old = dc.names().computer("OLD01");
        JsonNode first = read(old, "objectGUID", "memberOf", "objectCategory", "uSNCreated");
        assertEquals(16, bytes(first, "objectGUID").get(0).length, "OLD01, kept by an earlier lab, has an objectGUID");
        assertEquals(old, indexedHolder("objectGUID", bytes(first, "objectGUID").get(0)), "OLD01's objectGUID, given at start, is indexed");
        assertEquals(List.of(dc.names().user("Made Before The Journal")), strings(first, "memberOf"), "OLD01's memberOf");
        assertEquals("CN=Computer," + SCHEMA, one(first, "objectCategory"), "OLD01's objectCategory");
        long highest = Long.parseLong(one(read("", "highestCommittedUSN"), "highestCommittedUSN"));
        assertTrue(Long.parseLong(one(first, "uSNCreated")) <= highest, "OLD01's uSNCreated within highestCommittedUSN " + highest);
        dc.close();

        dc = DomainController.start(config);
        JsonNode again = read(old, "objectGUID", "uSNCreated");
        assertEquals(HexFormat.of().formatHex(bytes(first, "objectGUID").get(0)), HexFormat.of().formatHex(bytes(again, "objectGUID").get(0)),
                "OLD01's objectGUID after another restart");
        assertEquals(old, indexedHolder("objectGUID", bytes(first, "objectGUID").get(0)), "OLD01's objectGUID indexed after another restart");
        assertEquals(one(first, "uSNCreated"), one(again, "uSNCreated"), "OLD01's uSNCreated after another restart");
        assertTrue(Long.parseLong(one(read("", "highestCommittedUSN"), "highestCommittedUSN")) >= highest,
                "highestCommittedUSN never goes back across a restart");
    }

    @Test
    void aDeletedAccountLeavesItsGroupsAndComesBackInNone() throws Exception {
        start(null);
        DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD);
        String iis = admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", PASSWORD);
        String group = admin.usersAndComputers().createGroup("ConfigMgr IIS Servers");
        admin.usersAndComputers().addMember(group, iis);
        JsonNode deleted = ldap3("delete", iis);
        assertEquals(0, deleted.path("result").asInt(), "deleting IIS01: " + deleted);
        assertEquals(List.of(), admin.usersAndComputers().members(group), "the members of " + group + " once IIS01 is deleted");

        admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", PASSWORD);
        admin.close();
        assertEquals(List.of(), strings(read(iis, "memberOf"), "memberOf"), "IIS01 made again is in no group");
        assertFalse(searchDns("(memberOf=" + group + ")").contains(iis), "(memberOf=" + group + ") after IIS01 was made again");
    }
}
