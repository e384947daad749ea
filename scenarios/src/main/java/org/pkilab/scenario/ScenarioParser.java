package org.pkilab.scenario;

import org.pkilab.directory.model.DomainNames;
import org.pkilab.lab.LabSpec;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.pkilab.scenario.ScenarioYaml.describe;
import static org.pkilab.scenario.ScenarioYaml.duplicates;
import static org.pkilab.scenario.ScenarioYaml.keyText;
import static org.pkilab.scenario.ScenarioYaml.line;
import static org.pkilab.scenario.ScenarioYaml.list;
import static org.pkilab.scenario.ScenarioYaml.mapping;
import static org.pkilab.scenario.ScenarioYaml.scalar;

/**
 * Reads a scenario file (YAML; the format is described in {@code SCENARIOS.md}) and checks all of it
 * before anything runs: every unknown verb or key, duplicate key, missing field and wrong type is
 * reported with the file, the line and what was expected, all at once. So is a file that is not UTF-8
 * text, holds control characters, or is over {@value #MAX_FILE_BYTES} bytes.
 *
 * <p>Values are checked too, with the nearest valid one suggested: {@code rights: [Read, Enrol]} is
 * refused with "did you mean 'Enroll'?", as are a subject name mode, a period, a revocation reason or an
 * autoenrollment setting the consoles do not offer, and a template or user that is neither built into the
 * lab nor made by the scenario.
 *
 * <p>{@code include: web-template} reads a built-in scenario; {@code include: part.yaml} a file next to the
 * including one. Each is included once (a second include is noted, not run again); a cycle is refused
 * with its chain. A built-in follows the lab's domain: in a {@code fabrikam.local} lab its
 * {@code server1.internal.contoso.com} becomes {@code server1.internal.fabrikam.local}.
 *
 * <p>This class owns the file's structure (top keys, the lab, steps and includes); the YAML itself is
 * {@link ScenarioYaml}'s, a step's arguments {@link StepFields}', and the names steps refer to
 * {@link ScenarioReferences}'.
 */
public final class ScenarioParser {

    private static final Set<String> TOP_KEYS = Set.of("name", "title", "guide", "lesson", "lab", "steps");
    private static final Set<String> STEP_KEYS = Set.of("says", "expect", "fix");
    public static final int MAX_FILE_BYTES = ScenarioYaml.MAX_FILE_BYTES;

    /** The domain the built-in scenarios are written for; a lab of another domain gets its own names. */
    static final String BUILT_IN_DOMAIN = "contoso.com";
    private static final Pattern BUILT_IN_DOMAIN_NAME = Pattern.compile("(?i)(?<![a-z0-9-])contoso\\.com\\b");

