package org.pkilab.bench;

import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchScope;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.pkilab.pki.LabCrypto;
import org.pkilab.ca.CertificationAuthority;
import org.pkilab.ca.CertificationAuthorityConfig;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.DomainControllerConfig;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.enrollment.EstAnswer;
import org.pkilab.enrollment.EstClient;
import org.pkilab.enrollment.JdkEstTransport;
import org.pkilab.pki.KeyFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * A lab under a steady mixed load, watched for what a lasting lab must not do over time: fail a request,
 * grow its memory or leak open files. Each client is a computer account that, in turn, enrolls over EST
 * (HTTPS, HTTP Basic), reads the CA certificate, downloads the CRL (HTTP), binds to the DC and reads the
 * templates on a new LDAP connection, logs on for a token, and tries a wrong password (which must be
 * refused with LDAP 49). Every interval it prints the operations done, the errors, the process's resident
 * memory, the heap still reachable after a full collection, and the open files; at the end the second half's
 * highest of each against the first half's.
 */
@Command(name = "load", mixinStandardHelpOptions = true,
        description = "Mixed clients (EST, CRL, LDAP, logon, wrong passwords) against one lab for a while: errors, memory and open files over time.")
public final class LoadBenchmark implements Callable<Integer> {

    @Option(names = "--clients", defaultValue = "16", description = "Clients, each its own computer account (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--seconds", defaultValue = "120", description = "How long the load runs (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--interval", defaultValue = "10", description = "Seconds between the printed samples (default: ${DEFAULT-VALUE}).")
    int interval;

    private static final String PASSWORD = "Load-Passw0rd!";
    private static final List<String> OPERATIONS = List.of("EST enroll", "EST cacerts", "CRL download", "LDAP bind+search",
            "logon token", "wrong password");

    private final Map<String, LongAdder> done = new ConcurrentHashMap<>();
    private final LongAdder errors = new LongAdder();
    private final Map<String, String> firstErrors = new ConcurrentHashMap<>();
    private final AtomicLong serial = new AtomicLong();

    private record Sample(double seconds, long operations, long errors, long rssKb, long liveHeapKb, long openFiles, int threads) {
    }

