package org.pkilab.directory;

import org.apache.directory.api.ldap.model.filter.ExprNode;
import org.apache.directory.api.ldap.model.filter.LeafNode;
import org.apache.directory.api.ldap.model.schema.SchemaManager;

import java.util.function.Predicate;

/**
 * How the DC evaluates a search filter item on an attribute its schema does not have. A Windows DC answers
 * such a search with success and the entries the rest of the filter selects: the item evaluates to
 * <em>Undefined</em> (RFC 4511 4.5.1.7; [MS-ADTS] 3.1.1.3.1.3.1, three-valued logic since Windows Server
 * 2003), and so does an extensible match that names no attribute ([MS-ADTS] 3.1.1.3.1.3.1). Tools written for
 * many directories rely on it: SSSD asks an AD domain for sudo rules with {@code (sudoHost=...)} items, and goes
 * offline if the DC answers with an error.
 *
 * <pre>
 * (sudoHost=ALL)                                   no entry
 * (!(sudoHost=ALL))                                no entry: NOT of Undefined is Undefined
 * (|(cn=Administrator)(sudoHost=ALL))              Administrator
 * (!(&amp;(cn=Administrator)(sudoHost=ALL)))           every entry but Administrator
 * </pre>
 *
 * <p>ApacheDS on its own drops such items as it normalizes the filter (so NOT of an AND with one in it matches
 * nothing) or fails the search (a substring item, with an unrelated result code), so {@link AdSearchFilters}
 * rewrites the filter by {@link ThreeValuedFilter} before normalization. A presence item
 * {@code (sudoHost=*)} is Undefined too, as OpenLDAP's slapd evaluates it (see docs/differences.md).
 */
final class UnknownAttributeFilter {

    private UnknownAttributeFilter() {
    }

    /** The filter that holds exactly where {@code filter} is TRUE with every item on an unknown attribute Undefined. */
    static ExprNode withUnknownUndefined(ExprNode filter, SchemaManager schema) {
        Predicate<LeafNode> unknown = leaf -> isUnknown(leaf, schema);
        return ThreeValuedFilter.mentions(filter, unknown) ? ThreeValuedFilter.whereTrue(filter, unknown, schema) : filter;
    }

    /** By the attribute description the request gives, options dropped; an extensible match may give none. */
    static boolean isUnknown(LeafNode leaf, SchemaManager schema) {
        return leaf.getAttributeType() == null && AttributeTypes.resolve(null, leaf.getAttribute(), schema) == null;
    }
}
