package org.pkilab.host;

import org.pkilab.enrollment.EnrollmentException;
import org.pkilab.enrollment.EstClient;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;

/**
 * A Mac that Configuration Manager enrolls: it is not joined to the domain, so an administrative user
 * (a member of the Mac enrollment group) enrolls with their own account, and the certificate, issued
 * from the "ConfigMgr Mac Client Certificate" template with the user's common name, goes to the Mac's
 * keychain. The Mac trusts the enterprise root because an administrator marked it "Always Trust" in Keychain Access
 * ({@link #trustRoot}).
 */
public final class MacComputer extends UnjoinedComputer {

    public MacComputer(String hostName, LabNetwork network, Clock clock) {
        this(hostName, network, clock, null);
    }

    /** A Mac whose keychain is kept in {@code dataDirectory} ({@code System-keychain}), as a lasting lab keeps it; null: in memory. */
    public MacComputer(String hostName, LabNetwork network, Clock clock, Path dataDirectory) {
        super(hostName, network, clock, dataDirectory, "System keychain", "System Roots");
    }

    @Override
    String trustStep() {
        return "mac";
    }

    @Override
    public String kind() {
        return "Mac";
    }

    public CertificateStore keychain() {
        return store();
    }

    /**
     * Enrolls for {@code template} at the CA's EST URL as {@code userName} (HTTP Basic) and stores the
     * certificate with its key in the keychain.
     *
     * @throws EnrollmentException with the CA's AD CS code when refused, or the chain error when the Mac does not
     *                             trust the CA
     */
    public StoredCertificate enroll(String estBaseUrl, String template, String userName, String password) {
        LabHttp.Client https = https();
        try {
            KeyPair key = rsa2048();
            byte[] csr = KeyAndRequest.csr(key, "", List.of());
            X509Certificate certificate = new EstClient(estBaseUrl, new LabEstTransport(hostName(), () -> https))
                    .simpleEnroll(template, EstClient.basic(userName, password), csr).certificate();
            StoredCertificate stored = new StoredCertificate(certificate, key.getPrivate(), false,
                    StoredCertificate.KeyStorage.LEGACY_CSP, template, null, List.of(certificate));
            keychain().add(stored);
            return stored;
        } finally {
            https.stop();
        }
    }
}
