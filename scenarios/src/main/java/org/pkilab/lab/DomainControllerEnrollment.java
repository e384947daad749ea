package org.pkilab.lab;

import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.pkilab.ca.CaException;
import org.pkilab.ca.CertificationAuthority;
import org.pkilab.ca.EnrollmentRequest;
import org.pkilab.ca.EnrollmentResult;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.DefaultTemplates;
import org.pkilab.pki.RsaKeys;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A domain controller's autoenrollment for the certificate it serves LDAPS and StartTLS with. On Windows,
 * once an enterprise CA exists, LocalSystem on every DC (the account {@code DC01$}, a member of Domain
 * Controllers) autoenrolls for a <em>Kerberos Authentication</em> certificate, which Domain Controllers and
 * Enterprise Domain Controllers hold Enroll and Autoenroll on. The CA builds it from the directory: no
 * subject, the DC's {@code dNSHostName} and the domain's DNS name in the alternative name, Client and Server
 * Authentication, Smart Card Logon and KDC Authentication. The DC's LDAP service then serves it, so a client
 * that trusts the enterprise root verifies {@code ldaps://dc01.contoso.com}:
 *
 * <pre>{@code
 * DomainControllerEnrollment.renewIfDue(dc, ca);   // issued: dc.serverCertificateChain() = [DC01's, contoso-CA01-CA]
 * // LDAPTLS_CACERT=root.pem ldapsearch -H ldaps://dc01.contoso.com:<port> ...
 * }</pre>
 *
 * <p>The request goes through the CA's whole policy like any computer's, as an autoenrollment request
 * of the DC's own logon token. A DC already serving a certificate of this CA keeps it until it expires or
 * its renewal is due (80% of its lifetime, or the template's renewal period before it ends), as
 * autoenrollment renews. A CA that does not issue the template is not asked, as autoenrollment asks only
 * for what a CA offers; a refusal (Enroll or Autoenroll removed, the template changed) leaves the DC serving
 * what it served, as a Windows DC whose autoenrollment fails does, and is logged with the CA's reason.
 */
public final class DomainControllerEnrollment {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DomainControllerEnrollment.class);
    /** Kerberos Authentication's renewal period, for a certificate whose template can no longer be read. */
    private static final Duration RENEWAL_PERIOD = Duration.ofDays(42);

    private DomainControllerEnrollment() {
    }

    /**
     * Enrolls {@code dc} for a Kerberos Authentication certificate from {@code ca} and has it serve the
     * certificate, unless it already serves one of {@code ca}'s that is not due for renewal.
     *
     * @return the certificate issued now; empty when none was needed or the CA refused (logged)
     */
    public static Optional<X509Certificate> renewIfDue(DomainController dc, CertificationAuthority ca) {
        Instant now = ca.config().clock().instant();
        if (!due(dc.serverCertificateChain().get(0), ca.certificate(), now)) {
            return Optional.empty();
        }
        if (ca.templatesToIssue().stream().noneMatch(DefaultTemplates.KERBEROS_AUTHENTICATION::equalsIgnoreCase)) {
            // autoenrollment asks only for what a CA offers: no Failed Request at every start of a lab made before
            LOG.info("{} does not issue Kerberos Authentication; LDAPS on {} serves {} ('pkilab ca issue-template "
                    + "KerberosAuthentication' to have it issued)", ca.name(), dc.fqdn(), dc.serverCertificateChain().get(0).getSubjectX500Principal());
            return Optional.empty();
        }
        KeyPair key = RsaKeys.generate(2048);
        EnrollmentResult result;
        try {
            result = ca.submit(new EnrollmentRequest(dc.machineToken(), DefaultTemplates.KERBEROS_AUTHENTICATION, request(key),
                    true, null));
        } catch (CaException e) {
            LOG.warn("{}$ could not enroll for a Kerberos Authentication certificate: {}; LDAPS serves {}",
                    dc.config().hostName(), e.getMessage(), dc.serverCertificateChain().get(0).getSubjectX500Principal());
            return Optional.empty();
        }
        if (!result.issued()) {
            LOG.warn("{} refused {}$ a Kerberos Authentication certificate ({}): {}; LDAPS serves {}", ca.name(),
                    dc.config().hostName(), result.status(), result.decision() == null ? "" : result.decision().explain(),
                    dc.serverCertificateChain().get(0).getSubjectX500Principal());
            return Optional.empty();
        }
        dc.useServerCertificate(key.getPrivate(), List.of(result.certificate(), ca.certificate()));
        LOG.info("{}$ enrolled for a Kerberos Authentication certificate from {} (serial {}); LDAPS and StartTLS serve it",
                dc.config().hostName(), ca.name(), result.certificate().getSerialNumber().toString(16));
        return Optional.of(result.certificate());
    }

    /** Not issued by this CA, expired, or at 80% of its lifetime or inside the renewal period. */
    static boolean due(X509Certificate served, X509Certificate caCertificate, Instant now) {
        if (!issuedBy(served, caCertificate)) {
            return true;
        }
        return CertificateTemplate.renewalDue(served.getNotBefore().toInstant(), served.getNotAfter().toInstant(), RENEWAL_PERIOD, now);
    }

    private static boolean issuedBy(X509Certificate certificate, X509Certificate ca) {
        if (!certificate.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
            return false;
        }
        try {
            certificate.verify(ca.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false; // a CA of the same name with another key: a forest made anew
        }
    }

    /** A PKCS #10 request naming nothing: the template builds every name from the directory. */
    private static byte[] request(KeyPair key) {
        try {
            return new JcaPKCS10CertificationRequestBuilder(new X500Name(new RDN[0]), key.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withRSA").build(key.getPrivate())).getEncoded();
        } catch (OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot sign the domain controller's certificate request: " + e.getMessage(), e);
        }
    }
}
