package org.pkilab.host;

import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.pkilab.pki.KeyFiles;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.security.cert.CertificateException;

/**
 * HTTP clients of a lab computer (Jetty's client): names resolve through the {@link LabNetwork}, TLS
 * checks the server's certificate against the host name in the URL and the computer's own trust, and a
 * client certificate from its store can be presented.
 */
final class LabHttp {

    private LabHttp() {
    }

    static HttpClient plain(LabNetwork network) {
        return start(new HttpClient(), network);
    }

    static HttpClient tls(LabNetwork network, X509TrustManager trust, KeyFiles.KeyEntry clientKey) {
        try {
            KeyManager[] keys = null;
            if (clientKey != null) {
                char[] pw = "lab".toCharArray();
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(KeyFiles.readPkcs12(KeyFiles.pkcs12(clientKey, pw), pw), pw);
                keys = kmf.getKeyManagers();
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys, new TrustManager[]{trust}, null);
            SslContextFactory.Client tls = new SslContextFactory.Client();
            tls.setSslContext(context);
            // check the certificate against the name in the URL, as Windows' SChannel does
            tls.setEndpointIdentificationAlgorithm("HTTPS");
            ClientConnector connector = new ClientConnector();
            connector.setSslContextFactory(tls);
            return start(new HttpClient(new HttpClientTransportOverHTTP(connector)), network);
        } catch (Exception e) {
            throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    private static HttpClient start(HttpClient client, LabNetwork network) {
        client.setSocketAddressResolver(network);
        client.setFollowRedirects(false);
        client.setConnectTimeout(10_000);
        try {
            client.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start an HTTP client: " + e.getMessage(), e);
        }
        return client;
    }

    static void stop(HttpClient client) {
        try {
            client.stop();
        } catch (Exception e) {
            // a client that cannot stop holds nothing worth reporting
        }
    }

    /** The trust failure behind a failed request, or a name mismatch reported by TLS, or null. */
    static TrustFailure trustFailure(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof TrustFailure trust) {
                return trust;
            }
            if (t instanceof CertificateException && t.getMessage() != null && t.getMessage().contains("No subject alternative DNS name")) {
                return new TrustFailure(TrustFailure.Reason.NAME_MISMATCH, t.getMessage());
            }
            if (t instanceof SSLHandshakeException && t.getMessage() != null && t.getMessage().contains("No subject alternative DNS name")) {
                return new TrustFailure(TrustFailure.Reason.NAME_MISMATCH, t.getMessage());
            }
        }
        return null;
    }
}
