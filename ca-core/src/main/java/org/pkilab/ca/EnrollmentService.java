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
    private final CaSecurity caSecurity;
    private final Supplier<CaRegistrySettings> registry;
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
        this.caHostFqdn = caHostFqdn;
        this.caSecurity = caSecurity;
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
        Requester recorded = recordedRequester(request, facts);
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
        Pkcs10Request.Parsed parsed = Pkcs10Request.parse(der, request.requester().account());
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
     * Who the CA database records as the requester: the caller, or for an enrollment agent's request on behalf of
     * another account that account (the console's "Requester Name"), with the agent named in the disposition ({@code note}).
     */
    private record Requester(String account, String dn, String note) {
    }

    private static final EnrollmentAgentSignature AGENT_CHECK = new EnrollmentAgentSignature();

    /**
     * The target is recorded only once the agent's signature passed: a refused signature (another CA's certificate, no
     * Certificate Request Agent policy, revoked) leaves the request the caller's, so that no resubmission can take it as
     * the target's own.
     */
    private static Requester recordedRequester(EnrollmentRequest request, IssuanceFacts facts) {
        EnrollmentAgentSignature.Agent agent = facts.agent();
        if (agent != null && agent.onBehalfOfAnother() && agent.target() != null && facts.template() != null
                && AGENT_CHECK.check(facts).proceeds()) {
            String caller = request.requester().account();
            // the console writes DOMAIN\sAMAccountName, whatever form the agent named the account in
            String account = caller.substring(0, caller.indexOf('\\') + 1) + agent.target().samAccountName();
            return new Requester(account, agent.target().dn(), " (enrolled on behalf of " + account + " by enrollment agent "
                    + request.requester().account() + ")");
        }
        return new Requester(request.requester().account(), request.requester().distinguishedName(), "");
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
        EnrollmentAgentSignature.Agent agent = admitted.signed() == null ? null : agent(request, admitted.signed());
        facts.agent(agent);
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

    /** What the CA can find out about an enrollment agent's signature: its certificate in this CA's database, and the account it names. */
    private EnrollmentAgentSignature.Agent agent(EnrollmentRequest request, AgentSignedRequest signed) {
        X509Certificate signer = signed.signer();
        X509Certificate ca = caCertificate.get();
        boolean issuedHere;
        try {
            signer.verify(ca.getPublicKey());
            issuedHere = signer.getIssuerX500Principal().equals(ca.getSubjectX500Principal());
        } catch (GeneralSecurityException e) {
            issuedHere = false;
        }
        boolean revoked;
        try {
            revoked = issuedHere && database.bySerial(signer.getSerialNumber()).map(r -> r.status() == RequestStatus.REVOKED).orElse(false);
        } catch (SQLException e) {
            throw new IllegalStateException("the CA database could not be read: " + e.getMessage(), e);
        }
        CaDirectory.Account target = null;
        String unmapped = null;
        String named = signed.requesterName();
        if (named != null && !named.isEmpty()) {
            CaDirectory.NamedAccount account = directory.requesterAccount(named);
            target = account.dn() == null ? null : directory.account(account.dn());
            unmapped = account.refusal();
        }
        return new EnrollmentAgentSignature.Agent(signed, request.requester().account(), request.requester().distinguishedName(),
                issuedHere, revoked, target, unmapped);
    }

    private static boolean malformed(Decision decision) {
        return decision.error() == WindowsError.CRYPT_E_ASN1_BADTAG || decision.error() == WindowsError.NTE_BAD_SIGNATURE;
    }

    private static String dispositionFor(Decision decision) {
        return "Denied by Policy Module " + decision.error().windowsMessage() + " " + decision.error().code()
                + " (" + decision.error().hresult() + " " + decision.error().symbolicName() + "). " + decision.reason();
    }

    private EnrollmentResult issue(EnrollmentRequest request, Requester recorded, String template, CertificateDraft draft, Instant now) {
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

    private EnrollmentResult record(EnrollmentRequest request, Requester requester, String template, RequestStatus status, int code,
                                    String message, String subject, BigInteger serial, byte[] certificate, Instant now,
                                    CertificateDraft draft, Decision decision) {
        try {
            byte[] csr = request.csr();
            RequestRecord row = new RequestRecord(0, requester.account(), requester.dn(),
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

    @Override
    public EnrollmentResult retrieve(LogonToken requester, long requestId) {
        RequestRecord r = existing(requestId);
        if (!r.requester().equalsIgnoreCase(requester.account())) {
            // who made it is not said: a refusal naming the requester would let any account list who asked for what
            throw new CaException(Decision.deny(WindowsError.E_ACCESSDENIED, "request " + requestId + " on " + caName + " is not "
                    + requester.account() + "'s: only the account that made a request may retrieve it",
                    "retrieve it as the account that made it (on the computer that holds its key), or ask a certificate manager"));
        }
        return switch (r.status()) {
            case ISSUED, REVOKED -> new EnrollmentResult(r, null);
            case PENDING -> new EnrollmentResult(r, Decision.pend("request " + requestId + " is still pending"));
            case DENIED, FAILED -> new EnrollmentResult(r, Decision.deny(WindowsError.find(String.format("0x%08X", r.dispositionCode()))
                    .orElse(WindowsError.CERTSRV_E_ADMIN_DENIED_REQUEST), "request " + requestId + " was refused: " + r.dispositionMessage(),
                    "a certificate manager may resubmit it (pkilab ca resubmit " + requestId + "); or send a new request"));
        };
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
        RequestRecord pending = resubmittable(requestId);
        Instant now = clock.instant();
        Decision decision;
        CertificateDraft draft = null;
        try {
            LogonToken requester = originalCaller(pending, now);
            EnrollmentRequest request = new EnrollmentRequest(requester, pending.template(), pending.csr(), false, null);
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

    /**
     * Who sent a recorded request, for its resubmission: the requester, except for an enrollment agent's request recorded
     * under the account it was made on behalf of. Its caller, the agent, is the account this CA issued the signing
     * certificate to; resubmitted as the agent's, the request goes through the agent checks again (issued here, not revoked,
     * Certificate Request Agent, the template's Issuance Requirements) rather than passing as the target's own request.
     *
     * @throws CaException when the signing certificate is none this CA issued: the agent cannot be known, so the request
     *                     cannot be checked again
     */
    private LogonToken originalCaller(RequestRecord r, Instant now) {
        String account = r.requester();
        String dn = r.requesterDn();
        byte[] der = r.csr();
        if (AgentSignedRequest.isSignedData(der)) {
            AgentSignedRequest signed = AgentSignedRequest.parse(der, r.requester()).request();
            String named = signed == null ? null : signed.requesterName();
            if (named != null && !named.isEmpty() && dn.equalsIgnoreCase(String.valueOf(directory.requesterAccount(named).dn()))) {
                byte[] signer = encoded(signed.signer());
                Optional<RequestRecord> agentCertificate;
                try {
                    agentCertificate = database.bySerial(signed.signer().getSerialNumber())
                            .filter(c -> c.certificate() != null && java.util.Arrays.equals(c.certificate(), signer));
                } catch (SQLException e) {
                    throw new IllegalStateException("the CA database could not be read: " + e.getMessage(), e);
                }
                if (agentCertificate.isEmpty()) {
                    throw new CaException(Decision.deny(WindowsError.CERT_E_UNTRUSTEDROOT, "request " + r.requestId() + " was signed on behalf of "
                                    + account + " with a certificate " + caName + " did not issue (" + signed.signer().getSubjectX500Principal().getName()
                                    + "), so the enrollment agent who sent it cannot be checked again",
                            "have the enrollment agent send a new request signed with an Enrollment Agent certificate " + caName + " issued"));
                }
                account = agentCertificate.get().requester();
                dn = agentCertificate.get().requesterDn();
            }
        }
        return new LogonToken(account, dn, directory.account(dn).sid(), List.of(), now, caHostFqdn);
    }

    private static byte[] encoded(X509Certificate certificate) {
        try {
            return certificate.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            return new byte[0];
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

    private RequestRecord resubmittable(long requestId) {
        RequestRecord r = existing(requestId);
        if (r.status() != RequestStatus.PENDING && r.status() != RequestStatus.DENIED) {
            throw new CaException(WindowsError.CERTSRV_E_BAD_REQUESTSTATUS, "request " + requestId + " is " + r.status().consoleText()
                    + ": only a pending or denied request can be resubmitted" + (r.status() == RequestStatus.FAILED
                    ? " (this one is not a request the CA could read)" : ""));
        }
        return r;
    }

    private RequestRecord existing(long requestId) {
        try {
            return database.byId(requestId).orElseThrow(() -> new CaException(WindowsError.CERTSRV_E_NO_REQUEST,
                    "there is no request " + requestId + " in " + caName + "'s database"));
        } catch (SQLException e) {
            throw new IllegalStateException(e);
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
