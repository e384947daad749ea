package org.pkilab.audit;

import org.pkilab.audit.AuditSnapshot.IssuancePolicy;
import org.pkilab.audit.AuditSnapshot.Principal;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.SecurityIdentifier;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * ESC13 (Jonas Bülow Knudsen, 2024): an issuance policy linked to a group. An {@code msPKI-Enterprise-Oid} object whose
 * {@code msDS-OIDToGroupLink} names a universal group without members makes the DC add that group to the token of whoever logs
 * on with a certificate carrying the policy. Enrolling in the template is then joining the group.
 *
 * <p>Found on a template when every condition holds:
 * <ol>
 *   <li>a CA publishes it;</li>
 *   <li>a low-privileged principal holds Enroll on it and Request Certificates on such a CA (Deny applied);</li>
 *   <li>no CA certificate manager approval;</li>
 *   <li>no authorized signatures;</li>
 *   <li>its certificates authenticate clients;</li>
 *   <li>one of its issuance policies ({@code msPKI-Certificate-Policy}) is an {@code msPKI-Enterprise-Oid} with
 *       {@code msDS-OIDToGroupLink}.</li>
 * </ol>
 * The finding is critical when the linked group is privileged (nested in Domain Admins ...), high otherwise.
 */
final class Esc13Check extends TemplateCheck {

    @Override
    EscClass escClass() {
        return EscClass.ESC13;
    }

    @Override
    Evaluation evaluate(AuditContext ctx, CertificateTemplate t) {
        AuditContext.Holders enrollers = ctx.enrollers(t);
        List<String> policies = t.issuancePolicies();
        List<String> links = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        List<String> kept = new ArrayList<>(policies);
        boolean privilegedGroup = false;
        for (IssuancePolicy oid : ctx.snapshot().oids()) {
            if (policies.contains(oid.oid()) && oid.groupLink() != null && !oid.groupLink().isBlank()) {
                Principal group = ctx.principalByDn(oid.groupLink());
                if (!oid.linkHonoured()) {
                    ignored.add(oid.oid() + " -> " + (group == null ? oid.groupLink() : ctx.nameOf(group.sid()))
                            + ", not a universal group without members: the DC ignores the link");
                    continue;
                }
                kept.remove(oid.oid());
                links.add(oid.oid() + (oid.displayName() == null ? "" : " '" + oid.displayName() + "'") + " -> msDS-OIDToGroupLink "
                        + (group == null ? oid.groupLink() : ctx.nameOf(group.sid())));
                if (group != null) {
                    Set<SecurityIdentifier> token = ctx.memberToken(group.sid());
                    privilegedGroup |= ctx.privileged(token, AuditContext.Scope.ENROLLMENT);
                }
            }
        }
        List<Condition> conditions = new ArrayList<>(ctx.enrollable(t, enrollers));
        conditions.add(TemplateFacts.clientAuthenticationCondition(t));
        conditions.add(new Condition("an issuance policy is linked to a group (msDS-OIDToGroupLink)", !links.isEmpty(),
                links.isEmpty() ? "msPKI-Certificate-Policy = " + policies + (policies.isEmpty() ? "" : ignored.isEmpty()
                        ? ", none linked to a group" : "; " + String.join("; ", ignored))
                        : String.join("; ", links)));
        return decide(Finding.ObjectKind.TEMPLATE, t.name(), TemplateFacts.label(t), conditions, enrollers,
                "Any of them logs on with the certificate and gets the linked group in the token.",
                console(t) + "Extensions tab > Issuance Policies: remove the linked policy; or clear msDS-OIDToGroupLink on the "
                        + "policy's object under CN=OID,CN=Public Key Services (ADSI Edit)",
                "pkilab template set " + arg(t.name()) + (kept.isEmpty() ? " --no-issuance-policies" : " --issuance-policies " + arg(String.join(",", kept))),
                privilegedGroup ? Severity.CRITICAL : Severity.HIGH);
    }
}
