package org.pkilab.host;

import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.http.HttpMethod;
import org.pkilab.pki.KeyFiles;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Mac that Configuration Manager enrolls: it is not joined to the domain, so an administrative user
 * (a member of the Mac enrollment group) enrolls with their own account, and the certificate, issued
 * from the "ConfigMgr Mac Client Certificate" template with the user's common name, goes to the Mac's
 * keychain. The Mac trusts the enterprise root because an administrator marked it "Always Trust".
 */
public final class MacComputer implements AutoCloseable {

    private final String hostName;
    private final LabNetwork network;
    private final CertificateStore roots = new CertificateStore("System Roots");
    private final CertificateStore keychain;
    private final LabHttp.Client plain;
    private final LabTrust trust;

    public MacComputer(String hostName, LabNetwork network, Clock clock) {
        this(hostName, network, clock, null);
    }

    /** A Mac whose keychain is kept in {@code dataDirectory} ({@code System-keychain}), as a lasting lab keeps it; null: in memory. */
    public MacComputer(String hostName, LabNetwork network, Clock clock, java.nio.file.Path dataDirectory) {
        this.hostName = hostName;
        this.keychain = dataDirectory == null ? new CertificateStore("System keychain")
                : CertificateStore.persistent("System keychain", dataDirectory.resolve("System-keychain"));
        this.network = network;
        network.register(hostName);
        this.plain = LabHttp.plain(network);
        this.trust = new LabTrust(roots, new CrlCache(() -> plain, clock, new HostTimings()), clock);
    }

    /** Keychain Access, "Always Trust" for a root CA certificate. */
    public void trustRoot(X509Certificate root) {
        roots.add(new StoredCertificate(root, null, false, StoredCertificate.KeyStorage.NONE, null, null, List.of()));
    }

    public String hostName() {
        return hostName;
    }

    public CertificateStore keychain() {
        return keychain;
    }

    /**
     * Enrolls for {@code template} at the CA's EST URL as {@code userName} (HTTP Basic) and stores the
     * certificate with its key in the keychain.
     *
     * @throws EnrollmentException with the CA's AD CS code when refused
     */
    public StoredCertificate enroll(String estBaseUrl, String template, String userName, String password) {
        LabHttp.Client https = LabHttp.tls(network, trust, null, null);
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            KeyPair key = generator.generateKeyPair();
            byte[] csr = DomainComputer.csr(key, "", List.of());
            ContentResponse response = https.newRequest(estBaseUrl + "/" + template + "/simpleenroll").method(HttpMethod.POST)
                    .timeout(30, TimeUnit.SECONDS)
                    .headers(h -> h.put("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                            (userName + ":" + password).getBytes(StandardCharsets.UTF_8))))
                    .body(new BytesRequestContent("application/pkcs10", Base64.getMimeEncoder().encode(csr))).send();
            if (response.getStatus() != 200) {
                throw EnrollmentException.fromAnswer(response.getStatus(), response.getHeaders().get("X-ADCS-Error"), response.getContentAsString());
            }
            X509Certificate certificate = KeyFiles.certificate(firstCertificate(response.getContent()));
            StoredCertificate stored = new StoredCertificate(certificate, key.getPrivate(), false,
                    StoredCertificate.KeyStorage.LEGACY_CSP, template, null, List.of(certificate));
            keychain.add(stored);
            return stored;
        } catch (EnrollmentException e) {
            throw e;
        } catch (Exception e) {
            TrustFailure failure = LabHttp.trustFailure(e);
            throw new EnrollmentException(0, failure == null ? null : failure.reason(),
                    hostName + " cannot enroll at " + estBaseUrl + ": " + (failure == null ? e.getMessage() : failure.getMessage()));
        } finally {
            https.stop();
        }
    }

    private static byte[] firstCertificate(byte[] base64Pkcs7) throws Exception {
        org.bouncycastle.cms.CMSSignedData p7 = new org.bouncycastle.cms.CMSSignedData(Base64.getMimeDecoder().decode(base64Pkcs7));
        return p7.getCertificates().getMatches(null).iterator().next().getEncoded();
    }

    @Override
    public void close() {
        plain.stop();
    }
}
