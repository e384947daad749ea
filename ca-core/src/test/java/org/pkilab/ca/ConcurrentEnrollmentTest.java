package org.pkilab.ca;

import org.pkilab.enrollment.EstAnswer;
import org.pkilab.enrollment.EstClient;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Sequence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.testing.TestLab;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One CA under sixteen EST clients at once, while an administrator keeps changing the template they enroll
 * for: every request is answered with a certificate, each certificate is in the database once under its own
 * serial, and each was made from one whole version of the template, as the Certificate Templates console
 * saved it (validity, EKUs and minimum key size together), never from half of one edit and half of another.
 *
 * <p>A schema 2 template names its version in the certificate (Certificate Template Information,
 * {@code 1.3.6.1.4.1.311.21.7}: template OID, major and minor revision), and every edit raises the minor
 * revision, so each certificate says which version it claims to follow; the test knows what each version held.
 */
class ConcurrentEnrollmentTest {

    private static final int ENROLLERS = 16;
    private static final int REQUESTS_EACH = 500;
    private static final int ACCOUNTS = 4;
    private static final String TEMPLATE = "Lab Busy Computer";
    private static final String TEMPLATE_CN = "LabBusyComputer";
    private static final Duration CLOCK_SKEW = Duration.ofMinutes(10);

    /** The settings one edit writes together: the General, Cryptography and Extensions tabs. */
    private record Settings(String name, Duration validity, Duration renewal, int minimalKeySize, List<String> ekus) {
        CertificateTemplate.Builder applyTo(CertificateTemplate.Builder template) {
            return template.validity(validity).renewalPeriod(renewal).minimalKeySize(minimalKeySize)
                    .extendedKeyUsages(ekus).applicationPolicies(ekus);
        }
    }

