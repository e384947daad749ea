package org.pkilab.directory;

import org.apache.directory.api.ldap.model.exception.LdapAuthenticationException;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.server.constants.ServerDNConstants;
import org.apache.directory.server.core.api.CoreSession;
import org.apache.directory.server.core.api.interceptor.BaseInterceptor;
import org.apache.directory.server.core.api.interceptor.context.BindOperationContext;

/**
 * Refuses binds as the embedded server's own super-user ({@code uid=admin,ou=system}, password
 * "secret" unless changed): it is for the DC itself, never for a network client, and it passes every
 * access check. It must stand before ApacheDS's authentication interceptor, which ends a bind
 * without passing it further down the chain.
 *
 * <p>Every refused simple bind answers alike, as AD's does: 49 (invalidCredentials) with
 * {@code AcceptSecurityContext error, data 52e} (ERROR_LOGON_FAILURE), whether the password was wrong, the
 * DN named nothing, or the name was one {@link AdBindRequestHandler} could not map to an account, so that a
 * failed bind never tells whether the account exists.
 */
final class SystemAccountGuard extends BaseInterceptor {
    static final String NAME = "pkilabSystemAccountGuard";
    static final String LOGON_FAILURE = "80090308: LdapErr: DSID-0C090569, comment: AcceptSecurityContext error, data 52e, v4563";

    SystemAccountGuard() {
        super(NAME);
    }

    @Override
    public void bind(BindOperationContext ctx) throws LdapException {
        boolean unnamed = ctx.getDn() == null && ctx.getSaslMechanism() == null;
        if (unnamed || (ctx.getDn() != null && ctx.getDn().getNormName().equals(ServerDNConstants.ADMIN_SYSTEM_DN_NORMALIZED))) {
            throw new LdapAuthenticationException(LOGON_FAILURE);
        }
        try {
            next(ctx);
        } catch (LdapAuthenticationException e) {
            throw new LdapAuthenticationException(LOGON_FAILURE);
        }
    }

    /** Whether {@code session} is the DC's own (its start-up, its restores, the upkeep it does after a client's write). */
    static boolean isSystem(CoreSession session) {
        return session.getEffectivePrincipal() != null
                && ServerDNConstants.ADMIN_SYSTEM_DN_NORMALIZED.equals(session.getEffectivePrincipal().getDn().getNormName());
    }
}
