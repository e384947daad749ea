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
 */
public record RequestRecord(long requestId, String requester, String requesterDn, String template, RequestStatus status,
                            int dispositionCode, String dispositionMessage, BigInteger serial, String subject,
                            byte[] certificate, byte[] csr, Instant submittedAt, Instant resolvedAt,
                            Instant notBefore, Instant notAfter, Instant revokedAt, RevocationReason revocationReason) {

    /** The serial number as the console and {@code certutil} print it: hex, lower case. */
    public String serialHex() {
        return serial == null ? null : serial.toString(16);
    }
}
