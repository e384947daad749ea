package org.pkilab.host;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * One of a computer's certificate stores: {@code LocalMachine\My} (Personal), {@code LocalMachine\Root}
 * (Trusted Root Certification Authorities) or {@code CurrentUser\My}. Certificates are found by
 * thumbprint, as IIS binds them, or by purpose and template, as TLS clients choose them.
 */
public final class CertificateStore {

    private final String name;
    private final List<StoredCertificate> entries = new CopyOnWriteArrayList<>();

    public CertificateStore(String name) {
        this.name = name;
    }

    /** {@code LocalMachine\My}. */
    public String name() {
        return name;
    }

    public void add(StoredCertificate certificate) {
        String thumbprint = certificate.thumbprint();
        entries.removeIf(e -> e.thumbprint().equals(thumbprint));
        entries.add(certificate);
    }

    public boolean remove(String thumbprint) {
        return entries.removeIf(e -> e.thumbprint().equalsIgnoreCase(normalize(thumbprint)));
    }

    public List<StoredCertificate> certificates() {
        return new ArrayList<>(entries);
    }

    public Optional<StoredCertificate> byThumbprint(String thumbprint) {
        String wanted = normalize(thumbprint);
        return entries.stream().filter(e -> e.thumbprint().equals(wanted)).findFirst();
    }

    public List<StoredCertificate> matching(Predicate<StoredCertificate> filter) {
        return entries.stream().filter(filter).toList();
    }

    private static String normalize(String thumbprint) {
        return thumbprint == null ? "" : thumbprint.replaceAll("[\\s:]", "").toUpperCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return name + " (" + entries.size() + " certificates)";
    }
}
