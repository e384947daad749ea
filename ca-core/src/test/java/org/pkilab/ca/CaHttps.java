package org.pkilab.ca;

import org.pkilab.enrollment.EstClient;
import org.pkilab.enrollment.EstTransport;
import org.pkilab.enrollment.JdkEstTransport;
import org.pkilab.pki.KeyFiles;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.IOException;

/**
 * The CA's tests on the network: the lab's one {@link EstClient} over the JDK's HTTPS
 * ({@link JdkEstTransport}), trusting only the lab CA and checking that the server's certificate names the
 * CA's FQDN, as a Windows client connecting to ca01.contoso.com would; and calls on the CA's administration
 * interface.
 */
final class CaHttps {

    private CaHttps() {
    }

    /** An EST client of {@code ca} at {@code https://127.0.0.1:<port>/.well-known/est}. */
    static EstClient est(CertificationAuthority ca) {
        return est(ca, null);
    }

    /** With {@code clientKey} the client presents that certificate (for re-enrollment). */
    static EstClient est(CertificationAuthority ca, KeyFiles.KeyEntry clientKey) {
        return new EstClient("https://127.0.0.1:" + ca.httpsPort() + "/.well-known/est", transport(ca, clientKey));
    }

    /** A call on the CA's administration interface, {@code /certsrv/admin/<path>}. */
    static EstTransport.Response admin(CertificationAuthority ca, String method, String path, String authorization) throws IOException {
        return transport(ca, null).exchange(new EstTransport.Request(method,
                "https://127.0.0.1:" + ca.httpsPort() + CaAdminEndpoint.PREFIX + path, authorization, null,
                method.equals("GET") ? null : new byte[0]));
    }

    private static JdkEstTransport transport(CertificationAuthority ca, KeyFiles.KeyEntry clientKey) {
        try {
            KeyManagerFactory kmf = null;
            if (clientKey != null) {
                char[] pw = "x".toCharArray();
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(KeyFiles.keyStore(clientKey, pw), pw);
            }
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(kmf == null ? null : kmf.getKeyManagers(), KeyFiles.trustOnly(ca.certificate()), null);
            return new JdkEstTransport(tls, ca.config().fqdn());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
