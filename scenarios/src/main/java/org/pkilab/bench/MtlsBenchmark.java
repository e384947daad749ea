package org.pkilab.bench;

import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.GroupPolicy;
import org.pkilab.host.CertificateRequest;
import org.pkilab.host.DomainComputer;
import org.pkilab.host.StoredCertificate;
import org.pkilab.iis.IisServer;
import org.pkilab.lab.Lab;
import org.pkilab.lab.LabSpec;
import org.pkilab.pki.KeyFiles;
import org.pkilab.pki.LabCrypto;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Mutual-TLS handshakes per second to the lab's management point (IIS01, an {@link IisServer} requiring
 * client certificates, as Configuration Manager's HTTPS MP does) beside a bare JSSE
 * {@link SSLServerSocket} with the same key, certificate chain, protocol and cipher suite, in the same
 * run. Each connection is a fresh full handshake (a new client SSL context, so nothing to resume) from a
 * client presenting PC01's autoenrolled "ConfigMgr Client Certificate", followed by one
 * {@code GET /SMS_MP/.sms_aut?MPLIST} answered by the server, so the server has finished checking the
 * client certificate before the connection counts. Both servers are measured in alternating rounds, so
 * drift in the machine's speed weighs on both alike. A third row in the same rounds is the bare server again with the
 * JDK's providers alone on both sides ({@link LabCrypto#withJdkProviders}, its own keys made by the JDK's key factory),
 * so the native provider's gain on a full handshake is measured in the same run; the management point is judged
 * against the bare server with the same provider.
 *
 * <p>The bare server trusts the enterprise root through the JDK's PKIX trust manager and does no
 * revocation checking; the management point checks the client's chain, purpose and CRL as Windows does.
 */
@Command(name = "mtls", mixinStandardHelpOptions = true,
        description = "Mutual-TLS handshakes per second to the management point beside a bare JSSE server with the same key and suite.")
public final class MtlsBenchmark implements Callable<Integer> {

    private static final int ROUNDS = 5;
    private static final String MP_NAME = "server1.internal.contoso.com";
    private static final String REQUEST = "GET /SMS_MP/.sms_aut?MPLIST HTTP/1.1\r\nHost: " + MP_NAME + "\r\nConnection: close\r\n\r\n";

    @Option(names = "--handshakes", defaultValue = "3000",
            description = "Handshakes per server, spread over " + ROUNDS + " alternating rounds (default: ${DEFAULT-VALUE}).")
    int handshakes;

    @Option(names = "--threads", defaultValue = "2", description = "Client threads making handshakes at once (default: ${DEFAULT-VALUE}).")
    int threads;

