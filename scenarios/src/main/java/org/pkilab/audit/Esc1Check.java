package org.pkilab.audit;

import org.pkilab.directory.model.CertificateTemplate;

import java.util.List;

/**
 * ESC1, Certified Pre-Owned's first class: the requester writes the subject and SAN, and the certificate logs clients
 * on. Alice enrolls in such a template with SAN {@code upn=administrator@contoso.com} (and, since KB5014754, the SAN URL
 * {@code tag:microsoft.com,2022-09-14:sid:<Administrator's SID>}, which maps strongly), and binds to LDAPS as Administrator.
 *
 * <p>Found on a template when every condition holds:
 * <ol>
 *   <li>a CA publishes it (its name is in a {@code pKIEnrollmentService}'s {@code certificateTemplates});</li>
 *   <li>a low-privileged principal holds Enroll on the template (Deny applied, nested groups resolved) and Request
 *       Certificates on such a CA;</li>
 *   <li>no CA certificate manager approval ({@code CT_FLAG_PEND_ALL_REQUESTS} clear in {@code msPKI-Enrollment-Flag});</li>
 *   <li>no authorized signatures ({@code msPKI-RA-Signature} = 0);</li>
 *   <li>enrollee supplies subject ({@code CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT} in {@code msPKI-Certificate-Name-Flag});</li>
 *   <li>its certificates authenticate clients: Client Authentication, Smart Card Logon, PKINIT Client Authentication,
 *       Any Purpose, or no EKU (the schema 2+ application policies when the template lists them, else
 *       {@code pKIExtendedKeyUsage}).</li>
 * </ol>
 */
final class Esc1Check extends TemplateCheck {

    @Override
    EscClass escClass() {
        return EscClass.ESC1;
    }

    @Override
    Evaluation evaluate(AuditContext ctx, CertificateTemplate t) {
        AuditContext.Holders enrollers = ctx.enrollers(t);
        return decideTemplate(ctx, t, enrollers, List.of(TemplateFacts.enrolleeSuppliesSubject(t), TemplateFacts.clientAuthenticationCondition(t)),
                "Any of them can request a certificate naming Administrator (SAN UPN and SID URL) and log on as Administrator.",
                console(t) + "Subject Name tab: select 'Build from this Active Directory information' (clears "
                        + "CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT); or Issuance Requirements tab: tick 'CA certificate manager approval'",
                "pkilab template set " + arg(t.name()) + " --subject-name build");
    }
}
