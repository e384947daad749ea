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
 * project's {@code .mvn/jvm.config} sets it for every Maven run in the clone, the launcher's included.
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
}
