package org.pkilab.scenario;

import org.pkilab.directory.model.CertificateMappingSettings;
import org.pkilab.lab.DcRegistryValue;
import org.pkilab.directory.model.TemplateFlags;
import org.pkilab.enrollment.CaRegistrySettings;

import org.pkilab.ca.RevocationReason;
import org.pkilab.directory.model.PkiPeriod;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

import static org.pkilab.scenario.ScenarioYaml.describe;
import static org.pkilab.scenario.ScenarioYaml.duplicates;
import static org.pkilab.scenario.ScenarioYaml.keyText;
import static org.pkilab.scenario.ScenarioYaml.line;
import static org.pkilab.scenario.ScenarioYaml.mapping;
import static org.pkilab.scenario.ScenarioYaml.scalar;

/**
 * One step's arguments: the verb's fields typed as {@link Verb} declares them (a scalar fills the first
 * field), the values the consoles offer as choices checked and written as the console shows them
 * ({@code rights: [read, enrol]} is refused with "did you mean 'Enroll'?"; {@code autoenrollment: true}
 * becomes {@code Enabled}), and the step's {@code expect}.
 */
final class StepFields {

    private static final List<String> RIGHTS = List.of("Read", "Write", "Enroll", "Autoenroll", "Full Control");
    private static final Map<String, String> AUTOENROLLMENT = Map.of("enabled", "Enabled", "true", "Enabled", "yes", "Enabled",
            "on", "Enabled", "disabled", "Disabled", "false", "Disabled", "no", "Disabled", "off", "Disabled",
            "not configured", "Not configured");
    private static final Map<String, String> SUBJECT_NAME_MODES = Map.of("supply", "supply in request", "supply in request",
            "supply in request", "supply in the request", "supply in request", "build", "build from Active Directory",
            "build from active directory", "build from Active Directory", "build from this active directory information",
            "build from Active Directory");
    private static final List<String> PERIOD_UNITS = List.of("years", "weeks", "days", "hours");

    private StepFields() {
    }

    static Map<String, Object> fields(String source, Verb verb, Node value, List<String> problems, Map<String, Integer> lines) {
        Map<String, Object> fields = new LinkedHashMap<>();
        if (value instanceof ScalarNode scalar) {
            Verb.Field first = verb.fields().get(0);
            fields.put(first.name(), typed(source, first, scalar, verb, problems));
            lines.put(first.name(), line(scalar));
        } else if (value instanceof MappingNode mapping) {
            duplicates(source, mapping, problems);
            for (NodeTuple tuple : mapping.getValue()) {
                String key = keyText(tuple);
                Verb.Field field = verb.field(key).orElse(null);
                if (field == null) {
                    problems.add(source + ":" + line(tuple.getKeyNode()) + ": '" + verb.text() + "' has no field '" + key + "'; its fields are "
                            + String.join(", ", verb.fields().stream().map(Verb.Field::name).toList()));
                    continue;
                }
                fields.put(field.name(), typed(source, field, tuple.getValueNode(), verb, problems));
                lines.put(field.name(), line(tuple.getValueNode()));
            }
        } else {
            problems.add(source + ":" + line(value) + ": '" + verb.text() + "' takes " + describeFields(verb));
            return fields;
        }
        for (Verb.Field field : verb.fields()) {
            if (field.required() && !fields.containsKey(field.name())) {
                problems.add(source + ":" + line(value) + ": '" + verb.text() + "' is missing its field '" + field.name() + "' ("
                        + field.type().description() + ")");
            }
        }
        return fields;
    }

