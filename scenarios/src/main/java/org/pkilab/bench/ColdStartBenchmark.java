package org.pkilab.bench;

import org.pkilab.pki.Folders;
import org.pkilab.pki.LabCrypto;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How long a user waits for the lab from a cold process, a new JVM each time as the {@code ./pkilab} launcher starts
 * one (its JVM options for the verb, a class-data-sharing archive recorded by an uncounted first
 * {@code run configmgr}, the native provider's unpacked library):
 * <ul>
 *   <li>{@code pkilab run configmgr}, launch to exit;</li>
 *   <li>lab ready: {@code pkilab up --data DIR} (a new forest) from launch until it has printed its endpoints and its
 *       LDAP and HTTPS ports take connections;</li>
 *   <li>one administration verb, {@code pkilab template list}, against that running lab, launch to exit.</li>
 * </ul>
 * Prints each run, the medians beside the targets, and the provider line ({@link LabCrypto#describe()}) of a child.
 */
@Command(name = "cold-start", mixinStandardHelpOptions = true,
        description = "Cold-process wall time of 'run configmgr', of 'up' until its endpoints answer, and of 'template list'.")
public final class ColdStartBenchmark implements Callable<Integer> {

    /** How long a cold {@code up} may take to print its endpoints before the benchmark gives up on it. */
    private static final java.time.Duration READY_WITHIN = java.time.Duration.ofMinutes(2);

    private static final Pattern LDAP = Pattern.compile("^LDAP\\s+(ldap://\\S+)");
    private static final Pattern PASSWORD = Pattern.compile("^Password\\s+(\\S+)");
    private static final Pattern EST = Pattern.compile("^EST\\s+https://[^:/]+:(\\d+)/");

    @Option(names = "--runs", defaultValue = "5", description = "Rounds; each runs the guide once, starts one lab and runs "
            + "--admin-runs administration verbs against it (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--admin-runs", defaultValue = "3", description = "Administration verbs per lab (default: ${DEFAULT-VALUE}).")
    int adminRuns;

    @Option(names = "--describe", hidden = true, description = "Print LabCrypto.describe() and exit (the child that says "
            + "what serves the others).")
    boolean describe;

    @Override
    public Integer call() throws Exception {
        if (describe) {
            System.out.println(LabCrypto.describe());
            return 0;
        }
        if (runs < 1 || adminRuns < 1) {
            throw new IllegalArgumentException("--runs and --admin-runs must be at least 1: " + runs + ", " + adminRuns);
        }
        Path work = Files.createTempDirectory("pkilab-cold-");
        try {
            return measure(work);
        } finally {
            Folders.deleteTree(work);
        }
    }

    private Integer measure(Path work) throws Exception {
        LauncherCommand java = LauncherCommand.of(work.resolve("pkilab.jsa"));
        run(java.record("run", "configmgr"), Map.of(), "the uncounted first run of pkilab run configmgr");
        System.out.printf("Cold processes (%d cores, Java %s), the launcher's JVM options and a class-data-sharing archive%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        System.out.println("cryptography of the children: " + java.describeCrypto());
        System.out.println("  (an administration verb makes one connection and leaves the native provider unloaded: the JDK's serve it)");
        List<Long> guide = new ArrayList<>();
        List<Long> ready = new ArrayList<>();
        List<Long> admin = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            guide.add(run(java.command("run", "configmgr"), Map.of(), "pkilab run configmgr"));
            Path data = work.resolve("lab" + i);
            long t0 = System.nanoTime();
            Process up = new ProcessBuilder(java.command("up", "--data", data.toString())).redirectErrorStream(true).start();
            try {
                Map<String, String> lab = awaitEndpoints(up);
                ready.add((System.nanoTime() - t0) / 1_000_000);
                List<Long> verbs = new ArrayList<>();
                for (int k = 0; k < adminRuns; k++) {
                    verbs.add(run(java.command("template", "list"), lab, "pkilab template list"));
                }
                admin.addAll(verbs);
                System.out.printf("  round %d: run configmgr %5d ms, up until its endpoints answer %5d ms, template list %s ms%n",
                        i + 1, guide.get(i), ready.get(i), verbs);
            } finally {
                up.destroy();
                if (!up.waitFor(60, TimeUnit.SECONDS)) {
                    up.destroyForcibly();
                }
            }
        }
        System.out.printf("%-44s %8s %8s %8s %8s%n", "cold process", "median", "min", "max", "target");
        row("pkilab run configmgr", guide, 3000);
        row("lab ready: pkilab up --data DIR (new forest)", ready, 2000);
        row("one admin verb: pkilab template list", admin, 400);
        return 0;
    }

    /** Reads what {@code up} prints until its endpoints are listed, and checks its LDAP and HTTPS ports take connections. */
    private static Map<String, String> awaitEndpoints(Process up) throws IOException {
        // a lab that hangs before it is ready is stopped, so that its output ends and the benchmark reports it
        java.util.concurrent.atomic.AtomicBoolean ready = new java.util.concurrent.atomic.AtomicBoolean();
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(READY_WITHIN.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            if (!ready.get()) {
                up.destroyForcibly();
            }
        }, "up-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        BufferedReader lines = new BufferedReader(new InputStreamReader(up.getInputStream(), StandardCharsets.UTF_8));
        List<String> seen = new ArrayList<>();
        String ldap = null;
        String password = null;
        String est = null;
        for (String line; (line = lines.readLine()) != null; ) {
            seen.add(line);
            Matcher m;
            if ((m = LDAP.matcher(line)).find()) {
                ldap = m.group(1);
            } else if ((m = PASSWORD.matcher(line)).find()) {
                password = m.group(1);
            } else if ((m = EST.matcher(line)).find()) {
                est = m.group(1);
            } else if (line.startsWith("Press Ctrl-C")) {
                if (ldap == null || password == null || est == null) {
                    throw new IllegalStateException("pkilab up printed no LDAP, Password or EST line:\n" + String.join("\n", seen));
                }
                connect(URI.create(ldap).getPort());
                connect(Integer.parseInt(est));
                // the rest of its output goes nowhere, so that it never blocks on a full pipe
                Thread drain = new Thread(() -> {
                    try {
                        lines.transferTo(java.io.Writer.nullWriter());
                    } catch (IOException e) {
                        // the lab stopped
                    }
                }, "up-output");
                drain.setDaemon(true);
                drain.start();
                ready.set(true);
                watchdog.interrupt();
                return Map.of("PKILAB_LDAP", ldap, "PKILAB_PASSWORD", password);
            }
        }
        throw new IllegalStateException("pkilab up ended, or was stopped after " + READY_WITHIN.toSeconds()
                + " s, before its endpoints were ready:\n" + String.join("\n", seen));
    }

    private static void connect(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        }
    }

    /** Runs a child to its end and returns its wall time in ms; its output is kept only to explain a failure. */
    private static long run(List<String> command, Map<String, String> environment, String what) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        long t0 = System.nanoTime();
        Process p = builder.start();
        byte[] output = p.getInputStream().readAllBytes();
        int exit = p.waitFor();
        long millis = (System.nanoTime() - t0) / 1_000_000;
        if (exit != 0) {
            throw new IllegalStateException(what + " exited " + exit + ":\n" + new String(output, StandardCharsets.UTF_8));
        }
        return millis;
    }

    private static void row(String what, List<Long> values, long target) {
        long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
        long median = sorted[sorted.length / 2];
        System.out.printf("%-44s %5d ms %5d ms %5d ms %5d ms%s%n", what, median, sorted[0], sorted[sorted.length - 1], target,
                median <= target ? "" : "  (not met)");
    }
}
