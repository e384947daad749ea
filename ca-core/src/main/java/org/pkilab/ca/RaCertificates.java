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
import org.pkilab.windows.WindowsError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The two registration authority (RA) certificates the Network Device Enrollment Service holds, as NDES's setup enrolls
 * them: "CEP Encryption" (key encipherment: SCEP clients encrypt their requests to it) and "Exchange Enrollment Agent
 * (Offline request)" (digital signature: NDES signs its answers with it), both for the subject
 * {@code CN=<host>-MSCEP-RA, C=US} (NDES's default RA name). Enrolled by Certificate Services itself through the
 * {@link EnrollmentService}, as {@link ResponderCertificate} is, kept in {@code mscep-encryption.p12} and
 * {@code mscep-signature.p12} in the data folder, and enrolled anew with a new key once the template's renewal period
 * before expiry begins (on Windows an administrator renews them by hand; an expired RA certificate is a classic NDES outage).
 *
 * <pre>{@code
 * RaCertificates ra = new RaCertificates(dataDirectory, "CA01", caComputerToken, ca, enrollment, clock);
 * ra.encryption();   // the CEP Encryption key and certificate, renewed first when due
 * ra.signature();    // the Exchange Enrollment Agent (Offline request) ones
 * }</pre>
 */
final class RaCertificates {

    private static final Logger LOG = LoggerFactory.getLogger(RaCertificates.class);

    /** One RA key with its certificate. */
    record RaKey(PrivateKey key, X509Certificate certificate) {
    }

    private final Path folder;
    private final X500Name subject;
    private final Supplier<LogonToken> requester;
    private final X509Certificate caCertificate;
    private final EnrollmentService enrollment;
    private final Clock clock;
    private RaKey encryption;
    private RaKey signature;

    RaCertificates(Path folder, String hostName, Supplier<LogonToken> requester, X509Certificate caCertificate,
                   EnrollmentService enrollment, Clock clock) {
        this.folder = folder;
        // C first in the encoding, as NDES writes it: shown (RFC 4514, last first) as CN=CA01-MSCEP-RA,C=US
        this.subject = new X500Name("C=US,CN=" + hostName.toUpperCase(Locale.ROOT) + "-MSCEP-RA");
        this.requester = requester;
        this.caCertificate = caCertificate;
        this.enrollment = enrollment;
        this.clock = clock;
    }

    /**
     * The CEP Encryption key and certificate.
     *
     * @throws CaException {@code CERTSRV_E_UNSUPPORTED_CERT_TYPE} or the CA's refusal when there is none and none can be had
     */
    synchronized RaKey encryption() {
        encryption = current(encryption, DefaultTemplates.CEP_ENCRYPTION, "mscep-encryption");
        return encryption;
    }

    /** The Exchange Enrollment Agent (Offline request) key and certificate; see {@link #encryption()}. */
    synchronized RaKey signature() {
        signature = current(signature, DefaultTemplates.ENROLLMENT_AGENT_OFFLINE, "mscep-signature");
        return signature;
    }

    private RaKey current(RaKey held, String template, String file) {
        Instant now = clock.instant();
        RaKey key = held != null ? held : kept(file).orElse(null);
        if (key != null && !due(key.certificate(), template, now)) {
            return key;
        }
        try {
            return enroll(template, file);
        } catch (CaException e) {
            if (key != null && key.certificate().getNotAfter().toInstant().isAfter(now)) {
                LOG.warn("NDES's {} certificate was not renewed: {}; the current one serves until {}", template, e.getMessage(),
                        key.certificate().getNotAfter().toInstant());
                return key;
            }
            throw e;
        }
    }

    private Optional<RaKey> kept(String file) {
        try {
            return KeyFiles.loadKept(folder, file)
                    .filter(k -> k.certificate().getIssuerX500Principal().equals(caCertificate.getSubjectX500Principal()))
                    .map(k -> new RaKey(k.key(), k.certificate()));
        } catch (Exception e) {
            LOG.warn("the kept NDES RA key {} in {} could not be read ({}); a new one is enrolled", file, folder, e.getMessage());
            return Optional.empty();
        }
    }

    private boolean due(X509Certificate certificate, String template, Instant now) {
        Duration renewal = enrollment.template(template).map(CertificateTemplate::renewalPeriod).orElse(Duration.ZERO);
        return !now.isBefore(certificate.getNotAfter().toInstant().minus(renewal));
    }

    private RaKey enroll(String template, String file) {
        CertificateTemplate found = enrollment.template(template).orElseThrow(() -> new CaException(Decision.deny(
                WindowsError.CERTSRV_E_UNSUPPORTED_CERT_TYPE, "the template " + template + " (an NDES RA certificate) is not in the directory",
                "restart the CA: it adds the default templates a forest is missing")));
        try {
            KeyPair pair = RsaKeys.generate(KeyAlgorithm.rsaBitsFor(found.minimalKeySize()));
            byte[] csr = new JcaPKCS10CertificationRequestBuilder(subject, pair.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate())).getEncoded();
            EnrollmentResult result = enrollment.submitForCertificateServices(EnrollmentRequest.manual(requester.get(), template, csr));
            if (!result.issued()) {
                throw new CaException(result.decision() != null ? result.decision()
                        : Decision.deny(WindowsError.CERTSRV_E_UNSUPPORTED_CERT_TYPE, "request " + result.requestId() + " for " + template + " is "
                        + result.status().consoleText(), "issue it in the CA console"));
            }
            KeyFiles.keep(folder, file, new KeyFiles.KeyEntry(pair.getPrivate(), new X509Certificate[]{result.certificate(), caCertificate}));
            LOG.info("NDES holds a new {} certificate, serial {}, valid until {}", template,
                    result.certificate().getSerialNumber().toString(16), result.certificate().getNotAfter().toInstant());
            return new RaKey(pair.getPrivate(), result.certificate());
        } catch (CaException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("NDES's " + template + " certificate could not be enrolled: " + e.getMessage(), e);
        }
    }
}
