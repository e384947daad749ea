package org.pkilab.ca;

import org.pkilab.pki.KeyFiles;
import org.pkilab.pki.RsaKeys;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * The certificate of the CA's own web server, as the Web Server certificate IIS on a Windows CA host is
 * bound to: issued by this CA to its host's DNS name, kept in the CA's data folder, and issued again when
 * it is missing, expired on the lab clock, or from another CA (the CA's key was made anew).
 */
final class WebServerCertificate {

    private WebServerCertificate() {
    }

    static KeyFiles.KeyEntry loadOrIssue(Path folder, String fqdn, CertificationAuthority ca) throws Exception {
        Optional<KeyFiles.KeyEntry> kept = KeyFiles.loadKept(folder, "web");
        if (kept.isPresent() && kept.get().certificate().getIssuerX500Principal().equals(ca.certificate().getSubjectX500Principal())
                && kept.get().certificate().getNotAfter().toInstant().isAfter(ca.config().clock().instant())) {
            return kept.get();
        }
        KeyPair pair = RsaKeys.generate(2048);
        X509Certificate certificate = ca.issueOwnServerCertificate(pair.getPublic(), fqdn);
        KeyFiles.KeyEntry entry = new KeyFiles.KeyEntry(pair.getPrivate(), new X509Certificate[]{certificate, ca.certificate()});
        KeyFiles.keep(folder, "web", entry);
        return entry;
    }
}
