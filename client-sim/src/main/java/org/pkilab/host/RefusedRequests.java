package org.pkilab.host;

import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The requests the CA refused that a computer keeps, with their private keys, while it runs: a certificate manager may
 * still resubmit one ({@code certutil -resubmit}, ESC7), and {@code certreq -retrieve ID} then installs the certificate
 * with the key made for it. Windows keeps no key for a refused request at all; the lab keeps the newest
 * {@value #KEPT} by request id, since a computer whose autoenrollment the CA refuses makes a new key and request at every
 * cycle, and an officer resubmits a recent one.
 *
 * <pre>{@code
 * refused.put(41, request);   // ... up to request 49 refused
 * refused.get(41);            // null: the oldest went when the ninth was refused
 * }</pre>
 */
final class RefusedRequests {

    static final int KEPT = 8;

    private final NavigableMap<Long, CertificateEnrollmentRequests.Pending> byId = new TreeMap<>();

    synchronized void put(long requestId, CertificateEnrollmentRequests.Pending request) {
        byId.put(requestId, request);
        while (byId.size() > KEPT) {
            byId.pollFirstEntry();
        }
    }

    /** The refused request {@code requestId}; null when the computer made none or no longer keeps it. */
    synchronized CertificateEnrollmentRequests.Pending get(long requestId) {
        return byId.get(requestId);
    }

    synchronized void remove(long requestId) {
        byId.remove(requestId);
    }

    /** The ids of the refused requests kept for {@code store}, oldest first. */
    synchronized List<Long> ids(CertificateStore store) {
        List<Long> out = new ArrayList<>();
        byId.forEach((id, p) -> {
            if (p.store() == store) {
                out.add(id);
            }
        });
        return out;
    }
}
