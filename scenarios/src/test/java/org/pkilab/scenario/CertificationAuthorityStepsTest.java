package org.pkilab.scenario;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.cli.Cli;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Certification Authority console's steps go to the CA's administration interface over HTTPS, as
 * {@code pkilab ca approve} does, so the CA checks the acting account's permission on its Security tab:
 * a plain user who approves or issues a template gets {@code 0x80070005 E_ACCESSDENIED}, and the
 * request stays pending for an administrator.
 */
class CertificationAuthorityStepsTest {

    private static Cli.Result run;

    @BeforeAll
    static void runTheScenario(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("approval.yaml");
        Files.writeString(file, String.join("\n",
                "name: approval-by-a-plain-user",                                                                   // 1
                "title: A plain user is no certificate manager",
                "lab: {computers: [{name: PC01}], users: [alice]}",
                "steps:",
                "  - duplicate template: {template: Workstation Authentication, name: Approved Client}",           // 5
                "  - allow: {template: Approved Client, principal: Domain Computers, rights: [Read, Autoenroll]}",
                "  - require approval: Approved Client",
                "  - issue template: {name: Approved Client, as: alice}",
                "    expect: {error: E_ACCESSDENIED}",
                "  - issue template: Approved Client",                                                              // 10
                "  - create gpo: {name: Autoenroll Certificates}",
                "  - restart: PC01",
                "  - approve pending: {host: PC01, as: alice}",
                "    expect: {error: 0x80070005}",
                "  - deny pending: {host: PC01, as: alice}",                                                        // 15
                "    expect: {error: E_ACCESSDENIED}",
                "  - approve pending: PC01",
                "  - advance clock: 8 hours",
                "  - check certificate: {host: PC01, template: Approved Client}",
                ""));
        run = Cli.pkilab("run", file.toString());
    }

    /** The narration of the step on {@code line}, up to the next step. */
    private static String step(int line) {
        String out = run.out();
        int start = out.indexOf("[approval.yaml:" + line + "]");
        assertTrue(start >= 0, "no step at line " + line + ": " + run);
        int next = out.indexOf("  [approval.yaml:", start + 1);
        return out.substring(out.lastIndexOf('\n', start) + 1, next < 0 ? out.length() : out.lastIndexOf('\n', next));
    }

    @Test
    void aPlainUserWhoApprovesGetsAccessDeniedNamingTheAccountAndThePermission() {
        String approve = step(13);
        assertTrue(approve.contains("Code:   0x80070005 E_ACCESSDENIED"), approve);
        assertTrue(approve.contains("CONTOSO\\alice may not approve requests") && approve.contains("'Issue and Manage Certificates'"), approve);
        assertTrue(approve.contains("\n    ok"), approve);
        assertTrue(step(15).contains("Code:   0x80070005 E_ACCESSDENIED") && step(15).contains("\n    ok"), step(15));
    }

    @Test
    void aPlainUserWhoIssuesATemplateNeedsManageCa() {
        assertTrue(step(8).contains("Code:   0x80070005 E_ACCESSDENIED") && step(8).contains("'Manage CA'"), step(8));
    }

    @Test
    void theRefusedApprovalLeavesTheRequestPendingForTheAdministrator() {
        assertTrue(step(17).matches("(?s).*request \\d+ issued by CONTOSO\\\\Administrator.*"), step(17));
        assertTrue(step(19).contains("Certificate Template: Approved Client") && step(19).contains("\n    ok"), step(19));
        assertEquals(0, run.exit(), run.toString());
    }
}
