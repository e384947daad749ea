package org.pkilab.cli;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code pkilab run LESSON --console --step} as an instructor starts it: it prints the console and a one-time link, waits
 * before the first step until Next step is pressed in the console, narrates that step in the terminal, and stops on SIGTERM.
 */
class RunConsoleCommandTest {

    @Test
    void stepModeWaitsForNextStepInTheConsoleAndTheTerminalNarratesIt() throws Exception {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
                "org.pkilab.cli.PkiLab", "run", "lesson-template-not-issued", "--console", "--step");
        Process run = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(run.getInputStream(), StandardCharsets.UTF_8))) {
            StringBuilder out = new StringBuilder();
            String line;
            while ((line = lines.readLine()) != null && !line.startsWith("Step mode:")) {
                out.append(line).append('\n');
            }
            assertTrue(line != null, "pkilab run --console --step ended before it was ready:\n" + out);
            Matcher console = Pattern.compile("Classroom console: (http://127\\.0\\.0\\.1:\\d+) .*once without a password: (\\S+)\\)").matcher(out);
            assertTrue(console.find(), out.toString());

            HttpClient http = HttpClient.newBuilder().cookieHandler(new CookieManager()).followRedirects(HttpClient.Redirect.NORMAL).build();
            String page = http.send(HttpRequest.newBuilder(URI.create(console.group(2))).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(page.contains("Step mode: 0 of"), "the lesson ran before Next step:\n" + page);
            Matcher csrf = Pattern.compile("name=\"csrf\" value=\"([0-9a-f]+)\"").matcher(page);
            assertTrue(csrf.find(), page);
            http.send(HttpRequest.newBuilder(URI.create(console.group(1) + "/run/next")).header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("csrf=" + csrf.group(1) + "&step=1")).build(), HttpResponse.BodyHandlers.ofString());

            // the terminal narrates step 1 once Next step was pressed, and only step 1
            Instant until = Instant.now().plus(Duration.ofSeconds(60));
            StringBuilder narrated = new StringBuilder();
            while (Instant.now().isBefore(until) && (line = lines.readLine()) != null && !line.strip().equals("ok")
                    && !line.contains("NOT AS EXPECTED")) {
                narrated.append(line).append('\n');
            }
            assertTrue(narrated.toString().matches("(?s)\\s*1\\. .*"), "step 1 was not narrated after Next step:\n" + narrated);
            String after = http.send(HttpRequest.newBuilder(URI.create(console.group(1) + "/run")).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(after.contains("Step mode: 1 of"), "after one Next step:\n" + after);

            run.destroy();
            assertTrue(run.waitFor(60, TimeUnit.SECONDS), "pkilab run --console did not stop on SIGTERM");
        } finally {
            run.destroyForcibly();
        }
    }

    @Test
    void stepWithoutConsoleIsBadUsage() {
        Cli.Result bad = Cli.pkilab("run", "lesson-template-not-issued", "--step");
        assertEquals(2, bad.exit(), bad.err());
        assertTrue(bad.err().contains("--step needs --console"), bad.err());
    }
}
