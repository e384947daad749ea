package org.pkilab.directory;

import org.apache.directory.api.ldap.model.message.ExtendedRequest;
import org.apache.directory.api.ldap.model.message.ExtendedResponse;
import org.apache.directory.api.ldap.model.message.LdapResult;
import org.apache.directory.api.ldap.model.message.OpaqueExtendedResponse;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.server.ldap.ExtendedOperationHandler;
import org.apache.directory.server.ldap.LdapServer;
import org.apache.directory.server.ldap.LdapSession;
import org.pkilab.directory.model.LogonToken;

import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.time.Clock;
import java.util.Set;

/**
 * The lab's logon exchange, an LDAP extended operation: after a simple bind, the caller asks for its
 * logon token and the DC answers with the token it signed (see {@link LogonToken}). Hosts call it at
 * boot; Windows gets the same content from the KDC in a Kerberos ticket.
 */
final class LogonHandler implements ExtendedOperationHandler<ExtendedRequest, ExtendedResponse> {

    private final TokenBuilder tokens;
    private final PrivateKey dcKey;
    private final Clock clock;
    private final String logonServer;

    LogonHandler(TokenBuilder tokens, PrivateKey dcKey, Clock clock, String logonServer) {
        this.tokens = tokens;
        this.dcKey = dcKey;
        this.clock = clock;
        this.logonServer = logonServer;
    }

    @Override
    public String getOid() {
        return LogonRequest.OID;
    }

    @Override
    public Set<String> getExtensionOids() {
        return Set.of(LogonRequest.OID);
    }

    @Override
    public void handleExtendedOperation(LdapSession session, ExtendedRequest request) throws Exception {
        OpaqueExtendedResponse response = new OpaqueExtendedResponse(request.getMessageId(), LogonRequest.OID);
        LdapResult result = response.getLdapResult();
        if (!session.isAuthenticated() || session.getCoreSession().isAnonymous()) {
            result.setResultCode(ResultCodeEnum.OPERATIONS_ERROR);
            result.setDiagnosticMessage("a logon token is issued only after a successful bind as a domain account");
        } else {
            LogonToken token = tokens.tokenFor(session.getCoreSession().getEffectivePrincipal().getDn(), clock.instant(), logonServer);
            response.setResponseValue(token.encode(dcKey).getBytes(StandardCharsets.US_ASCII));
            result.setResultCode(ResultCodeEnum.SUCCESS);
        }
        session.getIoSession().write(response);
    }

    @Override
    public void setLdapServer(LdapServer ldapServer) {
        // the handler needs nothing from the server
    }
}
