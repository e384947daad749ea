package org.pkilab.host;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.enrollment.EnrollmentException;
import org.pkilab.testing.DomainLab;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.TestLab;
import org.pkilab.windows.WindowsError;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A template's security written by the field's tools, not the lab's console: ldap3 and impacket write the DACL as
 * dacledit does (binary, under the SD flags control), and the CA enforces it on the very next request, with no
 * restart of the CA and no fresh logon of the computer.
 */
class TemplateSecurityWrittenByToolsTest {

    private static final String TEMPLATE = "Tool Written Web Server";
    private static DomainLab lab;

    @BeforeAll
    static void startLab() {
        lab = DomainLab.start();
        // Web Server grants Enroll to Domain Admins and Enterprise Admins only
        lab.admin().templates().duplicate("Web Server", TEMPLATE, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        lab.ca().issueTemplate(TEMPLATE);
        lab.admin().usersAndComputers().createGroup("Tool Enrollers");
    }

    @AfterAll
    static void stopLab() {
        lab.close();
    }

    private static void dacledit(String action, String group) throws Exception {
        Path script = Files.createTempFile("dacledit", ".py");
        try (InputStream in = TemplateSecurityWrittenByToolsTest.class.getResourceAsStream("dacledit.py")) {
            Files.write(script, in.readAllBytes());
        }
        try {
            ExternalTool.Result r = ExternalTool.run(null, Map.of(), null, "/usr/bin/python3", script.toString(), "127.0.0.1",
                    String.valueOf(lab.dc().ldapPort()), lab.dc().administratorDn(), TestLab.PASSWORD,
                    lab.dc().names().template(lab.admin().templates().get(TEMPLATE).name()), action,
                    lab.admin().usersAndComputers().sidOf(group).toString());
            assertEquals(0, r.exit(), "ldap3 + impacket writing " + action + " Enroll for " + group + " on '" + TEMPLATE + "': " + r);
        } finally {
            Files.delete(script);
        }
    }

    private static CertificateRequest webServer(String host) {
        return CertificateRequest.forTemplate(TEMPLATE).dnsNames(host.toLowerCase() + ".contoso.com");
    }

    @Test
    void enrollGrantedByLdap3IsHonouredAndADenyWrittenTheSameWayRefuses() throws Exception {
        try (DomainComputer iis = computer("IIS30")) {
            lab.admin().usersAndComputers().addMember("Tool Enrollers", "IIS30$");
            iis.boot();
            EnrollmentException before = assertThrows(EnrollmentException.class, () -> iis.requestCertificate(webServer("IIS30")),
                    "IIS30$ holds no Enroll right on '" + TEMPLATE + "' before the DACL is written");
            assertEquals(WindowsError.CERTSRV_E_TEMPLATE_DENIED, before.error(), before.getMessage());

            dacledit("allow", "Tool Enrollers");
            StoredCertificate issued = iis.requestCertificate(webServer("IIS30"));
            assertEquals(TEMPLATE, issued.certificateTemplate(),
                    "Enroll granted to Tool Enrollers by ldap3 should let member IIS30$ enroll at once");
            assertTrue(lab.admin().security().descriptor(TEMPLATE).check(
                    java.util.Set.of(lab.admin().usersAndComputers().sidOf("Tool Enrollers")),
                    org.pkilab.directory.model.AccessRight.ENROLL).granted(), "the Security tab shows the Enroll ldap3 wrote");

            dacledit("deny", "Domain Computers");
            EnrollmentException denied = assertThrows(EnrollmentException.class, () -> iis.requestCertificate(webServer("IIS30")),
                    "a Deny Enroll for Domain Computers written by ldap3 should refuse IIS30$ at once");
            assertEquals(WindowsError.CERTSRV_E_TEMPLATE_DENIED, denied.error(), denied.getMessage());
            assertTrue(denied.getMessage().contains("Deny") && denied.getMessage().contains("Domain Computers"),
                    "the refusal names the Deny entry and its group: " + denied.getMessage());
        }
    }

    private static DomainComputer computer(String name) {
        return new DomainComputer(lab.computer(name)).join(lab.admin());
    }
}