    /**
     * Checks the values the consoles offer as choices, and writes each as the console shows it
     * ({@code rights: [read, enroll]} becomes {@code [Read, Enroll]}, {@code autoenrollment: true} {@code Enabled}).
     */
    static void values(String source, Verb verb, Map<String, Object> fields, Map<String, Integer> lines, List<String> problems) {
        BiFunction<String, String, String> at = (field, what) -> source + ":" + lines.getOrDefault(field, 1) + ": '"
                + field + "' of '" + verb.text() + "' " + what;
        if (verb == Verb.CREATE_GPO && fields.get("autoenrollment") instanceof String setting) {
            String chosen = AUTOENROLLMENT.get(setting.trim().toLowerCase(Locale.ROOT));
            if (chosen == null) {
                problems.add(at.apply("autoenrollment", "must be Enabled, Disabled or Not configured (the Configuration Model of "
                        + "Certificate Services Client - Auto-Enrollment), or true or false; not '" + setting + "'"
                        + NearestName.hint(setting, List.of("Enabled", "Disabled", "Not configured"))));
            } else {
                fields.put("autoenrollment", chosen);
            }
        }
        if (verb == Verb.SET_SUBJECT_NAME && fields.get("mode") instanceof String mode) {
            String chosen = SUBJECT_NAME_MODES.get(mode.trim().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT));
            if (chosen == null) {
                problems.add(at.apply("mode", "must be 'supply in request' (Supply in the request) or 'build from Active Directory' "
                        + "(Build from this Active Directory information), not '" + mode + "'"
                        + NearestName.hint(mode, List.of("supply in request", "build from Active Directory", "supply", "build"))));
            } else {
                fields.put("mode", chosen);
            }
        }
        if ((verb == Verb.ALLOW_ON_CA || verb == Verb.REMOVE_PERMISSION_ON_CA) && fields.get("rights") instanceof List<?> rights) {
            List<String> named = new ArrayList<>();
            for (Object right : rights) {
                try {
                    named.add(org.pkilab.ca.CaSecurity.Permission.parse(String.valueOf(right)).displayName());
                } catch (IllegalArgumentException e) {
                    problems.add(at.apply("rights", "lists the CA's Security tab permissions: " + e.getMessage()));
                }
            }
            fields.put("rights", named);
        } else if (fields.get("rights") instanceof List<?> rights) {
            List<String> named = new ArrayList<>();
            for (Object right : rights) {
                String r = String.valueOf(right).trim();
                String chosen = RIGHTS.stream().filter(r::equalsIgnoreCase).findFirst().orElse(null);
                if (chosen == null) {
                    problems.add(at.apply("rights", "lists the Security tab's Read, Write, Enroll, Autoenroll or Full Control, not '" + r + "'"
                            + NearestName.hint(r, RIGHTS)));
                }
                named.add(chosen == null ? r : chosen);
            }
            fields.put("rights", named);
        }
        for (String field : List.of("period", "renewal")) {
            if (fields.get(field) instanceof String period) {
                try {
                    PkiPeriod.parse(period);
                } catch (IllegalArgumentException e) {
                    String[] parts = period.trim().split("\\s+");
                    String hint = parts.length == 2 ? NearestName.of(parts[1], PERIOD_UNITS).map(u -> "; did you mean '" + parts[0] + " " + u + "'?")
                            .orElse("") : "";
                    problems.add(at.apply(field, "must be '<number> years|weeks|days|hours' (such as '8 hours' or '2 years'), not '" + period
                            + "'" + hint));
                }
            }
        }
        if (verb == Verb.CREATE_GROUP && fields.get("scope") instanceof String scope) {
            List<String> scopes = List.of("global", "universal", "domain local");
            if (!scopes.contains(scope.trim().toLowerCase(Locale.ROOT))) {
                problems.add(at.apply("scope", "must be the New Object - Group dialog's Global, Universal or Domain local, not '" + scope + "'"
                        + NearestName.hint(scope, scopes)));
            }
        }
        if (verb == Verb.SET_ENROLLMENT_FLAG && fields.get("flag") instanceof String flag) {
            try {
                fields.put("flag", TemplateFlags.parse(TemplateFlags.Enrollment.class, flag).adName());
            } catch (IllegalArgumentException e) {
                List<String> known = Arrays.stream(TemplateFlags.Enrollment.values()).map(TemplateFlags.Flag::adName).toList();
                problems.add(at.apply("flag", "must be an msPKI-Enrollment-Flag bit (MS-CRTD 2.26), such as CT_FLAG_NO_SECURITY_EXTENSION, not '"
                        + flag + "'" + NearestName.hint(flag, known)));
            }
        }
        if (verb == Verb.SET_DC_REGISTRY && fields.get("value") instanceof String value) {
            try {
                DcRegistryValue chosen = DcRegistryValue.named(value);
                fields.put("value", chosen.valueName());
                if (fields.get("data") != null) {
                    String data = String.valueOf(fields.get("data")).trim();
                    chosen.apply(CertificateMappingSettings.WINDOWS_DEFAULT, data);
                    fields.put("data", data);
                }
            } catch (IllegalArgumentException e) {
                String field = e.getMessage().startsWith("no registry value") ? "value" : "data";
                problems.add(at.apply(field, e.getMessage() + (field.equals("value") ? NearestName.hint(value, DcRegistryValue.names()) : "")));
            }
        }
        if (verb == Verb.SET_CA_REGISTRY && fields.get("value") instanceof String value) {
            List<String> values = java.util.Arrays.stream(CaRegistrySettings.Value.values()).filter(v -> v != CaRegistrySettings.Value.SECURITY)
                    .map(CaRegistrySettings.Value::certutilName).toList();
            String chosen = values.stream().filter(value.trim()::equalsIgnoreCase).findFirst().orElse(null);
            if (chosen == null) {
                problems.add(at.apply("value", "must be one of the CA's registry values the lab models (" + String.join(", ", values) + "), not '"
                        + value + "'" + NearestName.hint(value, values)));
            } else {
                fields.put("value", chosen);
                if (fields.get("change") != null) {
                    try {
                        CaRegistrySettings.check(chosen, String.valueOf(fields.get("change")));
                    } catch (IllegalArgumentException e) {
                        problems.add(at.apply("change", "is not a change certutil -setreg takes: " + e.getMessage()));
                    }
                }
            }
        }
        if (verb == Verb.AUDIT && fields.get("finds") instanceof List<?> finds) {
            for (Object found : finds) {
                if (!String.valueOf(found).trim().matches("(?i)ESC([1-9]|1[0-6])")) {
                    problems.add(at.apply("finds", "lists ESC classes, ESC1 to ESC16, not '" + found + "'"));
                }
            }
            fields.put("finds", finds.stream().map(f -> String.valueOf(f).trim().toUpperCase(Locale.ROOT)).toList());
        }
        if (verb == Verb.REVOKE && fields.get("reason") instanceof String reason) {
            try {
                RevocationReason.parse(reason);
            } catch (IllegalArgumentException e) {
                List<String> reasons = Arrays.stream(RevocationReason.values()).map(r -> r.name().toLowerCase(Locale.ROOT).replace('_', ' ')).toList();
                problems.add(at.apply("reason", "must be a reason the Revoke Certificate dialog offers (" + String.join(", ", reasons)
                        + ") or its RFC 5280 number, not '" + reason + "'" + NearestName.hint(reason, reasons)));
            }
        }
    }

    static Object typed(String source, Verb.Field field, Node node, Verb verb, List<String> problems) {
        switch (field.type()) {
            case LIST -> {
                if (node instanceof ScalarNode s) {
                    return List.of(s.getValue());
                }
                if (node instanceof SequenceNode seq) {
                    List<String> values = new ArrayList<>();
                    for (Node element : seq.getValue()) {
                        if (element instanceof ScalarNode s) {
                            values.add(s.getValue());
                        } else {
                            problems.add(source + ":" + line(element) + ": '" + field.name() + "' of '" + verb.text() + "' must list text items");
                        }
                    }
                    return values;
                }
            }
            case INT -> {
                if (node instanceof ScalarNode s && s.getValue().matches("-?\\d{1,9}")) {
                    return Integer.parseInt(s.getValue());
                }
            }
            case BOOL -> {
                if (node instanceof ScalarNode s && s.getValue().matches("(?i)true|false|yes|no")) {
                    return s.getValue().matches("(?i)true|yes");
                }
            }
            case TEXT -> {
                if (node instanceof ScalarNode s) {
                    return s.getValue();
                }
            }
        }
        problems.add(source + ":" + line(node) + ": '" + field.name() + "' of '" + verb.text() + "' must be " + field.type().description()
                + ", not " + describe(node));
        return null;
    }

    static Scenario.Expectation expectation(String source, Node node, List<String> problems) {
        if (node instanceof ScalarNode s) {
            switch (s.getValue().toLowerCase(Locale.ROOT)) {
                case "success", "connected", "issued" -> {
                    return Scenario.Expectation.SUCCESS;
                }
                case "pending" -> {
                    return Scenario.Expectation.PENDING;
                }
                default -> {
                    problems.add(source + ":" + line(node) + ": expect must be success, pending or {error: <code>, message: <text>}, not '"
                            + s.getValue() + "'");
                    return Scenario.Expectation.SUCCESS;
                }
            }
        }
        if (!(node instanceof MappingNode m)) {
            problems.add(source + ":" + line(node) + ": expect must be success, pending or {error: <code>, message: <text>}");
            return Scenario.Expectation.SUCCESS;
        }
        for (NodeTuple tuple : m.getValue()) {
            if (!Set.of("error", "message").contains(keyText(tuple))) {
                problems.add(source + ":" + line(tuple.getKeyNode()) + ": expect must be success, pending or {error: <code>, message: <text>}; '"
                        + keyText(tuple) + "' is not one of its keys");
            }
        }
        Map<String, Node> keys = mapping(source, m, Set.of("error", "message"), new ArrayList<>());
        duplicates(source, m, problems);
        String error = scalar(source, keys.get("error"), "error", false, m, problems);
        String message = scalar(source, keys.get("message"), "message", false, m, problems);
        if (error == null && message == null) {
            problems.add(source + ":" + line(node) + ": expect must be success, pending or a failure with {error: <code>}, {message: <text>} or both");
        }
        if (error != null && FailureCodes.normalize(error).isEmpty()) {
            problems.add(source + ":" + line(keys.get("error")) + ": expect's error is a code: " + FailureCodes.FORMS + "; not '" + error
                    + "'; to match words of the message write {message: " + error + "}");
        }
        return new Scenario.Expectation(Scenario.Expectation.Kind.FAILURE, error, message);
    }

    private static String describeFields(Verb verb) {
        return "{" + String.join(", ", verb.fields().stream().map(f -> f.name() + (f.required() ? "" : "?") + ": " + f.type().description()).toList()) + "}";
    }
}
