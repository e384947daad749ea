package org.pkilab.audit;

import java.util.Locale;

/**
 * How bad a finding is, lowest first, as {@code --fail-on} takes it and SARIF's {@code level} shows it: {@code low} is
 * SARIF {@code note}, {@code medium} {@code warning}, {@code high} and {@code critical} {@code error}.
 */
public enum Severity {
    LOW, MEDIUM, HIGH, CRITICAL;

    /** SARIF 2.1.0 {@code result.level}. */
    public String sarifLevel() {
        return switch (this) {
            case LOW -> "note";
            case MEDIUM -> "warning";
            case HIGH, CRITICAL -> "error";
        };
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@code low}, {@code medium}, {@code high} or {@code critical}, in any case. */
    public static Severity parse(String text) {
        for (Severity s : values()) {
            if (s.name().equalsIgnoreCase(text == null ? "" : text.trim())) {
                return s;
            }
        }
        throw new IllegalArgumentException("no severity '" + text + "'; expected low, medium, high or critical");
    }
}
