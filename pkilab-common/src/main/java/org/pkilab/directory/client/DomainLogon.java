package org.pkilab.directory.client;

import com.unboundid.ldap.sdk.ExtendedRequest;
import com.unboundid.ldap.sdk.ExtendedResult;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPConnectionOptions;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchResultEntry;
import org.pkilab.directory.model.DomainNames;
import org.pkilab.directory.model.LogonToken;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;

/**
 * Logging on to the domain over the network: bind as the account and ask the DC for its logon token
 * (an LDAP extended operation). The holder reads its token as the DC gave it on the session it bound;
 * the services it presents the token to (the CA) check the DC's signature against the certificate the
 * DC publishes on its computer object in {@code OU=Domain Controllers}.
 *
 * <pre>{@code
 * DomainLogon.Session session = DomainLogon.logon("127.0.0.1", port, "CN=IIS01,CN=Computers,DC=contoso,DC=com", pw);
 * session.token().groupNames(); // [CONTOSO\Domain Computers, CONTOSO\ConfigMgr IIS Servers, Everyone, ...]
 * session.encoded();            // what a host presents to the CA
 * }</pre>
 */
public final class DomainLogon {

    /** A logon: the token and its signed, encoded form. */
    public record Session(LogonToken token, String encoded) {
    }

    private DomainLogon() {
    }

    /**
     * Options for a connection one thread uses for a few operations and closes: synchronous mode reads
     * each answer on the calling thread instead of starting a reader thread per connection, which cost
     * more than the operations themselves when thousands of computers booted.
     */
    public static LDAPConnectionOptions oneThreadConnection() {
        LDAPConnectionOptions options = new LDAPConnectionOptions();
        options.setUseSynchronousMode(true);
        return options;
    }

    public static Session logon(String host, int port, String accountDn, String password) {
        return exchange(host, port, accountDn, password, null);
    }

    /**
     * Logs on over a connection the caller opened and keeps: binds it as the account and asks for the
     * token, so that what the caller reads next (Group Policy, at boot) goes over the same session, as a
     * Windows computer's logon and Group Policy processing do.
     */
    public static Session logon(LDAPConnection connection, String accountDn, String password) {
        try {
            return exchange(connection, accountDn, password, null);
        } catch (LDAPException e) {
            throw failure(accountDn, e);
        }
    }

    /**
     * S4U2Self: the service bound as {@code serviceDn} (a member of Cert Publishers or an administrator)
     * obtains the current logon token of {@code accountDn}.
     */
    public static Session logonOnBehalfOf(String host, int port, String serviceDn, String password,
                                          String accountDn) {
        return exchange(host, port, serviceDn, password, accountDn);
    }

    private static Session exchange(String host, int port, String bindDn, String password, String forDn) {
        String accountDn = forDn == null ? bindDn : forDn;
        try (LDAPConnection connection = new LDAPConnection(oneThreadConnection(), host, port)) {
            return exchange(connection, bindDn, password, forDn);
        } catch (LDAPException e) {
            throw failure(accountDn, e);
        }
    }

    private static Session exchange(LDAPConnection connection, String bindDn, String password, String forDn)
            throws LDAPException {
        String accountDn = forDn == null ? bindDn : forDn;
        connection.bind(bindDn, password);
        ExtendedResult result = connection.processExtendedOperation(forDn == null ? new ExtendedRequest(LogonRequest.OID)
                : new ExtendedRequest(LogonRequest.OID, new com.unboundid.asn1.ASN1OctetString(forDn)));
        if (result.getResultCode() != ResultCode.SUCCESS || result.getValue() == null) {
            throw new DirectoryException(result.getResultCode().intValue(), "logon of " + accountDn + " refused: "
                    + result.getDiagnosticMessage(), null);
        }
        String encoded = new String(result.getValue().getValue(), StandardCharsets.US_ASCII);
        // the DC's certificate comes from the same DC: checking the signature with it here would prove nothing more than the bind
        return new Session(LogonToken.read(encoded), encoded);
    }

    private static DirectoryException failure(String accountDn, LDAPException e) {
        return new DirectoryException(e.getResultCode().intValue(), "logon of " + accountDn + " failed: LDAP "
                + e.getResultCode().intValue() + " " + e.getResultCode().getName()
                + (e.getResultCode() == ResultCode.INVALID_CREDENTIALS ? " (wrong password or unknown account)" : "")
                + " — " + e.getDiagnosticMessage(), e);
    }

    /** The certificate of the domain's first DC, as published in {@code OU=Domain Controllers}. */
    public static X509Certificate domainControllerCertificate(LDAPConnection connection, DomainNames names) throws LDAPException {
        for (SearchResultEntry dc : connection.search(names.domainControllers(), com.unboundid.ldap.sdk.SearchScope.ONE,
                "(objectClass=computer)", "userCertificate").getSearchEntries()) {
            byte[] der = dc.getAttributeValueBytes("userCertificate");
            if (der != null) {
                try {
                    return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
                } catch (CertificateException e) {
                    throw new DirectoryException("the certificate on " + dc.getDN() + " does not parse: " + e.getMessage());
                }
            }
        }
        throw new DirectoryException("no domain controller certificate under " + names.domainControllers());
    }
}
