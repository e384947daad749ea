package org.pkilab.bench;

import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.pkilab.pki.LabCrypto;
import org.pkilab.admin.CaAdminClient;
import org.pkilab.ca.CaAdministration;
import org.pkilab.ca.CertificationAuthority;
import org.pkilab.ca.CertificationAuthorityConfig;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.DomainControllerConfig;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.DefaultTemplates;
import org.pkilab.enrollment.AcmeClient;
import org.pkilab.enrollment.CmpClient;
import org.pkilab.enrollment.ScepClient;
import org.pkilab.enrollment.EstAnswer;
import org.pkilab.enrollment.EstClient;
import org.pkilab.enrollment.JdkEstTransport;
import org.pkilab.pki.KeyFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import javax.net.ssl.SSLContext;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Issuance per second over each protocol the CA speaks (EST, SCEP through NDES, ACME, CMP), on the wire from the lab's
 * own client in the same process, beside EST's in the same run: the request made from a ready key, sent, judged by the
 * one enrollment pipeline, signed, recorded and answered, with each protocol's own work around it (SCEP's CMS
 * envelopes, ACME's account, order and http-01 validation, CMP's protection and certConf). The protocols alternate in rounds, so drift in the machine's speed during the run weighs
 * on each alike; the Online Responder's line is answers per second for a certificate the CA issued.
 */
@Command(name = "protocols", mixinStandardHelpOptions = true,
        description = "Certificates issued per second over EST, SCEP (NDES), ACME and CMP, each beside EST's, and the Online Responder's "
                + "answers per second, in the same run.")
public final class ProtocolBenchmark implements Callable<Integer> {

