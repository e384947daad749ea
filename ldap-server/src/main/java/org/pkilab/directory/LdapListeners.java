package org.pkilab.directory;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.server.core.DefaultDirectoryService;
import org.apache.directory.server.ldap.LdapServer;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.server.ldap.handlers.extended.StartTlsHandler;
import org.apache.directory.server.ldap.handlers.response.BindResponseHandler;
import org.apache.directory.server.protocol.shared.transport.TcpTransport;
import org.apache.mina.core.filterchain.DefaultIoFilterChainBuilder;
import org.apache.mina.core.session.IoEventType;
import org.apache.mina.filter.executor.ExecutorFilter;
import org.apache.mina.filter.executor.UnorderedThreadPoolExecutor;
import org.pkilab.directory.model.CertificateMappingSettings;
import org.pkilab.pki.KeyFiles;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;

/**
 * The domain controller's LDAP (389 on Windows) and LDAPS (636) listeners on 127.0.0.1, with StartTLS and
 * the logon extended operation: the ports a lasting lab keeps in {@code ports.properties}, the certificate
 * they serve (the DC's self-signed one until a CA issues one, then that one from the next handshake on), and
 * the {@link LdapRequestGuard} in front of the decoder, and behind it {@link NtlmBinds}, which answers the NTLM binds
 * ApacheDS's decoder does not know, {@link ExternalBinds}, the certificate logons, and {@link SearchResponseBatching},
 * which sends a small search's answer in one write. Every TLS handshake (LDAPS, StartTLS) asks the client for a
 * certificate without needing one; the handshake takes any certificate, and the SASL EXTERNAL bind judges it
 * ({@link CertificateLogon}), so a refusal explains itself instead of ending in a TLS alert.
 *
 * <pre>{@code
 * LdapListeners listeners = new LdapListeners(config, dataDirectory, temporary, logonHandler);
 * listeners.start(directoryService, identity);
 * listeners.ldapPort();   // the port 'pkilab up' printed, again after a restart
 * }</pre>
 */
final class LdapListeners {

    private static final String PORTS_FILE = "ports.properties";
    /** {@code dc/server-certificate.p12}: the certificate a CA issued to the DC, kept across restarts. */
    static final String SERVER_CERTIFICATE = "server-certificate";

    private final DomainControllerConfig config;
    private final Path dataDirectory;
    private final boolean temporary;
    private final LdapServer ldapServer;
    private final Supplier<CertificateMappingSettings> certificateMapping;
    private LdapRequestGuard guard;
    /** The certificate LDAPS and StartTLS serve: the identity's self-signed one until a CA issues one. */
    private volatile KeyFiles.KeyEntry served;
    private int ldapPort;
    private int ldapsPort;

    LdapListeners(DomainControllerConfig config, Path dataDirectory, boolean temporary, LogonHandler logon,
                  Supplier<CertificateMappingSettings> certificateMapping) throws LdapException {
        this.config = config;
        this.certificateMapping = certificateMapping;
        this.dataDirectory = dataDirectory;
        this.temporary = temporary;
        this.ldapServer = new LdapServer();
        ldapServer.addExtendedOperationHandler(logon);
    }

