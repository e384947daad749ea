package org.pkilab.audit;

import org.pkilab.audit.AuditSnapshot.EnterpriseCa;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.enrollment.CaRegistrySettings;

import java.util.List;

/**
 * ESC6: {@code EDITF_ATTRIBUTESUBJECTALTNAME2} in the CA's {@code policy\EditFlags} makes it honour a {@code SAN:}
 * request attribute ({@code certreq -attrib "SAN:upn=administrator@contoso.com&url=tag:microsoft.com,2022-09-14:sid:S-1-5-...-500"})
 * on every template, even one built from the directory. With the SID as SAN URL the certificate maps strongly, so Full
 * Enforcement on the DC does not stop it.
 *
 * <p>Found on a CA when every condition holds:
 * <ol>
 *   <li>{@code EDITF_ATTRIBUTESUBJECTALTNAME2} (0x40000) is set in {@code EditFlags};</li>
 *   <li>the CA publishes a template whose certificates authenticate clients, without manager approval or authorized
 *       signatures, in which a low-privileged principal holds Enroll, and holds Request Certificates on the CA (Deny
 *       applied).</li>
 * </ol>
 */
final class Esc6Check extends CaCheck {

    @Override
    EscClass escClass() {
        return EscClass.ESC6;
    }

    @Override
    Evaluation evaluate(AuditContext ctx, EnterpriseCa ca, CertificateTemplate only) {
        CaRegistrySettings r = ca.registry();
        List<Usable> usable = usableTemplates(ctx, ca, only);
        Condition flag = new Condition("EDITF_ATTRIBUTESUBJECTALTNAME2 in EditFlags", r.has(CaRegistrySettings.EditFlag.EDITF_ATTRIBUTESUBJECTALTNAME2),
                "policy\\EditFlags = 0x" + Integer.toHexString(r.editFlags()) + " "
                        + CaRegistrySettings.describe(CaRegistrySettings.EditFlag.class, r.editFlags()));
        return decide(Finding.ObjectKind.CA, ca.name(), label(ca), List.of(flag, usableCondition(ca, usable, only)), who(usable),
                "Any of them can put a SAN naming Administrator (UPN and SID URL) in a request to " + ca.name()
                        + " and log on as Administrator.",
                "certutil -config " + ca.dnsHostName() + "\\" + ca.name() + " -setreg policy\\EditFlags -EDITF_ATTRIBUTESUBJECTALTNAME2, "
                        + "then restart Active Directory Certificate Services",
                "pkilab ca setreg " + arg("policy\\EditFlags") + " -EDITF_ATTRIBUTESUBJECTALTNAME2" + caOption(ctx, ca));
    }
}
