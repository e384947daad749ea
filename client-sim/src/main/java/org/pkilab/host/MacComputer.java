package org.pkilab.host;

import org.pkilab.enrollment.EnrollmentException;
import org.pkilab.enrollment.EstClient;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;

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
        this.trust = new LabTrust(roots, new CrlCache(() -> plain, clock, new HostTimings()), new OcspCache(() -> plain, clock), clock);
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
     * @throws EnrollmentException with the CA's AD CS code when refused, or the chain error when the Mac does not
     *                             trust the CA
     */
    public StoredCertificate enroll(String estBaseUrl, String template, String userName, String password) {
        LabHttp.Client https = LabHttp.tls(network, trust, null, null);
        try {
            KeyPair key = rsa2048();
            byte[] csr = KeyAndRequest.csr(key, "", List.of());
            X509Certificate certificate = new EstClient(estBaseUrl, new LabEstTransport(hostName, () -> https))
                    .simpleEnroll(template, EstClient.basic(userName, password), csr).certificate();
            StoredCertificate stored = new StoredCertificate(certificate, key.getPrivate(), false,
                    StoredCertificate.KeyStorage.LEGACY_CSP, template, null, List.of(certificate));
            keychain.add(stored);
            return stored;
        } finally {
            https.stop();
        }
    }

    private static KeyPair rsa2048() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        plain.stop();
    }
}
