package org.pkilab.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.audit.Audit;
import org.pkilab.audit.AuditReport;
import org.pkilab.audit.DirectoryAuditLoader;
import org.pkilab.audit.EscClass;
import org.pkilab.cli.Cli;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.directory.model.TemplateFlags;
import org.pkilab.lab.Lab;
import org.pkilab.lab.LabControl;
import org.pkilab.lab.LabSpec;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code pkilab audit} against a running lab: the lab as it starts has no finding; an administrator's mistake (a
 * duplicate of User with "Supply in the request", open to Domain Users and issued) is found as ESC1 in every format,
 * with the accounts that may exploit it; {@code --explain} says why; a lab that is not there is exit code 2.
 */
class AuditCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static Lab lab;

    @BeforeAll
    static void startLab() {
        lab = Lab.start(LabSpec.builder().user("alice").build());
    }

    @AfterAll
    static void stopLab() {
        if (lab != null) {
            lab.close();
        }
    }

    private static Cli.Result audit(String... args) {
        List<String> all = new ArrayList<>(List.of("audit"));
        all.addAll(List.of(args));
        all.addAll(List.of("--ldap", lab.dc().ldapUrl(), "--user", "Administrator", "--password", lab.password()));
        return Cli.pkilab(all.toArray(new String[0]));
    }

    /** The administrator's mistake, as made in the Certificate Templates console; undone by the test that makes it. */
    private static String makeEsc1Template() {
        var t = lab.admin().templates().duplicate("User", "Audit ESC1 User", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        lab.admin().templates().setSubjectNameFlags(t.name(), TemplateFlags.CertificateName.ENROLLEE_SUPPLIES_SUBJECT);
        lab.admin().security().allow(t.name(), "Domain Users", AccessRight.READ, AccessRight.ENROLL);
        lab.ca().issueTemplate(t.name());
        return t.name();
    }

    @Test
    void freshLabHasNoFindingAndEveryClassSaysWhy() throws Exception {
        AuditReport report = Audit.run(DirectoryAuditLoader.load(lab));
        assertEquals(List.of(), report.findings().stream().filter(f -> !f.object().startsWith("AuditESC1")).toList(),
                "the lab as it starts: " + report.findings());
        assertTrue(report.notFound().get(EscClass.ESC8).contains("accepts NTLM"), report.notFound().get(EscClass.ESC8));
        assertEquals(List.of(), report.assumptions(), "a scenario's lab reads its CA's and DC's registry: nothing is assumed");
        AuditReport directoryOnly = Audit.run(DirectoryAuditLoader.load(lab, DirectoryAuditLoader.CA_DEFAULTS, DirectoryAuditLoader.MAPPING_DEFAULT));
        assertTrue(directoryOnly.assumptions().stream().anyMatch(a -> a.contains("registry settings")), directoryOnly.assumptions().toString());
    }

    @Test
    void esc1TemplateIsFoundInJsonSarifAndTableAndExplained() throws Exception {
        String name = makeEsc1Template();
        try {
            Cli.Result json = audit("--format", "json");
            assertEquals(1, json.exit(), json.toString());
            JsonNode report = JSON.readTree(json.out());
            List<JsonNode> findings = new ArrayList<>();
            report.path("findings").forEach(findings::add);
            assertEquals(List.of("ESC1 " + name), findings.stream().map(f -> f.path("class").asText() + " " + f.path("object").asText()).toList(),
                    json.out());
            JsonNode f = findings.get(0);
            assertEquals("critical", f.path("severity").asText());
            List<String> accounts = new ArrayList<>();
            f.path("accounts").forEach(a -> accounts.add(a.asText()));
            assertTrue(accounts.contains("CONTOSO\\alice"), "alice, a Domain User, may exploit it: " + accounts);
            assertFalse(accounts.stream().anyMatch(a -> a.endsWith("\\Administrator")), accounts.toString());
            List<String> groups = new ArrayList<>();
            f.path("groups").forEach(g -> groups.add(g.asText()));
            assertEquals(List.of("CONTOSO\\Domain Users"), groups);
            assertEquals("pkilab template set " + name + " --subject-name build", f.path("command").asText());

            assertEquals(1, audit("--format", "json", "--fail-on", "critical").exit(), "a critical finding fails --fail-on critical");

            Cli.Result sarif = audit("--format", "sarif");
            assertEquals(1, sarif.exit(), sarif.toString());
            JsonNode log = JSON.readTree(sarif.out());
            assertEquals("2.1.0", log.path("version").asText());
            assertEquals(1, log.path("runs").size());
            JsonNode run = log.path("runs").get(0);
            assertEquals("pkilab audit", run.path("tool").path("driver").path("name").asText());
            assertEquals(EscClass.values().length, run.path("tool").path("driver").path("rules").size());
            run.path("tool").path("driver").path("rules").forEach(r -> assertFalse(r.path("help").path("text").asText().isEmpty(), r.toString()));
            JsonNode result = run.path("results").get(0);
            assertEquals("ESC1", result.path("ruleId").asText());
            assertEquals("error", result.path("level").asText());
            assertFalse(result.path("message").path("text").asText().isEmpty());
            assertEquals(name, result.path("locations").get(0).path("logicalLocations").get(0).path("name").asText());

            Cli.Result table = audit();
            assertEquals(1, table.exit(), table.toString());
            assertTrue(table.out().contains("CRITICAL  ESC1") && table.out().contains("Subject Name tab"), table.out());

            Cli.Result explain = audit("--explain", name);
            assertEquals(0, explain.exit(), explain.toString());
            assertTrue(explain.out().contains("ESC1 on template 'Audit ESC1 User' (" + name + "): APPLIES"), explain.out());
            assertTrue(explain.out().contains("[false] schema version 1: msPKI-Template-Schema-Version = 2"), explain.out());
        } finally {
            lab.ca().stopIssuing(name);
        }
        Cli.Result after = audit("--format", "json");
        assertEquals(0, after.exit(), "a template no CA issues is not exploitable: " + after);
        Cli.Result explain = audit("--explain", name);
        assertTrue(explain.out().contains("[false] published by a CA: no CA lists " + name), explain.out());
    }

    @Test
    void aLowPrivilegedAuditorIsRefusedTheCaRegistryAndTheReportSaysSo() throws Exception {
        Cli.Result alice = Cli.pkilab("audit", "--format", "json", "--ldap", lab.dc().ldapUrl(), "--user", "alice", "--password", lab.password());
        List<String> assumptions = new ArrayList<>();
        JSON.readTree(alice.out()).path("assumptions").forEach(a -> assumptions.add(a.asText()));
        assertTrue(assumptions.stream().anyMatch(a -> a.startsWith("the registry settings of " + lab.ca().name() + " were not read (")
                && a.contains("E_ACCESSDENIED") && a.contains("a new enterprise CA's")), alice + "\n" + assumptions);
        assertTrue(assumptions.stream().anyMatch(a -> a.startsWith("the DC's certificate-mapping settings were not read (no lab console given")),
                assumptions.toString());
    }

    @Test
    void withTheLabsConsoleTheDcMappingIsReadAndABadTokenIsNamed() throws Exception {
        try (LabControl control = LabControl.start(lab, 0)) {
            Cli.Result read = audit("--format", "json", "--control", control.url(), "--token", control.token());
            List<String> assumptions = new ArrayList<>();
            JSON.readTree(read.out()).path("assumptions").forEach(a -> assumptions.add(a.asText()));
            assertFalse(assumptions.stream().anyMatch(a -> a.contains("certificate-mapping") || a.contains("registry settings of")),
                    "read as Administrator with the console, nothing is assumed of the registries: " + assumptions);

            Cli.Result wrong = audit("--format", "json", "--control", control.url(), "--token", "not-the-token");
            assertTrue(wrong.out().contains("the DC's certificate-mapping settings were not read (the lab's console did not give them: "
                    + "this lab's console needs the token"), wrong.out());
        }
    }

    @Test
    void noLabIsExitCodeTwoWithAClearMessage() {
        Cli.Result result = Cli.pkilab("audit", "--ldap", "ldap://127.0.0.1:1", "--password", "x");
        assertEquals(2, result.exit(), result.toString());
        assertTrue(result.err().contains("is the lab running?"), result.err());
    }

    @Test
    void unknownTemplateOrFormatIsExitCodeTwo() {
        Cli.Result unknown = audit("--explain", "No Such Template");
        assertEquals(2, unknown.exit(), unknown.toString());
        assertTrue(unknown.err().contains("no template 'No Such Template'"), unknown.err());
        Cli.Result format = audit("--format", "xml");
        assertEquals(2, format.exit(), format.toString());
        assertTrue(format.err().contains("expected table, json or sarif"), format.err());
    }
}
