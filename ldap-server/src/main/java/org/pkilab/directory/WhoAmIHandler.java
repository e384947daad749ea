package org.pkilab.directory;

import org.apache.directory.api.ldap.extras.extended.whoAmI.WhoAmIResponseImpl;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.message.ExtendedRequest;
import org.apache.directory.api.ldap.model.message.ExtendedResponse;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.server.core.api.CoreSession;
import org.apache.directory.server.ldap.ExtendedOperationHandler;
import org.apache.directory.server.ldap.LdapServer;
import org.apache.directory.server.ldap.LdapSession;

import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * The "Who am I?" extended operation (RFC 4532, 1.3.6.1.4.1.4203.1.11.3) as AD answers it: the authorization
 * identity in the down-level form, {@code u:CONTOSO\Administrator}, however the connection bound (DN, UPN,
 * {@code CONTOSO\name}, NTLM or a certificate, {@link ExternalBinds}); an anonymous connection gets an empty value.
 */
final class WhoAmIHandler implements ExtendedOperationHandler<ExtendedRequest, ExtendedResponse> {

    static final String OID = "1.3.6.1.4.1.4203.1.11.3";

    private final String netbiosName;

    WhoAmIHandler(String netbiosName) {
        this.netbiosName = netbiosName;
    }

    @Override
    public String getOid() {
        return OID;
    }

    @Override
    public Set<String> getExtensionOids() {
        return Set.of(OID);
    }

    @Override
    public void handleExtendedOperation(LdapSession session, ExtendedRequest request) throws Exception {
        WhoAmIResponseImpl response = new WhoAmIResponseImpl(request.getMessageId(), ResultCodeEnum.SUCCESS);
        CoreSession core = session.getCoreSession();
        if (session.isAuthenticated() && core != null && !core.isAnonymous()) {
            Entry account = core.getDirectoryService().getAdminSession().lookup(core.getEffectivePrincipal().getDn(), "sAMAccountName");
            String name = account != null && account.get("sAMAccountName") != null
                    ? netbiosName + "\\" + account.get("sAMAccountName").getString() : core.getEffectivePrincipal().getDn().getName();
            response.setAuthzId(("u:" + name).getBytes(StandardCharsets.UTF_8));
        }
        session.getIoSession().write(response);
    }

    @Override
    public void setLdapServer(LdapServer ldapServer) {
        // nothing to keep: the session carries all the answer needs
    }
}
