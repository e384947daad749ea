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
        return record.certificate() == null ? null : parseCertificate(record.certificate());
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

    /** A certificate as the CA signed or stored it. */
    static X509Certificate parseCertificate(byte[] der) {
        try {
            return (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(der));
        } catch (java.security.cert.CertificateException e) {
            throw new IllegalStateException("stored certificate does not parse", e);
        }
    }
}
