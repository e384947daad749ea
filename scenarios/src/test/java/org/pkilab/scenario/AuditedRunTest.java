package org.pkilab.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.cli.Cli;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code pkilab run --audit}: the audit of the lab a scenario leaves, with the reasoning for the templates it made. */
class AuditedRunTest {

    @Test
    void aRunEndsWithTheAuditOfWhatItLeftAndWhyForEachTemplateItMade(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("esc1-left.yaml");
        Files.writeString(file, String.join("\n",
                "title: an ESC1 template left behind",
                "lab:",
                "  users: [mallory]",
                "steps:",
                "  - duplicate template: {template: Web Server, name: Intranet Web}",
                "  - set application policies: {template: Intranet Web, policies: [Server Authentication, Client Authentication]}",
                "  - allow: {template: Intranet Web, principal: Domain Users, rights: [Enroll]}",
                "  - issue template: Intranet Web",
                ""));
        Cli.Result run = Cli.pkilab("run", file.toString(), "--audit");
        assertEquals(0, run.exit(), run.out() + run.err());
        String out = run.out();
        assertTrue(out.contains("Audit of contoso.com after the run"), out);
        assertTrue(out.contains("Audit of contoso.com: 1 finding"), out);
        assertTrue(out.contains("Why each class does or does not apply to 'Intranet Web'"), out);
        assertTrue(out.contains("[true]  enrollee supplies subject"), "each condition with its value: " + out);

        Cli.Result json = Cli.pkilab("run", file.toString(), "--audit", "--format", "json");
        JsonNode audit = new ObjectMapper().readTree(json.out()).path("audit");
        assertEquals("ESC1", audit.path("findings").path(0).path("class").asText(), json.out());
        assertEquals(1, audit.path("findings").size(), json.out());
        assertEquals("Intranet Web", audit.path("explained").path(0).path("template").asText(), json.out());
    }
}