    @Override
    public Integer call() throws Exception {
        if (clients < 1 || seconds < 1 || interval < 1) {
            System.err.println("--clients, --seconds and --interval must each be at least 1");
            return 2;
        }
        OPERATIONS.forEach(op -> done.put(op, new LongAdder()));
        try (DomainController dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
             CertificationAuthority ca = CertificationAuthority.start(CertificationAuthorityConfig.builder(dc.names())
                     .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD).build())) {
            try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
                for (int i = 1; i <= clients; i++) {
                    admin.usersAndComputers().createComputer(account(i), account(i).toLowerCase() + "." + dc.domainName(), PASSWORD);
                }
            }
            System.out.printf("Load: %d clients for %d s (%d cores, Java %s); each in turn: %s%n", clients, seconds,
                    Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), String.join(", ", OPERATIONS));
            System.out.println(LabCrypto.servedBy());
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, KeyFiles.trustOnly(ca.certificate()), null);
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            List<Thread> threads = new ArrayList<>();
            for (int i = 1; i <= clients; i++) {
                int client = i;
                Thread thread = new Thread(() -> client(client, dc, ca, tls, end), "load-client-" + client);
                thread.start();
                threads.add(thread);
            }
            List<Sample> samples = new ArrayList<>();
            long start = System.nanoTime();
            System.out.printf("%n%8s %12s %8s %8s %10s %15s %11s %8s%n", "seconds", "operations", "per s", "errors", "RSS MB",
                    "heap after GC MB", "open files", "threads");
            long previous = 0;
            while (System.nanoTime() < end) {
                Thread.sleep(Math.min(interval * 1000L, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
                Sample sample = sample((System.nanoTime() - start) / 1e9);
                samples.add(sample);
                System.out.printf("%8.0f %12d %8.0f %8d %10.1f %15.1f %11d %8d%n", sample.seconds(), sample.operations(),
                        (sample.operations() - previous) / (double) interval, sample.errors(), sample.rssKb() / 1024.0,
                        sample.liveHeapKb() / 1024.0, sample.openFiles(), sample.threads());
                previous = sample.operations();
            }
            for (Thread thread : threads) {
                thread.join(60_000);
            }
            report(samples);
            return errors.sum() == 0 ? 0 : 1;
        }
    }

    private void report(List<Sample> samples) {
        System.out.println();
        done.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> System.out.printf("  %-18s %10d%n", e.getKey(), e.getValue().sum()));
        System.out.printf("errors: %d%n", errors.sum());
        firstErrors.forEach((op, error) -> System.out.printf("  first %s error: %s%n", op, error));
        if (samples.size() >= 2) {
            List<Sample> first = samples.subList(0, samples.size() / 2);
            List<Sample> second = samples.subList(samples.size() / 2, samples.size());
            long rssFirst = first.stream().mapToLong(Sample::rssKb).max().orElse(0);
            long rssSecond = second.stream().mapToLong(Sample::rssKb).max().orElse(0);
            long heapFirst = first.stream().mapToLong(Sample::liveHeapKb).max().orElse(0);
            long heapSecond = second.stream().mapToLong(Sample::liveHeapKb).max().orElse(0);
            System.out.printf("heap after GC, highest: first half %.1f MB, second half %.1f MB (ratio %.2f)%n", heapFirst / 1024.0,
                    heapSecond / 1024.0, heapFirst == 0 ? 0 : heapSecond / (double) heapFirst);
            long filesFirst = first.stream().mapToLong(Sample::openFiles).max().orElse(0);
            long filesSecond = second.stream().mapToLong(Sample::openFiles).max().orElse(0);
            System.out.printf("RSS, highest: first half %.1f MB, second half %.1f MB (ratio %.2f)%n", rssFirst / 1024.0,
                    rssSecond / 1024.0, rssFirst == 0 ? 0 : rssSecond / (double) rssFirst);
            System.out.printf("open files, highest: first half %d, second half %d (%+d)%n", filesFirst, filesSecond, filesSecond - filesFirst);
        }
    }

    private void client(int client, DomainController dc, CertificationAuthority ca, SSLContext tls, long end) {
        String account = account(client) + "$";
        String basic = EstClient.basic(account, PASSWORD);
        // each client its own transport, so each keeps a connection of its own, as separate computers do
        EstClient est = new EstClient("https://127.0.0.1:" + ca.httpsPort() + "/.well-known/est", new JdkEstTransport(tls, ca.config().fqdn()));
        KeyPair key;
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            key = generator.generateKeyPair();
        } catch (Exception e) {
            note("EST enroll", e);
            return;
        }
        String computerDn = dc.names().computer(account(client));
        while (System.nanoTime() < end) {
            run("EST enroll", () -> {
                byte[] csr = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=load" + serial.incrementAndGet()), key.getPublic())
                        .build(new JcaContentSignerBuilder("SHA256withRSA").build(key.getPrivate())).getEncoded();
                expect(200, est.simpleEnroll("Machine", basic, csr));
            });
            run("EST cacerts", () -> expect(200, est.cacerts()));
            run("CRL download", () -> {
                HttpURLConnection c = (HttpURLConnection) new URL(ca.crlUrl().replaceFirst("//[^/:]+", "//127.0.0.1")).openConnection();
                c.setConnectTimeout(10_000);
                c.setReadTimeout(30_000);
                if (c.getResponseCode() != 200) {
                    throw new IllegalStateException("HTTP " + c.getResponseCode() + " for the CRL at " + ca.crlUrl());
                }
                readAll(c);
            });
            run("LDAP bind+search", () -> {
                try (LDAPConnection ldap = new LDAPConnection("127.0.0.1", dc.ldapPort(), computerDn, PASSWORD)) {
                    if (ldap.search(dc.names().certificateTemplates(), SearchScope.ONE, "(objectClass=pKICertificateTemplate)", "cn")
                            .getEntryCount() < 5) {
                        throw new IllegalStateException("fewer than the five default templates");
                    }
                }
            });
            run("logon token", () -> DomainLogon.logon("127.0.0.1", dc.ldapPort(), computerDn, PASSWORD).token());
            run("wrong password", () -> {
                try (LDAPConnection ldap = new LDAPConnection("127.0.0.1", dc.ldapPort())) {
                    ldap.bind(computerDn, "Not-The-Passw0rd!");
                    throw new IllegalStateException("a wrong password was accepted");
                } catch (LDAPException e) {
                    if (e.getResultCode() != ResultCode.INVALID_CREDENTIALS) {
                        throw e;
                    }
                }
            });
        }
    }

    private interface Operation {
        void run() throws Exception;
    }

    private void run(String name, Operation operation) {
        try {
            operation.run();
            done.get(name).increment();
        } catch (Exception | AssertionError e) {
            note(name, e);
        }
    }

    private void note(String name, Throwable e) {
        errors.increment();
        firstErrors.putIfAbsent(name, e.toString());
    }

    private static void expect(int status, EstAnswer answer) {
        if (answer.status() != status) {
            throw new IllegalStateException("HTTP " + answer.status() + ": " + answer.text().strip());
        }
    }

    private static byte[] readAll(HttpURLConnection c) throws IOException {
        try (InputStream in = c.getResponseCode() < 400 ? c.getInputStream() : c.getErrorStream()) {
            return in == null ? new byte[0] : in.readAllBytes();
        }
    }

    private Sample sample(double at) throws IOException {
        long rss = 0;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        long files;
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            files = fds.count();
        }
        long operations = done.values().stream().mapToLong(LongAdder::sum).sum();
        // what stays reachable, the figure a leak moves; resident memory also follows the heap growing towards its cap
        System.gc();
        long liveHeap = java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1024;
        return new Sample(at, operations, errors.sum(), rss, liveHeap, files, Thread.activeCount());
    }

    private static String account(int i) {
        return String.format("LOAD%02d", i);
    }
}
