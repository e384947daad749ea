package org.pkilab.scenario;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.cli.Cli;
import org.pkilab.lab.LabSpec;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What {@code include:} brings into a scenario: built-ins and the instructor's own files, each once, in the lab's domain. */
class ScenarioIncludesTest {

    private final ScenarioParser parser = new ScenarioParser(BuiltInScenarios::text);

    private static Path write(Path file, String... lines) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, String.join("\n", lines) + "\n");
        return file;
    }

    @Test
    void nameIsOptionalAndComesFromTheFileName(@TempDir Path dir) throws Exception {
        Scenario scenario = parser.parse(write(dir.resolve("my-lab.yaml"), "title: No name", "steps:", "  - create group: G"));
        assertEquals("my-lab", scenario.name());
    }

    @Test
    void aUserDeclaredByTheFileAndAnIncludedBuiltInIsMadeOnce(@TempDir Path dir) throws Exception {
        Scenario scenario = parser.parse(write(dir.resolve("users.yaml"), "title: Alice twice", "lab:",
                "  computers: [{name: PC05}]", "  users: [alice]", "steps:", "  - include: mobile-device", "name: users"));
        assertEquals(1, scenario.lab().users().size(), "mobile-device declares Alice too: " + scenario.lab().users());
    }

    @Test
    void aSecondIncludeOfTheSameScenarioIsNoted(@TempDir Path dir) throws Exception {
        Scenario scenario = parser.parse(write(dir.resolve("twice.yaml"), "title: Twice", "lab:", "  computers: [{name: IIS01, role: iis}]",
                "steps:", "  - include: web-template", "  - include: web-template", "name: twice"));
        assertTrue(scenario.notes().contains("twice.yaml:6: include: 'web-template' was already included at twice.yaml:5; its steps run once, "
                + "so this include adds nothing"), scenario.notes().toString());
        assertEquals(parser.parse("web-template.yaml", BuiltInScenarios.text("web-template")).steps().size(), scenario.steps().size());
    }

    @Test
    void anIncludeOfAFileReadsItNextToTheIncludingFile(@TempDir Path dir) throws Exception {
        write(dir.resolve("parts/part.yaml"), "title: A part", "lab:", "  computers: [{name: PC01}]", "steps:", "  - create group: Part Group", "name: part");
        Scenario scenario = parser.parse(write(dir.resolve("main.yaml"), "title: Main", "steps:", "  - include: parts/part.yaml",
                "  - add member: {group: Part Group, member: PC01$}", "name: main"));
        assertEquals("parts/part.yaml:5", scenario.steps().get(0).where());
        assertEquals(2, scenario.steps().size());
        assertEquals("PC01", scenario.lab().hosts().get(0).name());
    }

    @Test
    void anIncludeCycleExitsTwoNamingTheChain(@TempDir Path dir) throws Exception {
        write(dir.resolve("b.yaml"), "title: B", "steps:", "  - include: a.yaml", "name: b");
        Path a = write(dir.resolve("a.yaml"), "title: A", "steps:", "  - include: b.yaml", "name: a");
        Cli.Result run = Cli.pkilab("run", a.toString());
        assertEquals(2, run.exit(), run.toString());
        assertTrue(run.err().contains("b.yaml:3: include: a cycle: a.yaml -> b.yaml -> a.yaml"), run.err());
    }

    @Test
    void anIncludedFileOutsideTheScenariosFolderIsRefused(@TempDir Path dir) throws Exception {
        write(dir.resolve("outside.yaml"), "title: Outside", "steps:", "  - create group: G", "name: outside");
        Path main = write(dir.resolve("inner/main.yaml"), "title: Main", "steps:", "  - include: ../outside.yaml", "name: main");
        Cli.Result run = Cli.pkilab("run", main.toString());
        assertEquals(2, run.exit(), run.toString());
        assertTrue(run.err().contains("main.yaml:3: include: no built-in scenario and no scenario file '../outside.yaml'"), run.err());
    }

    @Test
    void anIncludedBuiltInFollowsTheLabsDomain(@TempDir Path dir) throws Exception {
        Scenario scenario = parser.parse(write(dir.resolve("fabrikam.yaml"), "title: Fabrikam", "lab:", "  domain: fabrikam.local",
                "  computers: [{name: IIS01, role: iis}, {name: PC01}]", "steps:", "  - include: web-server", "name: fabrikam"));
        LabSpec.HostSpec iis = scenario.lab().hosts().get(0);
        assertEquals(java.util.List.of("server1.internal.fabrikam.local", "server.fabrikam.local"), iis.dnsNames(), "IIS01's names");
        for (Scenario.Step step : scenario.steps()) {
            assertFalse((step.fields() + " " + step.says()).toLowerCase().contains("contoso"), step.where() + " still names contoso: " + step.fields());
        }
    }
}
