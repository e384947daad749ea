package org.pkilab.console;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.pkilab.scenario.BuiltInScenarios;
import org.pkilab.scenario.Scenario;
import org.pkilab.scenario.ScenarioParser;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Certificate Templates console in Chromium: the list, each Properties tab, and the Security tab's effective access,
 * on a lab where bob is in Inner, Inner is in Outer, and Outer is denied Enroll on "Contoso User": bob's Enroll reads
 * Deny, decided by Outer's entry, held through Inner, as the CA decides when bob asks; and Domain Users may write the
 * template, which the audit finds (ESC4).
 */
class TemplatesViewIT {

    private static final String NESTED_DENY = """
            name: console-nested-deny
            title: "A nested group's Deny on a template"
            lab:
              computers:
                - {name: PC01, role: client}
              users: [bob]
            steps:
              - create group: Outer
              - create group: Inner
              - add member: {group: Outer, member: Inner}
              - add member: {group: Inner, member: bob}
              - duplicate template: {template: User, name: Contoso User}
              - allow: {template: Contoso User, principal: Domain Users, rights: [Read, Enroll]}
              - deny: {template: Contoso User, principal: Outer, rights: [Enroll]}
              - allow: {template: Contoso User, principal: Domain Users, rights: [Write]}
              - issue template: Contoso User
              - request certificate: {host: PC01, user: bob, template: Contoso User}
                expect: {error: CERTSRV_E_TEMPLATE_DENIED}
            """;
    private static final String BOB_ENROLL = "Deny — Deny Enroll to CONTOSO\\Outer, which bob holds through CONTOSO\\Inner";

    private static ConsoleLab lab;

    @BeforeAll
    static void start() throws Exception {
        Scenario scenario = new ScenarioParser(BuiltInScenarios::text).parse("console-nested-deny.yaml", NESTED_DENY);
        lab = ConsoleLab.after(scenario);
    }

