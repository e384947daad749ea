package org.pkilab.bench;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.pkilab.ca.CertificationAuthority;
import org.pkilab.ca.CertificationAuthorityConfig;
import org.pkilab.ca.EnrollmentRequest;
import org.pkilab.ca.EnrollmentResult;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.DomainControllerConfig;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.pki.KeyFiles;
import org.pkilab.pki.LabCrypto;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.management.ManagementFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * CA issuance per second from ready-made requests, next to the raw RSA-2048 SHA-256 signing rate of
 * the same CA key with the same provider and OpenSSL's own rate ({@code openssl speed rsa2048}, as many processes as
 * threads), all in the same run, on 1 and 2 threads. Issuance is the whole pipeline: policy checks
 * against the directory, signing, and the database record. Key generation for the requests is done
 * before the clock starts. Raw signing, issuance and OpenSSL alternate in five rounds and the figures are the
 * totals over the rounds, so that drift in the machine's speed during the run weighs on all alike. It prints which
 * provider signed ({@link LabCrypto}): issuance is judged against OpenSSL's rate, the machine's floor, and against
 * the raw rate of the provider that served it.
 */
@Command(name = "ca-issuance", mixinStandardHelpOptions = true,
        description = "CA issuance per second from pre-made CSRs beside the raw RSA-2048 signing rate of the same key.")
public final class CaIssuanceBenchmark implements Callable<Integer> {

    private static final int ROUNDS = 5;

    @Option(names = "--requests", defaultValue = "10000",
            description = "Requests per thread count, measured in " + ROUNDS + " rounds that alternate raw signing and issuance (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--threads", split = ",", defaultValue = "1,2", description = "Thread counts to measure (default: ${DEFAULT-VALUE}).")
    List<Integer> threadCounts;

