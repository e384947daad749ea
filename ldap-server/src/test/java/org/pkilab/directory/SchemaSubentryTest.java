package org.pkilab.directory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.api.ldap.model.schema.ObjectClass;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.LogonRequest;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The schema as AD tools load it: Debian's {@code python3-ldap3} with {@code get_info=ALL} follows the root DSE's
 * {@code subschemaSubentry} to {@code CN=Aggregate,CN=Schema,CN=Configuration,DC=contoso,DC=com} and decodes values
 * by it; {@code ldapsearch} reads the same entry. What it describes is what DC01's schema holds, in AD's syntaxes.
 */
class SchemaSubentryTest {

    private static final String PASSWORD = "Lab-Passw0rd!";
    private static final String AGGREGATE = "CN=Aggregate,CN=Schema,CN=Configuration,DC=contoso,DC=com";
    private static DomainController dc;
    private static JsonNode schema;

    @BeforeAll
    static void start() throws Exception {
        dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
        Path script = Files.createTempFile("schema", ".py");
        try (InputStream in = SchemaSubentryTest.class.getResourceAsStream("schema.py")) {
            Files.write(script, in.readAllBytes());
        }
        Result r = ExternalTool.run(null, Map.of(), null, "/usr/bin/python3", script.toString(), "127.0.0.1",
                String.valueOf(dc.ldapPort()), dc.administratorDn(), PASSWORD, dc.administratorDn());
        Files.delete(script);
        assertEquals(0, r.exit(), "ldap3 get_info=ALL against DC01 (python3-ldap3 installed?): " + r);
        schema = new ObjectMapper().readTree(r.out());
    }

    @AfterAll
    static void stop() {
        if (dc != null) {
            dc.close();
        }
    }

    @Test
    void ldap3LoadsTheSchemaFromAdsAggregate() {
        assertEquals(AGGREGATE, schema.path("schema_entry").get(0).asText(), "subschemaSubentry in DC01's root DSE");
        assertTrue(schema.path("loaded").asBoolean(), "ldap3 server.schema after get_info=ALL: " + schema.path("schema_entry"));
        assertTrue(schema.path("modify_time_stamp").asText().matches(".*\\d{14}\\.0Z.*"), "modifyTimeStamp: " + schema.path("modify_time_stamp"));
    }

    @Test
    void attributesCarryAdsSyntaxes() {
        assertAttribute("objectSid", "1.2.840.113556.1.4.146", "1.3.6.1.4.1.1466.115.121.1.40", true);
        assertAttribute("msPKI-Certificate-Name-Flag", "1.2.840.113556.1.4.1432", "1.3.6.1.4.1.1466.115.121.1.27", true);
        assertAttribute("nTSecurityDescriptor", "1.2.840.113556.1.2.281", "1.2.840.113556.1.4.907", true);
        assertAttribute("member", "2.5.4.31", "1.3.6.1.4.1.1466.115.121.1.12", false);
        // the lab keeps certificates under RFC 4523's Certificate syntax; AD publishes them as octet strings
        assertAttribute("userCertificate", "2.5.4.36", "1.3.6.1.4.1.1466.115.121.1.40", false);
        assertTrue(schema.path("attribute_types").path("modifyTimestamp").path("no_user_modification").asBoolean(),
                "modifyTimestamp is system-only: " + schema.path("attribute_types").path("modifyTimestamp"));
    }

    @Test
    void everyAttributeAndClassOfTheLabsSchemaIsPublishedAndNoneOfApacheDsS() {
        SchemaManager enforced = dc.systemSession().getDirectoryService().getSchemaManager();
        List<String> missing = new ArrayList<>();
        for (AttributeType type : enforced.getAttributeTypeRegistry()) {
            if (AdSchemaLoader.SCHEMA_NAME.equalsIgnoreCase(type.getSchemaName()) && !type.getOid().startsWith(LogonRequest.LAB_ARC)
                    && !schema.path("attribute_types").path(type.getName()).path("oid").asText().equals(type.getOid())) {
                missing.add(type.getName());
            }
        }
        for (ObjectClass objectClass : enforced.getObjectClassRegistry()) {
            if (AdSchemaLoader.SCHEMA_NAME.equalsIgnoreCase(objectClass.getSchemaName())
                    && !schema.path("object_classes").path(objectClass.getName()).path("oid").asText().equals(objectClass.getOid())) {
                missing.add(objectClass.getName());
            }
        }
        assertEquals(List.of(), missing, "DC01 enforces these AD attributes and classes but does not publish them");
        for (String apacheDs : List.of("entryUUID", "entryCSN", "ads-directoryServiceId", "m-oid")) {
            assertTrue(schema.path("attribute_types").path(apacheDs).isMissingNode(), apacheDs + " is ApacheDS's, no AD attribute");
        }
    }

