package org.pkilab.scenario;

import org.pkilab.lab.LabSpec;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import org.yaml.snakeyaml.reader.ReaderException;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads a scenario file (YAML; the format is described in {@code SCENARIOS.md}) and checks all of it
 * before anything runs: every unknown verb or key, duplicate key, missing field and wrong type is
 * reported with the file, the line and what was expected, all at once. So is a file that is not UTF-8
 * text, holds control characters, or is over {@value #MAX_FILE_BYTES} bytes.
 */
public final class ScenarioParser {

    private static final Set<String> TOP_KEYS = Set.of("name", "title", "guide", "lesson", "lab", "steps");
    private static final Set<String> STEP_KEYS = Set.of("says", "expect", "fix");
    /** The guide's longest scenario is a few KB; SnakeYAML reads at most a million code points anyway. */
    public static final int MAX_FILE_BYTES = 1_000_000;

    private final Function<String, String> builtIns;
    /** Scenarios already included in the one being read: each is included once, as a shared step list. */
    private final Set<String> included = new java.util.HashSet<>();

    /** @param builtIns finds the text of a built-in scenario by name (for {@code include}), or null */
    public ScenarioParser(Function<String, String> builtIns) {
        this.builtIns = builtIns;
    }

    /**
     * Reads and checks {@code file}; its name is the {@code source} problems name.
     *
     * @throws ScenarioException        for what is wrong in the file, each as {@code file:line: ...}
     * @throws IllegalArgumentException when the file cannot be read at all
     */
    public Scenario parse(Path file) {
        String source = file.getFileName().toString();
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new ScenarioException(List.of(source + ":1: the file is " + size + " bytes; a scenario file is at most "
                        + MAX_FILE_BYTES + " bytes"));
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return parse(source, utf8(source, bytes));
    }

    /** The text of a file that must be UTF-8; a byte that is not is reported with its line and column. */
    private static String utf8(String source, byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (result.isError()) {
            int at = in.position();
            int line = 1;
            int lineStart = 0;
            for (int i = 0; i < at; i++) {
                if (bytes[i] == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            throw new ScenarioException(List.of(source + ":" + line + ": not UTF-8 text: byte 0x" + String.format("%02X", bytes[at] & 0xFF)
                    + " at column " + (at - lineStart + 1) + "; save the file as UTF-8"));
        }
        decoder.flush(out);
        String text = out.flip().toString();
        // a byte order mark is how some editors say UTF-8; it is not part of the YAML
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    public Scenario parse(String source, String text) {
        included.clear();
        List<String> problems = new ArrayList<>();
        Scenario scenario = parse(source, text, problems, 0);
        if (!problems.isEmpty()) {
            throw new ScenarioException(problems);
        }
        return scenario;
    }

    private Scenario parse(String source, String text, List<String> problems, int depth) {
        Node root;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            options.setMaxAliasesForCollections(10);
            options.setCodePointLimit(1_000_000);
            root = new Yaml(options).compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            problems.add(source + ":" + (e.getProblemMark() == null ? 1 : e.getProblemMark().getLine() + 1) + ": not valid YAML: "
                    + e.getProblem());
            return null;
        } catch (ReaderException e) {
            problems.add(source + ":" + lineOf(text, e.getPosition()) + ": not valid YAML: the character U+"
                    + String.format("%04X", e.getCodePoint()) + " is not allowed in YAML; remove it");
            return null;
        } catch (RuntimeException e) {
            problems.add(source + ":1: not valid YAML: " + e.getMessage());
            return null;
        }
        if (!(root instanceof MappingNode top)) {
            problems.add(source + ":" + line(root) + ": a scenario is a mapping with name, title, lab and steps");
            return null;
        }
        Map<String, Node> keys = mapping(source, top, TOP_KEYS, problems);
        String name = scalar(source, keys.get("name"), "name", true, top, problems);
        String title = scalar(source, keys.get("title"), "title", true, top, problems);
        String guide = scalar(source, keys.get("guide"), "guide", false, top, problems);
        String lessonText = scalar(source, keys.get("lesson"), "lesson", false, top, problems);
        boolean lesson = "true".equalsIgnoreCase(lessonText);
        if (lessonText != null && !lessonText.matches("(?i)true|false")) {
            problems.add(source + ":" + line(keys.get("lesson")) + ": lesson must be true or false, not '" + lessonText + "'");
        }
        LabSpec.Builder lab = LabSpec.builder();
        List<String> hostNames = new ArrayList<>();
        if (keys.containsKey("lab")) {
            lab(source, keys.get("lab"), lab, hostNames, problems);
        }
        List<Scenario.Step> steps = new ArrayList<>();
        Node stepsNode = keys.get("steps");
        if (stepsNode == null) {
            problems.add(source + ":" + line(top) + ": missing 'steps': the list of the guide's steps");
        } else if (!(stepsNode instanceof SequenceNode sequence)) {
            problems.add(source + ":" + line(stepsNode) + ": 'steps' must be a list (each item '- <verb>: ...')");
        } else {
            for (Node item : sequence.getValue()) {
                step(source, item, steps, lab, hostNames, problems, depth);
            }
        }
        return new Scenario(name == null ? "" : name, title == null ? "" : title, guide == null ? "" : guide, lesson, lab.build(),
                steps, source);
    }

    private void lab(String source, Node node, LabSpec.Builder lab, List<String> hostNames, List<String> problems) {
        if (!(node instanceof MappingNode mapping)) {
            problems.add(source + ":" + line(node) + ": 'lab' must be a mapping with domain, computers and users");
            return;
        }
        Map<String, Node> keys = mapping(source, mapping, Set.of("domain", "computers", "users"), problems);
        String domain = scalar(source, keys.get("domain"), "domain", false, mapping, problems);
        if (domain != null) {
            lab.domain(domain);
        }
        if (keys.get("computers") instanceof SequenceNode computers) {
            for (Node computer : computers.getValue()) {
                if (!(computer instanceof MappingNode c)) {
                    problems.add(source + ":" + line(computer) + ": a computer is a mapping: {name: IIS01, role: iis, dns: [...]}");
                    continue;
                }
                Map<String, Node> fields = mapping(source, c, Set.of("name", "role", "dns"), problems);
                String name = scalar(source, fields.get("name"), "name", true, c, problems);
                String role = scalar(source, fields.get("role"), "role", false, c, problems);
                List<String> dns = list(source, fields.get("dns"), "dns", problems);
                if (name == null) {
                    continue;
                }
                String r = role == null ? "client" : role.toLowerCase(Locale.ROOT);
                switch (r) {
                    case "client" -> lab.client(name, dns.toArray(new String[0]));
                    case "iis" -> lab.iis(name, dns.toArray(new String[0]));
                    case "mac" -> lab.mac(name, dns.toArray(new String[0]));
                    default -> problems.add(source + ":" + line(fields.get("role")) + ": role must be client, iis or mac, not '" + role + "'");
                }
                hostNames.add(name.toUpperCase(Locale.ROOT));
            }
        } else if (keys.containsKey("computers")) {
            problems.add(source + ":" + line(keys.get("computers")) + ": 'computers' must be a list");
        }
        for (String user : list(source, keys.get("users"), "users", problems)) {
            lab.user(user);
        }
    }

    private void step(String source, Node item, List<Scenario.Step> steps, LabSpec.Builder lab, List<String> hostNames,
                      List<String> problems, int depth) {
        if (!(item instanceof MappingNode mapping)) {
            problems.add(source + ":" + line(item) + ": a step is '<verb>: <fields>', not " + describe(item));
            return;
        }
        duplicates(source, mapping, problems);
        Verb verb = null;
        Node verbValue = null;
        String says = null;
        String fix = null;
        Scenario.Expectation expect = Scenario.Expectation.SUCCESS;
        for (NodeTuple tuple : mapping.getValue()) {
            String key = keyText(tuple);
            if (STEP_KEYS.contains(key)) {
                if (key.equals("expect")) {
                    expect = expectation(source, tuple.getValueNode(), problems);
                } else if (tuple.getValueNode() instanceof ScalarNode s) {
                    if (key.equals("says")) {
                        says = s.getValue();
                    } else {
                        fix = s.getValue();
                    }
                } else {
                    problems.add(source + ":" + line(tuple.getValueNode()) + ": '" + key + "' must be text");
                }
                continue;
            }
            if (verb != null) {
                problems.add(source + ":" + line(tuple.getKeyNode()) + ": a step has one verb; '" + key + "' follows '" + verb.text() + "'");
                continue;
            }
            verb = Verb.of(key).orElse(null);
            if (verb == null) {
                problems.add(source + ":" + line(tuple.getKeyNode()) + ": unknown verb '" + key + "'; expected one of: "
                        + String.join(", ", java.util.Arrays.stream(Verb.values()).map(Verb::text).toList()));
                return;
            }
            verbValue = tuple.getValueNode();
        }
        if (verb == null) {
            problems.add(source + ":" + line(item) + ": a step needs a verb (such as 'create group: ConfigMgr IIS Servers')");
            return;
        }
        Map<String, Object> fields = fields(source, verb, verbValue, problems);
        if (verb == Verb.INCLUDE && fields.get("scenario") != null) {
            include(source, line(verbValue), String.valueOf(fields.get("scenario")), steps, lab, hostNames, problems, depth);
            return;
        }
        for (String hostField : List.of("host", "from", "to", "management point")) {
            Object host = fields.get(hostField);
            if (host != null && !hostNames.contains(String.valueOf(host).toUpperCase(Locale.ROOT))) {
                problems.add(source + ":" + line(verbValue) + ": " + hostField + " '" + host + "' is not a computer of this lab's 'computers'");
            }
        }
        steps.add(new Scenario.Step(source, line(item), verb, fields, says, expect, fix));
    }

    private void include(String source, int line, String name, List<Scenario.Step> steps, LabSpec.Builder lab, List<String> hostNames,
                         List<String> problems, int depth) {
        if (!included.add(name.toLowerCase(Locale.ROOT))) {
            return;
        }
        String text = builtIns == null ? null : builtIns.apply(name);
        if (text == null || depth > 4) {
            problems.add(source + ":" + line + ": include: no built-in scenario '" + name + "'" + (depth > 4 ? " (includes nest too deep)" : ""));
            return;
        }
        Scenario included = parse(name + ".yaml", text, problems, depth + 1);
        if (included == null) {
            return;
        }
        for (LabSpec.HostSpec host : included.lab().hosts()) {
            if (!hostNames.contains(host.name().toUpperCase(Locale.ROOT))) {
                hostNames.add(host.name().toUpperCase(Locale.ROOT));
                switch (host.role()) {
                    case CLIENT -> lab.client(host.name(), host.dnsNames().toArray(new String[0]));
                    case IIS -> lab.iis(host.name(), host.dnsNames().toArray(new String[0]));
                    case MAC -> lab.mac(host.name(), host.dnsNames().toArray(new String[0]));
                }
            }
        }
        included.lab().users().forEach(lab::user);
        steps.addAll(included.steps());
    }

    private Map<String, Object> fields(String source, Verb verb, Node value, List<String> problems) {
        Map<String, Object> fields = new LinkedHashMap<>();
        if (value instanceof ScalarNode scalar) {
            Verb.Field first = verb.fields().get(0);
            fields.put(first.name(), typed(source, first, scalar, verb, problems));
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

    private static Object typed(String source, Verb.Field field, Node node, Verb verb, List<String> problems) {
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

    private static Scenario.Expectation expectation(String source, Node node, List<String> problems) {
        if (node instanceof ScalarNode s) {
            switch (s.getValue().toLowerCase(Locale.ROOT)) {
                case "success", "connected", "issued" -> {
                    return Scenario.Expectation.SUCCESS;
                }
                case "pending" -> {
                    return new Scenario.Expectation(Scenario.Expectation.Kind.PENDING, null);
                }
                default -> {
                    problems.add(source + ":" + line(node) + ": expect must be success, pending or {error: <code or name>}, not '"
                            + s.getValue() + "'");
                    return Scenario.Expectation.SUCCESS;
                }
            }
        }
        if (node instanceof MappingNode m && m.getValue().size() == 1 && "error".equals(keyText(m.getValue().get(0)))
                && m.getValue().get(0).getValueNode() instanceof ScalarNode error) {
            return new Scenario.Expectation(Scenario.Expectation.Kind.FAILURE, error.getValue());
        }
        problems.add(source + ":" + line(node) + ": expect must be success, pending or {error: <code or name>}");
        return Scenario.Expectation.SUCCESS;
    }

    /** The line of the code point at {@code position} (where SnakeYAML's reader stopped). */
    private static int lineOf(String text, int position) {
        int line = 1;
        int offset = 0;
        for (int i = 0; i < position && offset < text.length(); i++) {
            if (text.charAt(offset) == '\n') {
                line++;
            }
            offset += Character.charCount(text.codePointAt(offset));
        }
        return line;
    }

    /** A key given twice in one mapping: YAML forbids it, and SnakeYAML's composer lets it through. */
    private static void duplicates(String source, MappingNode node, List<String> problems) {
        Map<String, Integer> seen = new java.util.HashMap<>();
        for (NodeTuple tuple : node.getValue()) {
            String key = keyText(tuple);
            Integer first = seen.putIfAbsent(key, line(tuple.getKeyNode()));
            if (first != null) {
                problems.add(source + ":" + line(tuple.getKeyNode()) + ": '" + key + "' is given twice in one mapping (first on line "
                        + first + "); keep one");
            }
        }
    }

    private static Map<String, Node> mapping(String source, MappingNode node, Set<String> allowed, List<String> problems) {
        duplicates(source, node, problems);
        Map<String, Node> keys = new LinkedHashMap<>();
        for (NodeTuple tuple : node.getValue()) {
            String key = keyText(tuple);
            if (!allowed.contains(key)) {
                problems.add(source + ":" + line(tuple.getKeyNode()) + ": unknown key '" + key + "'; expected one of " + String.join(", ",
                        new java.util.TreeSet<>(allowed)));
                continue;
            }
            keys.put(key, tuple.getValueNode());
        }
        return keys;
    }

    private static String scalar(String source, Node node, String name, boolean required, Node parent, List<String> problems) {
        if (node == null) {
            if (required) {
                problems.add(source + ":" + line(parent) + ": missing '" + name + "'");
            }
            return null;
        }
        if (node instanceof ScalarNode s) {
            return s.getValue();
        }
        problems.add(source + ":" + line(node) + ": '" + name + "' must be text, not " + describe(node));
        return null;
    }

    private static List<String> list(String source, Node node, String name, List<String> problems) {
        if (node == null) {
            return List.of();
        }
        if (node instanceof ScalarNode s) {
            return List.of(s.getValue());
        }
        if (node instanceof SequenceNode seq) {
            List<String> values = new ArrayList<>();
            seq.getValue().forEach(n -> {
                if (n instanceof ScalarNode s) {
                    values.add(s.getValue());
                } else {
                    problems.add(source + ":" + line(n) + ": '" + name + "' must list text items");
                }
            });
            return values;
        }
        problems.add(source + ":" + line(node) + ": '" + name + "' must be a list");
        return List.of();
    }

    private static String keyText(NodeTuple tuple) {
        return tuple.getKeyNode() instanceof ScalarNode s ? s.getValue() : String.valueOf(tuple.getKeyNode());
    }

    private static String describe(Node node) {
        if (node instanceof ScalarNode s) {
            return "'" + s.getValue() + "'";
        }
        return node instanceof SequenceNode ? "a list" : "a mapping";
    }

    private static String describeFields(Verb verb) {
        return "{" + String.join(", ", verb.fields().stream().map(f -> f.name() + (f.required() ? "" : "?") + ": " + f.type().description()).toList()) + "}";
    }

    private static int line(Node node) {
        return node == null ? 1 : node.getStartMark().getLine() + 1;
    }
}
