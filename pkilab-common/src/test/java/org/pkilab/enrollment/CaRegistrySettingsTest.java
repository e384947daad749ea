package org.pkilab.enrollment;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.pkilab.enrollment.CaRegistrySettings.EditFlag;
import org.pkilab.enrollment.CaRegistrySettings.InterfaceFlag;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code certutil -setreg} changes as the CA takes them, and the JSON form the CA keeps and answers. */
class CaRegistrySettingsTest {

    private static final CaRegistrySettings DEFAULT = CaRegistrySettings.DEFAULT;

    @Test
    void plusSetsABitAndMinusClearsItLeavingTheOthers() {
        CaRegistrySettings esc6 = DEFAULT.change("policy\\EditFlags", "+EDITF_ATTRIBUTESUBJECTALTNAME2");
        assertTrue(esc6.has(EditFlag.EDITF_ATTRIBUTESUBJECTALTNAME2), CaRegistrySettings.describe(EditFlag.class, esc6.editFlags()).toString());
        assertEquals(DEFAULT.editFlags() | 0x40000, esc6.editFlags(), "the default bits stay set");
        assertEquals(DEFAULT.editFlags(), esc6.change("POLICY\\editflags", "-ATTRIBUTESUBJECTALTNAME2").editFlags(),
                "names are taken in any case, with or without their prefix");
        CaRegistrySettings esc11 = DEFAULT.change("CA\\InterfaceFlags", "-IF_ENFORCEENCRYPTICERTREQUEST");
        assertFalse(esc11.has(InterfaceFlag.IF_ENFORCEENCRYPTICERTREQUEST));
        assertEquals(DEFAULT.interfaceFlags() & ~0x200, esc11.interfaceFlags());
    }

    @Test
    void aPlainNameOrNumberReplacesTheWholeValueAsCertutilDoes() {
        assertEquals(0x40000, DEFAULT.change("EditFlags", "EDITF_ATTRIBUTESUBJECTALTNAME2").editFlags(),
                "certutil -setreg policy\\EditFlags EDITF_X leaves only that bit");
        assertEquals(0x11014E, DEFAULT.change("policy\\EditFlags", "0x11014e").editFlags());
        assertEquals(1601, DEFAULT.change("CA\\InterfaceFlags", "1601").interfaceFlags());
    }

    @Test
    void disableExtensionListAddsRemovesAndReplacesOids() {
        CaRegistrySettings esc16 = DEFAULT.change("policy\\DisableExtensionList", "+" + CaRegistrySettings.SID_EXTENSION);
        assertTrue(esc16.disables(CaRegistrySettings.SID_EXTENSION));
        assertEquals(List.of(CaRegistrySettings.SID_EXTENSION), esc16.change("DisableExtensionList", "+1.3.6.1.4.1.311.25.2").disableExtensionList(),
                "an OID is listed once");
        assertEquals(List.of(), esc16.change("policy\\DisableExtensionList", "-1.3.6.1.4.1.311.25.2").disableExtensionList());
        assertEquals(List.of("2.5.29.31", "1.3.6.1.5.5.7.1.1"),
                esc16.change("policy\\DisableExtensionList", "2.5.29.31, 1.3.6.1.5.5.7.1.1").disableExtensionList());
        assertEquals(List.of(), esc16.change("policy\\DisableExtensionList", "").disableExtensionList(), "a plain empty value empties the list");
    }

