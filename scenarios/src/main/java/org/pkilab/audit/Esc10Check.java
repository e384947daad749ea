package org.pkilab.audit;

import org.pkilab.directory.model.CertificateMappingSettings;
import org.pkilab.directory.model.CertificateTemplate;

import java.util.ArrayList;
import java.util.List;

/**
 * ESC10 (Oliver Lyak, 2022): the DC maps certificates by UPN without KB5014754's strong-mapping check. Case 1:
 * {@code StrongCertificateBindingEnforcement} = 0 (the KDC ignores the SID extension). Case 2: Schannel's
 * {@code CertificateMappingMethods} has the UPN bit 0x4 (Schannel maps by the certificate's UPN itself). Either way an
 * ordinary client-authentication certificate of an account whose UPN was set to {@code Administrator} logs on as
 * Administrator; Compatibility mode (1) is not enough here, since the SID extension then names the enrolling account (it
 * is for ESC9 and ESC16, whose certificates carry none).
 *
 * <p>Found on the DC when every condition holds:
 * <ol>
 *   <li>{@code StrongCertificateBindingEnforcement} = 0, or {@code CertificateMappingMethods} has 0x4;</li>
 *   <li>a published client-authentication template without manager approval or authorized signatures in which a
 *       low-privileged principal may enroll (Enroll on the template, Request Certificates on the CA, Deny applied);</li>
 *   <li>a low-privileged principal may write the {@code userPrincipalName} of an account that may enroll in it.</li>
 * </ol>
 */
final class Esc10Check extends Check {

    @Override
    EscClass escClass() {
        return EscClass.ESC10;
    }

    @Override
    List<Evaluation> evaluate(AuditContext ctx) {
        return List.of(evaluate(ctx, null));
    }

    private Evaluation evaluate(AuditContext ctx, CertificateTemplate only) {
        CertificateMappingSettings m = ctx.snapshot().mapping();
        boolean weak = m.strongCertificateBindingEnforcement() == 0 || CertificateMappingSettings.Method.UPN.isSetIn(m.certificateMappingMethods());
        List<CaCheck.Usable> usable = new ArrayList<>();
        for (AuditSnapshot.EnterpriseCa ca : ctx.snapshot().cas()) {
            usable.addAll(CaCheck.usableTemplates(ctx, ca, only));
        }
        List<AuditSnapshot.Principal> victims = new ArrayList<>();
        usable.forEach(u -> victims.addAll(u.enrollers().accountPrincipals()));
        AccountWriteAccess.UpnWriters writers = ctx.accountWrites().upnWriters(victims.stream().distinct().toList());
        Condition mapping = new Condition("the DC maps by UPN without the strong check (StrongCertificateBindingEnforcement = 0, or "
                + "CertificateMappingMethods has UPN 0x4)", weak, m.describe());
        Condition templates = new Condition("a client-authentication template a low-privileged principal may enroll in (published, "
                + "no approval, no signatures)", !usable.isEmpty(), usable.isEmpty() ? "none"
                : String.join("; ", usable.stream().map(u -> u.template().name() + ": " + u.enrollers().describe()).distinct().toList()));
        String dc = ctx.snapshot().dcHost();
        return decide(Finding.ObjectKind.DOMAIN_CONTROLLER, dc, "domain controller " + dc, List.of(mapping, templates, ctx.accountWrites().upnWritable(writers)),
                writers.writers(),
                "Any of them can set an enrolling account's UPN to Administrator, enroll, and log on as Administrator.",
                "On the DC: HKLM\\SYSTEM\\CurrentControlSet\\Services\\Kdc StrongCertificateBindingEnforcement = 2 and "
                        + "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\Schannel CertificateMappingMethods = 0x18",
                dcMappingCommand(m, true));
    }

    @Override
    Explanation explain(AuditContext ctx, CertificateTemplate template) {
        Evaluation e = evaluate(ctx, template);
        return new Explanation(escClass(), TemplateFacts.label(template) + " with domain controller " + ctx.snapshot().dcHost(),
                e.applies(), e.conditions(), "");
    }
}
