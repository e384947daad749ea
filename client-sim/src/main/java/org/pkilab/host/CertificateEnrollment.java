package org.pkilab.host;

import org.pkilab.directory.model.KeyAlgorithm;
import org.pkilab.enrollment.EnrollableTemplate;
import org.pkilab.enrollment.EnrollmentException;
import org.pkilab.enrollment.EstAnswer;
import org.pkilab.enrollment.EstClient;
import org.pkilab.enrollment.OnBehalfOfRequest;
import org.pkilab.enrollment.PendingException;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Certificate enrollment on a domain member, as the Certificates snap-in's "Request New Certificate" and
 * {@code certreq} do it: the "Request Certificates" page from the CA's enrollment policy, the key and request
 * the template asks for ({@link KeyAndRequest}), the request over EST ({@link EstClient}), and the answer:
 * the certificate into the enrollee's Personal store, or the request kept in
 * {@link CertificateEnrollmentRequests} while a certificate manager decides, or the CA's refusal. Each outcome
 * goes to the Application event log as Windows writes it (events 13, 15, 19).
 *
 * <pre>{@code
 * enrollment.request(enrollment.machine(), CertificateRequest.forTemplate("WebServer").commonName("iis01.contoso.com"));
 * }</pre>
 */
final class CertificateEnrollment {

    private final DomainComputerConfig config;
    private final GroupPolicyClient domain;
    private final CertificateStore my;
    private final EventLog eventLog;
    private final HostTimings timings;
    private final LabEstTransport transport;
    private final CertificateEnrollmentRequests requests;
    /** Requests the CA refused, with their keys, that a certificate manager may still resubmit: the newest few. */
    private final RefusedRequests refused = new RefusedRequests();

    CertificateEnrollment(DomainComputerConfig config, GroupPolicyClient domain, CertificateStore my, EventLog eventLog,
                          HostTimings timings, Supplier<LabHttp.Client> https) {
        this.config = config;
        this.domain = domain;
        this.my = my;
        this.eventLog = eventLog;
        this.timings = timings;
        this.transport = new LabEstTransport(config.name(), https);
        this.requests = new CertificateEnrollmentRequests(config, my, eventLog);
    }

    /** The computer as enrollee, with its logon token (renewed first when its 10 hours are over). */
    Enrollee machine() {
        return new Enrollee(EstClient.bearer(domain.encodedToken()), my, "Local system");
    }

    /** The EST client of the enrollment service Group Policy found at the last boot. */
    private EstClient est() {
        String url = domain.enrollmentUrl();
        if (url == null) {
            throw new EnrollmentException(0, null, "no enterprise CA publishes an enrollment URL in " + config.names().enrollmentServices());
        }
        return new EstClient(url, transport);
    }

    /** The "Request Certificates" page: what the CA says {@code who} may enroll for. */
    List<EnrollableTemplate> enrollableTemplates(Enrollee who) {
        EstAnswer answer = timings.time(HostTimings.Phase.ENROLLMENT_POLICY, () -> est().policy(who.authorization()));
        return answer.policy().templates();
    }

