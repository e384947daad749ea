package org.pkilab.cli.admin;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.cli.Cli;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.TemplateFlags;
import org.pkilab.enrollment.CaRegistrySettings;
import org.pkilab.lab.Lab;
import org.pkilab.lab.LabSpec;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code pkilab ca getreg / setreg} and the template settings of the misconfiguration lessons, run as a user runs
 * them: through picocli against a running lab, then checked against the CA and the directory.
 */
class CaRegistryVerbsTest {

    private static final String USER_PASSWORD = "Mallory-Passw0rd!";
    private static Lab lab;

    @BeforeAll
    static void startLab() {
        lab = Lab.start(LabSpec.builder().build());
        lab.admin().usersAndComputers().createUser("mallory", USER_PASSWORD);
    }

    @AfterAll
    static void stopLab() {
        if (lab != null) {
            lab.close();
        }
    }

    private static Cli.Result as(String user, String password, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--ldap", lab.dc().ldapUrl(), "--user", user, "--password", password));
        return Cli.pkilab(all.toArray(new String[0]));
    }

    private static Cli.Result admin(String... args) {
        return as("Administrator", lab.password(), args);
    }

    private static Cli.Result ok(Cli.Result run) {
        assertEquals(0, run.exit(), run.toString());
        return run;
    }

    @Test
    void getregListsTheEditFlagsByName() {
        Cli.Result shown = ok(admin("ca", "getreg", "policy\\EditFlags"));
        assertTrue(shown.out().contains("PolicyModules\\CertificateAuthority_MicrosoftDefault.Policy\\EditFlags:"), shown.out());
        assertTrue(shown.out().contains("EDITF_REQUESTEXTENSIONLIST -- 2"), shown.out());
        assertFalse(shown.out().contains("InterfaceFlags"), "only the value asked for: " + shown.out());
    }

    @Test
    void setregSetsAndClearsFlagsAndListsAsCertutilDoes() {
        Cli.Result esc6 = ok(admin("ca", "setreg", "policy\\EditFlags", "+EDITF_ATTRIBUTESUBJECTALTNAME2"));
        assertTrue(esc6.out().contains("New Value:") && esc6.out().contains("EDITF_ATTRIBUTESUBJECTALTNAME2 -- 40000"), esc6.out());
        assertTrue(lab.ca().registrySettings().has(CaRegistrySettings.EditFlag.EDITF_ATTRIBUTESUBJECTALTNAME2), esc6.out());
        ok(admin("ca", "setreg", "CA\\InterfaceFlags", "-IF_ENFORCEENCRYPTICERTREQUEST"));
        assertFalse(lab.ca().registrySettings().has(CaRegistrySettings.InterfaceFlag.IF_ENFORCEENCRYPTICERTREQUEST));
        ok(admin("ca", "setreg", "policy\\DisableExtensionList", "+1.3.6.1.4.1.311.25.2"));
        Cli.Result list = ok(admin("ca", "getreg", "DisableExtensionList"));
        assertTrue(list.out().contains("0: 1.3.6.1.4.1.311.25.2"), list.out());
        ok(admin("ca", "setreg", "policy\\EditFlags", "-EDITF_ATTRIBUTESUBJECTALTNAME2"));
        ok(admin("ca", "setreg", "CA\\InterfaceFlags", "+IF_ENFORCEENCRYPTICERTREQUEST"));
        ok(admin("ca", "setreg", "policy\\DisableExtensionList", "-1.3.6.1.4.1.311.25.2"));
        assertEquals(CaRegistrySettings.DEFAULT, lab.ca().registrySettings(), "each change undone");
    }

    @Test
    void setregEstDefaultTemplateSetsShowsAndClearsItAndRefusesANonName() {
        Cli.Result set = ok(admin("ca", "setreg", "CA\\EstDefaultTemplate", "Web Server"));
        assertTrue(set.out().contains("EstDefaultTemplate REG_SZ = Web Server"), set.out());
        assertEquals("Web Server", lab.ca().registrySettings().estDefaultTemplate());
        Cli.Result shown = ok(admin("ca", "getreg", "EstDefaultTemplate"));
        assertTrue(shown.out().contains("Configuration\\" + lab.ca().name() + "\\EstDefaultTemplate:") && shown.out().contains("= Web Server"),
                shown.out());
        Cli.Result bad = admin("ca", "setreg", "CA\\EstDefaultTemplate", "*)(cn=*");
        assertEquals(2, bad.exit(), bad.toString());
        assertTrue(bad.err().contains("not a certificate template name"), bad.toString());
        assertEquals("Web Server", lab.ca().registrySettings().estDefaultTemplate(), "a refused change changes nothing");
        ok(admin("ca", "setreg", "CA\\EstDefaultTemplate", ""));
        assertEquals(CaRegistrySettings.DEFAULT, lab.ca().registrySettings(), "'' clears it");
    }

    @Test
    void setregOcspUrlResponderNamesTheCasOwnResponderAndRefusesANonUrl() {
        Cli.Result set = ok(admin("ca", "setreg", "CA\\OcspUrl", "responder"));
        assertTrue(set.out().contains("OcspUrl REG_SZ = " + lab.ca().ocspUrl()), set.out());
        assertEquals(lab.ca().ocspUrl(), lab.ca().registrySettings().ocspUrl());
        Cli.Result bad = admin("ca", "setreg", "CA\\OcspUrl", "ldap://ca01/ocsp");
        assertEquals(2, bad.exit(), bad.toString());
        assertTrue(bad.err().contains("is not an OCSP URL"), bad.toString());
        assertEquals(lab.ca().ocspUrl(), lab.ca().registrySettings().ocspUrl(), "a refused change changes nothing");
        ok(admin("ca", "setreg", "CA\\OcspUrl", ""));
        assertEquals(CaRegistrySettings.DEFAULT, lab.ca().registrySettings(), "'' clears it");
    }

