package org.pkilab.host;

import org.pkilab.windows.WindowsError;
import org.eclipse.jetty.client.Destination;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.ssl.SslClientConnectionFactory;
import org.eclipse.jetty.io.ssl.SslHandshakeListener;
import org.eclipse.jetty.util.component.LifeCycle;
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
import java.security.cert.X509Certificate;
import java.util.Map;

/**
 * HTTP clients of a lab computer (Jetty's client): names resolve through the {@link LabNetwork}, TLS
 * (1.2, as the guide's Windows speaks it) checks the server's certificate against the host name in the
 * URL and the computer's own trust, and a client certificate from its store can be presented.
 *
 * <p>Every computer in this JVM sends its requests through one Jetty client, as the processes of many
 * machines would share the CPUs of one host. A computer's {@link Client} tags its requests, so Jetty keeps
 * its connections apart from every other computer's (a destination per tag), and each of its connections
 * gets a TLS engine from the computer's own {@link SSLContext}: its trust, its client certificate, its TLS
 * session cache. A Jetty client per computer cost about 3.6% of the lab's CPU when 10,000 computers
 * booted: starting one looks up its content decoders through a class-path scan, checks its cipher-suite
 * patterns and opens a selector, and stopping it closes them again.
 */
final class LabHttp {

    /** Made on first use; its threads are daemons that end when idle, so it never needs stopping. */
    private static final class Shared {
        static final QueuedThreadPool EXECUTOR = start(new QueuedThreadPool(1024, 2, 30_000));
        static final Scheduler SCHEDULER = start(new ScheduledExecutorScheduler("lab-http-scheduler", true));
        /** TLS handshakes under way whose time a computer records, by engine; one that never ends is forgotten with its engine. */
        static final Map<SSLEngine, Handshake> HANDSHAKES = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());
        static final HttpClient CLIENT = start(newClient());