    @AfterAll
    static void stop() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void securityTabShowsANestedGroupsEffectiveDenyWithTheDecidingEntryAndThePath() {
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            browser.open(lab.adminLink());
            browser.clickText("Certificate Templates");
            browser.waitForText("Template Display Name");
            browser.screenshot("templates-list");
            browser.clickText("Contoso User");
            browser.waitForText("Template display name");
            assertTrue(browser.mainText().contains("msPKI-Enrollment-Flag 0x"), "the General tab shows no raw msPKI-Enrollment-Flag:\n" + browser.mainText());
            browser.screenshot("template-general");
            browser.clickText("Security");
            browser.waitForText("Effective access");
            String permissions = row(browser, "Permissions for Contoso User", "CONTOSO\\Outer").getText();
            assertTrue(permissions.contains("Deny"), "the Security tab does not show Outer's Deny: " + permissions);
            WebElement bob = row(browser, "Effective access on Contoso User", "CONTOSO\\bob");
            assertTrue(bob.getText().contains(BOB_ENROLL), "bob's effective Enroll on Contoso User is not Outer's Deny through Inner: " + bob.getText());
            assertTrue(bob.getText().contains("Allow — Allow Read to NT AUTHORITY\\Authenticated Users, which every signed-in account holds"), "bob's Read on Contoso User: " + bob.getText());
            assertTrue(bob.getText().contains("Allow — Allow Write to CONTOSO\\Domain Users, which bob holds as a direct member (its primary group)"),
                    "bob's Write on Contoso User: " + bob.getText());
            String esc4 = row(browser, "Audit findings on Contoso User", "ESC4 CRITICAL").getText();
            assertTrue(esc4.contains("CONTOSO\\Domain Users"), "the audit's ESC4 on Contoso User does not name Domain Users: " + esc4);
            browser.screenshot("template-security-permissions");
            browser.driver().executeScript("arguments[0].scrollIntoView({block: 'center'})", bob);
            browser.screenshot("template-security");
        }
    }

    @Test
    void anAccountTypedIntoTheFormIsResolvedAndAnUnknownOneIsNamed() {
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            browser.open(lab.adminLink());
            browser.open(lab.url(TemplatesView.href("ContosoUser", "security")));
            browser.fill("Check effective access for account", "CONTOSO\\bob");
            browser.clickText("Check");
            browser.waitForText("Effective access of CONTOSO\\bob");
            assertTrue(row(browser, "Effective access of CONTOSO\\bob on Contoso User", "CONTOSO\\bob").getText().contains(BOB_ENROLL), browser.mainText());
            browser.fill("Check effective access for account", "Inner");
            browser.clickText("Check");
            browser.waitForText("Effective access of CONTOSO\\Inner");
            String inner = row(browser, "Effective access of CONTOSO\\Inner on Contoso User", "CONTOSO\\Inner").getText();
            assertTrue(inner.contains("Deny — Deny Enroll to CONTOSO\\Outer, which Inner holds as a direct member"), "Inner's Enroll: " + inner);
            browser.fill("Check effective access for account", "bob*)(cn=*");
            browser.clickText("Check");
            browser.waitForText("No account, group or computer named 'bob*)(cn=*'");
            assertFalse(browser.mainText().contains("Effective access of"), "an LDAP filter typed as a name matched accounts:\n" + browser.mainText());
        }
    }

    @Test
    void everyTabOpensAndAnUnknownTemplateNamesTheNearestOnes() {
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            browser.open(lab.adminLink());
            String[][] tabs = {{"compatibility", "Certificate recipient"}, {"request-handling", "Allow private key to be exported"},
                    {"cryptography", "Minimum key size"}, {"subject-name", "Build from this Active Directory information"},
                    {"issuance-requirements", "CA certificate manager approval"}, {"superseded", "Superseded Templates of Contoso User"},
                    {"extensions", "Application Policies"}};
            for (String[] tab : tabs) {
                browser.open(lab.url(TemplatesView.href("ContosoUser", tab[0])));
                browser.waitForText(tab[1]);
                browser.screenshot("template-" + tab[0]);
            }
            browser.open(lab.url(TemplatesView.href("Contoso User", "no-such-tab")));
            browser.waitForText("Template display name");
            browser.open(lab.url(TemplatesView.href("Contoso Usr", null)));
            browser.waitForText("There is no certificate template named 'Contoso Usr'");
            assertTrue(browser.mainText().contains("The nearest names: Contoso User (ContosoUser)"), browser.mainText());
            browser.screenshot("template-not-found");
        }
    }

    @Test
    void aNonAdministratorReadsTheTemplatesListAndItsOwnEffectiveDeny() {
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            browser.signIn(lab.url(""), "bob", lab.password());
            browser.open(lab.url("/templates"));
            browser.waitForText("Template Display Name");
            String list = browser.mainText();
            assertTrue(list.contains("Contoso User") && list.contains("Web Server"), "bob does not see the templates:\n" + list);
            assertTrue(browser.pageText().contains("Signed in as CONTOSO\\bob") && !browser.pageText().contains("(administrator)"), browser.pageText());
            browser.clickText("Contoso User");
            browser.clickText("Security");
            browser.waitForText("Effective access");
            String own = row(browser, "Effective access on Contoso User", "CONTOSO\\bob").getText();
            assertTrue(own.contains(BOB_ENROLL), "bob reading his own effective access on Contoso User: " + own);
            browser.screenshot("template-security-as-bob");
        }
    }

    /** The row of the table whose caption starts with {@code caption} whose first cell is {@code firstCell}. */
    private static WebElement row(ConsoleBrowser browser, String caption, String firstCell) {
        String xpath = "//table[caption[starts-with(normalize-space(.), " + literal(caption) + ")]]//tr[td[1][normalize-space(.)=" + literal(firstCell) + "]]";
        return browser.driver().findElements(By.xpath(xpath)).stream().findFirst().orElseThrow(() -> new AssertionError(
                "no row '" + firstCell + "' in the table '" + caption + "'; the page shows:\n" + browser.mainText()));
    }

    private static String literal(String text) {
        if (text.contains("'")) {
            throw new IllegalArgumentException("a quote in " + text);
        }
        return "'" + text + "'";
    }
}
