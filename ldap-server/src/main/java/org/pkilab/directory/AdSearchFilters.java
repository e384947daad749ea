package org.pkilab.directory;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.server.core.api.filtering.EntryFilteringCursor;
import org.apache.directory.server.core.api.interceptor.BaseInterceptor;
import org.apache.directory.server.core.api.interceptor.context.SearchOperationContext;

/**
 * Search filters read as Active Directory reads them, before ApacheDS normalizes them: an item on an attribute
 * the schema lacks is Undefined ({@link UnknownAttributeFilter}), and a SID may be given in its string form
 * ({@link StringSidFilter}). It stands first in the operation chain, because ApacheDS's normalization drops
 * or fails items it cannot resolve and compares a string SID with binary values as octets.
 */
final class AdSearchFilters extends BaseInterceptor {

    static final String NAME = "pkilabAdSearchFilters";

    AdSearchFilters() {
        super(NAME);
    }

    @Override
    public EntryFilteringCursor search(SearchOperationContext ctx) throws LdapException {
        if (ctx.getFilter() != null) {
            SchemaManager schema = ctx.getSession().getDirectoryService().getSchemaManager();
            ctx.setFilter(UnknownAttributeFilter.withUnknownUndefined(StringSidFilter.withBinarySids(ctx.getFilter(), schema), schema));
            ctx.setFilter(ObjectCategories.withCategoryDns(ctx.getFilter(), ctx.getSession().getDirectoryService()));
        }
        return next(ctx);
    }
}
