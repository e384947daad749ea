package org.pkilab.iis;

import org.pkilab.windows.WindowsError;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.pkilab.host.DomainComputer;
import org.pkilab.host.DomainComputerConfig;
import org.pkilab.host.HttpsResult;
import org.pkilab.host.StoredCertificate;
import org.pkilab.pki.KeyFiles;
import org.pkilab.web.TlsConnectors;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A member server with the IIS role: a domain computer whose {@code Default Web Site} has an https
 * binding, chosen as in "Edit Bindings → https → SSL certificate" by the thumbprint of a certificate in
 * {@code LocalMachine\My}, served by Jetty on a loopback port under the server's names. "SSL Settings"
 * ignore, accept or require client certificates, which are judged by the computer's own trust: chain
 * to {@code LocalMachine\Root}, Client Authentication, not revoked.
 *
 * <p>Configuration Manager's site-system roles the guide prepares certificates for:
 * <ul>
 *   <li>{@link #installManagementPoint}: HTTPS that requires client certificates; it answers
 *       {@code /SMS_MP/.sms_aut?MPLIST} and remembers which client called;</li>
 *   <li>{@link #installDistributionPoint}: imports the PFX exported from the "ConfigMgr Client Distribution
 *       Point Certificate" and authenticates to the management point with it;</li>
 *   <li>{@link #installCloudDistributionPoint}: imports the cloud DP's PFX and serves HTTPS under its
 *       service name (a CNAME such as {@code clouddp1.contoso.com}).</li>
 * </ul>
 * As the guide warns, Configuration Manager cannot use a key from a "Windows 2008 Server, Enterprise
 * Edition" (CNG) template: the roles refuse such a certificate and say why.
 */
public final class IisServer extends DomainComputer {

    /** The last callers of the management point, as its log keeps them; bounded, so a busy MP does not grow without end. */
    private final java.util.ArrayDeque<String> callers = new java.util.ArrayDeque<>();
    private static final int CALLERS_KEPT = 1_000;
    private final List<String> rejections = new CopyOnWriteArrayList<>();
    private Server server;
    private ServerConnector https;
    /** The binding's port: chosen when the site first starts, kept when it restarts with other settings. */
    private int port;
    private String boundThumbprint;
    private ClientCertificates clientCertificates = ClientCertificates.IGNORE;
    private boolean managementPoint;
    private StoredCertificate distributionPointCertificate;
    private String cloudServiceName;

    public IisServer(DomainComputerConfig config) {
        super(config);
    }

    @Override
    public IisServer join(org.pkilab.directory.client.DirectoryAdmin admin) {
        super.join(admin);
        return this;
    }

    /** Starts the computer; with a data folder, Default Web Site and the roles come back as they were configured. */
    @Override
    public IisServer boot() {
        super.boot();
        if (server == null) {
            restoreSite();
        }
        return this;
    }

    /**
     * "Edit Site Binding": the https binding of Default Web Site uses the certificate with this thumbprint
     * from {@code LocalMachine\My}; the site (re)starts with it.
     */
    public synchronized void bindHttps(String thumbprint) {
        StoredCertificate certificate = personal().byThumbprint(thumbprint).orElseThrow(() -> new IllegalArgumentException(
                "no certificate with thumbprint " + thumbprint + " in LocalMachine\\My of " + name()));
        if (certificate.privateKey() == null) {
            throw new IllegalArgumentException("certificate " + thumbprint + " has no private key on " + name());
        }
        boundThumbprint = certificate.thumbprint();
        restartSite();
        keepSite();
    }

    /** The certificate the https binding uses, or null. */
    public String boundThumbprint() {
        return boundThumbprint;
    }

    /** "SSL Settings": client certificates ignored, accepted or required. */
    public synchronized void sslSettings(ClientCertificates mode) {
        clientCertificates = mode;
        if (server != null) {
            restartSite();
        }
        keepSite();
    }

    /** The current "SSL Settings" for client certificates. */
    public ClientCertificates sslSettings() {
        return clientCertificates;
    }

    /** The https port of Default Web Site. */
    public int httpsPort() {
        if (https == null) {
            throw new IllegalStateException("Default Web Site of " + name() + " has no https binding");
        }
        return https.getLocalPort();
    }

    /** {@code https://<name>:<port><path>} for one of this server's names. */
    public String url(String host, String path) {
        return "https://" + host + ":" + httpsPort() + path;
    }

    /**
     * Installs the management point: it requires client certificates, so the https binding must hold a
     * usable (non-CNG) certificate.
     */
    public synchronized void installManagementPoint() {
        requireUsableBinding("management point");
        managementPoint = true;
        sslSettings(ClientCertificates.REQUIRE);
    }

    /** The last 1,000 clients that reached the management point, oldest first, as {@code <subject or DNS name> (<template>)}. */
    public List<String> managementPointCallers() {
        synchronized (callers) {
            return new ArrayList<>(callers);
        }
    }

    /**
     * Installs a distribution point with the certificate imported from {@code pfx} (the site-system
     * properties' "Import certificate"); it is the certificate the DP authenticates to a management point with.
     */
    public synchronized StoredCertificate installDistributionPoint(Path pfx, char[] password) {
        StoredCertificate imported = importPfx(pfx, password, false);
        refuseCng(imported, "distribution point");
        distributionPointCertificate = imported;
        keepSite();
        return imported;
    }

    /** A distribution point sends its status to the management point, authenticating with its certificate. */
    public HttpsResult reportStatusTo(IisServer managementPoint, String mpHost) {
        if (distributionPointCertificate == null) {
            throw new IllegalStateException(name() + " is not a distribution point: import its certificate first");
        }
        return get(managementPoint.url(mpHost, "/SMS_MP/.sms_aut?MPLIST"), distributionPointCertificate);
    }

    /**
     * Installs a cloud distribution point: imports its PFX, maps the service name to this server (the
     * guide's CNAME) and serves HTTPS under it with that certificate.
     */
    public synchronized StoredCertificate installCloudDistributionPoint(String serviceName, Path pfx, char[] password) {
        StoredCertificate imported = importPfx(pfx, password, false);
        refuseCng(imported, "cloud-based distribution point");
        config().network().alias(serviceName, fqdn());
        cloudServiceName = serviceName;
        bindHttps(imported.thumbprint());
        return imported;
    }

    /**
     * Keeps what IIS Manager and the site-system roles configured in {@code site.properties} of the data
     * folder (IIS keeps it in applicationHost.config), so a restarted lab serves as it did.
     */
    private void keepSite() {
        Path folder = config().dataDirectory();
        if (folder == null) {
            return;
        }
        Properties site = new Properties();
        site.setProperty("port", Integer.toString(port));
        site.setProperty("sslFlags", clientCertificates.name());
        site.setProperty("managementPoint", Boolean.toString(managementPoint));
        if (boundThumbprint != null) {
            site.setProperty("binding", boundThumbprint);
        }
        if (distributionPointCertificate != null) {
            site.setProperty("distributionPoint", distributionPointCertificate.thumbprint());
        }
        if (cloudServiceName != null) {
            site.setProperty("cloudServiceName", cloudServiceName);
        }
        try {
            KeyFiles.storeProperties(folder.resolve("site.properties"), site, "PKI Lab: Default Web Site and roles of " + name());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot keep the site settings of " + name() + " in " + folder, e);
        }
    }

    private void restoreSite() {
        Path file = config().dataDirectory() == null ? null : config().dataDirectory().resolve("site.properties");
        if (file == null || !java.nio.file.Files.exists(file)) {
            return;
        }
        Properties site;
        try {
            site = KeyFiles.loadProperties(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read the site settings of " + name() + " in " + file, e);
        }
        port = Integer.parseInt(site.getProperty("port", "0"));
        clientCertificates = ClientCertificates.valueOf(site.getProperty("sslFlags", ClientCertificates.IGNORE.name()));
        managementPoint = Boolean.parseBoolean(site.getProperty("managementPoint"));
        distributionPointCertificate = site.getProperty("distributionPoint") == null ? null
                : personal().byThumbprint(site.getProperty("distributionPoint")).orElse(null);
        cloudServiceName = site.getProperty("cloudServiceName");
        if (cloudServiceName != null) {
            config().network().alias(cloudServiceName, fqdn());
        }
        String binding = site.getProperty("binding");
        if (binding != null && personal().byThumbprint(binding).isPresent()) {
            boundThumbprint = binding;
            restartSite();
        }
    }

    private void requireUsableBinding(String role) {
        if (boundThumbprint == null) {
            throw new IllegalStateException("the " + role + " needs HTTPS: bind a certificate to Default Web Site of " + name() + " first");
        }
        refuseCng(personal().byThumbprint(boundThumbprint).orElseThrow(), role);
    }

    private void refuseCng(StoredCertificate certificate, String role) {
        if (certificate.keyStorage() == StoredCertificate.KeyStorage.CNG_KSP) {
            // legacy CryptoAPI, which Configuration Manager uses, cannot open a key held by a CNG key storage provider
            throw new IllegalStateException(WindowsError.NTE_BAD_PROV_TYPE.describe() + " "
                    + "Configuration Manager cannot use certificate " + certificate.thumbprint()
                    + " for the " + role + " on " + name() + ": its key is in a CNG key storage provider because template '"
                    + certificate.templateName() + "' was duplicated as 'Windows 2008 Server, Enterprise Edition'. Duplicate "
                    + "the template again choosing 'Windows 2003 Server, Enterprise Edition' and request a new certificate.");
        }
    }

    private void restartSite() {
        stopSite();
        StoredCertificate certificate = personal().byThumbprint(boundThumbprint).orElseThrow();
        try {
            QueuedThreadPool threads = new QueuedThreadPool(16, 2);
            threads.setName("iis-" + name().toLowerCase(Locale.ROOT));
            // no buffer pool: Jetty 12.1 can read a connection's bytes into a buffer it has given back after a request line
            // it cannot parse, and the next connection, with another client certificate, parses them as its own request
            server = new Server(threads, null, ByteBufferPool.NON_POOLING);
            // two selectors, not the one Jetty picks on two cores, where one thread then dispatches every connection's reads
            // and handshakes queue behind it: `benchmark mtls`, alternating, 75-79% of a bare JSSE server with one, 81-88% with two
            https = TlsConnectors.builder(server)
                    .identity(new KeyFiles.KeyEntry(certificate.privateKey(), certificate.chain().toArray(new X509Certificate[0])))
                    .clientTrust(new RecordingTrust())
                    .clientAuth(switch (clientCertificates) {
                        case IGNORE -> TlsConnectors.ClientAuth.NONE;
                        case ACCEPT -> TlsConnectors.ClientAuth.WANT;
                        case REQUIRE -> TlsConnectors.ClientAuth.NEED;
                    })
                    .acceptors(1)
                    .selectors(2)
                    .port(port)
                    .build();
            server.addConnector(https);
            server.setHandler(new DefaultWebSite());
            server.start();
            port = https.getLocalPort();
        } catch (Exception e) {
            stopSite();
            throw new IllegalStateException("Default Web Site of " + name() + " did not start: " + e.getMessage(), e);
        }
    }

    private void stopSite() {
        if (server != null) {
            try {
                server.stop();
            } catch (Exception e) {
                // a site that cannot stop cleanly is being replaced anyway
            }
            server = null;
            https = null;
        }
    }

    /** Why the site refused client certificates, latest last, as the System log's SChannel events say it. */
    public List<String> clientCertificateRejections() {
        return new ArrayList<>(rejections);
    }

    /** The server's trust, remembering why it refused a client. */
    private final class RecordingTrust implements javax.net.ssl.X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            try {
                trust().checkClientTrusted(chain, authType);
            } catch (java.security.cert.CertificateException e) {
                rejections.add(e.getMessage());
                throw e;
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            trust().checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return trust().getAcceptedIssuers();
        }
    }

    private final class DefaultWebSite extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            String path = Request.getPathInContext(request);
            X509Certificate client = null;
            if (request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE) instanceof EndPoint.SslSessionData ssl
                    && ssl.peerCertificates() != null && ssl.peerCertificates().length > 0) {
                client = ssl.peerCertificates()[0];
            }
            String body;
            if (managementPoint && path.startsWith("/SMS_MP")) {
                String who = describeCached(client);
                synchronized (callers) {
                    callers.addLast(who);
                    if (callers.size() > CALLERS_KEPT) {
                        callers.removeFirst();
                    }
                }
                body = "<MPList><MP Name=\"" + fqdn() + "\" FQDN=\"" + fqdn() + "\"><Caller>" + who + "</Caller></MP></MPList>\n";
            } else {
                body = "IIS Windows Server on " + fqdn() + "\n";
            }
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
            response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
            return true;
        }
    }

    /** Descriptions of client certificates seen lately, by issuer and serial: the same clients call again and again. */
    private final java.util.Map<String, String> described = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(256, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(java.util.Map.Entry<String, String> eldest) {
                    return size() > CALLERS_KEPT;
                }
            });

    private String describeCached(X509Certificate client) {
        if (client == null) {
            return "anonymous";
        }
        return described.computeIfAbsent(client.getIssuerX500Principal().getName() + "#" + client.getSerialNumber(),
                key -> describe(client));
    }

    private static String describe(X509Certificate client) {
        String subject = client.getSubjectX500Principal().getName();
        if (subject.isEmpty()) {
            try {
                subject = client.getSubjectAlternativeNames().iterator().next().get(1).toString();
            } catch (Exception e) {
                subject = client.getSerialNumber().toString(16);
            }
        }
        String template = StoredCertificate.templateOf(client);
        return subject + (template == null ? "" : " (" + template + ")");
    }

    @Override
    public synchronized void close() {
        stopSite();
        super.close();
    }
}
