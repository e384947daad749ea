package org.pkilab.ca;

import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.DirectoryException;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.PasswordPolicy;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.enrollment.CaRegistrySettings;
import org.pkilab.pki.Folders;
import org.pkilab.pki.LabCrypto;
import org.pkilab.pki.KeyFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * An enterprise root certification authority in the style of AD CS, as a host that starts, composes and
 * stops its parts; none of them knows it. The parts:
 * <ul>
 *   <li>{@link EnrollmentService}: the pipeline (policy module, signer, database) every protocol submits to;</li>
 *   <li>{@link LogonTokenVerifier}: who asks, from a logon token, a password or a renewal certificate;</li>
 *   <li>{@link CrlPublisher}: base and delta CRLs, on schedule and on revocation;</li>
 *   <li>{@link CaConsole}: the CA database's folders, revocation and the "Certificate Templates to Issue" list;</li>
 *   <li>the registry settings ({@link CaRegistrySettings}: {@code EditFlags}, {@code InterfaceFlags},
 *   {@code DisableExtensionList}, {@code Security}), kept in {@value #REGISTRY_FILE} in the data folder once changed,
 *   read by the enrollment pipeline at every request;</li>
 *   <li>{@link WebServerCertificate}: the web server's own certificate, enrolled through the pipeline;</li>
 *   <li>{@link OnlineResponder}: OCSP answers from the database, signed with the key of a {@link ResponderCertificate}
 *   (OCSP Response Signing, enrolled through the pipeline and renewed before it expires);</li>
 *   <li>{@link AcmeAccounts}: the ACME accounts and the external account binding keys administrators issued, in
 *   {@value AcmeAccounts#FILE} in the data folder;</li>
 *   <li>NDES: {@link ScepAdapter} (SCEP) with its {@link RaCertificates} (CEP Encryption and Exchange Enrollment Agent
 *   (Offline request), enrolled through the pipeline and renewed before they expire) and {@link ChallengePasswords},
 *   submitting as the CA host's computer account;</li>
 *   <li>{@link CaWebServer}: EST, ACME, the enrollment policy, CA administration over HTTPS, the CDP/AIA files and the
 *   Online Responder over HTTP, NDES and CMP on both (with the shared secrets of {@link CmpSecrets}, {@value CmpSecrets#FILE}),
 *   each an adapter that reaches the CA only through {@link Enrollment}, {@link EnrollmentPolicySource},
 *   {@link CaAdministration}, {@link CaSecurity} and {@link AccountLogon}.</li>
 * </ul>
 * Its public methods are the CA console's and the lab's entry points, each handing over to one part in a
 * line or two; they, not any logic, make it longer than 400 lines.
 *
 * <pre>{@code
 * try (CertificationAuthority ca = CertificationAuthority.start(config)) {
 *     EnrollmentResult r = ca.submit(EnrollmentRequest.manual(token, "WebServer", csrDer));
 *     r.status();       // ISSUED, PENDING or DENIED
 *     r.error();        // for a refusal: WindowsError.CERTSRV_E_TEMPLATE_DENIED (0x80094012) ...
 * }
 * }</pre>
 */
public final class CertificationAuthority implements AutoCloseable, CaAdministration {

    private static final Logger LOG = LoggerFactory.getLogger(CertificationAuthority.class);

    private enum State { NEW, RUNNING, CLOSED }

    /** Where a changed {@link CaRegistrySettings} is kept, in the data folder: what the CA's registry key is on Windows. */
    static final String REGISTRY_FILE = CaRegistry.FILE;

    private final CertificationAuthorityConfig config;
    private volatile State state = State.NEW;
    private Path dataDirectory;
    private boolean temporary;
    private CaIdentity identity;
    private CaDatabase database;
    private CaDirectory directory;
    private DirectoryAdmin templates;
    private CaRegistry registry;
    private CmpSecrets cmpSecrets;
    /** The parsed {@code Security} value, with the SDDL it was parsed from. */
    private volatile ParsedSecurity security;
    private CaSecurity caSecurity;
    private LogonTokenVerifier logons;
    private EnrollmentService enrollment;
    private CrlPublisher crls;
    private CaConsole console;
    private OnlineResponder responder;
    private ResponderCertificate responderKey;
    private AcmeAccounts acmeAccounts;
    private RaCertificates ndesRa;
    private ChallengePasswords ndesPasswords;
    private volatile LogonToken ndesServiceAccount;
    private CaWebServer web;
    private CertificateSigner.Urls urls;
    private ScheduledExecutorService schedule;

    public CertificationAuthority(CertificationAuthorityConfig config) {
        LabCrypto.install();
        this.config = config;
    }

    public static CertificationAuthority start(CertificationAuthorityConfig config) {
        return new CertificationAuthority(config).start();
    }

    /**
     * Loads or creates the CA key, opens the database, publishes the CA in the directory, composes the
     * parts (logon checks, enrollment pipeline, CRL publication, console), enrolls the web server's own
     * certificate through the pipeline, and starts the EST (HTTPS) and CDP/AIA (HTTP) servers.
     *
     * @throws IllegalStateException when already started or closed, or when start-up fails (all that
     *                               started is stopped again)
     */
    public synchronized CertificationAuthority start() {
        if (state != State.NEW) {
            throw new IllegalStateException("CA " + config.caName() + " already " + (state == State.RUNNING ? "started" : "closed"));
        }
        try {
            temporary = config.dataDirectory() == null;
            dataDirectory = temporary ? Files.createTempDirectory("pkilab-ca-") : config.dataDirectory().toAbsolutePath();
            // ca.db, ca.log and the keys with their passwords: the lab's account only
            Folders.ownerOnly(Folders.createOwnerOnly(dataDirectory));
            identity = CaIdentity.loadOrCreate(dataDirectory, config.caName(), config.names().domain(), 2048,
                    config.caValidity(), config.clock());
            database = CaDatabase.open(dataDirectory.resolve("ca.db"));
            registry = CaRegistry.load(dataDirectory, temporary, config.registrySettings());
            acmeAccounts = AcmeAccounts.load(dataDirectory);
            cmpSecrets = CmpSecrets.load(dataDirectory, temporary);
            directory = new CaDirectory(config.ldapHost(), config.ldapPort(), config.names(), config.bindDn(), config.bindPassword());
            logons = new LogonTokenVerifier(config.caName(), config.names(), directory, new LogonTokenVerifier.DomainController(
                    config.ldapHost(), config.ldapPort(), config.bindDn(), config.bindPassword()), config.clock(), serial -> {
                        try {
                            return database.bySerial(serial);
                        } catch (java.sql.SQLException e) {
                            throw new IllegalStateException("the CA database could not be read: " + e.getMessage(), e);
                        }
                    });
            templates = DirectoryAdmin.connect(config.ldapHost(), config.ldapPort(), config.names(), config.bindDn(), config.bindPassword());
            directory.publication().ensureCaComputer(config.hostName(), config.fqdn(), PasswordPolicy.generate());
            List<String> defaults = new ArrayList<>();
            for (String name : config.templatesToIssue()) {
                try {
                    defaults.add(templates.templates().get(name).name());
                } catch (DirectoryException e) {
                    LOG.warn("template {} to issue by default is not in the directory; skipped", name);
                }
            }
            directory.publication().publishCertificationAuthority(config.caName(), config.hostName(), config.fqdn(), identity.certificate(), defaults);
            // the CDP and AIA URLs in certificates already issued name the ports: a CA started again keeps them
            Properties ports = KeyFiles.loadProperties(dataDirectory.resolve("ports.properties"));
            web = new CaWebServer(config, config.httpPort() != 0 ? config.httpPort() : Integer.parseInt(ports.getProperty("http", "0")),
                    config.httpsPort() != 0 ? config.httpsPort() : Integer.parseInt(ports.getProperty("https", "0")));
            web.bind();
            String host = "http://" + config.fqdn() + ":" + web.httpPort();
            String base = host + "/CertEnroll/";
            urls = new CertificateSigner.Urls(base + config.caName() + ".crl", base + config.caName() + "+.crl",
                    base + config.fqdn() + "_" + config.caName() + ".crt", host + OcspAdapter.PATH);
            caSecurity = new CaSecurity(config.caName(), this::securityDescriptor, this::trusteeName);
            enrollment = new EnrollmentService(config.caName(), directory, templates.domainSid(), database, new IssuancePolicy(),
                    new CertificateSigner(identity.privateKey(), identity.certificate(), urls, () -> registry.current().ocspUrl()), identity::certificate, config.clock(),
                    config.fqdn(), caSecurity, registry::current);
            crls = new CrlPublisher(database, identity.privateKey(), identity.certificate(), config.clock(),
                    config.crlPeriod(), config.deltaCrlPeriod(), urls.deltaCrl(),
                    (der, delta) -> directory.publication().publishCrl(config.caName(), config.hostName(), der, delta));
            crls.current(false);
            console = new CaConsole(config.caName(), database, directory, templates, crls, config.clock());
            state = State.RUNNING;
            responderKey = new ResponderCertificate(dataDirectory, this::caComputerToken, identity.privateKey(),
                    identity.certificate(), enrollment, config.clock());
            responderKey.get();
            responder = new OnlineResponder(identity::certificate, responderKey, this::certificateRow, config.clock());
            ndesRa = new RaCertificates(dataDirectory, config.hostName(), this::caComputerToken, identity.certificate(), enrollment, config.clock());
            ndesPasswords = new ChallengePasswords(config.clock());
            try {
                ndesRa.encryption();
                ndesRa.signature();
            } catch (CaException e) {
                LOG.warn("{}: NDES has no RA certificates ({}); SCEP answers 503 until it has", config.caName(), e.getMessage());
            }
            web.start(WebServerCertificate.loadOrEnroll(dataDirectory.resolve("web.p12"), config.fqdn(),
                    caComputerToken(), identity.certificate(), enrollment, config.clock().instant()), webServices());
            keepPorts();
            Folders.ownerOnly(dataDirectory);
            directory.publication().publishEnrollmentServer(config.caName(), estBaseUrl());
            // publish CRLs when due by the lab clock even if nobody downloads them, as AD CS's schedule does
            schedule = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, config.caName() + " CRL schedule");
                t.setDaemon(true);
                return t;
            });
            schedule.scheduleWithFixedDelay(crls::publishIfDue, 30, 30, TimeUnit.SECONDS);
            return this;
        } catch (Exception e) {
            state = State.CLOSED;
            boolean portTaken = false;
            for (Throwable t = e; t != null; t = t.getCause()) {
                portTaken |= t instanceof java.net.BindException;
            }
            IllegalStateException failure = new IllegalStateException("CA " + config.caName() + " failed to start: " + e.getMessage()
                    + (portTaken ? ": the port is in use by another program; stop it, or choose another port" : ""), e);
            release().forEach(failure::addSuppressed);
            throw failure;
        }
    }

    /** The CA computer's own token, in whose name its web-server certificate is requested and recorded. */
    private LogonToken caComputerToken() {
        String dn = config.names().computer(config.hostName());
        return new LogonToken(config.names().defaultNetbiosName() + "\\" + config.hostName() + "$", dn, directory.account(dn).sid(),
                List.of(), config.clock().instant(), config.fqdn());
    }

    /**
     * NDES's service account: the CA computer's account, as NDES installed on the CA host with the built-in application pool
     * identity runs as it. Its token (with its groups) is taken once, as an application pool's is when it starts: a group
     * change counts after the CA restarts ({@code iisreset} on Windows).
     */
    private LogonToken ndesServiceAccount() {
        LogonToken token = ndesServiceAccount;
        if (token == null || token.expiredAt(config.clock().instant())) {
            token = logons.onBehalfOf(config.names().computer(config.hostName()));
            ndesServiceAccount = token;
        }
        return token;
    }

    private Optional<RequestRecord> certificateRow(BigInteger serial) {
        try {
            return database.bySerial(serial);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("the CA database could not be read: " + e.getMessage(), e);
        }
    }

    /** What the web server's adapters may call: the narrow interfaces, each served by one of this CA's parts. */
    private CaWebServer.Services webServices() {
        return new CaWebServer.Services(this::certificate, enrollment, enrollment, this,
                caSecurity, logons, this::crlBytes, responder, acmeAccounts, cmpSecrets,
                new ScepAdapter.Ndes(ndesRa, ndesPasswords, this::ndesServiceAccount, () -> registry.current().ndes(), config.clock()));
    }


    // ---- the parts -------------------------------------------------------------------------------

    /** The enrollment pipeline every protocol adapter submits to. */
    public EnrollmentService enrollment() {
        requireRunning();
        return enrollment;
    }

    /** See {@link EnrollmentService#submit}. */
    public EnrollmentResult submit(EnrollmentRequest request) {
        return enrollment().submit(request);
    }

    /**
     * The CA's performance counters since it started, as AD CS keeps them in its "Certification
     * Authority" performance object: the enrollment pipeline's ({@link EnrollmentService.Counters}) and
     * the time the database took moving logged requests into the tables in the background.
     */
    public record PerformanceCounters(long requests, long issued, long processingNanos, long policyModuleNanos, long signingNanos,
                                      long databaseLogNanos, long databaseTablesNanos) {
        /** A counter as Performance Monitor shows it: milliseconds per request. */
        public double perRequestMillis(long nanos) {
            return requests == 0 ? 0 : nanos / 1e6 / requests;
        }
    }

    public PerformanceCounters performanceCounters() {
        EnrollmentService.Counters c = enrollment().counters();
        return new PerformanceCounters(c.requests(), c.issued(), c.processingNanos(), c.policyModuleNanos(), c.signingNanos(),
                c.databaseLogNanos(), database.tablesNanos());
    }

    /** See {@link EnrollmentService#approve}. */
    public EnrollmentResult approve(long requestId, String approver) {
        return enrollment().approve(requestId, approver);
    }

    /** See {@link EnrollmentService#deny}. */
    public RequestRecord deny(long requestId, String who) {
        return enrollment().deny(requestId, who);
    }

    @Override
    public AcmeAccounts.ExternalAccountKey issueAcmeKey(String account, String who) {
        requireRunning();
        // the account as the DC names it, checked to exist and be enabled now: a key for nobody would bind nothing
        LogonToken token = logons.standingFor(account, "an ACME account");
        String dn = token.distinguishedName();
        String directoryAccount = token.account();
        AcmeAccounts.ExternalAccountKey key = acmeAccounts.issue(directoryAccount, dn, token.sid().toString(), who, config.clock().instant());
        LOG.info("{}: {} issued ACME external account key {} for {}", config.caName(), who, key.keyId(), directoryAccount);
        return key;
    }

    /** See {@link CaConsole#revoke}. */
    public RequestRecord revoke(BigInteger serial, RevocationReason reason, String who) {
        requireRunning();
        return console.revoke(serial, reason, who);
    }

    public Optional<RequestRecord> request(long requestId) {
        return console.request(requestId);
    }

    @Override
    public Optional<RequestRecord> bySerial(BigInteger serial) {
        return console.bySerial(serial);
    }

    public List<RequestRecord> issued() {
        return list(RequestStatus.ISSUED);
    }

    public List<RequestRecord> pending() {
        return list(RequestStatus.PENDING);
    }

    /** The console's "Failed Requests": denied and failed. */
    public List<RequestRecord> failed() {
        return list(RequestStatus.DENIED, RequestStatus.FAILED);
    }

    public List<RequestRecord> revoked() {
        return list(RequestStatus.REVOKED);
    }

    public long requestCount() {
        return console.requestCount();
    }

    /** See {@link CaConsole#requests}. */
    public List<RequestRecord> requests(long afterRequestId, int limit, RequestStatus... statuses) {
        requireRunning();
        return console.requests(afterRequestId, limit, statuses);
    }

    private List<RequestRecord> list(RequestStatus... statuses) {
        requireRunning();
        return console.list(statuses);
    }

    /** "Certificate Template to Issue": adds a template (by name or display name) to the issue list. */
    public void issueTemplate(String template) {
        requireRunning();
        console.changeIssueList(template, true);
    }

    /** Removes a template from the issue list. */
    public void stopIssuing(String template) {
        requireRunning();
        console.changeIssueList(template, false);
    }

    /**
     * Forgets the templates and issue list held in memory, as restarting Certificate Services does, so
     * the next request reads them from the directory. The CA's change notification does this by itself
     * a moment after a template changes; call this when "a moment after" is not good enough, as when a
     * test restores the directory and the next test enrolls at once.
     */
    public void reloadTemplates() {
        requireRunning();
        console.reloadTemplates();
    }

    public List<String> templatesToIssue() {
        requireRunning();
        return console.templatesToIssue();
    }

    /**
     * See {@link CaAdministration#changeRegistry}. The change is written (whole or not at all) before the CA applies it,
     * so a CA killed a moment later starts again with what it answered; a temporary CA keeps it in memory only.
     *
     * @throws IllegalStateException when the data folder cannot be written; the settings stay as they were
     */
    @Override
    public CaRegistrySettings changeRegistry(String name, String change, String who) {
        requireRunning();
        // 'responder' stands for this CA's own Online Responder, whose URL carries the port the lab gave it
        String given = CaRegistrySettings.namesOwnResponder(name, change) ? urls.ocsp() : change;
        CaRegistrySettings after = registry.update(current -> current.change(name, given));
        LOG.info("{}: {} ran certutil -setreg {} {}", config.caName(), who, CaRegistrySettings.Value.named(name).certutilName(), change);
        return after;
    }

    /**
     * Puts back a whole set of registry settings, as importing a saved copy of the CA's registry key does
     * ({@code reg import}): how a test harness resets the CA between tests. Kept as {@link #changeRegistry} keeps a change.
     *
     * @throws IllegalStateException when the data folder cannot be written; the settings stay as they were
     */
    public CaRegistrySettings restoreRegistry(CaRegistrySettings settings, String who) {
        requireRunning();
        java.util.Objects.requireNonNull(settings, "settings");
        if (!settings.equals(registry.current())) {
            registry.update(current -> settings);
            LOG.info("{}: {} restored the registry settings", config.caName(), who);
        }
        return settings;
    }

    /** Publishes a new base and delta CRL now ({@code certutil -crl}). */
    public X509CRL publishCrl() {
        requireRunning();
        return crls.publishCrl();
    }

    /** The current base (or delta) CRL, made anew first when the lab clock says it is due. */
    public X509CRL crl(boolean delta) {
        requireRunning();
        return crls.crl(delta);
    }

    byte[] crlBytes(boolean delta) {
        requireRunning();
        return crls.crlBytes(delta);
    }

    // ---- facts -----------------------------------------------------------------------------------

    public String name() {
        return config.caName();
    }

    public CertificationAuthorityConfig config() {
        return config;
    }

    public X509Certificate certificate() {
        requireRunning();
        return identity.certificate();
    }

    /**
     * A one-time SCEP challenge password, as an administrator gets one from NDES's {@code /certsrv/mscep_admin/} page.
     *
     * @throws IllegalStateException when {@value ChallengePasswords#CACHE_SIZE} unused passwords wait already ("The password cache is full")
     */
    public String ndesChallengePassword() {
        requireRunning();
        try {
            return ndesPasswords.issue();
        } catch (ChallengePasswords.CacheFull e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** NDES's SCEP URL on the CA's HTTP port, as devices are given it. */
    public String scepUrl() {
        return "http://" + config.fqdn() + ":" + web.httpPort() + ScepAdapter.PATH;
    }

    /** NDES's page where administrators get challenge passwords, on the CA's HTTPS port. */
    public String ndesAdminUrl() {
        return "https://" + config.fqdn() + ":" + web.httpsPort() + ScepAdapter.ADMIN_PATH + "/";
    }

    /** NDES's RA certificates: CEP Encryption, then Exchange Enrollment Agent (Offline request). */
    public List<X509Certificate> ndesRaCertificates() {
        requireRunning();
        return List.of(ndesRa.encryption().certificate(), ndesRa.signature().certificate());
    }

    /** The CDP, delta CDP and AIA URLs the CA writes into certificates. */
    public String crlUrl() {
        return urls.crl();
    }

    public String deltaCrlUrl() {
        return urls.deltaCrl();
    }

    public String caIssuersUrl() {
        return urls.caIssuers();
    }

    /** The certificate the Online Responder signs its answers with now: its OCSP Response Signing certificate, renewed when due. */
    public X509Certificate ocspSigningCertificate() {
        requireRunning();
        return responderKey.get().certificate();
    }

    /** The Online Responder's URL, {@code http://ca01.contoso.com:<port>/ocsp}, as the AIA of certificates names it. */
    public String ocspUrl() {
        return urls.ocsp();
    }

    /** CMP's base URL on the HTTP port, {@code http://ca01.contoso.com:<port>/.well-known/cmp}; {@code /p/<template>} after it names a template. */
    public String cmpUrl() {
        requireRunning();
        return "http://" + config.fqdn() + ":" + web.httpPort() + CmpAdapter.PATH;
    }

    public int httpsPort() {
        requireRunning();
        return web.httpsPort();
    }

    public int httpPort() {
        requireRunning();
        return web.httpPort();
    }

    /** {@code https://ca01.contoso.com:<port>/.well-known/est} (the name resolves in the lab to 127.0.0.1). */
    public String estBaseUrl() {
        return "https://" + config.fqdn() + ":" + httpsPort() + "/.well-known/est";
    }

    /** {@code https://ca01.contoso.com:<port>/acme/<template>/directory}: the CA's ACME directory for {@code template}. */
    public String acmeDirectoryUrl(String template) {
        return "https://" + config.fqdn() + ":" + httpsPort() + AcmeAdapter.PREFIX + template + "/directory";
    }

    private void keepPorts() throws IOException {
        if (temporary) {
            return;
        }
        Properties ports = new Properties();
        ports.setProperty("http", Integer.toString(web.httpPort()));
        ports.setProperty("https", Integer.toString(web.httpsPort()));
        KeyFiles.storeProperties(dataDirectory.resolve("ports.properties"), ports, "PKI Lab: the ports the CDP, AIA and EST URLs name");
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    private record ParsedSecurity(String sddl, SecurityDescriptor descriptor) {
    }

    /**
     * The CA's own security, the Security tab of its properties: who may manage the CA and its certificates and
     * request certificates, by SID: the {@code Security} registry value ({@link CaRegistrySettings#DEFAULT_SECURITY}
     * on a new CA) in the domain of the CA.
     */
    SecurityDescriptor securityDescriptor() {
        String sddl = registry.current().security();
        ParsedSecurity known = security;
        if (known == null || !known.sddl().equals(sddl)) {
            known = security = new ParsedSecurity(sddl, SecurityDescriptor.parse(sddl, templates.domainSid()));
        }
        return known.descriptor();
    }

    /** The CA's Security tab, for checks by the lab's own tools. */
    public CaSecurity security() {
        requireRunning();
        return caSecurity;
    }

    /** The kept registry values themselves, for the administration verbs that change them. */
    CaRegistry registry() {
        requireRunning();
        return registry;
    }

    /** The CA's registry values in force ({@code certutil -getreg}), kept across restarts in its data folder. */
    @Override
    public CaRegistrySettings registrySettings() {
        requireRunning();
        return registry.current();
    }

    /** The {@code CA\Security} value as SDDL, with CA_ACCESS masks. */
    @Override
    public String securitySddl() {
        return registrySettings().security();
    }

    /**
     * Ticks (or clears) "Allow" for {@code permission} for {@code account} on the CA's Security tab, as a Manage CA holder
     * does in the console or with Certipy's {@code ca -add-officer}; kept across restarts. The caller's right to do so is
     * {@link CaSecurity}'s to check first ({@link CaSecurity.Permission#MANAGE_CA}).
     *
     * @param account a user or group: {@code CONTOSO\alice}, {@code alice}, {@code Domain Users}; another domain's name, a DN, or an object that is no user, computer or group is refused (ERROR_NONE_MAPPED)
     * @param who     who made the change, for the CA's log
     * @return the new {@code Security} value
     * @throws CaException {@code ERROR_NONE_MAPPED} when no account in the domain has that name
     */
    @Override
    public String changeSecurity(String account, CaSecurity.Permission permission, boolean allow, String who) {
        requireRunning();
        org.pkilab.directory.model.SecurityIdentifier sid = trustee(account);
        org.pkilab.directory.model.SecurityIdentifier domain = templates.domainSid();
        CaRegistrySettings changed = registry.update(current -> current.withSecurity(allow
                ? CaSecurity.allow(current.security(), sid, permission, domain)
                : CaSecurity.remove(current.security(), sid, permission, domain)));
        LOG.info("{}: {} {} '{}' for {} ({})", config.caName(), who, allow ? "allowed" : "removed", permission.displayName(), account, sid);
        return changed.security();
    }

    @Override
    public CmpSecret issueCmpSecret(String account, String who) {
        requireRunning();
        String name = account.strip();
        if (name.indexOf('\\') < 0) {
            name = config.names().defaultNetbiosName() + "\\" + name;
        }
        CaDirectory.NamedAccount named = directory.requesterAccount(name);
        if (named.dn() == null) {
            throw new CaException(Decision.deny(org.pkilab.windows.WindowsError.ERROR_NONE_MAPPED, named.refusal(),
                    "name the user or computer the secret is for, as CONTOSO\\IIS01$ or IIS01$"));
        }
        // the account's token, checked to be enabled, and the account checked to be one a credential may stand for
        logons.standingFor(named.dn(), "a CMP shared secret");
        CaDirectory.Account holder = directory.account(named.dn());
        String canonical = config.names().defaultNetbiosName() + "\\" + holder.samAccountName();
        CmpSecrets.Secret secret = cmpSecrets.issue(canonical, named.dn(), holder.sid().toString(), who, config.clock().instant());
        LOG.info("{}: {} issued CMP secret {} for {}", config.caName(), who, secret.reference(), canonical);
        return new CmpSecret(secret.reference(), secret.secret(), canonical, cmpUrl());
    }

    @Override
    public void removeCmpSecret(String account, String who) {
        requireRunning();
        String name = account.strip();
        if (name.indexOf('\\') < 0) {
            name = config.names().defaultNetbiosName() + "\\" + name;
        }
        CaDirectory.NamedAccount named = directory.requesterAccount(name);
        if (named.dn() == null) {
            throw new CaException(Decision.deny(org.pkilab.windows.WindowsError.ERROR_NONE_MAPPED, named.refusal(),
                    "name the user or computer whose secret to remove, as CONTOSO\\IIS01$ or IIS01$"));
        }
        if (!cmpSecrets.remove(named.dn())) {
            throw new CaException(Decision.deny(org.pkilab.windows.WindowsError.E_INVALIDARG, name + " has no CMP secret at "
                    + config.caName(), "nothing to remove; 'pkilab cmp secret " + name + "' would issue one"));
        }
        LOG.info("{}: {} removed the CMP secret of {}", config.caName(), who, name);
    }

    @Override
    public String trusteeName(org.pkilab.directory.model.SecurityIdentifier sid) {
        if (sid.equals(org.pkilab.directory.model.SecurityIdentifier.AUTHENTICATED_USERS)) {
            return "NT AUTHORITY\\Authenticated Users";
        }
        if (sid.equals(org.pkilab.directory.model.SecurityIdentifier.EVERYONE)) {
            return "Everyone";
        }
        if (sid.equals(org.pkilab.directory.model.SecurityIdentifier.BUILTIN_ADMINISTRATORS)) {
            return "BUILTIN\\Administrators";
        }
        return directory.accountName(sid).orElse(sid.toString());
    }

    private org.pkilab.directory.model.SecurityIdentifier trustee(String account) {
        String name = account.strip();
        if (name.equalsIgnoreCase("Authenticated Users") || name.equalsIgnoreCase("NT AUTHORITY\\Authenticated Users")) {
            return org.pkilab.directory.model.SecurityIdentifier.AUTHENTICATED_USERS;
        }
        if (name.equalsIgnoreCase("Everyone")) {
            return org.pkilab.directory.model.SecurityIdentifier.EVERYONE;
        }
        if (name.equalsIgnoreCase("BUILTIN\\Administrators")) {
            // the one BUILTIN name the tab lists (trusteeName): its prefix is no domain for trusteeAccount to match
            return org.pkilab.directory.model.SecurityIdentifier.BUILTIN_ADMINISTRATORS;
        }
        CaDirectory.NamedAccount named = directory.trusteeAccount(name);
        if (named.dn() == null) {
            throw new CaException(Decision.deny(org.pkilab.windows.WindowsError.ERROR_NONE_MAPPED, named.refusal(),
                    "name it as CONTOSO\\alice, alice, alice@contoso.com or a group's name"));
        }
        return directory.account(named.dn()).sid();
    }

    private void requireRunning() {
        if (state != State.RUNNING) {
            throw new IllegalStateException("CA " + config.caName() + " is " + (state == State.NEW ? "not started" : "closed"));
        }
    }

    /** Stops the web servers and closes the database and directory connections. Never throws. */
    @Override
    public synchronized void close() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        release().forEach(e -> LOG.warn("while closing {}: {}", config.caName(), e.toString()));
    }

    private List<Exception> release() {
        List<Exception> failures = new ArrayList<>();
        if (schedule != null) {
            schedule.shutdownNow();
        }
        for (AutoCloseable part : new AutoCloseable[]{web, templates, directory, database}) {
            if (part != null) {
                try {
                    part.close();
                } catch (Exception e) {
                    failures.add(e);
                }
            }
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
