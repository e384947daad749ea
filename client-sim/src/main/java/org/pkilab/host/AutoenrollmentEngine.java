package org.pkilab.host;

import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.GroupPolicy;
import org.pkilab.enrollment.EnrollableTemplate;
import org.pkilab.enrollment.EnrollmentException;
import org.pkilab.enrollment.PendingException;
import org.pkilab.windows.WindowsError;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Autoenrollment, as the "Certificate Services Client - Auto-Enrollment" component runs it: at boot, at a Group
 * Policy refresh once {@link #INTERVAL} has passed since its last run, and on {@code certutil -pulse}. What it does is what
 * {@code AEPolicy} allows ({@link GroupPolicy}): fetch pending requests ({@code 0x4}), remove revoked
 * certificates ({@code 0x2}), and for each template offered for autoenrollment ({@code 0x1}) enroll, renew
 * or replace a superseded template's certificate. Every action goes to the event log.
 *
 * <pre>{@code
 * engine.run(7);   // AEPolicy 7: the guide's "Enabled" with both boxes ticked
 * }</pre>
 */
final class AutoenrollmentEngine {

    /** The guide's "wait a few minutes": Group Policy refreshes every 90 minutes on Windows; autoenrollment every 8 hours. */
    static final Duration INTERVAL = Duration.ofHours(8);

    private final DomainComputerConfig config;
    private final CertificateEnrollment enrollment;
    private final CertificateStore my;
    private final LabTrust trust;
    private final EventLog eventLog;
    private Instant lastRun;

    AutoenrollmentEngine(DomainComputerConfig config, CertificateEnrollment enrollment, CertificateStore my, LabTrust trust, EventLog eventLog) {
        this.config = config;
        this.enrollment = enrollment;
        this.my = my;
        this.trust = trust;
        this.eventLog = eventLog;
    }

    /** Whether {@link #INTERVAL} has passed since the last run (or it never ran). */
    boolean due() {
        return lastRun == null || !config.clock().instant().isBefore(lastRun.plus(INTERVAL));
    }

    /**
     * One run under {@code aePolicy}: for each template this computer holds Enroll and Autoenroll on (schema 2 and
     * later only): fetch approved pending requests, remove revoked certificates, enroll when no valid certificate
     * is held, renew at 80% of the lifetime or inside the renewal period, and replace certificates of superseded
     * templates.
     */
    void run(int aePolicy) {
        Instant now = config.clock().instant();
        lastRun = now;
        List<EnrollableTemplate> offered = enrollment.enrollableTemplates(enrollment.machine()).stream()
                .filter(t -> t.autoenroll() && t.machine() && t.schemaVersion() >= 2).toList();
        // a template another offered template supersedes is not enrolled for
        Set<String> superseded = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        offered.forEach(t -> superseded.addAll(t.supersedes()));
        List<EnrollableTemplate> templates = offered.stream().filter(t -> !superseded.contains(t.name())).toList();
        if ((aePolicy & GroupPolicy.ENABLE_PENDING_FETCH) != 0) {
            enrollment.fetchPending();
        }
        if ((aePolicy & GroupPolicy.ENABLE_MY_STORE_MANAGEMENT) != 0) {
            removeRevoked(now);
        }
        if ((aePolicy & GroupPolicy.ENABLE_TEMPLATE_CHECK) == 0) {
            return;
        }
        for (EnrollableTemplate template : templates) {
            List<StoredCertificate> held = my.matching(c -> template.name().equalsIgnoreCase(c.templateName())
                    || template.oid().equals(StoredCertificate.templateOf(c.certificate())));
            Optional<StoredCertificate> current = held.stream().filter(c -> c.validAt(now)).findFirst();
            boolean waiting = enrollment.waitingFor(template.name());
            try {
                if (current.isEmpty() && !waiting) {
                    enrollment.autoenroll(template);
                } else if (current.isPresent() && renewalDue(current.get(), template, now) && !waiting) {
                    StoredCertificate renewed = enrollment.autoenroll(template);
                    my.remove(current.get().thumbprint());
                    eventLog.write(now, "Information", 20, EventLog.AUTOENROLLMENT, "Certificate for Local system with thumbprint "
                            + current.get().thumbprint() + " was renewed by " + renewed.thumbprint() + " (" + template.displayName() + ")");
                }
                for (String replaced : template.supersedes()) {
                    for (StoredCertificate old : my.matching(c -> replaced.equalsIgnoreCase(c.templateName()))) {
                        my.remove(old.thumbprint());
                        eventLog.write(now, "Information", 64, EventLog.AUTOENROLLMENT, "Certificate " + old.thumbprint() + " of "
                                + "superseded template " + replaced + " was replaced by a " + template.displayName() + " certificate");
                    }
                }
            } catch (PendingException e) {
                // recorded in the event log; fetched on a later run
            } catch (EnrollmentException e) {
                // recorded in the event log; autoenrollment goes on with the next template
            }
        }
    }

    /** Renew at 80% of the validity, or once inside the template's renewal period, whichever comes first. */
    static boolean renewalDue(StoredCertificate certificate, EnrollableTemplate template, Instant now) {
        return CertificateTemplate.renewalDue(certificate.notBefore(), certificate.notAfter(), template.renewalPeriod(), now);
    }

    private void removeRevoked(Instant now) {
        for (StoredCertificate certificate : my.certificates()) {
            if (certificate.templateName() == null) {
                continue;
            }
            try {
                trust.validate(new X509Certificate[]{certificate.certificate()}, certificate.certificate().getExtendedKeyUsage() == null
                        ? LabTrust.CLIENT_AUTHENTICATION : certificate.certificate().getExtendedKeyUsage().get(0));
            } catch (TrustFailure e) {
                if (e.reason() == WindowsError.CRYPT_E_REVOKED) {
                    my.remove(certificate.thumbprint());
                    eventLog.write(now, "Warning", 64, EventLog.AUTOENROLLMENT, "Certificate " + certificate.thumbprint()
                            + " (" + certificate.templateName() + ") was revoked and removed from LocalMachine\\My");
                }
            } catch (CertificateParsingException e) {
                // a certificate whose EKU does not parse is left for the administrator
            }
        }
    }
}
