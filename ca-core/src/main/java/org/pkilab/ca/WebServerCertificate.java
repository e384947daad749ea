package org.pkilab.ca;

import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.DefaultTemplates;
import org.pkilab.directory.model.KeyAlgorithm;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.pki.KeyFiles;
import org.pkilab.pki.RsaKeys;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Optional;

/**
 * The TLS certificate of the CA's own web server (EST and the CA console), from the Web Server template,
 * enrolled like any other: a key pair and a PKCS #10 request for {@code CN=<fqdn>} with the DNS name,
 * submitted to the {@link EnrollmentService} by Certificate Services itself, so the policy module builds
 * it and the database records it. Kept in {@code web.p12} across restarts while it is this CA's and valid.
 *
 * <pre>{@code
 * KeyFiles.KeyEntry tls = WebServerCertificate.loadOrEnroll(dataDirectory, "ca01.contoso.com", caComputerToken, ca, enrollment, now);
 * }</pre>
 */
final class WebServerCertificate {

    private WebServerCertificate() {
    }

    /**
     * The kept key and chain when the CA issued them and they have not expired; otherwise a new key,
     * enrolled for now.
     *
     * @param requester the CA computer's token, in whose name the request is recorded
     * @throws IllegalStateException when the policy module refuses the request (the reason names the setting)
     */
    static KeyFiles.KeyEntry loadOrEnroll(Path folder, String fqdn, LogonToken requester, X509Certificate caCertificate,
                                          EnrollmentService enrollment, Instant now) throws Exception {
        Optional<KeyFiles.KeyEntry> kept = KeyFiles.loadKept(folder, "web");
        if (kept.isPresent() && kept.get().certificate().getIssuerX500Principal().equals(caCertificate.getSubjectX500Principal())
                && kept.get().certificate().getNotAfter().toInstant().isAfter(now)) {
            return kept.get();
        }
        // the template's minimum, as any client reads it from the enrollment policy before making its key
        int bits = KeyAlgorithm.rsaBitsFor(enrollment.template(DefaultTemplates.WEB_SERVER).map(CertificateTemplate::minimalKeySize).orElse(0));
        KeyPair pair = RsaKeys.generate(bits);
        EnrollmentResult result = enrollment.submitForCertificateServices(
                EnrollmentRequest.manual(requester, DefaultTemplates.WEB_SERVER, request(pair, fqdn)));
        if (!result.issued()) {
            throw new IllegalStateException("the CA's own web-server certificate for " + fqdn + " was not issued: "
                    + (result.decision() == null ? result.status().consoleText() : result.decision().explain()));
        }
        KeyFiles.KeyEntry entry = new KeyFiles.KeyEntry(pair.getPrivate(), new X509Certificate[]{result.certificate(), caCertificate});
        KeyFiles.keep(folder, "web", entry);
        return entry;
    }

    /** {@code CN=<fqdn>} with the DNS name as alternative name, as the Certificates snap-in asks for a Web Server certificate. */
    private static byte[] request(KeyPair pair, String fqdn) throws Exception {
        ExtensionsGenerator extensions = new ExtensionsGenerator();
        extensions.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.dNSName, fqdn)));
        return new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + fqdn), pair.getPublic())
                .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate())).getEncoded();
    }
}
