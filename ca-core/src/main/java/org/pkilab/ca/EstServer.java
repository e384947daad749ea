package org.pkilab.ca;

import org.pkilab.enrollment.CertsOnlyPkcs7;
import org.pkilab.enrollment.EnrollableTemplate;
import org.pkilab.enrollment.EnrollmentPolicy;
import org.pkilab.windows.WindowsError;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSAbsentContent;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;
import org.bouncycastle.util.CollectionStore;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.DetectorConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.URIUtil;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.KeyAlgorithm;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.pki.KeyFiles;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The CA on the network: EST (RFC 7030) over HTTPS, and its CRLs and certificate over HTTP at the URLs
 * certificates carry, as IIS serves {@code /CertEnroll} on a Windows CA.
 *
 * <pre>
 * GET  /.well-known/est/cacerts                      the CA certificate (certs-only PKCS #7, base64)
 * POST /.well-known/est/&lt;template&gt;/simpleenroll     a PKCS #10 request, base64; the label names the template
 * POST /.well-known/est/[&lt;template&gt;/]simplereenroll authenticated by the current certificate (TLS client auth)
 * GET  /.well-known/est/&lt;template&gt;/csrattrs         what the request should carry
 * GET  /.well-known/est/policy                       the templates the caller may enroll for (JSON)
 * GET  /CertEnroll/&lt;CA name&gt;.crl, &lt;CA name&gt;+.crl, &lt;host&gt;_&lt;CA name&gt;.crt   (HTTP)
 * *    /certsrv/admin/...                            administration, for CA administrators ({@link CaAdminEndpoint})
 * </pre>
 *
 * <p>First enrollment authenticates with HTTP Basic (an account name such as {@code IIS01$} and its
 * password) or with {@code Authorization: Bearer <logon token>} the host got from the DC at boot. A
 * pending request answers {@code 202} with {@code Retry-After}; sending the same request again returns
 * the certificate once approved. Every refusal is a 4xx whose body gives the AD CS code and name, the
 * reason and what to change, and whose {@code X-ADCS-Error} header carries the code.
 *
 * <p>What a client may send is bounded: request line and headers {@value #MAX_HEADERS} bytes (414 or 431
 * beyond), a body {@value #MAX_BODY} bytes (413, answered from {@code Content-Length} before any of the
 * body is read), {@code Content-Type: application/pkcs10} and nothing else for enrollment (415). Even
 * HTTP that Jetty cannot parse is answered in plain text that says what was wrong.
 */
final class EstServer implements AutoCloseable {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EstServer.class);

    static final int MAX_BODY = 64 * 1024;
    static final int MAX_HEADERS = 8 * 1024;
    /** Enrollments one account may have in progress at once: slow bodies from one account cost that account alone. */
    static final int MAX_REQUESTS_PER_ACCOUNT = 8;
    /** Below this, a request body is taken to have stopped arriving (Jetty answers 408). */
    private static final long MIN_REQUEST_BYTES_PER_SECOND = 512;
    /** RFC 7030's media type, with parameters (token=token or token="quoted") and nothing else. */
    private static final java.util.regex.Pattern PKCS10 = java.util.regex.Pattern.compile(
            "(?i)application/pkcs10\\s*(;\\s*[-!#$%&'*+.^_`|~0-9a-z]+=([-!#$%&'*+.^_`|~0-9a-z]+|\"([^\"\\\\]|\\\\.)*\")\\s*)*");
    private static final String PREFIX = "/.well-known/est/";

    /** The web server's key and certificate chain. */
    record ServerIdentity(KeyFiles.KeyEntry entry) {
    }

    private final CertificationAuthority ca;
    private final CertificationAuthorityConfig config;
    private final Server server;
    private final ServerConnector http;
    private ServerConnector https;
    private final int httpsPortWanted;
    private final CaAdminEndpoint admin;
    private final java.util.concurrent.ConcurrentHashMap<String, Integer> inProgress = new java.util.concurrent.ConcurrentHashMap<>();

    /** Ports 0: any free port. */
    EstServer(CertificationAuthority ca, CertificationAuthorityConfig config, int httpPort, int httpsPort) {
        this.ca = ca;
        this.httpsPortWanted = httpsPort;
        this.config = config;
        this.admin = new CaAdminEndpoint(ca, this);
        QueuedThreadPool threads = new QueuedThreadPool(32, 4);
        threads.setName("est-" + config.hostName().toLowerCase(Locale.ROOT));
        // no buffer pool: after a request line it cannot parse, Jetty 12.1 can go on reading that connection into a
        // request buffer it has already given back, and the next connection to take the buffer parses those bytes as
        // its own request before its TLS handshake is done, then closes without answering when its real request comes
        this.server = new Server(threads, null, ByteBufferPool.NON_POOLING);
        HttpConfiguration plain = new HttpConfiguration();
        plain.setRequestHeaderSize(MAX_HEADERS);
        plain.setSendServerVersion(false);
        // each port has threads of its own: clients holding the EST port's cannot stop CRL and AIA downloads
        // HTTP/2 as well: a client that opens with HTTP/2's preface (curl --http2-prior-knowledge) got no answer at all
        this.http = new ServerConnector(server, pool("http"), null, null, -1, -1, new HttpConnectionFactory(plain),
                new org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory(plain));
        http.setHost("127.0.0.1");
        http.setPort(httpPort);
        server.addConnector(http);
        // Jetty 12's core handlers leave HttpConfiguration's minimum data rate to this handler
        server.setHandler(new org.eclipse.jetty.server.handler.MinimumDataRateHandler(new Routes(), MIN_REQUEST_BYTES_PER_SECOND, 0));
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

    void start(ServerIdentity identity) throws Exception {
        char[] password = "est".toCharArray();
        KeyStore keys = KeyFiles.keyStore(identity.entry(), password);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca.certificate());
        SslContextFactory.Server tls = new SslContextFactory.Server() {
            @Override
            protected javax.net.ssl.TrustManager[] getTrustManagers(KeyStore trustStore, java.util.Collection<? extends java.security.cert.CRL> crls) {
                return new javax.net.ssl.TrustManager[]{new AnyClientCertificate(ca.certificate())};
            }
        };
        tls.setKeyStore(keys);
        tls.setKeyStorePassword(new String(password));
        tls.setTrustStore(trust);
        // re-enrollment authenticates with the current certificate; first enrollment has none. TLS proves the client
        // holds the certificate's key; whether this CA issued it is judged from its database, so a refusal can explain itself
        tls.setWantClientAuth(true);
        tls.setIncludeProtocols("TLSv1.3", "TLSv1.2");
        HttpConfiguration secure = new HttpConfiguration();
        secure.setRequestHeaderSize(MAX_HEADERS);
        secure.setSendServerVersion(false);
        SecureRequestCustomizer customizer = new SecureRequestCustomizer();
        // lab hosts reach the CA by FQDN (mapped to 127.0.0.1) or by 127.0.0.1; checking the name is the client's job
        customizer.setSniHostCheck(false);
        secure.addCustomizer(customizer);
        HttpConnectionFactory http11 = new HttpConnectionFactory(secure);
        // a connection that does not open with a TLS hello is served as plain HTTP, so it can be told it came to the HTTPS port
        // HTTP/2 where the client offers it in ALPN (curl, browsers); HTTP/1.1 otherwise, as the lab's own hosts speak
        org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory h2 = new org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory(secure);
        org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory alpn =
                new org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory("h2", "http/1.1"); // ALPN's ids, not Jetty's "HTTP/1.1"
        alpn.setDefaultProtocol("http/1.1");
        https = new ServerConnector(server, pool("https"), null, null, -1, -1,
                new DetectorConnectionFactory(new SslConnectionFactory(tls, alpn.getProtocol())), http11, alpn, h2);
        https.setHost("127.0.0.1");
        https.setPort(httpsPortWanted);
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
        try {
            server.stop();
        } catch (Exception e) {
            // stopping Jetty fails only when it never started; nothing is left to release then
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

    private final class Routes extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            try {
                route(request, response, callback);
            } catch (CaException e) {
                refuse(response, callback, e.error(), e.reason(), e.fix());
            } catch (RuntimeException e) {
                CaDatabase.StorageFullException full = storageFull(e);
                if (full != null) {
                    // the database logged the full disk once; a stack trace per refused request would fill it faster
                    response.getHeaders().put("Retry-After", "60");
                    send(response, callback, 503, "text/plain", (config.caName() + " cannot take requests now: " + full.getMessage() + "\n")
                            .getBytes(StandardCharsets.UTF_8));
                    return true;
                }
                LOG.warn("{}: {} {} failed", config.caName(), request.getMethod(), Request.getPathInContext(request), e);
                send(response, callback, 500, "text/plain", ("internal error in " + config.caName() + ": " + e.getMessage() + "\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
            return true;
        }
    }

    private void route(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        boolean secure = request.getConnectionMetaData().isSecure();
        if (!secure && request.getConnectionMetaData().getConnector() == https) {
            send(response, callback, 400, "text/plain", ("Bad Request: " + plainOnHttpsPort(path) + "\n").getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (path.startsWith("/CertEnroll/") && "GET".equals(request.getMethod())) {
            certEnroll(path.substring("/CertEnroll/".length()), response, callback);
            return;
        }
        if (secure && path.startsWith(CaAdminEndpoint.PREFIX)) {
            admin.handle(request, response, callback, path.substring(CaAdminEndpoint.PREFIX.length()));
            return;
        }
        if (!secure || !path.startsWith(PREFIX)) {
            send(response, callback, 404, "text/plain", ("no such resource: " + path + "\nEST lives at https://" + config.fqdn()
                    + ":" + httpsPort() + PREFIX + "\n").getBytes(StandardCharsets.UTF_8));
            return;
        }
        String[] parts = path.substring(PREFIX.length()).split("/", -1);
        // a path segment is percent-encoded, not a form: '+' stays '+' (URLDecoder would make 'Web+Server' the Web Server template).
        // Jetty has refused encoded '/', '\\', '%' and control characters before this point
        String label = parts.length == 2 ? URIUtil.decodePath(parts[0]) : null;
        String operation = parts[parts.length - 1];
        // ';jsessionid=1' and the like: Jetty drops path parameters, and 'WebServer;x' would be taken for WebServer
        if (parts.length > 2 || (label != null && label.isEmpty()) || request.getHttpURI().getPath().contains(";")) {
            send(response, callback, 404, "text/plain", ("not an EST path: " + path + "\n").getBytes(StandardCharsets.UTF_8));
            return;
        }
        switch (operation) {
            case "cacerts" -> requireMethod(request, "GET", () -> send(response, callback, 200, CertsOnlyPkcs7.MEDIA_TYPE, CertsOnlyPkcs7.base64(CertsOnlyPkcs7.encode(List.of(ca.certificate())))),
                    response, callback);
            case "simpleenroll" -> requireMethod(request, "POST", () -> enroll(request, response, callback, label, false), response, callback);
            case "simplereenroll" -> requireMethod(request, "POST", () -> enroll(request, response, callback, label, true), response, callback);
            case "csrattrs" -> requireMethod(request, "GET", () -> csrAttributes(label, response, callback), response, callback);
            case "policy" -> requireMethod(request, "GET", () -> policy(request, response, callback), response, callback);
            default -> send(response, callback, 404, "text/plain", ("unknown EST operation '" + operation
                    + "': use cacerts, simpleenroll, simplereenroll, csrattrs or policy\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void requireMethod(Request request, String method, Runnable action, Response response, Callback callback) {
        if (!method.equals(request.getMethod())) {
            response.getHeaders().put(HttpHeader.ALLOW, method);
            send(response, callback, 405, "text/plain", ("use " + method + " here\n").getBytes(StandardCharsets.UTF_8));
            return;
        }
        action.run();
    }

    private void certEnroll(String file, Response response, Callback callback) {
        if (file.equals(config.caName() + ".crl")) {
            send(response, callback, 200, "application/pkix-crl", ca.crlBytes(false));
        } else if (file.equals(config.caName() + "+.crl")) {
            send(response, callback, 200, "application/pkix-crl", ca.crlBytes(true));
        } else if (file.equals(config.fqdn() + "_" + config.caName() + ".crt")) {
            try {
                send(response, callback, 200, "application/pkix-cert", ca.certificate().getEncoded());
            } catch (java.security.cert.CertificateEncodingException e) {
                throw new IllegalStateException(e);
            }
        } else {
            send(response, callback, 404, "text/plain", ("no file " + file + " in CertEnroll\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    private void enroll(Request request, Response response, Callback callback, String label, boolean renewal) {
        String contentType = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        if (contentType == null || !PKCS10.matcher(contentType.strip()).matches()) {
            send(response, callback, 415, "text/plain", ("Unsupported Media Type: send the certificate request as Content-Type: "
                    + "application/pkcs10 (RFC 7030: the DER request, base64), not " + (contentType == null ? "without a Content-Type"
                    : "'" + contentType + "'") + "\n").getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (request.getLength() > MAX_BODY) {
            tooLarge(response, callback, "declares " + request.getLength() + " bytes");
            return;
        }
        X509Certificate clientCertificate = clientCertificate(request);
        LogonToken requester;
        String template = label;
        if (renewal) {
            if (clientCertificate == null) {
                challenge(response, callback, "re-enrollment authenticates with the current certificate: present it as the TLS client certificate");
                return;
            }
            requester = ca.tokenForHolderOf(clientCertificate);
            if (template == null) {
                template = ca.templateOf(clientCertificate);
            }
        } else {
            Optional<LogonToken> token = authenticate(request, response, callback);
            if (token.isEmpty()) {
                return;
            }
            requester = token.get();
        }
        if (template == null) {
            refuse(response, callback, WindowsError.CERTSRV_E_UNSUPPORTED_CERT_TYPE, "the request names no certificate template",
                    "put the template name in the path: " + PREFIX + "<template>/simpleenroll");
            return;
        }
        String account = requester.account();
        if (!enterRequest(account)) {
            response.getHeaders().put("Retry-After", "5");
            send(response, callback, 429, "text/plain", ("Too Many Requests: " + account + " has " + MAX_REQUESTS_PER_ACCOUNT
                    + " requests in progress at " + config.caName() + " already; send them one at a time\n").getBytes(StandardCharsets.UTF_8));
            return;
        }
        try {
            enroll(request, response, callback, requester, template, renewal, clientCertificate);
        } finally {
            leaveRequest(account);
        }
    }

    /** Counts a request of {@code account} in progress; false when it has as many as it may have already. */
    private boolean enterRequest(String account) {
        int[] now = new int[1];
        inProgress.compute(account, (k, count) -> {
            now[0] = count == null ? 1 : count + 1;
            return now[0] > MAX_REQUESTS_PER_ACCOUNT ? count : Integer.valueOf(now[0]);
        });
        return now[0] <= MAX_REQUESTS_PER_ACCOUNT;
    }

    private void leaveRequest(String account) {
        inProgress.computeIfPresent(account, (k, count) -> count <= 1 ? null : count - 1);
    }

    private void enroll(Request request, Response response, Callback callback, LogonToken requester, String template,
                        boolean renewal, X509Certificate clientCertificate) {
        byte[] body;
        try {
            // blocking is fine here: the body is small and bounded, and the minimum data rate ends a stalled one
            body = Content.Source.asInputStream(request).readNBytes(MAX_BODY + 1);
        } catch (java.io.IOException | RuntimeException e) {
            if (causedBy(e, java.util.concurrent.TimeoutException.class)) {
                send(response, callback, 408, "text/plain", "Request Timeout: the request body stopped arriving; send it whole\n"
                        .getBytes(StandardCharsets.UTF_8));
            } else {
                send(response, callback, 400, "text/plain", ("Bad Request: the request body could not be read to its end ("
                        + e.getMessage() + "); send it whole, with a Content-Length or as valid chunks\n").getBytes(StandardCharsets.UTF_8));
            }
            return;
        }
        if (body.length > MAX_BODY) {
            tooLarge(response, callback, "is over " + MAX_BODY + " bytes");
            return;
        }
        byte[] csr;
        try {
            csr = decodeBase64(body);
        } catch (IllegalArgumentException e) {
            refuse(response, callback, WindowsError.CRYPT_E_ASN1_BADTAG, "the " + body.length + " bytes of the body are not base64: " + e.getMessage(),
                    "send the DER request base64-encoded (openssl base64 -in req.der)");
            return;
        }
        EnrollmentRequest enrollment = new EnrollmentRequest(requester, template, csr, false, renewal ? clientCertificate : null);
        EnrollmentResult result = ca.previous(requester, template, csr).orElseGet(() -> ca.submit(enrollment));
        answer(response, callback, result);
    }

    private static boolean causedBy(Throwable failure, Class<? extends Throwable> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static void tooLarge(Response response, Callback callback, String what) {
        // the rest of the body is not read: the connection cannot carry another request after it
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        send(response, callback, 413, "text/plain", ("Content Too Large: the request body " + what + "; the CA reads at most " + MAX_BODY
                + " bytes (a certificate request is a few KB)\n").getBytes(StandardCharsets.UTF_8));
    }

    private void answer(Response response, Callback callback, EnrollmentResult result) {
        response.getHeaders().put("X-ADCS-Request-Id", Long.toString(result.requestId()));
        switch (result.status()) {
            case ISSUED -> send(response, callback, 200, CertsOnlyPkcs7.MEDIA_TYPE, CertsOnlyPkcs7.base64(CertsOnlyPkcs7.encodeDer(List.of(result.record().certificate()))));
            case PENDING -> {
                response.getHeaders().put(HttpHeader.RETRY_AFTER, "60");
                send(response, callback, 202, "text/plain", ("Taken Under Submission: request " + result.requestId()
                        + " waits for a certificate manager. " + result.decision().reason()
                        + "\nSend the same request again to get the certificate once it is approved.\n").getBytes(StandardCharsets.UTF_8));
            }
            default -> refuse(response, callback, result.decision());
        }
    }

    Optional<LogonToken> authenticate(Request request, Response response, Callback callback) {
        String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (authorization == null) {
            challenge(response, callback, "enrollment needs credentials: HTTP Basic with an account (IIS01$ and its password) "
                    + "or 'Authorization: Bearer <logon token>'");
            return Optional.empty();
        }
        try {
            if (authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
                return Optional.of(ca.verify(authorization.substring(7).trim()));
            }
            if (authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
                String pair;
                try {
                    pair = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Base64.getDecoder().decode(authorization.substring(6).trim())))
                            .toString();
                } catch (java.nio.charset.CharacterCodingException e) {
                    challenge(response, callback, "the HTTP Basic credentials are not UTF-8 text");
                    return Optional.empty();
                }
                int colon = pair.indexOf(':');
                if (colon <= 0) {
                    challenge(response, callback, "HTTP Basic credentials must be 'name:password'");
                    return Optional.empty();
                }
                String user = pair.substring(0, colon);
                if (user.chars().anyMatch(Character::isISOControl)) {
                    // the directory's string matching drops control characters: 'Administrator<NUL>' would log on as Administrator
                    challenge(response, callback, "the account name '" + RequestedNames.printable(user) + "' holds control characters; "
                            + "no account name does");
                    return Optional.empty();
                }
                return Optional.of(ca.logon(user, pair.substring(colon + 1)));
            }
            challenge(response, callback, "unsupported Authorization scheme; use Basic or Bearer");
        } catch (IllegalArgumentException e) {
            challenge(response, callback, "the Authorization header is not valid base64");
        } catch (CaException e) {
            challenge(response, callback, e.getMessage());
        }
        return Optional.empty();
    }

    private void challenge(Response response, Callback callback, String why) {
        response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Basic realm=\"" + config.names().dnsName() + "\"");
        response.getHeaders().put("X-ADCS-Error", WindowsError.ERROR_LOGON_FAILURE.code() + " " + WindowsError.ERROR_LOGON_FAILURE.symbolicName());
        send(response, callback, 401, "text/plain", (WindowsError.ERROR_LOGON_FAILURE.symbolicName() + " (" + WindowsError.ERROR_LOGON_FAILURE.code() + ")\n"
                + WindowsError.ERROR_LOGON_FAILURE.windowsMessage() + "\n" + why + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static X509Certificate clientCertificate(Request request) {
        Object data = request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE);
        if (data instanceof EndPoint.SslSessionData ssl && ssl.peerCertificates() != null && ssl.peerCertificates().length > 0) {
            return ssl.peerCertificates()[0];
        }
        return null;
    }

    /** What the request for {@code label}'s template should carry: its key type (with the curve, RFC 7030 4.5.2) and signature. */
    private void csrAttributes(String label, Response response, Callback callback) {
        KeyAlgorithm algorithm = KeyAlgorithm.RSA;
        if (label != null) {
            try {
                algorithm = ca.template(label).map(CertificateTemplate::keyAlgorithm).orElse(KeyAlgorithm.RSA);
            } catch (IllegalStateException e) {
                // an algorithm the lab does not know: the CA explains when the request comes
            }
        }
        ASN1EncodableVector attributes = new ASN1EncodableVector();
        if (algorithm.elliptic()) {
            attributes.add(new DERSequence(new org.bouncycastle.asn1.ASN1Encodable[]{new ASN1ObjectIdentifier("1.2.840.10045.2.1"),
                    new org.bouncycastle.asn1.DERSet(new ASN1ObjectIdentifier(algorithm.curveOid()))}));  // id-ecPublicKey, curve
        } else {
            attributes.add(new ASN1ObjectIdentifier("1.2.840.113549.1.1.1"));   // rsaEncryption
        }
        // the signature the client makes with that key: ecdsa-with-SHA256 for P-256, sha256WithRSAEncryption for RSA
        attributes.add(new DefaultSignatureAlgorithmIdentifierFinder().find(algorithm.signatureAlgorithm()).getAlgorithm());
        try {
            send(response, callback, 200, "application/csrattrs", CertsOnlyPkcs7.base64(new DERSequence(attributes).getEncoded("DER")));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void policy(Request request, Response response, Callback callback) {
        Optional<LogonToken> token = authenticate(request, response, callback);
        if (token.isEmpty()) {
            return;
        }
        List<EnrollableTemplate> offered = new ArrayList<>();
        for (CertificateTemplate t : ca.enrollableTemplates(token.get())) {
            boolean autoenroll = t.securityDescriptor().check(token.get().sids(), org.pkilab.directory.model.AccessRight.AUTOENROLL).granted();
            offered.add(new EnrollableTemplate(t.name(), t.displayName(), t.oid(), t.schemaVersion(), t.enrolleeSuppliesSubject(),
                    t.minimalKeySize(), keyAlgorithmOf(t), t.exportableKey(), t.requiresApproval(), t.usesCng(), autoenroll,
                    t.machineTemplate(), t.renewalPeriod(), t.extendedKeyUsages(), t.supersededTemplates()));
        }
        send(response, callback, 200, EnrollmentPolicy.MEDIA_TYPE, new EnrollmentPolicy(config.caName(), offered).toJson());
    }

    /** The template's Cryptography tab algorithm, or the name it gives that the lab does not know (the CA refuses it then). */
    private static String keyAlgorithmOf(CertificateTemplate t) {
        try {
            return t.keyAlgorithm().windowsName();
        } catch (IllegalStateException e) {
            return String.valueOf(t.cngKeySetting("msPKI-Asymmetric-Algorithm"));
        }
    }

    static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    private static void refuse(Response response, Callback callback, Decision decision) {
        refuse(response, callback, decision.error(), decision.reason(), decision.fix());
    }

    /** The HTTP status an EST client gets with the error: 401 for logon, 403 for denials, 404 for what is not there. */
    static int httpStatus(WindowsError error) {
        return switch (error) {
            case ERROR_LOGON_FAILURE -> 401;
            case CERTSRV_E_TEMPLATE_DENIED, CERTSRV_E_ADMIN_DENIED_REQUEST, E_ACCESSDENIED -> 403;
            case CERTSRV_E_UNSUPPORTED_CERT_TYPE, CERTSRV_E_NO_REQUEST -> 404;
            case CERTSRV_E_BAD_REQUESTSTATUS -> 409;
            default -> 400;
        };
    }

    static void refuse(Response response, Callback callback, WindowsError error, String reason, String fix) {
        response.getHeaders().put("X-ADCS-Error", error.code() + " " + error.symbolicName());
        send(response, callback, httpStatus(error), "text/plain", (Decision.deny(error, reason, fix).explain() + "\n")
                .getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Jetty's answers to HTTP it cannot take (too long, not HTTP, a bad header), in plain text that says what to change.
     *
     * <p>When Jetty closes the connection after the answer, the answer says so with {@code Connection: close}. Jetty
     * answers a request line it cannot parse (a {@code %00} in the path) as HTTP/1.0 inside, so it leaves the header
     * out although the status line says HTTP/1.1, and a keep-alive client sends its next request into a connection
     * that is closing.
     */
    /** What a connection to the HTTPS port that spoke plain HTTP (or neither) is told: the URL to use. */
    private String plainOnHttpsPort(String path) {
        return "port " + httpsPort() + " of " + config.caName() + " speaks HTTPS, and this came without TLS; use https://"
                + config.fqdn() + ":" + httpsPort() + path;
    }

    private final class PlainErrors extends org.eclipse.jetty.server.handler.ErrorHandler {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            if (!request.getConnectionMetaData().isPersistent()) {
                response.getHeaders().put(HttpHeader.CONNECTION, "close");
            }
            int status = response.getStatus();
            Object message = request.getAttribute(ERROR_MESSAGE);
            boolean plainOnHttps = !request.getConnectionMetaData().isSecure() && request.getConnectionMetaData().getConnector() == https;
            String why = switch (status) {
                case 400 -> plainOnHttps ? "Bad Request: " + plainOnHttpsPort(PREFIX) + " (" + message + ")."
                        : String.valueOf(message).matches("(?i).*(uri|path).*")
                        ? "Bad Request: " + message + ". The request target must be a plain path, without encoded '/', '\\', '%' or control "
                        + "characters and without '..': EST paths are " + PREFIX + "<template>/simpleenroll."
                        : "Bad Request: this is not HTTP/1.1 the CA can read (" + message + "). Send one request line, a Host header and "
                        + "well-formed headers, and no Content-Length that disagrees with the body or with Transfer-Encoding.";
                case 413 -> "Content Too Large: the CA reads request bodies of at most " + MAX_BODY + " bytes.";
                case 414 -> "URI Too Long: the request line is over " + MAX_HEADERS + " bytes, the CA's limit for the request line and headers;"
                        + " an EST path is /.well-known/est/<template>/simpleenroll.";
                case 431 -> "Request Header Fields Too Large: the request line and headers are over " + MAX_HEADERS + " bytes, the CA's limit.";
                case 505 -> "HTTP Version Not Supported: the CA speaks HTTP/1.1.";
                default -> status + " " + org.eclipse.jetty.http.HttpStatus.getMessage(status) + (message == null ? "" : ": " + message);
            };
            send(response, callback, status, "text/plain", (why + "\n").getBytes(StandardCharsets.UTF_8));
            return true;
        }
    }

    /**
     * Takes any client certificate at TLS, which then proves only that the client holds its key; EST
     * decides from the CA database whether the certificate is one this CA issued and says why not. The
     * CA is named as the acceptable issuer, so clients offer the right certificate.
     */
    private static final class AnyClientCertificate implements javax.net.ssl.X509TrustManager {
        private final X509Certificate ca;

        AnyClientCertificate(X509Certificate ca) {
            this.ca = ca;
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            // judged by EST with the CA database (CertificationAuthority.tokenForHolderOf)
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            throw new java.security.cert.CertificateException("the CA's web server is no TLS client");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[]{ca};
        }
    }

    private static byte[] decodeBase64(byte[] body) {
        String text = new String(KeyFiles.der(body), StandardCharsets.US_ASCII);
        if (body.length > 0 && body[0] == 0x30) {
            return body;
        }
        return Base64.getMimeDecoder().decode(text.replaceAll("\\s", ""));
    }


    static void send(Response response, Callback callback, int status, String contentType, byte[] body) {
        if (contentType.startsWith("text/plain")) {
            // refusals echo what the client sent; a terminal showing them must not obey the control characters in it
            String[] lines = new String(body, StandardCharsets.UTF_8).split("\n", -1);
            body = String.join("\n", java.util.Arrays.stream(lines).map(RequestedNames::escape).toList()).getBytes(StandardCharsets.UTF_8);
            contentType = "text/plain; charset=utf-8";
        }
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        if (contentType.startsWith("application/pkcs7") || contentType.startsWith("application/csrattrs")) {
            response.getHeaders().put("Content-Transfer-Encoding", "base64");
        }
        response.write(true, ByteBuffer.wrap(body), callback);
    }
}
