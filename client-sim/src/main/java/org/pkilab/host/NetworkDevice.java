package org.pkilab.host;

import org.pkilab.enrollment.AcmeClient;
import org.pkilab.enrollment.CmpClient;
import org.pkilab.enrollment.EnrollmentException;
import org.pkilab.enrollment.EstClient;
import org.pkilab.enrollment.PendingException;
import org.pkilab.enrollment.ScepClient;
import org.pkilab.windows.WindowsError;

import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
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
 * device.enrollScep(ca.scepUrl(), challengePassword, "rtr01.contoso.com");               // NDES picks the template
 * device.enrollAcme(ca.acmeDirectoryUrl("WebServer"), keyId, hmacKey, 5002, List.of("rtr01.contoso.com"));
 * device.enrollCmp(ca.cmpUrl(), "WebServer", reference, secret, "rtr01.contoso.com", List.of("rtr01.contoso.com"));
 * }</pre>
 *
 * <p>Each protocol's client is the lab's own in {@code org.pkilab.enrollment}; the device resolves the CA's name as the
 * lab's network does and trusts the CA only when an administrator installed its root, except over SCEP, whose
 * GetCACert is how a device learns the CA (its administrator checks the fingerprint).
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

    /**
     * Enrolls over SCEP at NDES with a one-time challenge password an administrator got from {@code mscep_admin}, as a
     * router's {@code crypto pki enroll} or {@code sscep} does; NDES chooses the template by the request's key usage and
     * submits it as its service account.
     *
     * @throws EnrollmentException NDES's FAILURE, with the CA's AD CS code when NDES passed it on
     * @throws PendingException    the request waits for a certificate manager (SCEP PENDING)
     */
    public StoredCertificate enrollScep(String scepUrl, String challengePassword, String subject) {
        KeyPair key = rsa2048();
        ScepClient scep = new ScepClient(onLabNetwork(scepUrl));
        try {
            X509Certificate certificate = scep.enroll(key, ScepClient.request(key, "CN=" + subject, challengePassword));
            return keep(certificate, key, null);
        } catch (ScepClient.Refused e) {
            throw new EnrollmentException(0, e.error().orElse(null), e.getMessage());
        } catch (ScepClient.Pending e) {
            throw new PendingException(0, e.getMessage());
        } catch (ScepClient.HttpRefusal e) {
            throw new EnrollmentException(e.status(), null, "NDES at " + scepUrl + " answered " + e.getMessage());
        }
    }

    /**
     * Enrolls over ACME as certbot or lego in standalone mode does: an account made with the external account binding an
     * administrator issued for a directory account ({@code pkilab acme eab}), an order for {@code dnsNames}, each proven
     * by {@code http-01} answered on 127.0.0.1:{@code http01Port} (the CA's {@code CA\AcmeHttpPort}).
     *
     * @throws EnrollmentException the CA's refusal with its AD CS code, or CERT_E_UNTRUSTEDROOT before the root is installed
     * @throws PendingException    the order waits for a certificate manager
     */
    public StoredCertificate enrollAcme(String directoryUrl, String keyId, String hmacKey, int http01Port, List<String> dnsNames) {
        return enrollAcme(directoryUrl, keyId, hmacKey, http01Port, port -> { }, dnsNames);
    }

    /**
     * As {@link #enrollAcme(String, String, String, int, List)}, with {@code http01Port} 0 for a free port, which the device
     * binds first and hands to {@code listening} before it orders (for the CA's {@code CA\AcmeHttpPort} to name it).
     */
    public StoredCertificate enrollAcme(String directoryUrl, String keyId, String hmacKey, int http01Port,
                                        java.util.function.IntConsumer listening, List<String> dnsNames) {
        X509Certificate root = installedRoot(directoryUrl);
        KeyPair key = rsa2048();
        try (AcmeClient acme = AcmeClient.builder(onLabNetwork(directoryUrl).toString()).trust(root, URI.create(directoryUrl).getHost())
                .accountKey(rsa2048()).externalAccountBinding(keyId, hmacKey).http01Port(http01Port).waitForApproval(Duration.ZERO).build()) {
            listening.accept(acme.http01Port());
            return keep(acme.enroll(key, dnsNames.toArray(new String[0])), key, null);
        }
    }

    /**
     * Enrolls over CMP ({@code ir}) with the shared secret an administrator issued for a directory account
     * ({@code pkilab cmp secret}), as {@code openssl cmp -ref -secret} does, for {@code template}.
     *
     * @throws EnrollmentException the CA's refusal with its AD CS code, or CERT_E_UNTRUSTEDROOT before the root is installed
     */
    public StoredCertificate enrollCmp(String cmpUrl, String template, String reference, String secret, String subject, List<String> dnsNames) {
        X509Certificate root = installedRoot(cmpUrl);
        KeyPair key = rsa2048();
        X509Certificate certificate = CmpClient.withSecret(onLabNetwork(cmpUrl).toString(), root, reference, secret)
                .enroll(template, key, subject.isEmpty() ? "" : "CN=" + subject, dnsNames.toArray(new String[0]));
        return keep(certificate, key, template);
    }

    /** The enterprise root an administrator installed here, which the device checks the CA's answers with. */
    private X509Certificate installedRoot(String url) {
        List<StoredCertificate> roots = trustedRoots().certificates();
        if (roots.isEmpty()) {
            throw new EnrollmentException(0, WindowsError.CERT_E_UNTRUSTEDROOT, hostName() + " cannot check the CA at " + url + ": its "
                    + trustedRoots().name() + " store is empty; an administrator must install the enterprise root CA on it "
                    + "(the scenario step 'trust root on device')");
        }
        return roots.get(0).certificate();
    }

    /** {@code url} with its host as the lab's network resolves it (127.0.0.1), the port and path kept. */
    private URI onLabNetwork(String url) {
        URI uri = URI.create(url);
        try {
            String address = network().resolve(uri.getHost()).getHostAddress();
            return new URI(uri.getScheme(), null, address, uri.getPort(), uri.getPath(), uri.getQuery(), null);
        } catch (UnknownHostException | java.net.URISyntaxException e) {
            throw new EnrollmentException(0, null, hostName() + " cannot resolve " + uri.getHost() + ": " + e.getMessage());
        }
    }

    private StoredCertificate keep(X509Certificate certificate, KeyPair key, String template) {
        // over SCEP and ACME the CA chose the template: the certificate names it
        StoredCertificate stored = new StoredCertificate(certificate, key.getPrivate(), false, StoredCertificate.KeyStorage.LEGACY_CSP,
                template != null ? template : StoredCertificate.templateOf(certificate), null, List.of(certificate));
        store().add(stored);
        return stored;
    }
}
