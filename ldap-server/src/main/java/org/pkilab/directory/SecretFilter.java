package org.pkilab.directory;

import org.apache.directory.api.ldap.model.filter.AndNode;
import org.apache.directory.api.ldap.model.filter.BranchNode;
import org.apache.directory.api.ldap.model.filter.ExprNode;
import org.apache.directory.api.ldap.model.filter.LeafNode;
import org.apache.directory.api.ldap.model.filter.NotNode;
import org.apache.directory.api.ldap.model.filter.OrNode;
import org.apache.directory.api.ldap.model.filter.PresenceNode;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.api.ldap.model.schema.SchemaManager;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * How the DC evaluates a search filter that names a secret. Active Directory never matches a filter item
 * on a secret attribute (an account's password hashes): the item evaluates as <em>Undefined</em>
 * (RFC 4511 4.5.1.7), and Undefined is never true, not even under NOT. Otherwise a caller who may read an
 * account could ask whether a guess is its password:
 *
 * <pre>
 * (&amp;(cn=Administrator)(userPassword=Guess-1))     Undefined: no entry, right guess or wrong
 * (!(userPassword=Guess-1))                      Undefined: no entry either
 * (|(cn=Administrator)(userPassword=*))          TRUE for Administrator, by its cn alone
 * </pre>
 *
 * <p>The filter is rewritten before the search runs, with three-valued logic: for each node, the filter
 * for "this node is TRUE" and the one for "this node is FALSE". A secret item is neither; AND is FALSE when
 * one part is FALSE, OR is TRUE when one part is TRUE, and NOT swaps the two. A filter that can never be
 * TRUE becomes {@code (!(objectClass=*))}, which no entry matches.
 */
final class SecretFilter {

    /** userPassword, where the DC keeps an account's password verifier; AD's unicodePwd is not in the lab's schema. */
    static final Set<String> SECRET_OIDS = Set.of("2.5.4.35");

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
        if (node instanceof BranchNode branch) {
            return branch.getChildren().stream().anyMatch(child -> mentionsSecret(child, schema));
        }
        return node instanceof LeafNode leaf && isSecretItem(leaf, schema);
    }

    /** The filter that holds exactly where {@code filter} is TRUE with every secret item Undefined. */
    static ExprNode withoutSecrets(ExprNode filter, SchemaManager schema) {
        ExprNode rewritten = when(filter, true, schema);
        return rewritten != null ? rewritten : new NotNode(new PresenceNode(schema.getAttributeType("objectClass")));
    }

    /** The filter for "{@code node} is {@code truth}"; {@code null} when that can never hold. */
    private static ExprNode when(ExprNode node, boolean truth, SchemaManager schema) {
        if (node instanceof NotNode not) {
            return when(not.getFirstChild(), !truth, schema);
        }
        if ((node instanceof AndNode || node instanceof OrNode) && !((BranchNode) node).getChildren().isEmpty()) {
            // AND is TRUE when all parts are, FALSE when one is; OR the other way round
            boolean all = (node instanceof AndNode) == truth;
            List<ExprNode> parts = new ArrayList<>();
            for (ExprNode child : ((BranchNode) node).getChildren()) {
                ExprNode part = when(child, truth, schema);
                if (part == null && all) {
                    return null;
                }
                if (part != null) {
                    parts.add(part);
                }
            }
            if (parts.isEmpty()) {
                return null;
            }
            return parts.size() == 1 ? parts.get(0) : all ? new AndNode(parts) : new OrNode(parts);
        }
        if (node instanceof LeafNode leaf && isSecretItem(leaf, schema)) {
            return null;
        }
        return truth ? node : new NotNode(node);
    }

    /**
     * By the node's attribute type, or by the name it gives when normalization left it without one: ApacheDS
     * does that to a substring item on an attribute with no substring rule, such as userPassword.
     */
    private static boolean isSecretItem(LeafNode leaf, SchemaManager schema) {
        return isSecret(AttributeTypes.resolve(leaf.getAttributeType(), leaf.getAttribute(), schema));
    }
}
