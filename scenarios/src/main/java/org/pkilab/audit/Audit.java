package org.pkilab.audit;

import org.pkilab.directory.model.CertificateTemplate;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The ESC1–ESC16 audit of an AD CS deployment, over an {@link AuditSnapshot}: every object each class is about is
 * checked against the class's conditions (the Javadoc of {@code Esc1Check} ... {@code Esc16Check}), and a finding
 * is reported only where all of them hold. Who can exploit it is computed from tokens, not read from ACE text: nested
 * groups are resolved and Deny entries win, as in the DC's and the CA's own access checks.
 *
 * <pre>{@code
 * AuditReport report = Audit.run(DirectoryAuditLoader.load(lab));
 * report.findings();                       // [Finding[ESC1 template ESC1User ...]]
 * report.notFound().get(EscClass.ESC8);    // "no enrollment endpoint meets every condition; closest: ..."
 * Audit.explain(snapshot, "Web Server");   // one Explanation per class, each condition with its value
 * }</pre>
 */
public final class Audit {

    private static final List<Check> CHECKS = List.of(new Esc1Check(), new Esc2Check(), new Esc3Check(), new Esc4Check(), new Esc5Check(),
            new Esc6Check(), new Esc7Check(), new Esc8Check(), new Esc9Check(), new Esc10Check(), new Esc11Check(), new Esc12Check(),
            new Esc13Check(), new Esc14Check(), new Esc15Check(), new Esc16Check());

    private Audit() {
    }

    /** Audits the snapshot. */
    public static AuditReport run(AuditSnapshot snapshot) {
        AuditContext ctx = new AuditContext(snapshot);
        List<Finding> findings = new ArrayList<>();
        Map<EscClass, String> notFound = new EnumMap<>(EscClass.class);
        for (Check check : CHECKS) {
            List<Check.Evaluation> evaluations = check.evaluate(ctx);
            List<Finding> found = evaluations.stream().filter(Check.Evaluation::applies).map(Check.Evaluation::finding).toList();
            findings.addAll(found);
            if (found.isEmpty()) {
                notFound.put(check.escClass(), whyNot(check, evaluations));
            }
        }
        findings.sort(Comparator.comparing(Finding::severity).reversed().thenComparing(Finding::escClass).thenComparing(Finding::object));
        return new AuditReport(snapshot.dnsName(), findings, notFound, snapshot.assumptions());
    }

    /**
     * For every class, why it does or does not apply to the template named {@code template} (its {@code cn} or display
     * name).
     *
     * @throws IllegalArgumentException naming the templates there are, when there is no such template
     */
    public static List<Explanation> explain(AuditSnapshot snapshot, String template) {
        CertificateTemplate t = snapshot.templates().stream()
                .filter(x -> x.name().equalsIgnoreCase(template) || x.displayName().equalsIgnoreCase(template)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no template '" + template + "' in " + snapshot.dnsName() + "; there are "
                        + snapshot.templates().stream().map(CertificateTemplate::name).sorted(String.CASE_INSENSITIVE_ORDER).toList()));
        AuditContext ctx = new AuditContext(snapshot);
        return CHECKS.stream().map(c -> c.explain(ctx, t)).toList();
    }

    /** The class's reason for no finding: nothing of its kind, or the object that came closest and what it lacks. */
    private static String whyNot(Check check, List<Check.Evaluation> evaluations) {
        if (check.escClass() == EscClass.ESC12) {
            return Esc12Check.NOT_APPLICABLE;
        }
        if (evaluations.isEmpty()) {
            return check.escClass() == EscClass.ESC8 ? Esc8Check.noEndpoints() : "nothing of its kind to check";
        }
        Check.Evaluation closest = evaluations.stream()
                .min(Comparator.comparingLong((Check.Evaluation e) -> e.conditions().stream().filter(c -> !c.holds()).count()))
                .orElseThrow();
        List<String> failing = closest.conditions().stream().filter(c -> !c.holds()).map(c -> "'" + c.name() + "' (" + c.value() + ")").toList();
        return "no object meets every condition (" + evaluations.size() + " checked); closest: " + closest.label() + ", which fails "
                + String.join(" and ", failing);
    }
}
