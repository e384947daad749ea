package org.pkilab.audit;

import org.pkilab.directory.model.CertificateTemplate;

import java.util.List;

/**
 * ESC15, "EKUwu" (Justin Bollinger, 2024; CVE-2024-49019): a schema version 1 template that lets the requester supply
 * the subject. A CA before the November 2024 update copies the request's Application Policies extension
 * (1.3.6.1.4.1.311.21.10) into such a certificate, and Windows honours application policies over the EKU: the Web
 * Server template then issues Client Authentication (or Certificate Request Agent) certificates naming anyone. The lab's
 * CA behaves as an unpatched one, so the finding stands whatever the template's EKU.
 *
 * <p>Found on a template when every condition holds:
 * <ol>
 *   <li>a CA publishes it;</li>
 *   <li>a low-privileged principal holds Enroll on it and Request Certificates on such a CA (Deny applied);</li>
 *   <li>no CA certificate manager approval;</li>
 *   <li>no authorized signatures;</li>
 *   <li>{@code msPKI-Template-Schema-Version} = 1;</li>
 *   <li>enrollee supplies subject.</li>
 * </ol>
 */
final class Esc15Check extends TemplateCheck {

    @Override
    EscClass escClass() {
        return EscClass.ESC15;
    }

    @Override
    Evaluation evaluate(AuditContext ctx, CertificateTemplate t) {
        AuditContext.Holders enrollers = ctx.enrollers(t);
        return decideTemplate(ctx, t, enrollers, List.of(new Condition("schema version 1", t.schemaVersion() == 1,
                        "msPKI-Template-Schema-Version = " + t.schemaVersion()), TemplateFacts.enrolleeSuppliesSubject(t)),
                "Any of them can add Client Authentication as an application policy to the request and get a certificate "
                        + "naming Administrator that logs on.",
                "Certificate Templates console > '" + t.displayName() + "' > Duplicate Template (schema 2 or later), issue the "
                        + "copy and stop issuing '" + t.displayName() + "'; or Security tab: clear Enroll for the groups listed; "
                        + "Windows CAs: install the November 2024 update (CVE-2024-49019)",
                String.join(" && ", ctx.publishers(t).stream().map(ca -> "pkilab ca remove-template " + arg(t.name()) + caOption(ctx, ca)).toList()));
    }
}
