package org.pkilab.host;

import org.pkilab.windows.WindowsError;

import javax.net.ssl.X509TrustManager;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.PKIXCertPathValidatorResult;
import java.security.cert.X509CRLEntry;
import java.security.PublicKey;
import java.time.Instant;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * How a lab computer decides whether to trust a certificate, as CryptoAPI's chain engine does: the
 * chain must end in a certificate of its {@code LocalMachine\Root} store, be valid by the lab clock,
 * carry the purpose asked for (Server Authentication for a server, Client Authentication for a client)
 * and not be revoked according to the CRL at each certificate's CDP URL. Host-name checks come on top,
 * from TLS, against the FQDN the client asked for.
 *
 * <p>The chain is validated in full every time (PKIX: signatures, validity, CA constraints); revocation
 * is looked up in the CRLs of the computer's cache, each checked against its issuer (name, signature,
 * {@code thisUpdate}/{@code nextUpdate} by the lab clock) before a serial is looked up in it, as the
 * chain engine checks a certificate against its cached CRL. Java's PKIX revocation checker did the same
 * with more machinery on every TLS handshake a management point answered (it rebuilds its CRL selection
 * and issuer checks each time).
 */
public final class LabTrust implements X509TrustManager {

    public static final String SERVER_AUTHENTICATION = "1.3.6.1.5.5.7.3.1";
    public static final String CLIENT_AUTHENTICATION = "1.3.6.1.5.5.7.3.2";

    private final String emptyRootsFix;
    private final CertificateStore root;
    private final CrlCache crls;
    private final OcspCache ocsp;
    private final Clock clock;

    LabTrust(CertificateStore root, CrlCache crls, OcspCache ocsp, Clock clock) {
        this(root, crls, ocsp, clock, "restart the computer so it imports the enterprise root CA from the directory");
    }

    /** @param emptyRootsFix what puts the enterprise root in {@code root} on this machine, for the refusal while it is empty */
    LabTrust(CertificateStore root, CrlCache crls, OcspCache ocsp, Clock clock, String emptyRootsFix) {
        this.emptyRootsFix = emptyRootsFix;
        this.root = root;
        this.crls = crls;
        this.ocsp = ocsp;
        this.clock = clock;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        validate(chain, CLIENT_AUTHENTICATION);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        validate(chain, SERVER_AUTHENTICATION);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return root.certificates().stream().map(StoredCertificate::certificate).toArray(X509Certificate[]::new);
    }

    /** CRLs may be dated a little ahead of the lab clock, as PKIX allows for clock skew. */
    private static final java.time.Duration CRL_CLOCK_SKEW = java.time.Duration.ofMinutes(15);

    /** Checks {@code chain} (leaf first) for {@code purpose}; throws a {@link TrustFailure} naming why not. */
    public void validate(X509Certificate[] chain, String purpose) throws TrustFailure {
        if (chain == null || chain.length == 0) {
            throw new TrustFailure(WindowsError.CRYPT_E_NOT_FOUND, "No client certificate was presented.");
        }
        X509Certificate leaf = chain[0];
        String subject = issuedTo(leaf);
        try {
            List<String> ekus = leaf.getExtendedKeyUsage();
            if (ekus != null && !ekus.contains(purpose)) {
                throw new TrustFailure(WindowsError.CERT_E_WRONG_USAGE, "'" + subject + "' has " + ekus + ", not "
                        + (purpose.equals(SERVER_AUTHENTICATION) ? "Server Authentication" : "Client Authentication") + " (" + purpose + ")");
            }
        } catch (java.security.cert.CertificateParsingException e) {
            throw new TrustFailure(WindowsError.CERT_E_WRONG_USAGE, "the EKU of '" + subject + "' does not parse");
        }
        Set<TrustAnchor> anchors = new HashSet<>();
        for (X509Certificate anchor : getAcceptedIssuers()) {
            anchors.add(new TrustAnchor(anchor, null));
        }
        List<X509Certificate> path = new ArrayList<>();
        for (X509Certificate certificate : chain) {
            if (anchors.stream().anyMatch(a -> a.getTrustedCert().equals(certificate))) {
                break;
            }
            path.add(certificate);
        }
        if (anchors.isEmpty()) {
            throw new TrustFailure(WindowsError.CERT_E_UNTRUSTEDROOT, "the " + root.name() + " store is empty: " + emptyRootsFix);
        }
        try {
            Instant now = clock.instant();
            PKIXParameters params = new PKIXParameters(anchors);
            params.setDate(Date.from(now));
            params.setRevocationEnabled(false);
            PKIXCertPathValidatorResult result = (PKIXCertPathValidatorResult) CertPathValidator.getInstance("PKIX")
                    .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
            for (int i = 0; i < path.size(); i++) {
                X509Certificate issuer = i + 1 < path.size() ? path.get(i + 1) : result.getTrustAnchor().getTrustedCert();
                if (answeredByOcsp(path.get(i), issuer)) {
                    continue;
                }
                List<X509CRL> found = crls.crlsFor(path.get(i));
                if (found.isEmpty()) {
                    throw new TrustFailure(WindowsError.CRYPT_E_REVOCATION_OFFLINE, "'" + issuedTo(path.get(i))
                            + "' names no HTTP CRL distribution point and no OCSP responder that answered");
                }
                checkRevocation(path.get(i), issuer.getPublicKey(), found, now);
            }
        } catch (TrustFailure e) {
            throw e;
        } catch (CertPathValidatorException e) {
            throw translate(e, subject);
        } catch (Exception e) {
            throw new TrustFailure(WindowsError.CERT_E_UNTRUSTEDROOT, "'" + subject + "': " + e.getMessage());
        }
    }

