package org.pkilab.web;

import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.DetectorConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.pkilab.pki.KeyFiles;

import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Makes every HTTPS port the lab opens, as the "https" binding of an IIS site is one thing whatever the site
 * serves: a server certificate with its key, the TLS versions Windows Server 2022 enables (1.3 and 1.2), and
 * the site's "SSL Settings" for client certificates: {@link ClientAuth#NONE} (Ignore), {@link ClientAuth#WANT}
 * (Accept) or {@link ClientAuth#NEED} (Require).
 *
 * <pre>{@code
 * ServerConnector https = TlsConnectors.builder(server)
 *         .identity(webCertificate)                       // KeyFiles.KeyEntry: key + chain
 *         .trustAnchors(List.of(caCertificate))           // named to clients as the acceptable issuers
 *         .clientAuth(TlsConnectors.ClientAuth.WANT)
 *         .http2(true)                                    // ALPN h2, http/1.1 when the client offers nothing
 *         .port(0)
 *         .build();
 * server.addConnector(https);
 * }</pre>
 *
 * <p>Lab hosts reach a server by its DNS names mapped to 127.0.0.1, or by 127.0.0.1 itself, so the server does
 * not compare the TLS server name (SNI) with its certificate: checking the name is the client's job.
 */
public final class TlsConnectors {

    /** Whether the server asks for a client certificate, and whether it goes on without one. */
    public enum ClientAuth {
        /** No client certificate is asked for (IIS "Ignore"). */
        NONE,
        /** One is asked for; a client without one is served all the same (IIS "Accept"). */
        WANT,
        /** No certificate, no connection (IIS "Require"). */
        NEED
    }

    /** The TLS versions every lab server speaks. */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    private TlsConnectors() {
    }

    /** A connector of {@code server}; {@link Builder#build()} makes it, the caller adds it to the server. */
    public static Builder builder(Server server) {
        return new Builder(server);
    }

    public static final class Builder {
        private final Server server;
        private KeyFiles.KeyEntry identity;
        private List<X509Certificate> trustAnchors = List.of();
        private X509TrustManager clientTrust;
        private ClientAuth clientAuth = ClientAuth.NONE;
        private boolean http2;
        private boolean plainHttpDetected;
        private Executor executor;
        private int acceptors = -1;
        private int selectors = -1;
        private int requestHeaderSize = -1;
        private Duration idleTimeout;
        private String host = "127.0.0.1";
        private int port;

        private Builder(Server server) {
            this.server = Objects.requireNonNull(server, "server");
        }

        /** The server certificate with its key and chain. Required. */
        public Builder identity(KeyFiles.KeyEntry identity) {
            this.identity = Objects.requireNonNull(identity, "identity");
            return this;
        }

        /**
         * The certificates client certificates must chain to. If unset: none, and a client certificate can
         * only be judged by {@link #clientTrust}.
         */
        public Builder trustAnchors(List<X509Certificate> anchors) {
            this.trustAnchors = List.copyOf(anchors);
            return this;
        }

        /**
         * Who judges a client certificate instead of the PKIX check against {@link #trustAnchors}: a host's
         * own trust store, or a server that decides after the handshake and wants to explain its refusal. If
         * unset: PKIX against the trust anchors.
         */
        public Builder clientTrust(X509TrustManager trust) {
            this.clientTrust = Objects.requireNonNull(trust, "trust");
            return this;
        }

        /** If unset: {@link ClientAuth#NONE}. */
        public Builder clientAuth(ClientAuth clientAuth) {
            this.clientAuth = Objects.requireNonNull(clientAuth, "clientAuth");
            return this;
        }

        /** Offers HTTP/2 in ALPN beside HTTP/1.1, which stays the default for clients that offer nothing. If unset: HTTP/1.1 only. */
        public Builder http2(boolean offered) {
            this.http2 = offered;
            return this;
        }

        /**
         * Serves a connection that does not open with a TLS hello as plain HTTP, so the server can tell the
         * client it came to an HTTPS port ({@code request.getConnectionMetaData().isSecure()} is false then).
         * If unset: such a connection fails its handshake and is closed unanswered.
         */
        public Builder detectPlainHttp(boolean detected) {
            this.plainHttpDetected = detected;
            return this;
        }

        /** The threads of this port alone. If unset: the server's. */
        public Builder executor(Executor executor) {
            this.executor = executor;
            return this;
        }

        /** If unset: Jetty's choice for the machine (-1). */
        public Builder acceptors(int acceptors) {
            this.acceptors = acceptors;
            return this;
        }

        /** If unset: Jetty's choice for the machine (-1). */
        public Builder selectors(int selectors) {
            this.selectors = selectors;
            return this;
        }

        /** The limit for the request line and headers together, in bytes. If unset: Jetty's (8 KB). */
        public Builder requestHeaderSize(int bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("request header size < 1 byte: " + bytes);
            }
            this.requestHeaderSize = bytes;
            return this;
        }

        /** How long an idle connection is kept. If unset: Jetty's (30 seconds). */
        public Builder idleTimeout(Duration timeout) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("idle timeout < 0: " + timeout);
            }
            this.idleTimeout = timeout;
            return this;
        }

        /** If unset: 127.0.0.1, the address every lab name resolves to. */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** If unset: 0, any free port ({@code getLocalPort()} once the server started). */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port outside 0-65535: " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * The connector, not yet added to the server.
         *
         * @throws IllegalStateException without an identity, or when client certificates are asked for and
         *                               nothing can judge them
         */
        public ServerConnector build() throws GeneralSecurityException, java.io.IOException {
            if (identity == null) {
                throw new IllegalStateException("an HTTPS port needs a server certificate and its key: set identity(...)");
            }
            if (clientAuth != ClientAuth.NONE && clientTrust == null && trustAnchors.isEmpty()) {
                throw new IllegalStateException("client certificates are asked for (" + clientAuth + ") but nothing judges them: "
                        + "set trustAnchors(...) or clientTrust(...)");
            }
            HttpConfiguration secure = new HttpConfiguration();
            if (requestHeaderSize > 0) {
                secure.setRequestHeaderSize(requestHeaderSize);
            }
            secure.setSendServerVersion(false);
            SecureRequestCustomizer customizer = new SecureRequestCustomizer();
            customizer.setSniHostCheck(false);
            secure.addCustomizer(customizer);
            HttpConnectionFactory http11 = new HttpConnectionFactory(secure);

            SslContextFactory.Server tls = sslContextFactory();
            ConnectionFactory[] factories;
            if (http2) {
                // ALPN's ids, not Jetty's "HTTP/1.1"
                ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory("h2", "http/1.1");
                alpn.setDefaultProtocol("http/1.1");
                factories = new ConnectionFactory[]{tlsFactory(tls, alpn.getProtocol()), http11, alpn,
                        new HTTP2ServerConnectionFactory(secure)};
            } else {
                factories = new ConnectionFactory[]{tlsFactory(tls, "http/1.1"), http11};
            }
            ServerConnector connector = new ServerConnector(server, executor, null, null, acceptors, selectors, factories);
            connector.setHost(host);
            connector.setPort(port);
            if (idleTimeout != null) {
                connector.setIdleTimeout(idleTimeout.toMillis());
            }
            return connector;
        }

        private ConnectionFactory tlsFactory(SslContextFactory.Server tls, String next) {
            SslConnectionFactory ssl = new SslConnectionFactory(tls, next);
            return plainHttpDetected ? new DetectorConnectionFactory(ssl) : ssl;
        }

        private SslContextFactory.Server sslContextFactory() throws GeneralSecurityException, java.io.IOException {
            X509TrustManager judge = clientTrust;
            SslContextFactory.Server tls = judge == null ? new SslContextFactory.Server() : new SslContextFactory.Server() {
                @Override
                protected TrustManager[] getTrustManagers(KeyStore trustStore, Collection<? extends CRL> crls) {
                    return new TrustManager[]{judge};
                }
            };
            // in memory only: the password never leaves this key store
            char[] password = "tls".toCharArray();
            tls.setKeyStore(KeyFiles.keyStore(identity, password));
            tls.setKeyStorePassword(new String(password));
            if (!trustAnchors.isEmpty()) {
                KeyStore trust = KeyStore.getInstance("PKCS12");
                trust.load(null, null);
                for (int i = 0; i < trustAnchors.size(); i++) {
                    trust.setCertificateEntry("anchor-" + i, trustAnchors.get(i));
                }
                tls.setTrustStore(trust);
            }
            tls.setWantClientAuth(clientAuth == ClientAuth.WANT);
            tls.setNeedClientAuth(clientAuth == ClientAuth.NEED);
            tls.setIncludeProtocols(PROTOCOLS.toArray(new String[0]));
            return tls;
        }
    }
}
