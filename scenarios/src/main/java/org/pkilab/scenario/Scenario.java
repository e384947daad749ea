package org.pkilab.scenario;

import org.pkilab.lab.LabSpec;

import java.util.List;
import java.util.Map;

/**
 * A parsed scenario: a lab and the guide's steps, each with what it should come to.
 *
 * @param name   {@code web-server}
 * @param title  what the guide calls the procedure
 * @param guide  the guide's section anchor, or empty
 * @param lesson true for a lesson, whose expected failure is the point
 * @param source the file or built-in it came from, for messages
 * @param notes  what the file does that runs but may not be what its author meant ({@code file:line: ...}),
 *               such as a scenario included twice, whose steps run once
 */
public record Scenario(String name, String title, String guide, boolean lesson, LabSpec lab, List<Step> steps, String source,
                       List<String> notes) {

    public Scenario {
        steps = List.copyOf(steps);
        notes = List.copyOf(notes);
    }

    /** One step: a verb with its fields, what the guide says, and what should happen. */
    public record Step(String source, int line, Verb verb, Map<String, Object> fields, String says, Expectation expect, String fix) {

        public Step {
            fields = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(fields));
        }

        public String text(String field) {
            Object value = fields.get(field);
            return value == null ? null : String.valueOf(value);
        }

        @SuppressWarnings("unchecked")
        public List<String> list(String field) {
            Object value = fields.get(field);
            return value == null ? List.of() : (List<String>) value;
        }

        public Integer number(String field) {
            return (Integer) fields.get(field);
        }

        public Boolean flag(String field) {
            return (Boolean) fields.get(field);
        }

        /** {@code web-server.yaml:12}. */
        public String where() {
            return source + ":" + line;
        }
    }

    /**
     * What a step should come to: success, a pending request, or a failure that carries the code {@code error}
     * (see {@link FailureCodes}) and, when {@code message} is given, whose message contains that text.
     * Either may be null for a failure, not both.
     */
    public record Expectation(Kind kind, String error, String message) {
        public enum Kind { SUCCESS, PENDING, FAILURE }

        public static final Expectation SUCCESS = new Expectation(Kind.SUCCESS, null, null);
        public static final Expectation PENDING = new Expectation(Kind.PENDING, null, null);
    }
}
