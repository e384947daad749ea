package org.pkilab.audit;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link Audit#run} found: the findings, and for every class without one the reason, so a class never reads as
 * "unknown": {@code ESC8: no enrollment endpoint accepts NTLM; closest: endpoint https://ca01.contoso.com/... fails 'accepts NTLM'}.
 *
 * @param domain    the domain audited
 * @param findings  the findings, most severe first, then by class and object
 * @param notFound  for each class without a finding, why
 * @param assumptions what the snapshot did not read and assumed instead
 */
public record AuditReport(String domain, List<Finding> findings, Map<EscClass, String> notFound, List<String> assumptions) {

    public AuditReport {
        findings = List.copyOf(findings);
        assumptions = List.copyOf(assumptions);
        EnumMap<EscClass, String> copy = new EnumMap<>(EscClass.class);
        copy.putAll(notFound);
        notFound = Collections.unmodifiableMap(copy);
    }

    /** The findings of one class. */
    public List<Finding> of(EscClass escClass) {
        return findings.stream().filter(f -> f.escClass() == escClass).toList();
    }

    /** The classes found, each once, in class order: what a lesson's audit step compares with the one it set up. */
    public List<EscClass> classes() {
        return findings.stream().map(Finding::escClass).distinct().sorted().toList();
    }

    /** Whether a finding is at or above {@code threshold}: {@code --fail-on}'s exit code 1. */
    public boolean failsAt(Severity threshold) {
        return findings.stream().anyMatch(f -> f.severity().compareTo(threshold) >= 0);
    }
}
