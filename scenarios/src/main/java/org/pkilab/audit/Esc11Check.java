package org.pkilab.audit;

import org.pkilab.audit.AuditSnapshot.EnterpriseCa;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.enrollment.CaRegistrySettings;

import java.util.ArrayList;
import java.util.List;

/**
 * ESC11 (Sylvain Heiniger, 2022): with {@code IF_ENFORCEENCRYPTICERTREQUEST} (0x200) cleared in {@code CA\InterfaceFlags}
 * the CA accepts ICertPassage (ICPR) RPC requests without packet privacy, so NTLM authentication coerced from a computer
 * (PetitPotam, PrinterBug) can be relayed to it to enroll in that computer's name; a relayed DC yields a DC certificate.
 * The lab's CA serves no RPC (only EST over HTTPS), so the attack cannot be played here; the setting is reported as a
 * Windows CA with it would be exposed.
 *
 * <p>Found on a CA when every condition holds:
 * <ol>
 *   <li>{@code IF_ENFORCEENCRYPTICERTREQUEST} is clear in {@code InterfaceFlags};</li>
 *   <li>the CA publishes a client-authentication template without manager approval or authorized signatures in which
 *       a computer account (any: relayed computers include DCs) may enroll.</li>
 * </ol>
 * Who can exploit: anyone who can make a computer authenticate to them, that is any authenticated user.
 */
final class Esc11Check extends CaCheck {

    @Override
    EscClass escClass() {
        return EscClass.ESC11;
    }

    @Override
    Evaluation evaluate(AuditContext ctx, EnterpriseCa ca, CertificateTemplate only) {
        CaRegistrySettings r = ca.registry();
        boolean clear = !r.has(CaRegistrySettings.InterfaceFlag.IF_ENFORCEENCRYPTICERTREQUEST);
        List<String> relayable = new ArrayList<>();
        for (CertificateTemplate t : ctx.snapshot().templates()) {
            if ((only == null || only.name().equalsIgnoreCase(t.name())) && ca.issues(t.name()) && !t.requiresApproval()
                    && t.raSignatures() == 0 && TemplateFacts.clientAuthentication(t)) {
                List<String> computers = ctx.snapshot().principals().stream()
                        .filter(p -> p.kind() == AuditSnapshot.PrincipalKind.COMPUTER && t.securityDescriptor() != null
                                && t.securityDescriptor().check(ctx.token(p), AccessRight.ENROLL).granted()
                                && ctx.caSecurity(ca).grants(ctx.token(p), AuditContext.CA_ENROLL))
                        .map(p -> p.name()).toList();
                if (!computers.isEmpty()) {
                    relayable.add(t.name() + " (computers that may enroll: " + String.join(", ", computers) + ")");
                }
            }
        }
        Condition flag = new Condition("IF_ENFORCEENCRYPTICERTREQUEST cleared in InterfaceFlags", clear, "CA\\InterfaceFlags = 0x"
                + Integer.toHexString(r.interfaceFlags()) + " " + CaRegistrySettings.describe(CaRegistrySettings.InterfaceFlag.class, r.interfaceFlags()));
        Condition template = new Condition("a client-authentication template a relayed computer may enroll in (no approval, no signatures)",
                !relayable.isEmpty(), relayable.isEmpty() ? "none on " + ca.name() : String.join("; ", relayable));
        AuditContext.Holders who = new AuditContext.Holders(List.of(ctx.nameOf(SecurityIdentifier.AUTHENTICATED_USERS)),
                List.of(), List.of());
        return decide(Finding.ObjectKind.CA, ca.name(), label(ca), List.of(flag, template), who,
                "Anyone who can coerce a computer's NTLM authentication can relay it over RPC to " + ca.name()
                        + " and get a certificate in that computer's name.",
                "certutil -config " + ca.dnsHostName() + "\\" + ca.name() + " -setreg CA\\InterfaceFlags +IF_ENFORCEENCRYPTICERTREQUEST, "
                        + "then restart Active Directory Certificate Services",
                "pkilab ca setreg " + arg("CA\\InterfaceFlags") + " +IF_ENFORCEENCRYPTICERTREQUEST" + caOption(ctx, ca));
    }
}
