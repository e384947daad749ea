package org.pkilab.ca;

import org.bouncycastle.asn1.x500.style.RFC4519Style;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.enrollment.CaRegistrySettings;
import org.pkilab.windows.WindowsError;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * The CA's enrollment pipeline, behind every protocol: a request is read ({@link Pkcs10Request}), the
 * facts are gathered from the directory ({@link IssuanceFacts}), the policy module decides and builds
 * the draft ({@link IssuancePolicy}), the signer signs it ({@link CertificateSigner}), and the database
 * records it. Every request is recorded, refused ones included, before the answer is returned, as AD CS
 * lists refused requests under Failed Requests. It also answers what a client asks before and after: the
 * templates it may enroll for, and the fate of a request it sent before.
 *
 * <pre>{@code
 * EnrollmentResult r = enrollment.submit(EnrollmentRequest.manual(token, "WebServer", csrDer));
 * r.status();   // ISSUED, PENDING or DENIED
 * r.error();    // for a refusal: WindowsError.CERTSRV_E_TEMPLATE_DENIED (0x80094012) ...
 * enrollment.approve(r.requestId(), "CONTOSO\\Administrator");   // a pending one, past the approval step
 * }</pre>
 *
 * It knows no protocol and no host: EST, the enrollment policy and the CA console reach it through
 * their adapters.
 */
public final class EnrollmentService implements Enrollment, EnrollmentPolicySource {

    private static final SecureRandom SERIALS = new SecureRandom();
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    private final String caName;
    private final CaDirectory directory;
    private final SecurityIdentifier domainSid;
    private final CaDatabase database;
    private final IssuancePolicy policy;
    private final CertificateSigner signer;
    private final Supplier<X509Certificate> caCertificate;
    private final Clock clock;
    private final String caHostFqdn;
    private final Supplier<CaRegistrySettings> registry;
    private final LongAdder requests = new LongAdder();
    private final LongAdder issued = new LongAdder();
    private final LongAdder processingNanos = new LongAdder();
    private final LongAdder policyNanos = new LongAdder();
    private final LongAdder signingNanos = new LongAdder();
    private final LongAdder databaseNanos = new LongAdder();

    /**
     * @param caHostFqdn the CA's host name, which a resubmitted request's token names as its logon server
     * @param registry   the CA's registry settings as they are now, read once per request
     */
    EnrollmentService(String caName, CaDirectory directory, SecurityIdentifier domainSid, CaDatabase database, IssuancePolicy policy,
                      CertificateSigner signer, Supplier<X509Certificate> caCertificate, Clock clock, String caHostFqdn,
                      Supplier<CaRegistrySettings> registry) {
        this.caName = caName;
        this.directory = directory;
        this.domainSid = domainSid;
        this.database = database;
        this.policy = policy;
        this.signer = signer;
        this.caCertificate = caCertificate;
        this.clock = clock;
        this.caHostFqdn = caHostFqdn;
        this.registry = registry;
    }

    /**
     * Runs a request through the policy module and, when it passes, signs and records it.
     *
     * @throws CaException when the input is not a request at all: the CSR is not PKCS #10 (or its key
     *                     cannot be read), or the label cannot be a template name. Nothing is recorded then,
     *                     as there is no request to record.
     */
    @Override
    public EnrollmentResult submit(EnrollmentRequest request) {
        return submit(request, IssuanceFacts.Submission.REQUESTER);
    }

    /**
     * The CA's own web-server certificate, asked for by Certificate Services itself: the same pipeline,
     * without the issue-list, Enroll and approval checks a requester's request needs.
     */
    EnrollmentResult submitForCertificateServices(EnrollmentRequest request) {
        return submit(request, IssuanceFacts.Submission.CERTIFICATE_SERVICES);
    }

