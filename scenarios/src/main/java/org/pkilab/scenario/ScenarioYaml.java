package org.pkilab.scenario;

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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A scenario file as YAML: read as UTF-8 text of at most {@value #MAX_FILE_BYTES} bytes, composed into
 * SnakeYAML's nodes (which keep their lines), and read node by node, each problem added as
 * {@code file:line: what was expected} rather than thrown, so that a file's problems are reported together.
 */
final class ScenarioYaml {

    /** The guide's longest scenario is a few KB; SnakeYAML reads at most a million code points anyway. */
    static final int MAX_FILE_BYTES = 1_000_000;

    private ScenarioYaml() {
    }

    /** The text of a scenario file, checked for size and encoding; problems name {@code source}. */
    static String read(Path file, String source) {
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
    static String utf8(String source, byte[] bytes) {
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

    /** The document's root node, or null with the problem added when the text is not YAML. */
    static Node compose(String source, String text, List<String> problems) {
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            options.setMaxAliasesForCollections(10);
            options.setCodePointLimit(1_000_000);
            return new Yaml(options).compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            problems.add(source + ":" + (e.getProblemMark() == null ? 1 : e.getProblemMark().getLine() + 1) + ": not valid YAML: "
                    + e.getProblem());
        } catch (ReaderException e) {
            problems.add(source + ":" + lineOf(text, e.getPosition()) + ": not valid YAML: the character U+"
                    + String.format("%04X", e.getCodePoint()) + " is not allowed in YAML; remove it");
        } catch (RuntimeException e) {
            problems.add(source + ":1: not valid YAML: " + e.getMessage());
        }
        return null;
    }

    /** The line of the code point at {@code position} (where SnakeYAML's reader stopped). */
    static int lineOf(String text, int position) {
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
    static void duplicates(String source, MappingNode node, List<String> problems) {
        Map<String, Integer> seen = new HashMap<>();
        for (NodeTuple tuple : node.getValue()) {
            String key = keyText(tuple);
            Integer first = seen.putIfAbsent(key, line(tuple.getKeyNode()));
            if (first != null) {
                problems.add(source + ":" + line(tuple.getKeyNode()) + ": '" + key + "' is given twice in one mapping (first on line "
                        + first + "); keep one");
            }
        }
    }

    static Map<String, Node> mapping(String source, MappingNode node, Set<String> allowed, List<String> problems) {
        duplicates(source, node, problems);
        Map<String, Node> keys = new LinkedHashMap<>();
        for (NodeTuple tuple : node.getValue()) {
            String key = keyText(tuple);
            if (!allowed.contains(key)) {
                problems.add(source + ":" + line(tuple.getKeyNode()) + ": unknown key '" + key + "'; expected one of " + String.join(", ",
                        new TreeSet<>(allowed)));
                continue;
            }
            keys.put(key, tuple.getValueNode());
        }
        return keys;
    }

    static String scalar(String source, Node node, String name, boolean required, Node parent, List<String> problems) {
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

    static List<String> list(String source, Node node, String name, List<String> problems) {
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

    static String keyText(NodeTuple tuple) {
        return tuple.getKeyNode() instanceof ScalarNode s ? s.getValue() : String.valueOf(tuple.getKeyNode());
    }

    static String describe(Node node) {
        if (node instanceof ScalarNode s) {
            return "'" + s.getValue() + "'";
        }
        return node instanceof SequenceNode ? "a list" : "a mapping";
    }

    static int line(Node node) {
        return node == null ? 1 : node.getStartMark().getLine() + 1;
    }
}
