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
 * their adapters. Two parts of it are classes of their own: {@link EnrollmentAgents}, what the CA finds out
 * about an enrollment agent's request on behalf of another account and whose request it records it as, and
 * {@link RequestFolders}, the requests it already holds (asked for again, denied, resubmitted).
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
    private final CaSecurity caSecurity;
    private final Supplier<CaRegistrySettings> registry;
    private final EnrollmentAgents agents;
    private final RequestFolders folders;
    private final LongAdder requests = new LongAdder();
    private final LongAdder issued = new LongAdder();
    private final LongAdder processingNanos = new LongAdder();
    private final LongAdder policyNanos = new LongAdder();
    private final LongAdder signingNanos = new LongAdder();
    private final LongAdder databaseNanos = new LongAdder();

    /**
     * @param caHostFqdn the CA's host name, which a resubmitted request's token names as its logon server
     * @param caSecurity the CA's Security tab, for "Request Certificates"
     * @param registry   the CA's registry values in force ({@code InterfaceFlags}, {@code EditFlags})
     */
    EnrollmentService(String caName, CaDirectory directory, SecurityIdentifier domainSid, CaDatabase database, IssuancePolicy policy,
                      CertificateSigner signer, Supplier<X509Certificate> caCertificate, Clock clock, String caHostFqdn,
                      CaSecurity caSecurity, Supplier<CaRegistrySettings> registry) {
        this.caName = caName;
        this.directory = directory;
        this.domainSid = domainSid;
        this.database = database;
        this.policy = policy;
        this.signer = signer;
        this.caCertificate = caCertificate;
        this.clock = clock;
        this.caSecurity = caSecurity;
        this.registry = registry;
        this.agents = new EnrollmentAgents(caName, directory, database, caCertificate, caHostFqdn);
        this.folders = new RequestFolders(caName, database, clock, this::template);
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
        Admitted admitted;
        try {
            if (submission == IssuanceFacts.Submission.REQUESTER && registry.get().has(CaRegistrySettings.InterfaceFlag.IF_LOCKICERTREQUEST)) {
                // Certificate Services refuses the call itself, before the policy module or the database see it
                Decision door = caSecurity.mayEnroll(request.requester());
                if (!door.proceeds()) {
                    throw new CaException(door);
                }
            }
            admitted = admit(request);
        } catch (CaException notARequest) {
            policyNanos.add(System.nanoTime() - start);
            throw notARequest;
        }
        Pkcs10Request csr = admitted.csr();
        Outcome outcome = evaluate(request, admitted, now, submission);
        policyNanos.add(System.nanoTime() - start);
        IssuanceFacts facts = outcome.facts();
        Decision decision = outcome.evaluation().decision();
        String template = facts.template() == null ? String.valueOf(request.templateLabel()) : facts.template().name();
        EnrollmentAgents.Requester recorded = EnrollmentAgents.recordedRequester(request, facts);
        try {
            return switch (decision.outcome()) {
                case DENY -> record(request, recorded, template, malformed(decision) ? RequestStatus.FAILED : RequestStatus.DENIED,
                        decision.error().hresult(), dispositionFor(decision), RequestedNames.recordable(csr.subject()), null, null, now, null, decision);
                case PENDING -> record(request, recorded, template, RequestStatus.PENDING, 0, "Taken Under Submission" + recorded.note(),
                        RequestedNames.recordable(csr.subject()), null, null, now, null, decision);
                case CONTINUE -> issue(request, recorded, template, outcome.evaluation().draft(), now);
            };
        } finally {
            requests.increment();
            processingNanos.add(System.nanoTime() - start);
        }
    }

    /** A request as admitted: its PKCS #10 and, when an enrollment agent signed it, the signed message around it. */
    private record Admitted(Pkcs10Request csr, AgentSignedRequest signed) {
    }

    /**
     * The parsed request, or the refusal of input that is no request (nothing recorded): a PKCS #10, or a CMS
     * SignedData around one ({@link AgentSignedRequest}).
     */
    private static Admitted admit(EnrollmentRequest request) {
        byte[] der = request.csr();
        AgentSignedRequest signed = null;
        if (AgentSignedRequest.isSignedData(der)) {
            AgentSignedRequest.Parsed cms = AgentSignedRequest.parse(der, request.requester().account());
            if (cms.refusal() != null) {
                throw new CaException(cms.refusal());
            }
            signed = cms.request();
            der = signed.pkcs10();
        }
        Pkcs10Request.Parsed parsed = Pkcs10Request.parse(der, request.requester().account(), signed == null ? request.form()
                : EnrollmentRequest.Form.PKCS10);
        if (parsed.refusal() != null) {
            throw new CaException(parsed.refusal());
        }
        Decision label = IssuancePolicy.labelCanNameATemplate(request.templateLabel());
        if (!label.proceeds()) {
            throw new CaException(label);
        }
        return new Admitted(parsed.request(), signed);
    }

    private record Outcome(IssuanceFacts facts, IssuancePolicy.Evaluation evaluation) {
    }

    /**
     * Templates come from the CA's cache; a refusal is decided once more on facts read from the directory
     * itself, so that a right granted a moment ago never loses to a cache the change notification has not
     * reached yet.
     */
    private Outcome evaluate(EnrollmentRequest request, Admitted csr, Instant now, IssuanceFacts.Submission submission) {
        IssuanceFacts facts = gather(request, csr, now, submission, false);
        IssuancePolicy.Evaluation evaluation = policy.evaluate(facts);
        if (evaluation.decision().outcome() == Decision.Outcome.DENY && facts.template() != null) {
            facts = gather(request, csr, now, submission, true);
            evaluation = policy.evaluate(facts);
        }
        return new Outcome(facts, evaluation);
    }

    private IssuanceFacts gather(EnrollmentRequest request, Admitted admitted, Instant now, IssuanceFacts.Submission submission,
                                 boolean fresh) {
        CaDirectory.TemplateAndIssueList found = directory.cachedTemplateAndIssueList(caName, request.templateLabel(), domainSid, fresh);
        CaRegistrySettings settings = registry.get();
        IssuanceFacts.Builder facts = IssuanceFacts.builder(request, admitted.csr()).now(now).caName(caName).issueList(found.issueList())
                .domainDnsName(directory.names().dnsName()).caNotAfter(caCertificate.get().getNotAfter().toInstant())
                .submission(submission).registry(settings)
                .caAccess(settings.has(CaRegistrySettings.EditFlag.EDITF_IGNOREREQUESTERGROUP) ? Decision.proceed()
                        : caSecurity.mayEnroll(request.requester()));
        EnrollmentAgentSignature.Agent agent = admitted.signed() == null ? null : agents.agent(request, admitted.signed());
        facts.agent(agent);
        if (request.renewalOf() != null) {
            facts.renewedTemplate(folders.templateOf(request.renewalOf()).orElse(null));
        }
        String namesFrom = agent != null && agent.onBehalfOfAnother() && agent.target() != null
                ? agent.target().dn() : request.requester().distinguishedName();
        found.template().ifPresent(template -> {
            facts.template(template);
            if (!template.enrolleeSuppliesSubject()) {
                // names built from the directory: the account is the one fact the template needs read
                facts.account(directory.account(namesFrom));
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

    private EnrollmentResult issue(EnrollmentRequest request, EnrollmentAgents.Requester recorded, String template, CertificateDraft draft, Instant now) {
        for (int attempt = 0; ; attempt++) {
            BigInteger serial = newSerial();
            try {
                long signing = System.nanoTime();
                byte[] certificate = signer.signDer(draft, serial);
                signingNanos.add(System.nanoTime() - signing);
                issued.increment();
                // the subject as signed, in RFC 4514 order, without parsing the certificate back
                return record(request, recorded, template, RequestStatus.ISSUED, 0, "Issued" + recorded.note(),
                        RFC4519Style.INSTANCE.toString(draft.subject()), serial, certificate, now, draft, null);
            } catch (GeneralSecurityException e) {
                Decision failed = Decision.deny(WindowsError.CRYPT_E_ASN1_BADTAG, "the CA could not sign: " + e.getMessage(), "");
                return record(request, recorded, template, RequestStatus.FAILED, WindowsError.CRYPT_E_ASN1_BADTAG.hresult(),
                        "Error: " + e.getMessage(), null, null, null, now, null, failed);
            } catch (IllegalStateException e) {
                if (attempt < 3 && e.getCause() instanceof SQLException sql && sql.getMessage().contains("UNIQUE")) {
                    continue; // a serial collision: 128 random bits make this theoretical, but never reuse one
                }
                throw e;
            }
        }
    }

    private EnrollmentResult record(EnrollmentRequest request, EnrollmentAgents.Requester requester, String template, RequestStatus status, int code,
                                    String message, String subject, BigInteger serial, byte[] certificate, Instant now,
                                    CertificateDraft draft, Decision decision) {
        try {
            byte[] csr = request.csr();
            RequestRecord row = new RequestRecord(0, requester.account(), requester.dn(),
                    template, status, code, message, serial, subject, certificate, csr, now,
                    status == RequestStatus.PENDING ? null : now,
                    certificate == null ? null : draft.notBefore(), certificate == null ? null : draft.notAfter(), null, null,
                    requester.arrival());
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
        return folders.retrieve(requester, label, csr);
    }

    @Override
    public EnrollmentResult retrieve(LogonToken requester, long requestId) {
        return folders.retrieve(requester, requestId);
    }

    /**
     * Resubmits a pending or denied request ({@code certutil -resubmit}, the console's "Issue" and Certipy's
     * {@code ca -issue-request}, [MS-CSRA] {@code ICertAdminD::ResubmitRequest}): it goes through the policy module again
     * as a resubmission by a certificate manager, past the approval step and without the checks only a new request gets:
     * neither the template's Enroll permission nor the CA's Request Certificates is checked again (the policy module
     * checks "user access for original submitter" only, as "resubmit can only be called by admins"). That is what makes
     * ESC7 work: an officer resubmits his own request for a template he may not enroll for, which the policy module
     * denied, and it is issued. The template must still be on the issue list, and names, key and agent signature must
     * still pass; when they do not, the request stays denied with the new reason.
     */
    public EnrollmentResult approve(long requestId, String approver) {
        RequestRecord pending = folders.resubmittable(requestId);
        Instant now = clock.instant();
        Decision decision;
        CertificateDraft draft = null;
        try {
            LogonToken requester = agents.originalCaller(pending, now);
            // the CA database holds the request as it came: a CRMF CertReqMsg only ever from CMP, which the pipeline admitted as such
            EnrollmentRequest request = new EnrollmentRequest(requester, pending.template(), pending.csr(), false, null,
                    Crmf.isCrmf(pending.csr()) ? EnrollmentRequest.Form.CRMF : EnrollmentRequest.Form.PKCS10, pending.arrival());
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
        return folders.deny(requestId, who);
    }

    /** A template by name or display name, from the CA's template cache; empty when the directory has none. */
    @Override
    public Optional<CertificateTemplate> template(String label) {
        return directory.cachedTemplateAndIssueList(caName, label, domainSid, false).template();
    }

    @Override
    public Optional<CertificateTemplate> templateWithOid(String oid) {
        return directory.cachedTemplatesAndIssueList(caName, domainSid).templates().stream()
                .filter(t -> oid.equals(t.oid())).findFirst();
    }

    @Override
    public Optional<String> estDefaultTemplate() {
        String template = registry.get().estDefaultTemplate();
        return template.isEmpty() ? Optional.empty() : Optional.of(template);
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
        return folders.templateOf(certificate);
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