    private EnrollmentResult submit(EnrollmentRequest request, IssuanceFacts.Submission submission) {
        long start = System.nanoTime();
        Instant now = clock.instant();
        Pkcs10Request csr;
        try {
            csr = admit(request);
        } catch (CaException notARequest) {
            policyNanos.add(System.nanoTime() - start);
            throw notARequest;
        }
        Outcome outcome = evaluate(request, csr, now, submission);
        policyNanos.add(System.nanoTime() - start);
        IssuanceFacts facts = outcome.facts();
        Decision decision = outcome.evaluation().decision();
        String template = facts.template() == null ? String.valueOf(request.templateLabel()) : facts.template().name();
        try {
            return switch (decision.outcome()) {
                case DENY -> record(request, template, malformed(decision) ? RequestStatus.FAILED : RequestStatus.DENIED,
                        decision.error().hresult(), dispositionFor(decision), RequestedNames.recordable(csr.subject()), null, null, now, null, decision);
                case PENDING -> record(request, template, RequestStatus.PENDING, 0, "Taken Under Submission", RequestedNames.recordable(csr.subject()),
                        null, null, now, null, decision);
                case CONTINUE -> issue(request, template, outcome.evaluation().draft(), now);
            };
        } finally {
            requests.increment();
            processingNanos.add(System.nanoTime() - start);
        }
    }

    /** The parsed request, or the refusal of input that is no request (nothing recorded). */
    private static Pkcs10Request admit(EnrollmentRequest request) {
        Pkcs10Request.Parsed parsed = Pkcs10Request.parse(request.csr(), request.requester().account());
        if (parsed.refusal() != null) {
            throw new CaException(parsed.refusal());
        }
        Decision label = IssuancePolicy.labelCanNameATemplate(request.templateLabel());
        if (!label.proceeds()) {
            throw new CaException(label);
        }
        return parsed.request();
    }

    private record Outcome(IssuanceFacts facts, IssuancePolicy.Evaluation evaluation) {
    }

    /**
     * Templates come from the CA's cache; a refusal is decided once more on facts read from the directory
     * itself, so that a right granted a moment ago never loses to a cache the change notification has not
     * reached yet.
     */
    private Outcome evaluate(EnrollmentRequest request, Pkcs10Request csr, Instant now, IssuanceFacts.Submission submission) {
        IssuanceFacts facts = gather(request, csr, now, submission, false);
        IssuancePolicy.Evaluation evaluation = policy.evaluate(facts);
        if (evaluation.decision().outcome() == Decision.Outcome.DENY && facts.template() != null) {
            facts = gather(request, csr, now, submission, true);
            evaluation = policy.evaluate(facts);
        }
        return new Outcome(facts, evaluation);
    }

    private IssuanceFacts gather(EnrollmentRequest request, Pkcs10Request csr, Instant now, IssuanceFacts.Submission submission,
                                 boolean fresh) {
        CaDirectory.TemplateAndIssueList found = directory.cachedTemplateAndIssueList(caName, request.templateLabel(), domainSid, fresh);
        IssuanceFacts.Builder facts = IssuanceFacts.builder(request, csr).now(now).caName(caName).issueList(found.issueList())
                .domainDnsName(directory.names().dnsName()).caNotAfter(caCertificate.get().getNotAfter().toInstant())
                .submission(submission).registry(registry.get());
        found.template().ifPresent(template -> {
            facts.template(template);
            if (!template.enrolleeSuppliesSubject()) {
                // names built from the directory: the account is the one fact the template needs read
                facts.account(directory.account(request.requester().distinguishedName()));
            }
        });
        return facts.build();
    }

    private static boolean malformed(Decision decision) {
        return decision.error() == WindowsError.CRYPT_E_ASN1_BADTAG || decision.error() == WindowsError.NTE_BAD_SIGNATURE;
    }

    private static String dispositionFor(Decision decision) {
        return "Denied by Policy Module " + decision.error().windowsMessage() + " " + decision.error().code()
                + " (" + decision.error().hresult() + " " + decision.error().symbolicName() + "). " + decision.reason();
    }

