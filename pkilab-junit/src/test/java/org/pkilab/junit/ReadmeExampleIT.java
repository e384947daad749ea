package org.pkilab.junit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's JUnit example as another team would use it: a separate Maven project made of exactly the
 * files the README shows (each code block that opens with a comment naming its path), built by Maven
 * against the lab's artifacts, its tests run and passed.
 *
 * <p>The other project gets a local repository of its own, holding only the lab's artifacts as this build
 * made them (so an older {@code org.pkilab} snapshot in {@code ~/.m2} can never stand in for them), and
 * reads everything else (JUnit, Jetty, plugins) from this build's local repository, as a remote repository
 * it never writes to, with Maven Central behind it for what that lacks.
 */
class ReadmeExampleIT {

    /** A fenced code block whose first line is a comment naming a file: {@code <!-- pom.xml -->}, {@code // src/...}, {@code # src/...}. */
    private static final Pattern FILE_BLOCK = Pattern.compile(
            "(?ms)^```[a-z]*\\n((?:<!--|//|#)\\s*([\\w./-]+\\.[a-z]+)\\s*(?:-->)?\\n.*?)^```");

    @TempDir
    Path scratch;

    @Test
    void aProjectWrittenFromTheReadmeAloneCompilesAndItsTestsPass() throws Exception {
        Path project = Files.createDirectories(scratch.resolve("site-pki-tests"));
        Map<String, String> files = readmeFiles(Path.of(property("readme")));
        assertEquals(List.of("pom.xml", "src/test/resources/management-point.yaml"),
                files.keySet().stream().filter(name -> !name.endsWith(".java")).toList(),
                "the README's example shows a pom.xml and its scenario file");
        List<String> testClasses = files.keySet().stream().filter(name -> name.endsWith("Test.java")).toList();
        assertEquals(1, testClasses.size(), "the README's example shows one test class: " + files.keySet());
        for (Map.Entry<String, String> file : files.entrySet()) {
            Path target = project.resolve(file.getKey());
            Files.createDirectories(target.getParent());
            Files.writeString(target, file.getValue());
        }

        Path repository = labRepository(scratch.resolve("repository"));
        Path settings = settingsReadingThisBuildsRepository(scratch.resolve("settings.xml"));
        Path log = scratch.resolve("build.log");
        List<String> command = List.of(maven(), "-B", "-ntp", "-s", settings.toString(),
                "-Dmaven.repo.local=" + repository, "test");
        Process build = new ProcessBuilder(command).directory(project.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        if (!build.waitFor(10, TimeUnit.MINUTES)) {
            build.destroyForcibly();
            throw new AssertionError("the README's example project did not build in 10 minutes:\n" + tail(log));
        }

        assertEquals(0, build.exitValue(), String.join(" ", command) + " in " + project + " failed:\n" + tail(log));
        String testClass = testClasses.get(0).replaceFirst("^src/test/java/", "").replace(".java", "").replace('/', '.');
        Path report = project.resolve("target/surefire-reports/TEST-" + testClass + ".xml");
        assertTrue(Files.exists(report), "Surefire ran no " + testClass + ":\n" + tail(log));
        String summary = Files.readString(report).lines().filter(line -> line.contains("<testsuite")).findFirst().orElse("");
        assertTrue(summary.contains(" failures=\"0\"") && summary.contains(" errors=\"0\"") && summary.contains(" skipped=\"0\"")
                && !summary.contains(" tests=\"0\""), testClass + " did not pass as a whole: " + summary + "\n" + tail(log));
    }

    /** The files the README's example shows, by path, in the order it shows them. */
    private static Map<String, String> readmeFiles(Path readme) throws IOException {
        Map<String, String> files = new LinkedHashMap<>();
        Matcher block = FILE_BLOCK.matcher(Files.readString(readme));
        while (block.find()) {
            files.put(block.group(2), block.group(1));
        }
        return files;
    }

    /** A local repository holding the lab's artifacts of this build, as {@code mvn install} would lay them out. */
    private static Path labRepository(Path repository) throws IOException {
        Path built = Path.of(property("lab.repository"));
        try (Stream<Path> files = Files.walk(built)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Path target = repository.resolve(built.relativize(file).toString());
                Files.createDirectories(target.getParent());
                Files.copy(file, target);
            }
        }
        String group = property("lab.groupId").replace('.', '/');
        String version = property("lab.version");
        install(repository, group, property("lab.parentArtifactId"), version, Path.of(property("lab.parentPom")), "pom");
        install(repository, group, property("lab.artifactId"), version, Path.of(property("lab.pom")), "pom");
        install(repository, group, property("lab.artifactId"), version, Path.of(property("lab.jar")), "jar");
        return repository;
    }

    private static void install(Path repository, String group, String artifact, String version, Path file, String extension)
            throws IOException {
        Path folder = Files.createDirectories(repository.resolve(group).resolve(artifact).resolve(version));
        Files.copy(file, folder.resolve(artifact + "-" + version + "." + extension), StandardCopyOption.REPLACE_EXISTING);
    }

    /** Releases and plugins from this build's local repository first (read only), then Maven Central; no snapshots from it. */
    private static Path settingsReadingThisBuildsRepository(Path settings) throws IOException {
        String url = Path.of(property("outer.localRepository")).toUri().toString();
        String repository = """
                <id>this-build</id><url>%s</url>
                <releases><enabled>true</enabled><updatePolicy>never</updatePolicy></releases>
                <snapshots><enabled>false</enabled></snapshots>""".formatted(url);
        Files.writeString(settings, """
                <settings>
                  <profiles>
                    <profile>
                      <id>this-build</id>
                      <repositories><repository>%s</repository></repositories>
                      <pluginRepositories><pluginRepository>%s</pluginRepository></pluginRepositories>
                    </profile>
                  </profiles>
                  <activeProfiles><activeProfile>this-build</activeProfile></activeProfiles>
                </settings>
                """.formatted(repository, repository), StandardCharsets.UTF_8);
        return settings;
    }

    private static String maven() {
        Path mvn = Path.of(property("maven.home"), "bin", "mvn");
        return Files.isExecutable(mvn) ? mvn.toString() : "mvn";
    }

    private static String property(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank() || value.contains("${")) {
            throw new IllegalStateException("system property " + name + " is not set: run this test through Maven's failsafe"
                    + " plugin (mvn verify), which sets it");
        }
        return value;
    }

    private static String tail(Path log) throws IOException {
        if (!Files.exists(log)) {
            return "(no output)";
        }
        List<String> lines = new ArrayList<>(Files.readAllLines(log));
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
    }
}
