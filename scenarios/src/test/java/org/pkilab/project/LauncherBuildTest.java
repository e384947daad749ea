package org.pkilab.project;

import org.junit.jupiter.api.Test;
import org.pkilab.testing.ExternalTool;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The first {@code ./pkilab} builds the lab with Maven before it runs; what that build prints is the
 * first thing a newcomer sees. Debian's Maven 3.8.7 wrote a stray {@code ESC[0m} to stdout and stderr
 * even in batch mode with {@code -Dstyle.color=never} (its console library resets the terminal on exit
 * unless {@code jansi.noreset} is set), which showed up as {@code ^[[0m} in logs and pipes. The
 * project's {@code .mvn/jvm.config} sets it for every Maven run in the clone, the launcher's included. What the
 * launcher then hands Java for each verb is checked here too.
 */
class LauncherBuildTest {

    private static final Pattern MAVEN_CALL = Pattern.compile("\\bmvn((?: -\\S+)+)");

    @Test
    void launchersMavenBuildPrintsNoEscapeCodesIntoAPipe() throws Exception {
        Path root = Repository.root();
        String launcher = Files.readString(root.resolve("pkilab"));
        String options = launcher.lines()
                .filter(line -> !line.contains("echo"))
                .map(MAVEN_CALL::matcher)
                .filter(Matcher::find)
                .map(call -> call.group(1).trim())
                .findFirst()
                .orElseThrow(() -> new AssertionError("the pkilab launcher no longer calls mvn with options:\n" + launcher));

        List<String> command = new ArrayList<>(List.of("mvn"));
        command.addAll(List.of(options.split(" ")));
        command.addAll(List.of("--non-recursive", "validate")); // the launcher's options, without its minute-long build
        ExternalTool.Result build = ExternalTool.run(root, Map.of(), null, command.toArray(String[]::new));

        assertEquals(0, build.exit(), String.join(" ", command) + "\n" + build);
        assertFalse(build.out().contains("\u001b") || build.err().contains("\u001b"),
                String.join(" ", command) + " printed escape codes:\n" + build.toString().replace("\u001b", "^["));
    }

    @Test
    void launcherHandlesEveryKindOfLineOfItsOptionsFile() throws Exception {
        Path root = Repository.root();
        String launcher = Files.readString(root.resolve("pkilab"));
        for (String kind : List.of("short:", "long:", "admin:", "start:")) {
            assertTrue(launcher.contains("'^" + kind + "'") && launcher.contains("s/^" + kind + "//"),
                    "./pkilab neither keeps nor drops the '" + kind + "' lines of pkilab.jvm-options, which the cold-process benchmarks read");
        }
        for (String line : Files.readAllLines(root.resolve("scenarios/src/main/resources/pkilab.jvm-options"))) {
            assertTrue(line.isBlank() || line.startsWith("#") || line.startsWith("-") || line.matches("^(short|long|admin|start):-.*"),
                    "pkilab.jvm-options has a line of a kind the launcher does not know: " + line);
        }
    }

    /**
     * What {@code ./pkilab} hands Java for each kind of verb, read from a {@code java} on the PATH that prints its
     * arguments: the options are those {@code LauncherCommand} (the benchmarks' and the tests' cold processes) reads
     * for that verb, and each path stays one argument in a clone under a folder whose name has a space.
     */
    @Test
    void launcherGivesEachVerbTheOptionsTheColdProcessBenchmarksRead(@org.junit.jupiter.api.io.TempDir Path folder) throws Exception {
        Path clone = folder.resolve("pki lab");
        Path target = Repository.launcherCopy(clone);
        Files.createDirectories(target.resolve("lib"));
        Files.createDirectories(target.resolve("native"));
        Files.writeString(target.resolve("native/libamazonCorrettoCryptoProvider.so"), "");
        Files.writeString(target.resolve("pkilab.jar"), ""); // newer than every source: the launcher builds nothing
        Path bin = Files.createDirectories(folder.resolve("bin"));
        Path java = bin.resolve("java");
        Files.writeString(java, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n");
        java.toFile().setExecutable(true);

        for (String verb : List.of("up", "benchmark", "run", "template")) {
            ExternalTool.Result run = ExternalTool.run(folder, Map.of("PATH", bin + ":" + System.getenv("PATH")), null,
                    clone.resolve("pkilab").toString(), verb);
            assertEquals(0, run.exit(), verb + ": " + run);
            List<String> arguments = run.out().lines().toList();
            int archive = arguments.indexOf(arguments.stream().filter(a -> a.startsWith("-XX:ArchiveClassesAtExit=")).findFirst()
                    .orElseThrow(() -> new AssertionError(verb + ": no class-data-sharing archive among " + arguments)));
            assertEquals(org.pkilab.bench.LauncherCommand.jvmOptions(verb), arguments.subList(0, archive),
                    "./pkilab " + verb + " gives Java other options than the benchmarks' cold processes get");
            assertEquals("-XX:ArchiveClassesAtExit=" + target.resolve("pkilab.jsa"), arguments.get(archive), verb);
            assertTrue(arguments.contains("-Djava.library.path=" + target.resolve("native")), verb + ": " + arguments);
            assertEquals(List.of("org.pkilab.cli.PkiLab", verb), arguments.subList(arguments.size() - 2, arguments.size()), verb);
        }
        // a platform the build's native libraries are not for: no library options, and an empty list is no error
        Files.delete(target.resolve("native/libamazonCorrettoCryptoProvider.so"));
        ExternalTool.Result bare = ExternalTool.run(folder, Map.of("PATH", bin + ":" + System.getenv("PATH")), null,
                clone.resolve("pkilab").toString(), "template");
        assertEquals(0, bare.exit(), "without native libraries: " + bare);
        assertTrue(bare.out().lines().noneMatch(a -> a.startsWith("-Djava.library.path") || a.contains("useExternalLib")), bare.out());
    }
}
