package org.pkilab.directory.model;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TemplatePropertiesTest {

    private static final SecurityIdentifier DOMAIN = SecurityIdentifier.parse("S-1-5-21-1111111111-2222222222-3333333333");

    private static CertificateTemplate template(String name) {
        return DefaultTemplates.all("1.3.6.1.4.1.311.21.8.1", DOMAIN).stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
    }

    private static CertificateTemplate duplicate(String name, TemplateCompatibility compatibility) {
        return DuplicateTemplate.of(template(name), "Copy of " + name, compatibility, "1.3.6.1.4.1.311.21.8.1.9.9", DOMAIN.withRid(500));
    }

    @Test
    void buildingAComputerTemplatesSubjectFromTheDirectoryAsksForItsDnsName() {
        CertificateTemplate web = duplicate(DefaultTemplates.WEB_SERVER, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        int flags = TemplateProperties.subjectNameMode(CertificateTemplate.SubjectNameMode.BUILD_FROM_ACTIVE_DIRECTORY)
                .apply(web.toBuilder()).build().certificateNameFlags();
        assertEquals(List.of("CT_FLAG_SUBJECT_ALT_REQUIRE_DNS", "CT_FLAG_SUBJECT_REQUIRE_DNS_AS_CN"),
                TemplateFlags.describe(TemplateFlags.CertificateName.values(), flags));
    }

    @Test
    void supplyInTheRequestClearsEveryBuildFromDirectoryBit() {
        CertificateTemplate workstation = template(DefaultTemplates.WORKSTATION);
        int flags = TemplateProperties.subjectNameMode(CertificateTemplate.SubjectNameMode.SUPPLY_IN_REQUEST)
                .apply(workstation.toBuilder()).build().certificateNameFlags();
        assertEquals(List.of("CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT"), TemplateFlags.describe(TemplateFlags.CertificateName.values(), flags));
    }

    @Test
    void anEcdsaAlgorithmOnACngTemplateFixesTheSizeAndMakesTheKeySignOnly() {
        CertificateTemplate cng = duplicate(DefaultTemplates.WORKSTATION, TemplateCompatibility.WINDOWS_2008_SERVER_ENTERPRISE);
        CertificateTemplate p256 = TemplateProperties.keyAlgorithm(cng, KeyAlgorithm.ECDSA_P256, 256).apply(cng.toBuilder()).build();
        assertEquals(KeyAlgorithm.ECDSA_P256, p256.keyAlgorithm());
        assertEquals(256, p256.minimalKeySize());
        assertArrayEquals(new byte[]{(byte) 0x80, 0}, p256.keyUsage(), "Key Usage: Digital signature alone");
        IllegalArgumentException wrongSize = assertThrows(IllegalArgumentException.class,
                () -> TemplateProperties.keyAlgorithm(cng, KeyAlgorithm.ECDSA_P256, 2048));
        assertTrue(wrongSize.getMessage().contains("to 256, not 2048"), wrongSize.getMessage());
    }

    @Test
    void aLegacyCspTemplateCannotNameAnAlgorithm() {
        CertificateTemplate v2 = duplicate(DefaultTemplates.WEB_SERVER, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TemplateProperties.keyAlgorithm(v2, KeyAlgorithm.ECDSA_P384, 384));
        assertTrue(e.getMessage().contains("'Copy of WebServer' is a Windows 2003 Server, Enterprise Edition (version 2) template"),
                e.getMessage());
    }

    @Test
    void badValuesAreRefusedBeforeAnyEdit() {
        assertThrows(IllegalArgumentException.class, () -> TemplateProperties.minimalKeySize(1001));
        assertThrows(IllegalArgumentException.class, () -> TemplateProperties.extendedKeyUsages(List.of("Server Authentication")));
    }

    @Test
    void everyDefaultTemplateReadsBackFromItsDirectoryAttributes() {
        for (CertificateTemplate t : DefaultTemplates.all("1.3.6.1.4.1.311.21.8.1", DOMAIN)) {
            CertificateTemplate back = TemplateAttributes.fromAttributes(TemplateAttributes.toAttributes(t, DOMAIN), DOMAIN);
            assertEquals(t.toString(), back.toString(), t.name());
            assertEquals(t.raApplicationPolicies(), back.raApplicationPolicies(), t.name());
            assertEquals(t.securityDescriptor(), back.securityDescriptor(), t.name());
        }
    }

    @Test
    void noSecurityExtensionSetsAndClearsOnlyItsEnrollmentBit() {
        CertificateTemplate user = duplicate(DefaultTemplates.USER, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        CertificateTemplate esc9 = TemplateProperties.noSecurityExtension(true).apply(user.toBuilder()).build();
        assertEquals(user.enrollmentFlags() | 0x80000, esc9.enrollmentFlags(), "CT_FLAG_NO_SECURITY_EXTENSION and the bits it had");
        assertEquals(user.enrollmentFlags(), TemplateProperties.noSecurityExtension(false).apply(esc9.toBuilder()).build().enrollmentFlags());
    }

    @Test
    void anyPurposeOrNoApplicationPolicyAtAllIsKeptInBothAttributes() {
        CertificateTemplate web = duplicate(DefaultTemplates.WEB_SERVER, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        CertificateTemplate any = TemplateProperties.extendedKeyUsages(List.of(CertificateTemplate.OID_ANY_PURPOSE)).apply(web.toBuilder()).build();
        assertEquals(List.of("2.5.29.37.0"), any.extendedKeyUsages());
        assertEquals(List.of("2.5.29.37.0"), any.applicationPolicies());
        CertificateTemplate none = TemplateProperties.extendedKeyUsages(List.of()).apply(web.toBuilder()).build();
        assertEquals(List.of(), none.extendedKeyUsages());
        assertEquals(List.of(), none.applicationPolicies());
    }

    @Test
    void anAuthorizedSignatureNamesItsApplicationPolicyWhereEachSchemaKeepsIt() {
        String agent = DefaultTemplates.OID_CERTIFICATE_REQUEST_AGENT;
        CertificateTemplate v2 = TemplateProperties.authorizedSignatures(1, agent)
                .apply(duplicate(DefaultTemplates.USER, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE).toBuilder()).build();
        assertEquals(1, v2.raSignatures());
        assertEquals(List.of(agent), v2.raApplicationPolicies(), "schema 2: the OID is the attribute's value");

        CertificateTemplate v3 = TemplateProperties.authorizedSignatures(1, agent)
                .apply(duplicate(DefaultTemplates.USER, TemplateCompatibility.WINDOWS_2008_SERVER_ENTERPRISE).toBuilder()).build();
        assertEquals(agent, v3.cngKeySetting(TemplateProperties.RA_APPLICATION_POLICIES), "schema 3: a setting among the CNG key settings");
        assertEquals("RSA", v3.cngKeySetting(CngKeySettings.ASYMMETRIC_ALGORITHM), "the key settings are kept");

        CertificateTemplate cleared = TemplateProperties.authorizedSignatures(0, null).apply(v2.toBuilder()).build();
        assertEquals(0, cleared.raSignatures());
        assertEquals(List.of(), cleared.raApplicationPolicies(), "no signature, no policy");
        assertThrows(IllegalArgumentException.class, () -> TemplateProperties.authorizedSignatures(1, null),
                "a signature without the policy it must carry");
        assertThrows(IllegalArgumentException.class, () -> TemplateProperties.authorizedSignatures(1, "Certificate Request Agent"));
    }
}
