package org.pkilab.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report as {@code pkilab audit} prints it: a table for people, JSON for scripts, SARIF 2.1.0 for code-scanning
 * tools (one run; {@code tool.driver.name} "pkilab audit"; one rule per ESC class with its help; one result per finding,
 * its {@code level} from the severity and its object as a logical location).
 *
 * <pre>
 * CRITICAL  ESC1   template ESC1User   Enrollee supplies subject on a client-authentication template
 *     exploitable by  groups CONTOSO\Domain Users; accounts CONTOSO\alice, CONTOSO\bob
 *     because         enrollee supplies subject: msPKI-Certificate-Name-Flag = 0x1 [CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT]
 *     impact          Any of them can request a certificate naming Administrator ...
 *     fix             Certificate Templates console (certtmpl.msc) > 'ESC1 User' > Properties > Subject Name tab: ...
 *     command         pkilab template set ESC1User --subject-name build
 * </pre>
 */
public final class AuditOutput {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

    private AuditOutput() {
    }

    public static String table(AuditReport report) {
        StringBuilder out = new StringBuilder();
        out.append("Audit of ").append(report.domain()).append(": ").append(report.findings().size())
                .append(report.findings().size() == 1 ? " finding" : " findings").append('\n');
        for (Finding f : report.findings()) {
            out.append('\n').append(String.format(Locale.ROOT, "%-9s %-6s %s %s   %s%n", f.severity().name(), f.escClass().name(),
                    kind(f.kind()), f.object(), f.escClass().title()));
            line(out, "exploitable by", new AuditContext.Holders(f.groups(), f.accounts(), List.of()).describe());
            boolean first = true;
            for (Map.Entry<String, String> v : f.values().entrySet()) {
                line(out, first ? "because" : "", v.getKey() + ": " + v.getValue());
                first = false;
            }
            line(out, "impact", f.impact());
            line(out, "fix", f.fix());
            if (!f.command().isEmpty()) {
                line(out, "command", f.command());
            }
        }
        if (!report.notFound().isEmpty()) {
            out.append("\nNot found:\n");
            report.notFound().forEach((c, why) -> out.append(String.format(Locale.ROOT, "  %-6s %s%n", c.name(), why)));
        }
        if (!report.assumptions().isEmpty()) {
            out.append("\nAssumed (not read):\n");
            report.assumptions().forEach(a -> out.append("  ").append(a).append('\n'));
        }
        return out.toString();
    }

    private static void line(StringBuilder out, String label, String text) {
        out.append(String.format(Locale.ROOT, "    %-15s %s%n", label, text));
    }

    private static String kind(Finding.ObjectKind kind) {
        return switch (kind) {
            case TEMPLATE -> "template";
            case CA -> "CA";
            case CONTAINER -> "object";
            case ACCOUNT -> "account";
            case DOMAIN_CONTROLLER -> "DC";
            case ENDPOINT -> "endpoint";
        };
    }

    public static ObjectNode json(AuditReport report) {
        ObjectNode root = JSON.createObjectNode();
        root.put("domain", report.domain());
        ArrayNode findings = root.putArray("findings");
        for (Finding f : report.findings()) {
            findings.add(json(f));
        }
        ObjectNode notFound = root.putObject("notFound");
        report.notFound().forEach((c, why) -> notFound.put(c.name(), why));
        ArrayNode assumptions = root.putArray("assumptions");
        report.assumptions().forEach(assumptions::add);
        return root;
    }

    public static ObjectNode json(Finding f) {
        ObjectNode node = JSON.createObjectNode();
        node.put("class", f.escClass().name());
        node.put("title", f.escClass().title());
        node.put("severity", f.severity().label());
        node.put("objectKind", f.kind().name().toLowerCase(Locale.ROOT));
        node.put("object", f.object());
        ArrayNode groups = node.putArray("groups");
        f.groups().forEach(groups::add);
        ArrayNode accounts = node.putArray("accounts");
        f.accounts().forEach(accounts::add);
        ObjectNode values = node.putObject("values");
        f.values().forEach(values::put);
        node.put("impact", f.impact());
        node.put("fix", f.fix());
        node.put("command", f.command());
        return node;
    }

    public static ObjectNode sarif(AuditReport report, String version) {
        ObjectNode root = JSON.createObjectNode();
        root.put("$schema", SARIF_SCHEMA);
        root.put("version", "2.1.0");
        ObjectNode run = root.putArray("runs").addObject();
        ObjectNode driver = run.putObject("tool").putObject("driver");
        driver.put("name", "pkilab audit");
        driver.put("version", version);
        driver.put("informationUri", "https://github.com/SpecterOps/Certified-Pre-Owned");
        ArrayNode rules = driver.putArray("rules");
        for (EscClass c : EscClass.values()) {
            ObjectNode rule = rules.addObject();
            rule.put("id", c.name());
            rule.put("name", c.title().replaceAll("[^A-Za-z0-9]+", " ").trim().replace(' ', '_'));
            rule.putObject("shortDescription").put("text", c.title());
            rule.putObject("fullDescription").put("text", c.help());
            rule.putObject("help").put("text", c.help() + " Conditions and fix: docs/audit.md#" + c.name().toLowerCase(Locale.ROOT) + ".");
            rule.putObject("defaultConfiguration").put("level", c.severity().sarifLevel());
        }
        ArrayNode results = run.putArray("results");
        for (Finding f : report.findings()) {
            ObjectNode result = results.addObject();
            result.put("ruleId", f.escClass().name());
            result.put("ruleIndex", f.escClass().ordinal());
            result.put("level", f.severity().sarifLevel());
            result.putObject("message").put("text", f.escClass().name() + " on " + kind(f.kind()) + " " + f.object() + ": " + f.impact()
                    + " Exploitable by " + new AuditContext.Holders(f.groups(), f.accounts(), List.of()).describe() + ". Fix: " + f.fix()
                    + (f.command().isEmpty() ? "" : " (" + f.command() + ")"));
            ObjectNode location = result.putArray("locations").addObject();
            ObjectNode logical = location.putArray("logicalLocations").addObject();
            logical.put("name", f.object());
            logical.put("fullyQualifiedName", report.domain() + "/" + f.kind().name().toLowerCase(Locale.ROOT) + "/" + f.object());
            logical.put("kind", "resource");
            ObjectNode properties = result.putObject("properties");
            properties.put("severity", f.severity().label());
            properties.set("finding", json(f));
        }
        return root;
    }

    public static String explanations(List<Explanation> all) {
        StringBuilder out = new StringBuilder();
        for (Explanation e : all) {
            out.append(e.escClass().name()).append(" on ").append(e.object()).append(": ")
                    .append(e.conditions().isEmpty() ? "not checked here" : e.applies() ? "APPLIES" : "does not apply").append('\n');
            for (Condition c : e.conditions()) {
                out.append("  ").append(c).append('\n');
            }
            if (!e.note().isEmpty()) {
                out.append("  ").append(e.note()).append('\n');
            }
        }
        return out.toString();
    }

    public static ArrayNode explanationsJson(List<Explanation> all) {
        ArrayNode array = JSON.createArrayNode();
        for (Explanation e : all) {
            ObjectNode node = array.addObject();
            node.put("class", e.escClass().name());
            node.put("object", e.object());
            node.put("applies", e.applies());
            ArrayNode conditions = node.putArray("conditions");
            for (Condition c : e.conditions()) {
                conditions.addObject().put("name", c.name()).put("holds", c.holds()).put("value", c.value());
            }
            node.put("note", e.note());
        }
        return array;
    }
}
