package org.pkilab.audit;

import org.pkilab.directory.model.CertificateTemplate;

import java.util.List;

/**
 * ESC2: a template whose certificates are good for any purpose, the Any Purpose EKU (2.5.29.37.0) or no EKU at all. Such
 * a certificate signs enrollment-agent requests (ESC3's second step) and is a client-authentication certificate
 * wherever a DC maps it. An Any Purpose certificate used as an enrollment agent is reported here, not as ESC3, whose
 * agent template lists Certificate Request Agent itself.
 *
 * <p>Found on a template when every condition holds:
 * <ol>
 *   <li>a CA publishes it;</li>
 *   <li>a low-privileged principal holds Enroll on it and Request Certificates on such a CA (Deny applied);</li>
 *   <li>no CA certificate manager approval;</li>
 *   <li>no authorized signatures ({@code msPKI-RA-Signature} = 0);</li>
 *   <li>its purposes are Any Purpose, or empty (schema 2+ application policies, else {@code pKIExtendedKeyUsage}).</li>
 * </ol>
 */
final class Esc2Check extends TemplateCheck {

    @Override
    EscClass escClass() {
        return EscClass.ESC2;
    }

    @Override
    Evaluation evaluate(AuditContext ctx, CertificateTemplate t) {
        AuditContext.Holders enrollers = ctx.enrollers(t);
        return decideTemplate(ctx, t, enrollers, List.of(new Condition("any purpose (2.5.29.37.0 or no EKU)",
                        TemplateFacts.anyPurpose(t), TemplateFacts.describePurposes(t))),
                "Any of them gets a certificate valid for every purpose: it signs enrollment-agent requests on behalf of "
                        + "Administrator and authenticates clients.",
                console(t) + "Extensions tab > Application Policies: remove Any Purpose and list only the purposes the "
                        + "template is for; or Issuance Requirements tab: tick 'CA certificate manager approval'",
                "pkilab template set " + arg(t.name()) + " --approval");
    }
}
