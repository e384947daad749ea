package org.pkilab.directory;

import org.apache.directory.api.ldap.model.filter.ExprNode;
import org.apache.directory.api.ldap.model.filter.LeafNode;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.api.ldap.model.schema.SchemaManager;

import java.util.Set;

/**
 * How the DC evaluates a search filter that names a secret. Active Directory never matches a filter item
 * on a secret attribute (an account's password hashes): the item evaluates as <em>Undefined</em>
 * (RFC 4511 4.5.1.7), and Undefined is never true, not even under NOT. Otherwise a caller who may read an
 * account could ask whether a guess is its password:
 *
 * <pre>
 * (&amp;(cn=Administrator)(userPassword=Guess-1))     Undefined: no entry, right guess or wrong
 * (unicodePwd=*)                                 Undefined: the NT hash is no more a search term
 * (!(userPassword=Guess-1))                      Undefined: no entry either
 * (|(cn=Administrator)(userPassword=*))          TRUE for Administrator, by its cn alone
 * </pre>
 *
 * <p>The filter is rewritten before the search runs ({@link ThreeValuedFilter}): a filter that can never be TRUE
 * becomes {@code (!(objectClass=*))}, which no entry matches.
 */
final class SecretFilter {

    /** userPassword and unicodePwd, where the DC keeps an account's password verifier and NT hash ({@link PasswordVerifiers}). */
    static final Set<String> SECRET_OIDS = Set.of("2.5.4.35", PasswordVerifiers.UNICODE_PWD);
    /** The same, by lower-case name and OID, for code that looks at an attribute's name. */
    static final Set<String> SECRET_NAMES = Set.of("userpassword", "2.5.4.35", "unicodepwd", PasswordVerifiers.UNICODE_PWD);

    private SecretFilter() {
    }

    static boolean isSecret(AttributeType type) {
        return type != null && SECRET_OIDS.contains(type.getOid());
    }

    /** Whether {@code attribute} holds a secret, by its type, or by the type its description names (options dropped). */
    static boolean isSecret(org.apache.directory.api.ldap.model.entry.Attribute attribute, SchemaManager schema) {
        return isSecret(AttributeTypes.resolve(attribute.getAttributeType(), attribute.getUpId(), schema));
    }

    static boolean mentionsSecret(ExprNode node, SchemaManager schema) {
        return ThreeValuedFilter.mentions(node, leaf -> isSecretItem(leaf, schema));
    }

    /** The filter that holds exactly where {@code filter} is TRUE with every secret item Undefined. */
    static ExprNode withoutSecrets(ExprNode filter, SchemaManager schema) {
        return ThreeValuedFilter.whereTrue(filter, leaf -> isSecretItem(leaf, schema), schema);
    }

    /**
     * By the node's attribute type, or by the name it gives when normalization left it without one: ApacheDS
     * does that to a substring item on an attribute with no substring rule, such as userPassword.
     */
    private static boolean isSecretItem(LeafNode leaf, SchemaManager schema) {
        return isSecret(AttributeTypes.resolve(leaf.getAttributeType(), leaf.getAttribute(), schema));
    }
}
