package org.pkilab.ca;

import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.windows.WindowsError;

import java.security.cert.X509Certificate;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Optional;
import java.util.function.Function;

/**
 * The CA database's Pending, Issued and Failed Requests folders as the {@link EnrollmentService} reads them outside
 * a new submission: a requester asking again for a request it sent ({@code certreq -retrieve}, an EST client sending
 * the same CSR again), a certificate manager denying a pending request, and which requests a resubmission may take.
 *
 * <pre>{@code
 * folders.retrieve(token, 42);            // request 42, if it is token's: issued, still pending, or why it was refused
 * folders.deny(42, "CONTOSO\\Administrator");   // "Denied by CONTOSO\Administrator", CERTSRV_E_ADMIN_DENIED_REQUEST
 * folders.resubmittable(42);              // CERTSRV_E_BAD_REQUESTSTATUS unless it is pending or denied
 * }</pre>
 */
final class RequestFolders {

    private final String caName;
    private final CaDatabase database;
    private final Clock clock;
    private final Function<String, Optional<CertificateTemplate>> templates;

    /** @param templates a template by name or display name, from the CA's template cache */
    RequestFolders(String caName, CaDatabase database, Clock clock, Function<String, Optional<CertificateTemplate>> templates) {
        this.caName = caName;
        this.database = database;
        this.clock = clock;
        this.templates = templates;
    }

    /**
     * What an EST client that asks again with the same request for the same template gets: the
     * certificate once a pending request was approved, the denial once it was denied, "still pending"
     * meanwhile. Empty when this requester never sent this request for the template {@code label} names,
     * or when a fresh submission should be made.
     */
    Optional<EnrollmentResult> retrieve(LogonToken requester, String label, byte[] csr) {
        if (!IssuancePolicy.isTemplateName(label)) {
            return Optional.empty();
        }
        try {
            Optional<RequestRecord> last = database.byCsr(requester.account(), EnrollmentService.sha256(csr));
            if (last.isEmpty() || !(last.get().template().equalsIgnoreCase(label)
                    || templates.apply(label).filter(t -> t.name().equalsIgnoreCase(last.get().template())).isPresent())) {
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

    EnrollmentResult retrieve(LogonToken requester, long requestId) {
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

    /** Deny a pending request ("Denied by CONTOSO\Administrator", CERTSRV_E_ADMIN_DENIED_REQUEST). */
    RequestRecord deny(long requestId, String who) {
        pendingRecord(requestId);
        try {
            return database.resolve(requestId, RequestStatus.DENIED, WindowsError.CERTSRV_E_ADMIN_DENIED_REQUEST.hresult(), "Denied by " + who,
                    null, null, null, clock.instant(), null, null);
        } catch (SQLException e) {
            throw new IllegalStateException("denying request " + requestId + " failed: " + e.getMessage(), e);
        }
    }

    RequestRecord resubmittable(long requestId) {
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
        RequestRecord r = existing(requestId);
        if (r.status() != RequestStatus.PENDING) {
            throw new CaException(WindowsError.CERTSRV_E_BAD_REQUESTSTATUS, "request " + requestId + " is " + r.status().consoleText()
                    + ", not pending");
        }
        return r;
    }

    /** The template a certificate this CA issued was issued from, as its database recorded it; null for one it did not issue. */
    Optional<String> templateOf(X509Certificate certificate) {
        try {
            return database.bySerial(certificate.getSerialNumber()).map(RequestRecord::template);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
