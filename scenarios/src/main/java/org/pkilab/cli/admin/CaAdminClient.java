package org.pkilab.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.pkilab.directory.client.EnterprisePki;
import org.pkilab.pki.KeyFiles;

import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;

/**
 * The client side of the CA's administration interface ({@code /certsrv/admin/} on its HTTPS port), as
 * {@code certutil} is the client of {@code ICertAdmin}. Everything it needs comes from the directory,
 * as a domain member finds its CA: the URL from the enrollment service's {@code msPKI-Enrollment-Servers},
 * the trust from its {@code cACertificate}. The CA's lab name ({@code ca01.contoso.com}) is reached at
 * the DC's address and checked against the CA's TLS certificate.
 */
final class CaAdminClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String caName;
    private final String fqdn;
    private final String origin;
    private final SSLContext tls;
    private final String authorization;

    CaAdminClient(EnterprisePki.EnrollmentService service, String host, String user, String password) {
        this.caName = service.name();
        String url = service.enrollmentUrls().stream().filter(u -> u.startsWith("https://")).findFirst()
                .orElseThrow(() -> new CaAdminException(caName + " publishes no HTTPS enrollment URL (msPKI-Enrollment-Servers): "
                        + "is it running? Start the lab with 'pkilab up'"));
        URI uri = URI.create(url);
        this.fqdn = uri.getHost();
        this.origin = "https://" + host + ":" + uri.getPort();
        if (service.caCertificate() == null) {
            throw new CaAdminException(caName + " has no cACertificate in CN=Enrollment Services");
        }
        try {
            X509Certificate caCertificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(service.caCertificate()));
            tls = SSLContext.getInstance("TLS");
            tls.init(null, KeyFiles.trustOnly(caCertificate), null);
        } catch (GeneralSecurityException e) {
            throw new CaAdminException("cannot trust " + caName + "'s certificate from the directory: " + e.getMessage());
        }
        this.authorization = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    String caName() {
        return caName;
    }

    JsonNode get(String path) {
        return call("GET", path);
    }

    JsonNode post(String path) {
        return call("POST", path);
    }

    JsonNode delete(String path) {
        return call("DELETE", path);
    }

    static String segment(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private JsonNode call(String method, String path) {
        String target = origin + "/certsrv/admin/" + path;
        try {
            HttpsURLConnection http = (HttpsURLConnection) URI.create(target).toURL().openConnection();
            http.setSSLSocketFactory(tls.getSocketFactory());
            // the URL holds the address; the certificate must still name the CA's host, as for a client reaching ca01.contoso.com
            http.setHostnameVerifier((ignored, session) -> namesHost(session));
            http.setRequestMethod(method);
            http.setRequestProperty("Authorization", authorization);
            http.setConnectTimeout(10_000);
            http.setReadTimeout(120_000);
            int status = http.getResponseCode();
            InputStream body = status < 400 ? http.getInputStream() : http.getErrorStream();
            String text = body == null ? "" : new String(body.readAllBytes(), StandardCharsets.UTF_8);
            if (status >= 300) {
                throw new CaAdminException(caName + " refused " + method + " " + path + " (HTTP " + status + "):\n" + text.strip());
            }
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new CaAdminException("cannot reach " + caName + " at " + target + " (" + fqdn + "): " + e.getMessage());
        }
    }

    private boolean namesHost(javax.net.ssl.SSLSession session) {
        try {
            X509Certificate server = (X509Certificate) session.getPeerCertificates()[0];
            if (server.getSubjectAlternativeNames() == null) {
                return false;
            }
            for (List<?> name : server.getSubjectAlternativeNames()) {
                if (Integer.valueOf(2).equals(name.get(0)) && fqdn.equalsIgnoreCase(String.valueOf(name.get(1)))) {
                    return true;
                }
            }
            return false;
        } catch (SSLPeerUnverifiedException | java.security.cert.CertificateParsingException e) {
            return false;
        }
    }

    /** A refusal or failure of the CA, its message as the CA gave it (AD CS code, reason, what to change). */
    static final class CaAdminException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CaAdminException(String message) {
            super(message);
        }
    }
}
