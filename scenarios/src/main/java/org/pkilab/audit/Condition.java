package org.pkilab.audit;

/**
 * One condition of an ESC class, as {@code --explain} prints it: whether it holds, and the value that decides it.
 *
 * <pre>{@code
 * new Condition("enrollee supplies subject", true, "msPKI-Certificate-Name-Flag = 0x1 (CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT)")
 * }</pre>
 */
public record Condition(String name, boolean holds, String value) {

    public Condition {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a condition needs a name");
        }
        value = value == null ? "" : value;
    }

    @Override
    public String toString() {
        return (holds ? "[true]  " : "[false] ") + name + (value.isEmpty() ? "" : ": " + value);
    }
}
