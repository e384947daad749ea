package org.pkilab.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The wall time of {@code pkilab run configmgr} from a cold process (a new JVM each time, as a user's
 * command is) and the lab's peak resident memory ({@code VmHWM} of that process, read from
 * {@code /proc} while it runs), with the JVM options of the {@code ./pkilab} launcher
 * ({@code pkilab.jvm-options}, the native provider's unpacked library) and its class-data-sharing archive, made by a
 * first run that is not counted.
 */
@Command(name = "run-configmgr", mixinStandardHelpOptions = true,
        description = "Wall time and peak resident memory of 'pkilab run configmgr' in a cold process.")
public final class RunConfigMgrBenchmark implements Callable<Integer> {

    @Option(names = "--runs", defaultValue = "5", description = "Cold runs (default: ${DEFAULT-VALUE}).")
    int runs;

    @Override
    public Integer call() throws Exception {
        Path archive = Files.createTempFile("pkilab", ".jsa");
        Files.delete(archive);
        try {
            return measure(LauncherCommand.of(archive));
        } finally {
            Files.deleteIfExists(archive);
        }
    }

    private Integer measure(LauncherCommand java) throws Exception {
        if (new ProcessBuilder(java.record("run", "configmgr")).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start().waitFor() != 0) {
            throw new IllegalStateException("the uncounted first run of pkilab run configmgr failed");
        }
        List<String> command = java.command("run", "configmgr");
        List<String> options = java.options("run");
        System.out.println("JVM options: " + String.join(" ", options) + " (+ a class-data-sharing archive)");
        List<Long> wall = new ArrayList<>();
        List<Long> rss = new ArrayList<>();
        System.out.printf("pkilab run configmgr, cold process (%d cores, Java %s)%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"));
        System.out.println("cryptography of the runs: " + java.describeCrypto());
        System.out.println("judged by: the median wall time against 3000 ms (the issue's 'today': 4800 ms on its machine)");
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            long peakKb = 0;
            Path status = Path.of("/proc", Long.toString(p.pid()), "status");
            while (p.isAlive()) {
                try {
                    for (String line : Files.readAllLines(status)) {
                        if (line.startsWith("VmHWM:")) {
                            peakKb = Math.max(peakKb, Long.parseLong(line.replaceAll("\\D", "")));
                        }
                    }
                } catch (Exception e) {
                    // the process ended between the check and the read
                }
                Thread.sleep(20);
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            if (p.exitValue() != 0) {
                throw new IllegalStateException("pkilab run configmgr exited " + p.exitValue());
            }
            wall.add(millis);
            rss.add(peakKb / 1024);
            System.out.printf("  run %d: %5d ms, peak RSS %4d MB%n", i + 1, millis, peakKb / 1024);
        }
        System.out.printf("median: %d ms wall (target <= 3000), peak RSS %d MB (target <= 256)%n", median(wall), median(rss));
        return 0;
    }

    private static long median(List<Long> values) {
        long[] sorted = values.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
