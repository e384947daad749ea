package org.pkilab.audit;

import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.TemplateFlags;

import java.util.ArrayList;
import java.util.List;

/**
 * ESC9 (Oliver Lyak, 2022): the template's {@code CT_FLAG_NO_SECURITY_EXTENSION} keeps the SID extension out of its
 * certificates, so a DC that still accepts weak mappings maps them by UPN alone. Mallory, who may write Bob's
 * {@code userPrincipalName}, sets it to {@code Administrator}, enrolls as Bob, puts Bob's UPN back, and logs on with the
 * certificate as Administrator.
 *
 * <p>Found on a template when every condition holds:
 * <ol>
 *   <li>a CA publishes it;</li>
 *   <li>a low-privileged principal holds Enroll on it and Request Certificates on such a CA (Deny applied);</li>
 *   <li>no CA certificate manager approval;</li>
 *   <li>no authorized signatures;</li>
 *   <li>its certificates authenticate clients;</li>
 *   <li>{@code CT_FLAG_NO_SECURITY_EXTENSION} (0x80000) in {@code msPKI-Enrollment-Flag};</li>
 *   <li>the DC accepts a certificate without the SID extension by its UPN: {@code StrongCertificateBindingEnforcement}
 *       below 2, or Schannel's {@code CertificateMappingMethods} with the UPN bit 0x4;</li>
 *   <li>a low-privileged principal may write the {@code userPrincipalName} of an account that may enroll (owner, Write
 *       DACL, Write Owner, or Write Property on the object, on {@code userPrincipalName} or on the Public-Information
 *       property set; an account that may write its own UPN counts).</li>
 * </ol>
 */
final class Esc9Check extends TemplateCheck {

    @Override
    EscClass escClass() {
        return EscClass.ESC9;
    }

    @Override
    Evaluation evaluate(AuditContext ctx, CertificateTemplate t) {
        AuditContext.Holders enrollers = ctx.enrollers(t);
        boolean noExtension = TemplateFlags.Enrollment.NO_SECURITY_EXTENSION.isSetIn(t.enrollmentFlags());
        AccountWriteAccess.UpnWriters writers = ctx.accountWrites().upnWriters(enrollers.accountPrincipals());
        List<Condition> conditions = new ArrayList<>(ctx.enrollable(t, enrollers));
        conditions.add(TemplateFacts.clientAuthenticationCondition(t));
        conditions.add(new Condition("CT_FLAG_NO_SECURITY_EXTENSION", noExtension, "msPKI-Enrollment-Flag = 0x"
                + Integer.toHexString(t.enrollmentFlags()) + " " + TemplateFlags.describe(TemplateFlags.Enrollment.values(), t.enrollmentFlags())));
        conditions.add(ctx.dcAcceptsWeakMappingCondition());
        conditions.add(ctx.accountWrites().upnWritable(writers));
        return decide(Finding.ObjectKind.TEMPLATE, t.name(), TemplateFacts.label(t), conditions, writers.writers(),
                "Any of them can set an enrolling account's UPN to Administrator, enroll, and log on as Administrator with a "
                        + "certificate that carries no SID.",
                "certutil -dstemplate " + t.name() + " msPKI-Enrollment-Flag -0x80000 (clears CT_FLAG_NO_SECURITY_EXTENSION); "
                        + "and on the DC: HKLM\\SYSTEM\\CurrentControlSet\\Services\\Kdc StrongCertificateBindingEnforcement = 2",
                "pkilab template set " + arg(t.name()) + " --no-security-extension false && " + dcMappingCommand(ctx.snapshot().mapping(), true));
    }
}
