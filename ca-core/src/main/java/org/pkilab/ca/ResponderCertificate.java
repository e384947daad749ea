package org.pkilab.ca;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.DefaultTemplates;
import org.pkilab.directory.model.KeyAlgorithm;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.pki.KeyFiles;
import org.pkilab.pki.RsaKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The Online Responder's delegated signing key (RFC 6960 4.2.2.2) and its certificate from the OCSP Response Signing
 * template, enrolled by Certificate Services itself through the {@link EnrollmentService} as
 * {@link WebServerCertificate} is: the policy module builds it (CN and SAN from the CA computer's DNS name, OCSP
 * Signing, id-pkix-ocsp-nocheck, two weeks) and the database records it. Kept in {@code ocsp.p12} across restarts,
 * and enrolled anew with a new key once the template's renewal period before expiry begins, as the Online Responder
 * renews its signing certificate.
 *
 * <pre>{@code
 * ResponderCertificate signer = new ResponderCertificate(dataDirectory, caComputerToken, caKey, ca, enrollment, clock);
 * signer.get();   // the key and certificate to sign the next answer with, renewed first when due
 * }</pre>
 *
 * <p>When the template is not in the directory or the CA refuses it, answers are signed with the CA's own key
 * (which RFC 6960 allows) and the log says why, so revocation checking keeps working.
 */
final class ResponderCertificate implements Supplier<OnlineResponder.SigningKey> {

    private static final Logger LOG = LoggerFactory.getLogger(ResponderCertificate.class);
    static final String FILE = "ocsp";

    private final Path folder;
    private final Supplier<LogonToken> requester;
    private final PrivateKey caKey;
    private final X509Certificate caCertificate;
    private final EnrollmentService enrollment;
    private final Clock clock;
    private OnlineResponder.SigningKey current;

    ResponderCertificate(Path folder, Supplier<LogonToken> requester, PrivateKey caKey, X509Certificate caCertificate,
                         EnrollmentService enrollment, Clock clock) {
        this.folder = folder;
        this.requester = requester;
        this.caKey = caKey;
        this.caCertificate = caCertificate;
        this.enrollment = enrollment;
        this.clock = clock;
    }

    /** The kept delegated key while this CA issued it and it is not due for renewal; otherwise a new one. */
    @Override
    public synchronized OnlineResponder.SigningKey get() {
        Instant now = clock.instant();
        if (current == null) {
            current = kept().orElse(null);
        }
        if (current != null && current.delegated() && !due(current.certificate(), now)) {
            return current;
        }
        try {
            current = enroll();
        } catch (Exception e) {
            boolean stillValid = current != null && current.delegated() && current.certificate().getNotAfter().toInstant().isAfter(now);
            LOG.warn("the Online Responder's OCSP Response Signing certificate was not {}: {}; answers are signed with {}",
                    current != null && current.delegated() ? "renewed" : "issued", e.getMessage(),
                    stillValid ? "the current one until it expires" : "the CA's own key");
            if (!stillValid) {
                current = new OnlineResponder.SigningKey(caKey, caCertificate, false);
            }
        }
        return current;
    }

    private Optional<OnlineResponder.SigningKey> kept() {
        try {
            return KeyFiles.loadKept(folder, FILE)
                    .filter(k -> k.certificate().getIssuerX500Principal().equals(caCertificate.getSubjectX500Principal()))
                    .map(k -> new OnlineResponder.SigningKey(k.key(), k.certificate(), true));
        } catch (Exception e) {
            LOG.warn("the kept OCSP signing key in {} could not be read ({}); a new one is enrolled", folder, e.getMessage());
            return Optional.empty();
        }
    }

    /** In the template's renewal period (two days of OCSP Response Signing's two weeks), or past it. */
    private boolean due(X509Certificate certificate, Instant now) {
        Duration renewal = enrollment.template(DefaultTemplates.OCSP_RESPONSE_SIGNING).map(CertificateTemplate::renewalPeriod)
                .orElse(Duration.ZERO);
        return !now.isBefore(certificate.getNotAfter().toInstant().minus(renewal));
    }

    private OnlineResponder.SigningKey enroll() throws Exception {
        CertificateTemplate template = enrollment.template(DefaultTemplates.OCSP_RESPONSE_SIGNING).orElseThrow(() -> new CaRefused(
                "the template " + DefaultTemplates.OCSP_RESPONSE_SIGNING + " is not in the directory; restart the CA to add the missing defaults"));
        KeyPair pair = RsaKeys.generate(KeyAlgorithm.rsaBitsFor(template.minimalKeySize()));
        // the subject and DNS name come from the CA computer's directory entry, as the template says
        byte[] csr = new JcaPKCS10CertificationRequestBuilder(new X500Name(new org.bouncycastle.asn1.x500.RDN[0]), pair.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate())).getEncoded();
        EnrollmentResult result = enrollment.submitForCertificateServices(
                EnrollmentRequest.manual(requester.get(), DefaultTemplates.OCSP_RESPONSE_SIGNING, csr));
        if (!result.issued()) {
            throw new CaRefused(result.decision() == null ? result.status().consoleText() : result.decision().explain());
        }
        KeyFiles.keep(folder, FILE, new KeyFiles.KeyEntry(pair.getPrivate(), new X509Certificate[]{result.certificate(), caCertificate}));
        LOG.info("the Online Responder signs with a new OCSP Response Signing certificate, serial {}, valid until {}",
                result.certificate().getSerialNumber().toString(16), result.certificate().getNotAfter().toInstant());
        return new OnlineResponder.SigningKey(pair.getPrivate(), result.certificate(), true);
    }

    /** Why no delegated certificate could be had. */
    private static final class CaRefused extends RuntimeException {
        CaRefused(String message) {
            super(message);
        }
    }
}
