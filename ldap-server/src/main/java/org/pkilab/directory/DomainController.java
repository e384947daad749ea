package org.pkilab.directory;

import org.pkilab.directory.model.PasswordPolicy;
import org.apache.directory.api.ldap.model.cursor.Cursor;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.DefaultAttribute;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Modification;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.filter.FilterParser;
import org.apache.directory.api.ldap.model.message.AliasDerefMode;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.api.ldap.schema.manager.impl.DefaultSchemaManager;
import org.apache.directory.server.core.DefaultDirectoryService;
import org.apache.directory.server.core.api.CoreSession;
import org.apache.directory.server.core.api.DnFactory;
import org.apache.directory.server.core.api.InstanceLayout;
import org.apache.directory.server.core.api.interceptor.Interceptor;
import org.apache.directory.server.core.api.schema.SchemaPartition;
import org.apache.directory.server.core.api.partition.Partition;
import org.apache.directory.server.core.partition.impl.avl.AvlPartition;
import org.apache.directory.server.xdbm.impl.avl.AvlIndex;
import org.apache.directory.server.core.partition.impl.btree.jdbm.JdbmIndex;
import org.apache.directory.server.core.partition.impl.btree.jdbm.JdbmPartition;
import org.apache.directory.server.core.shared.DefaultDnFactory;
import org.apache.directory.server.ldap.LdapServer;
import org.apache.directory.server.ldap.handlers.extended.StartTlsHandler;
import org.apache.directory.server.protocol.shared.transport.TcpTransport;
import org.apache.mina.core.filterchain.DefaultIoFilterChainBuilder;
import org.apache.mina.core.session.IoEventType;
import org.apache.mina.filter.executor.ExecutorFilter;
import org.apache.mina.filter.executor.UnorderedThreadPoolExecutor;
import org.pkilab.directory.model.DomainNames;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.pki.Folders;
import org.pkilab.pki.KeyFiles;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutorService;

/**
 * A domain controller for one Active Directory domain, in process: an embedded ApacheDS directory on a
 * loopback port that speaks plain LDAP, LDAPS and StartTLS, holds an AD-shaped schema and tree, and
 * enforces AD-style access control.
 *
 * <pre>{@code
 * try (DomainController dc = DomainController.start(DomainControllerConfig.builder().build())) {
 *     // ldapsearch -H ldap://127.0.0.1:<dc.ldapPort()> -D "CN=Administrator,CN=Users,DC=contoso,DC=com" ...
 *     dc.names().certificateTemplates(); // CN=Certificate Templates,CN=Public Key Services,...
 * }
 * }</pre>
 *
 * <p>The first start on an empty data folder creates the forest (see {@link ForestProvisioner});
 * later starts on the same folder find everything as it was, ports included: the directory is held in
 * memory and kept in the folder by a {@link DirectoryStore}, whose every answered write survives the
 * process being killed. Without a data folder the lab lives in a temporary folder that {@link #close()}
 * deletes.
 */
public final class DomainController implements AutoCloseable {

