package org.pkilab.directory;

import org.pkilab.directory.client.LogonRequest;
import org.apache.directory.api.ldap.model.message.ExtendedRequest;
import org.apache.directory.api.ldap.model.message.ExtendedResponse;
import org.apache.directory.api.ldap.model.message.LdapResult;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapInvalidDnException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchObjectException;
import org.apache.directory.api.ldap.model.message.OpaqueExtendedRequest;
import org.apache.directory.api.ldap.model.message.OpaqueExtendedResponse;
import org.apache.directory.api.ldap.model.name.Dn;
import org.pkilab.directory.model.RelativeIds;
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
 *
 * <p>With a DN as request value it is S4U2Self: a service (a member of Cert Publishers, Domain Admins
 * or Enterprise Admins) gets the current token of another account, as the CA does to check the rights
 * of a requester who authenticated with a certificate.
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
            Dn caller = session.getCoreSession().getEffectivePrincipal().getDn();
            byte[] value = request instanceof OpaqueExtendedRequest opaque ? opaque.getRequestValue() : null;
            Dn account = caller;
            if (value != null && value.length > 0) {
                // S4U2Self: a service asks for another account's token (the CA renewing by certificate)
                LogonToken callerToken = tokens.tokenOf(session.getCoreSession(), clock.instant(), logonServer);
                if (!mayActForOthers(callerToken)) {
                    result.setResultCode(ResultCodeEnum.INSUFFICIENT_ACCESS_RIGHTS);
                    result.setDiagnosticMessage(callerToken.account() + " may not obtain logon tokens for other accounts: "
                            + "only Cert Publishers, Domain Admins and Enterprise Admins may");
                    session.getIoSession().write(response);
                    return;
                }
                try {
                    account = new Dn(session.getCoreSession().getDirectoryService().getSchemaManager(),
                            new String(value, StandardCharsets.UTF_8));
                } catch (LdapInvalidDnException e) {
                    result.setResultCode(ResultCodeEnum.INVALID_DN_SYNTAX);
                    result.setDiagnosticMessage("not a DN: " + new String(value, StandardCharsets.UTF_8));
                    session.getIoSession().write(response);
                    return;
                }
            }
            try {
                // the caller's own token is the one its access checks judge, with the groups a certificate logon linked (ESC13)
                LogonToken token = account == caller ? tokens.tokenOf(session.getCoreSession(), clock.instant(), logonServer)
                        : tokens.tokenFor(account, clock.instant(), logonServer);
                response.setResponseValue(token.encode(dcKey).getBytes(StandardCharsets.US_ASCII));
                result.setResultCode(ResultCodeEnum.SUCCESS);
            } catch (LdapNoSuchObjectException e) {
                result.setResultCode(ResultCodeEnum.NO_SUCH_OBJECT);
                result.setDiagnosticMessage("no security principal " + account.getName() + ": " + e.getMessage());
            } catch (LdapException e) {
                // the account exists (it just bound): the DC failed to read its groups, which is not the caller's fault
                result.setResultCode(ResultCodeEnum.OTHER);
                result.setDiagnosticMessage("the DC could not make the logon token of " + account.getName() + ": " + e);
            }
        }
        session.getIoSession().write(response);
    }

    private static boolean mayActForOthers(LogonToken token) {
        return token.sids().stream().anyMatch(sid -> sid.rid() == RelativeIds.CERT_PUBLISHERS
                || sid.rid() == RelativeIds.DOMAIN_ADMINS || sid.rid() == RelativeIds.ENTERPRISE_ADMINS);
    }

    @Override
    public void setLdapServer(LdapServer ldapServer) {
        // the handler needs nothing from the server
    }
}