    @Test
    void anAccountWithoutManageCaIsRefusedAndNothingChanges() {
        CaRegistrySettings before = lab.ca().registrySettings();
        Cli.Result refused = as("mallory", USER_PASSWORD, "ca", "setreg", "policy\\EditFlags", "+EDITF_ATTRIBUTESUBJECTALTNAME2");
        assertEquals(1, refused.exit(), refused.toString());
        assertTrue(refused.err().contains("E_ACCESSDENIED") && refused.err().contains("'Manage CA'") && refused.err().contains("mallory"),
                refused.toString());
        assertEquals(before, lab.ca().registrySettings());
    }

    @Test
    void aMisspeltFlagIsBadUsageAndNothingChanges() {
        CaRegistrySettings before = lab.ca().registrySettings();
        Cli.Result refused = admin("ca", "setreg", "policy\\EditFlags", "+EDITF_ATTRIBUTESUBJECTALTNAME");
        assertEquals(2, refused.exit(), refused.toString());
        assertTrue(refused.err().contains("no EditFlags bit is called 'EDITF_ATTRIBUTESUBJECTALTNAME'"), refused.toString());
        Cli.Result wrongValue = admin("ca", "setreg", "policy\\EditFlag", "+EDITF_ATTRIBUTESUBJECTALTNAME2");
        assertEquals(2, wrongValue.exit(), wrongValue.toString());
        assertTrue(wrongValue.err().contains("policy\\EditFlags"), "names the values there are: " + wrongValue);
        assertEquals(before, lab.ca().registrySettings());
    }

    @Test
    void templateSetMakesAnyPurposeNoEkuAndNoSecurityExtensionTemplates() {
        ok(admin("template", "duplicate", "User", "Lab Any Purpose"));
        ok(admin("template", "set", "LabAnyPurpose", "--any-purpose", "--no-security-extension", "true"));
        CertificateTemplate any = lab.admin().templates().get("LabAnyPurpose");
        assertEquals(List.of(CertificateTemplate.OID_ANY_PURPOSE), any.extendedKeyUsages());
        assertEquals(List.of(CertificateTemplate.OID_ANY_PURPOSE), any.applicationPolicies());
        assertTrue(TemplateFlags.Enrollment.NO_SECURITY_EXTENSION.isSetIn(any.enrollmentFlags()), any.toString());
        Cli.Result shown = ok(admin("template", "show", "LabAnyPurpose"));
        assertTrue(shown.out().contains("2.5.29.37.0 (Any Purpose)") && shown.out().contains("no (CT_FLAG_NO_SECURITY_EXTENSION)"), shown.out());

        ok(admin("template", "set", "LabAnyPurpose", "--no-eku", "--no-security-extension", "false"));
        CertificateTemplate none = lab.admin().templates().get("LabAnyPurpose");
        assertEquals(List.of(), none.extendedKeyUsages());
        assertFalse(TemplateFlags.Enrollment.NO_SECURITY_EXTENSION.isSetIn(none.enrollmentFlags()));

        Cli.Result both = admin("template", "set", "LabAnyPurpose", "--no-eku", "--any-purpose");
        assertEquals(2, both.exit(), both.toString());
        assertEquals(List.of(), lab.admin().templates().get("LabAnyPurpose").extendedKeyUsages(), "nothing changed");
    }

    @Test
    void templateSetReplacesAndClearsIssuancePoliciesAndRefusesAnUnknownOne() {
        ok(admin("template", "duplicate", "User", "Lab Assured"));
        String high = lab.admin().templates().createIssuancePolicy("Lab High Assurance");
        String medium = lab.admin().templates().createIssuancePolicy("Lab Medium Assurance");
        ok(admin("template", "set", "LabAssured", "--issuance-policies", "Lab High Assurance," + medium));
        assertEquals(List.of(high, medium), lab.admin().templates().get("LabAssured").issuancePolicies());

        Cli.Result unknown = admin("template", "set", "LabAssured", "--issuance-policies", "Lab Low Assurance", "--min-key-size", "4096");
        assertEquals(1, unknown.exit(), unknown.toString());
        assertTrue(unknown.err().contains("no issuance policy 'Lab Low Assurance'"), unknown.toString());
        CertificateTemplate unchanged = lab.admin().templates().get("LabAssured");
        assertEquals(List.of(high, medium), unchanged.issuancePolicies(), "nothing changed");
        assertEquals(2048, unchanged.minimalKeySize(), "nothing changed");

        ok(admin("template", "set", "LabAssured", "--issuance-policies", high));
        assertEquals(List.of(high), lab.admin().templates().get("LabAssured").issuancePolicies());
        ok(admin("template", "set", "LabAssured", "--no-issuance-policies"));
        assertEquals(List.of(), lab.admin().templates().get("LabAssured").issuancePolicies());
        Cli.Result both = admin("template", "set", "LabAssured", "--issuance-policies", high, "--no-issuance-policies");
        assertEquals(2, both.exit(), both.toString());
    }

    @Test
    void setregHelpExplainsTheFormsAndTheRestart() {
        Cli.Result help = ok(Cli.pkilab("ca", "setreg", "--help"));
        assertTrue(help.out().contains("+EDITF_ATTRIBUTESUBJECTALTNAME2") && help.out().contains("net stop certsvc"), help.out());
    }
}
