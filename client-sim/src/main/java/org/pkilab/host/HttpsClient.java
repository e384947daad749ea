package org.pkilab.host;

import org.eclipse.jetty.client.ContentResponse;
import org.pkilab.pki.KeyFiles;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A computer's TLS client, as SChannel and WinHTTP are on Windows: it trusts what {@code LocalMachine\Root}
 * holds, checks revocation through the CRLs it downloads ({@link CrlCache}), checks the server's name against
 * the URL, and can present a client certificate from {@code LocalMachine\My}. The computer makes a new
 * {@link LabHttp} client at each boot; EST requests, CRL downloads and {@link #get} all go through it.
 */
final class HttpsClient {

    private final DomainComputerConfig config;
    private final HostTimings timings;
    private final CertificateStore my;
    private final CrlCache crls;
    private final LabTrust trust;
    private final OcspCache ocsp;
    private volatile LabHttp.Client https;

    HttpsClient(DomainComputerConfig config, CertificateStore my, CertificateStore root, HostTimings timings) {
        this.config = config;
        this.timings = timings;
        this.my = my;
        // CRLs come over the computer's one HTTP client, made at boot; before the first boot it checks nothing
        this.crls = new CrlCache(this::client, config.clock(), timings);
        this.ocsp = new OcspCache(this::client, config.clock());
        this.trust = new LabTrust(root, crls, ocsp, config.clock());
    }

    LabTrust trust() {
        return trust;
    }

    CrlCache crlCache() {
        return crls;
    }

    OcspCache ocspCache() {
        return ocsp;
    }

    /** The HTTP(S) client of the current boot: EST, CRL downloads. Never locks: TLS handshakes ask for it mid-request. */
    LabHttp.Client client() {
        LabHttp.Client client = https;
        if (client == null) {
            throw new IllegalStateException(config.name() + " has not booted: it has no network client yet");
        }
        return client;
    }

    /** A boot's new client: the connections of the last boot close. */
    void reconnect() {
        if (https != null) {
            https.stop();
        }
        https = LabHttp.tls(config.network(), trust, null, timings);
    }

    /** See {@link DomainComputer#get(String, StoredCertificate)}. */
    HttpsResult get(String url, StoredCertificate clientCertificate) {
        LabHttp.Client client = clientCertificate == null ? https : LabHttp.tls(config.network(), trust,
                new KeyFiles.KeyEntry(clientCertificate.privateKey(), clientCertificate.chain().toArray(new X509Certificate[0])), null);
        try {
            ContentResponse response = client.newRequest(url).timeout(15, TimeUnit.SECONDS).send();
            return new HttpsResult(response.getStatus(), response.getContentAsString(), null, null);
        } catch (Exception e) {
            TrustFailure failure = LabHttp.trustFailure(e);
            return new HttpsResult(0, "", failure, failure == null ? LabHttp.rootCause(e) : failure.getMessage());
        } finally {
            if (client != https) {
                client.stop();
            }
        }
    }

    /** See {@link DomainComputer#clientAuthenticationCertificate(String)}. */
    Optional<StoredCertificate> clientAuthenticationCertificate(String template) {
        Instant now = config.clock().instant();
        return my.matching(c -> c.privateKey() != null && c.hasPurpose(LabTrust.CLIENT_AUTHENTICATION) && c.validAt(now)
                && (template == null || template.equalsIgnoreCase(c.templateName()))).stream().findFirst();
    }

    void stop() {
        if (https != null) {
            https.stop();
        }
    }
}
