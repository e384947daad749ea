package org.pkilab.audit;

import org.pkilab.directory.model.CertificateMappingSettings;
import org.pkilab.directory.model.CertificateTemplate;

import java.util.ArrayList;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One ESC class's test. A check evaluates every object its class is about, and for each says which of its conditions
 * hold ({@link Evaluation}); when all do, the evaluation carries the {@link Finding}. A template that needs manager
 * approval or authorized signatures, or that no CA publishes, fails a condition and so is never a finding.
 */
abstract class Check {

    /** One object checked: the conditions in the class's order, and the finding when every one holds. */
    record Evaluation(EscClass escClass, Finding.ObjectKind kind, String object, String label, List<Condition> conditions,
                      Finding finding) {
        boolean applies() {
            return finding != null;
        }

        Explanation explanation() {
            return new Explanation(escClass, label, applies(), conditions, "");
        }
    }

    abstract EscClass escClass();

    abstract List<Evaluation> evaluate(AuditContext ctx);

    /**
     * Why the class does or does not apply to {@code template}. A template check explains its own evaluation; a check
     * about CAs, the DC or other objects overrides this to say how the template takes part.
     */
    Explanation explain(AuditContext ctx, CertificateTemplate template) {
        return evaluate(ctx).stream().filter(e -> e.kind() == Finding.ObjectKind.TEMPLATE && e.object().equalsIgnoreCase(template.name()))
                .findFirst().map(Evaluation::explanation)
                .orElseGet(() -> Explanation.notChecked(escClass(), TemplateFacts.label(template), "not checked on templates"));
    }

    /** The evaluation of one object: a finding, with the conditions' values, when every condition holds. */
    Evaluation decide(Finding.ObjectKind kind, String object, String label, List<Condition> conditions, AuditContext.Holders who,
                      String impact, String fix, String command) {
        return decide(kind, object, label, conditions, who, impact, fix, command, escClass().severity());
    }

    Evaluation decide(Finding.ObjectKind kind, String object, String label, List<Condition> conditions, AuditContext.Holders who,
                      String impact, String fix, String command, Severity severity) {
        boolean all = conditions.stream().allMatch(Condition::holds);
        Finding finding = null;
        if (all) {
            Map<String, String> values = new LinkedHashMap<>();
            for (Condition c : conditions) {
                values.put(c.name(), c.value());
            }
            finding = new Finding(escClass(), kind, object, who.groups(), who.accounts(), values, impact, fix, command, severity);
        }
        return new Evaluation(escClass(), kind, object, label, conditions, finding);
    }

    /** Quotes a name for a shell command line when it needs it (a backslash, as in policy\\EditFlags, does). */
    static String arg(String text) {
        return text.matches("[A-Za-z0-9_.$@:/+=-]+") ? text : "\"" + text.replace("\"", "\\\"") + "\"";
    }

    /** {@code --ca NAME} where the forest has several enterprise CAs, so the command reaches this one; empty where it has one. */
    static String caOption(AuditContext ctx, AuditSnapshot.EnterpriseCa ca) {
        return ctx.snapshot().cas().size() > 1 ? " --ca " + arg(ca.name()) : "";
    }

    /**
     * The {@code pkilab dc setreg} commands that make the DC map certificates strongly again: Full Enforcement when
     * {@code StrongCertificateBindingEnforcement} is below 2; and, when {@code upnMatters}, Schannel's default 0x18 when
     * {@code CertificateMappingMethods} has UPN 0x4. Joined with {@code &&}; Full Enforcement when nothing is weak.
     */
    static String dcMappingCommand(CertificateMappingSettings m, boolean upnMatters) {
        List<String> commands = new ArrayList<>();
        if (m.strongCertificateBindingEnforcement() < 2) {
            commands.add("pkilab dc setreg StrongCertificateBindingEnforcement 2");
        }
        if (upnMatters && CertificateMappingSettings.Method.UPN.isSetIn(m.certificateMappingMethods())) {
            commands.add("pkilab dc setreg CertificateMappingMethods 0x18");
        }
        return commands.isEmpty() ? "pkilab dc setreg StrongCertificateBindingEnforcement 2" : String.join(" && ", commands);
    }
}
