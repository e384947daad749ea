package org.pkilab.junit;

import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.SearchResult;
import com.unboundid.ldap.sdk.SearchScope;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;
import org.pkilab.windows.WindowsError;
import org.pkilab.ca.CertificationAuthority;
import org.pkilab.enrollment.CaRegistrySettings;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.host.CertificateRequest;
import org.pkilab.host.DomainComputer;
import org.pkilab.enrollment.EnrollmentException;
import org.pkilab.host.HttpsResult;
import org.pkilab.host.StoredCertificate;
import org.pkilab.iis.IisServer;
import org.pkilab.lab.Lab;
import org.pkilab.pki.LabClock;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request;

/**
 * The extension on the built-in {@code web-server} scenario: what it hands to tests, that the scenario
 * ran before the first test, and that one test's directory changes are gone in the next (the tests run
 * in order so that the one changing the directory comes before the one looking).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LabExtensionTest {

    private static final String WEB_TEMPLATE = "ConfigMgr Web Server Certificate";
    private static final String LAB_PASSWORD = "Lab-Passw0rd!";

    @RegisterExtension
    static final LabExtension LAB = LabExtension.builder().scenario("web-server").client("PC02").user("alice").build();

    @Test
    @Order(1)
    void testsGetTheRunningLabItsServicesAndItsComputers(Lab lab, CertificationAuthority ca, DomainController dc, DirectoryAdmin admin,
                                                         LabClock clock, IisServer iis, @Host("pc01") DomainComputer pc01,
                                                         @Host("PC02") DomainComputer pc02) {
        assertSame(lab.ca(), ca);
        assertSame(lab.dc(), dc);
        assertSame(lab.admin(), admin);
        assertSame(lab.clock(), clock);
        assertSame(lab.iis("IIS01"), iis, "the lab's only IIS server, found by type");
        assertEquals("PC01", pc01.name(), "the scenario's client");
        assertEquals("PC02", pc02.name(), "the builder's extra client");
        assertNotNull(pc02.token(), "PC02 booted before the first test");
        assertEquals(dc.names().user("alice"), admin.usersAndComputers().dnOf("alice"), "the builder's user exists");
    }

    @Test
    @Order(2)
    void scenarioRanBeforeTheFirstTest(IisServer iis, @Host("PC01") DomainComputer pc01) {
        StoredCertificate bound = iis.personal().byThumbprint(iis.boundThumbprint()).orElseThrow();
        assertEquals(WEB_TEMPLATE, bound.certificateTemplate(), "IIS01's https binding uses the scenario's certificate");
        HttpsResult result = pc01.get(iis.url("server1.internal.contoso.com", "/"), null);
        assertTrue(result.connected(), "PC01 -> IIS01 over TLS: " + result.failure());
    }

    @Test
    @Order(3)
    void aTestChangesGroupsAndTemplatePermissions(DirectoryAdmin admin, CertificationAuthority ca, @Host("PC02") DomainComputer pc02) {
        ca.changeRegistry("policy\\EditFlags", "+EDITF_ATTRIBUTESUBJECTALTNAME2", "CONTOSO\\Administrator");
        admin.usersAndComputers().createGroup("Temporary Web Admins");
        admin.usersAndComputers().addMember("Temporary Web Admins", "PC02$");
        admin.security().clearAllow("Web Server", "Domain Admins", AccessRight.ENROLL);
        admin.security().allow(WEB_TEMPLATE, "Domain Computers", AccessRight.ENROLL);

        StoredCertificate issued = pc02.requestCertificate(CertificateRequest.forTemplate(WEB_TEMPLATE).dnsNames("pc02.contoso.com"));
        assertEquals(WEB_TEMPLATE, issued.certificateTemplate(), "Domain Computers may enroll now, PC02 among them");
    }

    @Test
    @Order(4)
    void theNextTestFindsTheDirectoryAsTheScenarioLeftIt(DomainController dc, DirectoryAdmin admin, CertificationAuthority ca,
                                                         @Host("PC02") DomainComputer pc02) throws LDAPException {
        assertEquals(CaRegistrySettings.DEFAULT, ca.registrySettings(), "the EditFlags the previous test set are gone");
        try (LDAPConnection ldap = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), LAB_PASSWORD)) {
            SearchResult group = ldap.search(dc.names().domain(), SearchScope.SUB, "(sAMAccountName=Temporary Web Admins)");
            assertEquals(0, group.getEntryCount(), "the group the previous test created is gone");
            SearchResult member = ldap.search(dc.names().domain(), SearchScope.SUB, "(member=" + dc.names().computer("PC02") + ")", "cn");
            assertEquals(0, member.getEntryCount(), "PC02 is in no group: " + member.getSearchEntries());
        }
        assertTrue(admin.templates().get("Web Server").securityDescriptor().rightsOf(admin.usersAndComputers().sidOf("Domain Admins"), true).contains(AccessRight.ENROLL),
                "Domain Admins hold Enroll on Web Server again");
        EnrollmentException denied = assertThrows(EnrollmentException.class,
                () -> pc02.requestCertificate(CertificateRequest.forTemplate(WEB_TEMPLATE).dnsNames("pc02.contoso.com")),
                "the CA no longer lets Domain Computers enroll for " + WEB_TEMPLATE);
        assertEquals(WindowsError.CERTSRV_E_TEMPLATE_DENIED, denied.error(), denied.getMessage());
    }

    @Test
    @Order(5)
    void aScenarioThatDoesNotApplyFailsEveryTestWithItsNarration() throws Exception {
        Path file = BrokenScenario.FILE;
        try {
            Files.writeString(file, """
                    name: broken
                    title: a template that was duplicated but never issued
                    lab: {computers: [{name: PC09}]}
                    steps:
                      - duplicate template: {template: Workstation Authentication, name: ConfigMgr Client Certificate}
                      - request certificate: {host: PC09, template: ConfigMgr Client Certificate}
                    """);
            TestExecutionSummary summary = run(BrokenScenario.class);

            assertEquals(1, summary.getContainersFailedCount(), "the class fails as a whole");
            assertEquals(0, summary.getTestsSucceededCount(), "no test ran");
            String message = summary.getFailures().get(0).getException().getMessage();
            assertTrue(message.contains("scenario broken (" + file.getFileName() + ") did not apply"), message);
            assertTrue(message.contains("[broken-scenario.yaml:6]") && message.contains("Code:   0x80094800")
                    && message.contains("NOT AS EXPECTED"), "the narration names the step, its code and what was expected: " + message);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    @Order(6)
    void aComputerParameterThatFitsTwoComputersFailsNamingThem() {
        TestExecutionSummary summary = run(TwoClients.class);

        assertEquals(1, summary.getTestsFailedCount());
        String message = summary.getFailures().get(0).getException().getMessage();
        assertTrue(message.contains("PC01, PC02") && message.contains("@Host(\"PC01\")"),
                "the error names both clients and how to pick one: " + message);
    }

    private static TestExecutionSummary run(Class<?> fixture) {
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        LauncherFactory.create().execute(request().selectors(selectClass(fixture)).build(), listener);
        return listener.getSummary();
    }

    /** Run only by the launcher above (Surefire leaves nested classes alone). */
    static class TwoClients {
        @RegisterExtension
        static final LabExtension LAB = LabExtension.builder().client("PC01").client("PC02").build();

        @Test
        void whichOne(DomainComputer computer) {
            assertNotNull(computer);
        }
    }

    /** Run only by the launcher above (Surefire leaves nested classes alone). */
    static class BrokenScenario {
        static final Path FILE = Path.of("target", "broken-scenario.yaml");

        @RegisterExtension
        static final LabExtension LAB = LabExtension.builder().scenario(FILE).build();

        @Test
        void neverRuns(Lab lab) {
            assertNotNull(lab);
        }
    }
}