    @Override
    public Integer call() throws Exception {
        String password = "Bench-Passw0rd!";
        try (DomainController dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(password).build());
             CertificationAuthority ca = CertificationAuthority.start(CertificationAuthorityConfig.builder(dc.names())
                     .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), password).build())) {
            LogonToken requester = DomainLogon.logon("127.0.0.1", dc.ldapPort(), dc.administratorDn(), password).token();
            System.out.printf("CA issuance vs raw signing (%d cores, Java %s); template WebServer, requester %s%n",
                    Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), requester.account());
            System.out.println(LabCrypto.servedBy());
            System.out.print("making " + requests + " requests from 16 RSA-2048 keys ... ");
            List<byte[]> csrs = csrs(requests);
            System.out.println("done");
            PrivateKey caKey = KeyFiles.loadKept(ca.dataDirectory(), "ca").orElseThrow().key();

            // warm up both paths so that neither is measured while the JIT is still compiling: issuance runs
            // through far more code (ASN.1, the policy, the database) and needs thousands of rounds to settle
            System.out.print("warming up ... ");
            int busiest = threadCounts.stream().max(Integer::compare).orElse(1);
            for (int i = 0; i < 2; i++) {
                rawSigning(caKey, busiest, csrs.size() / 2);
                issue(ca, requester, csrs.subList(0, csrs.size() / 2), busiest);
            }
            System.out.println("done");

            System.out.println();
            List<String> where = new ArrayList<>();
            System.out.printf("%-8s %12s %15s %7s %16s %10s %14s %15s   %s%n", "threads", "raw signs/s", "issued certs/s",
                    "ratio", "OpenSSL signs/s", "of OpenSSL", "raw CPU µs/op", "issue CPU µs/op", "ratio per round");
            for (int threads : threadCounts) {
                // raw and issued alternate in rounds, so a machine that speeds up or slows down during the
                // run (other tenants, clock boost) weighs on both sides alike
                Run raw = new Run(0, 0);
                Run issued = new Run(0, 0);
                double openssl = 0;
                int opensslRounds = 0;
                List<String> perRound = new ArrayList<>();
                CertificationAuthority.PerformanceCounters before = ca.performanceCounters();
                int perRun = requests / ROUNDS;
                for (int round = 0; round < ROUNDS; round++) {
                    Run r = rawSigning(caKey, threads, perRun);
                    Run i = issue(ca, requester, csrs.subList(round * perRun, (round + 1) * perRun), threads);
                    raw = raw.plus(r);
                    issued = issued.plus(i);
                    OptionalDouble floor = OpensslSpeed.rsa2048(threads, 1);
                    if (floor.isPresent()) {
                        openssl += floor.getAsDouble();
                        opensslRounds++;
                    }
                    perRound.add(String.format("%.0f%%", 100 * r.seconds() / i.seconds()));
                }
                int count = ROUNDS * perRun;
                double issuedRate = count / issued.seconds();
                double opensslRate = opensslRounds == 0 ? Double.NaN : openssl / opensslRounds;
                System.out.printf("%-8d %12.0f %15.0f %6.0f%% %16s %10s %14.0f %15.0f   %s%n", threads, count / raw.seconds(),
                        issuedRate, 100 * raw.seconds() / issued.seconds(),
                        opensslRounds == 0 ? "no openssl" : String.format("%.0f", opensslRate),
                        opensslRounds == 0 ? "-" : String.format("%.0f%%", 100 * issuedRate / opensslRate),
                        raw.cpuNanos() / 1e3 / count, issued.cpuNanos() / 1e3 / count, String.join(" ", perRound));
                where.add(String.format("%-8d %s", threads, whereItWent(before, ca.performanceCounters())));
            }
            System.out.println();
            System.out.println("where issuance went, µs per certificate by the CA's own counters (AD CS's \"Request processing time\" and its parts):");
            where.forEach(System.out::println);
            System.out.println();
            System.out.println("judged by: issued certs/s >= 40% of OpenSSL's rate (\"of OpenSSL\") and >= 90% of the same"
                    + " provider's raw signing (\"ratio\"); OpenSSL ran as many processes as threads, between the rounds");
            System.out.println();
            System.out.println("records in the CA database: " + ca.requestCount());
        }
        return 0;
    }

    /** The measured rounds' requests: processing, of which the policy module, signing and the database log, and the rest. */
    private static String whereItWent(CertificationAuthority.PerformanceCounters before, CertificationAuthority.PerformanceCounters after) {
        long n = after.requests() - before.requests();
        double processing = (after.processingNanos() - before.processingNanos()) / 1e3 / n;
        double policy = (after.policyModuleNanos() - before.policyModuleNanos()) / 1e3 / n;
        double signing = (after.signingNanos() - before.signingNanos()) / 1e3 / n;
        double log = (after.databaseLogNanos() - before.databaseLogNanos()) / 1e3 / n;
        double tables = (after.databaseTablesNanos() - before.databaseTablesNanos()) / 1e3 / n;
        return String.format("processing %.0f = policy module %.0f + signing (building and signing) %.0f + database log %.0f + other %.0f;"
                + " the writer's tables %.0f on its own thread", processing, policy, signing, log, processing - policy - signing - log, tables);
    }

    private static List<byte[]> csrs(int count) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        List<KeyPair> keys = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            keys.add(generator.generateKeyPair());
        }
        List<byte[]> csrs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            KeyPair key = keys.get(i % keys.size());
            csrs.add(new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=host" + i + ".contoso.com"), key.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withRSA").build(key.getPrivate())).getEncoded());
        }
        return csrs;
    }

    /** Wall-clock seconds of a measured run, and the CPU time the whole process used for it. */
    private record Run(double seconds, long cpuNanos) {
        Run plus(Run other) {
            return new Run(seconds + other.seconds, cpuNanos + other.cpuNanos);
        }
    }

    private static Run rawSigning(PrivateKey key, int threads, int total) throws Exception {
        byte[] tbs = new byte[900];
        new SecureRandom().nextBytes(tbs);
        AtomicInteger left = new AtomicInteger(total);
        long cpuBefore = processCpu();
        Run run = timed(threads, () -> {
            Signature signer = Signature.getInstance("SHA256withRSA");
            while (left.getAndDecrement() > 0) {
                signer.initSign(key);
                signer.update(tbs);
                signer.sign();
            }
            return null;
        });
        return new Run(run.seconds(), processCpu() - cpuBefore);
    }

    private static Run issue(CertificationAuthority ca, LogonToken requester, List<byte[]> csrs, int threads) throws Exception {
        AtomicInteger next = new AtomicInteger();
        // the CA's database writer applies the records in the background: its CPU belongs to issuance too,
        // so the CPU figure is the whole process's, up to the moment every record is in the tables
        long cpuBefore = processCpu();
        Run run = timed(threads, () -> {
            for (int i; (i = next.getAndIncrement()) < csrs.size(); ) {
                EnrollmentResult r = ca.submit(EnrollmentRequest.manual(requester, "WebServer", csrs.get(i)));
                if (!r.issued()) {
                    throw new IllegalStateException("not issued: " + r.decision().explain());
                }
            }
            return null;
        });
        ca.requestCount(); // applies whatever the writer has not applied yet
        return new Run(run.seconds(), processCpu() - cpuBefore);
    }

    private static long processCpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static Run timed(int threads, Callable<Void> work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            long start = System.nanoTime();
            List<Future<Void>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(work));
            }
            for (Future<Void> f : futures) {
                f.get();
            }
            return new Run((System.nanoTime() - start) / 1e9, 0);
        } finally {
            pool.shutdownNow();
        }
    }
}