    /** Opens the listeners on the kept ports (or any free ones), serving the kept certificate or the DC's own. */
    void start(DefaultDirectoryService service, DomainControllerIdentity identity) throws Exception {
        // a lasting lab keeps its ports: the LDAP URL 'pkilab up' printed (PKILAB_LDAP, ldapsearch -H) holds after a restart
        Path portsFile = dataDirectory.resolve(PORTS_FILE);
        Properties kept = temporary ? new Properties() : KeyFiles.loadProperties(portsFile);
        int wantedLdap = config.ldapPort() != 0 ? config.ldapPort() : Integer.parseInt(kept.getProperty("ldap", "0"));
        int wantedLdaps = config.ldapsPort() != 0 ? config.ldapsPort() : Integer.parseInt(kept.getProperty("ldaps", "0"));
        TcpTransport ldap = new TcpTransport("127.0.0.1", wantedLdap, 3, 50);
        TcpTransport ldaps = new TcpTransport("127.0.0.1", wantedLdaps, 3, 50);
        ldaps.setEnableSSL(true);
        for (TcpTransport transport : List.of(ldap, ldaps)) {
            transport.setEnabledProtocols(List.of("TLSv1.3", "TLSv1.2"));
            transport.setWantClientAuth(true); // StartTLS on the LDAP port asks too
        }
        ldapServer.setTrustManagers(new javax.net.ssl.TrustManager[]{new AnyClientCertificate()});
        ldapServer.setTransports(ldap, ldaps);
        ldapServer.setDirectoryService(service);
        AdBindRequestHandler names = new AdBindRequestHandler(new Dn(service.getSchemaManager(), config.names().domain()),
                config.netbiosName(), config.domainName());
        ldapServer.setBindHandlers(names, new BindResponseHandler());
        Path certificates = dataDirectory.resolve("dc");
        Optional<KeyFiles.KeyEntry> issued = KeyFiles.loadKept(certificates, SERVER_CERTIFICATE);
        Path servedKeystore;
        String servedPassword;
        if (issued.isPresent()) {
            served = issued.get();
            servedKeystore = certificates.resolve(SERVER_CERTIFICATE + ".p12");
            servedPassword = KeyFiles.keptPassword(certificates, SERVER_CERTIFICATE);
        } else {
            served = new KeyFiles.KeyEntry(identity.privateKey(), new X509Certificate[]{identity.certificate()});
            servedKeystore = identity.keystore();
            servedPassword = identity.keystorePassword();
        }
        ldapServer.setKeystoreFile(servedKeystore.toString());
        ldapServer.setCertificatePassword(servedPassword);
        ldapServer.addExtendedOperationHandler(new StartTlsHandler());
        service.getLdapCodecService().registerExtendedRequest(new LogonRequestFactory(service.getLdapCodecService()));
        ldapServer.addExtendedOperationHandler(new WhoAmIHandler(config.netbiosName()));
        ldapServer.setMaxSizeLimit(100_000);
        ldapServer.setMaxTimeLimit((int) config.queryPolicy().maxQueryDuration().toSeconds());
        try {
            ldapServer.start();
        } catch (Exception e) {
            // ApacheDS says only "Failed to bind an LDAP service (38,411)": find which of the two ports is taken
            List<String> taken = new ArrayList<>();
            if (!free(wantedLdap)) {
                taken.add("LDAP port " + wantedLdap + (config.ldapPort() == 0 ? " (kept in " + portsFile + " from the last start)" : ""));
            }
            if (!free(wantedLdaps)) {
                taken.add("LDAPS port " + wantedLdaps + (config.ldapsPort() == 0 ? " (kept in " + portsFile + " from the last start)" : ""));
            }
            throw new IOException(taken.isEmpty() ? "cannot listen on 127.0.0.1 for LDAP and LDAPS: " + e.getMessage()
                    : "cannot listen on 127.0.0.1: " + String.join(" and ", taken) + (taken.size() == 1 ? " is" : " are")
                    + " in use by another program; stop it, or choose another port", e);
        }
        guard = new LdapRequestGuard(config.queryPolicy());
        NtlmBinds ntlmBinds = new NtlmBinds(ldapServer, new NtlmAuthenticator(names, config.netbiosName(), config.domainName(),
                config.hostName(), config.clock()), config.queryPolicy().maxReceiveBuffer());
        ExternalBinds externalBinds = new ExternalBinds(ldapServer, new CertificateLogon(service.getAdminSession(), config, certificateMapping));
        guard.alternativeDns(new AlternativeDns(service, config.names().domain()), ldapServer.getLdapSessionManager());
        for (TcpTransport transport : List.of(ldap, ldaps)) {
            answerOnTheIoThreads(transport);
            transport.getAcceptor().getFilterChain().addBefore("codec", "requestGuard", guard);
            transport.getAcceptor().getFilterChain().addBefore("codec", "ntlmBinds", ntlmBinds);
            transport.getAcceptor().getFilterChain().addBefore("codec", "externalBinds", externalBinds);
            transport.getAcceptor().getFilterChain().addBefore("codec", "searchBatching", new SearchResponseBatching());
            transport.getAcceptor().getFilterChain().addAfter("codec", "costlySearches", guard.dispatcher());
        }
        ldapPort = ((InetSocketAddress) ldap.getAcceptor().getLocalAddress()).getPort();
        ldapsPort = ((InetSocketAddress) ldaps.getAcceptor().getLocalAddress()).getPort();
        if (!temporary) {
            Properties ports = new Properties();
            ports.setProperty("ldap", Integer.toString(ldapPort));
            ports.setProperty("ldaps", Integer.toString(ldapsPort));
            KeyFiles.storeProperties(portsFile, ports, "PKI Lab: the ports the domain controller listens on, kept across restarts");
        }
    }