    private EnrollmentResult issue(EnrollmentRequest request, String template, CertificateDraft draft, Instant now) {
        for (int attempt = 0; ; attempt++) {
            BigInteger serial = newSerial();
            try {
                long signing = System.nanoTime();
                byte[] certificate = signer.signDer(draft, serial);
                signingNanos.add(System.nanoTime() - signing);
                issued.increment();
                // the subject as signed, in RFC 4514 order, without parsing the certificate back
                return record(request, template, RequestStatus.ISSUED, 0, "Issued", RFC4519Style.INSTANCE.toString(draft.subject()),
                        serial, certificate, now, draft, null);
            } catch (GeneralSecurityException e) {
                Decision failed = Decision.deny(WindowsError.CRYPT_E_ASN1_BADTAG, "the CA could not sign: " + e.getMessage(), "");
                return record(request, template, RequestStatus.FAILED, WindowsError.CRYPT_E_ASN1_BADTAG.hresult(),
                        "Error: " + e.getMessage(), null, null, null, now, null, failed);
            } catch (IllegalStateException e) {
                if (attempt < 3 && e.getCause() instanceof SQLException sql && sql.getMessage().contains("UNIQUE")) {
                    continue; // a serial collision: 128 random bits make this theoretical, but never reuse one
                }
                throw e;
            }
        }
    }

