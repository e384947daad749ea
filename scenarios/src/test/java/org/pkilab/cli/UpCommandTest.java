package org.pkilab.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code pkilab up} as a user runs it: a process of its own, stopped with SIGTERM, started again on the
 * same data folder.
 */
class UpCommandTest {

    private static final Pattern BINDING = Pattern.compile("IIS01 .*Default Web Site (https://\\S+) \\(certificate ([0-9A-F]{40})");

    /** Starts {@code pkilab up}, returns its output up to "Press Ctrl-C", stops it with SIGTERM and checks it stopped cleanly. */
    private static String upAndStop(Path data, String... extra) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "org.pkilab.cli.PkiLab", "up", "--data", data.toString()));
        command.addAll(List.of(extra));
        Process up = new ProcessBuilder(command).redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(up.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null && !line.startsWith("Press Ctrl-C")) {
                out.append(line).append('\n');
            }
            assertTrue(line != null, "pkilab up ended before it was ready:\n" + out);
            Cli.Result list = host("list", "--data", data.toString());
            assertEquals(0, list.exit(), list.err());
            out.append("--- pkilab host list ---\n").append(list.out());
            up.destroy();
            assertTrue(up.waitFor(60, TimeUnit.SECONDS), "pkilab up did not stop on SIGTERM");
        } finally {
            up.destroyForcibly();
        }
        assertFalse(Files.exists(data.resolve(HostCommand.CONTROL_FILE)), "the console file goes when the lab stops");
        return out.toString();
    }

    private static Cli.Result host(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "host";
        System.arraycopy(args, 0, all, 1, args.length);
        return Cli.pkilab(all);
    }

    @Test
    void startedAgainOnItsDataFolderTheLabHasItsPasswordCertificatesAndSite(@TempDir Path data) throws Exception {
        String first = upAndStop(data, "--scenario", "web-server");
        assertTrue(first.contains("web-server: 14 steps, every expectation held"), first);
        Matcher site = BINDING.matcher(first);
        assertTrue(site.find(), first);
        String password = first.replaceAll("(?s).*\nPassword +(\\S+).*", "$1");

        String second = upAndStop(data, "--scenario", "web-server");
        assertTrue(second.contains("was applied when this lab was made"), second);
        assertFalse(second.contains("Applying scenario"), second);
        Matcher again = BINDING.matcher(second);
        assertTrue(again.find(), second);
        assertEquals(site.group(1), again.group(1), "the same https URL");
        assertEquals(site.group(2), again.group(2), "the same certificate");
        assertTrue(second.contains("\nPassword      " + password), second);
        assertTrue(second.contains("IIS01    iis01.contoso.com (iis), AEPolicy 0, 1 certificate(s)"), second);
    }

    @Test
    void aBadScenarioIsRefusedBeforeAnythingStarts(@TempDir Path data) {
        Cli.Result up = Cli.pkilab("up", "--data", data.toString(), "--scenario", "no-such-scenario");
        assertEquals(2, up.exit());
        assertTrue(up.err().contains("no built-in scenario and no file named 'no-such-scenario'"), up.err());
        assertFalse(Files.exists(data.resolve("dc")), "no forest was made");
    }
}
