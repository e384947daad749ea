package org.pkilab.directory;

import org.apache.directory.api.ldap.model.schema.SyntaxChecker;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * The syntax of an attribute type's and an object class's description (RFC 4512 4.1.2 and 4.1.1), as Active
 * Directory writes them in its subschema subentry: a parenthesized list that starts with the numeric OID. AD
 * quotes the syntax OID ({@code SYNTAX '1.3.6.1.4.1.1466.115.121.1.27'}) and marks system-only attributes
 * {@code NO-USER-MODIFICATION} without a {@code USAGE}, which ApacheDS's strict checkers refuse; the lab's
 * {@link SchemaSubentryInterceptor} publishes the schema in AD's form, so these syntaxes take it.
 *
 * <pre>
 * ( 1.2.840.113556.1.2.19 NAME 'uSNCreated' SYNTAX '1.2.840.113556.1.4.906' SINGLE-VALUE NO-USER-MODIFICATION )   valid
 * ( 1.2.840.113556.1.5.9 NAME 'user' SUP organizationalPerson STRUCTURAL MAY ( ... ) )                            valid
 * user                                                                                                          not valid
 * </pre>
 */
public final class SchemaDescriptionSyntaxChecker extends SyntaxChecker {

    private static final Pattern DESCRIPTION = Pattern.compile("\\(\\s*[0-2](\\.\\d+)+\\s.*\\)", Pattern.DOTALL);

    private SchemaDescriptionSyntaxChecker(String oid) {
        super(oid);
    }

    /** How ApacheDS's schema loader makes a checker from its {@code m-fqcn}. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public boolean isValidSyntax(Object value) {
        String text = value instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8)
                : value instanceof String string ? string : null;
        return text != null && DESCRIPTION.matcher(text.strip()).matches();
    }

    /** Builds the checker for the syntax OID the schema gives. */
    public static final class Builder extends SCBuilder<SchemaDescriptionSyntaxChecker> {

        private Builder() {
            super(null);
        }

        @Override
        public SchemaDescriptionSyntaxChecker build() {
            return new SchemaDescriptionSyntaxChecker(oid);
        }
    }
}