    private static final int ROUNDS = 5;
    private static final String PASSWORD = "Bench-Passw0rd!";
    /** Whom ACME's external account binding and CMP's shared secret stand for: the CA binds no credential to an administrator. */
    private static final String SERVICE_ACCOUNT = "svc-bench";

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--requests", defaultValue = "500",
            description = "Certificates per protocol, in " + ROUNDS + " rounds that alternate the protocols (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--threads", defaultValue = "2", description = "Clients sending at once, each on its own connection (default: ${DEFAULT-VALUE}).")
    int threads;

    /** One protocol as a client speaks it: what it does once (issue a certificate, or get an OCSP answer). */
    interface Client {
        /** Issues (or answers) once for {@code key}; throws with the CA's refusal when it is not done. */
        void once(KeyPair key, int n) throws Exception;
    }

    /** A protocol's clients: one per thread, each with its own connection, made before the clock starts; closed after the run. */
    interface Protocol extends AutoCloseable {
        String name();

        /** What one operation is: "certificates" or "OCSP answers". */
        default String unit() {
            return "certificates";
        }

        Client client() throws Exception;

        @Override
        default void close() {
        }
    }

    /** What the protocols' clients may use: the running DC and CA, the Administrator's password. */
    record Lab(DomainController dc, CertificationAuthority ca, String password) {
    }

    @Override
    public Integer call() throws Exception {
        if (threads < 1 || requests < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--threads and --requests take 1 or more, not "
                    + (threads < 1 ? "--threads " + threads : "--requests " + requests));
        }
        try (DomainController dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
             CertificationAuthority ca = CertificationAuthority.start(CertificationAuthorityConfig.builder(dc.names())
                     .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD).build())) {
            Lab lab = new Lab(dc, ca, PASSWORD);
            int perRound = Math.max(threads, requests / ROUNDS);
            List<Protocol> protocols = protocols(lab, Math.max(threads, requests / 5) + perRound * ROUNDS);
            try {
                System.out.printf("Issuance per protocol over the wire (%d cores, Java %s); template WebServer (SCEP: IPSec (Offline request)), "
                        + "requester CONTOSO\\Administrator (ACME and CMP: CONTOSO\\svc-bench; SCEP: NDES's CA01$), %d clients at once%n",
                        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), threads);
                System.out.println(LabCrypto.servedBy());
                System.out.print("making 16 RSA-2048 keys ... ");
                List<KeyPair> keys = keys(16);
                System.out.println("done");
                Map<Protocol, List<Client>> clients = new LinkedHashMap<>();
                for (Protocol p : protocols) {
                    List<Client> own = new ArrayList<>();
                    for (int t = 0; t < threads; t++) {
                        own.add(p.client());
                    }
                    clients.put(p, own);
                }
                System.out.print("warming up ... ");
                for (Protocol p : protocols) {
                    run(clients.get(p), keys, Math.max(threads, requests / 5));
                }
                System.out.println("done");
                Map<Protocol, Double> seconds = new LinkedHashMap<>();
                for (int round = 0; round < ROUNDS; round++) {
                    for (Protocol p : protocols) {
                        seconds.merge(p, run(clients.get(p), keys, perRound), Double::sum);
                    }
                }
                int count = perRound * ROUNDS;
                double est = count / seconds.get(protocols.get(0));
                System.out.println();
                System.out.printf("%-28s %10s %12s   %s%n", "protocol", "per second", "beside EST", "what");
                for (Protocol p : protocols) {
                    double rate = count / seconds.get(p);
                    System.out.printf("%-28s %10.0f %11.0f%%   %s%n", p.name(), rate, 100 * rate / est, p.unit());
                }
                System.out.println();
                System.out.println("records in the CA database: " + ca.requestCount());
            } finally {
                protocols.forEach(Protocol::close);
            }
        }
        return 0;
    }

    /**
     * EST first: every other line is a ratio against it. EST asks as the Administrator, ACME and CMP as svc-bench (the CA binds
     * no credential to an administrator), SCEP as NDES's service account, the CA host's.
     */
    static List<Protocol> protocols(Lab lab, int operations) throws Exception {
        serviceAccount(lab);
        return List.of(est(lab), scep(lab, operations), acme(lab), cmp(lab), ocsp(lab));
    }

    /** @param operations how many requests it will send: each needs a key of its own, made now */
    private static Protocol scep(Lab lab, int operations) throws Exception {
        CertificationAuthority ca = lab.ca();
        // NDES submits as the CA host's account, which needs Enroll on its template, as on Windows
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", lab.dc().ldapPort(), lab.dc().names(), lab.dc().administratorDn(),
                lab.password())) {
            admin.security().allow(DefaultTemplates.IPSEC_INTERMEDIATE_OFFLINE, ca.config().hostName() + "$", AccessRight.ENROLL);
        }
        ca.issueTemplate(DefaultTemplates.IPSEC_INTERMEDIATE_OFFLINE);
        // SCEP's transactionID is the key's hash: a request with a key used before is that transaction again, not a new one
        System.out.print("making " + operations + " more RSA-2048 keys for SCEP ... ");
        java.util.Queue<KeyPair> fresh = new java.util.concurrent.ConcurrentLinkedQueue<>(keys(operations));
        System.out.println("done");
        return new Protocol() {
            public String name() {
                return "SCEP PKIOperation (NDES)";
            }

            public String unit() {
                return "certificates (a one-time password each, IPSec (Offline request))";
            }

            public Client client() {
                ScepClient scep = new ScepClient(URI.create("http://127.0.0.1:" + ca.httpPort() + "/certsrv/mscep/mscep.dll"));
                return (ignored, n) -> {
                    KeyPair key = fresh.poll();
                    scep.enroll(key, ScepClient.request(key, "CN=bench" + n + ".contoso.com", ca.ndesChallengePassword()));
                };
            }
        };
    }

    private static Protocol acme(Lab lab) throws Exception {
        CertificationAuthority ca = lab.ca();
        DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", lab.dc().ldapPort(), lab.dc().names(), lab.dc().administratorDn(), lab.password());
        CaAdminClient console = CaAdminClient.connect(admin, ca.name(), "127.0.0.1", lab.dc().administratorDn(), lab.password());
        // every client answers http-01 on the one CA\AcmeHttpPort: one order at a time, the others wait for the port
        Object port80 = new Object();
        return new Protocol() {
            public String name() {
                return "ACME order (http-01)";
            }

            public String unit() {
                return "certificates (new-order, http-01, finalize; one order at a time)";
            }

            // one ACME client for all: it answers http-01 on the port from when it is made until it is closed
            final AtomicInteger orders = new AtomicInteger();
            final AcmeClient[] account = new AcmeClient[1];

            @Override
            public void close() {
                synchronized (port80) {
                    if (account[0] != null) {
                        account[0].close();
                    }
                }
                admin.close();
            }

            public Client client() {
                return (key, n) -> {
                    synchronized (port80) {
                        // a new account every 200 orders: an account holds at most 300 open orders
                        if (orders.getAndIncrement() % 200 == 0) {
                            if (account[0] != null) {
                                account[0].close();
                            }
                            var binding = console.acmeExternalAccountKey(SERVICE_ACCOUNT);
                            account[0] = AcmeClient.builder("https://127.0.0.1:" + ca.httpsPort() + "/acme/WebServer/directory")
                                    .trust(ca.certificate(), ca.config().fqdn()).accountKey(keys(1).get(0))
                                    .externalAccountBinding(binding.path("keyId").asText(), binding.path("hmacKey").asText())
                                    .http01Port(0).build();
                            // the client listens first, on a port of its own; then the CA is pointed at it
                            ca.changeRegistry("CA\\AcmeHttpPort", Integer.toString(account[0].http01Port()), "CONTOSO\\Administrator");
                        }
                        account[0].enroll(key, "bench" + n + ".contoso.com");
                    }
                };
            }
        };
    }

    private static Protocol cmp(Lab lab) {
        CertificationAuthority ca = lab.ca();
        // one secret for all clients: a new one for the same account replaces the one before
        CaAdministration.CmpSecret secret = ca.issueCmpSecret(SERVICE_ACCOUNT, "CONTOSO\\Administrator");
        return new Protocol() {
            public String name() {
                return "CMP ir (shared secret)";
            }

            public String unit() {
                return "certificates (ir, certConf)";
            }

            public Client client() {
                CmpClient cmp = CmpClient.withSecret("http://127.0.0.1:" + ca.httpPort() + "/.well-known/cmp", ca.certificate(),
                        secret.reference(), secret.secret());
                return (key, n) -> cmp.enroll("WebServer", key, "CN=bench" + n + ".contoso.com", "bench" + n + ".contoso.com");
            }
        };
    }

    private static Protocol est(Lab lab) {
        return new Protocol() {
            public String name() {
                return "EST simpleenroll (HTTPS)";
            }

            public Client client() throws Exception {
                CertificationAuthority ca = lab.ca();
                String bearer = EstClient.bearer(DomainLogon.logon("127.0.0.1", lab.dc().ldapPort(), lab.dc().administratorDn(), lab.password())
                        .encoded());
                SSLContext tls = SSLContext.getInstance("TLS");
                tls.init(null, KeyFiles.trustOnly(ca.certificate()), null);
                EstClient est = new EstClient("https://127.0.0.1:" + ca.httpsPort() + "/.well-known/est", new JdkEstTransport(tls, ca.config().fqdn()));
                return (key, n) -> {
                    EstAnswer answer = est.simpleEnroll("WebServer", bearer, csr(key, n));
                    if (answer.status() != 200) {
                        throw new IllegalStateException("EST: HTTP " + answer.status() + " " + answer.text());
                    }
                };
            }
        };
    }

    private static Protocol ocsp(Lab lab) {
        return new Protocol() {
            public String name() {
                return "OCSP (HTTP POST)";
            }

            public String unit() {
                return "OCSP answers (good, signed, nonce)";
            }

            public Client client() throws Exception {
                CertificationAuthority ca = lab.ca();
                X509Certificate subject = ca.ocspSigningCertificate();
                CertificateID id = new CertificateID(new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
                        new X509CertificateHolder(ca.certificate().getEncoded()), subject.getSerialNumber());
                URI url = URI.create("http://127.0.0.1:" + ca.httpPort() + "/ocsp");
                SecureRandom random = new SecureRandom();
                return (key, n) -> {
                    byte[] nonce = new byte[16];
                    random.nextBytes(nonce);
                    byte[] request = new OCSPReqBuilder().addRequest(id).setRequestExtensions(new Extensions(new Extension(
                            OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false, new DEROctetString(nonce).getEncoded()))).build().getEncoded();
                    HttpURLConnection c = (HttpURLConnection) url.toURL().openConnection();
                    c.setDoOutput(true);
                    c.setRequestProperty("Content-Type", "application/ocsp-request");
                    try (OutputStream out = c.getOutputStream()) {
                        out.write(request);
                    }
                    try (InputStream in = c.getInputStream()) {
                        OCSPResp resp = new OCSPResp(in.readAllBytes());
                        if (resp.getStatus() != 0 || ((BasicOCSPResp) resp.getResponseObject()).getResponses()[0].getCertStatus() != null) {
                            throw new IllegalStateException("OCSP: status " + resp.getStatus() + " for the responder's own certificate");
                        }
                    }
                };
            }
        };
    }

    /** {@value #SERVICE_ACCOUNT}, with Enroll on Web Server. */
    private static void serviceAccount(Lab lab) {
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", lab.dc().ldapPort(), lab.dc().names(), lab.dc().administratorDn(),
                lab.password())) {
            admin.usersAndComputers().createUser(SERVICE_ACCOUNT, lab.password());
            admin.security().allow("Web Server", SERVICE_ACCOUNT, AccessRight.READ, AccessRight.ENROLL);
        }
    }

    /** A PKCS #10 request for {@code key}, {@code CN=bench<n>.contoso.com}. */
    static byte[] csr(KeyPair key, int n) throws Exception {
        return new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=bench" + n + ".contoso.com"), key.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(key.getPrivate())).getEncoded();
    }

    /** The certificate in a DER body. */
    static X509Certificate certificate(byte[] der) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }

    private static List<KeyPair> keys(int count) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        List<KeyPair> keys = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            keys.add(generator.generateKeyPair());
        }
        return keys;
    }

    private static final AtomicInteger NAMES = new AtomicInteger();

    /** Seconds for {@code total} operations shared among the clients, each on a thread of its own. */
    private static double run(List<Client> clients, List<KeyPair> keys, int total) throws Exception {
        AtomicInteger left = new AtomicInteger(total);
        ExecutorService pool = Executors.newFixedThreadPool(clients.size());
        try {
            long start = System.nanoTime();
            List<Future<Void>> futures = new ArrayList<>();
            for (Client client : clients) {
                futures.add(pool.submit(() -> {
                    while (left.getAndDecrement() > 0) {
                        int n = NAMES.incrementAndGet();
                        client.once(keys.get(n % keys.size()), n);
                    }
                    return null;
                }));
            }
            for (Future<Void> f : futures) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    // the client's own refusal (the CA's code and reason), not the executor's wrapper
                    throw e.getCause() instanceof Exception cause ? cause : e;
                }
            }
            return (System.nanoTime() - start) / 1e9;
        } finally {
            pool.shutdownNow();
        }
    }
}
