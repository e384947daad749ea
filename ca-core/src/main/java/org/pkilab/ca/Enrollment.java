package org.pkilab.ca;

import org.pkilab.directory.model.LogonToken;

import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * What a protocol adapter needs from the CA to enroll: submit a request, retrieve the answer to one sent
 * before, and find who renews with a certificate. EST's {@code simpleenroll} and {@code simplereenroll} use
 * it today; SCEP, CMP or ACME would use the same three calls.
 */
public interface Enrollment {

    /** Runs a new request through the policy module; refused requests are recorded and answered too. */
    EnrollmentResult submit(EnrollmentRequest request);

    /**
     * The answer to the same request sent again by the same requester for the template {@code label}
     * names (the certificate once a pending request was approved, the denial once denied); empty when a
     * fresh submission should be made.
     */
    Optional<EnrollmentResult> previous(LogonToken requester, String label, byte[] csr);

    /**
     * The current token of the account holding {@code certificate}, which must be one this CA issued and
     * still valid: renewal authenticates with the certificate being renewed.
     *
     * @throws CaException {@code CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE} naming the certificate otherwise
     */
    LogonToken holderOf(X509Certificate certificate);

    /** The template {@code certificate} was issued from, as the CA database recorded it. */
    Optional<String> templateOf(X509Certificate certificate);
}
