package org.pkilab.scenario;

import org.pkilab.audit.Audit;
import org.pkilab.audit.AuditOutput;
import org.pkilab.audit.AuditReport;
import org.pkilab.audit.AuditSnapshot;
import org.pkilab.audit.DirectoryAuditLoader;
import org.pkilab.audit.EscClass;
import org.pkilab.lab.Lab;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code audit} step: {@code pkilab audit} run on the lab as it is at this step, the directory read over LDAP as
 * its Administrator, the CA's registry settings and the DC's certificate mapping read from the running parts. The
 * narration is the audit's table; {@code finds} is the exact set of classes the step expects ({@code []}: a clean
 * audit), and {@code explain} adds the audit's per-condition reasoning for one template.
 *
 * <pre>
 * - audit: {finds: [ESC1]}
 * - audit: {finds: [], explain: Contoso Web Server}
 * </pre>
 */
final class AuditSteps {

    private final Lab lab;

    AuditSteps(Lab lab) {
        this.lab = lab;
    }

    void execute(Scenario.Step s, List<String> say) {
        AuditSnapshot snapshot = DirectoryAuditLoader.load(lab);
        AuditReport report = Audit.run(snapshot);
        for (String line : AuditOutput.table(report).split("\n")) {
            say.add(line);
        }
        if (s.text("explain") != null) {
            for (String line : AuditOutput.explanations(Audit.explain(snapshot, s.text("explain"))).split("\n")) {
                say.add(line);
            }
        }
        if (s.fields().containsKey("finds")) {
            Set<String> expected = new TreeSet<>(s.list("finds"));
            Set<String> found = new TreeSet<>(report.classes().stream().map(EscClass::name).toList());
            if (!expected.equals(found)) {
                throw new IllegalStateException("the audit finds " + (found.isEmpty() ? "nothing" : String.join(", ", found)) + ", not "
                        + (expected.isEmpty() ? "nothing" : String.join(", ", expected)) + " as the step expects");
            }
        }
    }
}
