package org.pkilab.audit;

import org.pkilab.directory.model.CertificateTemplate;

import java.util.ArrayList;
import java.util.List;

/** A check whose object is a template: it is evaluated once per template of the snapshot. */
abstract class TemplateCheck extends Check {

    @Override
    List<Evaluation> evaluate(AuditContext ctx) {
        return ctx.snapshot().templates().stream().map(t -> evaluate(ctx, t)).toList();
    }

    abstract Evaluation evaluate(AuditContext ctx, CertificateTemplate template);

    @Override
    Explanation explain(AuditContext ctx, CertificateTemplate template) {
        return evaluate(ctx, template).explanation();
    }

    /** A template's evaluation with the shared enrollment conditions first. */
    Evaluation decideTemplate(AuditContext ctx, CertificateTemplate t, AuditContext.Holders enrollers, List<Condition> own,
                              String impact, String fix, String command) {
        List<Condition> all = new ArrayList<>(ctx.enrollable(t, enrollers));
        all.addAll(own);
        return decide(Finding.ObjectKind.TEMPLATE, t.name(), TemplateFacts.label(t), all, enrollers, impact, fix, command);
    }

    static String console(CertificateTemplate t) {
        return "Certificate Templates console (certtmpl.msc) > '" + t.displayName() + "' > Properties > ";
    }
}
