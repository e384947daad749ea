package org.pkilab.scenario;

import org.pkilab.ca.RevocationReason;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.DefaultTemplates;
import org.pkilab.directory.model.DomainNames;
import org.pkilab.directory.model.PkiPeriod;
import org.pkilab.directory.model.SecurityIdentifier;
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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 */
public final class ScenarioParser {

    private static final Set<String> TOP_KEYS = Set.of("name", "title", "guide", "lesson", "lab", "steps");
    private static final Set<String> STEP_KEYS = Set.of("says", "expect", "fix");
    /** The guide's longest scenario is a few KB; SnakeYAML reads at most a million code points anyway. */
    public static final int MAX_FILE_BYTES = 1_000_000;

    /** The domain the built-in scenarios are written for; a lab of another domain gets its own names. */
    static final String BUILT_IN_DOMAIN = "contoso.com";
    private static final Pattern BUILT_IN_DOMAIN_NAME = Pattern.compile("(?i)(?<![a-z0-9-])contoso\\.com\\b");
    private static final List<String> RIGHTS = List.of("Read", "Write", "Enroll", "Autoenroll", "Full Control");
    private static final Map<String, String> AUTOENROLLMENT = Map.of("enabled", "Enabled", "true", "Enabled", "yes", "Enabled",
            "on", "Enabled", "disabled", "Disabled", "false", "Disabled", "no", "Disabled", "off", "Disabled",
            "not configured", "Not configured");
    private static final Map<String, String> SUBJECT_NAME_MODES = Map.of("supply", "supply in request", "supply in request",
            "supply in request", "supply in the request", "supply in request", "build", "build from Active Directory",
            "build from active directory", "build from Active Directory", "build from this active directory information",
            "build from Active Directory");
    private static final List<String> PERIOD_UNITS = List.of("years", "weeks", "days", "hours");
    /** Every account a fresh domain has before any scenario runs. */
    private static final List<String> BUILT_IN_USERS = List.of("Administrator");

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
        return parse(source, read(file, source), absolute.toString(), absolute.getParent());
    }

    /** The text of a scenario file, checked for size and encoding; problems name {@code source}. */
    private static String read(Path file, String source) {
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
        return utf8(source, bytes);
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
            references(scenario, problems);
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
        Map<String, Integer> lines = new HashMap<>();
        Map<String, Object> fields = fields(source, verb, verbValue, problems, lines);
        values(source, verb, fields, lines, problems);
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
                text = read(file, includedSource);
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

    private Map<String, Object> fields(String source, Verb verb, Node value, List<String> problems, Map<String, Integer> lines) {
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
    private static void values(String source, Verb verb, Map<String, Object> fields, Map<String, Integer> lines, List<String> problems) {
        java.util.function.BiFunction<String, String, String> at = (field, what) -> source + ":" + lines.getOrDefault(field, 1) + ": '"
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
        if (fields.get("rights") instanceof List<?> rights) {
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

    /**
     * Every template and user a step names must exist when it runs: a default template of the CA or one the
     * scenario duplicates; Administrator, a lab user, or one the scenario creates.
     */
    private static void references(Scenario scenario, List<String> problems) {
        Set<String> templates = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        List<String> defaults = new ArrayList<>();
        for (CertificateTemplate t : DefaultTemplates.all("1.2.3", SecurityIdentifier.parse("S-1-5-21-1-2-3"))) {
            templates.add(t.name());
            templates.add(t.displayName());
            defaults.add(t.displayName());
        }
        Set<String> users = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        users.addAll(BUILT_IN_USERS);
        users.addAll(scenario.lab().users());
        for (Scenario.Step step : scenario.steps()) {
            if (step.verb() == Verb.DUPLICATE_TEMPLATE && step.text("name") != null) {
                templates.add(step.text("name"));
            }
            if (step.verb() == Verb.CREATE_USER && step.text("name") != null) {
                if (scenario.lab().users().stream().anyMatch(step.text("name")::equalsIgnoreCase)) {
                    problems.add(step.where() + ": 'create user' makes " + step.text("name") + ", whom the lab already has (lab: users, "
                            + "created before step 1); keep one of the two");
                }
                users.add(step.text("name"));
            }
        }
        for (Scenario.Step step : scenario.steps()) {
            List<String> named = new ArrayList<>();
            if (step.text("template") != null) {
                named.add(step.text("template"));
            }
            named.addAll(step.verb() == Verb.SUPERSEDE ? step.list("templates") : List.of());
            if ((step.verb() == Verb.ISSUE_TEMPLATE || step.verb() == Verb.STOP_ISSUING) && step.text("name") != null) {
                named.add(step.text("name"));
            }
            String client = step.verb() == Verb.CONNECT ? step.text("client certificate") : null;
            if (client != null && !client.equalsIgnoreCase("none")) {
                named.add(client);
            }
            for (String template : named) {
                if (!templates.contains(template)) {
                    problems.add(step.where() + ": template '" + template + "' is neither a default template of the CA (" + String.join(", ", defaults)
                            + ") nor made by a 'duplicate template' step of this scenario" + NearestName.hint(template, templates));
                }
            }
            for (String field : List.of("user", "as")) {
                String user = step.text(field);
                if (user != null && !users.contains(user)) {
                    problems.add(step.where() + ": " + field + " '" + user + "' is not in this lab: add it to 'lab: users' or make it with a "
                            + "'create user' step (Administrator is built in)" + NearestName.hint(user, users));
                }
            }
        }
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
