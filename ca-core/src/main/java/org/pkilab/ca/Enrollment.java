package org.pkilab.ca;

import org.pkilab.directory.model.LogonToken;

import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * What a protocol adapter needs from the CA to enroll: submit a request, retrieve the answer to one sent
 * before, and find the template a certificate came from. EST's {@code simpleenroll} and {@code simplereenroll} use
 * it today; SCEP, CMP or ACME would use the same calls. {@link EnrollmentService} is it.
 */
public interface Enrollment {

    /** Runs a new request through the policy module; refused requests are recorded and answered too. */
    EnrollmentResult submit(EnrollmentRequest request);

    /**
     * The answer to the same request sent again by the same requester for the template {@code label}
     * names (the certificate once a pending request was approved, the denial once denied); empty when a
     * fresh submission should be made.
     */
    Optional<EnrollmentResult> retrieve(LogonToken requester, String label, byte[] csr);

    /**
     * {@code certreq -retrieve ID}: what became of request {@code requestId}, which {@code requester} made; never a new
     * submission. Issued (or revoked since): the certificate; pending: still pending; denied or failed: the refusal as
     * recorded.
     *
     * @throws CaException {@code CERTSRV_E_NO_REQUEST} when there is no such request, {@code E_ACCESSDENIED} when another
     *                     account made it
     */
    EnrollmentResult retrieve(LogonToken requester, long requestId);

    /** The template {@code certificate} was issued from, as the CA database recorded it. */
    Optional<String> templateOf(X509Certificate certificate);
}
