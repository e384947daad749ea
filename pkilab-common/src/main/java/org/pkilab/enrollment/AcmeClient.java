package org.pkilab.enrollment;

import com.sun.net.httpserver.HttpServer;
import org.pkilab.windows.WindowsError;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Authorization;
import org.shredzone.acme4j.Certificate;
import org.shredzone.acme4j.Login;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.RevocationReason;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Http01Challenge;
import org.shredzone.acme4j.connector.HttpConnector;
import org.shredzone.acme4j.connector.NetworkSettings;
import org.shredzone.acme4j.exception.AcmeException;
import org.shredzone.acme4j.exception.AcmeServerException;
import org.shredzone.acme4j.provider.GenericAcmeProvider;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The lab's host-side ACME client (RFC 8555), over acme4j: one ACME account, made on first use with the external
 * account binding an administrator issued ({@code pkilab acme eab alice}), and certificates for lab names, proven with
 * {@code http-01} answered from a small HTTP server of its own on 127.0.0.1 at the port the CA checks
 * ({@code CA\AcmeHttpPort}), from build to {@link #close}.
 *
 * <pre>{@code
 * try (AcmeClient acme = AcmeClient.builder("https://127.0.0.1:8443/acme/ACMEWebServer/directory")
 *         .trust(ca.certificate(), "ca01.contoso.com")          // the CA's host, whatever address the URL holds
 *         .accountKey(accountKeyPair)
 *         .externalAccountBinding(keyId, hmacKey)               // as 'pkilab acme eab alice' printed them
 *         .http01Port(0)                                        // any free port, answered until close()
 *         .build()) {
 *     ca.changeRegistry("CA\\AcmeHttpPort", Integer.toString(acme.http01Port()), admin);   // where the CA checks
 *     X509Certificate issued = acme.enroll(certificateKeyPair, "iis01.contoso.com");
 *     acme.revoke(issued);
 * }
 * }</pre>
 *
 * <p>A refusal is an {@link EnrollmentException} carrying the AD CS code the CA put at the start of the problem
 * document's detail ({@code 0x80094012 CERTSRV_E_TEMPLATE_DENIED: ...}); an order still waiting for a certificate
 * manager after {@link Builder#waitForApproval} is a {@link PendingException}.
 */
public final class AcmeClient implements AutoCloseable {

    private final URI directory;
    private final SSLContext tls;
    private final KeyPair accountKey;
    private final String keyId;
    private final String hmacKey;
    private final int http01Port;
    private final Map<String, String> answers = new ConcurrentHashMap<>();
    /** Answers http-01 from build to close, so its port is known before the CA is told to check it. */
    private final HttpServer challengeServer;
    private final Duration waitForApproval;
    private final Session session;
    private final Consumer<Order> beforeFinalize;
    private Login login;

    private AcmeClient(Builder b) {
        this.directory = b.directory;
        this.tls = Objects.requireNonNull(b.tls, "an ACME client needs the CA's certificate to trust: builder.trust(...)");
        this.accountKey = Objects.requireNonNull(b.accountKey, "an ACME client needs an account key: builder.accountKey(...)");
        this.keyId = b.keyId;
        this.hmacKey = b.hmacKey;
        this.http01Port = b.http01Port;
        this.waitForApproval = b.waitForApproval;
        this.session = new Session(directory, new TrustingProvider(tls));
        this.beforeFinalize = b.beforeFinalize;
        this.challengeServer = challengeServer(answers);
    }

    public static Builder builder(String directoryUrl) {
        return new Builder(directoryUrl);
    }

    /**
     * A certificate for {@code names} with {@code certificateKey}: the account (made now if it is not yet), an order,
     * {@code http-01} for each name, the CSR, and the certificate once the CA issued it.
     *
     * @throws EnrollmentException the CA's refusal, with its AD CS code when it named one
     * @throws PendingException    the request still waits for a certificate manager after {@link Builder#waitForApproval}
     */
    public X509Certificate enroll(KeyPair certificateKey, String... names) {
        Objects.requireNonNull(certificateKey, "certificateKey");
        return enroll(order -> order.execute(certificateKey), names);
    }

    /**
     * As {@link #enroll(KeyPair, String...)}, finalizing with {@code csr}, a PKCS #10 request (DER) made elsewhere: the CA
     * takes it only when it names exactly {@code names}.
     */
    public X509Certificate enroll(byte[] csr, String... names) {
        byte[] request = Objects.requireNonNull(csr, "csr").clone();
        return enroll(order -> order.execute(request), names);
    }

    /** How an order that is ready is finalized: acme4j's {@code Order.execute} with a key pair or a CSR. */
    private interface Finalizer {
        void finalize(Order order) throws AcmeException;
    }

    private X509Certificate enroll(Finalizer finalizer, String... names) {
        if (names.length == 0) {
            throw new IllegalArgumentException("enroll needs at least one name, such as iis01.contoso.com");
        }
        List<String> tokens = new java.util.ArrayList<>();
        try {
            Order order = login().getAccount().newOrder().domains(names).create();
            for (Authorization authorization : order.getAuthorizations()) {
                if (authorization.getStatus() != Status.PENDING) {
                    continue;
                }
                Http01Challenge challenge = authorization.findChallenge(Http01Challenge.class).orElseThrow(() ->
                        new EnrollmentException(0, null, "the CA offers no http-01 challenge for " + authorization.getIdentifier()));
                answers.put(challenge.getToken(), challenge.getAuthorization());
                tokens.add(challenge.getToken());
                challenge.trigger();
                Status status = authorization.waitForCompletion(Duration.ofSeconds(30));
                if (status != Status.VALID) {
                    // the CA checks a challenge after answering its POST: the error is in the authorization as polled
                    String error = authorization.getChallenges().stream().map(c -> c.getError()).flatMap(java.util.Optional::stream)
                            .findFirst().or(challenge::getError).map(p -> p.getType() + ": " + p).orElse(status.toString());
                    throw new EnrollmentException(403, null, "http-01 for " + authorization.getIdentifier().getDomain() + " failed: " + error);
                }
            }
            order.waitUntilReady(Duration.ofSeconds(30));
            beforeFinalize.accept(order);
            finalizer.finalize(order);
            Status status = order.waitForCompletion(waitForApproval);
            if (status == Status.PROCESSING) {
                throw new PendingException(-1, Duration.ofSeconds(3), "order " + order.getLocation() + " for " + List.of(names)
                        + " waits for a certificate manager of the CA (pkilab ca approve)");
            }
            if (status != Status.VALID) {
                throw refusal(order.getError().map(p -> new AcmeServerException(p)).orElse(null), "order " + order.getLocation() + " is " + status);
            }
            return order.getCertificate().getCertificate();
        } catch (AcmeException e) {
            throw refusal(e, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EnrollmentException(0, null, "interrupted while the CA worked on the order");
        } finally {
            tokens.forEach(answers::remove);
        }
    }

    /** The port on 127.0.0.1 this client answers http-01 on (the one it bound when built with port 0); -1 when it answers none. */
    public int http01Port() {
        return challengeServer == null ? -1 : challengeServer.getAddress().getPort();
    }

    /** Stops answering http-01; the account stays at the CA. */
    @Override
    public void close() {
        if (challengeServer != null) {
            challengeServer.stop(0);
        }
    }

    /** Revokes {@code certificate}, signed with the account key (the account ordered it). */
    public void revoke(X509Certificate certificate, RevocationReason reason) {
        try {
            Certificate.revoke(login(), certificate, reason);
        } catch (AcmeException e) {
            throw refusal(e, e.getMessage());
        }
    }

    public void revoke(X509Certificate certificate) {
        revoke(certificate, RevocationReason.UNSPECIFIED);
    }

    /** Revokes {@code certificate}, signed with its own key: no account needed. */
    public void revokeWithCertificateKey(X509Certificate certificate, KeyPair certificateKey, RevocationReason reason) {
        try {
            Certificate.revoke(session, certificateKey, certificate, reason);
        } catch (AcmeException e) {
            throw refusal(e, e.getMessage());
        }
    }

    /** Key rollover: the account keeps its URL, orders and directory account, and signs with {@code newKey} from now on. */
    public void changeAccountKey(KeyPair newKey) {
        try {
            login().getAccount().changeKey(newKey);
        } catch (AcmeException e) {
            throw refusal(e, e.getMessage());
        }
    }

    /** Deactivates the account for good: the CA takes no request it signs afterwards. */
    public void deactivateAccount() {
        try {
            login().getAccount().deactivate();
        } catch (AcmeException e) {
            throw refusal(e, e.getMessage());
        }
    }

    /** The URLs of the account's orders as the CA lists them now (RFC 8555 7.1.2.1); an expired order is gone from it. */
    public List<String> orderUrls() {
        try {
            List<String> urls = new java.util.ArrayList<>();
            login().getAccount().getOrders().forEachRemaining(order -> urls.add(order.getLocation().toString()));
            return urls;
        } catch (AcmeException e) {
            throw refusal(e, e.getMessage());
        }
    }

    /** The account's URL at the CA ({@code .../acct/1}); made now if it is not yet. */
    public String accountUrl() {
        try {
            return login().getAccountLocation().toString();
        } catch (AcmeException e) {
            throw refusal(e, e.getMessage());
        }
    }

    private synchronized Login login() throws AcmeException {
        if (login == null) {
            AccountBuilder account = new AccountBuilder().agreeToTermsOfService().useKeyPair(accountKey);
            if (keyId != null) {
                account.withKeyIdentifier(keyId, hmacKey);
            }
            login = account.createLogin(session);
        }
        return login;
    }

    private HttpServer challengeServer(Map<String, String> answers) {
        if (http01Port < 0) {
            return null;
        }
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", http01Port), 8);
            server.createContext("/.well-known/acme-challenge/", exchange -> {
                String token = exchange.getRequestURI().getPath().substring("/.well-known/acme-challenge/".length());
                String answer = answers.get(token);
                byte[] body = (answer == null ? "no such challenge" : answer).getBytes(StandardCharsets.US_ASCII);
                exchange.getResponseHeaders().put("Content-Type", List.of("text/plain"));
                exchange.sendResponseHeaders(answer == null ? 404 : 200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            server.start();
            return server;
        } catch (IOException e) {
            throw new EnrollmentException(0, null, "cannot answer http-01 on 127.0.0.1:" + http01Port + ": " + e.getMessage()
                    + "; choose a free port and set the CA's CA\\AcmeHttpPort to it");
        }
    }

    /** The CA's problem document as an {@link EnrollmentException}: its status, and the AD CS code its detail starts with. */
    private static EnrollmentException refusal(AcmeException e, String fallback) {
        if (e instanceof AcmeServerException server) {
            String detail = server.getProblem().getDetail().orElse(server.getProblem().getType().toString());
            Object status = server.getProblem().asJSON().toMap().get("status");
            WindowsError error = WindowsError.find(detail).orElse(null);
            return new EnrollmentException(status instanceof Number n ? n.intValue() : 0, error,
                    (error != null && detail.startsWith(error.toString()) ? detail.substring(error.toString().length()).replaceFirst("^:\\s*", "")
                            : server.getProblem().getType() + ": " + detail));
        }
        return new EnrollmentException(0, null, fallback == null ? String.valueOf(e) : fallback);
    }

    /** How an {@link AcmeClient} is made; {@link #trust} and {@link #accountKey} are required. */
    public static final class Builder {
        private final URI directory;
        private SSLContext tls;
        private KeyPair accountKey;
        private String keyId;
        private String hmacKey;
        private int http01Port = -1;
        private Duration waitForApproval = Duration.ofSeconds(30);
        private Consumer<Order> beforeFinalize = order -> { };

        private Builder(String directoryUrl) {
            Objects.requireNonNull(directoryUrl, "the ACME directory URL");
            if (!directoryUrl.startsWith("https://")) {
                throw new IllegalArgumentException("an ACME directory is an https URL, not " + directoryUrl);
            }
            this.directory = URI.create(directoryUrl);
        }

        /**
         * Trusts {@code ca} as the root and accepts the server only if its certificate names {@code serverName}, whatever
         * address the URL holds (a lab host is reached at 127.0.0.1). Unset: no connection is made.
         */
        public Builder trust(X509Certificate ca, String serverName) {
            this.tls = namedServerContext(ca, Objects.requireNonNull(serverName, "serverName"));
            return this;
        }

        /** The account's key: RSA (RS256) or EC P-256 (ES256). Unset: build() fails. */
        public Builder accountKey(KeyPair key) {
            this.accountKey = Objects.requireNonNull(key, "accountKey");
            return this;
        }

        /**
         * The key id and base64url HMAC key an administrator issued ({@code pkilab acme eab <account>}). Unset: the account
         * must exist already (the CA makes none without a binding).
         */
        public Builder externalAccountBinding(String keyId, String hmacKey) {
            this.keyId = Objects.requireNonNull(keyId, "keyId");
            this.hmacKey = Objects.requireNonNull(hmacKey, "hmacKey");
            return this;
        }

        /**
         * The port on 127.0.0.1 this client answers http-01 on from build to {@link #close}, the CA's
         * {@code CA\AcmeHttpPort}; 0 for any free port, which {@link AcmeClient#http01Port()} then tells. Unset: no http-01
         * answers.
         */
        public Builder http01Port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("not a TCP port: " + port);
            }
            this.http01Port = port;
            return this;
        }

        /** How long {@link #enroll} waits for a certificate manager's approval. Unset: 30 seconds. */
        public Builder waitForApproval(Duration wait) {
            if (wait.isNegative()) {
                throw new IllegalArgumentException("waitForApproval < 0: " + wait);
            }
            this.waitForApproval = wait;
            return this;
        }

        /**
         * What runs on each order once it is ready, just before it is finalized: a test of the CA changes the order's
         * authorizations there (deactivates one, lets one expire). Unset: nothing.
         */
        public Builder beforeFinalize(Consumer<Order> step) {
            this.beforeFinalize = Objects.requireNonNull(step, "step");
            return this;
        }

        public AcmeClient build() {
            return new AcmeClient(this);
        }
    }

    private static SSLContext namedServerContext(X509Certificate ca, String serverName) {
        try {
            X509TrustManager pkix = (X509TrustManager) org.pkilab.pki.KeyFiles.trustOnly(ca)[0];
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new javax.net.ssl.TrustManager[]{new NamedServer(pkix, serverName)}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a TLS context trusting " + ca.getSubjectX500Principal(), e);
        }
    }

    /**
     * The chain checked against the CA, and the server's certificate checked for {@code serverName} instead of the URL's
     * host: the JDK's HttpClient has no host name verifier to replace, and a lab host is reached at 127.0.0.1.
     */
    private static final class NamedServer extends X509ExtendedTrustManager {
        private final X509TrustManager pkix;
        private final String serverName;

        NamedServer(X509TrustManager pkix, String serverName) {
            this.pkix = pkix;
            this.serverName = serverName;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            pkix.checkServerTrusted(chain, authType);
            boolean named = chain[0].getSubjectAlternativeNames() != null && chain[0].getSubjectAlternativeNames().stream()
                    .anyMatch(n -> Integer.valueOf(2).equals(n.get(0)) && serverName.equalsIgnoreCase(String.valueOf(n.get(1))));
            if (!named) {
                throw new CertificateException("the server's certificate does not name " + serverName);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("an ACME client checks no clients");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return pkix.getAcceptedIssuers();
        }
    }

    /** acme4j's generic provider, its HTTP client trusting what {@code tls} trusts. */
    private static final class TrustingProvider extends GenericAcmeProvider {
        private final SSLContext tls;

        TrustingProvider(SSLContext tls) {
            this.tls = tls;
        }

        @Override
        protected HttpConnector createHttpConnector(NetworkSettings settings) {
            return new HttpConnector(settings) {
                @Override
                public HttpClient.Builder createClientBuilder() {
                    return super.createClientBuilder().sslContext(tls);
                }
            };
        }
    }
}
