package org.pkilab.console;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.pkilab.admin.CaAdminClient;
import org.pkilab.ca.RevocationReason;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.host.DomainComputer;
import org.pkilab.host.StoredCertificate;
import org.pkilab.lab.Lab;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Computers console in Chromium, on a lab after the configmgr scenario: IIS01's Personal store as the Certificates
 * snap-in lists it, its IIS binding, the certificate dialog's tabs, the Certification Path turning revoked once the
 * computer fetches the CRL the CA published, a restart by an administrator with the autoenrollment it runs, and a
 * student without administrator rights who neither sees nor can forge one. The tests run in order: the revocation
 * changes what IIS01's dialog shows for the ones after it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ComputersViewIT {

    private static final String WEB_TEMPLATE = "ConfigMgr Web Server Certificate";
    private static ConsoleLab lab;

    @BeforeAll
    static void start() throws Exception {
        lab = ConsoleLab.after("configmgr");
    }

    @AfterAll
    static void stop() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    @Order(1)
    void theWebServersStoreBindingAndCertificateDialogShowWhatWindowsShows() {
        StoredCertificate web = webServerCertificate();
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            browser.open(lab.adminLink());
            browser.clickText("Computers");
            waitForText(browser, "Computers of the lab");
            String list = browser.mainText();
            assertTrue(list.contains("iis01.contoso.com") && list.contains("member server with IIS") && list.contains("PC01"), list);
            browser.screenshot("hosts-list");

            browser.clickText("IIS01");
            waitForText(browser, "Personal > Certificates (LocalMachine\\My)");
            String store = browser.mainText();
            assertTrue(store.contains(WEB_TEMPLATE) && store.contains("Server Authentication") && store.contains(lab.lab().ca().name()),
                    "IIS01's Personal store should list the web server certificate with its template:\n" + store);
            assertTrue(store.contains("Trusted Root Certification Authorities"), store);
            scrollTo(browser, "nav.tabs");
            browser.screenshot("host-certificates");

            browser.clickText("IIS");
            waitForText(browser, "Site Bindings of Default Web Site");
            String iis = browser.mainText();
            assertTrue(iis.contains(lab.lab().iis("IIS01").boundThumbprint()), "the https binding names its certificate's thumbprint:\n" + iis);
            assertTrue(iis.matches("(?s).*Client certificates\\s+Require.*"), "the management point requires client certificates:\n" + iis);
            scrollTo(browser, "nav.tabs");
            browser.screenshot("host-iis");

            browser.clickText("Certificates");
            waitForText(browser, "Personal > Certificates");
            browser.driver().findElement(By.xpath("//a[contains(@href, 'thumbprint=" + web.thumbprint() + "')]")).click();
            waitForText(browser, "Certificate Information");
            String general = browser.mainText();
            assertTrue(general.contains("Ensures the identity of a remote computer"), general);
            assertTrue(general.contains("You have a private key that corresponds to this certificate."), general);
            assertTrue(general.matches("(?s).*Issued by\\s+" + lab.lab().ca().name() + ".*"), general);
            scrollTo(browser, "nav.tabs");
            browser.screenshot("certificate-general");

            browser.clickText("Details");
            waitForText(browser, "Certificate Template Information");
            String details = browser.mainText();
            for (String expected : List.of("1.3.6.1.4.1.311.21.7", "Template=" + WEB_TEMPLATE, "DNS Name=server1.internal.contoso.com",
                    "DNS Name=server.contoso.com", "Server Authentication (1.3.6.1.5.5.7.3.1)", "CRL Distribution Points", "URL=http://",
                    "Authority Information Access", "Key Usage", "sha256RSA", web.thumbprint().toLowerCase(java.util.Locale.ROOT))) {
                assertTrue(details.contains(expected), "the Details tab should show '" + expected + "':\n" + details);
            }
            scrollTo(browser, "nav.tabs");
            browser.screenshot("certificate-details");
        }
    }

    @Test
    @Order(2)
    void theCertificationPathTurnsRevokedOnceTheComputerFetchesTheNewCrl() {
        StoredCertificate web = webServerCertificate();
        String dialog = lab.url(CertificateDialog.path("IIS01", "My", web.thumbprint(), "path"));
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            browser.open(lab.adminLink());
            browser.open(dialog);
            waitForText(browser, "Certificate status");
            String ok = browser.mainText();
            assertTrue(ok.contains(lab.lab().ca().name()) && ok.contains("server1.internal.contoso.com"), ok);
            assertFalse(ok.contains("revoked"), "nothing is revoked yet:\n" + ok);
            assertEquals(3, count(ok, CertificationPath.OK), "the root and IIS01's certificate are OK, in the table and as the status:\n" + ok);
            scrollTo(browser, "nav.tabs");
            browser.screenshot("certificate-path-ok");

            Lab l = lab.lab();
            CaAdminClient ca = CaAdminClient.connect(l.admin(), l.ca().name(), "127.0.0.1", l.dc().administratorDn(), l.password());
            ca.revoke(web.certificate().getSerialNumber().toString(16), RevocationReason.KEY_COMPROMISE);

            browser.open(dialog);
            waitForText(browser, "Certificate status");
            String cached = browser.mainText();
            assertFalse(cached.contains("has been revoked by its certification authority"),
                    "IIS01 still holds the CRL it fetched before the revocation:\n" + cached);
            assertTrue(cached.contains("still checks with the older CRL in its cache") && cached.contains("certutil -urlcache CRL delete"),
                    "the tab should say the CA's newer CRL lists it and how to fetch it:\n" + cached);

            browser.clickText("Delete cached CRLs");
            waitForText(browser, "This certificate has been revoked by its certification authority.");
            String revoked = browser.mainText();
            assertTrue(revoked.contains("0x80092010 CRYPT_E_REVOKED"), "the leaf's status names Windows' code:\n" + revoked);
            assertTrue(revoked.contains("certutil -urlcache CRL delete on IIS01"), "the action's message:\n" + revoked);
            assertEquals(1, count(revoked, CertificationPath.OK), "the root stays OK:\n" + revoked);
            scrollTo(browser, "nav.tabs");
            browser.screenshot("certificate-path-revoked");
        }
    }

    @Test
    @Order(3)
    void anAdministratorsRestartRenewsTheTokenAndRunsAutoenrollment() {
        Lab l = lab.lab();
        DomainComputer pc01 = l.computer("PC01");
        l.admin().usersAndComputers().createGroup("Classroom Computers");
        l.admin().usersAndComputers().addMember("Classroom Computers", "PC01$");
        // deleted in the snap-in: autoenrollment enrolls again at the restart
        StoredCertificate client = pc01.personal().certificates().stream().filter(c -> "ConfigMgr Client Certificate".equals(c.certificateTemplate()))
                .findFirst().orElseThrow(() -> new AssertionError("PC01 holds no ConfigMgr Client Certificate:\n" + pc01.personal().certificates()));
        pc01.personal().remove(client.thumbprint());
        int received = pc01.eventLog().events(19).size();
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            browser.open(lab.adminLink());
            browser.open(lab.url(ComputersView.hostPath("PC01", "token")));
            waitForText(browser, "After a restart it would hold");
            assertTrue(browser.mainText().contains("CONTOSO\\Classroom Computers in addition"), browser.mainText());
            scrollTo(browser, "nav.tabs");
            browser.screenshot("host-token");

            browser.clickText("Restart");
            waitForText(browser, "PC01 restarted");
            String events = browser.mainText();
            assertEquals(received + 1, pc01.eventLog().events(19).size(), "PC01 autoenrolled once at its restart:\n" + pc01.eventLog());
            assertTrue(events.contains("(" + pc01.eventLog().events().size() + " events)"), events);
            assertTrue(events.contains("Autoenrollment for Local system successfully received a ConfigMgr Client Certificate")
                    || events.contains("successfully received a ConfigMgr Client Certificate"), events);
            assertTrue(events.contains("CertificateServicesClient-AutoEnrollment"), events);
            scrollTo(browser, "nav.tabs");
            browser.screenshot("host-events");

            browser.clickText("Logon token");
            waitForText(browser, "a restart would change nothing in its token");
            assertTrue(pc01.token().memberOf("Classroom Computers"), "PC01's new token: " + pc01.token().groupNames());

            browser.clickText("Delete cached OCSP answers");
            waitForText(browser, "certutil -urlcache OCSP delete on PC01:");
            assertTrue(browser.mainText().contains("asks it again"), browser.mainText());
        }
    }

    @Test
    @Order(4)
    void aStudentSeesNoRestartAndAForgedOneIsRefused() {
        DomainComputer pc01 = lab.lab().computer("PC01");
        LogonToken before = pc01.token();
        int events = pc01.eventLog().events().size();
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            browser.signIn(lab.url(""), "Alice", lab.password());
            browser.open(lab.url("/hosts"));
            waitForText(browser, "Computers of the lab");
            browser.clickText("PC01");
            waitForText(browser, "CONTOSO\\Alice may not open PC01's certificate stores");
            assertFalse(browser.mainText().contains("Personal > Certificates"), "Alice reads PC01's store:\n" + browser.mainText());
            assertTrue(browser.driver().findElements(By.xpath("//button[normalize-space(.)='Restart' or normalize-space(.)='Delete cached CRLs' or normalize-space(.)='Delete cached OCSP answers']")).isEmpty(),
                    "CONTOSO\\Alice is no Domain Admin: no Restart button\n" + browser.mainText());
            browser.screenshot("host-non-admin");

            List<?> answer = post(browser, "/hosts/restart", "name=PC01");
            assertEquals(403L, answer.get(0), String.valueOf(answer.get(1)));
            String message = String.valueOf(answer.get(1));
            assertTrue(message.contains("CONTOSO\\Alice may not restart PC01") && message.contains("Domain Admins"), message);
            assertSame(before, pc01.token(), "PC01 did not log on again");
            List<?> ocsp = post(browser, "/hosts/refresh-ocsp", "name=PC01");
            assertEquals(403L, ocsp.get(0), String.valueOf(ocsp.get(1)));
            assertTrue(String.valueOf(ocsp.get(1)).contains("may not delete the OCSP answers PC01 cached"), String.valueOf(ocsp.get(1)));
            assertEquals(events, pc01.eventLog().events().size(), "PC01's event log did not change:\n" + pc01.eventLog());
        }
    }

    @Test
    @Order(5)
    void aComputersCertificateCarriesItsSidAndAMacShowsItsKeychain() {
        DomainComputer pc01 = lab.lab().computer("PC01");
        StoredCertificate client = pc01.personal().certificates().stream().filter(c -> "ConfigMgr Client Certificate".equals(c.certificateTemplate()))
                .findFirst().orElseThrow(() -> new AssertionError("PC01 holds no ConfigMgr Client Certificate:\n" + pc01.eventLog()));
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            browser.open(lab.adminLink());
            browser.open(lab.url(CertificateDialog.path("PC01", "My", client.thumbprint(), "details")));
            waitForText(browser, "Details of pc01.contoso.com");
            String details = browser.mainText();
            assertTrue(details.contains("1.3.6.1.4.1.311.25.2") && details.contains("Other Name:SID=" + pc01.token().sid()),
                    "the SID extension names PC01$'s SID " + pc01.token().sid() + ":\n" + details);

            browser.open(lab.url(ComputersView.hostPath("MAC01", "certificates")));
            waitForText(browser, "Keychain Access: System keychain");
            StoredCertificate mac = lab.lab().mac("MAC01").keychain().certificates().get(0);
            assertTrue(browser.mainText().contains(mac.issuedTo() + " " + lab.lab().ca().name()) && browser.mainText().contains(mac.certificateTemplate()),
                    browser.mainText());
        }
    }

    @Test
    @Order(7)
    void anUnknownComputerOrThumbprintIsNotFound() {
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            browser.open(lab.adminLink());
            waitForText(browser, "Active Directory");
            List<?> host = get(browser, ComputersView.hostPath("NOPE01", "certificates"));
            assertEquals(404L, host.get(0));
            assertTrue(String.valueOf(host.get(1)).contains("There is no computer NOPE01 in this lab; it has"), String.valueOf(host.get(1)));
            List<?> certificate = get(browser, CertificateDialog.path("IIS01", "My", "00FF", "general"));
            assertEquals(404L, certificate.get(0));
            assertTrue(String.valueOf(certificate.get(1)).contains("There is no certificate with thumbprint 00FF in LocalMachine\\My of IIS01"),
                    String.valueOf(certificate.get(1)));
        }
    }

    @Test
    @Order(6)
    void aRestartFetchesTheCertificateACertificateManagerApproved() {
        Lab l = lab.lab();
        DomainComputer pc01 = l.computer("PC01");
        String template = "ConfigMgr Client Certificate";
        l.admin().templates().setRequiresApproval(template, true);
        pc01.personal().certificates().stream().filter(c -> template.equals(c.certificateTemplate())).forEach(c -> pc01.personal().remove(c.thumbprint()));
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            browser.open(lab.adminLink());
            browser.open(lab.url(ComputersView.hostPath("PC01", "certificates")));
            browser.clickText("Restart");
            waitForText(browser, "PC01 restarted");
            assertEquals(1, pc01.pendingEnrollments().size(), "PC01's request waits for a certificate manager:\n" + pc01.eventLog());
            long id = pc01.pendingEnrollments().get(0).requestId();
            browser.clickText("Certificates");
            waitForText(browser, "Certificate Enrollment Requests");
            assertTrue(browser.mainText().contains(id + " " + template), "the pending request is listed:\n" + browser.mainText());
            scrollTo(browser, "nav.tabs");
            browser.screenshot("host-pending");

            CaAdminClient.connect(l.admin(), l.ca().name(), "127.0.0.1", l.dc().administratorDn(), l.password()).approve(id);
            browser.clickText("Restart");
            waitForText(browser, "PC01 restarted");
            assertTrue(pc01.pendingEnrollments().isEmpty(), "autoenrollment fetched request " + id + " at the restart:\n" + pc01.eventLog());
            assertTrue(browser.mainText().contains("successfully received a " + template + " certificate, request ID " + id),
                    "event 19 names the approved request:\n" + browser.mainText());
            assertTrue(pc01.personal().certificates().stream().anyMatch(c -> template.equals(c.certificateTemplate())), pc01.personal().certificates().toString());
        } finally {
            l.admin().templates().setRequiresApproval(template, false);
        }
    }

    private static StoredCertificate webServerCertificate() {
        return lab.lab().computer("IIS01").personal().certificates().stream().filter(c -> WEB_TEMPLATE.equals(c.certificateTemplate())).findFirst()
                .orElseThrow(() -> new AssertionError("IIS01 holds no " + WEB_TEMPLATE + " certificate"));
    }

    private static List<?> post(ConsoleBrowser browser, String path, String form) {
        return browser.forgePost(path, form);
    }

    private static List<?> get(ConsoleBrowser browser, String path) {
        return (List<?>) browser.driver().executeAsyncScript("const done = arguments[arguments.length - 1];"
                + "fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.text().then(t => done([r.status, t])), e => done([0, String(e)]));", path);
    }

    /**
     * {@link ConsoleBrowser#waitForText}, also across a page load: after a click that posts a form and follows the redirect,
     * the {@code <main>} it reads can be replaced while it reads it.
     */
    private static void waitForText(ConsoleBrowser browser, String text) {
        try {
            new WebDriverWait(browser.driver(), Duration.ofSeconds(10)).ignoring(StaleElementReferenceException.class)
                    .until(d -> browser.mainText().contains(text));
        } catch (org.openqa.selenium.TimeoutException e) {
            throw new AssertionError("'" + text + "' did not appear on " + browser.driver().getCurrentUrl() + " within 10 s; the page shows:\n"
                    + browser.mainText());
        }
    }

    /** Brings {@code selector}'s element to the top of the window, so a screenshot shows the tab's content rather than the header. */
    private static void scrollTo(ConsoleBrowser browser, String selector) {
        browser.driver().executeScript("document.querySelector(arguments[0]).scrollIntoView({block: 'start'});", selector);
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }
}
