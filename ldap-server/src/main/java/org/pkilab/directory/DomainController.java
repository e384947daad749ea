package org.pkilab.directory;

import org.pkilab.directory.model.CertificateMappingSettings;
import org.pkilab.directory.model.PasswordPolicy;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.server.core.DefaultDirectoryService;
import org.apache.directory.server.core.api.CoreSession;
import org.apache.directory.server.core.api.DnFactory;
import org.apache.directory.server.core.shared.DefaultDnFactory;
import org.pkilab.directory.model.DomainNames;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.pki.Folders;
import org.pkilab.pki.KeyFiles;
import org.pkilab.pki.LabCrypto;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;

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
 *
 * <p>Its parts are their own classes: {@link DirectoryPartitions} (schema, partitions, operation chain),
 * {@link ForestProvisioner} (the forest), {@link LdapListeners} (LDAP, LDAPS, the certificate served),
 * {@link CertificateLogon} (SASL EXTERNAL logons under {@link #certificateMapping()}),
 * {@link DirectorySnapshot} (snapshot and restore). It stays about 500 lines because it is one thing:
 * the running DC's API and the start-up and shutdown order that ties those parts together.
 */
public final class DomainController implements AutoCloseable {

    private enum State { NEW, RUNNING, CLOSED }

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DomainController.class);

    private final DomainControllerConfig config;
    private State state = State.NEW;
    private Path dataDirectory;
    private boolean temporary;
    private DefaultDirectoryService service;
    private DirectoryStore store;
    private LdapListeners listeners;
    private DomainControllerIdentity identity;
    private TokenBuilder tokens;
    private SecurityIdentifier domainSid;
    private String administratorPassword;
    private StartupTimings timings;
    private DirectoryAccessInterceptor access;
    private AdObjectAttributes objects;
    private MemberOfBackLinks backLinks;
    private ConstructedAttributes constructed;
    private DirectoryPartitions partitions;
    private volatile CertificateMappingSettings certificateMapping;

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
        LabCrypto.install();
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
            listeners.start(service, identity);
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

    private void startDirectory(long[] marks) throws Exception {
        SchemaManager schemaManager = DirectoryPartitions.adSchema();
        marks[1] = System.nanoTime();
        partitions = new DirectoryPartitions(config, dataDirectory);
        Dn domainDn = new Dn(schemaManager, config.names().domain());
        Path labProperties = dataDirectory.resolve("dc").resolve("lab.properties");
        if (!temporary) {
            store = partitions.keptDirectory(schemaManager, domainDn);
            if (!store.isEmpty() && Files.notExists(labProperties)) {
                // lab.properties is written once the forest is complete: without it, the first start was cut short
                // (killed, or Ctrl-C) while the forest was being made, and what it left has no password anyone knows.
                // It is not loaded at all rather than loaded and deleted: deleting it entry by entry once failed in CI
                // on the domain's root ("it has children"), which left a lab that could never start again
                Path aside = store.discard();
                LOG.warn("the forest in {} was left half-made by a first start that was stopped (no password kept); it is made"
                        + " again from nothing, and what was kept of it is moved to {}", dataDirectory, aside);
            }
        }
        DnFactory dnFactory = new DefaultDnFactory(schemaManager, 10_000);
        // the directory is held in memory; a lasting lab keeps it in its DirectoryStore, which a kill cannot break
        service = partitions.directoryService(schemaManager, dnFactory, DirectoryPartitions.avl(schemaManager, dnFactory, "system", "ou=system"),
                DirectoryPartitions.avl(schemaManager, dnFactory, DirectoryPartitions.DOMAIN_PARTITION, config.names().domain(),
                        DirectoryPartitions.INDEXED));

        access = new DirectoryAccessInterceptor();
        DirectoryPartitions.wireOperationChain(service, access, store, config.names());
        objects = new AdObjectAttributes(config, store != null ? store.sequence() : 0);
        service.addLast(objects);
        backLinks = new MemberOfBackLinks(config, objects);
        service.addLast(backLinks);
        constructed = new ConstructedAttributes(config);
        service.addLast(constructed);
        service.addLast(new RootDseInterceptor(config, objects::highestCommittedUsn));
        service.addLast(new SchemaSubentryInterceptor(config));
        service.startup();
        if (store != null) {
            store.load(service.getAdminSession());
        }
        backLinks.adopt(service.getAdminSession(), objects.adopt(service.getAdminSession()));
        if (store != null) {
            store.checkpoint(partitions.entries(service, DirectoryStore.attributes()));
        }

        marks[2] = System.nanoTime();
        String fqdn = fqdn();
        identity = DomainControllerIdentity.loadOrCreate(dataDirectory.resolve("dc"), fqdn, config.domainName(), config.clock());
        marks[3] = System.nanoTime();
        CoreSession admin = service.getAdminSession();
        Dn domain = new Dn(schemaManager, config.names().domain());
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
        certificateMapping = temporary ? config.certificateMapping()
                : CertificateMappingFile.load(dataDirectory.resolve("dc"), config.certificateMapping());
        tokens = new TokenBuilder(admin, schemaManager, domain, domainSid, config.netbiosName());
        access.enforce(tokens, domain, domainSid);
        constructed.tokens(tokens);
        listeners = new LdapListeners(config, dataDirectory, temporary,
                new LogonHandler(tokens, identity.privateKey(), config.clock(), fqdn), () -> certificateMapping);
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

    /** How many searches of many filter terms the DC is answering on their own threads now (for tests). */
    int costlySearchesRunning() {
        return listeners == null ? 0 : listeners.costlySearchesRunning();
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
        return listeners.ldapPort();
    }

    public int ldapsPort() {
        requireRunning();
        return listeners.ldapsPort();
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
        return List.of(listeners.served().chain());
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
            listeners.serve(new KeyFiles.KeyEntry(key, chain.toArray(new X509Certificate[0])));
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

    /**
     * How the DC maps logon certificates now: its {@code StrongCertificateBindingEnforcement} and Schannel
     * {@code CertificateMappingMethods} registry values (see {@link CertificateMappingSettings}).
     */
    public CertificateMappingSettings certificateMapping() {
        requireRunning();
        return certificateMapping;
    }

    /**
     * Sets the DC's certificate-mapping registry values, as {@code reg add} on a Windows DC would: the next SASL
     * EXTERNAL bind is judged by them (connections already bound stay bound). A lasting lab keeps them in
     * {@code dc/certificate-mapping.properties} and starts with them again.
     *
     * @throws IllegalStateException when the DC is not running, or the settings cannot be kept (then nothing changed)
     */
    public synchronized void certificateMapping(CertificateMappingSettings settings) {
        requireRunning();
        java.util.Objects.requireNonNull(settings, "settings");
        if (!temporary) {
            try {
                CertificateMappingFile.store(dataDirectory.resolve("dc"), settings);
            } catch (IOException e) {
                throw new IllegalStateException(config.hostName() + " could not keep its certificate mapping settings (" + settings.describe()
                        + ") in " + dataDirectory.resolve("dc") + ": " + e.getMessage(), e);
            }
        }
        LOG.info("{}: certificate mapping set to {}", config.hostName(), settings.describe());
        certificateMapping = settings;
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
        List<Entry> current;
        try {
            current = allEntries();
        } catch (Exception e) {
            throw new IllegalStateException("restore of " + names().domain() + " failed after 0 deletes, 0 adds and 0 modifies: "
                    + e.getMessage(), e);
        }
        return backLinks.restoring(() -> snapshot.restoreInto(service.getAdminSession(), current, names().domain(), start));
    }

    private List<Entry> allEntries() throws Exception {
        return partitions.entries(service, "*");
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
        if (listeners != null) {
            listeners.stop(failures);
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
