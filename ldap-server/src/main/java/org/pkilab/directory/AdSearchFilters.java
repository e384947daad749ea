package org.pkilab.directory;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.filter.BranchNode;
import org.apache.directory.api.ldap.model.filter.ExprNode;
import org.apache.directory.api.ldap.model.filter.LeafNode;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.server.core.api.filtering.EntryFilteringCursor;
import org.apache.directory.server.core.api.interceptor.BaseInterceptor;
import org.apache.directory.server.core.api.interceptor.context.SearchOperationContext;
import org.pkilab.directory.model.DomainNames;

import java.util.ArrayList;
import java.util.List;

/**
 * Search filters read as Active Directory reads them, before ApacheDS normalizes them: a SID may be given in its
 * string form ({@link StringSidFilter}), a DN as {@code <SID=...>} or {@code <GUID=...>}
 * ({@link AlternativeDnValues}), a category by its class's name ({@link ObjectCategories}), group membership may be asked for along nested groups
 * ({@link InChainFilter}), integer flags may be tested bit by bit ({@link BitwiseFilter}), and an item on an
 * attribute the schema lacks is Undefined ({@link UnknownAttributeFilter}). It stands first in the operation
 * chain, because ApacheDS's normalization drops or fails items it cannot resolve, compares a string SID with
 * binary values as octets, and has no evaluator for AD's matching rules ("NOT IMPLEMENTED YET"). For an anonymous
 * caller nothing is looked up: an item naming a DN by GUID or SID, or following links in chain, is FALSE (it can
 * read the root DSE alone, which is in no group). Results of a
 * search that asks for no attributes come back through a {@link SteppingBackCursor}, so they can be paged.
 */
final class AdSearchFilters extends BaseInterceptor {

    static final String NAME = "pkilabAdSearchFilters";

    private final DomainNames names;
    private volatile AlternativeDns alternativeDns;

    /** {@code names}: the domain's, where objects named by GUID or SID are looked for and categories are named. */
    AdSearchFilters(DomainNames names) {
        super(NAME);
        this.names = names;
    }

    @Override
    public EntryFilteringCursor search(SearchOperationContext ctx) throws LdapException {
        if (ctx.getFilter() != null) {
            SchemaManager schema = ctx.getSession().getDirectoryService().getSchemaManager();
            ExprNode filter = StringSidFilter.withBinarySids(ctx.getFilter(), schema);
            if (ctx.getSession().isAnonymous()) {
                filter = withoutLookups(filter, schema);
            }
            filter = AlternativeDnValues.withDnsNamed(filter, alternativeDns(ctx), schema);
            filter = ObjectCategories.withCategoryDns(filter, schema, names);
            filter = InChainFilter.withChainsFollowed(filter, ctx.getSession(), schema);
            filter = BitwiseFilter.withBitsTested(filter, ctx, schema);
            ctx.setFilter(UnknownAttributeFilter.withUnknownUndefined(filter, schema));
        }
        EntryFilteringCursor results = next(ctx);
        // ApacheDS's own cursor fails to step back over an entry stripped of every attribute
        return ctx.isNoAttributes() ? new SteppingBackCursor(results) : results;
    }

    /**
     * {@code filter} with the items that would look objects up (a DN named by GUID or SID, an in-chain item) FALSE.
     * An anonymous caller may read the root DSE alone (000004DC below it), which is in no group and whose DN-valued
     * attributes name naming contexts: were those items resolved for it, {@code (namingContexts=<SID=...>)} would
     * tell an anonymous caller which SID the domain holds, and each would cost the DC a search of the domain.
     */
    private static ExprNode withoutLookups(ExprNode filter, SchemaManager schema) throws LdapException {
        return rewriteItems(filter, item -> AlternativeDnValues.namesAnObject(item, schema) || InChainFilter.followsLinks(item, schema)
                ? ThreeValuedFilter.never(schema) : item);
    }

    private AlternativeDns alternativeDns(SearchOperationContext ctx) {
        AlternativeDns resolver = alternativeDns;
        if (resolver == null) {
            alternativeDns = resolver = new AlternativeDns(ctx.getSession().getDirectoryService(), names.domain());
        }
        return resolver;
    }

    /** How one filter item is read instead; it may return the item itself. */
    @FunctionalInterface
    interface ItemRewrite {
        ExprNode rewrite(LeafNode item) throws LdapException;
    }

    /** {@code filter} with each item replaced by what {@code rewrite} makes of it; branches are changed in place. */
    static ExprNode rewriteItems(ExprNode filter, ItemRewrite rewrite) throws LdapException {
        if (filter instanceof BranchNode branch) {
            List<ExprNode> children = new ArrayList<>(branch.getChildren().size());
            for (ExprNode child : branch.getChildren()) {
                children.add(rewriteItems(child, rewrite));
            }
            branch.setChildren(children);
            return branch;
        }
        return filter instanceof LeafNode leaf ? rewrite.rewrite(leaf) : filter;
    }
}
