package org.pkilab.project;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README, SCENARIOS.md and docs/ as a newcomer reads them in a fresh clone: the README stays short,
 * every relative link opens a file of the clone (and the heading it names), and the test command the
 * README gives is the one CI runs.
 */
class DocumentationTest {

    private static final int README_LIMIT = 150;
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    private static final Pattern FENCE = Pattern.compile("(?ms)^```[a-z]*\\n(.*?)^```");

    @Test
    void readmeStaysShort() throws IOException {
        long lines = Files.readAllLines(Repository.root().resolve("README.md")).size();
        assertTrue(lines < README_LIMIT, "README.md has " + lines + " lines; keep it under " + README_LIMIT
                + " and move detail into docs/");
    }

    @Test
    void everyRelativeLinkOpensAFileOfTheClone() throws IOException {
        Path root = Repository.root();
        List<String> broken = new ArrayList<>();
        for (Path page : pages(root)) {
            Matcher link = LINK.matcher(withoutCode(Files.readString(page)));
            while (link.find()) {
                String target = link.group(1);
                if (target.matches("^[a-z]+:.*")) {
                    continue; // https:, mailto: leave the clone on purpose
                }
                String file = target.contains("#") ? target.substring(0, target.indexOf('#')) : target;
                String anchor = target.contains("#") ? target.substring(target.indexOf('#') + 1) : "";
                Path resolved = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
                String where = root.relativize(page) + ": (" + target + ")";
                if (!resolved.startsWith(root)) {
                    broken.add(where + " points outside the clone");
                } else if (!Files.exists(resolved)) {
                    broken.add(where + " names no file");
                } else if (!anchor.isEmpty() && !headingAnchors(resolved).contains(anchor)) {
                    broken.add(where + " names no heading of " + root.relativize(resolved) + "; it has " + headingAnchors(resolved));
                }
            }
        }
        assertEquals(List.of(), broken);
    }

    @Test
    void ciRunsTheReadmesTestCommand() throws IOException {
        Path root = Repository.root();
        Matcher block = FENCE.matcher(Files.readString(root.resolve("README.md")));
        assertTrue(block.find(), "README.md shows no commands");
        List<String> commands = block.group(1).lines().map(line -> line.replaceFirst("#.*", "").trim()).toList();
        assertEquals(2, commands.size(), "the README's first block is the main job and the test command: " + commands);
        String testCommand = commands.get(1);

        List<String> ci = Files.readAllLines(root.resolve(".ci/run")).stream()
                .map(String::trim)
                .filter(line -> !line.isEmpty() && !line.startsWith("#") && !line.startsWith("set ") && !line.startsWith("cd "))
                .toList();
        assertEquals(List.of("exec " + testCommand), ci, ".ci/run must run exactly the README's test command");
    }

    /** The request-flow page names the classes a request passes through (and a test to copy): each must be one the code has. */
    @Test
    void theRequestFlowNamesClassesTheCodeHas() throws IOException {
        Path root = Repository.root();
        String page = Files.readString(root.resolve("docs/request-flow.md"));
        StringBuilder sources = new StringBuilder();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".java") && f.toString().contains("/src/")).toList()) {
                sources.append(Files.readString(p)).append('\n');
            }
        }
        Matcher named = Pattern.compile("`([A-Z][a-z][A-Za-z0-9]*)(?:\\.[A-Za-z]+)?`").matcher(page);
        List<String> unknown = new ArrayList<>();
        int names = 0;
        while (named.find()) {
            names++;
            String type = named.group(1);
            if (!Pattern.compile("\\b(class|interface|record|enum) " + type + "\\b").matcher(sources).find()) {
                unknown.add(type);
            }
        }
        assertTrue(names > 30, "docs/request-flow.md names only " + names + " classes");
        assertEquals(List.of(), unknown, "docs/request-flow.md names classes the code does not have; rename them there");
    }

    private static List<Path> pages(Path root) throws IOException {
        List<Path> pages = new ArrayList<>(List.of(root.resolve("README.md"), root.resolve("SCENARIOS.md")));
        try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        return pages;
    }

    /** Links inside code blocks and code spans are code, not links. */
    private static String withoutCode(String markdown) {
        return FENCE.matcher(markdown).replaceAll("").replaceAll("`[^`\\n]*`", "");
    }

    /** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens. */
    private static List<String> headingAnchors(Path page) throws IOException {
        if (!page.toString().endsWith(".md")) {
            return List.of();
        }
        return FENCE.matcher(Files.readString(page)).replaceAll("").lines()
                .filter(line -> line.startsWith("#"))
                .map(line -> line.replaceFirst("^#+\\s*", "").toLowerCase(Locale.ROOT)
                        .replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'))
                .toList();
    }
}
