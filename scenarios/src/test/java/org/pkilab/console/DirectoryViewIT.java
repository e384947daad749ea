package org.pkilab.console;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.pkilab.scenario.BuiltInScenarios;
import org.pkilab.scenario.ScenarioParser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Active Directory Users and Computers in a browser: the domain tree, a group's members and member-of with the nesting
 * drawn, and names a student typed shown as text, never as markup.
 */
class DirectoryViewIT {

    private static final String SCENARIO = """
            name: console-directory
            title: "Nested groups"
            lab:
              users: [bob]
            steps:
              - create group: Outer
              - create group: Inner
              - create group: "<b>R&D</b>"
              - add member: {group: Outer, member: Inner}
              - add member: {group: Inner, member: bob}
              - add member: {group: "<b>R&D</b>", member: bob}
            """;

    private static ConsoleLab lab;

    @BeforeAll
    static void start() throws Exception {
        lab = ConsoleLab.after(new ScenarioParser(BuiltInScenarios::text).parse("console-directory.yaml", SCENARIO));
    }

    @AfterAll
    static void stop() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void aGroupShowsItsMembersAndWhatItIsAMemberOfWithTheNestingDrawn() {
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            browser.open(lab.adminLink());
            browser.open(lab.url("/ad"));
            browser.clickText("Users");
            browser.waitForText("Security Group - Global");
            browser.screenshot("ad-users");
            browser.clickText("Outer");
            browser.waitForText("Members");
            String outer = browser.mainText();
            assertTrue(outer.matches("(?s).*Members\\s+Inner Security Group - Global\\s+bob User.*"), "Outer's members, Inner's below it:\n" + outer);
            browser.screenshot("ad-group-nesting");

            browser.open(lab.url("/ad/object?dn=" + java.net.URLEncoder.encode("CN=bob,CN=Users,DC=contoso,DC=com", java.nio.charset.StandardCharsets.UTF_8)));
            browser.waitForText("Member Of");
            String bob = browser.mainText();
            assertTrue(bob.matches("(?s).*Member Of\\s+.*Inner\\s+Outer.*"), "bob is in Inner, Inner in Outer:\n" + bob);
            assertTrue(bob.contains("CONTOSO\\Outer") && bob.contains("CONTOSO\\Inner"), "bob's token at his next logon holds both:\n" + bob);
        }
    }

    @Test
    void aNameWithMarkupIsShownAsText() {
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            browser.open(lab.adminLink());
            browser.open(lab.url("/ad?dn=" + java.net.URLEncoder.encode("CN=Users,DC=contoso,DC=com", java.nio.charset.StandardCharsets.UTF_8)));
            browser.waitForText("<b>R&D</b>");
            assertEquals(0, browser.driver().findElements(By.cssSelector("main b")).size(), "a <b> element came from a group's name");
            browser.clickText("<b>R&D</b>");
            browser.waitForText("Members");
            assertTrue(browser.mainText().contains("bob"), browser.mainText());
        }
    }

    @Test
    void aDistinguishedNameOutsideTheDomainOrMalformedIsRefusedPlainly() {
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            browser.open(lab.adminLink());
            browser.open(lab.url("/ad/object?dn=CN%3DSchema%2CCN%3DConfiguration%2CDC%3Dfabrikam%2CDC%3Dcom"));
            browser.waitForText("is not in DC=contoso,DC=com");
            browser.open(lab.url("/ad/object?dn=not%20a%20dn"));
            browser.waitForText("is not a distinguished name");
            browser.open(lab.url("/ad/object?dn=CN%3Dnobody%2CCN%3DUsers%2CDC%3Dcontoso%2CDC%3Dcom"));
            browser.waitForText("There is no object CN=nobody,CN=Users,DC=contoso,DC=com");
        }
    }
}
