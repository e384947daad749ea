package org.pkilab.directory;

import org.pkilab.directory.client.LogonRequest;
import org.apache.directory.api.ldap.codec.api.AbstractExtendedOperationFactory;
import org.apache.directory.api.ldap.codec.api.LdapApiService;
import org.apache.directory.api.ldap.model.message.ExtendedRequest;
import org.apache.directory.api.ldap.model.message.ExtendedResponse;
import org.apache.directory.api.ldap.model.message.OpaqueExtendedRequest;
import org.apache.directory.api.ldap.model.message.OpaqueExtendedResponse;

/**
 * Tells the LDAP decoder about the logon request. Without a registered factory the decoder builds an
 * opaque request but drops its name (LDAP API 2.1.5), so no handler could ever be found for it.
 */
final class LogonRequestFactory extends AbstractExtendedOperationFactory {

    LogonRequestFactory(LdapApiService codec) {
        super(codec, LogonRequest.OID);
    }

    @Override
    public ExtendedRequest newRequest() {
        return new OpaqueExtendedRequest(LogonRequest.OID);
    }

    @Override
    public ExtendedResponse newResponse() {
        return new OpaqueExtendedResponse(LogonRequest.OID);
    }
}
