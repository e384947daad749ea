package org.pkilab.ca;

import org.pkilab.windows.WindowsError;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.DirectoryException;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.pki.EcKeys;
import org.pkilab.pki.Folders;
import org.pkilab.pki.KeyFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * An enterprise root certification authority in the style of AD CS: it reads its templates and their
 * security from Active Directory, issues only the templates on its "Certificate Templates to Issue"
 * list, judges rights from the requester's logon token, keeps every request in its database, and
 * publishes CRLs. EST over HTTPS and the CDP/AIA web server run on top of it ({@link CaWebServer}), which
 * reaches it only through {@link Enrollment}, {@link EnrollmentPolicySource}, {@link CaAdministration},
 * {@link CaSecurity} and {@link AccountLogon}.
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
    private static final SecureRandom SERIALS = new SecureRandom();

    private enum State { NEW, RUNNING, CLOSED }

    private final CertificationAuthorityConfig config;
    private State state = State.NEW;
    private Path dataDirectory;
    private boolean temporary;
    private CaIdentity identity;
    private CaDatabase database;
    private CaDirectory directory;
    private DirectoryAdmin templates;
    private volatile org.pkilab.directory.model.SecurityDescriptor security;
    private IssuancePolicy policy;
    private CertificateSigner signer;
    private CrlPublisher crls;
    private CaWebServer web;
    private CertificateSigner.Urls urls;
    private java.util.concurrent.ScheduledExecutorService schedule;
    /** The certificate logon tokens are signed with, read from the directory when first needed, with its key as the checks use it. */
    private volatile DomainControllerKey domainControllerKey;

    private record DomainControllerKey(X509Certificate certificate, PublicKey key) {
        static DomainControllerKey of(X509Certificate certificate) {
            // every logon token is checked against this one key: converted once, not in each check
            return new DomainControllerKey(certificate, EcKeys.own(certificate.getPublicKey()));
        }
    }
    /**
     * Tokens whose signature checked out lately: a host presents the same token for the policy and then
     * for the request, as IIS keeps the logon of a Kerberos-authenticated connection instead of checking
     * the ticket again; a signature is checked once.
     */
    private final Map<String, LogonToken> verifiedTokens = Collections.synchronizedMap(
            new LinkedHashMap<>(64, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, LogonToken> eldest) {
                    return size() > 256;
                }
            });

    public CertificationAuthority(CertificationAuthorityConfig config) {
        this.config = config;
    }

    public static CertificationAuthority start(CertificationAuthorityConfig config) {
        return new CertificationAuthority(config).start();
    }

    /**
     * Loads or creates the CA key, opens the database, publishes the CA in the directory, starts the
     * EST (HTTPS) and CDP/AIA (HTTP) servers.
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
            directory = new CaDirectory(config.ldapHost(), config.ldapPort(), config.names(), config.bindDn(), config.bindPassword());
            directory.whenDomainControllersChange(this::forgetDomainControllerKey);
            templates = DirectoryAdmin.connect(config.ldapHost(), config.ldapPort(), config.names(), config.bindDn(), config.bindPassword());
            directory.ensureCaComputer(config.hostName(), config.fqdn(), org.pkilab.directory.model.PasswordPolicy.generate());
            List<String> defaults = new ArrayList<>();
            for (String name : config.templatesToIssue()) {
                try {
                    defaults.add(templates.templates().get(name).name());
                } catch (DirectoryException e) {
                    LOG.warn("template {} to issue by default is not in the directory; skipped", name);
                }
            }
            directory.publishCertificationAuthority(config.caName(), config.hostName(), config.fqdn(), identity.certificate(), defaults);
            policy = new IssuancePolicy(templates, directory, config.caName(), identity::certificate);
            // the CDP and AIA URLs in certificates already issued name the ports: a CA started again keeps them
            Properties ports = KeyFiles.loadProperties(dataDirectory.resolve("ports.properties"));
            web = new CaWebServer(config, config.httpPort() != 0 ? config.httpPort() : Integer.parseInt(ports.getProperty("http", "0")),
                    config.httpsPort() != 0 ? config.httpsPort() : Integer.parseInt(ports.getProperty("https", "0")), webServices());
            web.bind();
            String base = "http://" + config.fqdn() + ":" + web.httpPort() + "/CertEnroll/";
            urls = new CertificateSigner.Urls(base + config.caName() + ".crl", base + config.caName() + "+.crl",
                    base + config.fqdn() + "_" + config.caName() + ".crt");
            signer = new CertificateSigner(identity.privateKey(), identity.certificate(), urls);
            crls = new CrlPublisher(database, identity.privateKey(), identity.certificate(), config.clock(),
                    config.crlPeriod(), config.deltaCrlPeriod(), urls.deltaCrl(),
                    (der, delta) -> directory.publishCrl(config.caName(), config.hostName(), der, delta));
            crls.current(false);
            // running from here on: the web server's own certificate is issued and recorded like any other
            state = State.RUNNING;
            web.start(serverCertificate());
            keepPorts();
            Folders.ownerOnly(dataDirectory);
            directory.publishEnrollmentServer(config.caName(), estBaseUrl());
            // publish CRLs when due by the lab clock even if nobody downloads them, as AD CS's schedule does
            schedule = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, config.caName() + " CRL schedule");
                t.setDaemon(true);
                return t;
            });
            schedule.scheduleWithFixedDelay(this::publishIfDue, 30, 30, java.util.concurrent.TimeUnit.SECONDS);
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

    /** The web server's TLS certificate: issued by this CA to its own host name, kept across restarts. */
    private KeyFiles.KeyEntry serverCertificate() throws Exception {
        return WebServerCertificate.loadOrIssue(dataDirectory.resolve("web.p12"), config.fqdn(), this);
    }

    /** What the web server's adapters may call: the narrow interfaces, each served by this CA's parts. */
    private CaWebServer.Services webServices() {
        Enrollment enrollment = new Enrollment() {
            @Override
            public EnrollmentResult submit(EnrollmentRequest request) {
                return CertificationAuthority.this.submit(request);
            }

            @Override
            public Optional<EnrollmentResult> previous(LogonToken requester, String label, byte[] csr) {
                return CertificationAuthority.this.previous(requester, label, csr);
            }

            @Override
            public LogonToken holderOf(X509Certificate certificate) {
                return tokenForHolderOf(certificate);
            }

            @Override
            public Optional<String> templateOf(X509Certificate certificate) {
                return Optional.ofNullable(CertificationAuthority.this.templateOf(certificate));
            }
        };
        EnrollmentPolicySource policySource = new EnrollmentPolicySource() {
            @Override
            public Optional<CertificateTemplate> template(String label) {
                return CertificationAuthority.this.template(label);
            }

            @Override
            public List<CertificateTemplate> enrollableTemplates(LogonToken token) {
                return CertificationAuthority.this.enrollableTemplates(token);
            }
        };
        AccountLogon logon = new AccountLogon() {
            @Override
            public LogonToken logon(String account, String password) {
                return CertificationAuthority.this.logon(account, password);
            }

            @Override
            public LogonToken verify(String encodedToken) {
                return CertificationAuthority.this.verify(encodedToken);
            }
        };
        return new CaWebServer.Services(this::certificate, enrollment, policySource, this,
                new CaSecurity(config.caName(), this::security), logon, this::crlBytes);
    }

    // ---- enrollment ------------------------------------------------------------------------------

    /**
     * Runs a request through the policy module and, when it passes, signs and records it. Every request
     * is recorded, refused ones included, before the answer is returned, as AD CS lists refused requests
     * under Failed Requests.
     *
     * @throws CaException when the input is not a request at all: the CSR is not PKCS #10 (or its key
     *                     cannot be read), or the label cannot be a template name. Nothing is recorded then,
     *                     as there is no request to record.
     */
    public EnrollmentResult submit(EnrollmentRequest request) {
        requireRunning();
        long start = System.nanoTime();
        IssuancePolicy.Evaluation evaluation = policy.evaluate(new IssuanceContext(request, config.clock().instant()));
        counters.policyNanos.add(System.nanoTime() - start);
        IssuanceContext ctx = evaluation.context();
        Decision decision = evaluation.decision();
        if (!evaluation.request()) {
            throw new CaException(decision);
        }
        String template = ctx.template == null ? String.valueOf(request.templateLabel()) : ctx.template.name();
        try {
            return switch (decision.outcome()) {
                case DENY -> record(request, template, malformed(decision) ? RequestStatus.FAILED : RequestStatus.DENIED,
                        decision.error().hresult(), dispositionFor(decision), requestedSubject(ctx), null, null, ctx, decision);
                case PENDING -> record(request, template, RequestStatus.PENDING, 0, "Taken Under Submission", requestedSubject(ctx),
                        null, null, ctx, decision);
                case CONTINUE -> issue(ctx, template);
            };
        } finally {
            counters.requests.increment();
            counters.processingNanos.add(System.nanoTime() - start);
        }
    }

    private static String requestedSubject(IssuanceContext ctx) {
        return ctx.csr == null ? null : RequestedNames.recordable(ctx.csr.getSubject());
    }

    private static boolean malformed(Decision decision) {
        return decision.error() == WindowsError.CRYPT_E_ASN1_BADTAG || decision.error() == WindowsError.NTE_BAD_SIGNATURE;
    }

    private static String dispositionFor(Decision decision) {
        return "Denied by Policy Module " + decision.error().windowsMessage() + " " + decision.error().code()
                + " (" + decision.error().hresult() + " " + decision.error().symbolicName() + "). " + decision.reason();
    }

    private EnrollmentResult issue(IssuanceContext ctx, String template) {
        for (int attempt = 0; ; attempt++) {
            BigInteger serial = newSerial();
            try {
                long signing = System.nanoTime();
                byte[] certificate = signer.signDer(ctx, serial);
                counters.signingNanos.add(System.nanoTime() - signing);
                counters.issued.increment();
                // the subject as signed, in RFC 4514 order, without parsing the certificate back
                return record(ctx.request, template, RequestStatus.ISSUED, 0, "Issued",
                        org.bouncycastle.asn1.x500.style.RFC4519Style.INSTANCE.toString(ctx.subject), serial, certificate, ctx, null);
            } catch (GeneralSecurityException e) {
                Decision failed = Decision.deny(WindowsError.CRYPT_E_ASN1_BADTAG, "the CA could not sign: " + e.getMessage(), "");
                return record(ctx.request, template, RequestStatus.FAILED, WindowsError.CRYPT_E_ASN1_BADTAG.hresult(),
                        "Error: " + e.getMessage(), null, null, null, ctx, failed);
            } catch (IllegalStateException e) {
                if (attempt < 3 && e.getCause() instanceof SQLException sql && sql.getMessage().contains("UNIQUE")) {
                    continue; // a serial collision: 128 random bits make this theoretical, but never reuse one
                }
                throw e;
            }
        }
    }

    private EnrollmentResult record(EnrollmentRequest request, String template, RequestStatus status, int code, String message,
                                    String subject, BigInteger serial, byte[] certificate, IssuanceContext ctx, Decision decision) {
        try {
            byte[] csr = request.csr();
            RequestRecord row = new RequestRecord(0, request.requester().account(), request.requester().distinguishedName(),
                    template, status, code, message, serial, subject, certificate, csr, ctx.now,
                    status == RequestStatus.PENDING ? null : ctx.now,
                    certificate == null ? null : ctx.notBefore, certificate == null ? null : ctx.notAfter, null, null);
            long start = System.nanoTime();
            RequestRecord recorded = database.insert(row, sha256(csr));
            counters.databaseNanos.add(System.nanoTime() - start);
            return new EnrollmentResult(recorded, decision);
        } catch (SQLException e) {
            throw new IllegalStateException("the CA database refused the record: " + e.getMessage(), e);
        }
    }

    /**
     * What an EST client that asks again with the same request for the same template gets: the
     * certificate once a pending request was approved, the denial once it was denied, "still pending"
     * meanwhile. Empty when this requester never sent this request for the template {@code label} names,
     * or when a fresh submission should be made.
     */
    public Optional<EnrollmentResult> previous(LogonToken requester, String label, byte[] csr) {
        requireRunning();
        if (!IssuancePolicy.isTemplateName(label)) {
            return Optional.empty();
        }
        try {
            Optional<RequestRecord> last = database.byCsr(requester.account(), sha256(csr));
            if (last.isEmpty() || !(last.get().template().equalsIgnoreCase(label)
                    || directory.cachedTemplateAndIssueList(config.caName(), label, templates.domainSid(), false).template()
                    .filter(t -> t.name().equalsIgnoreCase(last.get().template())).isPresent())) {
                return Optional.empty();
            }
            RequestRecord r = last.get();
            return switch (r.status()) {
                case PENDING -> Optional.of(new EnrollmentResult(r, Decision.pend("request " + r.requestId() + " is still pending")));
                case ISSUED -> Optional.of(new EnrollmentResult(r, null));
                case DENIED -> r.dispositionCode() == WindowsError.CERTSRV_E_ADMIN_DENIED_REQUEST.hresult()
                        ? Optional.of(new EnrollmentResult(r, Decision.deny(WindowsError.CERTSRV_E_ADMIN_DENIED_REQUEST,
                        "request " + r.requestId() + " was " + r.dispositionMessage(), "submit a new request")))
                        : Optional.empty();
                default -> Optional.empty();
            };
        } catch (SQLException e) {
            throw new IllegalStateException("the CA database could not be read: " + e.getMessage(), e);
        }
    }

    /**
     * The CA's performance counters since it started, as AD CS keeps them in its "Certification
     * Authority" performance object: requests processed and certificates issued, "Request processing
     * time", "Request policy module processing time", "Request cryptographic signing time", and the time
     * the database took: writing each request to the transaction log before the answer leaves, and moving
     * logged requests into the tables in the background.
     */
    public record PerformanceCounters(long requests, long issued, long processingNanos, long policyModuleNanos, long signingNanos,
                                      long databaseLogNanos, long databaseTablesNanos) {
        /** A counter as Performance Monitor shows it: milliseconds per request. */
        public double perRequestMillis(long nanos) {
            return requests == 0 ? 0 : nanos / 1e6 / requests;
        }
    }

    private static final class Counters {
        final java.util.concurrent.atomic.LongAdder requests = new java.util.concurrent.atomic.LongAdder();
        final java.util.concurrent.atomic.LongAdder issued = new java.util.concurrent.atomic.LongAdder();
        final java.util.concurrent.atomic.LongAdder processingNanos = new java.util.concurrent.atomic.LongAdder();
        final java.util.concurrent.atomic.LongAdder policyNanos = new java.util.concurrent.atomic.LongAdder();
        final java.util.concurrent.atomic.LongAdder signingNanos = new java.util.concurrent.atomic.LongAdder();
        final java.util.concurrent.atomic.LongAdder databaseNanos = new java.util.concurrent.atomic.LongAdder();
    }

    private final Counters counters = new Counters();

    public PerformanceCounters performanceCounters() {
        requireRunning();
        return new PerformanceCounters(counters.requests.sum(), counters.issued.sum(), counters.processingNanos.sum(),
                counters.policyNanos.sum(), counters.signingNanos.sum(), counters.databaseNanos.sum(), database.tablesNanos());
    }

    // ---- administration --------------------------------------------------------------------------

    /** Issue (approve) a pending request: it goes through the policy module again, past the approval step. */
    public EnrollmentResult approve(long requestId, String approver) {
        RequestRecord pending = pendingRecord(requestId);
        LogonToken requester = new LogonToken(pending.requester(), pending.requesterDn(),
                directory.account(pending.requesterDn()).sid(), List.of(), config.clock().instant(), config.fqdn());
        IssuanceContext submitted = new IssuanceContext(new EnrollmentRequest(requester, pending.template(), pending.csr(), false, null),
                config.clock().instant());
        submitted.approved = true;
        IssuancePolicy.Evaluation evaluation = policy.evaluate(submitted);
        IssuanceContext ctx = evaluation.context();
        Decision decision = evaluation.decision();
        try {
            if (!decision.proceeds()) {
                RequestRecord denied = database.resolve(requestId, RequestStatus.DENIED, decision.error().hresult(),
                        dispositionFor(decision), null, null, null, ctx.now, null, null);
                return new EnrollmentResult(denied, decision);
            }
            X509Certificate certificate = signer.sign(ctx, newSerial());
            RequestRecord issued = database.resolve(requestId, RequestStatus.ISSUED, 0, "Resubmitted by " + approver,
                    certificate.getSerialNumber(), certificate.getSubjectX500Principal().getName(), certificate.getEncoded(),
                    ctx.now, certificate.getNotBefore().toInstant(), certificate.getNotAfter().toInstant());
            return new EnrollmentResult(issued, null);
        } catch (SQLException | GeneralSecurityException e) {
            throw new IllegalStateException("approving request " + requestId + " failed: " + e.getMessage(), e);
        }
    }

    /** Deny a pending request ("Denied by CONTOSO\Administrator", CERTSRV_E_ADMIN_DENIED_REQUEST). */
    public RequestRecord deny(long requestId, String who) {
        pendingRecord(requestId);
        try {
            return database.resolve(requestId, RequestStatus.DENIED, WindowsError.CERTSRV_E_ADMIN_DENIED_REQUEST.hresult(), "Denied by " + who,
                    null, null, null, config.clock().instant(), null, null);
        } catch (SQLException e) {
            throw new IllegalStateException("denying request " + requestId + " failed: " + e.getMessage(), e);
        }
    }

    private RequestRecord pendingRecord(long requestId) {
        requireRunning();
        RequestRecord r = request(requestId).orElseThrow(() -> new CaException(WindowsError.CERTSRV_E_NO_REQUEST,
                "there is no request " + requestId + " in " + config.caName() + "'s database"));
        if (r.status() != RequestStatus.PENDING) {
            throw new CaException(WindowsError.CERTSRV_E_BAD_REQUESTSTATUS, "request " + requestId + " is " + r.status().consoleText()
                    + ", not pending");
        }
        return r;
    }

    /** Revokes an issued certificate and publishes new CRLs ("Revoked by ..."). */
    public RequestRecord revoke(BigInteger serial, RevocationReason reason, String who) {
        requireRunning();
        try {
            RequestRecord r = database.bySerial(serial).orElseThrow(() -> new CaException(WindowsError.CERTSRV_E_NO_REQUEST,
                    "no certificate with serial " + serial.toString(16) + " was issued by " + config.caName()));
            if (r.status() != RequestStatus.ISSUED) {
                throw new CaException(WindowsError.CERTSRV_E_BAD_REQUESTSTATUS, "certificate " + serial.toString(16) + " is "
                        + r.status().consoleText() + "; only issued certificates can be revoked");
            }
            database.revoke(serial, reason, config.clock().instant(), who);
            crls.publishNow();
            LOG.info("{} revoked {} ({}) by {}", config.caName(), serial.toString(16), reason, who);
            return database.bySerial(serial).orElseThrow();
        } catch (SQLException | GeneralSecurityException e) {
            throw new IllegalStateException("revoking " + serial.toString(16) + " failed: " + e.getMessage(), e);
        }
    }

    public Optional<RequestRecord> request(long requestId) {
        try {
            return database.byId(requestId);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public Optional<RequestRecord> bySerial(BigInteger serial) {
        try {
            return database.bySerial(serial);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
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
        try {
            return database.count();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * One page of a console folder: at most {@code limit} requests in one of {@code statuses} with an id over
     * {@code afterRequestId}, oldest first, as {@code certutil -view} pages through a large database.
     */
    public List<RequestRecord> requests(long afterRequestId, int limit, RequestStatus... statuses) {
        requireRunning();
        try {
            return database.byStatus(afterRequestId, limit, statuses);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private List<RequestRecord> list(RequestStatus... statuses) {
        requireRunning();
        try {
            return database.byStatus(statuses);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** "Certificate Template to Issue": adds a template (by name or display name) to the issue list. */
    public void issueTemplate(String template) {
        requireRunning();
        directory.changeIssueList(config.caName(), resolveTemplate(template).name(), true);
    }

    /** Removes a template from the issue list. */
    public void stopIssuing(String template) {
        requireRunning();
        directory.changeIssueList(config.caName(), resolveTemplate(template).name(), false);
    }

    /**
     * Forgets the templates and issue list held in memory, as restarting Certificate Services does, so
     * the next request reads them from the directory. The CA's change notification does this by itself
     * a moment after a template changes; call this when "a moment after" is not good enough, as when a
     * test restores the directory and the next test enrolls at once.
     */
    public void reloadTemplates() {
        requireRunning();
        directory.invalidate();
    }

    public List<String> templatesToIssue() {
        requireRunning();
        return directory.issueList(config.caName());
    }

    private CertificateTemplate resolveTemplate(String template) {
        try {
            return templates.templates().get(template);
        } catch (DirectoryException e) {
            throw new CaException(WindowsError.CERTSRV_E_UNSUPPORTED_CERT_TYPE, "no certificate template named '" + template + "'");
        }
    }

    private void publishIfDue() {
        try {
            crls.current(false);
        } catch (Exception e) {
            LOG.warn("{}: scheduled CRL publication failed: {}", config.caName(), e.toString());
        }
    }

    /** Publishes a new base and delta CRL now ({@code certutil -crl}). */
    public X509CRL publishCrl() {
        requireRunning();
        try {
            crls.publishNow();
            return crl(false);
        } catch (SQLException | GeneralSecurityException e) {
            throw new IllegalStateException("publishing the CRL failed: " + e.getMessage(), e);
        }
    }

    /** The current base (or delta) CRL, made anew first when the lab clock says it is due. */
    public X509CRL crl(boolean delta) {
        return parseCrl(crlBytes(delta));
    }

    byte[] crlBytes(boolean delta) {
        requireRunning();
        try {
            return crls.current(delta).der();
        } catch (SQLException | GeneralSecurityException e) {
            throw new IllegalStateException("the CRL could not be made: " + e.getMessage(), e);
        }
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

    /**
     * The CA's own security, the Security tab of its properties: who may manage the CA and its certificates,
     * by SID ({@link CaSecurity#DEFAULT_SECURITY} in the domain of the CA).
     */
    org.pkilab.directory.model.SecurityDescriptor security() {
        requireRunning();
        org.pkilab.directory.model.SecurityDescriptor known = security;
        if (known == null) {
            known = security = org.pkilab.directory.model.SecurityDescriptor.parse(CaSecurity.DEFAULT_SECURITY, templates.domainSid());
        }
        return known;
    }

    /** Logs an account on at the DC (HTTP Basic on EST): its DN from the name, then its token. */
    LogonToken logon(String userName, String password) {
        String dn = directory.accountDn(userName).orElseThrow(() -> new CaException(WindowsError.ERROR_LOGON_FAILURE,
                "no account '" + userName + "' in " + config.names().dnsName()));
        try {
            return DomainLogon.logon(config.ldapHost(), config.ldapPort(), dn, password).token();
        } catch (DirectoryException e) {
            throw new CaException(WindowsError.ERROR_LOGON_FAILURE, "logon of " + userName + " failed: " + e.getMessage());
        }
    }

    /**
     * Verifies a logon token a host obtained from the DC, as a service checks a Kerberos ticket: signed by
     * the DC's current key, within its lifetime on the lab clock, and naming an account that still exists
     * (the same one: same SID) and is not disabled. The signature is checked against the DC's certificate
     * as last read from the directory, read again when the DC's object changes or the DC goes away (it may
     * return with another key, and then no token it signed before counts); a token that does not verify is
     * checked once more against the certificate the directory holds now, in case the DC has a new one.
     * The groups are the token's own: as on Windows, a membership change counts from the next logon.
     */
    LogonToken verify(String encodedToken) {
        LogonToken token = signedByTheDc(encodedToken);
        Instant now = config.clock().instant();
        if (token.expiredAt(now)) {
            throw new CaException(WindowsError.ERROR_LOGON_FAILURE, "the logon token of " + token.account() + " expired at " + token.expiresAt()
                    + " (issued " + token.issuedAt() + " by " + token.logonServer() + "; a ticket lasts "
                    + LogonToken.LIFETIME.toHours() + " hours; the lab clock says " + now + "): KRB_AP_ERR_TKT_EXPIRED, "
                    + "the ticket has expired. Log " + token.account() + " on again (restart the computer) for a new one");
        }
        if (token.issuedAt().isAfter(now.plus(MAXIMUM_CLOCK_SKEW))) {
            throw new CaException(WindowsError.ERROR_LOGON_FAILURE, "the logon token of " + token.account() + " was issued at " + token.issuedAt()
                    + ", after the lab clock's " + now + ": KRB_AP_ERR_TKT_NYV, the ticket is not yet valid");
        }
        java.util.Optional<CaDirectory.AccountState> account = directory.accountState(token.distinguishedName());
        if (account.isEmpty()) {
            throw new CaException(WindowsError.ERROR_LOGON_FAILURE, "the logon token names " + token.account() + " (" + token.distinguishedName()
                    + "), which no longer exists in " + config.names().dnsName() + ": KDC_ERR_C_PRINCIPAL_UNKNOWN");
        }
        if (!account.get().sid().equals(token.sid())) {
            throw new CaException(WindowsError.ERROR_LOGON_FAILURE, "the logon token names " + token.account() + " with SID " + token.sid() + ", but "
                    + token.distinguishedName() + " is now another account (SID " + account.get().sid()
                    + "): the account the token was issued to was deleted: KDC_ERR_C_PRINCIPAL_UNKNOWN");
        }
        if (account.get().disabled()) {
            throw new CaException(WindowsError.ERROR_LOGON_FAILURE, "the account " + token.account() + " is disabled (userAccountControl 0x"
                    + Integer.toHexString(account.get().userAccountControl()) + " holds ACCOUNTDISABLE 0x2): KDC_ERR_CLIENT_REVOKED, "
                    + "the account is disabled. Enable it in Active Directory Users and Computers and log it on again");
        }
        return token;
    }

    /** Kerberos' default tolerance for clocks that differ (5 minutes). */
    private static final java.time.Duration MAXIMUM_CLOCK_SKEW = java.time.Duration.ofMinutes(5);

    private LogonToken signedByTheDc(String encodedToken) {
        LogonToken checked = verifiedTokens.get(encodedToken);
        if (checked != null) {
            return checked;
        }
        DomainControllerKey known = domainControllerKey;
        if (known == null) {
            known = DomainControllerKey.of(directory.domainControllerCertificate());
            if (directory.domainControllersWatched()) {
                domainControllerKey = known;
            }
        }
        try {
            LogonToken token = LogonToken.decode(encodedToken, known.key());
            synchronized (verifiedTokens) {
                // under the lock the key is forgotten with: a token checked against a key forgotten meanwhile is not kept
                if (domainControllerKey == known) {
                    verifiedTokens.put(encodedToken, token);
                }
            }
            return token;
        } catch (IllegalArgumentException e) {
            X509Certificate now = directory.domainControllerCertificate();
            if (!now.equals(known.certificate())) {
                forgetDomainControllerKey();
                return signedByTheDc(encodedToken);
            }
            throw new CaException(WindowsError.ERROR_LOGON_FAILURE, e.getMessage());
        }
    }

    /** The DC's object changed, or the DC went away: tokens are checked against its certificate as read anew. */
    private void forgetDomainControllerKey() {
        synchronized (verifiedTokens) {
            domainControllerKey = null;
            verifiedTokens.clear();
        }
    }

    /** The current token of the account that holds {@code certificate}, for renewal (S4U2Self at the DC). */
    LogonToken tokenForHolderOf(X509Certificate certificate) {
        // the database, not the TLS layer, says what this CA issued: a certificate is one of ours only when it is the very one recorded
        RequestRecord r = bySerial(certificate.getSerialNumber()).filter(issued -> sameCertificate(issued, certificate))
                .orElseThrow(() -> new CaException(WindowsError.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, "the TLS client certificate '"
                        + RequestedNames.printable(certificate.getSubjectX500Principal().getName()) + "' (issuer '"
                        + RequestedNames.printable(certificate.getIssuerX500Principal().getName()) + "', serial "
                        + certificate.getSerialNumber().toString(16) + ") was not issued by " + config.caName()
                        + "; re-enrollment authenticates only with a certificate this CA issued"));
        if (r.status() != RequestStatus.ISSUED) {
            throw new CaException(WindowsError.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, "certificate " + r.serialHex() + " is "
                    + r.status().consoleText() + " and cannot authenticate a renewal");
        }
        if (certificate.getNotAfter().toInstant().isBefore(config.clock().instant())) {
            throw new CaException(WindowsError.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, "certificate " + r.serialHex() + " expired on "
                    + certificate.getNotAfter().toInstant() + "; enroll anew with the account's credentials");
        }
        return DomainLogon.logonOnBehalfOf(config.ldapHost(), config.ldapPort(), config.bindDn(),
                config.bindPassword(), r.requesterDn()).token();
    }

    private static boolean sameCertificate(RequestRecord issued, X509Certificate presented) {
        try {
            return issued.certificate() != null && java.util.Arrays.equals(issued.certificate(), presented.getEncoded());
        } catch (java.security.cert.CertificateEncodingException e) {
            return false;
        }
    }

    String templateOf(X509Certificate certificate) {
        return bySerial(certificate.getSerialNumber()).map(RequestRecord::template).orElse(null);
    }

    /** A template by name or display name, from the CA's template cache; empty when the directory has none. */
    Optional<CertificateTemplate> template(String label) {
        requireRunning();
        return directory.cachedTemplateAndIssueList(config.caName(), label, templates.domainSid(), false).template();
    }

    /** The templates this token may enroll for on this CA, with what a client needs to know to ask. */
    List<CertificateTemplate> enrollableTemplates(LogonToken token) {
        CaDirectory.TemplatesAndIssueList all = directory.cachedTemplatesAndIssueList(config.caName(), templates.domainSid());
        List<String> issued = all.issueList();
        List<CertificateTemplate> result = new ArrayList<>();
        for (CertificateTemplate t : all.templates()) {
            if (issued.stream().anyMatch(t.name()::equalsIgnoreCase) && t.securityDescriptor() != null
                    && t.securityDescriptor().check(token.sids(), org.pkilab.directory.model.AccessRight.ENROLL).granted()) {
                result.add(t);
            }
        }
        return result;
    }

    /** Signs the CA's own web-server certificate through the normal pipeline's signer and records it. */
    X509Certificate issueOwnServerCertificate(java.security.PublicKey key, String fqdn) throws GeneralSecurityException {
        CertificateTemplate web = resolveTemplate("WebServer");
        LogonToken self = new LogonToken(config.names().defaultNetbiosName() + "\\" + config.hostName() + "$",
                config.names().computer(config.hostName()), directory.account(config.names().computer(config.hostName())).sid(),
                List.of(), config.clock().instant(), config.fqdn());
        IssuanceContext ctx = new IssuanceContext(new EnrollmentRequest(self, web.name(), new byte[0], false, null), config.clock().instant());
        ctx.template = web;
        ctx.publicKey = key;
        ctx.subject = new org.bouncycastle.asn1.x500.X500Name("CN=" + fqdn);
        ctx.subjectAltNames.add(new org.bouncycastle.asn1.x509.GeneralName(org.bouncycastle.asn1.x509.GeneralName.dNSName, fqdn));
        ctx.notBefore = ctx.now.minus(java.time.Duration.ofMinutes(10)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Instant end = ctx.now.plus(web.validity()).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        ctx.notAfter = end.isAfter(identity.certificate().getNotAfter().toInstant()) ? identity.certificate().getNotAfter().toInstant() : end;
        BigInteger serial = newSerial();
        byte[] certificate = signer.signDer(ctx, serial);
        record(ctx.request, web.name(), RequestStatus.ISSUED, 0, "Issued", "CN=" + fqdn, serial, certificate, ctx, null);
        return certificate(certificate);
    }

    private static BigInteger newSerial() {
        byte[] bytes = new byte[16];
        SERIALS.nextBytes(bytes);
        bytes[0] = (byte) ((bytes[0] & 0x7F) | 0x40);
        return new BigInteger(bytes);
    }

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    static String sha256(byte[] data) {
        return HexFormat.of().formatHex(SHA256.get().digest(data));
    }

    static X509Certificate certificate(byte[] der) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException e) {
            throw new IllegalStateException("stored certificate does not parse", e);
        }
    }

    private static X509CRL parseCrl(byte[] der) {
        try {
            return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
        } catch (CertificateException | CRLException e) {
            throw new IllegalStateException("stored CRL does not parse", e);
        }
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
