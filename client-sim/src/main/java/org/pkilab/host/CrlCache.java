package org.pkilab.host;

import org.pkilab.windows.WindowsError;
import org.eclipse.jetty.client.ContentResponse;

import java.io.ByteArrayInputStream;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A computer's CRL cache, as CryptoAPI keeps one: a CRL downloaded from a certificate's CDP URL is used
 * until its {@code nextUpdate} passes on the lab clock (or until {@link #clear()}, {@code certutil
 * -urlcache CRL delete}), so a revocation reaches a client only when it fetches a newer CRL.
 */
public final class CrlCache {

    private final java.util.function.Supplier<LabHttp.Client> http;
    private final Clock clock;
    private final Map<String, X509CRL> cached = new ConcurrentHashMap<>();
    private final HostTimings timings;

    CrlCache(java.util.function.Supplier<LabHttp.Client> http, Clock clock, HostTimings timings) {
        this.http = http;
        this.clock = clock;
        this.timings = timings;
    }

    /** The CRLs for {@code certificate}'s CDP URLs, from the cache while they are current. */
    List<X509CRL> crlsFor(X509Certificate certificate) throws TrustFailure {
        List<X509CRL> crls = new ArrayList<>();
        for (String url : distributionPoints(certificate)) {
            X509CRL crl = cached.get(url);
            if (crl == null || crl.getNextUpdate() == null || !clock.instant().isBefore(crl.getNextUpdate().toInstant())) {
                long start = System.nanoTime();
                crl = download(url, certificate);
                timings.record(HostTimings.Phase.CRL_DOWNLOAD, System.nanoTime() - start, 0);
                cached.put(url, crl);
            }
            crls.add(crl);
        }
        return crls;
    }

    /** Forgets every cached CRL; returns how many it held. */
    public int clear() {
        int held = cached.size();
        cached.clear();
        return held;
    }

    private X509CRL download(String url, X509Certificate certificate) throws TrustFailure {
        try {
            ContentResponse response = http.get().newRequest(url).timeout(10, TimeUnit.SECONDS).send();
            if (response.getStatus() != 200) {
                throw new TrustFailure(WindowsError.CRYPT_E_REVOCATION_OFFLINE, "the CRL at " + url + " answered HTTP " + response.getStatus());
            }
            return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(response.getContent()));
        } catch (TrustFailure e) {
            throw e;
        } catch (Exception e) {
            throw new TrustFailure(WindowsError.CRYPT_E_REVOCATION_OFFLINE, "the CRL of "
                    + certificate.getSubjectX500Principal().getName() + " could not be fetched from " + url + ": " + e.getMessage());
        }
    }

    static List<String> distributionPoints(X509Certificate certificate) {
        List<String> urls = new ArrayList<>();
        byte[] value = certificate.getExtensionValue("2.5.29.31");
        if (value == null) {
            return urls;
        }
        try {
            org.bouncycastle.asn1.x509.CRLDistPoint cdp = org.bouncycastle.asn1.x509.CRLDistPoint.getInstance(
                    org.bouncycastle.asn1.DEROctetString.getInstance(value).getOctets());
            for (org.bouncycastle.asn1.x509.DistributionPoint dp : cdp.getDistributionPoints()) {
                if (dp.getDistributionPoint() != null && dp.getDistributionPoint().getType() == org.bouncycastle.asn1.x509.DistributionPointName.FULL_NAME) {
                    for (org.bouncycastle.asn1.x509.GeneralName name
                            : org.bouncycastle.asn1.x509.GeneralNames.getInstance(dp.getDistributionPoint().getName()).getNames()) {
                        if (name.getTagNo() == org.bouncycastle.asn1.x509.GeneralName.uniformResourceIdentifier) {
                            String url = name.getName().toString();
                            if (url.startsWith("http://")) {
                                urls.add(url);
                            }
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            // an unreadable CDP extension means no URL to check: PKIX then reports the status as unknown
        }
        return urls;
    }
}
