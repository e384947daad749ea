package org.pkilab.audit;

import org.pkilab.audit.AuditSnapshot.EnterpriseCa;
import org.pkilab.directory.model.CertificateTemplate;

import java.util.ArrayList;
import java.util.List;

/**
 * A check whose object is an enterprise CA, evaluated once per CA. Most CA-wide settings matter through the templates
 * the CA issues: {@link #usableTemplates} are the client-authentication templates of the CA a low-privileged principal
 * may enroll in without approval or signatures, and {@code --explain TEMPLATE} shows the CA's conditions with the
 * template's own.
 */
abstract class CaCheck extends Check {

    @Override
    List<Evaluation> evaluate(AuditContext ctx) {
        return ctx.snapshot().cas().stream().map(ca -> evaluate(ctx, ca, null)).toList();
    }

    /**
     * The CA's evaluation; with {@code only} set, as far as that one template takes part (for {@code --explain}).
     */
    abstract Evaluation evaluate(AuditContext ctx, EnterpriseCa ca, CertificateTemplate only);

    @Override
    Explanation explain(AuditContext ctx, CertificateTemplate template) {
        List<EnterpriseCa> cas = ctx.publishers(template);
        if (cas.isEmpty()) {
            return new Explanation(escClass(), TemplateFacts.label(template), false, List.of(ctx.published(template)),
                    "a CA-wide setting matters only for the templates the CA issues");
        }
        Evaluation first = null;
        for (EnterpriseCa ca : cas) {
            Evaluation e = evaluate(ctx, ca, template);
            if (e.applies()) {
                return new Explanation(escClass(), TemplateFacts.label(template) + " on CA " + ca.name(), true, e.conditions(), "");
            }
            first = first == null ? e : first;
        }
        return new Explanation(escClass(), TemplateFacts.label(template) + " on CA " + cas.get(0).name(), false, first.conditions(), "");
    }

    /** A template usable for logon through the CA, with who may use it. */
    record Usable(CertificateTemplate template, AuditContext.Holders enrollers) {
    }

    static List<Usable> usableTemplates(AuditContext ctx, EnterpriseCa ca, CertificateTemplate only) {
        List<Usable> usable = new ArrayList<>();
        for (CertificateTemplate t : ctx.snapshot().templates()) {
            if ((only == null || only.name().equalsIgnoreCase(t.name())) && ca.issues(t.name()) && !t.requiresApproval()
                    && t.raSignatures() == 0 && TemplateFacts.clientAuthentication(t)) {
                AuditContext.Holders h = ctx.enrollersOn(ca, t);
                if (!h.isEmpty()) {
                    usable.add(new Usable(t, h));
                }
            }
        }
        return usable;
    }

    static Condition usableCondition(EnterpriseCa ca, List<Usable> usable, CertificateTemplate only) {
        String value = usable.isEmpty()
                ? (only == null ? "no client-authentication template of " + ca.name() + " is open to a low-privileged principal without "
                        + "approval or signatures" : TemplateFacts.label(only) + ": not issued by " + ca.name() + ", not for client "
                        + "authentication, needs approval or signatures, or no low-privileged principal may enroll")
                : String.join("; ", usable.stream().map(u -> u.template().name() + ": " + u.enrollers().describe()).toList());
        return new Condition("a client-authentication template of the CA that a low-privileged principal may enroll in "
                + "(published, no approval, no signatures)", !usable.isEmpty(), value);
    }

    static AuditContext.Holders who(List<Usable> usable) {
        return AuditContext.Holders.merge(usable.stream().map(Usable::enrollers).toList());
    }

    static String label(EnterpriseCa ca) {
        return "CA " + ca.name() + " (" + ca.dnsHostName() + ")";
    }
}
