package org.pkilab.directory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.ResultCode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.AccessControlEntry;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.RelativeIds;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code nTSecurityDescriptor} as the field's tools read it: in AD's binary self-relative form, parsed by
 * impacket's {@code SR_SECURITY_DESCRIPTOR} (Debian's python3-impacket) from an ldap3 search carrying the SD
 * flags control marked critical, as dacledit and BloodHound's collectors send it. What they parse must be what the
 * lab's Security tab shows; new objects carry the owner AD gives them.
 */
class SecurityDescriptorWireTest {

    private static final String PASSWORD = "Lab-Passw0rd!";
    private static final String ENROLL = "0e10c968-78fb-11d2-90d4-00c04f79dc55";
    private static DomainController dc;
    private static DirectoryAdmin admin;

    @BeforeAll
    static void start() {
        dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
        admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD);
    }

    @AfterAll
    static void stop() {
        if (admin != null) {
            admin.close();
        }
        if (dc != null) {
            dc.close();
        }
    }

    private static Result script(String... arguments) throws Exception {
        Path script = Files.createTempFile("securitydescriptors", ".py");
        try (InputStream in = SecurityDescriptorWireTest.class.getResourceAsStream("securitydescriptors.py")) {
            Files.write(script, in.readAllBytes());
        }
        List<String> command = new ArrayList<>(List.of("/usr/bin/python3", script.toString()));
        command.addAll(List.of(arguments));
        try {
            return ExternalTool.run(null, Map.of(), null, command.toArray(String[]::new));
        } finally {
            Files.delete(script);
        }
    }

    @Test
    void impacketBuildsTheSameBytesAsTheLabForOneDescriptor() throws Exception {
        SecurityIdentifier domain = SecurityIdentifier.parse("S-1-5-21-1004336348-1177238915-682003330");
        Result r = script("build", domain.toString());
        assertEquals(0, r.exit(), "impacket building a descriptor (python3-impacket installed?): " + r);
        byte[] impacket = HexFormat.of().parseHex(r.out().trim());
        String sddl = "O:DAG:DAD:PAI(A;;LCRPLORC;;;AU)(OA;;CR;" + ENROLL + ";;DC)"
                + "(OD;CIIO;WP;bf967a86-0de6-11d0-a285-00aa003049e2;bf967aba-0de6-11d0-a285-00aa003049e2;BA)";
        assertEquals(HexFormat.of().formatHex(impacket), HexFormat.of().formatHex(SecurityDescriptor.parse(sddl, domain).toBinary()),
                "the lab's binary form of " + sddl + " should be the bytes impacket's SR_SECURITY_DESCRIPTOR writes");
        assertEquals(sddl, SecurityDescriptor.fromBinary(impacket).toSddl(domain), "impacket's bytes read back as SDDL");
    }

    @Test
    void everyTemplatesAcesAsImpacketParsesThemAreTheSecurityTabs() throws Exception {
        JsonNode read = readWithImpacket();
        List<CertificateTemplate> templates = admin.templates().all();
        assertEquals(templates.size(), read.path("templates").size(), "templates ldap3 read with the SD flags control: " + read);
        for (CertificateTemplate template : templates) {
            JsonNode parsed = read.path("templates").path(template.name());
            SecurityDescriptor tab = admin.security().descriptor(template.name());
            assertEquals(tab.owner().toString(), parsed.path("owner").asText(), "owner of template '" + template.name() + "'");
            assertEquals(tab.group().toString(), parsed.path("group").asText(), "group of template '" + template.name() + "'");
            assertEquals(0x8004, parsed.path("control").asInt() & 0x8004,
                    "template '" + template.name() + "': SE_SELF_RELATIVE and SE_DACL_PRESENT in control " + parsed.path("control"));
            List<String> impacket = new ArrayList<>();
            parsed.path("aces").forEach(ace -> impacket.add((ace.path("allow").asBoolean() ? "Allow " : "Deny ")
                    + ace.path("sid").asText() + " 0x" + Integer.toHexString(ace.path("mask").asInt())
                    + (ace.path("objectType").isNull() ? "" : " " + ace.path("objectType").asText())));
            List<String> shown = new ArrayList<>();
            for (AccessControlEntry e : tab.entries()) {
                shown.add((e.allow() ? "Allow " : "Deny ") + e.trustee() + " 0x" + Integer.toHexString(e.mask())
                        + (e.objectType() == null ? "" : " " + e.objectType()));
            }
            assertEquals(shown, impacket, "ACEs of template '" + template.name() + "' as impacket parses them vs the Security tab");
        }
    }

    @Test
    void sdFlagsOwnerOnlyReturnsTheOwnerAlone() throws Exception {
        JsonNode ownerOnly = readWithImpacket().path("ownerOnly");
        JsonNode sd = ownerOnly.path("sd");
        String template = ownerOnly.path("dn").asText();
        assertEquals(admin.security().descriptor(template).owner().toString(), sd.path("owner").asText(), "owner of " + template);
        assertEquals(List.of(20, 0, 0, 0), List.of(sd.path("offsets").get(0).asInt(), sd.path("offsets").get(1).asInt(),
                sd.path("offsets").get(2).asInt(), sd.path("offsets").get(3).asInt()),
                template + " read with flags OWNER: only the owner (offsets owner, group, SACL, DACL): " + sd);
        assertEquals(0x8000, sd.path("control").asInt(), template + " read with flags OWNER: SE_SELF_RELATIVE alone");
        try (LDAPConnection anonymous = new LDAPConnection("127.0.0.1", dc.ldapPort())) {
            assertTrue(List.of(anonymous.getRootDSE().getSupportedControlOIDs()).contains("1.2.840.113556.1.4.801"),
                    "the root DSE's supportedControl names the SD flags control the DC honours");
        }
    }

    private static JsonNode readWithImpacket() throws Exception {
        Result r = script("read", "127.0.0.1", String.valueOf(dc.ldapPort()), dc.administratorDn(), PASSWORD,
                dc.names().certificateTemplates());
        assertEquals(0, r.exit(), "ldap3 + impacket reading DC01's templates with the SD flags control: " + r);
        return new ObjectMapper().readTree(r.out());
    }

    @Test
    void objectsAdministratorCreatesAreOwnedByItsDefaultAdministratorsGroup() throws Exception {
        SecurityIdentifier domain = dc.domainSid();
        String group = admin.usersAndComputers().createGroup("Owner Check Group");
        String container = "CN=Owner Check," + dc.names().publicKeyServices();
        try (LDAPConnection ldap = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            ldap.add(container, new Attribute("objectClass", "top", "container"), new Attribute("cn", "Owner Check"));
            SecurityDescriptor inDomain = SecurityDescriptor.fromBinary(ldap.getEntry(group, "nTSecurityDescriptor")
                    .getAttributeValueBytes("nTSecurityDescriptor"));
            assertEquals(domain.withRid(RelativeIds.DOMAIN_ADMINS), inDomain.owner(),
                    "a group Administrator creates in the domain is owned by Domain Admins (MS-ADTS 6.1.3.7), not by Administrator");
            assertEquals(domain.withRid(RelativeIds.DOMAIN_ADMINS), inDomain.group(), "and Domain Admins is its group");
            SecurityDescriptor inConfiguration = SecurityDescriptor.fromBinary(ldap.getEntry(container, "nTSecurityDescriptor")
                    .getAttributeValueBytes("nTSecurityDescriptor"));
            assertEquals(domain.withRid(RelativeIds.ENTERPRISE_ADMINS), inConfiguration.owner(),
                    "an object Administrator creates under Configuration is owned by Enterprise Admins (MS-ADTS 6.1.3.8)");
            ldap.delete(container);
        }
    }

    @Test
    void sddlWrittenIsKeptInBinaryAndGarbageIsRefused() throws Exception {
        String container = "CN=Text Descriptor," + dc.names().publicKeyServices();
        try (LDAPConnection ldap = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            ldap.add(container, new Attribute("objectClass", "top", "container"), new Attribute("cn", "Text Descriptor"),
                    new Attribute("nTSecurityDescriptor", "O:DAG:DAD:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;DA)(A;;LCRPLORC;;;AU)"));
            byte[] stored = ldap.getEntry(container, "nTSecurityDescriptor").getAttributeValueBytes("nTSecurityDescriptor");
            assertTrue(SecurityDescriptor.isBinary(stored), "SDDL written to " + container + " should be returned in binary");
            assertArrayEquals(SecurityDescriptor.parse("O:DAG:DAD:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;DA)(A;;LCRPLORC;;;AU)", dc.domainSid()).toBinary(), stored);
            LDAPException refused = assertThrows(LDAPException.class, () -> ldap.modify(container,
                    new com.unboundid.ldap.sdk.Modification(com.unboundid.ldap.sdk.ModificationType.REPLACE, "nTSecurityDescriptor",
                            new byte[] {1, 2, 3})));
            assertEquals(ResultCode.INVALID_ATTRIBUTE_SYNTAX, refused.getResultCode(), refused.getMessage());
            assertTrue(refused.getMessage().contains("not a security descriptor"), refused.getMessage());
            ldap.delete(container);
        }
    }

    @Test
    void aStoreFromBeforeTheBinaryFormIsKeptInBinaryFromItsNextStart(@org.junit.jupiter.api.io.TempDir Path data) throws Exception {
        DomainControllerConfig config = DomainControllerConfig.builder().dataDirectory(data).administratorPassword(PASSWORD).build();
        SecurityIdentifier domain;
        try (DomainController first = DomainController.start(config)) {
            domain = first.domainSid();
        }
        DomainController.start(config).close(); // entries.ldif now holds the forest, the journal nothing
        String sddl = "O:EAG:EAD:PAI(A;;LCRPLORC;;;AU)(A;;CCDCLCSWRPWPDTLOSDRCWDWO;;;DA)(OA;;RPWPCR;" + ENROLL + ";;DC)";
        Path entries = data.resolve("store").resolve(DirectoryStore.ENTRIES);
        String text = Files.readString(entries);
        int at = text.toLowerCase(java.util.Locale.ROOT).indexOf("dn: cn=webserver,");
        assertTrue(at >= 0, "WebServer in " + entries + ":\n" + text.substring(0, Math.min(3000, text.length())));
        java.util.regex.Matcher sd = java.util.regex.Pattern.compile("(?mi)^nTSecurityDescriptor:: .*\\n(?: .*\\n)*").matcher(text);
        assertTrue(sd.find(at), "WebServer's descriptor in " + entries);
        // what a lab from before the binary form kept: the SDDL text, in the store format of then (no checksum line)
        String old = (text.substring(0, sd.start()) + "nTSecurityDescriptor: " + sddl + "\n" + text.substring(sd.end()))
                .replaceFirst("# pkilab directory 2,", "# pkilab directory,").replaceFirst("# end of directory: .*\\n\\z", "");
        Files.writeString(entries, old);
        try (DomainController again = DomainController.start(config)) {
            byte[] stored = again.systemSession().lookup(new org.apache.directory.api.ldap.model.name.Dn(
                    again.systemSession().getDirectoryService().getSchemaManager(), config.names().template("WebServer")),
                    "nTSecurityDescriptor").get("nTSecurityDescriptor").getBytes();
            assertTrue(SecurityDescriptor.isBinary(stored), "WebServer's SDDL text should be kept in binary after the start: "
                    + new String(stored, java.nio.charset.StandardCharsets.UTF_8));
            assertEquals(SecurityDescriptor.parse(sddl, domain), SecurityDescriptor.fromBinary(stored), "the same descriptor, in binary");
        }
    }

    @Test
    void aDaclWrittenAloneUnderTheSdFlagsControlIsEnforcedAtOnceAndKeepsTheOwner() throws Exception {
        String computer = admin.usersAndComputers().createComputer("SDW01", "sdw01.contoso.com", PASSWORD);
        String container = "CN=Dacl Write," + dc.names().publicKeyServices();
        com.unboundid.ldap.sdk.Control daclOnly = new com.unboundid.ldap.sdk.Control("1.2.840.113556.1.4.801", true,
                new com.unboundid.asn1.ASN1OctetString(HexFormat.of().parseHex("3003020104")));
        try (LDAPConnection administrator = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD);
             LDAPConnection machine = new LDAPConnection("127.0.0.1", dc.ldapPort(), computer, PASSWORD)) {
            administrator.add(container, new Attribute("objectClass", "top", "container"), new Attribute("cn", "Dacl Write"));
            com.unboundid.ldap.sdk.Modification describe = new com.unboundid.ldap.sdk.Modification(
                    com.unboundid.ldap.sdk.ModificationType.REPLACE, "description", "written by SDW01$");
            LDAPException before = assertThrows(LDAPException.class, () -> machine.modify(container, describe));
            assertEquals(ResultCode.INSUFFICIENT_ACCESS_RIGHTS, before.getResultCode(), before.getMessage());

            SecurityIdentifier sdw01 = admin.usersAndComputers().sidOf("SDW01$");
            SecurityDescriptor read = SecurityDescriptor.fromBinary(administrator.getEntry(container, new String[] {"nTSecurityDescriptor"})
                    .getAttributeValueBytes("nTSecurityDescriptor"));
            List<AccessControlEntry> aces = new ArrayList<>(read.entries());
            aces.add(AccessControlEntry.of(true, AccessControlEntry.READ_MASK | AccessControlEntry.WRITE_MASK, sdw01));
            // the DACL alone, no owner and no group, as dacledit writes it
            byte[] daclAlone = new SecurityDescriptor(null, null, "", aces).toBinary();
            com.unboundid.ldap.sdk.ModifyRequest write = new com.unboundid.ldap.sdk.ModifyRequest(container,
                    new com.unboundid.ldap.sdk.Modification(com.unboundid.ldap.sdk.ModificationType.REPLACE, "nTSecurityDescriptor",
                            daclAlone));
            write.addControl(daclOnly);
            administrator.modify(write);

            machine.modify(container, describe);
            SecurityDescriptor after = SecurityDescriptor.fromBinary(administrator.getEntry(container, "nTSecurityDescriptor")
                    .getAttributeValueBytes("nTSecurityDescriptor"));
            assertEquals(read.owner(), after.owner(), "a DACL written alone under the SD flags control keeps the owner of " + container);
            assertEquals(read.group(), after.group(), "and its group");
            administrator.delete(container);
        }
    }

    private static final com.unboundid.ldap.sdk.Control DACL_ONLY = new com.unboundid.ldap.sdk.Control("1.2.840.113556.1.4.801", true,
            new com.unboundid.asn1.ASN1OctetString(HexFormat.of().parseHex("3003020104")));
    private static final com.unboundid.ldap.sdk.Control OWNER_ONLY = new com.unboundid.ldap.sdk.Control("1.2.840.113556.1.4.801", true,
            new com.unboundid.asn1.ASN1OctetString(HexFormat.of().parseHex("3003020101")));

    private static SecurityDescriptor descriptorOf(LDAPConnection ldap, String dn) throws LDAPException {
        return SecurityDescriptor.fromBinary(ldap.getEntry(dn, "nTSecurityDescriptor").getAttributeValueBytes("nTSecurityDescriptor"));
    }

    /** A write of the descriptor as dacledit (flags 0x4) or owneredit (flags 0x1) sends it. */
    private static com.unboundid.ldap.sdk.ModifyRequest writeDescriptor(String dn, byte[] value, com.unboundid.ldap.sdk.Control flags) {
        com.unboundid.ldap.sdk.ModifyRequest write = new com.unboundid.ldap.sdk.ModifyRequest(dn, new com.unboundid.ldap.sdk.Modification(
                com.unboundid.ldap.sdk.ModificationType.REPLACE, "nTSecurityDescriptor", value));
        write.addControl(flags);
        return write;
    }

    private static com.unboundid.ldap.sdk.Modification description(String text) {
        return new com.unboundid.ldap.sdk.Modification(com.unboundid.ldap.sdk.ModificationType.REPLACE, "description", text);
    }

    @Test
    void inheritOnlyWriteForDomainUsersOnATemplateLetsNoDomainUserWriteTheTemplate() throws Exception {
        String template = dc.names().template(admin.templates().duplicate("Web Server", "Inherit Only Web Server",
                org.pkilab.directory.model.TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE).name());
        String user = admin.usersAndComputers().createUser("iouser", PASSWORD);
        SecurityIdentifier domainUsers = dc.domainSid().withRid(RelativeIds.DOMAIN_USERS);
        try (LDAPConnection administrator = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD);
             LDAPConnection domainUser = new LDAPConnection("127.0.0.1", dc.ldapPort(), user, PASSWORD)) {
            SecurityDescriptor read = descriptorOf(administrator, template);
            List<AccessControlEntry> forChildren = new ArrayList<>(read.entries());
            // what dacledit -inheritance and samba-tool dsacl write: Write and Enroll for Domain Users' children only
            forChildren.add(new AccessControlEntry(true, AccessControlEntry.WRITE_MASK, null, "CIIO", domainUsers));
            forChildren.add(new AccessControlEntry(true, AccessControlEntry.CONTROL_ACCESS, ENROLL, "CIIO", domainUsers));
            administrator.modify(writeDescriptor(template, new SecurityDescriptor(null, null, "", forChildren).toBinary(), DACL_ONLY));

            LDAPException refused = assertThrows(LDAPException.class, () -> domainUser.modify(template, description("by iouser")),
                    "a CIIO Write entry for Domain Users let iouser write " + template);
            assertEquals(ResultCode.INSUFFICIENT_ACCESS_RIGHTS, refused.getResultCode(), refused.getMessage());
            assertTrue(refused.getMessage().contains("INSUFF_ACCESS_RIGHTS") && refused.getMessage().contains("Write all properties (WP)"),
                    "the refusal names the right " + template + " needs: " + refused.getMessage());
            assertTrue(admin.security().descriptor("Inherit Only Web Server").rightsOf(domainUsers, true).isEmpty(),
                    "the Security tab ticks nothing for Domain Users on 'Inherit Only Web Server'");

            List<AccessControlEntry> onTheObject = new ArrayList<>(read.entries());
            onTheObject.add(new AccessControlEntry(true, AccessControlEntry.WRITE_MASK, null, "CI", domainUsers));
            administrator.modify(writeDescriptor(template, new SecurityDescriptor(null, null, "", onTheObject).toBinary(), DACL_ONLY));
            domainUser.modify(template, description("by iouser"));
        }
    }

    /** impacket's dacledit ({@code grant}) or owneredit ({@code own}) run as {@code bindDn}; the LDAP result it got. */
    private static JsonNode impacketWrites(String mode, String bindDn, String dn, String... arguments) throws Exception {
        List<String> all = new ArrayList<>(List.of(mode, "127.0.0.1", String.valueOf(dc.ldapPort()), bindDn, PASSWORD, dn));
        all.addAll(List.of(arguments));
        Result r = script(all.toArray(String[]::new));
        assertEquals(0, r.exit(), "ldap3 + impacket " + mode + " on " + dn + " as " + bindDn + ": " + r);
        return new ObjectMapper().readTree(r.out());
    }

    @Test
    void writeDaclAloneLetsDacleditRewriteTheDaclAndWriteOwnerAloneLetsOwnereditTakeOwnership() throws Exception {
        String daclWriter = admin.usersAndComputers().createComputer("SDW02", "sdw02.contoso.com", PASSWORD);
        String ownerWriter = admin.usersAndComputers().createComputer("SDW03", "sdw03.contoso.com", PASSWORD);
        SecurityIdentifier sdw02 = admin.usersAndComputers().sidOf("SDW02$");
        SecurityIdentifier sdw03 = admin.usersAndComputers().sidOf("SDW03$");
        String container = "CN=Write Dacl Only," + dc.names().publicKeyServices();
        try (LDAPConnection administrator = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD);
             LDAPConnection withWriteDac = new LDAPConnection("127.0.0.1", dc.ldapPort(), daclWriter, PASSWORD)) {
            administrator.add(container, new Attribute("objectClass", "top", "container"), new Attribute("cn", "Write Dacl Only"));
            List<AccessControlEntry> aces = new ArrayList<>(descriptorOf(administrator, container).entries());
            aces.add(AccessControlEntry.of(true, AccessControlEntry.WRITE_DAC, sdw02));
            aces.add(AccessControlEntry.of(true, AccessControlEntry.WRITE_OWNER, sdw03));
            administrator.modify(writeDescriptor(container, new SecurityDescriptor(null, null, "", aces).toBinary(), DACL_ONLY));
            SecurityIdentifier ownerBefore = descriptorOf(administrator, container).owner();

            JsonNode noWriteOwner = impacketWrites("own", daclWriter, container, sdw02.toString());
            assertEquals(50, noWriteOwner.path("result").asInt(), "SDW02$ without Write Owner taking ownership of " + container
                    + ": " + noWriteOwner);
            assertTrue(noWriteOwner.path("message").asText().contains("INSUFF_ACCESS_RIGHTS")
                    && noWriteOwner.path("message").asText().contains("Modify owner (WO)"),
                    "the refusal names the right SDW02$ lacks on " + container + ": " + noWriteOwner);
            assertEquals(ownerBefore, descriptorOf(administrator, container).owner(), "the refused write left the owner of " + container);
            LDAPException noWriteProperty = assertThrows(LDAPException.class, () -> withWriteDac.modify(container, description("SDW02$")));
            assertEquals(ResultCode.INSUFFICIENT_ACCESS_RIGHTS, noWriteProperty.getResultCode(), noWriteProperty.getMessage());
            assertTrue(noWriteProperty.getMessage().contains("Write all properties (WP)"), noWriteProperty.getMessage());

            // BloodHound's WriteDacl edge: dacledit -action write -rights FullControl, for itself
            JsonNode fullControl = impacketWrites("grant", daclWriter, container, sdw02.toString(),
                    String.valueOf(AccessControlEntry.FULL_CONTROL_MASK));
            assertEquals(0, fullControl.path("result").asInt(), "SDW02$ holding Write DAC alone writing the DACL of " + container
                    + " as dacledit does: " + fullControl);
            assertEquals(ownerBefore, descriptorOf(administrator, container).owner(), "a DACL written alone keeps the owner of " + container);
            withWriteDac.modify(container, description("SDW02$ holds Full Control now"));

            // BloodHound's WriteOwner edge: owneredit -action write, for itself
            JsonNode owned = impacketWrites("own", ownerWriter, container, sdw03.toString());
            assertEquals(0, owned.path("result").asInt(), "SDW03$ holding Write Owner alone taking ownership of " + container
                    + " as owneredit does: " + owned);
            assertEquals(sdw03, descriptorOf(administrator, container).owner(), "the owner SDW03$ wrote on " + container);
            JsonNode noWriteDac = impacketWrites("grant", ownerWriter, container, sdw03.toString(),
                    String.valueOf(AccessControlEntry.FULL_CONTROL_MASK));
            assertEquals(50, noWriteDac.path("result").asInt(), "SDW03$ without Write DAC writing the DACL of " + container + ": " + noWriteDac);
            assertTrue(noWriteDac.path("message").asText().contains("INSUFF_ACCESS_RIGHTS")
                    && noWriteDac.path("message").asText().contains("Modify permissions (WD)"),
                    "the refusal names the right SDW03$ lacks on " + container + ": " + noWriteDac);
            administrator.delete(container);
        }
    }

    @Test
    void aMalformedBinaryDescriptorIsRefusedWithInvalidAttributeSyntaxAndChangesNothing() throws Exception {
        String container = "CN=Malformed Descriptor," + dc.names().publicKeyServices();
        try (LDAPConnection ldap = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            ldap.add(container, new Attribute("objectClass", "top", "container"), new Attribute("cn", "Malformed Descriptor"));
            byte[] before = ldap.getEntry(container, "nTSecurityDescriptor").getAttributeValueBytes("nTSecurityDescriptor");
            byte[] overflowing = SecurityDescriptor.parse("O:DAG:DAD:(A;;LCRPLORC;;;AU)", dc.domainSid()).toBinary();
            java.nio.ByteBuffer.wrap(overflowing).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(4, Integer.MAX_VALUE - 3);
            byte[] shortObjectAce = SecurityDescriptor.parse("D:(OA;;CR;" + ENROLL + ";bf967aba-0de6-11d0-a285-00aa003049e2;DU)",
                    dc.domainSid()).toBinary();
            shortObjectAce = java.util.Arrays.copyOf(shortObjectAce, 28 + 20);
            java.nio.ByteBuffer.wrap(shortObjectAce).order(java.nio.ByteOrder.LITTLE_ENDIAN).putShort(22, (short) 28).putShort(30, (short) 20);
            for (byte[] value : List.of(overflowing, shortObjectAce)) {
                for (com.unboundid.ldap.sdk.Control flags : List.of(DACL_ONLY, OWNER_ONLY)) {
                    LDAPException refused = assertThrows(LDAPException.class, () -> ldap.modify(writeDescriptor(container, value, flags)),
                            HexFormat.of().formatHex(value));
                    assertEquals(ResultCode.INVALID_ATTRIBUTE_SYNTAX, refused.getResultCode(),
                            "writing " + HexFormat.of().formatHex(value) + " to " + container + ": " + refused.getMessage());
                    assertTrue(refused.getMessage().contains("offset"), "the refusal names the offset: " + refused.getMessage());
                }
            }
            assertArrayEquals(before, ldap.getEntry(container, "nTSecurityDescriptor").getAttributeValueBytes("nTSecurityDescriptor"),
                    "the refused writes left the descriptor of " + container + " as it was");
            ldap.delete(container);
        }
    }
}
