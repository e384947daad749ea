package org.pkilab.ca;

import org.pkilab.windows.WindowsError;
import java.security.cert.X509Certificate;

/**
 * What the CA answered: issued (with the certificate), pending (with the request id to ask again
 * with), or refused (with the decision that explains why).
 */
public record EnrollmentResult(RequestRecord record, Decision decision) {

    /** The issued certificate, or null. */
    public X509Certificate certificate() {
        return record.certificate() == null ? null : CertificationAuthority.certificate(record.certificate());
    }

    public RequestStatus status() {
        return record.status();
    }

    public long requestId() {
        return record.requestId();
    }

    public boolean issued() {
        return record.status() == RequestStatus.ISSUED;
    }

    /** The AD CS error of a refusal, or null. */
    public WindowsError error() {
        return decision == null ? null : decision.error();
    }
}
