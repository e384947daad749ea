package org.pkilab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.DomainNames;
import org.pkilab.enrollment.EnrollmentException;
import org.pkilab.enrollment.EstAnswer;
import org.pkilab.enrollment.EstClient;
import org.pkilab.enrollment.JdkEstTransport;
import org.pkilab.pki.KeyFiles;
import org.sqlite.SQLiteConfig;

import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code pkilab up --data DIR} killed with SIGKILL at random moments, while it makes its forest, while it
 * starts, and while clients enroll over EST and computers join the domain, and started again on the same
 * folder each time: what the OOM killer or a Ctrl-C before the lab is up does to it. A certificate a client
 * received must be in the CA database as issued with the same DER, serials never repeat, the directory keeps
 * every entry and every computer the DC said it created (no SID twice), the lab listens where it said it
 * would, and the CRL at the URL in the certificates stays valid and current.
 *
 * <p>The moments are random from a seed the test prints; {@code -Dpkilab.crash.seed=N} plays the same plan
 * again (the same delays and start-up kills; where a delay lands in the lab's work still depends on timing).
 */
class CrashRecoveryTest {

    private static final int KILLS = 20;
    private static final int ENROLLERS = 3;
    /** The longest wait before a kill, once the lab has issued a certificate and joined a computer since it started. */
    private static final int MAX_ENROLLING_MILLIS = 1200;
    private static final String MACHINE = "CRASH01";
    private static final String MACHINE_PASSWORD = "Crash-Passw0rd!";
    private static final String TEMPLATE = "Machine";
    private static final Set<String> REPUBLISHED = Set.of("certificaterevocationlist", "deltarevocationlist");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AtomicReference<CompletableFuture<LabProcess.Endpoints>> gate = new AtomicReference<>(new CompletableFuture<>());
    /** Goes up before each kill: a request that fails without it going up failed on a lab that was up. */
    private final AtomicLong epoch = new AtomicLong();
    private volatile boolean stopping;
    private final ConcurrentLinkedQueue<X509Certificate> received = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> failuresWhileUp = new ConcurrentLinkedQueue<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger lostToKills = new AtomicInteger();
    /** The computer accounts the DC said it created, while the enrollers enroll. */
    private final ConcurrentLinkedQueue<String> accounts = new ConcurrentLinkedQueue<>();
    private final AtomicInteger accountRequests = new AtomicInteger();
    /** Counted down by the first certificate, and the first computer, after each start. */
    private volatile CountDownLatch firstCertificate = new CountDownLatch(1);
    private volatile CountDownLatch firstComputer = new CountDownLatch(1);

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void everyCertificateAClientReceivedSurvivesSigkillAtRandomMoments(@TempDir Path folder) throws Exception {
        long seed = Long.getLong("pkilab.crash.seed", System.nanoTime());
        System.out.println("CrashRecoveryTest: seed " + seed + " (the same plan again: -Dpkilab.crash.seed=" + seed + ")");
        Random random = new Random(seed);
        long began = System.nanoTime();
        Path data = folder.resolve("lab");
        KeyPair[] keys = keys(4);
        List<Long> restartMillis = new ArrayList<>();
        List<Thread> clients = new ArrayList<>();
        int killsWhileEnrolling = 0;
        int killsWhileStarting = 0;
        int starts = 1;
        LabProcess lab = LabProcess.up(data);
        try {
            // the first kill while the first start makes the forest, once its first entry is written: Ctrl-C there does the
            // same. Waiting for the DC's key instead (as this test first did) killed most runs before the forest was begun:
            // keeping the key takes longer than the delay
            awaitFirstWrite(data.resolve("dc").resolve("store"), Duration.ofSeconds(60));
            Thread.sleep(random.nextInt(200)); // within the few hundred milliseconds the forest takes to make
            lab.kill();
            killsWhileStarting++;
            lab = LabProcess.up(data);
            starts++;
            LabProcess.Endpoints first = ready(lab, "the first start after a kill while the forest was made");
            System.out.println("CrashRecoveryTest: the first kill " + (lab.output().contains("was left half-made")
                    ? "left the forest half-made; the next start made it again" : "came after the forest was complete"));
            long firstStartMillis = lab.startupTime().toMillis();
            X509Certificate caCertificate = caCertificate(first);
            try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", first.ldapPort(), DomainNames.of(first.domain()),
                    first.administratorDn(), first.password())) {
                admin.usersAndComputers().createComputer(MACHINE, MACHINE.toLowerCase() + "." + first.domain(), MACHINE_PASSWORD);
            }
            Checks checks = new Checks(first, caCertificate, directory(first));
            checks.verify(first, "the first start");

            for (int i = 0; i < ENROLLERS; i++) {
                Thread enroller = new Thread(() -> enroll(caCertificate, keys), "enroller-" + i);
                enroller.start();
                clients.add(enroller);
            }
            Thread joiner = new Thread(this::createComputers, "computer-creator");
            joiner.start();
            clients.add(joiner);
            gate.get().complete(first);
            while (killsWhileEnrolling + killsWhileStarting < KILLS) {
                // the random moment: somewhere in the enrollments and joins, once the lab has answered both
                awaitWork("start " + starts);
                Thread.sleep(random.nextInt(MAX_ENROLLING_MILLIS));
                gate.set(new CompletableFuture<>());
                epoch.incrementAndGet();
                lab.kill();
                killsWhileEnrolling++;

                lab = LabProcess.up(data);
                starts++;
                if (random.nextInt(4) == 0) {
                    // now and then while it starts: opening the directory, publishing the CA, a CRL when one is due
                    long moment = random.nextLong(restartMillis.isEmpty() ? 2000 : restartMillis.get(restartMillis.size() - 1));
                    if (lab.awaitReady(Duration.ofMillis(moment)).isEmpty()) {
                        lab.kill();
                        killsWhileStarting++;
                        lab = LabProcess.up(data);
                        starts++;
                    }
                }
                String when = "the restart after kill " + (killsWhileEnrolling + killsWhileStarting);
                LabProcess.Endpoints up = ready(lab, when);
                restartMillis.add(lab.startupTime().toMillis());
                checks.verify(up, when);
                firstCertificate = new CountDownLatch(1);
                firstComputer = new CountDownLatch(1);
                gate.get().complete(up);
            }
            stopping = true;
            for (Thread client : clients) {
                client.join(60_000);
            }
            checks.verify(gate.get().get(), "the end, " + received.size() + " certificates received");
            lab.stop(Duration.ofSeconds(60));

            List<Long> sorted = restartMillis.stream().sorted().toList();
            System.out.printf("CrashRecoveryTest: %d kills (%d while enrolling, %d while starting), %d starts; %d enrollment requests, "
                            + "%d certificates received; %d computer accounts created of %d asked; %d requests lost to kills%n",
                    killsWhileEnrolling + killsWhileStarting, killsWhileEnrolling, killsWhileStarting, starts, requests.get(),
                    received.size(), accounts.size(), accountRequests.get(), lostToKills.get());
            System.out.printf("CrashRecoveryTest: first start %d ms; restart after a kill to ready (ms): min %d, median %d, max %d %s; "
                            + "whole test %d s%n", firstStartMillis, sorted.get(0), sorted.get(sorted.size() / 2),
                    sorted.get(sorted.size() - 1), restartMillis, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - began));

            assertTrue(failuresWhileUp.isEmpty(), failuresWhileUp.size() + " requests failed while the lab was up (not killed); "
                    + "the first: " + failuresWhileUp.peek());
            Map<BigInteger, X509Certificate> bySerial = new HashMap<>();
            for (X509Certificate certificate : received) {
                X509Certificate twice = bySerial.put(certificate.getSerialNumber(), certificate);
                assertTrue(twice == null, "serial " + certificate.getSerialNumber().toString(16) + " was issued twice");
            }
            int issuedInDatabase = checkDatabase(data.resolve("ca").resolve("ca.db"), bySerial);
            System.out.printf("CrashRecoveryTest: %d certificates issued to %s$ in the database, all %d received among them%n",
                    issuedInDatabase, MACHINE, received.size());
        } finally {
            stopping = true;
            gate.get().complete(null);
            lab.close();
            for (Thread client : clients) {
                client.join(10_000);
            }
        }
    }

    /** Waits until the lab has issued a certificate and created a computer since it started. */
    private void awaitWork(String when) throws InterruptedException {
        assertTrue(firstCertificate.await(60, TimeUnit.SECONDS), "no certificate issued within 60 s of " + when
                + "; failures meanwhile: " + failuresWhileUp);
        assertTrue(firstComputer.await(60, TimeUnit.SECONDS), "no computer created within 60 s of " + when
                + "; failures meanwhile: " + failuresWhileUp);
    }

    /** Polls until {@code folder} holds a file. */
    /** Waits until the DC's journal in {@code store} holds a record: the forest's first entry is written. */
    private static void awaitFirstWrite(Path store, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            if (Files.isDirectory(store)) {
                try (java.util.stream.Stream<Path> files = Files.list(store)) {
                    if (files.anyMatch(f -> f.getFileName().toString().startsWith("journal-") && f.toFile().length() > 0)) {
                        return;
                    }
                }
            }
            assertTrue(System.nanoTime() < deadline, "no journal record in " + store + " after " + within);
            Thread.sleep(5);
        }
    }

    private static LabProcess.Endpoints ready(LabProcess lab, String when) throws InterruptedException {
        return lab.awaitReady(Duration.ofSeconds(90)).orElseThrow(() -> new AssertionError("pkilab up (pid " + lab.pid()
                + ") was not ready 90 s into " + when + "; its output:\n" + lab.output()));
    }

    /** What must hold at every start: checked against what the first start showed. */
    private final class Checks {
        private final LabProcess.Endpoints first;
        private final X509Certificate caCertificate;
        private final Map<String, Map<String, String>> directory;
        private BigInteger crlNumber = BigInteger.ZERO;

        Checks(LabProcess.Endpoints first, X509Certificate caCertificate, Map<String, Map<String, String>> directory) {
            this.first = first;
            this.caCertificate = caCertificate;
            this.directory = directory;
        }

        void verify(LabProcess.Endpoints lab, String when) throws Exception {
            assertEquals(first.urls(), lab.urls(), "at " + when + " the lab listens where it said it would at its first start");
            assertEquals(caCertificate, caCertificate(lab), "at " + when + " the CA serves the certificate it started with (AIA)");
            directoryIntact(lab, when);
            everyReceivedCertificateIsIssued(lab, when);
            crlValid(lab, when);
        }

        /**
         * Every entry of the first start as it was, but the RID counter on the domain head (and the change time and USN
         * its write gave the head); new entries only the
         * computers the test created, every one the DC acknowledged among them; no SID twice.
         */
        private void directoryIntact(LabProcess.Endpoints lab, String when) throws Exception {
            List<String> created = List.copyOf(accounts);
            Map<String, Map<String, String>> now = directory(lab);
            String domain = new DN(DomainNames.of(lab.domain()).domain()).toNormalizedString();
            List<String> differences = new ArrayList<>();
            for (Map.Entry<String, Map<String, String>> entry : directory.entrySet()) {
                Map<String, String> after = now.get(entry.getKey());
                if (after == null) {
                    differences.add("missing " + entry.getKey());
                    continue;
                }
                Set<String> attributes = new TreeSet<>(entry.getValue().keySet());
                attributes.addAll(after.keySet());
                attributes.removeIf(a -> java.util.Objects.equals(entry.getValue().get(a), after.get(a)));
                if (entry.getKey().equals(domain) && attributes.remove("nextrid")) {
                    if (Integer.parseInt(after.get("nextrid")) < Integer.parseInt(entry.getValue().get("nextrid"))) {
                        differences.add("nextRid went back from " + entry.getValue().get("nextrid") + " to " + after.get("nextrid"));
                    }
                    // the write that moved the RID counter moved the head's change time and USN with it
                    attributes.removeAll(Set.of("whenchanged", "usnchanged"));
                }
                if (!attributes.isEmpty()) {
                    differences.add("changed " + entry.getKey() + " " + attributes);
                }
            }
            now.keySet().stream().filter(dn -> !directory.containsKey(dn) && !dn.matches("cn=cw\\d+,cn=computers,.*"))
                    .forEach(dn -> differences.add("new " + dn));
            created.stream().map(name -> "cn=" + name.toLowerCase() + ",cn=computers," + domain).filter(dn -> !now.containsKey(dn))
                    .forEach(dn -> differences.add("lost " + dn + ", created before a kill"));
            Map<String, String> sids = new HashMap<>();
            for (Map.Entry<String, Map<String, String>> entry : now.entrySet()) {
                String sid = entry.getValue().get("objectsid");
                String other = sid == null ? null : sids.put(sid, entry.getKey());
                if (other != null) {
                    differences.add("one SID on " + other + " and " + entry.getKey());
                }
            }
            assertTrue(differences.isEmpty(), "at " + when + " the directory differs from the first start's ("
                    + directory.size() + " entries, " + created.size() + " computers created since): " + differences);
        }

        private void everyReceivedCertificateIsIssued(LabProcess.Endpoints lab, String when) throws Exception {
            List<X509Certificate> so = List.copyOf(received);
            List<JsonNode> issued = adminPages(lab, "requests?status=issued");
            Set<String> serials = new TreeSet<>();
            List<String> repeated = new ArrayList<>();
            for (JsonNode row : issued) {
                if (!serials.add(row.get("serial").asText())) {
                    repeated.add(row.get("serial").asText());
                }
            }
            assertTrue(repeated.isEmpty(), "at " + when + " the CA lists serials twice among its issued certificates: " + repeated);
            List<String> missing = so.stream().map(c -> c.getSerialNumber().toString(16)).filter(s -> !serials.contains(s)).toList();
            assertTrue(missing.isEmpty(), "at " + when + " " + missing.size() + " of the " + so.size() + " certificates clients "
                    + "received are not in the CA's Issued Certificates: " + missing.stream().limit(5).toList());
        }

        private void crlValid(LabProcess.Endpoints lab, String when) throws Exception {
            // the URL in the certificates clients hold, as a relying party fetches it
            String url = received.isEmpty() ? lab.crlUrl() : cdp(received.peek());
            HttpURLConnection http = (HttpURLConnection) local(url).toURL().openConnection();
            http.setConnectTimeout(5_000);
            http.setReadTimeout(30_000);
            assertEquals(200, http.getResponseCode(), "at " + when + " the CRL is served at " + url);
            X509CRL crl;
            try (InputStream in = http.getInputStream()) {
                crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(in);
            }
            crl.verify(caCertificate.getPublicKey());
            assertEquals(caCertificate.getSubjectX500Principal(), crl.getIssuerX500Principal(), "at " + when + ": CRL issuer");
            Instant now = Instant.now();
            assertTrue(!crl.getThisUpdate().toInstant().isAfter(now.plusSeconds(60)) && crl.getNextUpdate().toInstant().isAfter(now),
                    "at " + when + " the CRL at " + url + " is not current: thisUpdate " + crl.getThisUpdate().toInstant()
                            + ", nextUpdate " + crl.getNextUpdate().toInstant());
            BigInteger number = ASN1Integer.getInstance(ASN1OctetString.getInstance(crl.getExtensionValue(Extension.cRLNumber.getId()))
                    .getOctets()).getValue();
            assertTrue(number.compareTo(crlNumber) >= 0, "at " + when + " the CRL number went back from " + crlNumber + " to " + number);
            crlNumber = number;
        }
    }

    /** One enroller: a fresh request for each enrollment, from a few keys made beforehand; waits while the lab is down. */
    private void enroll(X509Certificate caCertificate, KeyPair[] keys) {
        String authorization = EstClient.basic(MACHINE + "$", MACHINE_PASSWORD);
        EstClient est = null;
        LabProcess.Endpoints connectedTo = null;
        while (!stopping) {
            long before = epoch.get();
            LabProcess.Endpoints lab = gate.get().join();
            if (lab == null || stopping) {
                return;
            }
            if (lab != connectedTo) {
                // a new transport (socket factory) per start: a kept-alive connection to the killed process is never reused
                est = new EstClient("https://127.0.0.1:" + lab.estPort() + "/.well-known/est",
                        new JdkEstTransport(tls(caCertificate), lab.caFqdn()));
                connectedTo = lab;
            }
            int n = requests.incrementAndGet();
            try {
                byte[] csr = csr(keys[n % keys.length], "CN=crash-request-" + n);
                EstAnswer answer = est.simpleEnroll(TEMPLATE, authorization, csr);
                if (answer.status() == 200) {
                    received.add(answer.certificate());
                    firstCertificate.countDown();
                } else if (epoch.get() == before) {
                    failuresWhileUp.add("HTTP " + answer.status() + " " + answer.text().strip());
                } else {
                    lostToKills.incrementAndGet();
                }
            } catch (EnrollmentException noAnswer) {
                // the EST client's "no answer came" (status 0): the connection failed
                if (noAnswer.httpStatus() != 0 || epoch.get() == before) {
                    failuresWhileUp.add(noAnswer.toString());
                } else {
                    lostToKills.incrementAndGet();
                }
            } catch (Exception e) {
                failuresWhileUp.add(e.toString());
            }
        }
    }

    /** Joins computers to the domain while the enrollers enroll: directory writes a kill can cut into. */
    private void createComputers() {
        DirectoryAdmin admin = null;
        LabProcess.Endpoints connectedTo = null;
        try {
            while (!stopping) {
                long before = epoch.get();
                LabProcess.Endpoints lab = gate.get().join();
                if (lab == null || stopping) {
                    return;
                }
                String name = "CW" + accountRequests.incrementAndGet();
                try {
                    if (lab != connectedTo) {
                        if (admin != null) {
                            admin.close();
                        }
                        admin = DirectoryAdmin.connect("127.0.0.1", lab.ldapPort(), DomainNames.of(lab.domain()),
                                lab.administratorDn(), lab.password());
                        connectedTo = lab;
                    }
                    admin.usersAndComputers().createComputer(name, name.toLowerCase() + "." + lab.domain(), MACHINE_PASSWORD);
                    accounts.add(name);
                    firstComputer.countDown();
                    // a join every 50 ms or so: directory writes for the kills to cut into, and CPU left for enrolling
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (RuntimeException e) {
                    if (epoch.get() == before) {
                        failuresWhileUp.add("create computer " + name + ": " + e);
                    } else {
                        lostToKills.incrementAndGet();
                    }
                    connectedTo = null;
                }
            }
        } finally {
            if (admin != null) {
                admin.close();
            }
        }
    }

    /**
     * Every certificate received, in the database file as the lab left it: issued, the same DER, serials once.
     * The CA's administration interface lists serials but not certificates, so the DER is compared here, in the
     * SQLite file itself, opened read-only once the lab has stopped: nothing the lab or the test does can repair
     * what a kill left, and SQLite's own integrity check runs on it too.
     */
    private static int checkDatabase(Path file, Map<BigInteger, X509Certificate> received) throws Exception {
        SQLiteConfig readOnly = new SQLiteConfig();
        readOnly.setReadOnly(true);
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + file, readOnly.toProperties());
             Statement s = db.createStatement()) {
            try (ResultSet check = s.executeQuery("PRAGMA integrity_check")) {
                check.next();
                assertEquals("ok", check.getString(1), "SQLite's integrity check of " + file);
            }
            Map<BigInteger, byte[]> issued = new HashMap<>();
            List<String> repeated = new ArrayList<>();
            int mine = 0;
            try (ResultSet rows = s.executeQuery("SELECT serial, status, certificate, requester FROM requests WHERE serial IS NOT NULL")) {
                while (rows.next()) {
                    BigInteger serial = new BigInteger(rows.getString(1), 16);
                    if (issued.put(serial, "ISSUED".equals(rows.getString(2)) ? rows.getBytes(3) : new byte[0]) != null) {
                        repeated.add(serial.toString(16));
                    }
                    mine += rows.getString(4).endsWith("\\" + MACHINE + "$") ? 1 : 0;
                }
            }
            assertTrue(repeated.isEmpty(), "serials recorded twice in " + file + ": " + repeated);
            List<String> wrong = new ArrayList<>();
            for (Map.Entry<BigInteger, X509Certificate> r : received.entrySet()) {
                byte[] stored = issued.get(r.getKey());
                if (stored == null || !Arrays.equals(stored, r.getValue().getEncoded())) {
                    wrong.add(r.getKey().toString(16) + (stored == null ? " absent" : stored.length == 0 ? " not issued" : " other DER"));
                }
            }
            assertTrue(wrong.isEmpty(), wrong.size() + " of the " + received.size() + " certificates clients received are not in "
                    + file + " as issued with the same DER: " + wrong.stream().limit(5).toList());
            return mine;
        }
    }

    // ---- the client side ----------------------------------------------------------------------------

    private static KeyPair[] keys(int count) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair[] keys = new KeyPair[count];
        for (int i = 0; i < count; i++) {
            keys[i] = generator.generateKeyPair();
        }
        return keys;
    }

    private static byte[] csr(KeyPair key, String subject) throws Exception {
        return new JcaPKCS10CertificationRequestBuilder(new X500Name(subject), key.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(key.getPrivate())).getEncoded();
    }


    private static String cdp(X509Certificate certificate) {
        CRLDistPoint points = CRLDistPoint.getInstance(ASN1OctetString.getInstance(
                certificate.getExtensionValue(Extension.cRLDistributionPoints.getId())).getOctets());
        for (DistributionPoint point : points.getDistributionPoints()) {
            for (GeneralName name : GeneralNames.getInstance(point.getDistributionPoint().getName()).getNames()) {
                if (name.getTagNo() == GeneralName.uniformResourceIdentifier) {
                    return name.getName().toString();
                }
            }
        }
        throw new AssertionError("no CDP URL in " + certificate.getSubjectX500Principal());
    }

    /** The lab's names are 127.0.0.1. */
    private static URI local(String url) {
        URI uri = URI.create(url);
        return URI.create(uri.getScheme() + "://127.0.0.1:" + uri.getPort() + uri.getRawPath());
    }

    private static X509Certificate caCertificate(LabProcess.Endpoints lab) throws Exception {
        HttpURLConnection http = (HttpURLConnection) local(lab.caIssuersUrl()).toURL().openConnection();
        http.setConnectTimeout(5_000);
        http.setReadTimeout(30_000);
        try (InputStream in = http.getInputStream()) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(in.readAllBytes()));
        }
    }

    private static SSLContext tls(X509Certificate caCertificate) {
        try {
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, KeyFiles.trustOnly(caCertificate), null);
            return tls;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** HTTPS to the CA at 127.0.0.1, its certificate checked against the CA's lab name, as a client reaching ca01 would. */
    private static HttpsURLConnection https(LabProcess.Endpoints lab, SSLSocketFactory tls, String path) throws IOException {
        HttpsURLConnection http = (HttpsURLConnection) URI.create("https://127.0.0.1:" + lab.estPort() + path).toURL().openConnection();
        http.setSSLSocketFactory(tls);
        http.setHostnameVerifier(JdkEstTransport.namedServer(lab.caFqdn()));
        http.setConnectTimeout(5_000);
        http.setReadTimeout(30_000);
        return http;
    }

    /** The CA's administration interface, as {@code pkilab ca issued} asks it, logged on as Administrator. */
    /**
     * Every row of a console folder, page after page: the CA answers a thousand rows at a time and names the next page
     * in X-Next-After (a run with the native provider receives more certificates than one page holds).
     */
    private static List<JsonNode> adminPages(LabProcess.Endpoints lab, String path) throws Exception {
        X509Certificate ca = caCertificate(lab);
        List<JsonNode> rows = new ArrayList<>();
        String after = null;
        do {
            String page = path + (after == null ? "" : "&after=" + after);
            HttpsURLConnection http = https(lab, tls(ca).getSocketFactory(), "/certsrv/admin/" + page);
            http.setRequestProperty("Authorization", "Basic " + Base64.getEncoder().encodeToString(("Administrator:" + lab.password())
                    .getBytes(StandardCharsets.UTF_8)));
            int status = http.getResponseCode();
            try (InputStream in = status < 400 ? http.getInputStream() : http.getErrorStream()) {
                String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
                assertEquals(200, status, "GET /certsrv/admin/" + page + ": " + body);
                JSON.readTree(body).forEach(rows::add);
            }
            after = http.getHeaderField("X-Next-After");
        } while (after != null);
        return rows;
    }

    /**
     * Every entry of the domain, by normalized DN, with a digest of each attribute's values; leaving out the
     * CRLs on the CDP object, which the CA republishes when they fall due (they are checked at the CDP URL).
     */
    private static Map<String, Map<String, String>> directory(LabProcess.Endpoints lab) throws Exception {
        Map<String, Map<String, String>> entries = new TreeMap<>();
        try (LDAPConnection ldap = new LDAPConnection("127.0.0.1", lab.ldapPort(), lab.administratorDn(), lab.password())) {
            for (SearchResultEntry entry : ldap.search(DomainNames.of(lab.domain()).domain(), SearchScope.SUB, "(objectClass=*)", "*")
                    .getSearchEntries()) {
                Map<String, String> attributes = new TreeMap<>();
                for (Attribute attribute : entry.getAttributes()) {
                    String name = attribute.getName().toLowerCase(java.util.Locale.ROOT);
                    if (name.equals("nextrid")) {
                        attributes.put(name, attribute.getValue());
                    } else if (name.equals("objectsid")) {
                        attributes.put(name, HexFormat.of().formatHex(attribute.getValueByteArray()));
                    } else if (!REPUBLISHED.contains(name)) {
                        attributes.put(name, digest(attribute.getValueByteArrays()));
                    }
                }
                entries.put(new DN(entry.getDN()).toNormalizedString(), attributes);
            }
        }
        return entries;
    }

    private static String digest(byte[][] values) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        Arrays.stream(values).map(v -> HexFormat.of().formatHex(v)).sorted().forEach(v -> sha.update((v + '\n').getBytes(StandardCharsets.US_ASCII)));
        return HexFormat.of().formatHex(sha.digest(), 0, 8);
    }
}
