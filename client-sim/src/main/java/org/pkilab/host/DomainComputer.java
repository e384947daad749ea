package org.pkilab.host;

import com.unboundid.ldap.sdk.LDAPConnection;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.enrollment.EnrollableTemplate;
import org.pkilab.enrollment.EnrollmentException;
import org.pkilab.enrollment.EstClient;
import org.pkilab.enrollment.PendingException;
import org.pkilab.pki.KeyFiles;
import org.pkilab.pki.LabClock;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A Windows computer joined to the lab's domain. It reaches the domain controller over LDAP and the CA
 * over EST/HTTPS and HTTP, as a real member would:
 * <ul>
 *   <li>{@link #join} creates its machine account ({@code NAME$}, password, {@code dNSHostName});</li>
 *   <li>{@link #boot} (and {@link #restart}) logs on (a new logon token, with the groups it is in now),
 *       applies Group Policy, imports the enterprise root CA into {@code LocalMachine\Root}, and runs
 *       autoenrollment when a linked GPO enables it; once its token's 10 hours are over it logs on again
 *       before it enrolls, as Windows renews the computer's ticket;</li>
 *   <li>{@link #requestCertificate} is the Certificates snap-in's "Request New Certificate";</li>
 *   <li>{@link #exportPfx} / {@link #importPfx} are its Export and Import wizards;</li>
 *   <li>{@link #get} is an HTTPS client that trusts what the computer trusts and can present a client
 *       certificate from {@code LocalMachine\My}.</li>
 * </ul>
 *
 * <p>The computer is the parts a Windows administrator names, composed: the {@link GroupPolicyClient} (logon,
 * Group Policy, {@code AEPolicy}), the {@link AutoenrollmentEngine}, {@link CertificateEnrollment} (over the lab's
 * one {@link EstClient}), its {@link CertificateStores} with the PFX wizards, and its {@link HttpsClient}.
 *
 * <pre>{@code
 * DomainComputer iis01 = new DomainComputer(config);   // IIS01, iis01.contoso.com
 * iis01.join(admin);
 * iis01.boot();
 * StoredCertificate web = iis01.requestCertificate(CertificateRequest.forTemplate("ConfigMgrWebServerCertificate")
 *         .dnsNames("server1.internal.contoso.com", "server.contoso.com"));
 * }</pre>
 */
public class DomainComputer implements AutoCloseable {

    /** The guide's "wait a few minutes": Group Policy refreshes every 90 minutes on Windows; autoenrollment every 8 hours. */
    public static final Duration AUTOENROLLMENT_INTERVAL = AutoenrollmentEngine.INTERVAL;

    private final DomainComputerConfig config;
    private final EventLog eventLog = new EventLog();
    private final HostTimings timings = new HostTimings();
    private final CertificateStores stores;
    private final HttpsClient https;
    private final GroupPolicyClient domain;
    private final CertificateEnrollment enrollment;
    private final AutoenrollmentEngine autoenrollment;
    private boolean closed;
    private final Runnable onClockAdvance = this::catchUp;

    /** A request of this computer that waits for a certificate manager, as the snap-in's Certificate Enrollment Requests folder lists it. */
    public record PendingEnrollment(long requestId, String template, String store) {
    }

    public DomainComputer(DomainComputerConfig config) {
        this.config = config;
        this.stores = new CertificateStores(config, () -> token() != null);
        this.domain = new GroupPolicyClient(config, stores.trustedRoots(), eventLog);
        config.network().register(config.dnsNames().toArray(new String[0]));
        this.https = new HttpsClient(config, stores.personal(), stores.trustedRoots(), timings);
        this.enrollment = new CertificateEnrollment(config, domain, stores.personal(), eventLog, timings, https::client);
        this.autoenrollment = new AutoenrollmentEngine(config, enrollment, stores.personal(), https.trust(), eventLog);
        if (config.clock() instanceof LabClock lab) {
            lab.whenAdvanced(onClockAdvance);
        }
    }

    /** When the lab clock jumps, the periodic refresh that would have run meanwhile runs now. */
    private void catchUp() {
        if (closed || domain.token() == null) {
            return;
        }
        try {
            gpupdate(false);
        } catch (RuntimeException e) {
            eventLog.write(config.clock().instant(), "Error", 6, EventLog.AUTOENROLLMENT,
                    "Automatic certificate enrollment for local system failed to run: " + e.getMessage());
        }
    }

    public DomainComputerConfig config() {
        return config;
    }

    public String name() {
        return config.name();
    }

    public String fqdn() {
        return config.fqdn();
    }

    public String accountDn() {
        return config.names().computer(config.name());
    }

    public CertificateStore personal() {
        return stores.personal();
    }

    public CertificateStore trustedRoots() {
        return stores.trustedRoots();
    }

    public EventLog eventLog() {
        return eventLog;
    }

    /** Where this computer's boots and enrollments spent their time, phase by phase, since it was created. */
    public HostTimings timings() {
        return timings;
    }

    /** The token from the last logon; null before the first boot. */
    public LogonToken token() {
        return domain.token();
    }

    public LabTrust trust() {
        return https.trust();
    }

    public CrlCache crlCache() {
        return https.crlCache();
    }

    /** The OCSP answers this computer keeps until their nextUpdate ({@code certutil -urlcache OCSP}). */
    public OcspCache ocspCache() {
        return https.ocspCache();
    }

    /** The autoenrollment policy value ({@code AEPolicy}) Group Policy gave the computer at its last boot; 0 = none. */
    public int autoEnrollmentPolicy() {
        return domain.autoEnrollmentPolicy();
    }

    /** Joins the domain: creates the machine account (an administrator's connection does it). */
    public DomainComputer join(DirectoryAdmin admin) {
        admin.usersAndComputers().createComputer(config.name(), config.fqdn(), config.machinePassword());
        return this;
    }

    /** Starts the computer: logon, Group Policy, trusted roots, autoenrollment. */
    public synchronized DomainComputer boot() {
        requireOpen();
        // one LDAP session for the logon and what follows it, as a computer's logon and Group Policy share one
        try (LDAPConnection ldap = timings.time(HostTimings.Phase.LOGON, domain::logOn)) {
            timings.time(HostTimings.Phase.GROUP_POLICY, () -> {
                domain.applyAtBoot(ldap);
                return null;
            });
        }
        timings.time(HostTimings.Phase.HTTPS_CLIENT, () -> {
            https.reconnect();
            return null;
        });
        if (domain.autoenrollmentEnabled()) {
            autoenroll();
        }
        return this;
    }

    /** Restarts the computer: it logs on again, so group changes made since the last boot now count. */
    public DomainComputer restart() {
        return boot();
    }

    /**
     * {@code gpupdate}: applies Group Policy again and runs autoenrollment if the policy enables it and 8 lab
     * hours have passed since it last ran (or {@code force}). The logon token is not renewed.
     */
    public synchronized void gpupdate(boolean force) {
        requireOpen();
        domain.refresh();
        if (domain.autoenrollmentEnabled() && (force || autoenrollment.due())) {
            autoenroll();
        }
    }

    // ---- enrollment ------------------------------------------------------------------------------

    /** The "Request Certificates" page: what the CA says this computer may enroll for. */
    public List<EnrollableTemplate> enrollableTemplates() {
        requireBooted();
        return enrollment.enrollableTemplates(enrollment.machine());
    }

    /**
     * "Request New Certificate": finds the template among those this computer may enroll for, refuses
     * before anything leaves the host when the template needs subject information that was not given
     * ("More information is required to enroll for this certificate"), makes a key of at least the
     * template's minimum size, enrolls over EST and installs the certificate in {@code LocalMachine\My}.
     *
     * @throws EnrollmentException when the CA refuses (its AD CS code) or the request is incomplete
     * @throws PendingException    when the certificate waits for a certificate manager
     */
    public StoredCertificate requestCertificate(CertificateRequest request) {
        requireBooted();
        return enrollment.request(enrollment.machine(), request);
    }

    /**
     * {@code certreq -retrieve ID}: sends pending request {@code requestId} again, as it was made, and installs
     * the certificate in {@code LocalMachine\My} once a certificate manager approved it.
     *
     * @throws IllegalArgumentException when this computer made no such request, or it is no longer pending here
     * @throws PendingException         while it still waits
     * @throws EnrollmentException      when the certificate manager denied it, or the CA refused it on resubmission
     */
    public synchronized StoredCertificate retrievePending(long requestId) {
        requireBooted();
        return enrollment.retrievePending(requestId);
    }

    /** The requests this computer's {@code LocalMachine} and its users made that wait for a certificate manager. */
    public synchronized List<PendingEnrollment> pendingEnrollments() {
        return enrollment.pendingEnrollments();
    }

    /** Requests this computer made that still wait for a certificate manager. */
    public List<Long> pendingRequests() {
        return enrollment.pendingRequests();
    }

    /**
     * A user logs on to this computer (with the DN of their account): they get a logon token of their own
     * and a {@code CurrentUser\My} store, and can request user certificates.
     */
    public UserSession logOnUser(String userDn, String password) {
        requireBooted();
        DomainLogon.Session session = DomainLogon.logon(config.ldapHost(), config.ldapPort(), userDn, password);
        CertificateStore store = stores.personalOf(session.token().account());
        return new UserSession(enrollment, session.token(), new Enrollee(EstClient.bearer(session.encoded()), store, session.token().account()));
    }

    /**
     * Logs on at the DC with {@code certificate} from one of this computer's stores (Schannel over LDAP: StartTLS
     * and SASL EXTERNAL), trusting the DC as {@code LocalMachine\Root} does: see {@link CertificateLogon}.
     */
    public CertificateLogon.Session logOnWithCertificate(StoredCertificate certificate) {
        requireBooted();
        return CertificateLogon.logOn(config, trust(), certificate);
    }

    /**
     * One autoenrollment run ({@code certutil -pulse}) under the computer's {@code AEPolicy}: see
     * {@link AutoenrollmentEngine#run(int)}.
     */
    public synchronized void autoenroll() {
        requireBooted();
        autoenrollment.run(domain.autoEnrollmentPolicy());
    }

    // ---- PFX ------------------------------------------------------------------------------------

    /**
     * The Certificate Export Wizard with "Yes, export the private key" and PFX: refused, as Windows does,
     * when the template did not allow the key to be exported; the password must be strong.
     */
    public void exportPfx(String thumbprint, char[] password, Path file) {
        stores.exportPfx(thumbprint, password, file);
    }

    /** The Certificate Export Wizard's PFX, as bytes: what {@link #exportPfx(String, char[], Path)} writes. */
    public byte[] exportPfx(String thumbprint, char[] password) {
        return stores.exportPfx(thumbprint, password);
    }

    /**
     * The Certificate Import Wizard: a PFX into {@code LocalMachine\My}. A wrong password, a file that is
     * not a PFX, one whose key is not its certificate's, or one asking for more password-hashing iterations
     * than {@link KeyFiles#PKCS12_ITERATION_LIMIT} is refused with the file's name and what is wrong, and
     * changes nothing: the store is written only once the whole file has been read.
     */
    public StoredCertificate importPfx(Path file, char[] password, boolean markExportable) {
        return stores.importPfx(file, password, markExportable);
    }

    /** The Certificate Import Wizard on a PFX's bytes; {@code fileName} names it in a refusal. */
    public StoredCertificate importPfx(String fileName, byte[] bytes, char[] password, boolean markExportable) {
        return stores.importPfx(fileName, bytes, password, markExportable);
    }

    // ---- TLS client ------------------------------------------------------------------------------

    /**
     * An HTTPS GET as this computer: the server's certificate must chain to {@code LocalMachine\Root},
     * name the host in the URL, carry Server Authentication and not be revoked. With {@code clientCertificate}
     * the computer presents that certificate from its store.
     */
    public HttpsResult get(String url, StoredCertificate clientCertificate) {
        requireOpen();
        return https.get(url, clientCertificate);
    }

    /** The client certificate Configuration Manager would pick: Client Authentication, from the store, valid now. */
    public Optional<StoredCertificate> clientAuthenticationCertificate() {
        return clientAuthenticationCertificate(null);
    }

    /** The same, limited to certificates from {@code template} (its name), as a site's client certificate selection criteria do. */
    public Optional<StoredCertificate> clientAuthenticationCertificate(String template) {
        return https.clientAuthenticationCertificate(template);
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException(config.name() + " is shut down");
        }
    }

    private void requireBooted() {
        requireOpen();
        if (domain.token() == null) {
            throw new IllegalStateException(config.name() + " has not booted: call boot() first");
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (config.clock() instanceof LabClock lab) {
            lab.removeListener(onClockAdvance);
        }
        https.stop();
    }

    @Override
    public String toString() {
        return config.name() + " (" + config.fqdn() + ")";
    }
}