    @Test
    void ndesTemplatesAreIpsecOfflineUntilSetChosenByKeyUsageKeptInJsonAndRefusedWhenNoName() throws Exception {
        assertEquals(CaRegistrySettings.NdesTemplates.DEFAULT, DEFAULT.ndes(), "a new NDES issues from IPSec (Offline request)");
        CaRegistrySettings set = DEFAULT.change("MSCEP\\SignatureTemplate", "NDES Signing").change("GeneralPurposeTemplate", "NdesDevices");
        assertEquals("NDES Signing", set.ndes().forKeyUsage(true, false), "digital signature alone: SignatureTemplate");
        assertEquals(CaRegistrySettings.NDES_DEFAULT_TEMPLATE, set.ndes().forKeyUsage(false, true), "key encipherment alone: EncryptionTemplate");
        assertEquals("NdesDevices", set.ndes().forKeyUsage(true, true), "both: GeneralPurposeTemplate");
        assertEquals("NdesDevices", set.ndes().forKeyUsage(false, false), "neither: GeneralPurposeTemplate");
        assertEquals(set, CaRegistrySettings.fromJson(new com.fasterxml.jackson.databind.ObjectMapper().readTree(set.toJson().toString())),
                "kept in the CA's registry.json");
        assertEquals(CaRegistrySettings.NDES_DEFAULT_TEMPLATE, set.change("MSCEP\\SignatureTemplate", "").ndes().signatureTemplate(),
                "'' puts NDES's default back");
        IllegalArgumentException bad = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> DEFAULT.change("MSCEP\\EncryptionTemplate", "../x"));
        assertTrue(bad.getMessage().contains("EncryptionTemplate"), bad.getMessage());
    }

    @Test
    void estDefaultTemplateIsSetClearedKeptInJsonAndRefusedWhenNoName() throws Exception {
        assertEquals("", DEFAULT.estDefaultTemplate(), "a new CA has no EST default template");
        CaRegistrySettings set = DEFAULT.change("CA\\EstDefaultTemplate", "Web Server");
        assertEquals("Web Server", set.estDefaultTemplate());
        assertEquals(set, CaRegistrySettings.fromJson(new ObjectMapper().readTree(set.toJson().toString())), "kept across restarts");
        assertEquals("", set.change("estdefaulttemplate", "").estDefaultTemplate(), "an empty value clears it");
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> DEFAULT.change("CA\\EstDefaultTemplate", "*)(cn=*"));
        assertTrue(bad.getMessage().contains("EstDefaultTemplate") && bad.getMessage().contains("*)(cn=*"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CaRegistrySettings.fromJson(new ObjectMapper().readTree("{\"EstDefaultTemplate\": 5}")));
    }

    @Test
    void ocspUrlIsNoneOnANewCaSetClearedKeptInJsonAndRefusedWhenNoUrl() throws Exception {
        assertEquals("", DEFAULT.ocspUrl(), "a new CA, like Windows', names no OCSP URL in its certificates");
        CaRegistrySettings set = DEFAULT.change("CA\\OcspUrl", "http://ca01.contoso.com:8080/ocsp");
        assertEquals("http://ca01.contoso.com:8080/ocsp", set.ocspUrl());
        assertEquals(set, CaRegistrySettings.fromJson(new ObjectMapper().readTree(set.toJson().toString())), "kept across restarts");
        assertEquals("", set.change("CA\\OcspUrl", "").ocspUrl(), "an empty value clears it");
        for (String bad : new String[] {"ldap://ca01/ocsp", "http://ca01/ocsp\"><script>", "responder"}) {
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> DEFAULT.change("CA\\OcspUrl", bad), bad);
            assertTrue(refused.getMessage().contains("OcspUrl"), refused.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> CaRegistrySettings.fromJson(new ObjectMapper().readTree("{\"OcspUrl\": 5}")));
    }

    @Test
    void aWrongNameFlagOrOidIsRefusedNamingIt() {
        IllegalArgumentException flag = assertThrows(IllegalArgumentException.class,
                () -> DEFAULT.change("policy\\EditFlags", "+EDITF_ATTRIBUTESUBJECTALTNAME"));
        assertTrue(flag.getMessage().contains("EDITF_ATTRIBUTESUBJECTALTNAME'"), flag.getMessage());
        IllegalArgumentException wrongKind = assertThrows(IllegalArgumentException.class,
                () -> DEFAULT.change("policy\\EditFlags", "+IF_ENFORCEENCRYPTICERTREQUEST"));
        assertTrue(wrongKind.getMessage().contains("EDITF_"), "an InterfaceFlags bit is no EditFlags bit: " + wrongKind.getMessage());
        IllegalArgumentException value = assertThrows(IllegalArgumentException.class, () -> DEFAULT.change("CA\\EditFlags", "+EDITF_ATTRIBUTECA"));
        assertTrue(value.getMessage().contains("policy\\EditFlags"), "names the values there are: " + value.getMessage());
        IllegalArgumentException oid = assertThrows(IllegalArgumentException.class,
                () -> DEFAULT.change("policy\\DisableExtensionList", "+szOID_NTDS_CA_SECURITY_EXT"));
        assertTrue(oid.getMessage().contains("not an OID"), oid.getMessage());
        for (String tooLarge : List.of("0x1FFFFFFFF", "9999999999")) {
            IllegalArgumentException large = assertThrows(IllegalArgumentException.class, () -> DEFAULT.change("policy\\EditFlags", tooLarge));
            assertTrue(large.getMessage().contains("32-bit REG_DWORD"), large.getMessage());
        }
        assertEquals(0xFFFFFFFF, DEFAULT.change("policy\\EditFlags", "4294967295").editFlags());
        assertThrows(IllegalArgumentException.class, () -> DEFAULT.change("CA\\Security", "O:BAG:DUD:(A;;0x3;;;AU)"));
    }

    @Test
    void jsonRoundTripsAndNamesTheBits() throws Exception {
        CaRegistrySettings changed = DEFAULT.change("policy\\EditFlags", "+EDITF_ATTRIBUTESUBJECTALTNAME2")
                .change("policy\\DisableExtensionList", "+1.3.6.1.4.1.311.25.2").withEditFlags(0x80000000 | 0x40000);
        String text = changed.toJson().toString();
        assertTrue(text.contains("\"EDITF_ATTRIBUTESUBJECTALTNAME2\""), text);
        assertEquals(changed, CaRegistrySettings.fromJson(new ObjectMapper().readTree(text)), text);
        assertEquals(DEFAULT, CaRegistrySettings.fromJson(new ObjectMapper().readTree("{}")), "values left out are the defaults");
        assertThrows(IllegalArgumentException.class, () -> CaRegistrySettings.fromJson(new ObjectMapper().readTree("{\"EditFlags\": \"x\"}")));
        assertThrows(IllegalArgumentException.class, () -> CaRegistrySettings.fromJson(new ObjectMapper().readTree("{\"DisableExtensionList\": [\"a\"]}")));
    }
}
