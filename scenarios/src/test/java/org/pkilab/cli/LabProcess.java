package org.pkilab.cli;

import org.pkilab.bench.LauncherCommand;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code pkilab up --data DIR} in a process of its own, as a user starts it: the launcher's JVM options for
 * {@code up} ({@code pkilab.jvm-options}), this JVM's class path. Its output is read as it comes; the
 * endpoints it prints are parsed once it says "Press Ctrl-C".
 *
 * <pre>{@code
 * try (LabProcess lab = LabProcess.up(data)) {
 *     LabProcess.Endpoints endpoints = lab.awaitReady(Duration.ofSeconds(60)).orElseThrow();
 *     lab.kill();                                  // SIGKILL: no shutdown hook runs
 * }
 * }</pre>
 */
final class LabProcess implements AutoCloseable {

    /** What {@code pkilab up} printed: where the lab listens and the Administrator's credentials. */
    record Endpoints(String domain, String ldapUrl, String ldapsUrl, String administratorDn, String password,
                     String caFqdn, int estPort, String crlUrl, String caIssuersUrl) {

        int ldapPort() {
            return URI.create(ldapUrl).getPort();
        }

        /** Every URL a user was told, for comparing one start with the next. */
        List<String> urls() {
            return List.of(ldapUrl, ldapsUrl, "https://" + caFqdn + ":" + estPort + "/.well-known/est", crlUrl, caIssuersUrl);
        }
    }

    private static final int TAIL = 80;
    private static final Pattern EST = Pattern.compile("https://([^:/]+):(\\d+)/");

    private final Process process;
    private final long startedNanos = System.nanoTime();
    private final CompletableFuture<Endpoints> ready = new CompletableFuture<>();
    private final Deque<String> tail = new ArrayDeque<>();
    private volatile long readyNanos;

    private LabProcess(Process process) {
        this.process = process;
        Thread reader = new Thread(this::read, "pkilab-up-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code pkilab up --data data}. */
    static LabProcess up(Path data) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(LauncherCommand.jvmOptions("up"));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.pkilab.cli.PkiLab", "up", "--data", data.toString()));
        return new LabProcess(new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    private void read() {
        List<String> banner = new ArrayList<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                synchronized (tail) {
                    tail.addLast(line);
                    if (tail.size() > TAIL) {
                        tail.removeFirst();
                    }
                }
                if (!ready.isDone()) {
                    banner.add(line);
                    if (line.startsWith("Press Ctrl-C")) {
                        readyNanos = System.nanoTime();
                        ready.complete(parse(banner));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            ready.completeExceptionally(e);
        }
        ready.completeExceptionally(new IllegalStateException("pkilab up ended before it was ready"));
    }

    private static Endpoints parse(List<String> banner) {
        String domain = field(banner, "Domain ");
        Matcher est = EST.matcher(field(banner, "EST "));
        if (!est.find()) {
            throw new IllegalStateException("no EST URL in what pkilab up printed:\n" + String.join("\n", banner));
        }
        return new Endpoints(domain.substring(0, domain.indexOf(' ')), firstWord(field(banner, "LDAP ")),
                firstWord(field(banner, "LDAPS ")), field(banner, "Administrator "), firstWord(field(banner, "Password ")),
                est.group(1), Integer.parseInt(est.group(2)), firstWord(field(banner, "CRL (CDP) ")),
                firstWord(field(banner, "CA cert (AIA) ")));
    }

    private static String field(List<String> banner, String label) {
        return banner.stream().filter(l -> l.startsWith(label)).findFirst().map(l -> l.substring(label.length()).trim())
                .orElseThrow(() -> new IllegalStateException("pkilab up printed no '" + label.trim() + "' line:\n"
                        + String.join("\n", banner)));
    }

    private static String firstWord(String text) {
        return text.split("\\s+", 2)[0];
    }

    /**
     * The endpoints, once the lab says it is ready; empty when it is not ready within {@code within}.
     *
     * @throws AssertionError when the process ended, or printed something else, before it was ready
     */
    Optional<Endpoints> awaitReady(Duration within) throws InterruptedException {
        try {
            return Optional.of(ready.get(within.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            throw new AssertionError(e.getCause().getMessage() + " (pid " + process.pid() + ", exit "
                    + (process.isAlive() ? "none yet" : process.exitValue()) + "); its output:\n" + output(), e.getCause());
        }
    }

    /** From the start of the process to "Press Ctrl-C". */
    Duration startupTime() {
        if (!ready.isDone()) {
            throw new IllegalStateException("pkilab up (pid " + process.pid() + ") is not ready");
        }
        return Duration.ofNanos(readyNanos - startedNanos);
    }

    long pid() {
        return process.pid();
    }

    /** SIGKILL, as the OOM killer or a pulled plug would: no shutdown hook, nothing flushed. Waits for the end. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("pkilab up (pid " + process.pid() + ") still runs 30 s after SIGKILL");
        }
    }

    /** SIGTERM, as Ctrl-C: the lab shuts down; returns the exit code. */
    int stop(Duration within) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("pkilab up (pid " + process.pid() + ") did not stop within " + within
                    + " of SIGTERM; its output:\n" + output());
        }
        return process.exitValue();
    }

    /** The last lines the process printed (standard output and error). */
    String output() {
        synchronized (tail) {
            return String.join("\n", tail);
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