    private final Function<String, String> builtIns;
    /** Per scenario read: where each included scenario was first included; it runs once, as a shared step list. */
    private final Map<String, String> included = new HashMap<>();
    /** The files being read, outermost first, as keys and as named in messages: an include of one of them is a cycle. */
    private final Deque<String> chainKeys = new ArrayDeque<>();
    private final Deque<String> chainNames = new ArrayDeque<>();
    private final List<String> notes = new ArrayList<>();
    private String domain = BUILT_IN_DOMAIN;
    /** The folder of the file {@code pkilab run} was given: included files lie in it or below it. */
    private Path root;

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
        Path absolute = file.toAbsolutePath().normalize();
        return parse(source, ScenarioYaml.read(file, source), absolute.toString(), absolute.getParent());
    }

    /** Reads and checks a scenario given as text (a built-in, or a test's); it can include built-ins, not files. */
    public Scenario parse(String source, String text) {
        return parse(source, text, "built-in " + baseName(source).toLowerCase(Locale.ROOT), null);
    }

    private Scenario parse(String source, String text, String key, Path folder) {
        included.clear();
        chainKeys.clear();
        chainNames.clear();
        notes.clear();
        domain = BUILT_IN_DOMAIN;
        root = folder;
        List<String> problems = new ArrayList<>();
        chainKeys.push(key);
        chainNames.push(source);
        Scenario scenario = parse(source, text, problems, 0, folder);
        if (scenario != null) {
            ScenarioReferences.check(scenario, problems);
        }
        if (!problems.isEmpty()) {
            throw new ScenarioException(problems);
        }
        return new Scenario(scenario.name(), scenario.title(), scenario.guide(), scenario.lesson(), scenario.lab(), scenario.steps(),
                scenario.source(), notes);
    }

    private static String baseName(String source) {
        return source.replaceFirst("(?i)\\.ya?ml$", "");
    }

    /** {@code folder}: where the file being read lies, for the files it includes; null for a built-in. */
    private Scenario parse(String source, String text, List<String> problems, int depth, Path folder) {
        int known = problems.size();
        Node root = ScenarioYaml.compose(source, text, problems);
        if (root == null && problems.size() > known) {
            return null; // not YAML: said already
        }
        if (!(root instanceof MappingNode top)) {
            problems.add(source + ":" + line(root) + ": a scenario is a mapping with name, title, lab and steps");
            return null;
        }
        Map<String, Node> keys = mapping(source, top, TOP_KEYS, problems);
        String name = scalar(source, keys.get("name"), "name", false, top, problems);
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
        if (depth == 0) {
            domain = lab.build().domain();
        }
        List<Scenario.Step> steps = new ArrayList<>();
        Node stepsNode = keys.get("steps");
        if (stepsNode == null) {
            problems.add(source + ":" + line(top) + ": missing 'steps': the list of the guide's steps");
        } else if (!(stepsNode instanceof SequenceNode sequence)) {
            problems.add(source + ":" + line(stepsNode) + ": 'steps' must be a list (each item '- <verb>: ...')");
        } else {
            for (Node item : sequence.getValue()) {
                step(source, item, steps, lab, hostNames, problems, depth, folder);
            }
        }
        return new Scenario(name == null ? baseName(source) : name, title == null ? "" : title, guide == null ? "" : guide, lesson,
                lab.build(), steps, source, List.of());
    }

    private void lab(String source, Node node, LabSpec.Builder lab, List<String> hostNames, List<String> problems) {
        if (!(node instanceof MappingNode mapping)) {
            problems.add(source + ":" + line(node) + ": 'lab' must be a mapping with domain, computers and users");
            return;
        }
        Map<String, Node> keys = mapping(source, mapping, Set.of("domain", "computers", "users"), problems);
        String domain = scalar(source, keys.get("domain"), "domain", false, mapping, problems);
        if (domain != null) {
            try {
                DomainNames.of(domain);
                lab.domain(domain);
            } catch (IllegalArgumentException e) {
                problems.add(source + ":" + line(keys.get("domain")) + ": " + e.getMessage());
            }
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
                    case "device" -> lab.device(name, dns.toArray(new String[0]));
                    default -> problems.add(source + ":" + line(fields.get("role")) + ": role must be client, iis, mac or device, not '" + role + "'");
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
                      List<String> problems, int depth, Path folder) {
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
                    expect = StepFields.expectation(source, tuple.getValueNode(), problems);
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
        Map<String, Integer> lines = new HashMap<>();
        Map<String, Object> fields = StepFields.fields(source, verb, verbValue, problems, lines);
        StepFields.values(source, verb, fields, lines, problems);
        if (verb == Verb.INCLUDE && fields.get("scenario") != null) {
            include(source, line(verbValue), String.valueOf(fields.get("scenario")), steps, lab, hostNames, problems, depth, folder);
            return;
        }
        for (String hostField : List.of("host", "from", "to", "management point")) {
            Object host = fields.get(hostField);
            if (host != null && !hostNames.contains(String.valueOf(host).toUpperCase(Locale.ROOT))) {
                problems.add(source + ":" + line(verbValue) + ": " + hostField + " '" + host + "' is not a computer of this lab's 'computers'");
            }
        }
        Object device = fields.get("device");
        if (device != null && lab.roleOf(String.valueOf(device)) != LabSpec.Role.DEVICE) {
            problems.add(source + ":" + line(verbValue) + ": device '" + device + "' is not a network device of this lab's 'computers' "
                    + "(declare it with role: device)");
        }
        Object protocol = fields.get("protocol");
        if (protocol != null && !DeviceSteps.PROTOCOLS.contains(String.valueOf(protocol).toLowerCase(Locale.ROOT))) {
            problems.add(source + ":" + line(verbValue) + ": protocol '" + protocol + "' is not one 'enroll device' speaks: use "
                    + String.join(", ", DeviceSteps.PROTOCOLS));
        }
        steps.add(new Scenario.Step(source, line(item), verb, fields, says, expect, fix));
    }

    private void include(String source, int line, String name, List<Scenario.Step> steps, LabSpec.Builder lab, List<String> hostNames,
                         List<String> problems, int depth, Path folder) {
        String where = source + ":" + line + ": include: ";
        boolean isFile = name.matches("(?i).*\\.ya?ml") || name.contains("/") || name.contains("\\");
        Path file = null;
        String key;
        String includedSource;
        if (isFile) {
            if (folder == null) {
                problems.add(where + "'" + name + "' is a file; only a scenario file includes files (found next to it), a built-in does not");
                return;
            }
            file = folder.resolve(name).toAbsolutePath().normalize();
            // a scenario file may come from someone else: it reads only scenario files beside the one that was run
            if (!name.matches("(?i).*\\.ya?ml") || !file.startsWith(root)) {
                problems.add(where + "no built-in scenario and no scenario file '" + name + "': an included file is a .yaml file in the folder of "
                        + chainNames.peekLast() + " or below it");
                return;
            }
            key = file.toString();
            includedSource = name;
        } else {
            key = "built-in " + name.toLowerCase(Locale.ROOT);
            includedSource = name + ".yaml";
        }
        if (chainKeys.contains(key)) {
            List<String> chain = new ArrayList<>(chainNames);
            java.util.Collections.reverse(chain);
            problems.add(where + "a cycle: " + String.join(" -> ", chain) + " -> " + includedSource
                    + "; a scenario cannot include itself, directly or through others: remove one of these includes");
            return;
        }
        if (depth >= 4) {
            problems.add(where + "'" + name + "' nests includes more than 5 deep; include its pieces from the top file instead");
            return;
        }
        String first = included.putIfAbsent(key, source + ":" + line);
        if (first != null) {
            notes.add(where + "'" + name + "' was already included at " + first + "; its steps run once, so this include adds nothing");
            return;
        }
        String text;
        if (isFile) {
            if (!Files.isRegularFile(file)) {
                problems.add(where + "no file '" + name + "' next to " + source + " (looked for " + file + ")");
                return;
            }
            try {
                text = ScenarioYaml.read(file, includedSource);
            } catch (ScenarioException e) {
                problems.addAll(e.problems());
                return;
            } catch (IllegalArgumentException e) {
                problems.add(where + e.getMessage());
                return;
            }
        } else {
            text = builtIns == null ? null : builtIns.apply(name);
            if (text == null) {
                problems.add(where + "no built-in scenario '" + name + "'" + NearestName.hint(name, BuiltInScenarios.names())
                        + " ('pkilab scenarios' lists them; a file is named with .yaml)");
                return;
            }
            if (!domain.equals(BUILT_IN_DOMAIN)) {
                text = BUILT_IN_DOMAIN_NAME.matcher(text).replaceAll(Matcher.quoteReplacement(domain));
            }
        }
        chainKeys.push(key);
        chainNames.push(includedSource);
        Scenario included;
        try {
            included = parse(includedSource, text, problems, depth + 1, isFile ? file.getParent() : null);
        } finally {
            chainKeys.pop();
            chainNames.pop();
        }
        if (included == null) {
            return;
        }
        for (LabSpec.HostSpec host : included.lab().hosts()) {
            LabSpec.Role declared = lab.roleOf(host.name());
            if (declared != null && declared != host.role()) {
                problems.add(where + includedSource + " needs " + host.name() + " with role " + host.role().name().toLowerCase(Locale.ROOT)
                        + ", and this lab declares it role " + declared.name().toLowerCase(Locale.ROOT) + "; declare it role "
                        + host.role().name().toLowerCase(Locale.ROOT) + " or use another computer");
            }
            lab.host(host);
            if (!hostNames.contains(host.name().toUpperCase(Locale.ROOT))) {
                hostNames.add(host.name().toUpperCase(Locale.ROOT));
            }
        }
        included.lab().users().forEach(lab::user);
        steps.addAll(included.steps());
    }

}