        private static <T extends org.eclipse.jetty.util.component.LifeCycle> T start(T component) {
            try {
                if (component instanceof QueuedThreadPool pool) {
                    pool.setName("lab-http");
                    pool.setDaemon(true);
                }
                component.start();
                return component;
            } catch (Exception e) {
                throw new IllegalStateException("cannot start the lab's shared HTTP client: " + e.getMessage(), e);
            }
        }
    }

    private record Handshake(HostTimings timings, long startedNanos) {
    }

    /**
     * One computer's HTTP client: plain HTTP, and HTTPS with its {@code tls} context when it has one. Its
     * requests carry it as their tag; {@link #stop()} closes its connections.
     */
    static final class Client {
        private final LabNetwork network;
        private final SSLContext tls;
        private final HostTimings timings;

        private Client(LabNetwork network, SSLContext tls, HostTimings timings) {
            this.network = network;
            this.tls = tls;
            this.timings = timings;
        }

        Request newRequest(String url) {
            return Shared.CLIENT.newRequest(url).tag(this);
        }

        /** Closes this computer's connections; its requests after this open new ones. */
        void stop() {
            for (Destination destination : Shared.CLIENT.getDestinations()) {
                if (destination.getOrigin().getTag() == this) {
                    Shared.CLIENT.removeDestination(destination);
                    try {
                        ((LifeCycle) destination).stop();
                    } catch (Exception e) {
                        // a destination that cannot stop holds nothing worth reporting
                    }
                }
            }
        }
    }

    private LabHttp() {
    }

    static Client plain(LabNetwork network) {
        return new Client(network, null, null);
    }

    /**
     * An HTTPS client that trusts what {@code trust} trusts, presents {@code clientKey} when given, and
     * records each TLS handshake's time (from the SSL engine's creation to the handshake's end) in
     * {@code timings} when given.
     */
    static Client tls(LabNetwork network, X509TrustManager trust, KeyFiles.KeyEntry clientKey, HostTimings timings) {
        try {
            KeyManager[] keys = null;
            if (clientKey != null) {
                char[] pw = "lab".toCharArray();
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(KeyFiles.keyStore(clientKey, pw), pw);
                keys = kmf.getKeyManagers();
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys, new TrustManager[]{trust}, null);
            return new Client(network, context, timings);
        } catch (Exception e) {
            throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    private static HttpClient newClient() {
        ClientConnector connector = new ClientConnector();
        connector.setSslContextFactory(new ComputersTls());
        HttpClient client = new HttpClient(new HttpClientTransportOverHTTP(connector));
        client.setExecutor(Shared.EXECUTOR);
        client.setScheduler(Shared.SCHEDULER);
        client.setByteBufferPool(new ArrayByteBufferPool());
        // names resolve in the lab network of the computer that made the request
        client.setSocketAddressResolver((host, port, context, promise) -> {
            Client owner = ownerOf(context);
            if (owner == null) {
                promise.failed(new java.net.UnknownHostException(host + ": a request not made by a lab computer"));
            } else {
                owner.network.resolve(host, port, context, promise);
            }
        });
        // one client for every computer: nothing one computer was told may reach another
        client.setHttpCookieStore(new HttpCookieStore.Empty());
        client.setFollowRedirects(false);
        client.setConnectTimeout(10_000);
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
                Handshake handshake = Shared.HANDSHAKES.remove(event.getSSLEngine());
                if (handshake != null) {
                    handshake.timings().record(HostTimings.Phase.TLS_HANDSHAKE, System.nanoTime() - handshake.startedNanos(), 0);
                }
            }
        });
        return client;
    }

    /** The computer whose request a new connection is for: the tag of the destination Jetty connects for. */
    private static Client ownerOf(Map<String, Object> context) {
        return context != null && context.get(Destination.CONTEXT_KEY) instanceof Destination destination
                && destination.getOrigin().getTag() instanceof Client owner ? owner : null;
    }

    /**
     * The TLS side of the shared client: each connection's engine comes from the context of the computer that
     * tagged the request, with the settings here.
     */
    private static final class ComputersTls extends SslContextFactory.Client implements SslClientConnectionFactory.SslEngineFactory {
        ComputersTls() {
            // check the certificate against the name in the URL, as Windows' SChannel does
            setEndpointIdentificationAlgorithm("HTTPS");
            // the guide's Windows (Server 2008 R2, Windows 7 to 10) speaks TLS 1.2 at most: SChannel has TLS 1.3 from Windows
            // Server 2022 and Windows 11. A TLS 1.3 hello from JSSE also carries a P-256 key share no lab server uses
            setIncludeProtocols("TLSv1.2");
            try {
                // what Jetty checks its settings against; a connection no computer made would trust nothing
                SSLContext none = SSLContext.getInstance("TLS");
                none.init(null, new TrustManager[]{new TrustNothing()}, null);
                setSslContext(none);
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException("no TLS in this JVM: " + e.getMessage(), e);
            }
        }

        @Override
        public SSLEngine newSslEngine(String host, int port, Map<String, Object> context) {
            LabHttp.Client owner = ownerOf(context);
            if (owner == null || owner.tls == null) {
                throw new IllegalStateException("https://" + host + ":" + port + " asked for by a client that has no TLS set up");
            }
            SSLEngine engine = owner.tls.createSSLEngine(host, port);
            customize(engine);
            if (owner.timings != null) {
                Shared.HANDSHAKES.put(engine, new Handshake(owner.timings, System.nanoTime()));
            }
            return engine;
        }
    }

    private static final class TrustNothing implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("no lab computer made this connection");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("no lab computer made this connection");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    /** The innermost cause of a failed request, as {@code SocketException: Connection refused}. */
    static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    /** The trust failure behind a failed request, or a name mismatch reported by TLS, or null. */
    static TrustFailure trustFailure(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof TrustFailure trust) {
                return trust;
            }
            if (t instanceof CertificateException && t.getMessage() != null && t.getMessage().contains("No subject alternative DNS name")) {
                return new TrustFailure(WindowsError.CERT_E_CN_NO_MATCH, t.getMessage());
            }
            if (t instanceof SSLHandshakeException && t.getMessage() != null && t.getMessage().contains("No subject alternative DNS name")) {
                return new TrustFailure(WindowsError.CERT_E_CN_NO_MATCH, t.getMessage());
            }
        }
        return null;
    }
}
