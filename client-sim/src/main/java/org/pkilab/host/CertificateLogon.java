package org.pkilab.host;

import com.unboundid.ldap.sdk.ExtendedResult;
import com.unboundid.ldap.sdk.EXTERNALBindRequest;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import com.unboundid.ldap.sdk.extensions.StartTLSExtendedRequest;
import com.unboundid.ldap.sdk.extensions.WhoAmIExtendedRequest;
import com.unboundid.ldap.sdk.extensions.WhoAmIExtendedResult;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.DirectoryException;
import org.pkilab.directory.model.DomainNames;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import java.security.KeyStore;
import java.security.cert.Certificate;

/**
 * Logon with a certificate at the domain controller, as Schannel does it over LDAP: StartTLS presenting the
 * certificate and its key from the store, then a SASL EXTERNAL bind, so the DC maps the certificate to an account
 * (KB5014754's rules) and the connection acts as that account. What an attacker does with a forged certificate
 * ({@code certipy auth -ldap-shell}), and what {@code ldapwhoami -Y EXTERNAL} shows.
 *
 * <pre>{@code
 * try (CertificateLogon.Session s = pc01.logOnWithCertificate(certificate)) {
 *     s.whoAmI();                                   // "u:CONTOSO\Administrator"
 *     s.directory().usersAndComputers().addMember("Domain Admins", "mallory");
 * }
 * }</pre>
 */
public final class CertificateLogon {

    /** A connection bound by a certificate: who the DC says it is, and the consoles as that account. */
    public static final class Session implements AutoCloseable {
        private final String whoAmI;
        private final DirectoryAdmin directory;

        private Session(String whoAmI, DirectoryAdmin directory) {
            this.whoAmI = whoAmI;
            this.directory = directory;
        }

        /** The Who-Am-I answer, {@code u:CONTOSO\Administrator}. */
        public String whoAmI() {
            return whoAmI;
        }

        /** The directory's consoles as the account the certificate was mapped to. */
        public DirectoryAdmin directory() {
            return directory;
        }

        @Override
        public void close() {
            directory.close();
        }
    }

    private CertificateLogon() {
    }

    /**
     * Binds to the DC at {@code config}'s LDAP port with {@code certificate}, trusting the DC's certificate as
     * {@code trust} (the computer's {@code LocalMachine\Root}) decides.
     *
     * @throws DirectoryException with the DC's answer (49 and the mapping rule that refused) when the DC does not
     *                            log the certificate on
     */
    static Session logOn(DomainComputerConfig config, TrustManager trust, StoredCertificate certificate) {
        LDAPConnection connection = null;
        String who = "the certificate '" + certificate.issuedTo() + "' (" + certificate.thumbprint() + ")";
        try {
            connection = new LDAPConnection(config.ldapHost(), config.ldapPort());
            ExtendedResult tls = connection.processExtendedOperation(new StartTLSExtendedRequest(context(certificate, trust)));
            if (tls.getResultCode() != ResultCode.SUCCESS) {
                throw new DirectoryException(tls.getResultCode().intValue(), "the DC refused StartTLS: " + tls.getDiagnosticMessage(), null);
            }
            connection.bind(new EXTERNALBindRequest());
            WhoAmIExtendedResult me = (WhoAmIExtendedResult) connection.processExtendedOperation(new WhoAmIExtendedRequest());
            String authzId = me.getAuthorizationID();
            String account = authzId.substring(authzId.indexOf('\\') + 1);
            DomainNames names = config.names();
            SearchResultEntry entry = connection.searchForEntry(names.domain(), SearchScope.SUB,
                    Filter.createEqualityFilter("sAMAccountName", account), "1.1");
            if (entry == null) {
                throw new DirectoryException("the DC logged " + who + " on as " + authzId + ", an account it does not show");
            }
            return new Session(authzId, DirectoryAdmin.over(connection, names, entry.getDN()));
        } catch (LDAPException e) {
            if (connection != null) {
                connection.close();
            }
            throw new DirectoryException(e.getResultCode().intValue(), config.name() + ": logon with " + who + " at the DC failed: LDAP "
                    + e.getResultCode().intValue() + " " + e.getResultCode().getName() + ": " + e.getDiagnosticMessage(), e);
        } catch (RuntimeException e) {
            if (connection != null) {
                connection.close();
            }
            throw e;
        }
    }

    private static SSLContext context(StoredCertificate certificate, TrustManager trust) {
        try {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            char[] password = "logon".toCharArray();
            keys.setKeyEntry("logon", certificate.privateKey(), password, new Certificate[]{certificate.certificate()});
            KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            factory.init(keys, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(factory.getKeyManagers(), new TrustManager[]{trust}, null);
            return context;
        } catch (Exception e) {
            throw new IllegalStateException("cannot present " + certificate.thumbprint() + " for TLS: " + e.getMessage(), e);
        }
    }
}