    int ldapPort() {
        return ldapPort;
    }

    int ldapsPort() {
        return ldapsPort;
    }

    /** The key and chain LDAPS and StartTLS serve now. */
    KeyFiles.KeyEntry served() {
        return served;
    }

    /**
     * Keeps {@code entry} in the data folder and serves it from the next handshake on; connections already open
     * keep the certificate they were made with.
     */
    void serve(KeyFiles.KeyEntry entry) throws Exception {
        Path certificates = dataDirectory.resolve("dc");
        KeyFiles.keep(certificates, SERVER_CERTIFICATE, entry);
        ldapServer.setKeystoreFile(certificates.resolve(SERVER_CERTIFICATE + ".p12").toString());
        ldapServer.setCertificatePassword(KeyFiles.keptPassword(certificates, SERVER_CERTIFICATE));
        ldapServer.reloadSslContext();
        served = entry;
    }

    /** How many searches of many filter terms the DC is answering on their own threads now (for tests). */
    int costlySearchesRunning() {
        return guard == null ? 0 : guard.costlySearchesRunning();
    }

    /** Stops listening; what fails to stop is added to {@code failures}. */
    void stop(List<Exception> failures) {
        if (ldapServer.isStarted()) {
            try {
                ldapServer.stop();
            } catch (Exception e) {
                failures.add(e);
            }
        }
        if (guard != null) {
            guard.close();
        }
    }

    /** Whether nothing listens on 127.0.0.1:{@code port} now (0: any free port, always free). */
    private static boolean free(int port) {
        if (port == 0) {
            return true;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * ApacheDS hands every request from the connection's I/O thread to a pool of its own, and the answer back to the
     * I/O thread through a selector wake-up: two thread switches per LDAP operation, which were a tenth of the DC's CPU
     * when 10,000 computers booted. Every request the lab's DC serves is CPU work in memory, so it is answered on the
     * I/O thread that read it; ApacheDS's stop still finds an executor filter to shut down.
     */
    private static void answerOnTheIoThreads(TcpTransport transport) {
        DefaultIoFilterChainBuilder chain = transport.getAcceptor().getFilterChain();
        ExecutorFilter pooled = (ExecutorFilter) chain.get("executor");
        chain.replace("executor", new ExecutorFilter(new OnTheIoThread(), IoEventType.MESSAGE_RECEIVED));
        ((ExecutorService) pooled.getExecutor()).shutdown();
    }

    /** An executor that runs each task in the thread that hands it over. */
    private static final class OnTheIoThread extends UnorderedThreadPoolExecutor {
        OnTheIoThread() {
            super(1);
        }

        @Override
        public void execute(Runnable task) {
            task.run();
        }
    }

    /**
     * Takes whatever client certificate a handshake brings, and names no CA in its request (so OpenLDAP's GnuTLS
     * build sends its certificate whoever issued it): the bind that uses the certificate decides whether it is
     * trusted, with a refusal that says why. The server side never checks a server certificate with it.
     */
    private static final class AnyClientCertificate extends javax.net.ssl.X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            // judged at the SASL EXTERNAL bind
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) {
            // judged at the SASL EXTERNAL bind
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine) {
            // judged at the SASL EXTERNAL bind
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            throw new java.security.cert.CertificateException("the DC's listeners check no server certificate");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, java.net.Socket socket)
                throws java.security.cert.CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine)
                throws java.security.cert.CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
