package org.pkilab.scenario;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.cli.Cli;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code pkilab run} tells a student, from one run of a small lesson: each test reads the narration
 * of the step it is about ({@code [narration.yaml:<line>]}).
 */
class ScenarioNarrationTest {

    private static Cli.Result run;

    @BeforeAll
    static void runTheLesson(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("narration.yaml");
        Files.writeString(file, String.join("\n",
                "title: \"Lesson: what the lab says\"",                                                           // 1
                "name: narration",
                "lesson: true",
                "lab: {computers: [{name: PC01}, {name: IIS01, role: iis, dns: [server1.internal.contoso.com]}], users: [alice]}",
                "# the steps start on line 7",                                                                      // 5
                "steps:",
                "  - create gpo: {name: Autoenroll, autoenrollment: true}",
                "  - create group: Kiosk Users",
                "  - add member: {group: Kiosk Users, member: alice}",
                "  - gpupdate: PC01",                                                                               // 10
                "  - duplicate template: {template: Web Server, name: Denied Web}",
                "  - deny: {template: Denied Web, principal: Kiosk Users, rights: Enroll}",
                "  - add member: {group: Kiosk Users, member: IIS01$}",
                "  - issue template: Denied Web",
                "  - request certificate: {host: IIS01, template: Denied Web, dns: [server1.internal.contoso.com]}", // 15
                "    expect: {error: CERTSRV_E_TEMPLATE_DENIED}",
                "  - create group: Kiosk Users",
                "    expect: {error: LDAP 68}",
                "  - create group: Kiosk Users",
                "    expect: {error: LDAP 6}",                                                                      // 20
                ""));
        run = Cli.pkilab("run", file.toString());
    }

    /** The narration of the step on {@code line}, up to the next step. */
    private static String step(int line) {
        String out = run.out();
        int start = out.indexOf("[narration.yaml:" + line + "]");
        assertTrue(start >= 0, "no step at line " + line + ": " + out);
        int next = out.indexOf("  [narration.yaml:", start + 1);
        return out.substring(out.lastIndexOf('\n', start) + 1, next < 0 ? out.length() : out.lastIndexOf('\n', next));
    }

    @Test
    void anErrorMatchesTheCodeAsAValueNotAsText() {
        assertTrue(step(17).contains("\n    ok"), "LDAP 68 is the code of 'entry already exists': " + step(17));
        assertTrue(step(19).contains("NOT AS EXPECTED"), "LDAP 6 is not LDAP 68: " + step(19));
        assertEquals(1, run.exit(), run.toString());
    }

    @Test
    void theLdapCodeIsShownWhole() {
        assertTrue(step(17).contains("Code:   LDAP 68 entry already exists\n"), step(17));
    }

    @Test
    void yamlTrueEnablesAutoenrollment() {
        assertTrue(step(7).contains("Auto-Enrollment Enabled (AEPolicy = 7)"), step(7));
    }

    @Test
    void aComputerThatNeverRanIsSaidToBootFirst() {
        assertTrue(step(10).contains("PC01 had not started yet, so it starts first") && step(10).contains("AEPolicy 7"), step(10));
        assertTrue(step(15).contains("IIS01 had not started yet"), step(15));
    }

    @Test
    void aUsersNewGroupIsSaidToComeWithItsNextLogon() {
        assertTrue(step(9).contains("alice is now a member of Kiosk Users (a user's token carries it from their next logon)"), step(9));
        assertFalse(step(9).contains("restart"), step(9));
    }

    @Test
    void aDenyIsFixedByClearingItOrLeavingTheGroup() {
        String denied = step(15);
        assertTrue(denied.contains("To fix: on the template's Security tab clear Deny Enroll for CONTOSO\\Kiosk Users, or take CONTOSO\\IIS01$ out of "
                + "CONTOSO\\Kiosk Users"), denied);
        assertFalse(denied.contains("allow Enroll for a group"), "another Allow cannot beat a Deny: " + denied);
    }

    @Test
    void stepsAndTheHeaderSayEachWordOnce() {
        assertTrue(step(11).contains(" 5. duplicate template Web Server, name Denied Web  [narration.yaml:11]"), step(11));
        assertTrue(step(10).contains(" 4. gpupdate PC01  [narration.yaml:10]"), step(10));
        assertTrue(run.out().startsWith("Lesson narration: what the lab says\n"), run.out());
    }
}
