package org.pkilab.ca;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.server.handler.MinimumDataRateHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.URIUtil;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.pkilab.pki.KeyFiles;
import org.pkilab.web.TlsConnectors;

import javax.net.ssl.X509TrustManager;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The CA host's web server, IIS on a Windows CA: one HTTPS port for EST, the enrollment policy and
 * administration, one HTTP port for the {@code CertEnroll} files the CDP and AIA URLs name and the Online Responder, and CMP,
 * which protects its own messages, on both. It owns the Jetty
 * wiring, routes each path to its protocol adapter, and answers what no adapter takes: HTTP that Jetty cannot
 * parse, plain HTTP sent to the HTTPS port, unknown paths, and failures, in plain text that says what to change.
 *
 * <pre>
 * HTTPS /.well-known/est/{cacerts, [&lt;template&gt;/]simpleenroll, simplereenroll, csrattrs}  {@link EstAdapter}
 * HTTPS /.well-known/est/policy                                                    {@link EnrollmentPolicyAdapter}
 * HTTPS /certsrv/admin/...                                                         {@link CaAdminEndpoint}
 * HTTPS /acme/&lt;template&gt;/{directory, new-nonce, new-account, new-order, ...}             {@link AcmeAdapter}
 * HTTP  /CertEnroll/&lt;CA name&gt;.crl, &lt;CA name&gt;+.crl, &lt;host&gt;_&lt;CA name&gt;.crt           {@link CrlFilesAdapter}
 * HTTP  /ocsp (POST), /ocsp/&lt;base64 request&gt; (GET)                                {@link OcspAdapter}
 * both  /.well-known/cmp[/p/&lt;template&gt;] (POST, application/pkixcmp)                 {@link CmpAdapter}
 * HTTP(S) /certsrv/mscep/mscep.dll?operation=GetCACaps|GetCACert|PKIOperation      {@link ScepAdapter} (NDES)
 * HTTPS /certsrv/mscep_admin/                                                      {@link ScepAdapter#admin} (challenge passwords)
 * </pre>
 *
 * <p>The adapters reach the CA only through the narrow interfaces in {@link Services}; a new protocol is a new
 * adapter over them and one more route here. What a client may send is bounded: request line and headers
 * {@value #MAX_HEADERS} bytes (414 or 431 beyond), request bodies at {@value #MIN_REQUEST_BYTES_PER_SECOND}
 * bytes a second at least (408), and each port has threads of its own.
 */
final class CaWebServer implements AutoCloseable {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CaWebServer.class);

    static final int MAX_HEADERS = 8 * 1024;
    /** Below this, a request body is taken to have stopped arriving (Jetty answers 408). */
    private static final long MIN_REQUEST_BYTES_PER_SECOND = 512;

    /** What the adapters need from the CA, each as narrow as the adapter's job. */
    record Services(Supplier<X509Certificate> caCertificate, Enrollment enrollment, EnrollmentPolicySource policy,
                    CaAdministration administration, CaSecurity security, AccountLogon logon, CrlFilesAdapter.CurrentCrl crls,
                    OnlineResponder responder, AcmeAccounts acmeAccounts, CmpSecrets cmpSecrets, ScepAdapter.Ndes ndes) {
        Services {
            Objects.requireNonNull(caCertificate, "caCertificate");
            Objects.requireNonNull(enrollment, "enrollment");
            Objects.requireNonNull(policy, "policy");
            Objects.requireNonNull(administration, "administration");
            Objects.requireNonNull(security, "security");
            Objects.requireNonNull(logon, "logon");
            Objects.requireNonNull(crls, "crls");
            Objects.requireNonNull(responder, "responder");
            Objects.requireNonNull(acmeAccounts, "acmeAccounts");
            Objects.requireNonNull(cmpSecrets, "cmpSecrets");
            Objects.requireNonNull(ndes, "ndes");
        }
    }

    private final CertificationAuthorityConfig config;
    // the adapters exist from start(): the CA's parts need the HTTP port (the CDP and AIA URLs) before they can be made
    private Supplier<X509Certificate> caCertificate;
    private EstAdapter est;
    private EnrollmentPolicyAdapter policy;
    private CaAdminEndpoint admin;
    private CrlFilesAdapter files;
    private OcspAdapter ocsp;
    private AcmeAdapter acme;
    private CmpAdapter cmp;
    private ScepAdapter scep;
    private final Server server;
    private final ServerConnector http;
    private ServerConnector https;
    private final int httpsPortWanted;

    /** Ports 0: any free port. */
    CaWebServer(CertificationAuthorityConfig config, int httpPort, int httpsPort) {
        this.config = config;
        this.httpsPortWanted = httpsPort;
        QueuedThreadPool threads = new QueuedThreadPool(32, 4);
        threads.setName("est-" + config.hostName().toLowerCase(Locale.ROOT));
        // no buffer pool: after a request line it cannot parse, Jetty 12.1 can go on reading that connection into a
        // request buffer it has already given back, and the next connection to take the buffer parses those bytes as
        // its own request before its TLS handshake is done, then closes without answering when its real request comes
        this.server = new Server(threads, null, ByteBufferPool.NON_POOLING);
        HttpConfiguration plain = new HttpConfiguration();
        plain.setRequestHeaderSize(MAX_HEADERS);
        plain.setSendServerVersion(false);
        // RFC 6960 appendix A: an OCSP GET's path is the URL-encoded base64 request, '/' sent as %2F; only this port takes it
        plain.setUriCompliance(UriCompliance.DEFAULT.with("OCSP GET", UriCompliance.Violation.AMBIGUOUS_PATH_SEPARATOR));
        // each port has threads of its own: clients holding the EST port's cannot stop CRL and AIA downloads
        // HTTP/2 as well: a client that opens with HTTP/2's preface (curl --http2-prior-knowledge) got no answer at all
        this.http = new ServerConnector(server, pool("http"), null, null, -1, -1, new HttpConnectionFactory(plain),
                new HTTP2CServerConnectionFactory(plain));
        http.setHost("127.0.0.1");
        http.setPort(httpPort);
        server.addConnector(http);
        server.setErrorHandler(new PlainErrors());
    }

    private QueuedThreadPool pool(String port) {
        QueuedThreadPool threads = new QueuedThreadPool(32, 2);
        threads.setName("est-" + config.hostName().toLowerCase(Locale.ROOT) + "-" + port);
        return threads;
    }

    /** Opens the HTTP port now, so the CDP and AIA URLs can name it before any certificate is signed. */
    void bind() throws Exception {
        http.open();
    }

    /** Opens the HTTPS port with the web server's certificate and starts serving both ports with the adapters over {@code services}. */
    void start(KeyFiles.KeyEntry identity, Services services) throws Exception {
        caCertificate = services.caCertificate();
        HttpLogon logon = new HttpLogon(services.logon(), config.names().dnsName());
        est = new EstAdapter(config.caName(), caCertificate, services.enrollment(), services.policy(), logon);
        policy = new EnrollmentPolicyAdapter(config.caName(), services.policy(), logon);
        admin = new CaAdminEndpoint(services.administration(), services.security(), logon);
        files = new CrlFilesAdapter(config.caName(), config.fqdn(), services.crls(), caCertificate);
        ocsp = new OcspAdapter(services.responder());
        acme = new AcmeAdapter(config.caName(), config.fqdn(), config.names().dnsName(), caCertificate, services.enrollment(), services.policy(),
                services.logon(), services.administration(), services.acmeAccounts(), config.clock());
        cmp = new CmpAdapter(config.caName(), caCertificate, identity, services.enrollment(), services.administration(),
                services.security(), services.logon(), services.cmpSecrets(), config.clock());
        scep = new ScepAdapter(config.caName(), () -> "https://" + config.fqdn() + ":" + httpsPort() + ScepAdapter.ADMIN_PATH + "/", caCertificate,
                services.enrollment(), services.policy(), logon, services.ndes());
        // routes only now, with every adapter made: Jetty's threads start with server.start() below, after these writes
        // Jetty 12's core handlers leave HttpConfiguration's minimum data rate to this handler
        server.setHandler(new MinimumDataRateHandler(new Routes(), MIN_REQUEST_BYTES_PER_SECOND, 0));
        https = TlsConnectors.builder(server)
                .identity(identity)
                .trustAnchors(List.of(caCertificate.get()))
                .clientTrust(new AnyClientCertificate(caCertificate.get()))
                // re-enrollment authenticates with the current certificate; first enrollment has none. TLS proves the client
                // holds the certificate's key; whether this CA issued it is judged from its database, so a refusal can explain itself
                .clientAuth(TlsConnectors.ClientAuth.WANT)
                // HTTP/2 where the client offers it in ALPN (curl, browsers); HTTP/1.1 otherwise, as the lab's own hosts speak
                .http2(true)
                // a connection that does not open with a TLS hello is served as plain HTTP, so it can be told it came to the HTTPS port
                .detectPlainHttp(true)
                .requestHeaderSize(MAX_HEADERS)
                .executor(pool("https"))
                .port(httpsPortWanted)
                .build();
        server.addConnector(https);
        server.start();
    }

    int httpPort() {
        return http.getLocalPort();
    }

    int httpsPort() {
        return https == null ? -1 : https.getLocalPort();
    }

    @Override
    public void close() {
        if (acme != null) {
            acme.close();
        }
        try {
            server.stop();
        } catch (Exception e) {
            // stopping Jetty fails only when it never started; nothing is left to release then
        }
    }

    private final class Routes extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            try {
                route(request, response, callback);
            } catch (CaException e) {
                HttpAnswers.refuse(response, callback, e.error(), e.reason(), e.fix());
            } catch (RuntimeException e) {
                CaDatabase.StorageFullException full = storageFull(e);
                if (full != null) {
                    // the database logged the full disk once; a stack trace per refused request would fill it faster
                    response.getHeaders().put("Retry-After", "60");
                    HttpAnswers.text(response, callback, 503, config.caName() + " cannot take requests now: " + full.getMessage() + "\n");
                    return true;
                }
                LOG.warn("{}: {} {} failed", config.caName(), request.getMethod(), Request.getPathInContext(request), e);
                HttpAnswers.text(response, callback, 500, "internal error in " + config.caName() + ": " + e.getMessage() + "\n");
            }
            return true;
        }
    }

    private static CaDatabase.StorageFullException storageFull(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof CaDatabase.StorageFullException full) {
                return full;
            }
        }
        return null;
    }

    private void route(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        boolean secure = request.getConnectionMetaData().isSecure();
        if (!secure && request.getConnectionMetaData().getConnector() == https) {
            HttpAnswers.text(response, callback, 400, "Bad Request: " + plainOnHttpsPort(path) + "\n");
            return;
        }
        if (path.startsWith(CrlFilesAdapter.PREFIX) && "GET".equals(request.getMethod())) {
            files.get(path.substring(CrlFilesAdapter.PREFIX.length()), response, callback);
            return;
        }
        if (!secure && (path.equals(OcspAdapter.PATH) || path.startsWith(OcspAdapter.PATH + "/"))) {
            ocsp.handle(request, response, callback);
            return;
        }
        if (path.equals(CmpAdapter.PATH) || path.startsWith(CmpAdapter.LABEL_PREFIX)) {
            cmpRoute(request, response, callback, path);
            return;
        }
        if (path.equals(ScepAdapter.PATH) || path.startsWith(ScepAdapter.PATH + "/")) {
            scep.handle(request, response, callback);
            return;
        }
        if (path.equals(ScepAdapter.ADMIN_PATH) || path.startsWith(ScepAdapter.ADMIN_PATH + "/")) {
            if (!secure) {
                HttpAnswers.text(response, callback, 403, "Forbidden: " + ScepAdapter.ADMIN_PATH + "/ requires SSL (IIS 403.4), as it hands "
                        + "out passwords; use https://" + config.fqdn() + ":" + httpsPort() + ScepAdapter.ADMIN_PATH + "/\n");
                return;
            }
            scep.admin(request, response, callback);
            return;
        }
        if (secure && path.startsWith(CaAdminEndpoint.PREFIX)) {
            admin.handle(request, response, callback, path.substring(CaAdminEndpoint.PREFIX.length()));
            return;
        }
        if (secure && path.startsWith(AcmeAdapter.PREFIX)) {
            acme.handle(request, response, callback, path.substring(AcmeAdapter.PREFIX.length()));
            return;
        }
        if (!secure || !path.startsWith(EstAdapter.PREFIX)) {
            HttpAnswers.text(response, callback, 404, "no such resource: " + path + "\nEST lives at https://" + config.fqdn()
                    + ":" + httpsPort() + EstAdapter.PREFIX + "\n");
            return;
        }
        String[] parts = path.substring(EstAdapter.PREFIX.length()).split("/", -1);
        // a path segment is percent-encoded, not a form: '+' stays '+' (URLDecoder would make 'Web+Server' the Web Server template).
        // Jetty has refused encoded '/', '\\', '%' and control characters before this point
        String label = parts.length == 2 ? URIUtil.decodePath(parts[0]) : null;
        String operation = parts[parts.length - 1];
        // ';jsessionid=1' and the like: Jetty drops path parameters, and 'WebServer;x' would be taken for WebServer
        if (parts.length > 2 || (label != null && label.isEmpty()) || request.getHttpURI().getPath().contains(";")) {
            HttpAnswers.text(response, callback, 404, "not an EST path: " + path + "\n");
            return;
        }
        switch (operation) {
            case "cacerts" -> requireMethod(request, "GET", () -> est.cacerts(response, callback), response, callback);
            case "simpleenroll" -> requireMethod(request, "POST", () -> est.enroll(request, response, callback, label, false), response, callback);
            case "simplereenroll" -> requireMethod(request, "POST", () -> est.enroll(request, response, callback, label, true), response, callback);
            case "csrattrs" -> requireMethod(request, "GET", () -> est.csrAttributes(label, response, callback), response, callback);
            case "policy" -> requireMethod(request, "GET", () -> policy.policy(request, response, callback), response, callback);
            default -> HttpAnswers.text(response, callback, 404, "unknown EST operation '" + operation
                    + "': use cacerts, simpleenroll, simplereenroll, csrattrs or policy\n");
        }
    }

    /** CMP on either port: its messages are protected themselves. The label after /p/ names the template. */
    private void cmpRoute(Request request, Response response, Callback callback, String path) {
        String label = path.equals(CmpAdapter.PATH) ? null : URIUtil.decodePath(path.substring(CmpAdapter.LABEL_PREFIX.length()));
        if (label != null && (label.isEmpty() || label.contains("/")) || request.getHttpURI().getPath().contains(";")) {
            HttpAnswers.text(response, callback, 404, "not a CMP path: " + path + "\nCMP lives at " + CmpAdapter.PATH + " and "
                    + CmpAdapter.LABEL_PREFIX + "<template>\n");
            return;
        }
        cmp.handle(request, response, callback, label);
    }

    private static void requireMethod(Request request, String method, Runnable action, Response response, Callback callback) {
        if (!method.equals(request.getMethod())) {
            response.getHeaders().put(HttpHeader.ALLOW, method);
            HttpAnswers.text(response, callback, 405, "use " + method + " here\n");
            return;
        }
        action.run();
    }

    /** What a connection to the HTTPS port that spoke plain HTTP (or neither) is told: the URL to use. */
    private String plainOnHttpsPort(String path) {
        return "port " + httpsPort() + " of " + config.caName() + " speaks HTTPS, and this came without TLS; use https://"
                + config.fqdn() + ":" + httpsPort() + path;
    }

    /**
     * Jetty's answers to HTTP it cannot take (too long, not HTTP, a bad header), in plain text that says what to change.
     *
     * <p>When Jetty closes the connection after the answer, the answer says so with {@code Connection: close}. Jetty
     * answers a request line it cannot parse (a {@code %00} in the path) as HTTP/1.0 inside, so it leaves the header
     * out although the status line says HTTP/1.1, and a keep-alive client sends its next request into a connection
     * that is closing.
     */
    private final class PlainErrors extends ErrorHandler {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            if (!request.getConnectionMetaData().isPersistent()) {
                response.getHeaders().put(HttpHeader.CONNECTION, "close");
            }
            int status = response.getStatus();
            Object message = request.getAttribute(ERROR_MESSAGE);
            boolean plainOnHttps = !request.getConnectionMetaData().isSecure() && request.getConnectionMetaData().getConnector() == https;
            String why = switch (status) {
                case 400 -> plainOnHttps ? "Bad Request: " + plainOnHttpsPort(EstAdapter.PREFIX) + " (" + message + ")."
                        : String.valueOf(message).matches("(?i).*(uri|path).*")
                        ? "Bad Request: " + message + ". The request target must be a plain path, without encoded '/', '\\', '%' or control "
                        + "characters and without '..': EST paths are " + EstAdapter.PREFIX + "<template>/simpleenroll."
                        : "Bad Request: this is not HTTP/1.1 the CA can read (" + message + "). Send one request line, a Host header and "
                        + "well-formed headers, and no Content-Length that disagrees with the body or with Transfer-Encoding.";
                case 413 -> "Content Too Large: the CA reads request bodies of at most " + EstAdapter.MAX_BODY + " bytes.";
                case 414 -> "URI Too Long: the request line is over " + MAX_HEADERS + " bytes, the CA's limit for the request line and headers;"
                        + " an EST path is /.well-known/est/<template>/simpleenroll.";
                case 431 -> "Request Header Fields Too Large: the request line and headers are over " + MAX_HEADERS + " bytes, the CA's limit.";
                case 505 -> "HTTP Version Not Supported: the CA speaks HTTP/1.1.";
                default -> status + " " + HttpStatus.getMessage(status) + (message == null ? "" : ": " + message);
            };
            HttpAnswers.text(response, callback, status, why + "\n");
            return true;
        }
    }

    /**
     * Takes any client certificate at TLS, which then proves only that the client holds its key; EST
     * decides from the CA database whether the certificate is one this CA issued and says why not. The
     * CA is named as the acceptable issuer, so clients offer the right certificate.
     */
    private static final class AnyClientCertificate implements X509TrustManager {
        private final X509Certificate ca;

        AnyClientCertificate(X509Certificate ca) {
            this.ca = ca;
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            // judged by EST with the CA database (AccountLogon.holderOf)
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("the CA's web server is no TLS client");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[]{ca};
        }
    }
}