    private EnrollmentResult record(EnrollmentRequest request, String template, RequestStatus status, int code, String message,
                                    String subject, BigInteger serial, byte[] certificate, Instant now, CertificateDraft draft,
                                    Decision decision) {
        try {
            byte[] csr = request.csr();
            RequestRecord row = new RequestRecord(0, request.requester().account(), request.requester().distinguishedName(),
                    template, status, code, message, serial, subject, certificate, csr, now,
                    status == RequestStatus.PENDING ? null : now,
                    certificate == null ? null : draft.notBefore(), certificate == null ? null : draft.notAfter(), null, null);
            long start = System.nanoTime();
            RequestRecord recorded = database.insert(row, sha256(csr));
            databaseNanos.add(System.nanoTime() - start);
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
    @Override
    public Optional<EnrollmentResult> retrieve(LogonToken requester, String label, byte[] csr) {
        if (!IssuancePolicy.isTemplateName(label)) {
            return Optional.empty();
        }
        try {
            Optional<RequestRecord> last = database.byCsr(requester.account(), sha256(csr));
            if (last.isEmpty() || !(last.get().template().equalsIgnoreCase(label)
                    || template(label).filter(t -> t.name().equalsIgnoreCase(last.get().template())).isPresent())) {
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

    /** Issue (approve) a pending request: it goes through the policy module again, past the approval step. */
    public EnrollmentResult approve(long requestId, String approver) {
        RequestRecord pending = pendingRecord(requestId);
        Instant now = clock.instant();
        LogonToken requester = new LogonToken(pending.requester(), pending.requesterDn(),
                directory.account(pending.requesterDn()).sid(), List.of(), now, caHostFqdn);
        EnrollmentRequest request = new EnrollmentRequest(requester, pending.template(), pending.csr(), false, null);
        Decision decision;
        CertificateDraft draft = null;
        try {
            Outcome outcome = evaluate(request, admit(request), now, IssuanceFacts.Submission.APPROVED);
            decision = outcome.evaluation().decision();
            draft = outcome.evaluation().draft();
        } catch (CaException e) {
            decision = Decision.deny(e.error(), e.reason(), e.fix());
        }
        try {
            if (!decision.proceeds()) {
                RequestRecord denied = database.resolve(requestId, RequestStatus.DENIED, decision.error().hresult(),
                        dispositionFor(decision), null, null, null, now, null, null);
                return new EnrollmentResult(denied, decision);
            }
            X509Certificate certificate = EnrollmentResult.parseCertificate(signer.signDer(draft, newSerial()));
            RequestRecord resolved = database.resolve(requestId, RequestStatus.ISSUED, 0, "Resubmitted by " + approver,
                    certificate.getSerialNumber(), certificate.getSubjectX500Principal().getName(), certificate.getEncoded(),
                    now, certificate.getNotBefore().toInstant(), certificate.getNotAfter().toInstant());
            return new EnrollmentResult(resolved, null);
        } catch (SQLException | GeneralSecurityException e) {
            throw new IllegalStateException("approving request " + requestId + " failed: " + e.getMessage(), e);
        }
    }

    /** Deny a pending request ("Denied by CONTOSO\Administrator", CERTSRV_E_ADMIN_DENIED_REQUEST). */
    public RequestRecord deny(long requestId, String who) {
        pendingRecord(requestId);
        try {
            return database.resolve(requestId, RequestStatus.DENIED, WindowsError.CERTSRV_E_ADMIN_DENIED_REQUEST.hresult(), "Denied by " + who,
                    null, null, null, clock.instant(), null, null);
        } catch (SQLException e) {
            throw new IllegalStateException("denying request " + requestId + " failed: " + e.getMessage(), e);
        }
    }

    private RequestRecord pendingRecord(long requestId) {
        RequestRecord r;
        try {
            r = database.byId(requestId).orElseThrow(() -> new CaException(WindowsError.CERTSRV_E_NO_REQUEST,
                    "there is no request " + requestId + " in " + caName + "'s database"));
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        if (r.status() != RequestStatus.PENDING) {
            throw new CaException(WindowsError.CERTSRV_E_BAD_REQUESTSTATUS, "request " + requestId + " is " + r.status().consoleText()
                    + ", not pending");
        }
        return r;
    }

    /** A template by name or display name, from the CA's template cache; empty when the directory has none. */
    @Override
    public Optional<CertificateTemplate> template(String label) {
        return directory.cachedTemplateAndIssueList(caName, label, domainSid, false).template();
    }

    /** The templates this token may enroll for on this CA, with what a client needs to know to ask. */
    @Override
    public List<CertificateTemplate> enrollableTemplates(LogonToken token) {
        CaDirectory.TemplatesAndIssueList all = directory.cachedTemplatesAndIssueList(caName, domainSid);
        List<String> issueList = all.issueList();
        List<CertificateTemplate> result = new ArrayList<>();
        for (CertificateTemplate t : all.templates()) {
            if (issueList.stream().anyMatch(t.name()::equalsIgnoreCase) && t.securityDescriptor() != null
                    && t.securityDescriptor().check(token.sids(), AccessRight.ENROLL).granted()) {
                result.add(t);
            }
        }
        return result;
    }

    /** The template a certificate this CA issued was issued from, as its database recorded it; null for one it did not issue. */
    @Override
    public Optional<String> templateOf(X509Certificate certificate) {
        try {
            return database.bySerial(certificate.getSerialNumber()).map(RequestRecord::template);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The counters AD CS keeps in its "Certification Authority" performance object for the requests this
     * service processed: requests and certificates issued, "Request processing time", "Request policy
     * module processing time", "Request cryptographic signing time", and writing each request to the
     * database's transaction log before the answer leaves.
     */
    public record Counters(long requests, long issued, long processingNanos, long policyModuleNanos, long signingNanos,
                           long databaseLogNanos) {
    }

    public Counters counters() {
        return new Counters(requests.sum(), issued.sum(), processingNanos.sum(), policyNanos.sum(), signingNanos.sum(), databaseNanos.sum());
    }

    private static BigInteger newSerial() {
        byte[] bytes = new byte[16];
        SERIALS.nextBytes(bytes);
        bytes[0] = (byte) ((bytes[0] & 0x7F) | 0x40);
        return new BigInteger(bytes);
    }

    static String sha256(byte[] data) {
        return HexFormat.of().formatHex(SHA256.get().digest(data));
    }
}
