package org.pkilab.host;

import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.ssl.SslHandshakeListener;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.eclipse.jetty.util.thread.Scheduler;
import org.pkilab.pki.KeyFiles;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.security.cert.CertificateException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * HTTP clients of a lab computer (Jetty's client): names resolve through the {@link LabNetwork}, TLS
 * (1.2, as the guide's Windows speaks it) checks the server's certificate against the host name in the
 * URL and the computer's own trust, and a client certificate from its store can be presented.
 *
 * <p>Every client of every computer in this JVM runs on one shared thread pool, scheduler and buffer
 * pool, as the processes of many machines would share the CPUs of one host: a client of its own costs
 * only its connections. A Jetty client that makes its own starts a dozen threads and stops them again,
 * which was a tenth of each computer's boot when a thousand computers autoenrolled.
 */
final class LabHttp {

    /** Made on first use; its threads are daemons that end when idle, so it never needs stopping. */
    private static final class Shared {
        static final QueuedThreadPool EXECUTOR = start(new QueuedThreadPool(1024, 2, 30_000));
        static final Scheduler SCHEDULER = start(new ScheduledExecutorScheduler("lab-http-scheduler", true));
        static final ByteBufferPool BUFFERS = new ArrayByteBufferPool();

        private static <T extends org.eclipse.jetty.util.component.LifeCycle> T start(T component) {
            try {
                if (component instanceof QueuedThreadPool pool) {
                    pool.setName("lab-http");
                    pool.setDaemon(true);
                }
                component.start();
                return component;
            } catch (Exception e) {
                throw new IllegalStateException("cannot start the lab's shared HTTP threads: " + e.getMessage(), e);
            }
        }
    }

    private LabHttp() {
    }

    static HttpClient plain(LabNetwork network) {
        return start(new HttpClient(), network);
    }

    /**
     * An HTTPS client that trusts what {@code trust} trusts, presents {@code clientKey} when given, and
     * records each TLS handshake's time (from the SSL engine's creation to the handshake's end) in
     * {@code timings} when given.
     */
    static HttpClient tls(LabNetwork network, X509TrustManager trust, KeyFiles.KeyEntry clientKey, HostTimings timings) {
        try {
            KeyManager[] keys = null;
            if (clientKey != null) {
                char[] pw = "lab".toCharArray();
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(KeyFiles.readPkcs12(KeyFiles.pkcs12(clientKey, pw), pw), pw);
                keys = kmf.getKeyManagers();
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys, new TrustManager[]{trust}, null);
            Map<SSLEngine, Long> handshakes = new ConcurrentHashMap<>();
            SslContextFactory.Client tls = new SslContextFactory.Client() {
                @Override
                public void customize(SSLEngine engine) {
                    super.customize(engine);
                    if (timings != null) {
                        handshakes.put(engine, System.nanoTime());
                    }
                }
            };
            tls.setSslContext(context);
            // check the certificate against the name in the URL, as Windows' SChannel does
            tls.setEndpointIdentificationAlgorithm("HTTPS");
            // the guide's Windows (Server 2008 R2, Windows 7 to 10) speaks TLS 1.2 at most: SChannel has TLS 1.3 from Windows
            // Server 2022 and Windows 11. A TLS 1.3 hello from JSSE also carries a P-256 key share no lab server uses
            tls.setIncludeProtocols("TLSv1.2");
            ClientConnector connector = new ClientConnector();
            connector.setSslContextFactory(tls);
            HttpClient client = new HttpClient(new HttpClientTransportOverHTTP(connector));
            if (timings != null) {
                client.addBean(new SslHandshakeListener() {
                    @Override
                    public void handshakeSucceeded(Event event) {
                        ended(event);
                    }

                    @Override
                    public void handshakeFailed(Event event, Throwable failure) {
                        ended(event);
                    }

                    private void ended(Event event) {
                        Long started = handshakes.remove(event.getSSLEngine());
                        if (started != null) {
                            timings.record(HostTimings.Phase.TLS_HANDSHAKE, System.nanoTime() - started, 0);
                        }
                    }
                });
            }
            return start(client, network);
        } catch (Exception e) {
            throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    private static HttpClient start(HttpClient client, LabNetwork network) {
        // already started, so the client uses them without managing (stopping) them
        client.setExecutor(Shared.EXECUTOR);
        client.setScheduler(Shared.SCHEDULER);
        client.setByteBufferPool(Shared.BUFFERS);
        client.setSocketAddressResolver(network);
        client.setFollowRedirects(false);
        client.setConnectTimeout(10_000);
        try {
            client.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start an HTTP client: " + e.getMessage(), e);
        }
        return client;
    }

    static void stop(HttpClient client) {
        try {
            client.stop();
        } catch (Exception e) {
            // a client that cannot stop holds nothing worth reporting
        }
    }

    /** The trust failure behind a failed request, or a name mismatch reported by TLS, or null. */
    static TrustFailure trustFailure(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof TrustFailure trust) {
                return trust;
            }
            if (t instanceof CertificateException && t.getMessage() != null && t.getMessage().contains("No subject alternative DNS name")) {
                return new TrustFailure(TrustFailure.Reason.NAME_MISMATCH, t.getMessage());
            }
            if (t instanceof SSLHandshakeException && t.getMessage() != null && t.getMessage().contains("No subject alternative DNS name")) {
                return new TrustFailure(TrustFailure.Reason.NAME_MISMATCH, t.getMessage());
            }
        }
        return null;
    }
}
