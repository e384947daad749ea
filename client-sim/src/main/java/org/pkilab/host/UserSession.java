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
}
