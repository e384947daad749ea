package org.pkilab.directory.model;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class CngKeySettingsTest {

    private static final String WINDOWS = "msPKI-Asymmetric-Algorithm`PZPWSTR`RSA`msPKI-Hash-Algorithm`PZPWSTR`SHA256`"
            + "msPKI-Key-Usage`DWORD`16777215`msPKI-Symmetric-Algorithm`PZPWSTR`3DES`msPKI-Symmetric-Key-Length`DWORD`168`";

    @Test
    void windowsDefaultReadsAndWritesAsWindowsWritesIt() {
        assertEquals(WINDOWS, CngKeySettings.WINDOWS_DEFAULT.format());
        assertEquals(WINDOWS, CngKeySettings.parse(WINDOWS).format());
        assertEquals("168", CngKeySettings.parse(WINDOWS).get("mspki-symmetric-key-length"), "names in any case");
    }

    @Test
    void settingTheAlgorithmChangesItInPlaceAndKeepsTheRest() {
        List<String> policies = List.of("1.3.6.1.4.1.311.21.8.1.2", WINDOWS);
        List<String> changed = CngKeySettings.withSetting(policies, CngKeySettings.ASYMMETRIC_ALGORITHM, "ECDSA_P256");
        assertEquals(List.of("1.3.6.1.4.1.311.21.8.1.2", WINDOWS.replace("`RSA`", "`ECDSA_P256`")), changed);
        assertEquals("ECDSA_P256", CngKeySettings.find(3, changed, CngKeySettings.ASYMMETRIC_ALGORITHM));
    }

    @Test
    void aTemplateWithoutKeySettingsGetsWindowsDefaultsWithTheAlgorithm() {
        List<String> changed = CngKeySettings.withSetting(List.of(), CngKeySettings.ASYMMETRIC_ALGORITHM, "ECDSA_P384");
        assertEquals(List.of(WINDOWS.replace("`RSA`", "`ECDSA_P384`")), changed);
    }

    @Test
    void aSettingNotThereGoesFirst() {
        String noAlgorithm = "msPKI-Hash-Algorithm`PZPWSTR`SHA384`";
        assertEquals("msPKI-Asymmetric-Algorithm`PZPWSTR`ECDSA_P384`" + noAlgorithm,
                CngKeySettings.parse(noAlgorithm).with(CngKeySettings.ASYMMETRIC_ALGORITHM, "ECDSA_P384").format());
    }

    @Test
    void schema2TemplatesHoldIssuancePoliciesThereNotKeySettings() {
        assertNull(CngKeySettings.find(2, List.of(WINDOWS), CngKeySettings.ASYMMETRIC_ALGORITHM));
        assertNull(CngKeySettings.find(3, List.of("1.3.6.1.4.1.311.21.8.1.2"), CngKeySettings.ASYMMETRIC_ALGORITHM));
    }
}
