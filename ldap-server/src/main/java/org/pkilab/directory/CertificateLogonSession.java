package org.pkilab.directory;

import org.apache.directory.api.ldap.model.constants.AuthenticationLevel;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.server.core.api.DirectoryService;
import org.apache.directory.server.core.api.LdapPrincipal;
import org.apache.directory.server.core.shared.DefaultCoreSession;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.LogonToken.TokenGroup;

import java.util.ArrayList;
import java.util.List;

/**
 * The directory session of a connection bound by certificate (SASL EXTERNAL): the account the certificate mapped
 * to, how it mapped, and the groups its issuance policies linked to ({@code msDS-OIDToGroupLink}, ESC13). Those
 * groups belong to this logon only, as on Windows, where the KDC puts them in the ticket of the certificate logon
 * and never in the account's {@code member}/{@code memberOf}: {@link TokenBuilder#tokenOf} adds them to the token
 * every access check of this connection judges, and a read of {@code tokenGroups} on the account by this connection
 * shows them, while every other connection of the same account sees its groups without them.
 */
final class CertificateLogonSession extends DefaultCoreSession {

    private final String mapping;
    private final List<TokenGroup> linkedGroups;

    CertificateLogonSession(Dn account, DirectoryService service, String mapping, List<TokenGroup> linkedGroups) {
        super(new LdapPrincipal(service.getSchemaManager(), account, AuthenticationLevel.STRONG), service);
        this.mapping = mapping;
        this.linkedGroups = List.copyOf(linkedGroups);
    }

    /** How the certificate mapped, as the DC's log says it: {@code implicit UPN mapping of 'administrator@contoso.com', ...}. */
    String mapping() {
        return mapping;
    }

    /** The groups the certificate's issuance policies linked to, in this logon only. */
    List<TokenGroup> linkedGroups() {
        return linkedGroups;
    }

    /** {@code token} with the linked groups this logon added and it does not hold already. */
    LogonToken withLinkedGroups(LogonToken token) {
        if (linkedGroups.isEmpty()) {
            return token;
        }
        List<TokenGroup> groups = new ArrayList<>(token.groups());
        for (TokenGroup group : linkedGroups) {
            if (groups.stream().noneMatch(g -> g.sid().equals(group.sid()))) {
                groups.add(group);
            }
        }
        return new LogonToken(token.account(), token.distinguishedName(), token.sid(), groups, token.issuedAt(), token.logonServer(),
                token.expiresAt());
    }
}
