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
            signInToTheConsoleWithCurl(out.toString(), data);
            up.destroy();
            assertTrue(up.waitFor(60, TimeUnit.SECONDS), "pkilab up did not stop on SIGTERM");
        } finally {
            up.destroyForcibly();
        }
        assertFalse(Files.exists(data.resolve(LabControlClient.CONTROL_FILE)), "the console file goes when the lab stops");
        return out.toString();
    }

    /** The classroom console 'pkilab up' printed signs curl in once with its one-time link, as a browser would be. */
    private static void signInToTheConsoleWithCurl(String printed, Path data) throws Exception {
        Matcher console = Pattern.compile("Classroom +(http://127\\.0\\.0\\.1:\\d+) .*once without a password: (\\S+)\\)").matcher(printed);
        assertTrue(console.find(), "pkilab up printed no classroom console:\n" + printed);
        Path jar = Files.createTempFile("console-cookies", ".txt");
        try {
            Process curl = new ProcessBuilder("curl", "-sS", "-L", "-c", jar.toString(), "-b", jar.toString(), console.group(2))
                    .redirectErrorStream(true).start();
            String page = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, curl.waitFor(), page);
            assertTrue(page.contains("Signed in as <strong>CONTOSO\\Administrator</strong>"), "curl after the one-time link:\n" + page);
            Process again = new ProcessBuilder("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", console.group(2)).start();
            assertEquals("403", new String(again.getInputStream().readAllBytes(), StandardCharsets.UTF_8), "the link a second time");
        } finally {
            Files.deleteIfExists(jar);
        }
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
    void aLabKilledWhileApplyingItsScenarioGoesOnAfterTheLastStepItFinished(@TempDir Path data) throws Exception {
        Pattern stepDone = Pattern.compile("^ ?(\\d+)\\. ");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "org.pkilab.cli.PkiLab", "up", "--data", data.toString(), "--scenario", "configmgr");
        Process up = new ProcessBuilder(command).redirectErrorStream(true).start();
        StringBuilder first = new StringBuilder();
        int seen = 0;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(up.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while (seen < 3 && (line = lines.readLine()) != null) {
                first.append(line).append('\n');
                Matcher step = stepDone.matcher(line);
                if (step.find()) {
                    seen = Integer.parseInt(step.group(1));
                }
            }
            // SIGKILL while step 4 or a later one runs: no shutdown hook, nothing flushed
            up.destroyForcibly();
            assertTrue(up.waitFor(30, TimeUnit.SECONDS), "pkilab up outlived SIGKILL");
        } finally {
            up.destroyForcibly();
        }
        assertEquals(3, seen, "pkilab up never told step 3:\n" + first);
        assertFalse(Files.exists(data.resolve("scenario.applied")), "killed before the scenario was through:\n" + first);

        String second = upAndStop(data, "--scenario", "configmgr");
        Matcher cutOff = Pattern.compile("Scenario configmgr was cut off after step (\\d+) of 68 ").matcher(second);
        assertTrue(cutOff.find(), second);
        int done = Integer.parseInt(cutOff.group(1));
        assertTrue(done >= 3, "step 3 was told finished, yet the lab goes on after step " + done + ":\n" + second);
        Matcher firstStep = Pattern.compile("(?m)^ ?(\\d+)\\. ").matcher(second);
        assertTrue(firstStep.find(), second);
        assertEquals(done + 1, Integer.parseInt(firstStep.group(1)), "the steps already done are not done again:\n" + second);
        assertTrue(second.contains("configmgr: steps " + (done + 1) + " to 68, "), second);

        String third = upAndStop(data, "--scenario", "configmgr");
        assertTrue(third.contains("Scenario configmgr was applied when this lab was made"), third);
        assertFalse(Files.exists(data.resolve("scenario.progress")), "the progress file goes once the scenario is through");
    }

    @Test
    void aBadScenarioIsRefusedBeforeAnythingStarts(@TempDir Path data) {
        Cli.Result up = Cli.pkilab("up", "--data", data.toString(), "--scenario", "no-such-scenario");
        assertEquals(2, up.exit());
        assertTrue(up.err().contains("no built-in scenario and no file named 'no-such-scenario'"), up.err());
        assertFalse(Files.exists(data.resolve("dc")), "no forest was made");
    }

    /** Runs {@code pkilab up} in a process that should end by itself: its exit code and all it printed, both streams. */
    private static Cli.Result upUntilItEnds(Path data, String... extra) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "org.pkilab.cli.PkiLab", "up", "--data", data.toString()));
        command.addAll(List.of(extra));
        Process up = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            java.util.concurrent.CompletableFuture<String> out = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(up.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertTrue(up.waitFor(120, TimeUnit.SECONDS), "pkilab up did not end by itself");
            return new Cli.Result(up.exitValue(), out.get(30, TimeUnit.SECONDS), "");
        } finally {
            up.destroyForcibly();
        }
    }

    private static void assertNoStackTrace(Cli.Result up) {
        assertFalse(up.out().contains("\tat ") || up.out().contains("Exception") || up.out().contains("ERROR"), "no stack trace: " + up.out());
    }

    @Test
    void aPortInUseIsOneLineNamingItAndLeavesNoHalfMadeFolder(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("lab");
        try (java.net.ServerSocket taken = new java.net.ServerSocket()) {
            taken.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
            int port = taken.getLocalPort();
            Cli.Result up = upUntilItEnds(data, "--ldap-port", Integer.toString(port));
            assertEquals(1, up.exit(), up.toString());
            assertTrue(up.out().contains("LDAP port " + port + " is in use by another program") && up.out().contains("--ldap-port"),
                    up.out());
            assertFalse(up.out().contains("LDAPS port 0"), up.out());
            assertNoStackTrace(up);
            assertEquals(2, up.out().strip().lines().count(), "'Starting the lab' and one line saying why: " + up.out());
            assertFalse(Files.exists(data), "nothing half-made is left in " + data);
        }
    }

    @Test
    void aSecondUpOnTheSameFolderNamesTheRunningOneByItsPid(@TempDir Path data) throws Exception {
        try (LabProcess first = LabProcess.up(data)) {
            first.awaitReady(java.time.Duration.ofSeconds(120)).orElseThrow(() -> new AssertionError("the first lab did not start"));
            Cli.Result second = upUntilItEnds(data);
            assertEquals(1, second.exit(), second.toString());
            assertTrue(second.out().contains("another 'pkilab up' (pid " + first.pid() + ") is running on " + data.toAbsolutePath()),
                    second.out());
            assertNoStackTrace(second);
            Cli.Result list = host("list", "--data", data.toString());
            assertEquals(0, list.exit(), "the running lab is untouched: " + list);
        }
    }

    @Test
    void upPrintsAHostsLineKeepsTheRootAsPemAndSaysWhereTheConsoleTokenIs(@TempDir Path data) throws Exception {
        try (LabProcess up = LabProcess.up(data)) {
            LabProcess.Endpoints endpoints = up.awaitReady(java.time.Duration.ofSeconds(120))
                    .orElseThrow(() -> new AssertionError("pkilab up was not ready:\n" + up.output()));
            String out = up.output();
            assertTrue(out.contains("\n              127.0.0.1 " + endpoints.caFqdn() + " dc01.contoso.com"), "an /etc/hosts line: " + out);
            assertTrue(out.contains("the token in " + data.resolve(LabControlClient.CONTROL_FILE)), "where the console's token is: " + out);
            Path pem = data.resolve("ca.pem");
            assertTrue(out.contains("Root CA       " + pem.toAbsolutePath()), out);
            // what the banner says, pasted: curl with its --resolve flags and the root it wrote
            String resolve = out.replaceAll("(?s).*or curl's flags: (--resolve \\S+ --resolve \\S+).*", "$1");
            List<String> curl = new java.util.ArrayList<>(List.of("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", pem.toString()));
            curl.addAll(List.of(resolve.split(" ")));
            curl.add("https://" + endpoints.caFqdn() + ":" + endpoints.estPort() + "/.well-known/est/cacerts");
            Process p = new ProcessBuilder(curl).redirectErrorStream(true).start();
            String answer = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals("200", answer, "curl " + String.join(" ", curl));

            String ocsp = out.replaceAll("(?s).*\nOCSP +(\\S+).*", "$1");
            assertTrue(ocsp.startsWith("http://" + endpoints.caFqdn() + ":") && ocsp.endsWith("/ocsp"), "the Online Responder's URL: " + out);
            List<String> get = new java.util.ArrayList<>(List.of("curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{content_type}"));
            get.addAll(List.of(resolve.split(" ")));
            // an empty SEQUENCE, base64: the responder's malformedRequest, which shows it answers at the printed URL
            get.add(ocsp + "/MAA=");
            Process asked = new ProcessBuilder(get).redirectErrorStream(true).start();
            String ocspAnswer = new String(asked.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(asked.waitFor(60, TimeUnit.SECONDS));
            assertEquals("200 application/ocsp-response", ocspAnswer, "curl " + String.join(" ", get));

            String acme = out.replaceAll("(?s).*\nACME +(\\S+).*", "$1");
            assertTrue(acme.startsWith("https://" + endpoints.caFqdn() + ":") && acme.endsWith("/acme/<template>/directory"),
                    "the ACME directory's URL: " + out);
            List<String> directory = new java.util.ArrayList<>(List.of("curl", "-s", "--cacert", pem.toString()));
            directory.addAll(List.of(resolve.split(" ")));
            directory.add(acme.replace("<template>", "WebServer"));
            Process fetched = new ProcessBuilder(directory).redirectErrorStream(true).start();
            String acmeAnswer = new String(fetched.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(fetched.waitFor(60, TimeUnit.SECONDS));
            assertTrue(acmeAnswer.contains("\"newAccount\"") && acmeAnswer.contains("\"externalAccountRequired\" : true"),
                    "curl " + String.join(" ", directory) + ": " + acmeAnswer);
            String cmp = out.replaceAll("(?s).*\nCMP +(\\S+).*", "$1");
            assertTrue(cmp.startsWith("http://" + endpoints.caFqdn() + ":") && cmp.endsWith("/.well-known/cmp/p/<template>"), "the CMP URL: " + out);
            List<String> post = new java.util.ArrayList<>(List.of("curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{content_type}",
                    "-H", "Content-Type: application/pkixcmp", "--data-binary", "not a PKIMessage"));
            post.addAll(List.of(resolve.split(" ")));
            post.add(cmp.replace("<template>", "WebServer"));
            Process cmpAsked = new ProcessBuilder(post).redirectErrorStream(true).start();
            String cmpAnswer = new String(cmpAsked.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(cmpAsked.waitFor(60, TimeUnit.SECONDS));
            // a CMP error message (badDataFormat): the endpoint answers in CMP at the printed URL
            assertEquals("200 application/pkixcmp", cmpAnswer, "curl " + String.join(" ", post));
            String scep = out.replaceAll("(?s).*\nSCEP \\(NDES\\) +(\\S+).*", "$1");
            assertTrue(scep.startsWith("http://" + endpoints.caFqdn() + ":") && scep.endsWith("/certsrv/mscep/mscep.dll"),
                    "NDES's SCEP URL: " + out);
            assertTrue(out.matches("(?s).*\nNDES admin +https://" + java.util.regex.Pattern.quote(endpoints.caFqdn()) + ":\\d+/certsrv/mscep_admin/ .*"),
                    "NDES's challenge-password page: " + out);
            List<String> caps = new java.util.ArrayList<>(List.of("curl", "-s"));
            caps.addAll(List.of(resolve.split(" ")));
            caps.add(scep + "?operation=GetCACaps");
            Process capabilities = new ProcessBuilder(caps).redirectErrorStream(true).start();
            String capsAnswer = new String(capabilities.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(capabilities.waitFor(60, TimeUnit.SECONDS));
            assertTrue(capsAnswer.contains("POSTPKIOperation"), "GetCACaps at the printed URL: " + capsAnswer);
        }
    }
}