    @Test
    void classesNameTheirSuperiorKindAndAttributes() {
        JsonNode user = schema.path("object_classes").path("user");
        assertEquals("organizationalPerson", user.path("superior").get(0).asText(), "user's superior: " + user);
        assertEquals("STRUCTURAL", user.path("kind").asText(), "user's kind: " + user);
        assertTrue(user.path("may").toString().contains("\"userAccountControl\""), "user may hold userAccountControl: " + user);
        JsonNode template = schema.path("object_classes").path("pKICertificateTemplate");
        assertEquals("1.2.840.113556.1.5.177", template.path("oid").asText(), "pKICertificateTemplate: " + template);
        assertTrue(template.path("may").toString().contains("\"msPKI-Certificate-Name-Flag\""),
                "a template may hold msPKI-Certificate-Name-Flag: " + template);
    }

    @Test
    void ldap3DecodesValuesByThePublishedSyntaxes() throws Exception {
        String sid;
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            sid = admin.domainSid() + "-500";
        }
        assertEquals(sid, schema.path("account").path("objectSid").asText(), "Administrator's objectSid as ldap3 decodes it");
        assertEquals("int", schema.path("account").path("userAccountControl_type").asText(),
                "userAccountControl decoded as an Integer: " + schema.path("account"));
    }

    @Test
    void ldapsearchReadsTheAggregateInAdsForm() throws Exception {
        Result r = ldapsearch(AGGREGATE, "base", "(objectClass=*)", "attributeTypes", "objectClasses", "cn");
        assertEquals(0, r.exit(), "ldapsearch -s base on the Aggregate: " + r);
        assertTrue(r.out().contains("attributeTypes: ( 1.2.840.113556.1.4.1432 NAME 'msPKI-Certificate-Name-Flag' "
                + "SYNTAX '1.3.6.1.4.1.1466.115.121.1.27' SINGLE-VALUE )"), "AD's form, syntax quoted: " + r.out());
        assertTrue(r.out().contains("cn: Aggregate"), r.out());
        Result other = ldapsearch(AGGREGATE, "base", "(objectClass=user)", "cn");
        assertEquals(0, other.exit(), other.toString());
        assertFalse(other.out().contains("dn:"), "the Aggregate is no user: " + other.out());
        Result rootDse = ExternalTool.run(null, Map.of(), null, "ldapsearch", "-LLL", "-x", "-H", dc.ldapUrl(), "-b", "", "-s", "base",
                "-o", "ldif-wrap=no", "subschemaSubentry");
        assertTrue(rootDse.out().contains("subschemaSubentry: " + AGGREGATE), "not ApacheDS's cn=schema: " + rootDse.out());
    }

    private static void assertAttribute(String name, String oid, String syntax, boolean singleValued) {
        JsonNode type = schema.path("attribute_types").path(name);
        assertEquals(oid, type.path("oid").asText(), name + " as ldap3 loads it: " + type);
        assertEquals(syntax, type.path("syntax").asText(), name + "'s syntax: " + type);
        assertEquals(singleValued, type.path("single_value").asBoolean(), name + " single-valued: " + type);
    }

    private static Result ldapsearch(String base, String scope, String filter, String... attributes) throws Exception {
        List<String> command = new ArrayList<>(List.of("ldapsearch", "-LLL", "-x", "-H", dc.ldapUrl(), "-D", dc.administratorDn(),
                "-w", PASSWORD, "-o", "ldif-wrap=no", "-b", base, "-s", scope, filter));
        command.addAll(List.of(attributes));
        return ExternalTool.run(null, Map.of(), null, command.toArray(String[]::new));
    }
}
