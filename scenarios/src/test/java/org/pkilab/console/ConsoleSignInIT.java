package org.pkilab.console;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.lab.Lab;
import org.pkilab.lab.LabSpec;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Signing in to the classroom console as a lab account, in a real browser, and what the console refuses without one. */
class ConsoleSignInIT {

    private static Lab lab;
    private static ClassroomConsole console;

    @BeforeAll
    static void start() {
        lab = Lab.start(LabSpec.builder().user("bob").build());
        console = ClassroomConsole.start(lab, null, 0);
    }

    @AfterAll
    static void stop() {
        if (console != null) {
            console.close();
        }
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void administratorSignsInWithThePasswordAndSeesTheConsoles() {
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            browser.open(console.url() + "/");
            browser.waitForText("Sign in to the lab");
            browser.screenshot("sign-in");
            browser.fill("User name", "Administrator");
            browser.fill("Password", lab.password());
            browser.clickText("Sign in");
            browser.waitForText("Active Directory");
            String page = browser.pageText();
            assertTrue(page.contains("CONTOSO\\Administrator (administrator)"), page);
            assertTrue(page.contains("Certification Authority") && page.contains("Certificate Templates"), page);
            assertEquals("Skip to content", browser.tab(1), "the first Tab from the top of a page");
            assertEquals("Sign out", browser.tab(1), "the second Tab");
            assertEquals("Active Directory", browser.tab(1), "the third Tab: the consoles' navigation");
        }
    }

    @Test
    void anAdministratorAdvancesTheLabClockAndAUserCannot() {
        java.time.Duration before = lab.clock().offset();
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            browser.signIn(console.url(), "bob", lab.password());
            browser.open(console.url() + "/run");
            browser.waitForText("Lab clock");
            assertTrue(browser.driver().findElements(org.openqa.selenium.By.xpath("//button[normalize-space(.)='Advance the clock']")).isEmpty(),
                    "bob is no Domain Admin, yet sees the clock's button:\n" + browser.mainText());
            java.util.List<?> forged = browser.forgePost("/run/clock", "period=2+days");
            assertEquals(403L, forged.get(0), String.valueOf(forged.get(1)));
            assertEquals(before, lab.clock().offset(), "bob's forged request moved the clock");
        }
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            browser.open(console.oneTimeLink());
            browser.open(console.url() + "/run");
            browser.fill("Advance the clock by", "2 days");
            browser.clickText("Advance the clock");
            browser.waitForText("The lab clock moved 2 days ahead");
            assertEquals(before.plusDays(2), lab.clock().offset());
            assertTrue(browser.pageText().contains(ConsolePage.CLOCK.format(lab.clock().instant()).substring(0, 10)), browser.pageText());
            browser.screenshot("run-clock");
        }
    }

    @Test
    void aWrongPasswordIsTheDomainControllersRefusalAndNoSession() {
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            browser.open(console.url() + "/login");
            browser.fill("User name", "CONTOSO\\bob");
            browser.fill("Password", "not-the-password");
            browser.clickText("Sign in");
            browser.waitForText("refused the sign-in");
            assertTrue(browser.mainText().contains("52e"), browser.mainText());
            browser.open(console.url() + "/ca");
            browser.waitForText("Sign in to the lab");
        }
    }

    @Test
    void aOneTimeLinkSignsInOnceOnly() {
        String link = console.oneTimeLink();
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            browser.open(link);
            browser.waitForText("Active Directory");
            assertTrue(browser.pageText().contains("Signed in as CONTOSO\\Administrator"), browser.pageText());
        }
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            browser.open(link);
            browser.waitForText("was used already");
        }
    }

    @Test
    void anActionWithoutTheAntiForgeryTokenOrFromAnotherSiteChangesNothing() throws Exception {
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        HttpResponse<String> signIn = http.send(HttpRequest.newBuilder(URI.create(console.url() + "/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("account=Administrator&password=" + java.net.URLEncoder.encode(lab.password(),
                        java.nio.charset.StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(303, signIn.statusCode(), signIn.body());
        String cookie = signIn.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        java.time.Instant before = lab.clock().instant();
        HttpResponse<String> forged = http.send(HttpRequest.newBuilder(URI.create(console.url() + "/run/clock")).header("Cookie", cookie)
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString("period=3+days"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, forged.statusCode(), forged.body());
        assertTrue(forged.body().contains("anti-forgery"), forged.body());
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(console.url() + "/run")).header("Cookie", cookie).build(),
                HttpResponse.BodyHandlers.ofString());
        java.util.regex.Matcher token = java.util.regex.Pattern.compile("name=\"csrf\" value=\"([0-9a-f]+)\"").matcher(page.body());
        assertTrue(token.find(), page.body());
        HttpResponse<String> crossSite = http.send(HttpRequest.newBuilder(URI.create(console.url() + "/run/clock")).header("Cookie", cookie)
                .header("Origin", "http://evil.example").header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("csrf=" + token.group(1) + "&period=3+days")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, crossSite.statusCode(), crossSite.body());
        assertTrue(crossSite.body().contains("came from another site (http://evil.example)"), crossSite.body());
        assertTrue(java.time.Duration.between(before, lab.clock().instant()).toHours() < 1, "the clock moved: " + lab.clock().instant());
    }
}
