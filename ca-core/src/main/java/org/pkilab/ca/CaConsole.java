package org.pkilab.ca;

import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.DirectoryException;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.windows.WindowsError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * What the Certification Authority snap-in (certsrv.msc) shows and changes outside enrollment itself: the
 * Issued, Revoked, Pending and Failed Requests folders of the CA database, revocation (with new CRLs at
 * once), and the Certificate Templates folder, the CA's "Certificate Templates to Issue" list in the
 * directory. Approving and denying a pending request is the {@link EnrollmentService}'s, since an
 * approved request runs through the pipeline again. Who may do what is checked by the caller against the
 * CA's Security tab.
 */
final class CaConsole {

    private static final Logger LOG = LoggerFactory.getLogger(CaConsole.class);

    private final String caName;
    private final CaDatabase database;
    private final CaDirectory directory;
    private final DirectoryAdmin templates;
    private final CrlPublisher crls;
    private final Clock clock;

    CaConsole(String caName, CaDatabase database, CaDirectory directory, DirectoryAdmin templates, CrlPublisher crls, Clock clock) {
        this.caName = caName;
        this.database = database;
        this.directory = directory;
        this.templates = templates;
        this.crls = crls;
        this.clock = clock;
    }

    /** Revokes an issued certificate and publishes new CRLs ("Revoked by ..."). */
    RequestRecord revoke(BigInteger serial, RevocationReason reason, String who) {
        try {
            RequestRecord r = database.bySerial(serial).orElseThrow(() -> new CaException(WindowsError.CERTSRV_E_NO_REQUEST,
                    "no certificate with serial " + serial.toString(16) + " was issued by " + caName));
            if (r.status() != RequestStatus.ISSUED) {
                throw new CaException(WindowsError.CERTSRV_E_BAD_REQUESTSTATUS, "certificate " + serial.toString(16) + " is "
                        + r.status().consoleText() + "; only issued certificates can be revoked");
            }
            database.revoke(serial, reason, clock.instant(), who);
            crls.publishNow();
            LOG.info("{} revoked {} ({}) by {}", caName, serial.toString(16), reason, who);
            return database.bySerial(serial).orElseThrow();
        } catch (SQLException | GeneralSecurityException e) {
            throw new IllegalStateException("revoking " + serial.toString(16) + " failed: " + e.getMessage(), e);
        }
    }

    Optional<RequestRecord> request(long requestId) {
        try {
            return database.byId(requestId);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    Optional<RequestRecord> bySerial(BigInteger serial) {
        try {
            return database.bySerial(serial);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    long requestCount() {
        try {
            return database.count();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every request in one of {@code statuses}, oldest first. */
    List<RequestRecord> list(RequestStatus... statuses) {
        try {
            return database.byStatus(statuses);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * One page of a console folder: at most {@code limit} requests in one of {@code statuses} with an id over
     * {@code afterRequestId}, oldest first, as {@code certutil -view} pages through a large database.
     */
    List<RequestRecord> requests(long afterRequestId, int limit, RequestStatus... statuses) {
        try {
            return database.byStatus(afterRequestId, limit, statuses);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** "Certificate Template to Issue" (add) or Delete (remove), for a template by name or display name. */
    void changeIssueList(String template, boolean issue) {
        directory.changeIssueList(caName, resolveTemplate(template).name(), issue);
    }

    /** Forgets the templates and issue list held in memory, so the next request reads them from the directory. */
    void reloadTemplates() {
        directory.invalidate();
    }

    List<String> templatesToIssue() {
        return directory.issueList(caName);
    }

    private CertificateTemplate resolveTemplate(String template) {
        try {
            return templates.templates().get(template);
        } catch (DirectoryException e) {
            throw new CaException(WindowsError.CERTSRV_E_UNSUPPORTED_CERT_TYPE, "no certificate template named '" + template + "'");
        }
    }
}
