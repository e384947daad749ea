package org.pkilab.bench;

import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.SearchScope;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.DomainControllerConfig;
import org.pkilab.directory.model.DefaultTemplates;
import org.pkilab.pki.Folders;
import org.pkilab.pki.LabCrypto;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Measures how long the domain controller takes from "start" to the first answered LDAP search:
 * <ul>
 *   <li>in-JVM: repeated starts of a temporary lab inside one warmed-up JVM, and restarts of a
 *       persistent lab on the same data folder;</li>
 *   <li>cold process: a new {@code java} process each time, timed from launch to its first search.</li>
 * </ul>
 * Prints medians and where the time goes (schema, directory service, DC key, forest, listeners).
 */
@Command(name = "dc-startup", mixinStandardHelpOptions = true,
        description = "Domain controller start-up time to first answered search, in-JVM and cold process.")
public final class DomainControllerStartupBenchmark implements Callable<Integer> {

    private static final String CHILD_MARK = "FIRST-SEARCH-ANSWERED";

    @Option(names = "--runs", defaultValue = "7", description = "Measured runs per mode (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "5", description = "In-JVM warm-up starts (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--child", hidden = true)
    boolean child;

    @Override
    public Integer call() throws Exception {
        if (child) {
            long t0 = System.nanoTime();
            try (DomainController dc = DomainController.start(DomainControllerConfig.builder().build())) {
                firstSearch(dc);
                System.out.println(CHILD_MARK + " " + (System.nanoTime() - t0) / 1_000_000 + " " + dc.startupTimings());
            }
            return 0;
        }
        System.out.printf("Domain controller start-up to first answered search (%d cores, Java %s)%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        System.out.println(LabCrypto.servedBy());
        System.out.println();
        for (int i = 0; i < warmup; i++) {
            try (DomainController dc = DomainController.start(DomainControllerConfig.builder().build())) {
                firstSearch(dc);
            }
        }
        List<Long> temporary = new ArrayList<>();
        List<DomainController.StartupTimings> phases = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            try (DomainController dc = DomainController.start(DomainControllerConfig.builder().build())) {
                firstSearch(dc);
                temporary.add((System.nanoTime() - t0) / 1_000_000);
                phases.add(dc.startupTimings());
            }
        }
        Path data = Files.createTempDirectory("pkilab-bench-");
        List<Long> restart = new ArrayList<>();
        List<DomainController.StartupTimings> restartPhases = new ArrayList<>();
        try {
            DomainController.start(DomainControllerConfig.builder().dataDirectory(data).build()).close();
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                try (DomainController dc = DomainController.start(DomainControllerConfig.builder().dataDirectory(data).build())) {
                    firstSearch(dc);
                    restart.add((System.nanoTime() - t0) / 1_000_000);
                    restartPhases.add(dc.startupTimings());
                }
            }
        } finally {
            Folders.deleteTree(data);
        }
        List<Long> cold = new ArrayList<>();
        List<String> coldPhases = new ArrayList<>();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "org.pkilab.cli.PkiLab",
                    "benchmark", "dc-startup", "--child").redirectErrorStream(true).start();
            String mark = null;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith(CHILD_MARK)) {
                        mark = line;
                        cold.add((System.nanoTime() - t0) / 1_000_000);
                    }
                }
            }
            if (p.waitFor() != 0 || mark == null) {
                throw new IllegalStateException("cold-start child failed (exit " + p.exitValue() + ")");
            }
            coldPhases.add(mark.substring(CHILD_MARK.length() + 1));
        }
        System.out.printf("%-44s %8s %8s %8s%n", "mode", "median", "min", "max");
        row("in-JVM, warm, temporary lab (new forest)", temporary);
        row("in-JVM, warm, restart on a data folder", restart);
        row("cold process, temporary lab (launch->search)", cold);
        System.out.println();
        System.out.println("Where the time goes (median ms):");
        System.out.printf("%-44s %7s %9s %7s %7s %9s%n", "mode", "schema", "directory", "DC key", "forest", "listeners");
        phaseRow("in-JVM, temporary lab", phases);
        phaseRow("in-JVM, restart on a data folder", restartPhases);
        System.out.println("cold process, in-child phases: " + coldPhases.get(coldPhases.size() / 2));
        return 0;
    }

    private static void firstSearch(DomainController dc) throws Exception {
        try (LDAPConnection c = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), dc.administratorPassword())) {
            int expected = DefaultTemplates.all("1.2.3", dc.domainSid()).size();
            int found = c.search(dc.names().certificateTemplates(), SearchScope.ONE, "(objectClass=pKICertificateTemplate)", "cn")
                    .getEntryCount();
            if (found != expected) {
                throw new IllegalStateException("expected the " + expected + " default templates in " + dc.names().certificateTemplates()
                        + ", found " + found);
            }
        }
    }

    private static void row(String mode, List<Long> values) {
        long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf("%-44s %6d ms %5d ms %5d ms%n", mode, sorted[sorted.length / 2], sorted[0], sorted[sorted.length - 1]);
    }

    private static void phaseRow(String mode, List<DomainController.StartupTimings> timings) {
        System.out.printf("%-44s %7d %9d %7d %7d %9d%n", mode,
                median(timings.stream().mapToLong(DomainController.StartupTimings::schemaMillis).toArray()),
                median(timings.stream().mapToLong(DomainController.StartupTimings::directoryMillis).toArray()),
                median(timings.stream().mapToLong(DomainController.StartupTimings::identityMillis).toArray()),
                median(timings.stream().mapToLong(DomainController.StartupTimings::forestMillis).toArray()),
                median(timings.stream().mapToLong(DomainController.StartupTimings::networkMillis).toArray()));
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
