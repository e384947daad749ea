package org.pkilab.host;

import org.pkilab.enrollment.EnrollableTemplate;
import org.pkilab.directory.model.LogonToken;

import java.util.List;

/**
 * A user logged on to a lab computer: their own logon token (their groups at logon), their
 * {@code CurrentUser\My} store, and "Request New Certificate" in the user context, as the guide's
 * mobile-device users do.
 */
public final class UserSession {

    private final CertificateEnrollment enrollment;
    private final LogonToken token;
    private final Enrollee enrollee;

    UserSession(CertificateEnrollment enrollment, LogonToken token, Enrollee enrollee) {
        this.enrollment = enrollment;
        this.token = token;
        this.enrollee = enrollee;
    }

    public LogonToken token() {
        return token;
    }

    /** {@code CurrentUser\My}. */
    public CertificateStore personal() {
        return enrollee.store();
    }

    public List<EnrollableTemplate> enrollableTemplates() {
        return enrollment.enrollableTemplates(enrollee);
    }

    /** "Request New Certificate" as this user; the certificate goes to {@code CurrentUser\My}. */
    public StoredCertificate requestCertificate(CertificateRequest request) {
        return enrollment.request(enrollee, request);
    }

    /**
     * {@code certreq -retrieve ID} as this user: a request of this user's that waits for a certificate manager, or that
     * the CA denied and an officer has resubmitted since (ESC7), sent again; the certificate goes to {@code CurrentUser\My}
     * with the key made for the request.
     *
     * @throws IllegalArgumentException when this user made no such request on this computer
     * @throws org.pkilab.enrollment.PendingException    while it still waits
     * @throws org.pkilab.enrollment.EnrollmentException while it is still refused
     */
    public StoredCertificate retrieve(long requestId) {
        return enrollment.retrieveRequest(enrollee, requestId);
    }

    /**
     * "Enroll On Behalf Of" as this user, an enrollment agent: a certificate of {@code template} for {@code targetAccount}
     * ({@code CONTOSO\Administrator}), signed with the newest valid Certificate Request Agent certificate in this user's
     * {@code CurrentUser\My}; the certificate (named and SID-stamped for the target by the CA) goes to this user's
     * {@code CurrentUser\My}. ESC3 when ordinary users may hold an agent certificate.
     *
     * @throws org.pkilab.enrollment.EnrollmentException when the user holds no agent certificate, or with the CA's refusal
     */
    public StoredCertificate requestOnBehalfOf(String template, String targetAccount) {
        return enrollment.requestOnBehalfOf(enrollee, template, targetAccount, null);
    }

    /** As {@link #requestOnBehalfOf(String, String)}, signed with {@code agentCertificate} (from this user's store). */
    public StoredCertificate requestOnBehalfOf(String template, String targetAccount, StoredCertificate agentCertificate) {
        return enrollment.requestOnBehalfOf(enrollee, template, targetAccount, agentCertificate);
    }
}