    /**
     * OCSP first, as the chain engine does when the certificate names a responder: GOOD settles it, REVOKED refuses it;
     * false when there is no usable answer and the CRL must decide.
     */
    private boolean answeredByOcsp(X509Certificate certificate, X509Certificate issuer) throws TrustFailure {
        if (ocsp == null) {
            return false;
        }
        java.util.Optional<OcspCache.Answer> answer = ocsp.check(certificate, issuer);
        if (answer.isEmpty()) {
            return false;
        }
        if (answer.get().status() == OcspCache.Status.REVOKED) {
            throw new TrustFailure(WindowsError.CRYPT_E_REVOKED, "'" + issuedTo(certificate)
                    + "': Certificate has been revoked, reason: " + reasonName(answer.get().reason()) + ", revocation date: " + answer.get().revokedAt()
                    + ", by the OCSP responder at " + answer.get().responder());
        }
        return true;
    }

    /**
     * The certificate as a refusal names it: its subject, or, for the empty subject of a certificate that names its holder in the
     * SAN only (Workstation Authentication, the guide's client certificate), the SAN's first DNS name, as the
     * Certificates snap-in's Issued To column shows it.
     */
    static String issuedTo(X509Certificate certificate) {
        String subject = certificate.getSubjectX500Principal().getName();
        if (!subject.isEmpty()) {
            return subject;
        }
        try {
            java.util.Collection<List<?>> names = certificate.getSubjectAlternativeNames();
            if (names != null) {
                for (List<?> name : names) {
                    if (Integer.valueOf(2).equals(name.get(0))) {
                        return name.get(1) + " (empty subject, DNS name in the SAN)";
                    }
                }
            }
        } catch (java.security.cert.CertificateParsingException e) {
            // an unreadable SAN leaves the serial number to name it
        }
        return "serial " + certificate.getSerialNumber().toString(16) + " (empty subject)";
    }

    /** RFC 5280's reason code as the JDK names it for a CRL entry ({@code KEY_COMPROMISE}), so both paths read alike. */
    private static String reasonName(int code) {
        java.security.cert.CRLReason[] reasons = java.security.cert.CRLReason.values();
        return code >= 0 && code < reasons.length ? reasons[code].name() : "UNSPECIFIED";
    }

    /** Revoked or not by the issuer's current CRL: REVOKED when it lists the serial, REVOCATION_OFFLINE when none is current. */
    private static void checkRevocation(X509Certificate certificate, PublicKey issuerKey, List<X509CRL> crls, Instant now)
            throws TrustFailure {
        String subject = issuedTo(certificate);
        boolean current = false;
        for (X509CRL crl : crls) {
            if (!crl.getIssuerX500Principal().equals(certificate.getIssuerX500Principal()) || crl.getNextUpdate() == null
                    || !now.isBefore(crl.getNextUpdate().toInstant()) || now.plus(CRL_CLOCK_SKEW).isBefore(crl.getThisUpdate().toInstant())) {
                continue;
            }
            try {
                crl.verify(issuerKey); // the JDK's CRL remembers the key it verified with: a repeat costs nothing
            } catch (java.security.GeneralSecurityException e) {
                continue;
            }
            X509CRLEntry entry = crl.getRevokedCertificate(certificate);
            if (entry != null) {
                throw new TrustFailure(WindowsError.CRYPT_E_REVOKED, "'" + subject + "': Certificate has been revoked, reason: "
                        + (entry.getRevocationReason() == null ? "UNSPECIFIED" : entry.getRevocationReason()) + ", revocation date: "
                        + entry.getRevocationDate().toInstant() + ", authority: " + crl.getIssuerX500Principal().getName());
            }
            current = true;
        }
        if (!current) {
            throw new TrustFailure(WindowsError.CRYPT_E_REVOCATION_OFFLINE, "'" + subject + "': no current CRL signed by its issuer "
                    + certificate.getIssuerX500Principal().getName() + " at " + CrlCache.distributionPoints(certificate));
        }
    }

    private static TrustFailure translate(CertPathValidatorException e, String subject) {
        if (e.getReason() == CertPathValidatorException.BasicReason.REVOKED) {
            return new TrustFailure(WindowsError.CRYPT_E_REVOKED, "'" + subject + "': " + e.getMessage());
        }
        if (e.getReason() == CertPathValidatorException.BasicReason.EXPIRED
                || e.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
            return new TrustFailure(WindowsError.CERT_E_EXPIRED, "'" + subject + "': " + e.getMessage());
        }
        if (e.getReason() == CertPathValidatorException.BasicReason.UNDETERMINED_REVOCATION_STATUS) {
            return new TrustFailure(WindowsError.CRYPT_E_REVOCATION_OFFLINE, "'" + subject + "': " + e.getMessage());
        }
        if (e.getReason() == PKIXReason.NO_TRUST_ANCHOR) {
            return new TrustFailure(WindowsError.CERT_E_UNTRUSTEDROOT, "'" + subject + "' does not chain to a certificate in "
                    + "LocalMachine\\Root");
        }
        return new TrustFailure(WindowsError.CERT_E_UNTRUSTEDROOT, "'" + subject + "': " + e.getMessage());
    }
}
