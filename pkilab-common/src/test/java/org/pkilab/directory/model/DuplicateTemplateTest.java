package org.pkilab.directory.model;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DuplicateTemplateTest {

    private static final SecurityIdentifier DOMAIN = SecurityIdentifier.parse("S-1-5-21-1111111111-2222222222-3333333333");
    private static final SecurityIdentifier ADMINISTRATOR = DOMAIN.withRid(500);
    private static final String ARC = "1.3.6.1.4.1.311.21.8.1000.2000";

    private static CertificateTemplate defaultTemplate(String name) {
        return DefaultTemplates.all(ARC, DOMAIN).stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void duplicatingVersion2WorkstationAuthenticationFor2008GivesASchema3CngTemplate() {
        CertificateTemplate workstation = defaultTemplate(DefaultTemplates.WORKSTATION);
        CertificateTemplate copy = DuplicateTemplate.of(workstation, "Contoso Workstation",
                TemplateCompatibility.WINDOWS_2008_SERVER_ENTERPRISE, ARC + ".7.9", ADMINISTRATOR);

        assertEquals("ContosoWorkstation", copy.name(), "the console proposes the display name without spaces");
        assertEquals(3, copy.schemaVersion(), "Windows 2008 Server, Enterprise Edition is schema 3");
        assertEquals(100, copy.revision(), "a duplicate starts at revision 100");
        assertEquals(0, copy.minorRevision());
        assertEquals(ARC + ".7.9", copy.oid());
        assertFalse(TemplateFlags.General.IS_DEFAULT.isSetIn(copy.flags()), "CT_FLAG_IS_DEFAULT stays on the original");
        assertTrue(TemplateFlags.General.IS_MODIFIED.isSetIn(copy.flags()), "a duplicate is CT_FLAG_IS_MODIFIED");
        assertTrue(TemplateFlags.General.MACHINE_TYPE.isSetIn(copy.flags()), "the other flags are copied");
        assertEquals(TemplateFlags.PrivateKey.COMPATIBILITY_2008, copy.privateKeyFlags() & TemplateFlags.PrivateKey.COMPATIBILITY_MASK,
                "msPKI-Private-Key-Flag names a Windows Server 2008 CA and a Vista client");
        assertTrue(copy.usesCng());
        assertEquals(List.of(), copy.cryptographicProviders(), "a CNG template lists no legacy CSPs");
        assertEquals(KeyAlgorithm.RSA, copy.keyAlgorithm());
        assertEquals("SHA256", copy.cngKeySetting("msPKI-Hash-Algorithm"), "Windows' default CNG key settings");
        assertEquals(workstation.extendedKeyUsages(), copy.extendedKeyUsages());
    }

    @Test
    void duplicatingAVersion1TemplateFor2003CopiesItsEkusIntoApplicationPolicies() {
        CertificateTemplate web = defaultTemplate(DefaultTemplates.WEB_SERVER);
        assertEquals(List.of(), web.applicationPolicies(), "precondition: a schema 1 template has no application policies");
        CertificateTemplate copy = DuplicateTemplate.of(web, " ConfigMgr Web Server Certificate ",
                TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE, ARC + ".1.2", ADMINISTRATOR);

        assertEquals("ConfigMgr Web Server Certificate", copy.displayName());
        assertEquals(2, copy.schemaVersion());
        assertEquals(TemplateFlags.PrivateKey.COMPATIBILITY_2003, copy.privateKeyFlags() & TemplateFlags.PrivateKey.COMPATIBILITY_MASK);
        assertEquals(List.of(CertificateTemplate.OID_SERVER_AUTHENTICATION), copy.applicationPolicies());
        assertEquals(web.cryptographicProviders(), copy.cryptographicProviders(), "a schema 2 copy keeps its CSPs");
        assertTrue(copy.enrolleeSuppliesSubject(), "Subject Name tab is copied");
    }

    @Test
    void theAdministratorWhoDuplicatesOwnsTheCopyAndKeepsTheSourcesSecurityTab() {
        CertificateTemplate web = defaultTemplate(DefaultTemplates.WEB_SERVER);
        CertificateTemplate copy = DuplicateTemplate.of(web, "Copy", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE,
                ARC + ".1.3", ADMINISTRATOR);
        SecurityDescriptor sd = copy.securityDescriptor();
        assertEquals(ADMINISTRATOR, sd.owner());
        assertEquals(Set.of(AccessRight.READ, AccessRight.WRITE), sd.rightsOf(ADMINISTRATOR, true));
        SecurityIdentifier domainAdmins = DOMAIN.withRid(RelativeIds.DOMAIN_ADMINS);
        assertEquals(web.securityDescriptor().rightsOf(domainAdmins, true), sd.rightsOf(domainAdmins, true),
                "Domain Admins keep what they had on Web Server");
    }

    @Test
    void aTemplateReadWithoutItsSecurityTabIsRefusedByName() {
        CertificateTemplate bare = defaultTemplate(DefaultTemplates.WEB_SERVER).toBuilder().securityDescriptor(null).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DuplicateTemplate.of(bare, "Copy",
                TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE, ARC + ".1.4", ADMINISTRATOR));
        assertTrue(e.getMessage().contains("'Web Server'"), e.getMessage());
    }

    @Test
    void aNewTemplateOidHangsUnderTheForestArcWithTwoNodes() {
        java.util.Random random = new java.util.Random(17);
        String oid = EnterpriseOid.newTemplateOid(ARC, random);
        assertTrue(oid.startsWith(ARC + "."), oid);
        String[] tail = oid.substring(ARC.length() + 1).split("\\.");
        assertEquals(2, tail.length, oid);
        for (String node : tail) {
            long n = Long.parseLong(node);
            assertTrue(n >= 1 && n <= 16_777_215, oid);
        }
        String cn = EnterpriseOid.objectName(oid, random);
        assertTrue(cn.matches(tail[1] + "\\.[0-9A-F]{32}"), "the OID object is named by the last node and 32 hex digits: " + cn);
        assertThrows(IllegalArgumentException.class, () -> EnterpriseOid.newTemplateOid("not an oid", random));
    }
}
