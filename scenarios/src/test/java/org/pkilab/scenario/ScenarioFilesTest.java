package org.pkilab.scenario;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.cli.Cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Scenario files an instructor writes: what is refused before anything runs, and how a run ends. */
class ScenarioFilesTest {

    @Test
    void unknownVerbWrongTypeAndMissingFieldAreReportedWithFileAndLineAndExit2(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("broken.yaml");
        Files.writeString(file, String.join("\n",
                "name: broken",
                "title: Three mistakes",
                "lab:",
                "  computers:",
                "    - {name: IIS01, role: iis}",
                "steps:",
                "  - create grupo: ConfigMgr IIS Servers",
                "  - minimum key size: {template: ConfigMgr Web Server Certificate, bits: lots}",
                "  - add member: {group: ConfigMgr IIS Servers}",
                ""));
        Cli.Result run = Cli.pkilab("run", file.toString());
        assertEquals(2, run.exit(), run.err());
        assertTrue(run.err().contains("broken.yaml:7: unknown verb 'create grupo'"), run.err());
        assertTrue(run.err().contains("broken.yaml:8: 'bits' of 'minimum key size' must be a whole number, not 'lots'"), run.err());
        assertTrue(run.err().contains("broken.yaml:9: 'add member' is missing its field 'member'"), run.err());
        assertTrue(run.out().isEmpty(), "nothing ran: " + run.out());
    }

    @Test
    void unknownHostsKeysAndBadYamlAreRefusedToo() {
        ScenarioParser parser = new ScenarioParser(BuiltInScenarios::text);
        ScenarioException e = assertThrows(ScenarioException.class, () -> parser.parse("x.yaml", String.join("\n",
                "name: x", "title: t", "colour: blue", "steps:", "  - restart: NOPE", "  - include: no-such-scenario", "")));
        List<String> problems = e.problems();
        assertTrue(problems.contains("x.yaml:3: unknown key 'colour'; expected one of guide, lab, lesson, name, steps, title"), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("x.yaml:5:") && p.contains("'NOPE' is not a computer")), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("x.yaml:6:") && p.contains("no built-in scenario 'no-such-scenario'")), problems.toString());
        ScenarioException yaml = assertThrows(ScenarioException.class, () -> parser.parse("y.yaml", "name: [unclosed\n"));
        assertTrue(yaml.problems().get(0).startsWith("y.yaml:"), yaml.problems().toString());
    }

    @Test
    void scenariosMdDocumentsEveryVerbAndItsExampleRuns(@TempDir Path dir) throws Exception {
        String doc = Files.readString(Path.of("..", "SCENARIOS.md"));
        for (Verb verb : Verb.values()) {
            assertTrue(doc.contains("| `" + verb.text() + "` |"), "SCENARIOS.md has no row for '" + verb.text() + "'");
        }
        Path example = dir.resolve("example.yaml");
        Files.writeString(example, doc.substring(doc.indexOf("```yaml\n") + 8, doc.indexOf("```", doc.indexOf("```yaml\n") + 8)));
        Cli.Result run = Cli.pkilab("run", example.toString());
        assertEquals(0, run.exit(), run.out() + run.err());
        assertTrue(run.out().contains("every expectation held"), run.out());
    }

    @Test
    void everyBuiltInScenarioParses() {
        ScenarioParser parser = new ScenarioParser(BuiltInScenarios::text);
        for (BuiltInScenarios.Entry entry : BuiltInScenarios.ALL) {
            Scenario scenario = parser.parse(entry.name() + ".yaml", BuiltInScenarios.text(entry.name()));
            assertEquals(entry.name(), scenario.name());
            assertTrue(!scenario.steps().isEmpty(), entry.name());
            assertEquals(entry.name().startsWith("lesson-"), scenario.lesson(), entry.name());
        }
    }

    @Test
    void anExpectationThatDoesNotHoldExitsOneAndTheReportsSayWhich(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("wrong.yaml");
        Files.writeString(file, String.join("\n",
                "name: wrong",
                "title: The template is never issued, yet the step expects success",
                "lab:",
                "  computers:",
                "    - {name: IIS01, role: iis, dns: [server1.internal.contoso.com]}",
                "steps:",
                "  - duplicate template: {template: Web Server, name: Never Issued}",
                "  - request certificate: {host: IIS01, template: Never Issued, dns: [server1.internal.contoso.com]}",
                ""));
        Path xml = dir.resolve("report.xml");
        Cli.Result run = Cli.pkilab("run", file.toString(), "--format", "json", "--junit-xml", xml.toString());
        assertEquals(1, run.exit(), run.out() + run.err());
        assertTrue(run.out().contains("\"passed\" : false") && run.out().contains("CERTSRV_E_UNSUPPORTED_CERT_TYPE"), run.out());
        String report = Files.readString(xml);
        assertTrue(report.contains("tests=\"2\" failures=\"1\"") && report.contains("<failure"), report);
    }

    @Test
    void anUnwritableJunitReportExitsTwoBeforeTheLabStarts(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("fine.yaml");
        Files.writeString(file, "title: Fine\nsteps:\n  - create group: G\nname: fine\n");
        Path report = dir.resolve("no-such-folder").resolve("report.xml");
        Cli.Result run = Cli.pkilab("run", file.toString(), "--junit-xml", report.toString());
        assertEquals(2, run.exit(), run.toString());
        assertTrue(run.err().contains("--junit-xml " + report + ": its folder") && run.err().contains("does not exist"), run.err());
        assertTrue(run.out().isEmpty(), "nothing ran: " + run.out());
    }

    @Test
    void aFileThatCannotRunStillGivesAJunitReportAndAJsonDocument(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("broken.yaml");
        Files.writeString(file, "title: Broken\nsteps:\n  - restrat: PC01\nname: broken\n");
        Path xml = dir.resolve("report.xml");
        Cli.Result run = Cli.pkilab("run", file.toString(), "--format", "json", "--junit-xml", xml.toString());
        assertEquals(2, run.exit(), run.toString());
        assertTrue(run.out().contains("\"passed\" : false") && run.out().contains("broken.yaml:3: unknown verb 'restrat'"), run.out());
        String report = Files.readString(xml);
        assertTrue(report.contains("tests=\"1\" failures=\"1\"") && report.contains("name=\"the scenario file (broken.yaml:3)\"")
                && report.contains("<failure"), report);
    }

    @Test
    void aBuiltInIncludedInAnotherDomainServesThatDomainsNames(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("fabrikam.yaml");
        Files.writeString(file, String.join("\n", "title: The web server certificate at Fabrikam", "lab:", "  domain: fabrikam.local",
                "  computers: [{name: IIS01, role: iis}, {name: PC01}]", "steps:", "  - include: web-server", "name: fabrikam", ""));
        Cli.Result run = Cli.pkilab("run", file.toString());
        assertEquals(0, run.exit(), run.toString());
        assertTrue(run.out().contains("SAN: server1.internal.fabrikam.local, server.fabrikam.local"), run.out());
        assertFalse(run.out().toLowerCase(java.util.Locale.ROOT).contains("contoso"), "a Fabrikam lab names no Contoso host: " + run.out());
    }

    @Test
    void unknownScenarioNameExitsTwo() {
        Cli.Result run = Cli.pkilab("run", "no-such-scenario");
        assertEquals(2, run.exit());
        assertTrue(run.err().contains("pkilab scenarios"), run.err());
    }
}
