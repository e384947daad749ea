package org.pkilab.host;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;

/**
 * A machine of the lab that is not joined to the domain: it has no computer account, logon token, Group Policy or
 * autoenrollment, so nothing puts the enterprise root in its trust store but an administrator, and it enrolls with a
 * credential someone gives it. It checks the CA's chain and revocation as a domain member does ({@link LabTrust}, with
 * CRL and OCSP caches of its own) and keeps its certificates with their keys in one store of its own.
 */
public abstract class UnjoinedComputer implements AutoCloseable {

    private final String hostName;
    private final LabNetwork network;
    private final CertificateStore roots;
    private final CertificateStore store;
    private final LabHttp.Client plain;
    private final LabTrust trust;

    /**
     * @param storeName     what the machine calls its certificate store ("System keychain")
     * @param dataDirectory where a lasting lab keeps the store ({@code <storeName with '-' for ' '>}); null: in memory
     */
    UnjoinedComputer(String hostName, LabNetwork network, Clock clock, Path dataDirectory, String storeName, String rootsName) {
        this.hostName = hostName;
        this.network = network;
        this.roots = new CertificateStore(rootsName);
        this.store = dataDirectory == null ? new CertificateStore(storeName)
                : CertificateStore.persistent(storeName, dataDirectory.resolve(storeName.replace(' ', '-')));
        network.register(hostName);
        this.plain = LabHttp.plain(network);
        // not joined: no Group Policy brings the root; an administrator installs it
        this.trust = new LabTrust(roots, new CrlCache(() -> plain, clock, new HostTimings()), new OcspCache(() -> plain, clock), clock,
                "an administrator must install the enterprise root CA on " + hostName + ", which is not joined to the domain "
                        + "(the scenario step 'trust root on " + trustStep() + "')");
    }

    /** Makes {@code root} a trusted root of this machine, as an administrator installs the enterprise root CA on it. */
    public void trustRoot(X509Certificate root) {
        roots.add(new StoredCertificate(root, null, false, StoredCertificate.KeyStorage.NONE, null, null, List.of()));
    }

    public String hostName() {
        return hostName;
    }

    /** The store its certificates and keys are in. */
    public CertificateStore store() {
        return store;
    }

    /** What the machine is, for the lab's lists: "Mac", "network device". */
    public abstract String kind();

    /** The word after 'trust root on' in the scenario step that installs the root: "mac", "device". */
    abstract String trustStep();

    LabNetwork network() {
        return network;
    }

    /** The roots an administrator installed ({@link #trustRoot}). */
    CertificateStore trustedRoots() {
        return roots;
    }

    LabTrust trust() {
        return trust;
    }

    /** An HTTPS client that checks servers with this machine's trust; the caller stops it. */
    LabHttp.Client https() {
        return LabHttp.tls(network, trust, null, null);
    }

    static KeyPair rsa2048() {
        return org.pkilab.pki.RsaKeys.generate(2048);
    }

    @Override
    public void close() {
        plain.stop();
    }
}