    /** See {@link DomainComputer#requestCertificate(CertificateRequest)}; the certificate goes to {@code who}'s store. */
    StoredCertificate request(Enrollee who, CertificateRequest request) {
        // the same request again: send the one the CA holds, as the wizard's pending request is retrieved, not made anew
        Optional<Long> waiting = requests.sameAs(who.store(), request);
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
            KeyPair key = timings.time(HostTimings.Phase.KEY_GENERATION, () -> KeyAndRequest.generateKey(unlisted, request.keySize()));
            byte[] csr = timings.time(HostTimings.Phase.REQUEST_SIGNING, () -> KeyAndRequest.csr(key, request.subject(), request.dnsNames(), request));
            EstAnswer answer = est().simpleEnroll(request.template(), who.authorization(), csr);
            if (!answer.issued() && !answer.pending()) {
                if (answer.requestId() != null) {
                    refused.put(Long.parseLong(answer.requestId()), new CertificateEnrollmentRequests.Pending(unlisted.name(), key, csr,
                            unlisted, who.store(), request));
                }
                throw EnrollmentException.fromAnswer(answer.status(), answer.errorHeader(), "'" + request.template()
                        + "' is not among the certificates " + who.label() + " on " + config.name() + " can request; the CA says:\n"
                        + answer.text());
            }
            return answer(who, unlisted, key, csr, answer, request);
        }
        EnrollableTemplate template = offered.get();
        if (template.subjectSuppliedInRequest() && !request.suppliesNames()) {
            throw new EnrollmentException(0, null, "More information is required to enroll for this certificate: '"
                    + template.displayName() + "' takes its subject from the request; give a Common name or DNS names");
        }
        KeyPair key = timings.time(HostTimings.Phase.KEY_GENERATION, () -> KeyAndRequest.generateKey(template, request.keySize()));
        byte[] csr = timings.time(HostTimings.Phase.REQUEST_SIGNING, () -> KeyAndRequest.csr(key,
                template.subjectSuppliedInRequest() ? request.subject() : "",
                template.subjectSuppliedInRequest() ? request.dnsNames() : List.of(), request));
        return enroll(who, template, key, csr, request);
    }

    /** szOID_ENROLLMENT_AGENT: the purpose of the certificate an enrollment agent signs with. */
    static final String CERTIFICATE_REQUEST_AGENT = "1.3.6.1.4.1.311.20.2.1";

    /**
     * "Enroll On Behalf Of" (the Certificates snap-in's Advanced Operations, {@code certreq -policy} with a signing
     * certificate, Certipy's {@code req -on-behalf-of}): a new key and a PKCS #10 without subject (the CA builds the
     * names and the SID extension from {@code targetAccount}), wrapped in a CMS SignedData signed with the agent's
     * certificate and key and naming {@code targetAccount} as {@code RequesterName} ({@link OnBehalfOfRequest}), sent
     * over EST as {@code application/pkcs7-mime}. The certificate goes to the agent's own store, as the snap-in puts it
     * (for the agent to hand over, on a smart card in Windows).
     *
     * @param signing the agent's certificate; null takes the newest valid Certificate Request Agent certificate with a
     *                private key in the agent's store
     * @throws EnrollmentException when the agent has no such certificate, or the CA refuses (its code and reason)
     */
    StoredCertificate requestOnBehalfOf(Enrollee agent, String template, String targetAccount, StoredCertificate signing) {
        if (targetAccount == null || targetAccount.isBlank()) {
            throw new IllegalArgumentException("name the account to enroll on behalf of, as CONTOSO\\Administrator");
        }
        StoredCertificate signer = signing != null ? signing : agent.store().matching(c -> c.privateKey() != null
                        && c.hasPurpose(CERTIFICATE_REQUEST_AGENT) && c.validAt(config.clock().instant())).stream()
                .max(java.util.Comparator.comparing(StoredCertificate::notBefore))
                .orElseThrow(() -> new EnrollmentException(0, null, agent.label() + " on " + config.name() + " holds no valid "
                        + "Certificate Request Agent certificate with its private key in " + agent.store().name() + ": enroll for an "
                        + "Enrollment Agent certificate first"));
        if (signer.privateKey() == null) {
            throw new EnrollmentException(0, null, "the signing certificate " + signer.thumbprint() + " has no private key in "
                    + agent.store().name() + "; an enrollment agent signs with its key");
        }
        EnrollableTemplate settings = offeredOrUnlisted(agent, template);
        KeyPair key = timings.time(HostTimings.Phase.KEY_GENERATION, () -> KeyAndRequest.generateKey(settings, 0));
        byte[] csr = timings.time(HostTimings.Phase.REQUEST_SIGNING, () -> KeyAndRequest.csr(key, "", List.of()));
        byte[] signed = OnBehalfOfRequest.sign(csr, targetAccount.strip(), signer.certificate(), signer.privateKey());
        EstAnswer answer = timings.time(HostTimings.Phase.ENROLLMENT,
                () -> est().simpleEnrollOnBehalfOf(settings.name(), agent.authorization(), signed));
        return answer(agent, settings, key, signed, answer, CertificateRequest.forTemplate(template));
    }

    /** The template as the "Request Certificates" page offers it, or, when it is not offered, as certreq sends an unknown one. */
    private EnrollableTemplate offeredOrUnlisted(Enrollee who, String template) {
        return enrollableTemplates(who).stream()
                .filter(t -> t.name().equalsIgnoreCase(template) || t.displayName().equalsIgnoreCase(template))
                .findFirst()
                .orElseGet(() -> new EnrollableTemplate(template, template, "", 0, true, 0, KeyAlgorithm.RSA.windowsName(),
                        false, false, false, false, false, Duration.ZERO, List.of(), List.of()));
    }

    /** Autoenrollment's request for {@code template}: a new key, no subject (the CA builds it from the directory). */
    StoredCertificate autoenroll(EnrollableTemplate template) {
        KeyPair key = timings.time(HostTimings.Phase.KEY_GENERATION, () -> KeyAndRequest.generateKey(template, 0));
        byte[] csr = timings.time(HostTimings.Phase.REQUEST_SIGNING, () -> KeyAndRequest.csr(key, "", List.of()));
        return enroll(machine(), template, key, csr, null);
    }

    /** See {@link DomainComputer#retrievePending(long)}. */
    StoredCertificate retrievePending(long requestId) {
        return retrieveRequest(machine(), requestId);
    }

    /**
     * {@code certreq -retrieve ID} for {@code who}: a request of its store that waits for a certificate manager, or one the
     * CA refused that a certificate manager may have resubmitted since (ESC7), sent again as it was made; installed once
     * issued, with the key made for it.
     */
    StoredCertificate retrieveRequest(Enrollee who, long requestId) {
        CertificateEnrollmentRequests.Pending found = requests.get(requestId);
        boolean wasRefused = found == null;
        if (found == null) {
            found = refused.get(requestId);
        }
        if (found == null || found.store() != who.store()) {
            List<Long> mine = new ArrayList<>();
            requests.all().forEach((id, p) -> {
                if (p.store() == who.store()) {
                    mine.add(id);
                }
            });
            mine.addAll(refused.ids(who.store()));
            throw new IllegalArgumentException(config.name() + " has no pending request " + requestId + " in its Certificate Enrollment "
                    + "Requests: " + (mine.isEmpty() ? "it has none" : "its pending requests are " + mine.stream().sorted().toList())
                    + ". A request is retrieved on the computer that made it, which holds its private key; one already retrieved is in "
                    + who.store().name() + "; of the requests the CA refused it keeps the newest " + RefusedRequests.KEPT + ".");
        }
        CertificateEnrollmentRequests.Pending request = found;
        // a refused request is fetched by its id: sent as new, it would be refused again under a new id
        EstAnswer answer = timings.time(HostTimings.Phase.ENROLLMENT, () -> wasRefused
                ? est().retrieve(request.template(), who.authorization(), requestId, request.csr())
                : est().simpleEnroll(request.template(), who.authorization(), request.csr()));
        StoredCertificate stored = answer(who, request.settings(), request.key(), request.csr(), answer, request.asked());
        refused.remove(requestId);
        return stored;
    }

    private StoredCertificate retrieve(Enrollee who, long requestId) {
        CertificateEnrollmentRequests.Pending request = requests.get(requestId);
        EstAnswer answer = timings.time(HostTimings.Phase.ENROLLMENT,
                () -> est().simpleEnroll(request.template(), who.authorization(), request.csr()));
        return answer(who, request.settings(), request.key(), request.csr(), answer, request.asked());
    }

    /**
     * Autoenrollment's "fetch pending": each request of the computer is sent again; one a certificate manager decided on
     * is installed or, when denied, logged and forgotten. A user's request is fetched in the user's session, with the
     * user's token.
     */
    void fetchPending() {
        for (Map.Entry<Long, CertificateEnrollmentRequests.Pending> entry : requests.all().entrySet()) {
            CertificateEnrollmentRequests.Pending request = entry.getValue();
            if (request.store() != my) {
                continue;
            }
            Enrollee machine = machine();
            EstAnswer answer = est().simpleEnroll(request.template(), machine.authorization(), request.csr());
            if (answer.pending()) {
                continue;
            }
            requests.forget(entry.getKey());
            try {
                answer(machine, request.settings(), request.key(), request.csr(), answer, null);
            } catch (EnrollmentException | PendingException e) {
                // logged by answer()
            }
        }
    }

    /** Whether a request for {@code template} waits for a certificate manager. */
    boolean waitingFor(String template) {
        return requests.waitingFor(template);
    }

    /** The ids of the requests that wait, the computer's and its users'. */
    List<Long> pendingRequests() {
        return new ArrayList<>(requests.all().keySet());
    }

    /** See {@link DomainComputer#pendingEnrollments()}. */
    List<DomainComputer.PendingEnrollment> pendingEnrollments() {
        List<DomainComputer.PendingEnrollment> list = new ArrayList<>();
        requests.all().forEach((id, p) -> list.add(new DomainComputer.PendingEnrollment(id, p.settings().displayName(), p.store().name())));
        return list;
    }

    private StoredCertificate enroll(Enrollee who, EnrollableTemplate template, KeyPair key, byte[] csr, CertificateRequest asked) {
        EstAnswer answer = timings.time(HostTimings.Phase.ENROLLMENT, () -> est().simpleEnroll(template.name(), who.authorization(), csr));
        return answer(who, template, key, csr, answer, asked);
    }

    /** {@code asked}: what Request New Certificate was given; null for autoenrollment. */
    private StoredCertificate answer(Enrollee who, EnrollableTemplate template, KeyPair key, byte[] csr, EstAnswer answer,
                                     CertificateRequest asked) {
        boolean autoenrolled = asked == null;
        String requestId = answer.requestId();
        if (answer.pending()) {
            PendingException pending = answer.pendingRequest();
            long id = pending.requestId();
            boolean first = requests.add(id, new CertificateEnrollmentRequests.Pending(template.name(), key, csr, template, who.store(), asked));
            eventLog.write(config.clock().instant(), "Information", 15, EventLog.AUTOENROLLMENT, "Certificate enrollment for " + who.label() + " "
                    + (first ? "is pending" : "is still pending") + ": request " + id + " for a " + template.displayName()
                    + " certificate waits for approval");
            throw pending;
        }
        if (requestId != null) {
            // issued or refused: either way it no longer waits
            requests.forget(Long.parseLong(requestId));
        }
        if (!answer.issued() && requestId != null) {
            refused.put(Long.parseLong(requestId), new CertificateEnrollmentRequests.Pending(template.name(), key, csr, template,
                    who.store(), asked));
        }
        if (!answer.issued()) {
            eventLog.write(config.clock().instant(), "Error", 13, EventLog.AUTOENROLLMENT, "Certificate enrollment for " + who.label() + " failed "
                    + "to enroll for a " + template.displayName() + " certificate" + (requestId == null ? "" : " with request ID " + requestId)
                    + ": " + answer.text().trim());
            throw answer.refusal();
        }
        X509Certificate certificate = answer.certificate();
        StoredCertificate stored = new StoredCertificate(certificate, key.getPrivate(), template.exportableKey(),
                template.usesCng() ? StoredCertificate.KeyStorage.CNG_KSP : StoredCertificate.KeyStorage.LEGACY_CSP,
                template.name(), template.displayName(), List.of(certificate));
        who.store().add(stored);
        eventLog.write(config.clock().instant(), "Information", 19, EventLog.AUTOENROLLMENT, (autoenrolled ? "Autoenrollment" : "Enrollment")
                + " for " + who.label() + " successfully received a " + template.displayName() + " certificate, request ID " + requestId
                + ", thumbprint " + stored.thumbprint());
        return stored;
    }
}
