package org.pkilab.ca;

import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.SecurityIdentifier;

import java.time.Instant;
import java.util.List;

/**
 * The certificate the policy module has built so far, before the signer adds what every certificate of
 * this CA carries (serial, issuer, key identifiers, CDP, AIA, the template extension). Immutable: each
 * modifier returns a new draft, so no step sees another's half-done work.
 *
 * <pre>{@code
 * CertificateDraft draft = CertificateDraft.of(webServer, csr.subjectPublicKeyInfo())
 *         .withSubject(new X500Name("CN=iis01.contoso.com"))
 *         .withValidity(notBefore, notAfter);
 * }</pre>
 *
 * @param requesterSid the requester's SID for the KB5014754 security extension, or null when the names
 *                     did not come from its directory account (or the template asks for no such extension)
 * @param notBefore    null until the validity step ran
 */
record CertificateDraft(CertificateTemplate template, SubjectPublicKeyInfo publicKey, X500Name subject, List<GeneralName> subjectAltNames,
                        SecurityIdentifier requesterSid, Instant notBefore, Instant notAfter) {

    private static final X500Name EMPTY = new X500Name(new RDN[0]);

    CertificateDraft {
        subjectAltNames = List.copyOf(subjectAltNames);
    }

    /** A draft for {@code publicKey} under {@code template}: an empty subject, no alternative names, no validity yet. */
    static CertificateDraft of(CertificateTemplate template, SubjectPublicKeyInfo publicKey) {
        return new CertificateDraft(template, publicKey, EMPTY, List.of(), null, null, null);
    }

    CertificateDraft withSubject(X500Name subject) {
        return new CertificateDraft(template, publicKey, subject, subjectAltNames, requesterSid, notBefore, notAfter);
    }

    CertificateDraft withSubjectAltNames(List<GeneralName> names) {
        return new CertificateDraft(template, publicKey, subject, names, requesterSid, notBefore, notAfter);
    }

    CertificateDraft withRequesterSid(SecurityIdentifier sid) {
        return new CertificateDraft(template, publicKey, subject, subjectAltNames, sid, notBefore, notAfter);
    }

    CertificateDraft withValidity(Instant notBefore, Instant notAfter) {
        return new CertificateDraft(template, publicKey, subject, subjectAltNames, requesterSid, notBefore, notAfter);
    }
}