    private static final Settings CLIENT_AND_SERVER = new Settings("1 year, client and server authentication, 2048 bits",
            Duration.ofDays(365), Duration.ofDays(42), 2048,
            List.of(CertificateTemplate.OID_CLIENT_AUTHENTICATION, CertificateTemplate.OID_SERVER_AUTHENTICATION));
    private static final Settings CLIENT_ONLY = new Settings("2 years, client authentication, 1024 bits",
            Duration.ofDays(730), Duration.ofDays(56), 1024, List.of(CertificateTemplate.OID_CLIENT_AUTHENTICATION));

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void sixteenEnrollersGetEveryCertificateOnceEachFromOneWholeVersionOfATemplateBeingEdited() throws Exception {
        try (TestLab lab = TestLab.start()) {
            CertificationAuthority ca = lab.ca();
            DirectoryAdmin admin = lab.admin();
            // Duplicate Template of Computer: names built from the computer account, Enroll for Domain Computers
            admin.templates().duplicate("Computer", TEMPLATE, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
            Map<Integer, Settings> versions = new ConcurrentHashMap<>();
            versions.put(admin.templates().update(TEMPLATE, CLIENT_AND_SERVER::applyTo).minorRevision(), CLIENT_AND_SERVER);
            ca.issueTemplate(TEMPLATE);
            List<String> tokens = new ArrayList<>();
            for (int i = 1; i <= ACCOUNTS; i++) {
                String dn = admin.usersAndComputers().createComputer(account(i), account(i).toLowerCase() + ".contoso.com", TestLab.PASSWORD);
                tokens.add(DomainLogon.logon("127.0.0.1", lab.dc().ldapPort(), dn, TestLab.PASSWORD).encoded());
            }
            KeyPair[] keys = {Csrs.rsa(2048), Csrs.rsa(2048), Csrs.rsa(2048), Csrs.rsa(2048)};

            ConcurrentLinkedQueue<X509Certificate> received = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<String> unanswered = new ConcurrentLinkedQueue<>();
            CountDownLatch go = new CountDownLatch(1);
            CountDownLatch finished = new CountDownLatch(ENROLLERS);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < ENROLLERS; t++) {
                int enroller = t;
                threads.add(new Thread(() -> {
                    EstClient est = CaHttps.est(ca);
                    int computer = enroller / 2 % ACCOUNTS;
                    String account = account(1 + computer) + "$";
                    // of each computer's two enrollers, one logs on with its password each time (HTTP Basic),
                    // one presents the token it got from the DC at boot
                    String authorization = enroller % 2 == 0 ? EstClient.basic(account, TestLab.PASSWORD)
                            : "Bearer " + tokens.get(computer);
                    try {
                        go.await();
                        for (int n = 0; n < REQUESTS_EACH; n++) {
                            // a fresh request each time: the same one sent again is EST's "is it issued yet?"
                            byte[] csr = Csrs.request(keys[(enroller + n) % keys.length], "CN=busy-" + enroller + "-" + n);
                            try {
                                EstAnswer reply = est.simpleEnroll(TEMPLATE_CN, authorization, csr);
                                if (reply.status() == 200) {
                                    received.add(reply.certificate());
                                } else {
                                    unanswered.add(account + " request " + n + ": HTTP " + reply.status() + " " + reply.errorHeader() + " " + reply.text());
                                }
                            } catch (org.pkilab.enrollment.EnrollmentException e) {
                                unanswered.add(account + " request " + n + ": " + e);
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        finished.countDown();
                    }
                }, "enroller-" + t));
            }
            AtomicInteger edits = new AtomicInteger();
            ConcurrentLinkedQueue<String> editFailures = new ConcurrentLinkedQueue<>();
            Thread editor = new Thread(() -> {
                Settings next = CLIENT_ONLY;
                try {
                    while (finished.getCount() > 0) {
                        Settings writing = next;
                        // one Properties dialog, OK: every setting in one LDAP modify, the minor revision up by one
                        versions.put(admin.templates().update(TEMPLATE, writing::applyTo).minorRevision(), writing);
                        edits.incrementAndGet();
                        next = writing == CLIENT_ONLY ? CLIENT_AND_SERVER : CLIENT_ONLY;
                    }
                } catch (RuntimeException e) {
                    editFailures.add(e.toString());
                }
            }, "template-editor");

            long began = System.nanoTime();
            threads.forEach(Thread::start);
            editor.start();
            go.countDown();
            assertTrue(finished.await(4, TimeUnit.MINUTES), "enrollers still running after 4 minutes");
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
            editor.join(30_000);
            for (Thread thread : threads) {
                thread.join(30_000);
            }

            int requests = ENROLLERS * REQUESTS_EACH;
            assertTrue(editFailures.isEmpty(), "the template editor failed: " + editFailures);
            assertTrue(unanswered.isEmpty(), unanswered.size() + " of " + requests + " requests got no certificate; the first: "
                    + unanswered.peek());
            assertEquals(requests, received.size(), "certificates received");

            Map<BigInteger, X509Certificate> bySerial = new HashMap<>();
            List<String> repeated = new ArrayList<>();
            for (X509Certificate certificate : received) {
                if (bySerial.put(certificate.getSerialNumber(), certificate) != null) {
                    repeated.add(certificate.getSerialNumber().toString(16));
                }
            }
            assertTrue(repeated.isEmpty(), repeated.size() + " serials were issued twice: " + repeated.stream().limit(5).toList());

            List<RequestRecord> recorded = ca.issued().stream().filter(r -> r.template().equals(TEMPLATE_CN)).toList();
            assertEquals(requests, recorded.size(), "issued " + TEMPLATE_CN + " records in the CA database, one per answer");
            Set<String> requesters = new TreeSet<>();
            for (int i = 1; i <= ACCOUNTS; i++) {
                requesters.add("CONTOSO\\" + account(i) + "$");
            }
            List<RequestRecord> refused = ca.failed().stream().filter(r -> requesters.contains(r.requester())).toList();
            assertTrue(refused.isEmpty(), refused.size() + " requests recorded as refused; the first: "
                    + (refused.isEmpty() ? "" : refused.get(0).dispositionMessage()));
            List<String> lost = new ArrayList<>();
            for (RequestRecord r : recorded) {
                X509Certificate answered = bySerial.get(r.serial());
                if (answered == null || !Arrays.equals(answered.getEncoded(), r.certificate())) {
                    lost.add(r.serialHex() + (answered == null ? " recorded but never answered" : " recorded with other DER"));
                }
            }
            assertTrue(lost.isEmpty(), lost.size() + " records do not match an answer: " + lost.stream().limit(5).toList());

            Map<Integer, Integer> certificatesPerVersion = new java.util.TreeMap<>();
            List<String> mixed = new ArrayList<>();
            for (X509Certificate certificate : received) {
                int minor = minorRevision(certificate);
                certificatesPerVersion.merge(minor, 1, Integer::sum);
                String mismatch = mismatch(certificate, versions.get(minor));
                if (mismatch != null) {
                    mixed.add(certificate.getSerialNumber().toString(16) + " claims minor revision " + minor + " ("
                            + (versions.containsKey(minor) ? versions.get(minor).name() : "never written") + ") but " + mismatch);
                }
            }
            assertTrue(mixed.isEmpty(), mixed.size() + " certificates follow no whole version of " + TEMPLATE + ": "
                    + mixed.stream().limit(5).toList());
            assertTrue(edits.get() >= 10 && certificatesPerVersion.size() >= 3, "the edits hardly overlapped the enrollments ("
                    + edits.get() + " edits; certificates from " + certificatesPerVersion.size() + " versions): the test proved nothing");

            System.out.printf("ConcurrentEnrollmentTest: %d enrollers x %d requests in %d ms (%.0f certificates/s); %d answered, "
                            + "%d distinct serials, %d issued records; %d template edits meanwhile, certificates from %d versions%n",
                    ENROLLERS, REQUESTS_EACH, millis, requests * 1000.0 / millis, received.size(), bySerial.size(), recorded.size(),
                    edits.get(), certificatesPerVersion.size());
        }
    }

    private static String account(int i) {
        return String.format("BUSY%02d", i);
    }

    /** The minor revision in Certificate Template Information: which version of the template the CA says it used. */
    private static int minorRevision(X509Certificate certificate) {
        ASN1Sequence information = ASN1Sequence.getInstance(ASN1OctetString.getInstance(
                certificate.getExtensionValue(CertificateSigner.TEMPLATE_INFORMATION.getId())).getOctets());
        return ASN1Integer.getInstance(information.getObjectAt(2)).intValueExact();
    }

    /** What in {@code certificate} differs from {@code version}; null when it follows it whole. */
    private static String mismatch(X509Certificate certificate, Settings version) throws Exception {
        if (version == null) {
            return "no edit wrote that revision";
        }
        Duration lifetime = Duration.between(certificate.getNotBefore().toInstant(), certificate.getNotAfter().toInstant()).minus(CLOCK_SKEW);
        if (lifetime.minus(version.validity()).abs().compareTo(Duration.ofSeconds(1)) > 0) {
            return "is valid for " + lifetime.toDays() + " days";
        }
        if (!version.ekus().equals(certificate.getExtendedKeyUsage())) {
            return "has EKUs " + certificate.getExtendedKeyUsage();
        }
        List<String> policies = new ArrayList<>();
        for (var policy : ASN1Sequence.getInstance(ASN1OctetString.getInstance(
                certificate.getExtensionValue(CertificateSigner.APPLICATION_POLICIES.getId())).getOctets())) {
            policies.add(ASN1ObjectIdentifier.getInstance(ASN1Sequence.getInstance(policy).getObjectAt(0)).getId());
        }
        if (!version.ekus().equals(policies)) {
            return "has application policies " + policies;
        }
        return null;
    }
}
