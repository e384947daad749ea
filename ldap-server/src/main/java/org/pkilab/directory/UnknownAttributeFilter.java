package org.pkilab.directory;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.filter.LeafNode;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.server.core.api.filtering.EntryFilteringCursor;
import org.apache.directory.server.core.api.interceptor.BaseInterceptor;
import org.apache.directory.server.core.api.interceptor.context.SearchOperationContext;

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
 * nothing) or fails the search (a substring item, with an unrelated result code). This step stands first in the
 * operation chain, before normalization, and rewrites the filter by {@link ThreeValuedFilter}. A presence item
 * {@code (sudoHost=*)} is Undefined too, as OpenLDAP's slapd evaluates it (see docs/differences.md).
 */
final class UnknownAttributeFilter extends BaseInterceptor {

    static final String NAME = "pkilabUnknownAttributeFilter";

    UnknownAttributeFilter() {
        super(NAME);
    }

    @Override
    public EntryFilteringCursor search(SearchOperationContext ctx) throws LdapException {
        SchemaManager schema = ctx.getSession().getDirectoryService().getSchemaManager();
        Predicate<LeafNode> unknown = leaf -> isUnknown(leaf, schema);
        if (ctx.getFilter() != null && ThreeValuedFilter.mentions(ctx.getFilter(), unknown)) {
            ctx.setFilter(ThreeValuedFilter.whereTrue(ctx.getFilter(), unknown, schema));
        }
        return next(ctx);
    }

    /** By the attribute description the request gives, options dropped; an extensible match may give none. */
    static boolean isUnknown(LeafNode leaf, SchemaManager schema) {
        return leaf.getAttributeType() == null && AttributeTypes.resolve(null, leaf.getAttribute(), schema) == null;
    }
}
