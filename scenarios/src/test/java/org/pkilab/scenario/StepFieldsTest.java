package org.pkilab.scenario;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.nodes.Node;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One step's arguments are typed and checked from its YAML alone, without a scenario file or a lab. */
class StepFieldsTest {

    private static Map<String, Object> fields(Verb verb, String yaml, List<String> problems) {
        Node value = ScenarioYaml.compose("step.yaml", yaml, problems);
        Map<String, Integer> lines = new HashMap<>();
        Map<String, Object> fields = StepFields.fields("step.yaml", verb, value, problems, lines);
        StepFields.values("step.yaml", verb, fields, lines, problems);
        return fields;
    }

    @Test
    void rightsAreWrittenAsTheSecurityTabShowsThem() {
        List<String> problems = new ArrayList<>();
        Map<String, Object> fields = fields(Verb.ALLOW, "{template: Web Server, principal: Domain Computers, rights: [read, enroll]}", problems);
        assertEquals(List.of(), problems);
        assertEquals(List.of("Read", "Enroll"), fields.get("rights"));
    }

    @Test
    void aScalarFillsTheFirstFieldAndAMissingOneIsNamed() {
        List<String> problems = new ArrayList<>();
        assertEquals("PC01", fields(Verb.APPROVE_PENDING, "PC01", problems).get("host"));
        assertEquals(List.of(), problems);
        fields(Verb.REVOKE, "{host: PC01, as: alice}", problems);
        assertTrue(problems.size() == 1 && problems.get(0).equals("step.yaml:1: 'revoke' is missing its field 'template' (text)"), problems.toString());
    }
}
