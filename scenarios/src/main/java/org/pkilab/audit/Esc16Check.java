package org.pkilab.audit;

import org.pkilab.audit.AuditSnapshot.EnterpriseCa;
import org.pkilab.directory.model.CertificateTemplate;

import java.util.ArrayList;
import java.util.List;

/**
 * ESC16 (Oliver Lyak, 2025): the CA lists the SID extension (1.3.6.1.4.1.311.25.2) in {@code policy\DisableExtensionList},
 * so none of its certificates carries it: ESC9 for every template of the CA. A DC that accepts weak mappings then maps
 * them by UPN, and whoever may rewrite an enrolling account's UPN logs on as anyone.
 *
 * <p>Found on a CA when every condition holds:
 * <ol>
 *   <li>1.3.6.1.4.1.311.25.2 is in {@code DisableExtensionList};</li>
 *   <li>the CA publishes a client-authentication template without manager approval or authorized signatures in which
 *       a low-privileged principal may enroll (Enroll on the template, Request Certificates on the CA, Deny applied);</li>
 *   <li>the DC accepts a certificate without the SID extension by its UPN ({@code StrongCertificateBindingEnforcement}
 *       below 2, or {@code CertificateMappingMethods} with UPN 0x4);</li>
 *   <li>a low-privileged principal may write the {@code userPrincipalName} of an account that may enroll in such a
 *       template.</li>
 * </ol>
 */
final class Esc16Check extends CaCheck {

    @Override
    EscClass escClass() {
        return EscClass.ESC16;
    }

    @Override
    Evaluation evaluate(AuditContext ctx, EnterpriseCa ca, CertificateTemplate only) {
        List<Usable> usable = usableTemplates(ctx, ca, only);
        List<AuditSnapshot.Principal> victims = new ArrayList<>();
        usable.forEach(u -> victims.addAll(u.enrollers().accountPrincipals()));
        AccountWriteAccess.UpnWriters writers = ctx.accountWrites().upnWriters(victims.stream().distinct().toList());
        Condition disabled = new Condition("the SID extension 1.3.6.1.4.1.311.25.2 is in DisableExtensionList",
                ca.registry().disables(AuditContext.SID_EXTENSION), "policy\\DisableExtensionList = " + ca.registry().disableExtensionList());
        return decide(Finding.ObjectKind.CA, ca.name(), label(ca), List.of(disabled, usableCondition(ca, usable, only),
                        ctx.dcAcceptsWeakMappingCondition(), ctx.accountWrites().upnWritable(writers)), writers.writers(),
                "Any of them can set an enrolling account's UPN to Administrator, enroll with " + ca.name()
                        + ", and log on as Administrator: no certificate of the CA carries a SID.",
                "certutil -config " + ca.dnsHostName() + "\\" + ca.name() + " -setreg policy\\DisableExtensionList -1.3.6.1.4.1.311.25.2, "
                        + "restart Active Directory Certificate Services; and on the DC StrongCertificateBindingEnforcement = 2",
                "pkilab ca setreg " + arg("policy\\DisableExtensionList") + " -1.3.6.1.4.1.311.25.2" + caOption(ctx, ca) + " && "
                        + dcMappingCommand(ctx.snapshot().mapping(), true));
    }
}
