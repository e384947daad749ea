package org.pkilab.scenario;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.pkilab.cli.Cli;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Values a console offers as choices, and the templates and users steps name, are checked before anything runs. */
class ScenarioValuesTest {

    /** Line 8 is the step under test. */
    private static Path file(Path dir, String step) throws Exception {
        Path file = dir.resolve("values.yaml");
        Files.writeString(file, String.join("\n",
                "name: values",
                "title: One step to check",
                "lab:",
                "  computers:",
                "    - {name: PC01, role: client}",
                "  users: [alice]",
                "steps:",
                "  - " + step,
                ""));
        return file;
    }

    private static Cli.Result run(Path dir, String step) throws Exception {
        return Cli.pkilab("run", file(dir, step).toString());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "create gpo: {name: G, autoenrollment: nonsense}|'autoenrollment' of 'create gpo' must be Enabled, Disabled or Not configured",
            "allow: {template: Web Server, principal: Domain Computers, rights: [Read, Enrol]}|not 'Enrol'; did you mean 'Enroll'?",
            "set subject name: {template: Web Server, mode: supplied}|'mode' of 'set subject name' must be 'supply in request'",
            "advance clock: 2 fortnights|'period' of 'advance clock' must be '<number> years",
            "advance clock: 2 yeras|did you mean '2 years'?",
            "validity: {template: Web Server, period: 2 years, renewal: 6 wekes}|'renewal' of 'validity' must be",
            "revoke: {host: PC01, template: Computer, reason: key compromize}|did you mean 'key compromise'?",
            "issue template: ConfigMgr Web Server Certifcate|template 'ConfigMgr Web Server Certifcate' is neither a default template",
            "request certificate: {host: PC01, template: Web Servr}|did you mean 'Web Server'?",
            "request certificate: {host: PC01, template: User, user: alcie}|user 'alcie' is not in this lab",
            "approve pending: {host: PC01, as: alcie}|'as' account 'alcie' is not in this lab",
            "create user: alice|'create user' makes alice, whom the lab already has",
    })
    void aValueNoConsoleOffersExitsTwoWithFileLineAndWhatIsAllowed(String step, String says, @TempDir Path dir) throws Exception {
        Cli.Result run = run(dir, step);
        assertEquals(2, run.exit(), "'" + step + "' must be refused before the lab starts: " + run);
        assertTrue(run.err().contains("values.yaml:8: "), "the problem names file:line: " + run.err());
        assertTrue(run.err().contains(says), "'" + step + "' is explained with '" + says + "': " + run.err());
        assertTrue(run.out().isEmpty(), "nothing ran: " + run.out());
    }

    @ParameterizedTest(name = "autoenrollment: {0}")
    @CsvSource({"enabled, Enabled", "Enabled, Enabled", "true, Enabled", "on, Enabled", "yes, Enabled", "disabled, Disabled",
            "false, Disabled", "off, Disabled", "no, Disabled", "Not configured, Not configured", "not configured, Not configured"})
    void autoenrollmentTakesTheConsolesChoicesAndYamlBooleans(String written, String setting, @TempDir Path dir) throws Exception {
        Scenario scenario = new ScenarioParser(BuiltInScenarios::text).parse(file(dir, "create gpo: {name: G, autoenrollment: " + written + "}"));
        assertEquals(setting, scenario.steps().get(0).text("autoenrollment"), "autoenrollment: " + written);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "allow: {template: ConfigMgr Client Certificate, principal: Domain Computers, rights: [read, AUTOENROLL]}",
            "request certificate: {host: PC01, template: ConfigMgr Client Certificate, user: Administrator}",
            "request certificate: {host: PC01, template: ConfigMgr Client Certificate, user: ALICE}",
            "revoke: {host: PC01, template: Workstation, reason: keyCompromise}",
            "set subject name: {template: ConfigMgr Client Certificate, mode: Supply in the request}",
    })
    void valuesTheLabKnowsPass(String step, @TempDir Path dir) throws Exception {
        Path file = dir.resolve("fine.yaml");
        Files.writeString(file, String.join("\n", "title: Fine", "lab:", "  computers: [{name: PC01}]", "  users: [alice]", "steps:",
                "  - duplicate template: {template: Workstation Authentication, name: ConfigMgr Client Certificate}", "  - " + step, ""));
        Scenario scenario = new ScenarioParser(BuiltInScenarios::text).parse(file);
        assertEquals(2, scenario.steps().size(), step);
    }

    @Test
    void anErrorThatIsNotACodeIsRefusedAndPointsToMessage(@TempDir Path dir) throws Exception {
        Cli.Result run = run(dir, "create group: G\n    expect: {error: cannot be exported}");
        assertEquals(2, run.exit(), run.toString());
        assertTrue(run.err().contains("values.yaml:9: expect's error is a code") && run.err().contains("{message: cannot be exported}"),
                run.err());
    }

    @Test
    void anUnknownBuiltInNameSuggestsTheNearest() {
        Cli.Result run = Cli.pkilab("run", "web-servr");
        assertEquals(2, run.exit(), run.toString());
        assertTrue(run.err().contains("did you mean 'web-server'?"), run.err());
    }
}
