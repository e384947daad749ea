package org.pkilab.host;

import org.pkilab.enrollment.CertsOnlyPkcs7;
import org.pkilab.enrollment.EnrollableTemplate;
import org.pkilab.enrollment.EnrollmentPolicy;
import org.pkilab.windows.WindowsError;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.http.HttpMethod;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.DirectoryException;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.DomainNames;
import org.pkilab.directory.model.GroupPolicy;
import org.pkilab.directory.model.KeyAlgorithm;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.pki.EcKeys;
import org.pkilab.pki.KeyFiles;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
    public static final Duration AUTOENROLLMENT_INTERVAL = Duration.ofHours(8);
    private static final Pattern GP_LINK = Pattern.compile("\\[LDAP://([^;\\]]+);(\\d+)\\]", Pattern.CASE_INSENSITIVE);

    private final DomainComputerConfig config;
    private final CertificateStore my;
    private final CertificateStore root;
    private final EventLog eventLog = new EventLog();
    private final HostTimings timings = new HostTimings();
    private final CrlCache crls;
    private final LabTrust trust;
    private final Map<Long, PendingRequest> pending = new LinkedHashMap<>();
    private final Map<String, CertificateStore> userStores = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile LabHttp.Client https;
    private LogonToken token;
    private String encodedToken;
    private int aePolicy;
    private String enrollmentUrl;
    private Instant lastAutoenrollment;
    private boolean closed;
    private final Runnable onClockAdvance = this::catchUp;

    /**
     * A request the CA took under submission, kept as Windows keeps it in the "Certificate Enrollment Requests"
     * store: its key and the very request, so that sending it again ({@code certreq -retrieve}) gets the
     * certificate once approved. {@code asked} is what Request New Certificate was given (null for autoenrollment):
     * asking for the same again finds this request instead of making a new one.
     */
    private record PendingRequest(String template, KeyPair key, byte[] csr, EnrollableTemplate settings, CertificateStore store,
                                  CertificateRequest asked) {
        boolean sameAs(CertificateStore in, CertificateRequest request) {
            return store == in && asked != null && (request.template().equalsIgnoreCase(template)
                    || request.template().equalsIgnoreCase(settings.displayName()))
                    && request.subject().equals(asked.subject()) && request.dnsNames().equals(asked.dnsNames())
                    && request.keySize() == asked.keySize();
        }
    }

    /** A request of this computer that waits for a certificate manager, as the snap-in's Certificate Enrollment Requests folder lists it. */
    public record PendingEnrollment(long requestId, String template, String store) {
    }

    /** Who enrolls: the computer (its token, LocalMachine\My) or a logged-on user (theirs, CurrentUser\My). */
    record Enrollee(String encodedToken, CertificateStore store, String label) {
    }

    private Enrollee machine() {
        if (token != null && token.expiredAt(config.clock().instant())) {
            // Windows renews the computer's ticket before it runs out; the lab logs on again, which reads the groups of now
            logOn().close();
        }
        return new Enrollee(encodedToken, my, "Local system");
    }

    public DomainComputer(DomainComputerConfig config) {
        this.config = config;
        this.my = store("LocalMachine\\My");
        this.root = store("LocalMachine\\Root");
        config.network().register(config.dnsNames().toArray(new String[0]));
        // CRLs come over the computer's one HTTP client, made at boot; before the first boot it checks nothing
        this.crls = new CrlCache(this::httpClient, config.clock(), timings);
        this.trust = new LabTrust(root, crls, config.clock());
        loadPendingRequests();
        if (config.clock() instanceof org.pkilab.pki.LabClock lab) {
            lab.whenAdvanced(onClockAdvance);
        }
    }

    /**
     * Where a computer with a data folder keeps its pending requests, as Windows keeps them with their keys in the
     * {@code REQUEST} store (the snap-in's "Certificate Enrollment Requests"): a computer started again can still
     * retrieve them. The computer's own requests only; a user's wait in memory for the user's session.
     */
    private java.nio.file.Path requestFolder() {
        return config.dataDirectory() == null ? null : config.dataDirectory().resolve("REQUEST");
    }

    private void loadPendingRequests() {
        java.nio.file.Path folder = requestFolder();
        if (folder == null || !java.nio.file.Files.isDirectory(folder)) {
            return;
        }
        try (var files = java.nio.file.Files.list(folder)) {
            for (java.nio.file.Path file : files.filter(f -> f.getFileName().toString().endsWith(".properties")).sorted().toList()) {
                java.util.Properties p = KeyFiles.loadProperties(file);
                Base64.Decoder b64 = Base64.getDecoder();
                java.security.KeyFactory keys = java.security.KeyFactory.getInstance(p.getProperty("keyAlgorithm"));
                KeyPair key = new KeyPair(keys.generatePublic(new java.security.spec.X509EncodedKeySpec(b64.decode(p.getProperty("publicKey")))),
                        keys.generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(b64.decode(p.getProperty("privateKey")))));
                EnrollableTemplate settings = new EnrollableTemplate(p.getProperty("template"), p.getProperty("displayName"),
                        p.getProperty("oid", ""), 0, false, 0, KeyAlgorithm.RSA.windowsName(), Boolean.parseBoolean(p.getProperty("exportable")), true,
                        Boolean.parseBoolean(p.getProperty("cng")), false, true, Duration.ZERO, List.of(), List.of());
                String dns = p.getProperty("asked.dns", "");
                CertificateRequest asked = p.getProperty("asked.template") == null ? null : new CertificateRequest(p.getProperty("asked.template"),
                        p.getProperty("asked.subject", ""), dns.isEmpty() ? List.of() : List.of(dns.split(",")),
                        Integer.parseInt(p.getProperty("asked.keySize", "0")));
                pending.put(Long.parseLong(p.getProperty("requestId")), new PendingRequest(settings.name(), key,
                        b64.decode(p.getProperty("csr")), settings, my, asked));
            }
        } catch (java.io.IOException | GeneralSecurityException | RuntimeException e) {
            throw new IllegalStateException(config.name() + "'s pending requests in " + folder + " cannot be read: " + e.getMessage()
                    + "; move the folder away to start without them", e);
        }
    }

    private void keepPendingRequest(long id, PendingRequest request) {
        java.nio.file.Path folder = requestFolder();
        if (folder == null || request.store() != my) {
            return;
        }
        java.util.Properties p = new java.util.Properties();
        Base64.Encoder b64 = Base64.getEncoder();
        p.setProperty("requestId", Long.toString(id));
        p.setProperty("template", request.template());
        p.setProperty("displayName", request.settings().displayName());
        p.setProperty("oid", request.settings().oid());
        p.setProperty("exportable", Boolean.toString(request.settings().exportableKey()));
        p.setProperty("cng", Boolean.toString(request.settings().usesCng()));
        p.setProperty("keyAlgorithm", request.key().getPrivate().getAlgorithm());
        p.setProperty("publicKey", b64.encodeToString(request.key().getPublic().getEncoded()));
        p.setProperty("privateKey", b64.encodeToString(request.key().getPrivate().getEncoded()));
        p.setProperty("csr", b64.encodeToString(request.csr()));
        if (request.asked() != null) {
            p.setProperty("asked.template", request.asked().template());
            p.setProperty("asked.subject", request.asked().subject());
            p.setProperty("asked.dns", String.join(",", request.asked().dnsNames()));
            p.setProperty("asked.keySize", Integer.toString(request.asked().keySize()));
        }
        try {
            java.nio.file.Files.createDirectories(folder);
            KeyFiles.storeProperties(folder.resolve(id + ".properties"), p, "PKI Lab: request " + id + " of " + config.name()
                    + ", pending at the CA, with its private key (the REQUEST store)");
        } catch (java.io.IOException e) {
            eventLog.write(config.clock().instant(), "Warning", 6, EventLog.AUTOENROLLMENT, "Pending request " + id + " could not be kept in "
                    + folder + " (" + e.getMessage() + "); it is lost when " + config.name() + " stops");
        }
    }

    private void forgetPendingRequest(long id) {
        if (pending.remove(id) != null && requestFolder() != null) {
            try {
                java.nio.file.Files.deleteIfExists(requestFolder().resolve(id + ".properties"));
            } catch (java.io.IOException e) {
                // a leftover request file is retrieved again on the next start, and the CA answers it as it is now
            }
        }
    }

    /** A store kept in the data folder when the computer has one ({@code LocalMachine-My}, {@code CurrentUser-alice-My}). */
    private CertificateStore store(String name, String... user) {
        if (config.dataDirectory() == null) {
            return new CertificateStore(name);
        }
        String folder = user.length == 0 ? name.replace('\\', '-')
                : name.replace("\\", "-" + user[0].replaceAll("[^A-Za-z0-9.-]", "_") + "-");
        return CertificateStore.persistent(name, config.dataDirectory().resolve(folder));
    }

    /** When the lab clock jumps, the periodic refresh that would have run meanwhile runs now. */
    private void catchUp() {
        if (closed || token == null) {
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
        return my;
    }

    public CertificateStore trustedRoots() {
        return root;
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
        return token;
    }

    public LabTrust trust() {
        return trust;
    }

    public CrlCache crlCache() {
        return crls;
    }

    /** The autoenrollment policy value ({@code AEPolicy}) Group Policy gave the computer at its last boot; 0 = none. */
    public int autoEnrollmentPolicy() {
        return aePolicy;
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
        try (LDAPConnection ldap = timings.time(HostTimings.Phase.LOGON, this::logOn)) {
            timings.time(HostTimings.Phase.GROUP_POLICY, () -> {
                try {
                    applyGroupPolicy(ldap);
                    importEnterpriseRoots(ldap);
                    findEnrollmentService(ldap);
                    return null;
                } catch (LDAPException e) {
                    throw new DirectoryException(e.getResultCode().intValue(), config.name() + " could not read Group Policy and the "
                            + "enterprise PKI from the directory: " + e.getDiagnosticMessage(), e);
                }
            });
        }
        timings.time(HostTimings.Phase.HTTPS_CLIENT, () -> {
            reconnectHttps();
            return null;
        });
        if (enrollmentEnabled()) {
            autoenroll();
        }
        return this;
    }

    /** Connects to the DC and logs on as the machine account; the session stays open for what the boot reads next. */
    private LDAPConnection logOn() {
        LDAPConnection ldap;
        try {
            ldap = new LDAPConnection(DomainLogon.oneThreadConnection(), config.ldapHost(), config.ldapPort());
        } catch (LDAPException e) {
            throw new DirectoryException(e.getResultCode().intValue(), config.name() + " cannot reach its domain controller at "
                    + config.ldapHost() + ":" + config.ldapPort() + ": " + e.getDiagnosticMessage(), e);
        }
        try {
            DomainLogon.Session session = DomainLogon.logon(ldap, accountDn(), config.machinePassword());
            token = session.token();
            encodedToken = session.encoded();
            return ldap;
        } catch (RuntimeException e) {
            ldap.close();
            throw e;
        }
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
        try (LDAPConnection ldap = new LDAPConnection(DomainLogon.oneThreadConnection(), config.ldapHost(), config.ldapPort(),
                accountDn(), config.machinePassword())) {
            applyGroupPolicy(ldap);
        } catch (LDAPException e) {
            throw new DirectoryException(e.getResultCode().intValue(), "Group Policy refresh of " + config.name() + " failed: "
                    + e.getDiagnosticMessage(), e);
        }
        boolean due = lastAutoenrollment == null || !config.clock().instant().isBefore(lastAutoenrollment.plus(AUTOENROLLMENT_INTERVAL));
        if (enrollmentEnabled() && (force || due)) {
            autoenroll();
        }
    }

    private boolean enrollmentEnabled() {
        return aePolicy != 0 && (aePolicy & GroupPolicy.DISABLE_ALL) == 0;
    }

    private void applyGroupPolicy(LDAPConnection ldap) throws LDAPException {
        List<String> links = new ArrayList<>();
        SearchResultEntry domain = ldap.getEntry(config.names().domain(), "gPLink");
        collectLinks(domain == null ? null : domain.getAttributeValue("gPLink"), links);
        int value = 0;
        for (String gpoDn : links) {
            SearchResultEntry gpo = ldap.getEntry(gpoDn, "labRegistryPolicy", "nTSecurityDescriptor", "displayName");
            if (gpo == null || !appliesToMe(gpo)) {
                continue;
            }
            String[] values = gpo.getAttributeValues("labRegistryPolicy");
            for (String v : values == null ? new String[0] : values) {
                GroupPolicy.RegistryValue registry = GroupPolicy.RegistryValue.parse(v);
                if (registry.sameValue(GroupPolicy.RegistryValue.dword(GroupPolicy.AUTOENROLLMENT_KEY, GroupPolicy.AE_POLICY, 0))) {
                    value = Integer.parseUnsignedInt(registry.data());
                }
            }
        }
        aePolicy = value;
    }

    private static void collectLinks(String gpLink, List<String> into) {
        if (gpLink == null) {
            return;
        }
        Matcher m = GP_LINK.matcher(gpLink);
        while (m.find()) {
            // link option 1 is "link disabled"
            if ((Integer.parseInt(m.group(2)) & 1) == 0) {
                into.add(m.group(1));
            }
        }
    }

    /** Security filtering: a GPO applies when the computer's token holds Read and Apply group policy. */
    private boolean appliesToMe(SearchResultEntry gpo) {
        String sddl = gpo.getAttributeValue("nTSecurityDescriptor");
        if (sddl == null) {
            return true;
        }
        SecurityDescriptor sd = SecurityDescriptor.parse(sddl, domainSidOf(token));
        return sd.check(token.sids(), AccessRight.READ).granted() && sd.check(token.sids(), AccessRight.APPLY_GROUP_POLICY).granted();
    }

    private static org.pkilab.directory.model.SecurityIdentifier domainSidOf(LogonToken token) {
        int[] subs = token.sid().subAuthorities();
        return new org.pkilab.directory.model.SecurityIdentifier(1, token.sid().authority(), java.util.Arrays.copyOf(subs, subs.length - 1));
    }

    /** Autoenrollment's first job on an enterprise member: trust every CA in {@code CN=Certification Authorities}. */
    private void importEnterpriseRoots(LDAPConnection ldap) throws LDAPException {
        for (SearchResultEntry ca : ldap.search(config.names().certificationAuthorities(), SearchScope.ONE,
                "(objectClass=certificationAuthority)", "cACertificate").getSearchEntries()) {
            byte[][] certificates = ca.getAttributeValueByteArrays("cACertificate");
            for (byte[] der : certificates == null ? new byte[0][] : certificates) {
                try {
                    root.add(new StoredCertificate(KeyFiles.certificate(der), null, false, StoredCertificate.KeyStorage.NONE, null, null, List.of()));
                } catch (GeneralSecurityException e) {
                    eventLog.write(config.clock().instant(), "Warning", 6, EventLog.AUTOENROLLMENT,
                            "a CA certificate on " + ca.getDN() + " does not parse: " + e.getMessage());
                }
            }
        }
    }

    private void findEnrollmentService(LDAPConnection ldap) throws LDAPException {
        enrollmentUrl = null;
        for (SearchResultEntry service : ldap.search(config.names().enrollmentServices(), SearchScope.ONE,
                "(objectClass=pKIEnrollmentService)", "msPKI-Enrollment-Servers").getSearchEntries()) {
            String value = service.getAttributeValue("msPKI-Enrollment-Servers");
            if (value != null) {
                String[] parts = value.split("\n");
                enrollmentUrl = parts[parts.length - 1];
                return;
            }
        }
    }

    /** The HTTP(S) client of the current boot: EST, CRL downloads. Never locks: TLS handshakes ask for it mid-request. */
    private LabHttp.Client httpClient() {
        LabHttp.Client client = https;
        if (client == null) {
            throw new IllegalStateException(config.name() + " has not booted: it has no network client yet");
        }
        return client;
    }

    private void reconnectHttps() {
        if (https != null) {
            https.stop();
        }
        https = LabHttp.tls(config.network(), trust, null, timings);
    }

    // ---- enrollment ------------------------------------------------------------------------------

    /** The "Request Certificates" page: what the CA says this computer may enroll for. */
    public List<EnrollableTemplate> enrollableTemplates() {
        requireBooted();
        return enrollableTemplates(machine());
    }

    List<EnrollableTemplate> enrollableTemplates(Enrollee who) {
        ContentResponse response = timings.time(HostTimings.Phase.ENROLLMENT_POLICY,
                () -> send(who, HttpMethod.GET, enrollmentUrl + "/policy", null, null));
        if (response.getStatus() != 200) {
            throw EnrollmentException.fromAnswer(response.getStatus(), response.getHeaders().get("X-ADCS-Error"), response.getContentAsString());
        }
        try {
            return EnrollmentPolicy.fromJson(response.getContent()).templates();
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("the enrollment policy from " + enrollmentUrl + " does not parse: " + e.getMessage(), e);
        }
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
        return requestCertificate(machine(), request);
    }

    StoredCertificate requestCertificate(Enrollee who, CertificateRequest request) {
        // the same request again: send the one the CA holds, as the wizard's pending request is retrieved, not made anew
        Optional<Long> waiting = pending.entrySet().stream().filter(e -> e.getValue().sameAs(who.store(), request))
                .map(Map.Entry::getKey).findFirst();
        if (waiting.isPresent()) {
            return retrieve(who, waiting.get());
        }
        Optional<EnrollableTemplate> offered = enrollableTemplates(who).stream()
                .filter(t -> t.name().equalsIgnoreCase(request.template()) || t.displayName().equalsIgnoreCase(request.template()))
                .findFirst();
        if (offered.isEmpty()) {
            // not on the "Request Certificates" page: send it as certreq would, and let the CA say why not
            EnrollableTemplate unlisted = new EnrollableTemplate(request.template(), request.template(), "", 0, true, 0, KeyAlgorithm.RSA.windowsName(),
                    false, false, false, false, false, Duration.ZERO, List.of(), List.of());
            KeyPair key = timings.time(HostTimings.Phase.KEY_GENERATION, () -> generateKey(unlisted, request.keySize()));
            byte[] csr = timings.time(HostTimings.Phase.REQUEST_SIGNING, () -> csr(key, request.subject(), request.dnsNames()));
            ContentResponse response = send(who, HttpMethod.POST, enrollmentUrl + "/"
                    + java.net.URLEncoder.encode(request.template(), java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20")
                    + "/simpleenroll", Base64.getMimeEncoder().encode(csr), "application/pkcs10");
            if (response.getStatus() != 200 && response.getStatus() != 202) {
                throw EnrollmentException.fromAnswer(response.getStatus(), response.getHeaders().get("X-ADCS-Error"), "'" + request.template()
                        + "' is not among the certificates " + who.label() + " on " + config.name() + " can request; the CA says:\n"
                        + response.getContentAsString());
            }
            return answer(who, unlisted, key, csr, response, request);
        }
        EnrollableTemplate template = offered.get();
        if (template.subjectSuppliedInRequest() && request.subject().isEmpty() && request.dnsNames().isEmpty()) {
            throw new EnrollmentException(0, null, "More information is required to enroll for this certificate: '"
                    + template.displayName() + "' takes its subject from the request; give a Common name or DNS names");
        }
        KeyPair key = timings.time(HostTimings.Phase.KEY_GENERATION, () -> generateKey(template, request.keySize()));
        byte[] csr = timings.time(HostTimings.Phase.REQUEST_SIGNING, () -> csr(key, template.subjectSuppliedInRequest() ? request.subject() : "",
                template.subjectSuppliedInRequest() ? request.dnsNames() : List.of()));
        return enroll(who, template, key, csr, request);
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
        PendingRequest request = pending.get(requestId);
        if (request == null || request.store() != my) {
            List<Long> mine = pending.entrySet().stream().filter(e -> e.getValue().store() == my).map(Map.Entry::getKey).toList();
            throw new IllegalArgumentException(config.name() + " has no pending request " + requestId + " in its Certificate Enrollment "
                    + "Requests: " + (mine.isEmpty() ? "it has none" : "its pending requests are " + mine) + ". A request is retrieved "
                    + "on the computer that made it, which holds its private key; one already retrieved is in LocalMachine\\My.");
        }
        return retrieve(machine(), requestId);
    }

    private StoredCertificate retrieve(Enrollee who, long requestId) {
        PendingRequest request = pending.get(requestId);
        ContentResponse response = timings.time(HostTimings.Phase.ENROLLMENT, () -> send(who, HttpMethod.POST,
                enrollmentUrl + "/" + java.net.URLEncoder.encode(request.template(), java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20")
                        + "/simpleenroll", Base64.getMimeEncoder().encode(request.csr()), "application/pkcs10"));
        return answer(who, request.settings(), request.key(), request.csr(), response, request.asked());
    }

    /** The requests this computer's {@code LocalMachine} and its users made that wait for a certificate manager. */
    public synchronized List<PendingEnrollment> pendingEnrollments() {
        List<PendingEnrollment> list = new ArrayList<>();
        pending.forEach((id, p) -> list.add(new PendingEnrollment(id, p.settings().displayName(), p.store().name())));
        return list;
    }

    private StoredCertificate enroll(Enrollee who, EnrollableTemplate template, KeyPair key, byte[] csr, CertificateRequest asked) {
        ContentResponse response = timings.time(HostTimings.Phase.ENROLLMENT, () -> send(who, HttpMethod.POST,
                enrollmentUrl + "/" + template.name() + "/simpleenroll", Base64.getMimeEncoder().encode(csr), "application/pkcs10"));
        return answer(who, template, key, csr, response, asked);
    }

    /** {@code asked}: what Request New Certificate was given; null for autoenrollment. */
    private StoredCertificate answer(Enrollee who, EnrollableTemplate template, KeyPair key, byte[] csr, ContentResponse response,
                                     CertificateRequest asked) {
        boolean autoenrolled = asked == null;
        String requestId = response.getHeaders().get("X-ADCS-Request-Id");
        if (response.getStatus() == 202) {
            long id = Long.parseLong(requestId);
            PendingRequest request = new PendingRequest(template.name(), key, csr, template, who.store(), asked);
            boolean again = pending.putIfAbsent(id, request) != null;
            if (!again) {
                keepPendingRequest(id, request);
            }
            eventLog.write(config.clock().instant(), "Information", 15, EventLog.AUTOENROLLMENT, "Certificate enrollment for " + who.label() + " "
                    + (again ? "is still pending" : "is pending") + ": request " + id + " for a " + template.displayName()
                    + " certificate waits for approval");
            throw new PendingException(id, response.getContentAsString());
        }
        if (requestId != null) {
            // issued or refused: either way it no longer waits
            forgetPendingRequest(Long.parseLong(requestId));
        }
        if (response.getStatus() != 200) {
            eventLog.write(config.clock().instant(), "Error", 13, EventLog.AUTOENROLLMENT, "Certificate enrollment for " + who.label() + " failed "
                    + "to enroll for a " + template.displayName() + " certificate" + (requestId == null ? "" : " with request ID " + requestId)
                    + ": " + response.getContentAsString().trim());
            throw EnrollmentException.fromAnswer(response.getStatus(), response.getHeaders().get("X-ADCS-Error"), response.getContentAsString());
        }
        X509Certificate certificate = certsOnly(response.getContent());
        StoredCertificate stored = new StoredCertificate(certificate, key.getPrivate(), template.exportableKey(),
                template.usesCng() ? StoredCertificate.KeyStorage.CNG_KSP : StoredCertificate.KeyStorage.LEGACY_CSP,
                template.name(), template.displayName(), List.of(certificate));
        who.store().add(stored);
        eventLog.write(config.clock().instant(), "Information", 19, EventLog.AUTOENROLLMENT, (autoenrolled ? "Autoenrollment" : "Enrollment")
                + " for " + who.label() + " successfully received a " + template.displayName() + " certificate, request ID " + requestId
                + ", thumbprint " + stored.thumbprint());
        return stored;
    }

    private static X509Certificate certsOnly(byte[] base64) {
        try {
            return CertsOnlyPkcs7.decodeBase64(base64).get(0);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("the CA's answer is " + e.getMessage(), e);
        }
    }

    /**
     * The key the template's Cryptography tab asks for: an EC key on its curve for ECDSA_P256 (P-384,
     * P-521); otherwise RSA of the size asked for (a certreq INF's KeyLength), else the template's minimum
     * or 2048 bits, whichever is larger.
     */
    private static KeyPair generateKey(EnrollableTemplate template, int askedBits) {
        if (template.keyAlgorithm().elliptic()) {
            return EcKeys.generate(template.keyAlgorithm().curve());
        }
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(askedBits > 0 ? askedBits : Math.max(template.minimalKeySize(), 2048));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] csr(KeyPair key, String subject, List<String> dnsNames) {
        try {
            JcaPKCS10CertificationRequestBuilder builder = new JcaPKCS10CertificationRequestBuilder(
                    subject.isEmpty() ? new X500Name(new org.bouncycastle.asn1.x500.RDN[0]) : new X500Name(subject), key.getPublic());
            if (!dnsNames.isEmpty()) {
                ExtensionsGenerator extensions = new ExtensionsGenerator();
                extensions.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(
                        dnsNames.stream().map(n -> new GeneralName(GeneralName.dNSName, n)).toArray(GeneralName[]::new)));
                builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate());
            }
            return builder.build(signer(key)).getEncoded();
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot build the certificate request: " + e.getMessage(), e);
        }
    }

    /** The request's signature: SHA256withRSA for an RSA key; ECDSA with the hash that fits the curve for an EC key. */
    private static org.bouncycastle.operator.ContentSigner signer(KeyPair key) throws org.bouncycastle.operator.OperatorCreationException {
        if (key.getPrivate() instanceof java.security.interfaces.ECPrivateKey ec) {
            KeyAlgorithm algorithm = KeyAlgorithm.ofCurveBits(ec.getParams().getCurve().getField().getFieldSize()).orElse(KeyAlgorithm.ECDSA_P256);
            return new JcaContentSignerBuilder(algorithm.signatureAlgorithm()).setProvider(EcKeys.provider()).build(key.getPrivate());
        }
        return new JcaContentSignerBuilder("SHA256withRSA").build(key.getPrivate());
    }

    /**
     * A user logs on to this computer (with the DN of their account): they get a logon token of their own
     * and a {@code CurrentUser\My} store, and can request user certificates.
     */
    public UserSession logOnUser(String userDn, String password) {
        requireBooted();
        DomainLogon.Session session = DomainLogon.logon(config.ldapHost(), config.ldapPort(), userDn, password);
        // a user's profile, and so CurrentUser\My, outlives the logon
        CertificateStore store = userStores.computeIfAbsent(session.token().account().toLowerCase(java.util.Locale.ROOT),
                k -> store("CurrentUser\\My", k));
        return new UserSession(this, session.token(), new Enrollee(session.encoded(), store, session.token().account()));
    }

    // ---- autoenrollment --------------------------------------------------------------------------

    /**
     * One autoenrollment run ({@code certutil -pulse}): for each template this computer holds Enroll and
     * Autoenroll on (schema 2 and later only): fetch approved pending requests, remove revoked
     * certificates, enroll when no valid certificate is held, renew at 80% of the lifetime or inside the
     * renewal period, and replace certificates of superseded templates. Every action goes to the event log.
     */
    public synchronized void autoenroll() {
        requireBooted();
        Instant now = config.clock().instant();
        lastAutoenrollment = now;
        List<EnrollableTemplate> offered = enrollableTemplates(machine()).stream()
                .filter(t -> t.autoenroll() && t.machine() && t.schemaVersion() >= 2).toList();
        // a template another offered template supersedes is not enrolled for
        java.util.Set<String> superseded = new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        offered.forEach(t -> superseded.addAll(t.supersedes()));
        List<EnrollableTemplate> templates = offered.stream().filter(t -> !superseded.contains(t.name())).toList();
        if ((aePolicy & GroupPolicy.ENABLE_PENDING_FETCH) != 0) {
            fetchPending();
        }
        if ((aePolicy & GroupPolicy.ENABLE_MY_STORE_MANAGEMENT) != 0) {
            removeRevoked(now);
        }
        if ((aePolicy & GroupPolicy.ENABLE_TEMPLATE_CHECK) == 0) {
            return;
        }
        for (EnrollableTemplate template : templates) {
            List<StoredCertificate> held = my.matching(c -> template.name().equalsIgnoreCase(c.templateName())
                    || template.oid().equals(StoredCertificate.templateOf(c.certificate())));
            Optional<StoredCertificate> current = held.stream().filter(c -> c.validAt(now)).findFirst();
            boolean waiting = pending.values().stream().anyMatch(p -> p.template().equalsIgnoreCase(template.name()));
            try {
                if (current.isEmpty() && !waiting) {
                    autoenrollOne(template);
                } else if (current.isPresent() && renewalDue(current.get(), template, now) && !waiting) {
                    StoredCertificate renewed = autoenrollOne(template);
                    my.remove(current.get().thumbprint());
                    eventLog.write(now, "Information", 20, EventLog.AUTOENROLLMENT, "Certificate for Local system with thumbprint "
                            + current.get().thumbprint() + " was renewed by " + renewed.thumbprint() + " (" + template.displayName() + ")");
                }
                for (String replaced : template.supersedes()) {
                    for (StoredCertificate old : my.matching(c -> replaced.equalsIgnoreCase(c.templateName()))) {
                        my.remove(old.thumbprint());
                        eventLog.write(now, "Information", 64, EventLog.AUTOENROLLMENT, "Certificate " + old.thumbprint() + " of "
                                + "superseded template " + replaced + " was replaced by a " + template.displayName() + " certificate");
                    }
                }
            } catch (PendingException e) {
                // recorded in the event log; fetched on a later run
            } catch (EnrollmentException e) {
                // recorded in the event log; autoenrollment goes on with the next template
            }
        }
    }

    private StoredCertificate autoenrollOne(EnrollableTemplate template) {
        KeyPair key = timings.time(HostTimings.Phase.KEY_GENERATION, () -> generateKey(template, 0));
        byte[] csr = timings.time(HostTimings.Phase.REQUEST_SIGNING, () -> csr(key, "", List.of()));
        return enroll(machine(), template, key, csr, null);
    }

    /** Renew at 80% of the validity, or once inside the template's renewal period, whichever comes first. */
    static boolean renewalDue(StoredCertificate certificate, EnrollableTemplate template, Instant now) {
        return CertificateTemplate.renewalDue(certificate.notBefore(), certificate.notAfter(), template.renewalPeriod(), now);
    }

    private void fetchPending() {
        for (Map.Entry<Long, PendingRequest> entry : new ArrayList<>(pending.entrySet())) {
            PendingRequest request = entry.getValue();
            if (request.store() != my) {
                // a user's request is fetched in the user's session, with the user's token
                continue;
            }
            ContentResponse response = send(machine(), HttpMethod.POST, enrollmentUrl + "/" + request.template() + "/simpleenroll",
                    Base64.getMimeEncoder().encode(request.csr()), "application/pkcs10");
            if (response.getStatus() == 202) {
                continue;
            }
            forgetPendingRequest(entry.getKey());
            try {
                answer(machine(), request.settings(), request.key(), request.csr(), response, null);
            } catch (EnrollmentException | PendingException e) {
                // logged by answer()
            }
        }
    }

    private void removeRevoked(Instant now) {
        for (StoredCertificate certificate : my.certificates()) {
            if (certificate.templateName() == null) {
                continue;
            }
            try {
                trust.validate(new X509Certificate[]{certificate.certificate()}, certificate.certificate().getExtendedKeyUsage() == null
                        ? LabTrust.CLIENT_AUTHENTICATION : certificate.certificate().getExtendedKeyUsage().get(0));
            } catch (TrustFailure e) {
                if (e.reason() == WindowsError.CRYPT_E_REVOKED) {
                    my.remove(certificate.thumbprint());
                    eventLog.write(now, "Warning", 64, EventLog.AUTOENROLLMENT, "Certificate " + certificate.thumbprint()
                            + " (" + certificate.templateName() + ") was revoked and removed from LocalMachine\\My");
                }
            } catch (java.security.cert.CertificateParsingException e) {
                // a certificate whose EKU does not parse is left for the administrator
            }
        }
    }

    /** Requests this computer made that still wait for a certificate manager. */
    public List<Long> pendingRequests() {
        return new ArrayList<>(pending.keySet());
    }

    // ---- PFX ------------------------------------------------------------------------------------

    /**
     * The Certificate Export Wizard with "Yes, export the private key" and PFX: refused, as Windows does,
     * when the template did not allow the key to be exported; the password must be strong.
     */
    public void exportPfx(String thumbprint, char[] password, Path file) {
        byte[] pfx = exportPfx(thumbprint, password);
        try {
            KeyFiles.writeAtomically(file, pfx);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("writing " + file + " failed: " + e.getMessage(), e);
        }
    }

    /** The Certificate Export Wizard's PFX, as bytes: what {@link #exportPfx(String, char[], Path)} writes. */
    public byte[] exportPfx(String thumbprint, char[] password) {
        StoredCertificate certificate = my.byThumbprint(thumbprint).orElseThrow(() -> new IllegalArgumentException(
                "no certificate with thumbprint " + thumbprint + " in " + my.name()));
        if (certificate.privateKey() != null && certificate.imported() && !certificate.exportable()) {
            throw new IllegalStateException(WindowsError.NTE_BAD_KEY_STATE.describe() + " "
                    + "The associated private key cannot be exported: it was imported from a PFX without 'Mark this key as exportable', "
                    + "whatever template '" + certificate.certificateTemplate() + "' allows. Import the PFX again with 'Mark this key "
                    + "as exportable' ticked, or export it from the computer that enrolled it.");
        }
        if (certificate.privateKey() == null || !certificate.exportable()) {
            throw new IllegalStateException(WindowsError.NTE_BAD_KEY_STATE.describe() + " "
                    + "The associated private key cannot be exported: the certificate was created from "
                    + "template '" + certificate.templateName() + "' without 'Allow private key to be exported'. Set that on the "
                    + "template's Request Handling tab and request the certificate again.");
        }
        PfxPassword.check(password);
        try {
            List<X509Certificate> chain = new ArrayList<>(certificate.chain());
            X509Certificate last = chain.get(chain.size() - 1);
            // a certificate imported from a PFX may bring its root along; it is not added twice
            if (!last.getSubjectX500Principal().equals(last.getIssuerX500Principal())) {
                root.certificates().stream().map(StoredCertificate::certificate)
                        .filter(r -> r.getSubjectX500Principal().equals(last.getIssuerX500Principal()))
                        .findFirst().ifPresent(chain::add);
            }
            return KeyFiles.pkcs12(new KeyFiles.KeyEntry(certificate.privateKey(), chain.toArray(new X509Certificate[0])), password);
        } catch (java.io.IOException | GeneralSecurityException e) {
            throw new IllegalStateException("making the PFX of " + thumbprint + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * The Certificate Import Wizard: a PFX into {@code LocalMachine\My}. A wrong password, a file that is
     * not a PFX, one whose key is not its certificate's, or one asking for more password-hashing iterations
     * than {@link KeyFiles#PKCS12_ITERATION_LIMIT} is refused with the file's name and what is wrong, and
     * changes nothing: the store is written only once the whole file has been read.
     */
    public StoredCertificate importPfx(Path file, char[] password, boolean markExportable) {
        byte[] bytes;
        try {
            bytes = java.nio.file.Files.readAllBytes(file);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot read " + file.getFileName() + ": " + (e instanceof java.nio.file.NoSuchFileException
                    ? "there is no such file" : e.getMessage()), e);
        }
        return importPfx(file.getFileName().toString(), bytes, password, markExportable);
    }

    /** The Certificate Import Wizard on a PFX's bytes; {@code fileName} names it in a refusal. */
    public StoredCertificate importPfx(String fileName, byte[] bytes, char[] password, boolean markExportable) {
        Path named;
        try {
            named = fileName == null ? null : Path.of(fileName).getFileName();
        } catch (java.nio.file.InvalidPathException e) {
            named = null;
        }
        if (named == null) {
            throw new IllegalArgumentException("the PFX's file name '" + fileName + "' names no file");
        }
        Path file = named;
        if (bytes.length == 0 || bytes[0] != 0x30) {
            // the JDK's PKCS #12 reader also reads Java keystores: only DER, which a PFX is, may go on
            throw new IllegalArgumentException(file.getFileName() + " is not a PKCS #12 (PFX) file: "
                    + (bytes.length == 0 ? "it is empty" : "a PFX is DER and begins with the byte 0x30, this file with 0x"
                    + String.format("%02X", bytes[0] & 0xFF)));
        }
        // the wizard's empty password box is an empty password, not none; without one the JDK would skip the integrity check
        char[] pw = password == null ? new char[0] : password;
        KeyStore pfx;
        try {
            pfx = KeyFiles.readPkcs12(bytes, pw);
        } catch (KeyFiles.CostlyPkcs12Exception e) {
            throw new IllegalArgumentException(file.getFileName() + " is refused unread: " + e.getMessage(), e);
        } catch (java.io.IOException e) {
            if (e.getCause() instanceof java.security.UnrecoverableKeyException || String.valueOf(e.getMessage()).contains("password")) {
                throw new IllegalArgumentException("The password you entered is incorrect for " + file.getFileName(), e);
            }
            throw new IllegalArgumentException(file.getFileName() + " is not a PKCS #12 (PFX) file: " + e.getMessage(), e);
        } catch (GeneralSecurityException | RuntimeException e) {
            // the JDK's PKCS #12 reader throws more than IOException on bytes that only look like a PFX
            throw new IllegalArgumentException(file.getFileName() + " is not a PKCS #12 (PFX) file: " + e, e);
        }
        try {
            Enumeration<String> aliases = pfx.aliases();
            while (aliases.hasMoreElements()) {
                String alias = aliases.nextElement();
                // a secret key entry is a key entry too: nothing the Personal store holds
                if (pfx.isKeyEntry(alias) && pfx.getKey(alias, pw) instanceof PrivateKey key) {
                    java.security.cert.Certificate[] chain = pfx.getCertificateChain(alias);
                    if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate)) {
                        throw new IllegalArgumentException(file.getFileName() + " holds a private key without its X.509 certificate");
                    }
                    List<X509Certificate> x509 = new ArrayList<>();
                    for (java.security.cert.Certificate c : chain) {
                        if (c instanceof X509Certificate certificate) {
                            x509.add(certificate);
                        }
                    }
                    X509Certificate leaf = x509.get(0);
                    if (!KeyFiles.belongTogether(key, leaf)) {
                        throw new IllegalArgumentException(file.getFileName() + " holds a private key that does not belong to its certificate '"
                                + leaf.getSubjectX500Principal().getName() + "'");
                    }
                    String[] template = templateNames(StoredCertificate.templateOf(leaf));
                    StoredCertificate stored = new StoredCertificate(leaf, key, markExportable,
                            StoredCertificate.KeyStorage.LEGACY_CSP, template[0], template[1], x509, true);
                    my.add(stored);
                    return stored;
                }
            }
        } catch (java.security.UnrecoverableKeyException e) {
            throw new IllegalArgumentException("The password you entered is incorrect for " + file.getFileName(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(file.getFileName() + " cannot be imported: " + e, e);
        }
        throw new IllegalArgumentException(file.getFileName() + " holds no private key: export the certificate with 'Yes, export the private key'");
    }

    /**
     * The template's name and display name for what a certificate's template extension holds (a schema 2+ template's
     * OID, a schema 1 template's name), looked up in {@code CN=Certificate Templates} as the snap-in does; the
     * extension's own value, and no display name, when the directory does not know it or cannot be reached.
     */
    private String[] templateNames(String fromExtension) {
        if (fromExtension == null || token == null) {
            return new String[]{fromExtension, null};
        }
        String filter = fromExtension.matches("\\d+(\\.\\d+)+")
                ? com.unboundid.ldap.sdk.Filter.createEqualityFilter("msPKI-Cert-Template-OID", fromExtension).toString()
                : com.unboundid.ldap.sdk.Filter.createEqualityFilter("cn", fromExtension).toString();
        try (LDAPConnection ldap = new LDAPConnection(DomainLogon.oneThreadConnection(), config.ldapHost(), config.ldapPort(),
                accountDn(), config.machinePassword())) {
            for (SearchResultEntry t : ldap.search(config.names().certificateTemplates(), SearchScope.ONE, filter, "cn", "displayName")
                    .getSearchEntries()) {
                return new String[]{t.getAttributeValue("cn"), t.getAttributeValue("displayName")};
            }
        } catch (LDAPException e) {
            // the snap-in, too, shows the OID when it cannot read the template
        }
        return new String[]{fromExtension, null};
    }

    // ---- TLS client ------------------------------------------------------------------------------

    /**
     * An HTTPS GET as this computer: the server's certificate must chain to {@code LocalMachine\Root},
     * name the host in the URL, carry Server Authentication and not be revoked. With {@code clientCertificate}
     * the computer presents that certificate from its store.
     */
    public HttpsResult get(String url, StoredCertificate clientCertificate) {
        requireOpen();
        LabHttp.Client client = clientCertificate == null ? https : LabHttp.tls(config.network(), trust,
                new KeyFiles.KeyEntry(clientCertificate.privateKey(), clientCertificate.chain().toArray(new X509Certificate[0])), null);
        try {
            ContentResponse response = client.newRequest(url).timeout(15, TimeUnit.SECONDS).send();
            return new HttpsResult(response.getStatus(), response.getContentAsString(), null, null);
        } catch (Exception e) {
            TrustFailure failure = LabHttp.trustFailure(e);
            return new HttpsResult(0, "", failure, failure == null ? rootCause(e) : failure.getMessage());
        } finally {
            if (client != https) {
                client.stop();
            }
        }
    }

    /** The client certificate Configuration Manager would pick: Client Authentication, from the store, valid now. */
    public Optional<StoredCertificate> clientAuthenticationCertificate() {
        return clientAuthenticationCertificate(null);
    }

    /** The same, limited to certificates from {@code template} (its name), as a site's client certificate selection criteria do. */
    public Optional<StoredCertificate> clientAuthenticationCertificate(String template) {
        Instant now = config.clock().instant();
        return my.matching(c -> c.privateKey() != null && c.hasPurpose(LabTrust.CLIENT_AUTHENTICATION) && c.validAt(now)
                && (template == null || template.equalsIgnoreCase(c.templateName()))).stream().findFirst();
    }

    private static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    private ContentResponse send(Enrollee who, HttpMethod method, String url, byte[] body, String contentType) {
        if (enrollmentUrl == null) {
            throw new EnrollmentException(0, null, "no enterprise CA publishes an enrollment URL in " + config.names().enrollmentServices());
        }
        try {
            var request = https.newRequest(url).method(method).timeout(30, TimeUnit.SECONDS)
                    .headers(h -> h.put("Authorization", "Bearer " + who.encodedToken()));
            if (body != null) {
                request.body(new BytesRequestContent(contentType, body));
            }
            return request.send();
        } catch (Exception e) {
            TrustFailure failure = LabHttp.trustFailure(e);
            throw new EnrollmentException(0, failure == null ? null : failure.reason(),
                    config.name() + " cannot reach " + url + ": " + (failure == null ? rootCause(e) : failure.getMessage()));
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException(config.name() + " is shut down");
        }
    }

    private void requireBooted() {
        requireOpen();
        if (token == null) {
            throw new IllegalStateException(config.name() + " has not booted: call boot() first");
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (config.clock() instanceof org.pkilab.pki.LabClock lab) {
            lab.removeListener(onClockAdvance);
        }
        if (https != null) {
            https.stop();
        }
    }

    @Override
    public String toString() {
        return config.name() + " (" + config.fqdn() + ")";
    }
}
