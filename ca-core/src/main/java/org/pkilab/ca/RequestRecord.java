package org.pkilab.ca;

import java.math.BigInteger;
import java.time.Instant;

/**
 * One row of the CA database: a request and what became of it, as the CA console's columns show it
 * (Request ID, Requester Name, Certificate Template, Request Disposition Message, Serial Number, ...).
 *
 * @param requestId          the CA's request id, counting from 1
 * @param requester          {@code CONTOSO\IIS01$}
 * @param requesterDn        the account's DN, for names built from the directory at approval time
 * @param template           the template name ({@code cn})
 * @param status             issued, pending, denied, failed or revoked
 * @param dispositionCode    0 when issued or pending, else the HRESULT ({@code 0x80094012})
 * @param dispositionMessage "Issued", "Taken Under Submission", or the reason it was refused
 * @param serial             the certificate's serial number; null when none was issued
 * @param subject            the certificate's subject (RFC 4514), or the request's when none was issued
 * @param certificate        DER, or null
 * @param csr                the PKCS #10 request, DER
 * @param revocationReason   null unless revoked
 * @param arrival            how the request reached the CA: from its requester, or from NDES or an enrollment agent for another
 */
public record RequestRecord(long requestId, String requester, String requesterDn, String template, RequestStatus status,
                            int dispositionCode, String dispositionMessage, BigInteger serial, String subject,
                            byte[] certificate, byte[] csr, Instant submittedAt, Instant resolvedAt,
                            Instant notBefore, Instant notAfter, Instant revokedAt, RevocationReason revocationReason,
                            Arrival arrival) {

    /**
     * How a request reached the CA, which decides whether its certificate stands for the recorded requester. Most requests
     * come from the requester itself ({@code DIRECT}); NDES submits a SCEP device's request under its own service account
     * ({@code CONTOSO\CA01$}), so the certificate names a router, not CA01$; an enrollment agent's request is recorded under
     * the account it was made for. Rows written before the CA kept this read as {@code DIRECT}.
     */
    public enum Arrival {
        DIRECT, NDES, ENROLLMENT_AGENT;

        /** A stored value, {@code DIRECT} for none (a database or log from before the CA recorded it). */
        static Arrival of(String stored) {
            return stored == null || stored.isEmpty() ? DIRECT : valueOf(stored);
        }
    }

    public RequestRecord {
        arrival = arrival == null ? Arrival.DIRECT : arrival;
    }

    /** A request its requester sent itself. */
    public RequestRecord(long requestId, String requester, String requesterDn, String template, RequestStatus status,
                         int dispositionCode, String dispositionMessage, BigInteger serial, String subject,
                         byte[] certificate, byte[] csr, Instant submittedAt, Instant resolvedAt,
                         Instant notBefore, Instant notAfter, Instant revokedAt, RevocationReason revocationReason) {
        this(requestId, requester, requesterDn, template, status, dispositionCode, dispositionMessage, serial, subject, certificate, csr,
                submittedAt, resolvedAt, notBefore, notAfter, revokedAt, revocationReason, Arrival.DIRECT);
    }

    /** The serial number as the console and {@code certutil} print it: hex, lower case. */
    public String serialHex() {
        return serial == null ? null : serial.toString(16);
    }
}
