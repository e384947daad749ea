package org.pkilab.audit;

import org.pkilab.directory.model.CertificateTemplate;

import java.util.ArrayList;
import java.util.List;

/**
 * ESC3, enrollment agents: a low-privileged principal gets a Certificate Request Agent certificate, signs a request on
 * behalf of Administrator with it, and a second template issues that request a client-authentication certificate. The
 * CA's enrollment-agent restrictions (Enrollment Agents tab) are not modelled: the lab's CA, like a new Windows CA,
 * restricts none.
 *
 * <p>Found on the agent template when every condition holds:
 * <ol>
 *   <li>a CA publishes it;</li>
 *   <li>a low-privileged principal holds Enroll on it and Request Certificates on such a CA (Deny applied), and may also
 *       enroll in a target template below;</li>
 *   <li>no CA certificate manager approval;</li>
 *   <li>no authorized signatures ({@code msPKI-RA-Signature} = 0) on the agent template itself;</li>
 *   <li>its purposes include Certificate Request Agent (1.3.6.1.4.1.311.20.2.1);</li>
 *   <li>a target template exists: another published template without manager approval whose certificates authenticate
 *       clients and that accepts an agent's signature: schema version 1 (which has no issuance requirements and takes
 *       any enrollment agent's request), or schema 2+ with {@code msPKI-RA-Signature} ≥ 1 and Certificate Request
 *       Agent in {@code msPKI-RA-Application-Policies}.</li>
 * </ol>
 */
final class Esc3Check extends TemplateCheck {

    @Override
    EscClass escClass() {
        return EscClass.ESC3;
    }

    static boolean acceptsAgent(CertificateTemplate u) {
        if (u.schemaVersion() == 1) {
            return true;
        }
        return u.raSignatures() >= 1 && u.raApplicationPolicies().stream().anyMatch(p -> p.contains(TemplateFacts.CERTIFICATE_REQUEST_AGENT));
    }

    @Override
    Evaluation evaluate(AuditContext ctx, CertificateTemplate t) {
        List<CertificateTemplate> targets = new ArrayList<>();
        for (CertificateTemplate u : ctx.snapshot().templates()) {
            if (!u.name().equalsIgnoreCase(t.name()) && !ctx.publishers(u).isEmpty() && !u.requiresApproval()
                    && TemplateFacts.clientAuthentication(u) && acceptsAgent(u)) {
                targets.add(u);
            }
        }
        AuditContext.Holders enrollers = ctx.holders(AuditContext.trustees(t.securityDescriptor()), AuditContext.Scope.ENROLLMENT,
                token -> ctx.canEnroll(t, token) && targets.stream().anyMatch(u -> ctx.canEnroll(u, token)));
        boolean agent = TemplateFacts.purposes(t).contains(TemplateFacts.CERTIFICATE_REQUEST_AGENT);
        Condition target = new Condition("a target template takes agent-signed requests for client authentication", !targets.isEmpty(),
                targets.isEmpty() ? "no published client-authentication template of schema 1, or with msPKI-RA-Signature >= 1 and "
                        + "Certificate Request Agent in msPKI-RA-Application-Policies, without manager approval"
                        : targets.stream().map(u -> u.name() + " (schema " + u.schemaVersion() + ", msPKI-RA-Signature = " + u.raSignatures() + ")").toList().toString());
        Condition enroll = new Condition("a low-privileged principal may enroll in it and in a target template", !enrollers.isEmpty(),
                enrollers.isEmpty() ? "nobody low-privileged holds Enroll (and Request Certificates) on both; on this template: "
                        + ctx.enrollers(t).describe() : enrollers.describe());
        List<Condition> conditions = List.of(ctx.published(t), enroll, TemplateFacts.noManagerApproval(t), TemplateFacts.noAuthorizedSignatures(t),
                new Condition("Certificate Request Agent (1.3.6.1.4.1.311.20.2.1)", agent, TemplateFacts.describePurposes(t)), target);
        return decide(Finding.ObjectKind.TEMPLATE, t.name(), TemplateFacts.label(t), conditions, enrollers,
                "Any of them gets an enrollment-agent certificate and requests a client-authentication certificate on behalf "
                        + "of Administrator through " + (targets.isEmpty() ? "a target template" : targets.get(0).name()) + ".",
                console(t) + "Issuance Requirements tab: tick 'CA certificate manager approval', or Security tab: clear Enroll "
                        + "for the groups listed; on the CA, Properties > Enrollment Agents tab: 'Restrict enrollment agents'",
                "pkilab template set " + arg(t.name()) + " --approval");
    }
}