    @Override
    public Integer call() throws Exception {
        System.out.printf("pkilab benchmark mtls: full mutual-TLS handshakes per second, %d client threads; %d cores, Java %s%n",
                threads, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        System.out.println("load average at the start: " + ScaleBenchmark.loadAverage());
        System.out.println(LabCrypto.servedBy());
        try (Lab lab = Lab.start(LabSpec.builder().iis("IIS01", MP_NAME).client("PC01").build())) {
            IisServer mp = managementPoint(lab);
            StoredCertificate client = clientCertificate(lab);
            StoredCertificate server = mp.personal().byThumbprint(mp.boundThumbprint()).orElseThrow();
            Client connections = new Client(client, lab.ca().certificate());
            InetSocketAddress mpAddress = new InetSocketAddress(InetAddress.getLoopbackAddress(), mp.httpsPort());
            Negotiated negotiated = connections.once(mpAddress);
            if (!negotiated.answer().startsWith("HTTP/1.1 200")) {
                throw new IllegalStateException("the management point did not answer PC01 with 200: " + negotiated.answer()
                        + "; SChannel: " + mp.clientCertificateRejections());
            }
            boolean compare = LabCrypto.isNative();
            try (BareServer bare = new BareServer(server, lab.ca().certificate(), negotiated.protocol(), negotiated.cipherSuite());
                 BareServer jdk = compare ? LabCrypto.withJdkProviders(() -> new BareServer(server, lab.ca().certificate(),
                         negotiated.protocol(), negotiated.cipherSuite())) : null) {
                InetSocketAddress bareAddress = new InetSocketAddress(InetAddress.getLoopbackAddress(), bare.port());
                InetSocketAddress jdkAddress = compare ? new InetSocketAddress(InetAddress.getLoopbackAddress(), jdk.port()) : null;
                Client jdkConnections = compare ? LabCrypto.withJdkProviders(() -> new Client(client, lab.ca().certificate())) : null;
                Negotiated check = connections.once(bareAddress);
                if (!check.protocol().equals(negotiated.protocol()) || !check.cipherSuite().equals(negotiated.cipherSuite())) {
                    throw new IllegalStateException("the bare server negotiated " + check + ", the management point " + negotiated);
                }
                System.out.printf("both servers: %s, %s, server certificate %s (%s), client certificate %s (%s)%n",
                        negotiated.protocol(), negotiated.cipherSuite(), server.certificate().getSubjectX500Principal().getName().isEmpty()
                                ? MP_NAME : server.certificate().getSubjectX500Principal().getName(), keyOf(server),
                        client.dnsNames(), keyOf(client));
                System.out.print("warming up ... ");
                for (int i = 0; i < 2; i++) {
                    connections.run(mpAddress, handshakes / ROUNDS, threads, "iis-");
                    connections.run(bareAddress, handshakes / ROUNDS, threads, "bare-jsse");
                    if (compare) {
                        LabCrypto.withJdkProviders(() -> jdkConnections.run(jdkAddress, handshakes / ROUNDS, threads, "bare-jsse"));
                    }
                }
                System.out.println("done");
                Run mpRun = new Run(0, 0, 0);
                Run bareRun = new Run(0, 0, 0);
                Run jdkRun = new Run(0, 0, 0);
                List<String> perRound = new ArrayList<>();
                for (int round = 0; round < ROUNDS; round++) {
                    Run m = connections.run(mpAddress, handshakes / ROUNDS, threads, "iis-");
                    Run b = connections.run(bareAddress, handshakes / ROUNDS, threads, "bare-jsse");
                    if (compare) {
                        jdkRun = jdkRun.plus(LabCrypto.withJdkProviders(
                                () -> jdkConnections.run(jdkAddress, handshakes / ROUNDS, threads, "bare-jsse")));
                    }
                    mpRun = mpRun.plus(m);
                    bareRun = bareRun.plus(b);
                    perRound.add(String.format(Locale.ROOT, "%.0f%%", 100 * b.seconds() / m.seconds()));
                }
                int count = ROUNDS * (handshakes / ROUNDS);
                System.out.println();
                System.out.printf("%-34s %12s %18s %20s%n", "server", "handshakes/s", "process CPU µs/hsk", "server threads µs/hsk");
                System.out.printf("%-34s %12.0f %18.0f %20.0f%n", "bare JSSE SSLServerSocket", count / bareRun.seconds(),
                        bareRun.cpuNanos() / 1e3 / count, bareRun.serverCpuNanos() / 1e3 / count);
                if (compare) {
                    System.out.printf("%-34s %12.0f %18.0f %20.0f%n", "bare JSSE, the JDK's providers", count / jdkRun.seconds(),
                            jdkRun.cpuNanos() / 1e3 / count, jdkRun.serverCpuNanos() / 1e3 / count);
                }
                System.out.printf("%-34s %12.0f %18.0f %20.0f%n", "management point (IIS01, Jetty)", count / mpRun.seconds(),
                        mpRun.cpuNanos() / 1e3 / count, mpRun.serverCpuNanos() / 1e3 / count);
                System.out.printf("management point / bare server, same provider: %.0f%% (target >= 80%%); per round %s;"
                                + " load average at the end %s%n",
                        100 * bareRun.seconds() / mpRun.seconds(), String.join(" ", perRound), ScaleBenchmark.loadAverage());
                if (compare) {
                    System.out.printf("bare server, native provider / the JDK's providers: %.0f%%%n", 100 * jdkRun.seconds() / bareRun.seconds());
                }
                System.out.println("process CPU includes the client's side of each handshake; client certificates the management "
                        + "point refused: " + mp.clientCertificateRejections().size());
            }
        }
        return 0;
    }

    /** The guide's web server certificate on IIS01, bound to Default Web Site, and the management point on it. */
    private static IisServer managementPoint(Lab lab) {
        DirectoryAdmin admin = lab.admin();
        admin.usersAndComputers().createGroup("ConfigMgr IIS Servers");
        admin.usersAndComputers().addMember("ConfigMgr IIS Servers", "IIS01$");
        admin.templates().duplicate("Web Server", "ConfigMgr Web Server Certificate", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        admin.security().clearAllow("ConfigMgr Web Server Certificate", "Domain Admins", AccessRight.ENROLL);
        admin.security().clearAllow("ConfigMgr Web Server Certificate", "Enterprise Admins", AccessRight.ENROLL);
        admin.security().allow("ConfigMgr Web Server Certificate", "ConfigMgr IIS Servers", AccessRight.READ, AccessRight.ENROLL);
        lab.ca().issueTemplate("ConfigMgr Web Server Certificate");
        IisServer mp = lab.iis("IIS01");
        mp.restart();
        StoredCertificate web = mp.requestCertificate(CertificateRequest.forTemplate("ConfigMgr Web Server Certificate").dnsNames(MP_NAME));
        mp.bindHttps(web.thumbprint());
        mp.installManagementPoint();
        return mp;
    }

    /** The guide's client certificate, autoenrolled by PC01 at boot. */
    private static StoredCertificate clientCertificate(Lab lab) {
        DirectoryAdmin admin = lab.admin();
        admin.templates().duplicate("Workstation Authentication", "ConfigMgr Client Certificate", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        admin.security().allow("ConfigMgr Client Certificate", "Domain Computers", AccessRight.READ, AccessRight.AUTOENROLL);
        lab.ca().issueTemplate("ConfigMgr Client Certificate");
        String gpo = admin.groupPolicy().createGpo("Autoenroll Certificates");
        admin.groupPolicy().setAutoEnrollmentPolicy(gpo, GroupPolicy.GUIDE_SETTING);
        admin.groupPolicy().linkGpo(gpo, lab.dc().names().domain());
        DomainComputer pc01 = lab.restart("PC01");
        return pc01.clientAuthenticationCertificate(admin.templates().get("ConfigMgr Client Certificate").name()).orElseThrow(
                () -> new IllegalStateException("PC01 did not autoenroll its client certificate: " + pc01.eventLog()));
    }

    private static String keyOf(StoredCertificate certificate) {
        return certificate.certificate().getPublicKey().getAlgorithm() + (certificate.certificate().getPublicKey()
                instanceof java.security.interfaces.RSAPublicKey rsa ? "-" + rsa.getModulus().bitLength() : "");
    }

    private record Negotiated(String protocol, String cipherSuite, String answer) {
    }

    /** Wall time, the whole process's CPU, and the CPU of the server's own threads. */
    private record Run(double seconds, long cpuNanos, long serverCpuNanos) {
        Run plus(Run other) {
            return new Run(seconds + other.seconds, cpuNanos + other.cpuNanos, serverCpuNanos + other.serverCpuNanos);
        }
    }

    /** PC01 connecting: its client certificate, the enterprise root as its only trust, the MP's name checked. */
    private static final class Client {
        private final KeyManager[] keys;
        private final TrustManager[] trust;

        Client(StoredCertificate certificate, X509Certificate root) throws Exception {
            char[] password = "bench".toCharArray();
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(KeyFiles.keyStore(new KeyFiles.KeyEntry(ownKey(certificate.privateKey()),
                    certificate.chain().toArray(new X509Certificate[0])), password), password);
            keys = kmf.getKeyManagers();
            trust = KeyFiles.trustOnly(root);
        }

        /** One connection: a full handshake (a new SSL context has no session to resume), one request, the answer. */
        Negotiated once(InetSocketAddress server) throws Exception {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys, trust, null);
            try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
                socket.setTcpNoDelay(true); // Nagle's algorithm against delayed ACKs would hold each flight 40 ms
                socket.connect(server, 10_000);
                socket.setSoTimeout(15_000);
                SSLParameters parameters = socket.getSSLParameters();
                parameters.setServerNames(List.of(new SNIHostName(MP_NAME)));
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                socket.setSSLParameters(parameters);
                socket.startHandshake();
                OutputStream out = socket.getOutputStream();
                out.write(REQUEST.getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                return new Negotiated(socket.getSession().getProtocol(), socket.getSession().getCipherSuite(), answer);
            }
        }

        Run run(InetSocketAddress server, int count, int threads, String serverThreads) throws Exception {
            AtomicInteger left = new AtomicInteger(count);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            long serverCpu = threadsCpu(serverThreads);
            long cpu = processCpu();
            long start = System.nanoTime();
            try {
                List<Future<Void>> running = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    running.add(pool.submit(() -> {
                        while (left.getAndDecrement() > 0) {
                            Negotiated n = once(server);
                            if (!n.answer().startsWith("HTTP/1.1 200")) {
                                throw new IllegalStateException("refused: " + n.answer().lines().findFirst().orElse(""));
                            }
                        }
                        return null;
                    }));
                }
                for (Future<Void> f : running) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            return new Run((System.nanoTime() - start) / 1e9, processCpu() - cpu, threadsCpu(serverThreads) - serverCpu);
        }
    }

    /**
     * The bare server: an {@link SSLServerSocket} with the management point's key and chain, requiring a
     * client certificate that chains to the enterprise root (the JDK's PKIX checks, no revocation), one
     * thread per connection, answering every request with a fixed 200.
     */
    private static final class BareServer implements AutoCloseable {
        private static final byte[] ANSWER = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n"
                + "Connection: close\r\n\r\nbare JSSE ok\n").getBytes(StandardCharsets.US_ASCII);
        private final SSLServerSocket socket;
        private final ExecutorService connections = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "bare-jsse");
            t.setDaemon(true);
            return t;
        });

        BareServer(StoredCertificate server, X509Certificate root, String protocol, String cipherSuite) throws Exception {
            char[] password = "bench".toCharArray();
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(KeyFiles.keyStore(new KeyFiles.KeyEntry(ownKey(server.privateKey()),
                    server.chain().toArray(new X509Certificate[0])), password), password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), KeyFiles.trustOnly(root), null);
            socket = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0, 128, InetAddress.getLoopbackAddress());
            socket.setEnabledProtocols(new String[]{protocol});
            socket.setEnabledCipherSuites(new String[]{cipherSuite});
            socket.setNeedClientAuth(true);
            connections.submit(this::accept);
        }

        int port() {
            return socket.getLocalPort();
        }

        private void accept() {
            while (!socket.isClosed()) {
                try {
                    Socket connection = socket.accept();
                    connections.submit(() -> answer(connection));
                } catch (IOException e) {
                    return; // closed
                }
            }
        }

        private static void answer(Socket connection) {
            try (connection) {
                connection.setTcpNoDelay(true); // as Jetty sets it
                connection.setSoTimeout(15_000);
                InputStream in = connection.getInputStream();
                // read the request head: the handshake, client certificate check included, happens on the first read
                int matched = 0;
                for (int b; matched < 4 && (b = in.read()) >= 0; ) {
                    matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
                }
                connection.getOutputStream().write(ANSWER);
            } catch (IOException e) {
                // a client that went away: nothing to answer
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
            connections.shutdownNow();
        }
    }

    /**
     * CPU of the live threads whose names start with {@code prefix}; a server thread that ended meanwhile is
     * missed, so the figure is a floor (both servers keep their threads for the whole run).
     */
    private static long threadsCpu(String prefix) {
        java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long total = 0;
        for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().startsWith(prefix)) {
                total += Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
            }
        }
        return total;
    }

    /** The key as the first provider serving its algorithm now reads it, so a JDK-provider run signs with the JDK's own key objects. */
    private static java.security.PrivateKey ownKey(java.security.PrivateKey key) throws Exception {
        return java.security.KeyFactory.getInstance(key.getAlgorithm())
                .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(key.getEncoded()));
    }

    private static long processCpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }
}
