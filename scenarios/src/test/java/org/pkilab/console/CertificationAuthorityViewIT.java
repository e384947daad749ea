package org.pkilab.console;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.pkilab.ca.RequestRecord;
import org.pkilab.ca.RequestStatus;
import org.pkilab.scenario.BuiltInScenarios;
import org.pkilab.scenario.ScenarioParser;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Certification Authority console in a browser: an administrator issues a pending request and the computer's
 * store gains the certificate after a restart; a user who is no certificate manager sees no actions, and an action it
 * forges anyway is the CA's own refusal and changes nothing.
 */
class CertificationAuthorityViewIT {

    private static final String SCENARIO = """
            name: console-approval
            title: "A template that requires approval, PC01's request pending"
            lab:
              computers:
                - {name: PC01, role: client}
              users: [bob]
            steps:
              - duplicate template: {template: Workstation Authentication, name: ConfigMgr Client Certificate}
              - allow: {template: ConfigMgr Client Certificate, principal: Domain Computers, rights: [Read, Enroll, Autoenroll]}
              - require approval: ConfigMgr Client Certificate
              - issue template: ConfigMgr Client Certificate
              - create gpo: {name: Autoenroll Certificates}
              - restart: PC01
              - check certificate: {host: PC01, template: ConfigMgr Client Certificate}
                expect: {error: CR_DISP_UNDER_SUBMISSION}
            """;

    private static ConsoleLab lab;

    @BeforeAll
    static void start() throws Exception {
        lab = ConsoleLab.after(new ScenarioParser(BuiltInScenarios::text).parse("console-approval.yaml", SCENARIO));
    }

    @AfterAll
    static void stop() {
        if (lab != null) {
            lab.close();
        }
    }

    private static RequestRecord pc01Request() {
        List<RequestRecord> all = lab.lab().ca().requests(0, 100, RequestStatus.values());
        return all.stream().filter(r -> r.template() != null && r.template().replace(" ", "").equalsIgnoreCase("ConfigMgrClientCertificate")).reduce((a, b) -> b).orElseThrow();
    }

    @Test
    void anAdministratorIssuesThePendingRequestAndTheComputerHasItAfterARestart() {
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            browser.open(lab.adminLink());
            browser.open(lab.url("/ca"));
            browser.clickText("Pending Requests");
            long id = pc01Request().requestId();
            browser.waitForText("CONTOSO\\PC01$");
            browser.screenshot("ca-pending");
            browser.clickText("Issue request " + id);
            browser.waitForText("Request " + id + ": ");
            assertTrue(browser.mainText().contains("Issued Certificates"), browser.mainText());
            browser.screenshot("ca-issued");
            assertEquals(RequestStatus.ISSUED, pc01Request().status(), "the request in the CA database after Issue");

            browser.open(lab.url("/hosts/host?name=PC01"));
            browser.waitForText("Certificate Enrollment Requests");
            assertTrue(personalRows(browser).stream().noneMatch(r -> r.contains("ConfigMgr Client Certificate")),
                    "PC01's Personal store before its restart: " + personalRows(browser));
            browser.clickText("Restart");
            browser.waitForText("PC01 restarted");
            browser.screenshot("host-events-after-restart");
            browser.clickText("Certificates");
            browser.waitForText("Personal > Certificates");
            assertTrue(personalRows(browser).stream().anyMatch(r -> r.contains("ConfigMgr Client Certificate")),
                    "PC01's Personal store after its restart: " + personalRows(browser));
            browser.screenshot("host-after-restart");

            // the instructor revokes it in the CA console, publishes a CRL, and the computer's certification path turns revoked
            RequestRecord issued = pc01Request();
            String thumbprint = lab.lab().computer("PC01").personal().certificates().stream()
                    .filter(c -> c.certificate().getSerialNumber().equals(issued.serial())).findFirst().orElseThrow().thumbprint();
            browser.open(lab.url(CertificateDialog.path("PC01", "My", thumbprint, "path")));
            browser.waitForText("This certificate is OK.");
            browser.open(lab.url("/ca?folder=issued"));
            new org.openqa.selenium.support.ui.Select(browser.field("Reason code for request " + id)).selectByValue("keyCompromise");
            assertEquals("keyCompromise", browser.field("Reason code for request " + id).getDomProperty("value"), "the reason chosen");
            browser.screenshot("ca-revoke-reason");
            browser.clickText("Revoke request " + id);
            browser.waitForText("revoked (keyCompromise)");
            browser.clickText("Publish CRL");
            browser.waitForText("Published a new CRL");
            browser.screenshot("ca-revoked");
            browser.open(lab.url(CertificateDialog.path("PC01", "My", thumbprint, "path")));
            browser.clickText("Delete cached CRLs");
            browser.waitForText("This certificate has been revoked by its certification authority.");
            assertTrue(browser.mainText().contains("0x80092010"), browser.mainText());
            browser.screenshot("certificate-path-revoked-after-ca");
        }
    }

    /** The rows of the Personal store's table, as the Certificates snap-in lists them. */
    private static List<String> personalRows(ConsoleBrowser browser) {
        return browser.driver().findElements(By.xpath("//table[caption[starts-with(normalize-space(.), 'Personal')]]/tbody/tr")).stream()
                .map(org.openqa.selenium.WebElement::getText).toList();
    }

    @Test
    void aUserWhoIsNoCertificateManagerSeesNoActionsAndAForgedIssueIsTheCasRefusal() {
        RequestRecord before = pc01Request();
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            browser.signIn(lab.url(""), "bob", lab.password());
            browser.open(lab.url("/ca?folder=pending"));
            browser.waitForText("neither Manage CA nor Issue and Manage Certificates");
            String page = browser.mainText();
            assertTrue(page.contains("0x80070005"), "the CA's refusal to list requests to bob: " + page);
            assertTrue(browser.driver().findElements(By.xpath("//button[starts-with(normalize-space(.), 'Issue request')]")).isEmpty(), page);
            assertTrue(browser.driver().findElements(By.xpath("//button[normalize-space(.)='Publish CRL']")).isEmpty(), page);
            browser.screenshot("ca-non-admin");

            List<?> answer = browser.forgePost("/ca/issue", "id=" + before.requestId());
            assertEquals(403L, answer.get(0), String.valueOf(answer.get(1)));
            assertTrue(String.valueOf(answer.get(1)).contains("0x80070005"), String.valueOf(answer.get(1)));
            assertTrue(String.valueOf(answer.get(1)).contains("CONTOSO\\bob"), String.valueOf(answer.get(1)));
        }
        assertEquals(before.status(), pc01Request().status(), "the forged Issue changed the request");
    }
}
