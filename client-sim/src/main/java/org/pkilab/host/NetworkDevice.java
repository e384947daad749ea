package org.pkilab.host;

import org.pkilab.enrollment.EnrollmentException;
import org.pkilab.enrollment.EstClient;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;

/**
 * A device that is not joined to the domain and enrolls over a protocol made for devices: a router, a Linux web server,
 * a PLC. An administrator installed the enterprise root on it and gives it the credential its protocol needs; the CA
 * judges the account behind that credential against the template, as it judges a domain member. Its certificates go to
 * its own store, "Device certificates".
 *
 * <pre>{@code
 * device.trustRoot(ca.certificate());
 * device.enrollEst(ca.estBaseUrl(), "WebServer", "svc-web", password, "rtr01.contoso.com", List.of("rtr01.contoso.com"));
 * }</pre>
 */
public final class NetworkDevice extends UnjoinedComputer {

    /** A device whose store is kept in {@code dataDirectory}, as a lasting lab keeps it; null: in memory. */
    public NetworkDevice(String hostName, LabNetwork network, Clock clock, Path dataDirectory) {
        super(hostName, network, clock, dataDirectory, "Device certificates", "Trusted roots");
    }

    @Override
    String trustStep() {
        return "device";
    }

    @Override
    public String kind() {
        return "network device";
    }

    /**
     * Enrolls over EST with an account's password (HTTP Basic), as {@code curl --user} or strongSwan's {@code pki --est} does:
     * for {@code template}, or, when null, the template the CA chooses for a request without a label
     * ({@code CA\EstDefaultTemplate}).
     *
     * @param subject  the request's common name; empty for none
     * @param dnsNames DNS names for the request's SAN
     * @throws EnrollmentException with the CA's AD CS code when refused, or the chain error when the device does not trust the CA
     */
    public StoredCertificate enrollEst(String estBaseUrl, String template, String account, String password, String subject, List<String> dnsNames) {
        LabHttp.Client https = https();
        try {
            KeyPair key = rsa2048();
            byte[] csr = KeyAndRequest.csr(key, subject.isEmpty() ? "" : "CN=" + subject, dnsNames);
            X509Certificate certificate = new EstClient(estBaseUrl, new LabEstTransport(hostName(), () -> https))
                    .simpleEnroll(template, EstClient.basic(account, password), csr).certificate();
            return keep(certificate, key, template);
        } finally {
            https.stop();
        }
    }

    private StoredCertificate keep(X509Certificate certificate, KeyPair key, String template) {
        StoredCertificate stored = new StoredCertificate(certificate, key.getPrivate(), false, StoredCertificate.KeyStorage.LEGACY_CSP,
                template, null, List.of(certificate));
        store().add(stored);
        return stored;
    }
}