    private enum State { NEW, RUNNING, CLOSED }

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DomainController.class);
    private static final String DOMAIN_PARTITION = "domain";
    private static final String PORTS_FILE = "ports.properties";
    private static final String STORE = "store";
    /** {@code dc/server-certificate.p12}: the certificate a CA issued to the DC, kept across restarts. */
    private static final String SERVER_CERTIFICATE = "server-certificate";
    /**
     * ApacheDS interceptors for what an AD DC does not have: X.500 access-control items and the administrative
     * areas and subentries they live in, collective attributes, stored triggers, and ApacheDS's change log and
     * journal (both off). The lab's DC enforces AD's own security descriptors ({@link DirectoryAccessInterceptor})
     * and keeps its writes in its {@link DirectoryStore}; each of these was one more step, passing everything
     * on, in every operation's call chain.
     */
    private static final java.util.Set<String> NOT_IN_AD = java.util.Set.of("aciAuthorizationInterceptor",
            "administrativePointInterceptor", "collectiveAttributeInterceptor", "subentryInterceptor", "triggerInterceptor",
            "changeLogInterceptor", "journalInterceptor");
    private static final String[] INDEXED = {"objectClass", "cn", "sAMAccountName", "member", "dNSHostName", "userPrincipalName"};

    private final DomainControllerConfig config;
    private State state = State.NEW;
    private Path dataDirectory;
    private boolean temporary;
    private DefaultDirectoryService service;
    private DirectoryStore store;
    private LdapServer ldapServer;
    private LdapRequestGuard guard;
    private DomainControllerIdentity identity;
    private TokenBuilder tokens;
    /** The certificate LDAPS and StartTLS serve: the identity's self-signed one until a CA issues one. */
    private volatile KeyFiles.KeyEntry served;
    private Path servedKeystore;
    private String servedPassword;
    private SecurityIdentifier domainSid;
    private String administratorPassword;
    private int ldapPort;
    private int ldapsPort;
    private StartupTimings timings;
    private DirectoryAccessInterceptor access;

    /**
     * Where start-up time went, in milliseconds: loading the schema, starting the directory service
     * and its partitions, loading or making the DC's key and certificate, creating the forest (0 on
     * a restart), and opening the LDAP/LDAPS listeners.
     */
    public record StartupTimings(long schemaMillis, long directoryMillis, long identityMillis, long forestMillis,
                                 long networkMillis) {
        public long totalMillis() {
            return schemaMillis + directoryMillis + identityMillis + forestMillis + networkMillis;
        }
    }

    public DomainController(DomainControllerConfig config) {
        this.config = config;
    }

    /** Creates and starts a domain controller. */
    public static DomainController start(DomainControllerConfig config) {
        return new DomainController(config).start();
    }

    /**
     * Starts the directory and the LDAP listeners, creating the forest on first start.
     *
     * @throws IllegalStateException when already started or closed, or when start-up fails (everything
     *                               started so far is stopped again)
     */
    public synchronized DomainController start() {
        if (state != State.NEW) {
            throw new IllegalStateException("domain controller already " + (state == State.RUNNING ? "started" : "closed"));
        }
        try {
            temporary = config.dataDirectory() == null;
            dataDirectory = temporary ? Files.createTempDirectory("pkilab-dc-") : config.dataDirectory().toAbsolutePath();
            // the journal holds password verifiers, dc/ the DC's key and its password: the lab's account only
            org.pkilab.pki.Folders.ownerOnly(org.pkilab.pki.Folders.createOwnerOnly(dataDirectory));
            long[] marks = new long[6];
            marks[0] = System.nanoTime();
            startDirectory(marks);
            startNetwork();
            org.pkilab.pki.Folders.ownerOnly(dataDirectory);
            marks[5] = System.nanoTime();
            timings = new StartupTimings(ms(marks[0], marks[1]), ms(marks[1], marks[2]), ms(marks[2], marks[3]),
                    ms(marks[3], marks[4]), ms(marks[4], marks[5]));
            state = State.RUNNING;
            return this;
        } catch (Exception e) {
            state = State.CLOSED;
            List<Exception> cleanup = release();
            IllegalStateException failure = new IllegalStateException("domain controller " + config.hostName() + "."
                    + config.domainName() + " failed to start: " + e.getMessage(), e);
            cleanup.forEach(failure::addSuppressed);
            throw failure;
        }
    }

    private static long ms(long from, long to) {
        return (to - from) / 1_000_000;
    }

    private static SchemaManager adSchema() throws Exception {
        SchemaManager schemaManager = new DefaultSchemaManager(new AdSchemaLoader());
        if (!schemaManager.loadAllEnabled() || !schemaManager.getErrors().isEmpty()) {
            StringBuilder errors = new StringBuilder();
            for (Throwable error : schemaManager.getErrors()) {
                errors.append("\n  ").append(error.getMessage());
                if (error instanceof org.apache.directory.api.ldap.model.exception.LdapSchemaException schemaError) {
                    errors.append(' ').append(schemaError.getCode()).append(" on ").append(schemaError.getSourceObject())
                            .append(" related ").append(schemaError.getRelatedId());
                }
            }
            throw new IllegalStateException("AD schema does not load:" + errors);
        }
        return schemaManager;
    }

    /** A directory service on the DC's instance folder, with the AD schema and the domain's partition, not started. */
    private DefaultDirectoryService directoryService(SchemaManager schemaManager, DnFactory dnFactory, Partition system,
                                                    Partition domain) throws Exception {
        DefaultDirectoryService directory = new DefaultDirectoryService();
        directory.setInstanceId(config.hostName());
        directory.setInstanceLayout(new InstanceLayout(dataDirectory.resolve("directory").toFile()));
        directory.setSchemaManager(schemaManager);
        directory.setDnFactory(dnFactory);
        directory.setShutdownHookEnabled(false);
        directory.setExitVmOnShutdown(false);
        directory.setAccessControlEnabled(false);
        directory.setAllowAnonymousAccess(true);
        directory.getChangeLog().setEnabled(false);
        directory.setDenormalizeOpAttrsEnabled(true);
        // ApacheDS reads LDAP requests of any size by default (its LdapServer setting is not the one the decoder reads)
        directory.setMaxPDUSize(config.queryPolicy().maxReceiveBuffer());
        // the schema lives in the SchemaManager loaded from the class path; its partition needs no disk
        SchemaPartition schemaPartition = new SchemaPartition(schemaManager);
        schemaPartition.setWrappedPartition(new AvlPartition(schemaManager, dnFactory));
        directory.setSchemaPartition(schemaPartition);
        directory.setSystemPartition(system);
        directory.addPartition(domain);
        for (Partition partition : List.of(system, domain)) {
            if (partition instanceof InMemoryPartition memory) {
                memory.readUnder(directory.getOperationManager().getRWLock().readLock());
            }
        }
        return directory;
    }

    private void startDirectory(long[] marks) throws Exception {
        SchemaManager schemaManager = adSchema();
        marks[1] = System.nanoTime();
        Dn domainDn = new Dn(schemaManager, config.names().domain());
        if (!temporary) {
            store = keptDirectory(schemaManager, domainDn);
        }
        DnFactory dnFactory = new DefaultDnFactory(schemaManager, 10_000);
        // the directory is held in memory; a lasting lab keeps it in its DirectoryStore, which a kill cannot break
        service = directoryService(schemaManager, dnFactory, avl(schemaManager, dnFactory, "system", "ou=system"),
                avl(schemaManager, dnFactory, DOMAIN_PARTITION, config.names().domain(), INDEXED));

        access = new DirectoryAccessInterceptor();
        List<Interceptor> chain = new ArrayList<>(service.getInterceptors());
        chain.removeIf(interceptor -> NOT_IN_AD.contains(interceptor.getName()));
        int authentication = 0;
        for (int i = 0; i < chain.size(); i++) {
            if (chain.get(i).getName().equals("authenticationInterceptor")) {
                authentication = i;
            }
        }
        // access control needs the caller authenticated; the guard must see binds, which authentication does not pass on
        chain.add(authentication + 1, access);
        // before anything keeps the entry: memory, the journal, a snapshot hold the verifier, never the password
        chain.add(authentication + 2, new PasswordVerifiers());
        chain.add(authentication, new DirectoryAccessInterceptor.SystemAccountGuard());
        if (store != null) {
            // last before the partition: it records each write as it was made, before anyone is told it was
            chain.add(store.recorder());
        }
        service.setInterceptors(chain);
        service.startup();
        if (store != null) {
            store.load(service.getAdminSession());
            store.checkpoint(entries(service, DirectoryStore.attributes()));
        }

        marks[2] = System.nanoTime();
        String fqdn = fqdn();
        identity = DomainControllerIdentity.loadOrCreate(dataDirectory.resolve("dc"), fqdn, config.domainName(), config.clock());
        marks[3] = System.nanoTime();
        CoreSession admin = service.getAdminSession();
        Dn domain = new Dn(schemaManager, config.names().domain());
        Path labProperties = dataDirectory.resolve("dc").resolve("lab.properties");
        if (admin.exists(domain) && !Files.exists(labProperties)) {
            // lab.properties is written once the forest is complete: without it, the first start was cut short
            // (killed, or Ctrl-C) while the forest was being made, and what it left has no password anyone knows
            forget(admin);
        }
        if (!admin.exists(domain)) {
            administratorPassword = config.administratorPassword() != null ? config.administratorPassword() : PasswordPolicy.generate();
            domainSid = new ForestProvisioner(admin, schemaManager, config).provision(administratorPassword, identity.certificate());
            Properties props = new Properties();
            props.setProperty("administratorPassword", administratorPassword);
            props.setProperty("domain", config.domainName());
            KeyFiles.storeProperties(labProperties, props, "PKI Lab: the forest's Administrator password as set when the forest was created");
        } else {
            domainSid = SecurityIdentifier.fromBytes(admin.lookup(domain, "objectSid").get("objectSid").getBytes());
            administratorPassword = KeyFiles.loadProperties(labProperties).getProperty("administratorPassword", config.administratorPassword());
            for (String template : new ForestProvisioner(admin, schemaManager, config).addMissingDefaultTemplates(domainSid)) {
                LOG.info("default certificate template '{}' was not in this forest, made by an earlier lab; added", template);
            }
            for (String template : new ForestProvisioner(admin, schemaManager, config).registerMissingTemplateOids()) {
                LOG.warn("certificate template '{}' had no object in CN=OID (a lab stopped inside Duplicate Template); registered it", template);
            }
            publishCertificate(admin, schemaManager);
        }
        marks[4] = System.nanoTime();
        tokens = new TokenBuilder(admin, schemaManager, domain, domainSid, config.netbiosName());
        access.enforce(tokens, domain, domainSid);
        ldapServer = new LdapServer();
        ldapServer.addExtendedOperationHandler(new LogonHandler(tokens, identity.privateKey(), config.clock(), fqdn));
    }

    /**
     * Puts the DC's certificate on its computer object when the key kept in {@code dc/} is not the one
     * published there (made anew): the CA checks logon tokens against it, so from now on it takes only
     * tokens signed with the DC's present key.
     */
    private void publishCertificate(CoreSession admin, SchemaManager schema) throws Exception {
        Dn self = new Dn(schema, DomainNames.child(config.hostName(), config.names().domainControllers()));
        Entry entry = admin.lookup(self, "userCertificate");
        byte[] der = identity.certificate().getEncoded();
        if (entry != null && (entry.get("userCertificate") == null || !entry.get("userCertificate").contains(der))) {
            admin.modify(self, new org.apache.directory.api.ldap.model.entry.DefaultModification(
                    org.apache.directory.api.ldap.model.entry.ModificationOperation.REPLACE_ATTRIBUTE, "userCertificate", der));
        }
    }

    /** Deletes every entry of the domain, children first: what an interrupted forest creation left. */
    private void forget(CoreSession admin) throws Exception {
        List<Entry> entries = allEntries();
        entries.sort(Comparator.comparingInt((Entry e) -> e.getDn().size()).reversed());
        for (Entry entry : entries) {
            admin.delete(entry.getDn());
        }
    }

    private static InMemoryPartition avl(SchemaManager schema, DnFactory dnFactory, String id, String suffix, String... indexed)
            throws LdapException {
        InMemoryPartition partition = new InMemoryPartition(schema, dnFactory);
        partition.setId(id);
        partition.setSuffixDn(new Dn(schema, suffix));
        for (String attribute : indexed) {
            partition.addIndex(new AvlIndex<>(attribute));
        }
        return partition;
    }

    /**
     * The lab's kept directory; a data folder from before it, whose directory is in ApacheDS's JDBM files, is read
     * through JDBM once and kept from then on (the JDBM files stay, renamed, beside it).
     */
    private DirectoryStore keptDirectory(SchemaManager schemaManager, Dn domainDn) throws Exception {
        Path folder = dataDirectory.resolve(STORE);
        DirectoryStore kept = DirectoryStore.open(folder, schemaManager, domainDn);
        Path jdbm = dataDirectory.resolve("directory").resolve("partitions");
        if (!kept.isEmpty() || !Files.isDirectory(jdbm.resolve(DOMAIN_PARTITION))) {
            return kept;
        }
        kept.checkpoint(readJdbm(jdbm));
        kept.close();
        Files.move(jdbm, jdbm.resolveSibling("partitions.replaced-by-store"), StandardCopyOption.REPLACE_EXISTING);
        return DirectoryStore.open(folder, schemaManager, domainDn);
    }

    private List<Entry> readJdbm(Path partitions) throws Exception {
        SchemaManager schema = adSchema();
        DnFactory dnFactory = new DefaultDnFactory(schema, 10_000);
        DefaultDirectoryService jdbm = directoryService(schema, dnFactory, jdbm(schema, dnFactory, "system", "ou=system", partitions),
                jdbm(schema, dnFactory, DOMAIN_PARTITION, config.names().domain(), partitions, INDEXED));
        jdbm.startup();
        try {
            return entries(jdbm, DirectoryStore.attributes());
        } finally {
            jdbm.shutdown();
        }
    }

    private static JdbmPartition jdbm(SchemaManager schema, DnFactory dnFactory, String id, String suffix, Path folder,
                                      String... indexed) throws LdapException {
        JdbmPartition partition = new JdbmPartition(schema, dnFactory);
        partition.setId(id);
        partition.setSuffixDn(new Dn(schema, suffix));
        partition.setPartitionPath(folder.resolve(id).toUri());
        for (String attribute : indexed) {
            partition.addIndex(new JdbmIndex<>(attribute, false));
        }
        return partition;
    }

    /** Whether nothing listens on 127.0.0.1:{@code port} now (0: any free port, always free). */
    private static boolean free(int port) {
        if (port == 0) {
            return true;
        }
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private void startNetwork() throws Exception {
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
        }
        ldapServer.setTransports(ldap, ldaps);
        ldapServer.setDirectoryService(service);
        Path certificates = dataDirectory.resolve("dc");
        Optional<KeyFiles.KeyEntry> issued = KeyFiles.loadKept(certificates, SERVER_CERTIFICATE);
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
        ldapServer.setMaxSizeLimit(100_000);
        ldapServer.setMaxTimeLimit((int) config.queryPolicy().maxQueryDuration().toSeconds());
        try {
            ldapServer.start();
        } catch (Exception e) {
            // ApacheDS says only "Failed to bind an LDAP service (38,411)": find which of the two ports is taken
            List<String> taken = new java.util.ArrayList<>();
            if (!free(wantedLdap)) {
                taken.add("LDAP port " + wantedLdap + (config.ldapPort() == 0 ? " (kept in " + portsFile + " from the last start)" : ""));
            }
            if (!free(wantedLdaps)) {
                taken.add("LDAPS port " + wantedLdaps + (config.ldapsPort() == 0 ? " (kept in " + portsFile + " from the last start)" : ""));
            }
            throw new java.io.IOException(taken.isEmpty() ? "cannot listen on 127.0.0.1 for LDAP and LDAPS: " + e.getMessage()
                    : "cannot listen on 127.0.0.1: " + String.join(" and ", taken) + (taken.size() == 1 ? " is" : " are")
                    + " in use by another program; stop it, or choose another port", e);
        }
        guard = new LdapRequestGuard(config.queryPolicy());
        for (TcpTransport transport : List.of(ldap, ldaps)) {
            answerOnTheIoThreads(transport);
            transport.getAcceptor().getFilterChain().addBefore("codec", "requestGuard", guard);
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

    /** How many searches of many filter terms the DC is answering on their own threads now (for tests). */
    int costlySearchesRunning() {
        return guard == null ? 0 : guard.costlySearchesRunning();
    }

    private void requireRunning() {
        if (state != State.RUNNING) {
            throw new IllegalStateException("domain controller is " + (state == State.NEW ? "not started" : "closed"));
        }
    }

    public DomainControllerConfig config() {
        return config;
    }

    public DomainNames names() {
        return config.names();
    }

    public String domainName() {
        return config.domainName();
    }

    /** The DC's FQDN, {@code dc01.contoso.com}: the name in its certificate. */
    public String fqdn() {
        return config.hostName().toLowerCase() + "." + config.domainName();
    }

    public int ldapPort() {
        requireRunning();
        return ldapPort;
    }

    public int ldapsPort() {
        requireRunning();
        return ldapsPort;
    }

    /** {@code ldap://127.0.0.1:<port>}. */
    public String ldapUrl() {
        return "ldap://127.0.0.1:" + ldapPort();
    }

    /** {@code ldaps://127.0.0.1:<port>}. */
    public String ldapsUrl() {
        return "ldaps://127.0.0.1:" + ldapsPort();
    }

    public String administratorDn() {
        return names().user("Administrator");
    }

    public String administratorPassword() {
        requireRunning();
        return administratorPassword;
    }

    public SecurityIdentifier domainSid() {
        requireRunning();
        return domainSid;
    }

    /**
     * The certificate the DC signs logon tokens with, published on its computer object (the part the KDC's
     * key plays on Windows). LDAPS serves it too until a CA issues the DC a certificate.
     */
    public X509Certificate certificate() {
        requireRunning();
        return identity.certificate();
    }

    /**
     * The certificate chain LDAPS and StartTLS serve, leaf first: the DC's self-signed {@link #certificate()}
     * until {@link #useServerCertificate} is given one a CA issued, as a Windows DC without AD CS serves none
     * of a CA's.
     */
    public List<X509Certificate> serverCertificateChain() {
        requireRunning();
        return List.of(served.chain());
    }

    /**
     * The logon token of the DC's own computer account ({@code DC01$}): what LocalSystem on a Windows DC holds
     * when it enrolls for its certificate. A member of Domain Controllers by its primary group.
     */
    public LogonToken machineToken() {
        requireRunning();
        try {
            return tokens.tokenFor(new Dn(service.getSchemaManager(), DomainNames.child(config.hostName(), names().domainControllers())),
                    config.clock().instant(), fqdn());
        } catch (LdapException e) {
            throw new IllegalStateException("the DC could not make the logon token of " + config.hostName() + "$: " + e.getMessage(), e);
        }
    }

    /**
     * Serves {@code chain} (leaf first, with the issuing CA) on LDAPS and StartTLS from the next handshake on,
     * without a restart, and keeps it in the data folder so that a restart serves it again: what a Windows DC
     * does once autoenrollment puts a Kerberos Authentication certificate in its {@code LocalMachine\My} store.
     * Connections already open keep the certificate they were made with.
     *
     * @throws IllegalArgumentException when the key is not the leaf's, or the leaf names neither the DC's FQDN
     *                                  nor has Server Authentication
     */
    public synchronized void useServerCertificate(PrivateKey key, List<X509Certificate> chain) {
        requireRunning();
        if (chain.isEmpty() || !KeyFiles.belongTogether(key, chain.get(0))) {
            throw new IllegalArgumentException("the key is not the one certified for " + fqdn()
                    + (chain.isEmpty() ? ": no certificate" : ": " + chain.get(0).getSubjectX500Principal()));
        }
        X509Certificate leaf = chain.get(0);
        try {
            List<String> purposes = leaf.getExtendedKeyUsage();
            if (purposes != null && !purposes.contains("1.3.6.1.5.5.7.3.1")) {
                throw new IllegalArgumentException("the certificate for " + fqdn() + " lacks Server Authentication: EKU " + purposes);
            }
            if (!namesHost(leaf)) {
                throw new IllegalArgumentException("the certificate " + leaf.getSubjectX500Principal() + " does not name " + fqdn()
                        + " among its DNS names");
            }
            Path certificates = dataDirectory.resolve("dc");
            KeyFiles.KeyEntry entry = new KeyFiles.KeyEntry(key, chain.toArray(new X509Certificate[0]));
            KeyFiles.keep(certificates, SERVER_CERTIFICATE, entry);
            servedKeystore = certificates.resolve(SERVER_CERTIFICATE + ".p12");
            servedPassword = KeyFiles.keptPassword(certificates, SERVER_CERTIFICATE);
            ldapServer.setKeystoreFile(servedKeystore.toString());
            ldapServer.setCertificatePassword(servedPassword);
            ldapServer.reloadSslContext();
            served = entry;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("the DC could not serve the certificate " + leaf.getSubjectX500Principal() + ": "
                    + e.getMessage(), e);
        } catch (Exception e) {
            throw new IllegalStateException("LDAPS could not load the certificate " + leaf.getSubjectX500Principal() + ": "
                    + e.getMessage(), e);
        }
    }

    private boolean namesHost(X509Certificate leaf) throws java.security.cert.CertificateParsingException {
        if (leaf.getSubjectAlternativeNames() != null) {
            for (List<?> name : leaf.getSubjectAlternativeNames()) {
                if (Integer.valueOf(2).equals(name.get(0)) && fqdn().equalsIgnoreCase(String.valueOf(name.get(1)))) {
                    return true;
                }
            }
        }
        return false;
    }

    public Path dataDirectory() {
        requireRunning();
        return dataDirectory;
    }

    /** Where the last start-up spent its time. */
    public StartupTimings startupTimings() {
        requireRunning();
        return timings;
    }

    /** The DC's own session, past access control and the network: for the directory's tests of its storage. */
    CoreSession systemSession() {
        requireRunning();
        return service.getAdminSession();
    }

    /**
     * Copies every entry of the domain, configuration included (passwords, security descriptors and
     * the RID counter too), so that a test can {@link #restore(DirectorySnapshot)} the directory to
     * this point.
     */
    public synchronized DirectorySnapshot snapshot() {
        requireRunning();
        try {
            // the RID counter as it stands, so accounts created after a restore get the same SIDs again
            access.returnUnusedRids(service.getAdminSession());
            List<Entry> entries = allEntries();
            entries.sort(Comparator.comparingInt(e -> e.getDn().size()));
            return new DirectorySnapshot(entries);
        } catch (Exception e) {
            throw new IllegalStateException("snapshot of " + names().domain() + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Puts the directory back as it was when {@code snapshot} was taken, touching only what differs:
     * deletes entries created since (children first), adds back entries deleted since (parents first),
     * and replaces or removes the attributes that changed. The writes go through the directory's
     * operation chain like any LDAP write, so persistent searches (the CA's template watch) hear of them.
     *
     * @return what had to change, and how long it took
     */
    public synchronized DirectorySnapshot.Restored restore(DirectorySnapshot snapshot) {
        requireRunning();
        long start = System.nanoTime();
        CoreSession admin = service.getAdminSession();
        Map<String, Entry> wanted = snapshot.entries();
        int deleted = 0;
        int added = 0;
        int modified = 0;
        try {
            Map<String, Entry> current = new HashMap<>();
            List<Entry> extra = new ArrayList<>();
            for (Entry entry : allEntries()) {
                current.put(entry.getDn().getNormName(), entry);
                if (!wanted.containsKey(entry.getDn().getNormName())) {
                    extra.add(entry);
                }
            }
            extra.sort(Comparator.comparingInt((Entry e) -> e.getDn().size()).reversed());
            for (Entry entry : extra) {
                admin.delete(entry.getDn());
                deleted++;
            }
            for (Map.Entry<String, Entry> was : wanted.entrySet()) {
                Entry now = current.get(was.getKey());
                if (now == null) {
                    admin.add(was.getValue().clone());
                    added++;
                    continue;
                }
                List<Modification> changes = differences(now, was.getValue());
                if (!changes.isEmpty()) {
                    admin.modify(now.getDn(), changes);
                    modified++;
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("restore of " + names().domain() + " failed after " + deleted + " deletes, " + added
                    + " adds and " + modified + " modifies: " + e.getMessage(), e);
        }
        return new DirectorySnapshot.Restored(deleted, added, modified, Duration.ofNanos(System.nanoTime() - start));
    }

    /** The modifications that turn {@code now} back into {@code was}: whole attributes replaced or removed. */
    private static List<Modification> differences(Entry now, Entry was) {
        List<Modification> changes = new ArrayList<>();
        for (Attribute before : was) {
            Attribute after = now.get(before.getAttributeType());
            if (after == null || !DirectorySnapshot.sameValues(before, after)) {
                changes.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, before.clone()));
            }
        }
        for (Attribute after : now) {
            if (!was.containsAttribute(after.getAttributeType())) {
                changes.add(new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, new DefaultAttribute(after.getAttributeType())));
            }
        }
        return changes;
    }

    private List<Entry> allEntries() throws Exception {
        return entries(service, "*");
    }

    private List<Entry> entries(DefaultDirectoryService directory, String... attributes) throws Exception {
        List<Entry> entries = new ArrayList<>();
        SchemaManager schema = directory.getSchemaManager();
        Dn domain = new Dn(schema, names().domain());
        if (!directory.getAdminSession().exists(domain)) {
            return entries;
        }
        try (Cursor<Entry> cursor = directory.getAdminSession().search(domain, SearchScope.SUBTREE,
                FilterParser.parse(schema, "(objectClass=*)"), AliasDerefMode.NEVER_DEREF_ALIASES, attributes)) {
            while (cursor.next()) {
                entries.add(cursor.get());
            }
        }
        return entries;
    }

    /** Stops the listeners and the directory; deletes a temporary lab's folder. Never throws. */
    @Override
    public synchronized void close() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        release();
    }

    private List<Exception> release() {
        List<Exception> failures = new ArrayList<>();
        if (access != null && service != null && service.isStarted()) {
            try {
                access.returnUnusedRids(service.getAdminSession());
            } catch (Exception e) {
                failures.add(e); // the pool's unused RIDs are skipped after the restart, as after a crash
            }
        }
        if (ldapServer != null && ldapServer.isStarted()) {
            try {
                ldapServer.stop();
            } catch (Exception e) {
                failures.add(e);
            }
        }
        if (guard != null) {
            guard.close();
        }
        if (service != null && service.isStarted()) {
            try {
                service.shutdown();
            } catch (Exception e) {
                failures.add(e);
            }
        }
        if (store != null) {
            store.close();
        }
        if (temporary && dataDirectory != null) {
            try {
                Folders.deleteTree(dataDirectory);
            } catch (IOException e) {
                failures.add(e);
            }
        }
        return failures;
    }
}
