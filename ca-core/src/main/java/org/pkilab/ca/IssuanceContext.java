package org.pkilab.ca;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.pkilab.directory.model.CertificateTemplate;

import java.security.PublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What the policy steps learn and decide about one request on its way to the signer: the parsed
 * request, the template, the requester's directory account, and the subject, alternative names and
 * validity the certificate will get. Steps fill it in; the signer only reads it.
 */
final class IssuanceContext {

    final EnrollmentRequest request;
    final Instant now;
    JcaPKCS10CertificationRequest csr;
    PublicKey publicKey;
    CertificateTemplate template;
    CaDirectory.Account account;
    X500Name subject = new X500Name(new org.bouncycastle.asn1.x500.RDN[0]);
    final List<GeneralName> subjectAltNames = new ArrayList<>();
    Instant notBefore;
    Instant notAfter;
    /** Set when a certificate manager approved the request: the approval step lets it through. */
    boolean approved;
    /** Set to read templates from the directory rather than the CA's cache. */
    boolean freshDirectory;

    IssuanceContext(EnrollmentRequest request, Instant now) {
        this.request = request;
        this.now = now;
    }

    /** A new context for the same request, as if it had just arrived. */
    IssuanceContext again() {
        IssuanceContext copy = new IssuanceContext(request, now);
        copy.approved = approved;
        return copy;
    }

    String requesterName() {
        return request.requester().account();
    }

    String templateDisplay() {
        return template == null ? request.templateLabel() : "'" + template.displayName() + "' (" + template.name() + ")";
    }
}
