package org.pkilab.directory;

import org.apache.directory.api.ldap.model.filter.AndNode;
import org.apache.directory.api.ldap.model.filter.BranchNode;
import org.apache.directory.api.ldap.model.filter.ExprNode;
import org.apache.directory.api.ldap.model.filter.LeafNode;
import org.apache.directory.api.ldap.model.filter.NotNode;
import org.apache.directory.api.ldap.model.filter.OrNode;
import org.apache.directory.api.ldap.model.filter.PresenceNode;
import org.apache.directory.api.ldap.model.schema.SchemaManager;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * A search filter with some of its items <em>Undefined</em> (RFC 4511 4.5.1.7), rewritten into the filter that
 * holds exactly where the original is TRUE, which ApacheDS's two-valued evaluator can run. An entry is returned
 * only where a filter is TRUE; Undefined is never TRUE, not even under NOT. With {@code (x=1)} Undefined:
 *
 * <pre>
 * (&amp;(cn=a)(x=1))        never TRUE: TRUE and Undefined is Undefined      becomes (!(objectClass=*))
 * (|(cn=a)(x=1))         TRUE where (cn=a) is                            becomes (cn=a)
 * (!(&amp;(cn=a)(x=1)))     TRUE where (cn=a) is FALSE (FALSE and Undefined is FALSE)   becomes (!(cn=a))
 * (!(|(cn=a)(x=1)))      never TRUE                                      becomes (!(objectClass=*))
 * </pre>
 *
 * <p>For each node it builds the filter for "this node is TRUE" and the one for "this node is FALSE". An
 * Undefined item is neither; AND is FALSE when one part is FALSE, OR is TRUE when one part is TRUE, and NOT
 * swaps the two. Which items are Undefined is the caller's rule: a secret ({@link SecretFilter}), an attribute
 * the schema lacks ({@link UnknownAttributeFilter}).
 */
final class ThreeValuedFilter {

    private ThreeValuedFilter() {
    }

    /**
     * A filter no entry matches: FALSE, not Undefined, so its negation matches every entry. What a rewritten item
     * becomes when it selects nothing: an in-chain item from a group without members, a bitwise item no value
     * passes, a {@code <SID=...>} no object holds.
     */
    static ExprNode never(SchemaManager schema) {
        return new NotNode(new PresenceNode(schema.getAttributeType("objectClass")));
    }

    static boolean mentions(ExprNode node, Predicate<LeafNode> undefined) {
        if (node instanceof BranchNode branch) {
            return branch.getChildren().stream().anyMatch(child -> mentions(child, undefined));
        }
        return node instanceof LeafNode leaf && undefined.test(leaf);
    }

    /** The filter that holds exactly where {@code filter} is TRUE with every item {@code undefined} accepts Undefined. */
    static ExprNode whereTrue(ExprNode filter, Predicate<LeafNode> undefined, SchemaManager schema) {
        ExprNode rewritten = when(filter, true, undefined);
        return rewritten != null ? rewritten : never(schema);
    }

    /** The filter for "{@code node} is {@code truth}"; {@code null} when that can never hold. */
    private static ExprNode when(ExprNode node, boolean truth, Predicate<LeafNode> undefined) {
        if (node instanceof NotNode not) {
            return when(not.getFirstChild(), !truth, undefined);
        }
        if ((node instanceof AndNode || node instanceof OrNode) && !((BranchNode) node).getChildren().isEmpty()) {
            // AND is TRUE when all parts are, FALSE when one is; OR the other way round
            boolean all = (node instanceof AndNode) == truth;
            List<ExprNode> parts = new ArrayList<>();
            for (ExprNode child : ((BranchNode) node).getChildren()) {
                ExprNode part = when(child, truth, undefined);
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
        if (node instanceof LeafNode leaf && undefined.test(leaf)) {
            return null;
        }
        return truth ? node : new NotNode(node);
    }
}
