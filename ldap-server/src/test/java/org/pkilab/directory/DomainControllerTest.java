package org.pkilab.directory;

import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.SearchScope;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import com.unboundid.ldap.sdk.ResultCode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.directory.client.DirectoryException;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.GroupPolicy;
import org.pkilab.directory.model.KeyAlgorithm;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.directory.model.TemplateFlags;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The guide's directory work, done through the administration API against a running DC. */
class DomainControllerTest {

    private static final String PASSWORD = "Lab-Passw0rd!";
    private static final String WEB_TEMPLATE = "ConfigMgr Web Server Certificate";
    private static DomainController dc;
    private static DirectorySnapshot fresh;
    private DirectoryAdmin admin;

    @BeforeAll
    static void startDomainController() {
        dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
        fresh = dc.snapshot();
    }

    @AfterAll
    static void stopDomainController() {
        dc.close();
    }

    @BeforeEach
    void connectAsAdministrator() {
        admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD);
    }

    @AfterEach
    void resetDirectory() {
        admin.close();
        dc.restore(fresh);
    }

    private DomainLogon.Session logon(String computer) {
        return DomainLogon.logon("127.0.0.1", dc.ldapPort(), dc.names().computer(computer), PASSWORD);
    }

    @Test
    void guideGroupsAreCreatedNestedAndReadBack() {
        admin.usersAndComputers().createGroup("ConfigMgr IIS Servers");
        admin.usersAndComputers().createGroup("ConfigMgr Site Servers");
        admin.usersAndComputers().createGroup("Site System Servers");
        admin.usersAndComputers().addMember("ConfigMgr IIS Servers", "Site System Servers");
        admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", PASSWORD);
        admin.usersAndComputers().addMember("Site System Servers", "IIS01$");

        assertEquals(List.of(dc.names().user("Site System Servers")), admin.usersAndComputers().members("ConfigMgr IIS Servers"));
        LogonToken token = logon("IIS01").token();
        assertEquals("CONTOSO\\IIS01$", token.account());
        assertTrue(token.memberOf("Site System Servers"), "direct group missing from " + token.groupNames());
        assertTrue(token.memberOf("ConfigMgr IIS Servers"), "nested group missing from " + token.groupNames());
        assertTrue(token.memberOf("Domain Computers"), "primary group missing from " + token.groupNames());
        assertTrue(token.sids().contains(SecurityIdentifier.AUTHENTICATED_USERS));
        assertFalse(token.memberOf("ConfigMgr Site Servers"), "IIS01 is not in ConfigMgr Site Servers: " + token.groupNames());
    }

    @Test
    void everyLogonSeesTheGroupsOfItsMomentThoughTheDcKeepsMemberships() {
        admin.usersAndComputers().createGroup("Lab Outer");
        admin.usersAndComputers().createGroup("Lab Inner");
        admin.usersAndComputers().createComputer("PC70", "pc70.contoso.com", PASSWORD);
        assertFalse(logon("PC70").token().memberOf("Lab Inner"), "the DC now keeps PC70's groups");
        admin.usersAndComputers().addMember("Lab Inner", "PC70$");
        assertTrue(logon("PC70").token().memberOf("Lab Inner"), "added to a group: the next logon has it");
        admin.usersAndComputers().addMember("Lab Outer", "Lab Inner");
        assertTrue(logon("PC70").token().memberOf("Lab Outer"), "its group nested in another: the next logon has both");
        admin.usersAndComputers().removeMember("Lab Inner", "PC70$");
        LogonToken after = logon("PC70").token();
        assertFalse(after.memberOf("Lab Inner") || after.memberOf("Lab Outer"), "removed: the next logon has neither: "
                + after.groupNames());
    }

    @Test
    void accountsGetUniqueSidsFromTheDomainNotFromTheClient() {
        admin.usersAndComputers().createGroup("G1");
        admin.usersAndComputers().createComputer("PC1", "pc1.contoso.com", PASSWORD);
        SecurityIdentifier g1 = admin.usersAndComputers().sidOf("G1");
        SecurityIdentifier pc1 = admin.usersAndComputers().sidOf("PC1$");
        assertTrue(g1.isInDomain(dc.domainSid()) && pc1.isInDomain(dc.domainSid()));
        assertNotEquals(g1, pc1);
        assertTrue(g1.rid() >= 1103, "RID " + g1.rid());
    }

    @Test
    void webServerDuplicatedAsWindows2003TemplateKeepsItsSettingsWithANewNameAndOid() {
        CertificateTemplate source = admin.templates().get("Web Server");
        CertificateTemplate copy = admin.templates().duplicate("Web Server", WEB_TEMPLATE, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);

        assertEquals("ConfigMgrWebServerCertificate", copy.name());
        assertEquals(WEB_TEMPLATE, copy.displayName());
        assertEquals(2, copy.schemaVersion());
        assertEquals(100, copy.revision());
        assertEquals(0x20241, copy.flags(), "IS_DEFAULT cleared, IS_MODIFIED set");
        assertEquals(TemplateFlags.PrivateKey.COMPATIBILITY_2003, copy.privateKeyFlags() & TemplateFlags.PrivateKey.COMPATIBILITY_MASK);
        assertTrue(copy.enrolleeSuppliesSubject(), "Web Server copy must keep 'Supply in the request'");
        assertEquals(List.of(CertificateTemplate.OID_SERVER_AUTHENTICATION), copy.extendedKeyUsages());
        assertEquals(List.of(CertificateTemplate.OID_SERVER_AUTHENTICATION), copy.applicationPolicies());
        assertNotEquals(source.oid(), copy.oid());
        assertTrue(copy.oid().startsWith(source.oid().substring(0, source.oid().length() - ".1.16".length())),
                "new OID " + copy.oid() + " is not under the forest's arc of " + source.oid());
        assertFalse(copy.usesCng());
    }

    @Test
    void windows2008DuplicateIsSchema3WithCngKeys() {
        CertificateTemplate copy = admin.templates().duplicate("Workstation", "Lab CNG Client", TemplateCompatibility.WINDOWS_2008_SERVER_ENTERPRISE);
        assertEquals(3, copy.schemaVersion());
        assertTrue(copy.usesCng());
        assertTrue(copy.cryptographicProviders().isEmpty());
        assertEquals(TemplateFlags.PrivateKey.COMPATIBILITY_2008, copy.privateKeyFlags() & TemplateFlags.PrivateKey.COMPATIBILITY_MASK);
    }

    @Test
    void aTemplateThatNamesNoAlgorithmMakesRsaKeys() {
        CertificateTemplate cng = admin.templates().duplicate("Workstation", "Lab CNG RSA", TemplateCompatibility.WINDOWS_2008_SERVER_ENTERPRISE);
        CertificateTemplate legacy = admin.templates().duplicate("Workstation", "Lab CSP RSA", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        assertEquals(KeyAlgorithm.RSA, cng.keyAlgorithm(), "a fresh 2008 duplicate keeps Windows' RSA: " + cng.raApplicationPolicies());
        assertEquals(KeyAlgorithm.RSA, legacy.keyAlgorithm());
        assertEquals(KeyAlgorithm.RSA, admin.templates().get("Workstation").keyAlgorithm(), "version 1 templates are RSA");
    }

    @Test
    void aWindows2008TemplateCanAskForEcdsaP256() {
        admin.templates().duplicate("Workstation", "Lab ECC Client", TemplateCompatibility.WINDOWS_2008_SERVER_ENTERPRISE);
        CertificateTemplate ecc = admin.templates().setKeyAlgorithm("Lab ECC Client", KeyAlgorithm.ECDSA_P256, 256);
        assertEquals(KeyAlgorithm.ECDSA_P256, ecc.keyAlgorithm());
        assertEquals(256, ecc.minimalKeySize());
        assertEquals("ECDSA_P256", ecc.cngKeySetting("msPKI-Asymmetric-Algorithm"));
        assertEquals("SHA256", ecc.cngKeySetting("msPKI-Hash-Algorithm"), "the other CNG settings stay: " + ecc.raApplicationPolicies());
        assertEquals(0x80, ecc.keyUsage()[0] & 0xFF, "an ECDSA key signs only: Key Usage is Digital signature");
        assertEquals(1, ecc.minorRevision(), "OK in the Properties dialog raises the minor revision");
    }

    @Test
    void aWindows2003TemplateCannotNameAnAlgorithm() {
        admin.templates().duplicate("Workstation", "Lab CSP Client", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        DirectoryException refused = assertThrows(DirectoryException.class,
                () -> admin.templates().setKeyAlgorithm("Lab CSP Client", KeyAlgorithm.ECDSA_P256, 256));
        assertTrue(refused.getMessage().contains("Lab CSP Client") && refused.getMessage().contains("Windows 2008 Server"),
                "the refusal names the template and what to duplicate it as: " + refused.getMessage());
        assertEquals(KeyAlgorithm.RSA, admin.templates().get("Lab CSP Client").keyAlgorithm(), "nothing was written");
    }

    @Test
    void anEcdsaP256TemplateTakesOnly256BitKeys() {
        admin.templates().duplicate("Workstation", "Lab ECC Size", TemplateCompatibility.WINDOWS_2008_SERVER_ENTERPRISE);
        assertThrows(DirectoryException.class, () -> admin.templates().setKeyAlgorithm("Lab ECC Size", KeyAlgorithm.ECDSA_P256, 2048));
        assertEquals(KeyAlgorithm.RSA, admin.templates().get("Lab ECC Size").keyAlgorithm(), "nothing was written");
    }

    @Test
    void guideSecurityStepsRemoveEnrollFromAdminsAndGrantItToTheGroup() {
        admin.usersAndComputers().createGroup("ConfigMgr IIS Servers");
        admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", PASSWORD);
        admin.usersAndComputers().addMember("ConfigMgr IIS Servers", "IIS01$");
        CertificateTemplate copy = admin.templates().duplicate("Web Server", WEB_TEMPLATE, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        admin.security().clearAllow(copy.name(), "Domain Admins", AccessRight.ENROLL);
        admin.security().clearAllow(copy.name(), "Enterprise Admins", AccessRight.ENROLL);
        admin.security().allow(copy.name(), "ConfigMgr IIS Servers", AccessRight.READ, AccessRight.ENROLL);

        SecurityDescriptor sd = admin.templates().get(WEB_TEMPLATE).securityDescriptor();
        assertEquals(Set.of(AccessRight.READ, AccessRight.WRITE), sd.rightsOf(admin.usersAndComputers().sidOf("Domain Admins"), true));
        assertEquals(Set.of(AccessRight.READ, AccessRight.WRITE), sd.rightsOf(admin.usersAndComputers().sidOf("Enterprise Admins"), true));
        assertEquals(Set.of(AccessRight.READ, AccessRight.ENROLL), sd.rightsOf(admin.usersAndComputers().sidOf("ConfigMgr IIS Servers"), true));
        assertTrue(sd.check(logon("IIS01").token().sids(), AccessRight.ENROLL).granted(), "IIS01 should hold Enroll");
        LogonToken administrator = DomainLogon.logon("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD).token();
        assertFalse(sd.check(administrator.sids(), AccessRight.ENROLL).granted(),
                "Administrator keeps Enroll through " + sd.check(administrator.sids(), AccessRight.ENROLL).decidedBy());
    }

    @Test
    void membershipChangeReachesAComputerOnlyWhenItLogsOnAgain() {
        admin.usersAndComputers().createGroup("ConfigMgr IIS Servers");
        admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", PASSWORD);
        LogonToken beforeRestart = logon("IIS01").token();
        admin.usersAndComputers().addMember("ConfigMgr IIS Servers", "IIS01$");

        assertFalse(beforeRestart.memberOf("ConfigMgr IIS Servers"), "a token is a copy taken at logon");
        assertTrue(logon("IIS01").token().memberOf("ConfigMgr IIS Servers"), "logging on again picks up the group");
        admin.usersAndComputers().removeMember("ConfigMgr IIS Servers", "IIS01$");
        assertFalse(logon("IIS01").token().memberOf("ConfigMgr IIS Servers"));
    }

    @Test
    void logonTokenIsSignedByTheDomainController() throws Exception {
        admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", PASSWORD);
        DomainLogon.Session session = logon("IIS01");
        LogonToken verified = LogonToken.decode(session.encoded(), dc.certificate().getPublicKey());
        assertEquals(session.token(), verified);

        String text = new String(java.util.Base64.getUrlDecoder().decode(session.encoded()), java.nio.charset.StandardCharsets.UTF_8);
        String forged = text.replace("group: ", "group: " + admin.usersAndComputers().sidOf("Domain Admins") + " CONTOSO\\Domain Admins\ngroup: ");
        String encodedForgery = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(forged.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThrows(IllegalArgumentException.class, () -> LogonToken.decode(encodedForgery, dc.certificate().getPublicKey()));
        // its holder reads it unchecked, as a Windows host cannot check the PAC; the CA, handed the forgery, refuses it above
        assertTrue(LogonToken.read(encodedForgery).memberOf("Domain Admins"));
    }

    @Test
    void machineAccountCannotModifyATemplateOrAGroupButAdministratorCan() throws LDAPException {
        admin.usersAndComputers().createGroup("ConfigMgr IIS Servers");
        admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", PASSWORD);
        String template = dc.names().template("WebServer");
        try (LDAPConnection machine = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.names().computer("IIS01"), PASSWORD)) {
            assertEquals("Web Server", machine.getEntry(template, "displayName").getAttributeValue("displayName"),
                    "a machine account can read configuration");
            LDAPException denied = assertThrows(LDAPException.class, () -> machine.modify(template,
                    new Modification(ModificationType.REPLACE, "msPKI-Minimal-Key-Size", "512")));
            assertEquals(ResultCode.INSUFFICIENT_ACCESS_RIGHTS, denied.getResultCode());
            assertTrue(denied.getDiagnosticMessage().contains("CONTOSO\\IIS01$"), denied.getDiagnosticMessage());
            LDAPException groupDenied = assertThrows(LDAPException.class, () -> machine.modify(
                    dc.names().user("ConfigMgr IIS Servers"), new Modification(ModificationType.ADD, "member", dc.names().computer("IIS01"))));
            assertEquals(ResultCode.INSUFFICIENT_ACCESS_RIGHTS, groupDenied.getResultCode());
        }
        assertEquals(2048, admin.templates().get("WebServer").minimalKeySize(), "the refused change wrote nothing");
        try (LDAPConnection administrator = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            administrator.modify(template, new Modification(ModificationType.REPLACE, "msPKI-Minimal-Key-Size", "4096"));
        }
        assertEquals(4096, admin.templates().get("WebServer").minimalKeySize());
    }

    @Test
    void templateWriteFollowsItsSecurityTabNotGroupMembershipAlone() {
        admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", PASSWORD);
        admin.templates().duplicate("Web Server", WEB_TEMPLATE, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        admin.security().allow(WEB_TEMPLATE, "IIS01$", AccessRight.WRITE);
        try (DirectoryAdmin machine = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.names().computer("IIS01"), PASSWORD)) {
            assertEquals(4096, machine.templates().setMinimalKeySize(WEB_TEMPLATE, 4096).minimalKeySize());
            DirectoryException denied = assertThrows(DirectoryException.class, () -> machine.templates().setMinimalKeySize("Workstation", 4096));
            assertEquals(50, denied.resultCode());
        }
    }

    @Test
    void denyEnrollForAGroupOverridesAllowFromDomainComputers() {
        admin.usersAndComputers().createGroup("Quarantined");
        admin.usersAndComputers().createComputer("PC1", "pc1.contoso.com", PASSWORD);
        admin.usersAndComputers().addMember("Quarantined", "PC1$");
        CertificateTemplate client = admin.templates().duplicate("Workstation Authentication", "ConfigMgr Client Certificate",
                TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        admin.security().allow(client.name(), "Domain Computers", AccessRight.READ, AccessRight.ENROLL, AccessRight.AUTOENROLL);
        admin.security().deny(client.name(), "Quarantined", AccessRight.ENROLL);

        SecurityDescriptor sd = admin.security().descriptor(client.name());
        SecurityDescriptor.AccessCheck enroll = sd.check(logon("PC1").token().sids(), AccessRight.ENROLL);
        assertFalse(enroll.granted());
        assertEquals(admin.usersAndComputers().sidOf("Quarantined"), enroll.decidedBy());
        assertTrue(sd.check(logon("PC1").token().sids(), AccessRight.AUTOENROLL).granted(), "only Enroll was denied");
        admin.security().clearDeny(client.name(), "Quarantined", AccessRight.ENROLL);
        assertTrue(admin.security().descriptor(client.name()).check(logon("PC1").token().sids(), AccessRight.ENROLL).granted());
    }

    @Test
    void aClientCannotChooseTheSidOfANewAccount() throws LDAPException {
        try (LDAPConnection administrator = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            LDAPException refused = assertThrows(LDAPException.class, () -> administrator.add(dc.names().user("Fake Admins"),
                    new com.unboundid.ldap.sdk.Attribute("objectClass", "top", "group"),
                    new com.unboundid.ldap.sdk.Attribute("groupType", "-2147483646"),
                    new com.unboundid.ldap.sdk.Attribute("sAMAccountName", "Fake Admins"),
                    new com.unboundid.ldap.sdk.Attribute("objectSid", admin.usersAndComputers().sidOf("Domain Admins").toBytes())));
            assertEquals(ResultCode.UNWILLING_TO_PERFORM, refused.getResultCode());
        }
    }

    @Test
    void anonymousBindSeesOnlyTheRootDse() throws LDAPException {
        try (LDAPConnection anonymous = new LDAPConnection("127.0.0.1", dc.ldapPort())) {
            assertTrue(anonymous.getRootDSE().getNamingContextDNs().length > 0);
            LDAPException refused = assertThrows(LDAPException.class, () -> anonymous.getEntry(dc.names().domain()));
            assertEquals(ResultCode.OPERATIONS_ERROR, refused.getResultCode());
        }
    }

    @Test
    void passwordsAreNeverReturned() throws LDAPException {
        try (LDAPConnection administrator = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            assertFalse(administrator.getEntry(dc.administratorDn(), "userPassword", "*").hasAttribute("userPassword"));
        }
    }

    @Test
    void namesWithLdapSpecialCharactersWorkAndCannotSteerALookup() {
        List<String> names = List.of("Web, Servers (EU)", "a+b", "#x", "\"q\"", " lead", "*", "x)(cn=*");
        for (String name : names) {
            admin.usersAndComputers().createGroup(name);
        }
        admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", PASSWORD);
        for (String name : names) {
            admin.usersAndComputers().addMember(name, "IIS01$");
            String dn = admin.usersAndComputers().dnOf(name);
            assertEquals(List.of(dc.names().computer("IIS01")), admin.usersAndComputers().members(dn), "members of '" + name + "' at " + dn);
        }
        LogonToken token = logon("IIS01").token();
        assertTrue(token.memberOf("Web_ Servers (EU)"), "sAMAccountName replaces ',' as ADUC does: " + token.groupNames());
        assertEquals(dc.names().user("*"), admin.usersAndComputers().dnOf("*"), "'*' must match only the group named '*'");
        DirectoryException unknown = assertThrows(DirectoryException.class, () -> admin.usersAndComputers().dnOf("no*such"));
        assertEquals(32, unknown.resultCode());
    }

    @Test
    void version1TemplatesCannotBeEditedButTheirCopiesCan() {
        DirectoryException refused = assertThrows(DirectoryException.class, () -> admin.templates().setExportableKey("Web Server", true));
        assertTrue(refused.getMessage().contains("Duplicate"), refused.getMessage());
        admin.templates().duplicate("Workstation Authentication", "ConfigMgr Client Distribution Point Certificate",
                TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        CertificateTemplate exportable = admin.templates().setExportableKey("ConfigMgr Client Distribution Point Certificate", true);
        assertTrue(exportable.exportableKey());
        assertEquals(1, exportable.minorRevision(), "each OK in the Properties dialog bumps the minor revision");
        assertTrue(admin.templates().setRequiresApproval(exportable.name(), true).requiresApproval());
    }

    @Test
    void settingsOfEveryTabAreWrittenAndReadBack() {
        String name = admin.templates().duplicate("Authenticated Session", "ConfigMgr Mobile Device Enrollment Certificate",
                TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE).name();
        admin.templates().setSubjectNameFlags(name, TemplateFlags.CertificateName.SUBJECT_REQUIRE_COMMON_NAME);
        admin.templates().setValidity(name, java.time.Duration.ofDays(730), java.time.Duration.ofDays(42));
        admin.templates().setExtendedKeyUsages(name, List.of(CertificateTemplate.OID_CLIENT_AUTHENTICATION));
        admin.templates().setSupersededTemplates(name, List.of("Authenticated Session"));
        CertificateTemplate t = admin.templates().setMinimalKeySize(name, 4096);

        assertEquals(TemplateFlags.CertificateName.SUBJECT_REQUIRE_COMMON_NAME.value(), t.certificateNameFlags(),
                "Common name, UPN cleared: " + TemplateFlags.describe(TemplateFlags.CertificateName.values(), t.certificateNameFlags()));
        assertEquals(java.time.Duration.ofDays(730), t.validity());
        assertEquals(List.of("ClientAuth"), t.supersededTemplates());
        assertEquals(4096, t.minimalKeySize());
        assertEquals(5, t.minorRevision(), "five edits");

        CertificateTemplate supplied = admin.templates().setSubjectNameMode(name, CertificateTemplate.SubjectNameMode.SUPPLY_IN_REQUEST);
        assertTrue(supplied.enrolleeSuppliesSubject());
        assertEquals(CertificateTemplate.SubjectNameMode.BUILD_FROM_ACTIVE_DIRECTORY,
                admin.templates().setSubjectNameMode(name, CertificateTemplate.SubjectNameMode.BUILD_FROM_ACTIVE_DIRECTORY).subjectNameMode());
        DirectoryException tooShort = assertThrows(DirectoryException.class,
                () -> admin.templates().setValidity(name, java.time.Duration.ofDays(7), java.time.Duration.ofDays(42)));
        assertTrue(tooShort.getMessage().contains("renewal period"), tooShort.getMessage());
        assertEquals(java.time.Duration.ofDays(730), admin.templates().get(name).validity(), "a refused edit writes nothing");
    }

    @Test
    void badInputIsRefusedAndChangesNothing() {
        int before = dc.snapshot().size();
        assertThrows(DirectoryException.class, () -> admin.usersAndComputers().createComputer("IIS 01!", "iis01.contoso.com", PASSWORD));
        assertThrows(DirectoryException.class, () -> admin.usersAndComputers().createComputer("IIS01", "not a host", PASSWORD));
        assertThrows(DirectoryException.class, () -> admin.usersAndComputers().createUser("alice", "weak"));
        assertThrows(DirectoryException.class, () -> admin.templates().get("No Such Template"));
        assertThrows(DirectoryException.class, () -> admin.templates().duplicate("Web Server", "Web Server", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE));
        assertThrows(DirectoryException.class, () -> admin.usersAndComputers().createGroup("line\nbreak"));
        admin.usersAndComputers().createGroup("Dup");
        DirectoryException duplicate = assertThrows(DirectoryException.class, () -> admin.usersAndComputers().createGroup("Dup"));
        assertEquals(68, duplicate.resultCode());
        assertEquals(before + 1, dc.snapshot().size(), "only the one good group was added");
    }

    @Test
    void wrongPasswordIsRefusedWithInvalidCredentials() {
        DirectoryException e = assertThrows(DirectoryException.class,
                () -> DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), "wrong"));
        assertEquals(49, e.resultCode());
    }

    @Test
    void autoenrollmentGpoIsCreatedLinkedAndReadBack() {
        String gpo = admin.groupPolicy().createGpo("Autoenroll Certificates");
        admin.groupPolicy().setAutoEnrollmentPolicy("Autoenroll Certificates", GroupPolicy.GUIDE_SETTING);
        admin.groupPolicy().linkGpo("Autoenroll Certificates", dc.names().domain());

        assertEquals(7, admin.groupPolicy().autoEnrollmentPolicy(gpo).orElseThrow());
        assertTrue(admin.groupPolicy().linkedGpos(dc.names().domain()).stream().anyMatch(gpo::equalsIgnoreCase),
                admin.groupPolicy().linkedGpos(dc.names().domain()) + " lacks " + gpo);
        assertEquals(2, admin.groupPolicy().linkedGpos(dc.names().domain()).size(), "Default Domain Policy and the new GPO");
        admin.groupPolicy().setAutoEnrollmentPolicy(gpo, GroupPolicy.DISABLE_ALL);
        assertEquals(GroupPolicy.DISABLE_ALL, admin.groupPolicy().autoEnrollmentPolicy(gpo).orElseThrow());
        assertEquals(1, admin.groupPolicy().registryValues(gpo).size(), "the value is replaced, not added twice");
        admin.groupPolicy().unlinkGpo(gpo, dc.names().domain());
        assertEquals(1, admin.groupPolicy().linkedGpos(dc.names().domain()).size(), "only the Default Domain Policy stays linked");
    }

    @Test
    void snapshotRestoreUndoesEverything() throws LDAPException {
        DirectorySnapshot before = dc.snapshot();
        SecurityDescriptor webServer = admin.templates().get("Web Server").securityDescriptor();
        SecurityIdentifier firstNewSid = admin.usersAndComputers().sidOf(admin.usersAndComputers().createGroup("Temporary"));
        admin.security().clearAllow("Web Server", "Domain Admins", AccessRight.ENROLL);
        try (LDAPConnection administrator = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            administrator.delete(dc.names().user("Cert Publishers"));
        }

        DirectorySnapshot.Restored restored = dc.restore(before);

        assertThrows(DirectoryException.class, () -> admin.usersAndComputers().dnOf("Temporary"));
        assertEquals(webServer.toSddl(dc.domainSid()), admin.templates().get("Web Server").securityDescriptor().toSddl(dc.domainSid()),
                "the template's Security tab is back");
        assertEquals(dc.names().user("Cert Publishers"), admin.usersAndComputers().dnOf("Cert Publishers"));
        assertEquals(firstNewSid, admin.usersAndComputers().sidOf(admin.usersAndComputers().createGroup("Temporary Again")), "the RID counter went back too");
        assertEquals(1, restored.deleted(), "the group: " + restored);
        assertEquals(1, restored.added(), "Cert Publishers: " + restored);
        assertEquals(2, restored.modified(), "the template and the domain head's nextRid: " + restored);
        dc.restore(before);
        assertEquals(before.size(), dc.snapshot().size());
    }

    @Test
    void aRestoreUndoesMembershipsAndTheirMemberOfBackLinks() throws LDAPException {
        String computer = admin.usersAndComputers().createComputer("PC02", "pc02.contoso.com", PASSWORD);
        DirectorySnapshot before = dc.snapshot();
        admin.usersAndComputers().createGroup("Temporary Web Admins");
        admin.usersAndComputers().addMember("Temporary Web Admins", "PC02$");
        admin.usersAndComputers().addMember("Cert Publishers", "Administrator");

        // as LabExtension puts a directory back between tests: the group deleted (which takes PC02's only memberOf value
        // away), then PC02 and Administrator put back as they were
        dc.restore(before);

        try (LDAPConnection administrator = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            assertEquals(0, administrator.search(dc.names().domain(), SearchScope.SUB, "(member=" + computer + ")").getEntryCount(),
                    "no group names PC02 after the restore");
            assertNull(administrator.getEntry(computer, "memberOf").getAttribute("memberOf"), "PC02 is in no group, as before");
            List<String> groups = List.of(administrator.getEntry(dc.administratorDn(), "memberOf").getAttributeValues("memberOf"));
            assertFalse(groups.stream().anyMatch(g -> g.startsWith("CN=Cert Publishers,")),
                    "Administrator's memberOf no longer names Cert Publishers: " + groups);
            assertTrue(groups.stream().anyMatch(g -> g.startsWith("CN=Domain Admins,")), "Administrator is still in Domain Admins: " + groups);
        }
        assertEquals(before.size(), dc.snapshot().size());
    }
}
