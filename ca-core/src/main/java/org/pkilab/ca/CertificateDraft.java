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
 * @param applicationPolicies the Application Policies extension's OIDs ({@code 1.3.6.1.4.1.311.21.10}): a schema 2+
 *                     template's, none for schema 1 unless the request's own are copied (CVE-2024-49019)
 * @param disabledExtensions extension OIDs the CA's {@code DisableExtensionList} keeps out of the certificate
 */
record CertificateDraft(CertificateTemplate template, SubjectPublicKeyInfo publicKey, X500Name subject, List<GeneralName> subjectAltNames,
                        SecurityIdentifier requesterSid, Instant notBefore, Instant notAfter, List<String> applicationPolicies,
                        List<String> disabledExtensions) {

    private static final X500Name EMPTY = new X500Name(new RDN[0]);

    CertificateDraft {
        subjectAltNames = List.copyOf(subjectAltNames);
        applicationPolicies = List.copyOf(applicationPolicies);
        disabledExtensions = List.copyOf(disabledExtensions);
    }

    /**
     * A draft for {@code publicKey} under {@code template}: an empty subject, no alternative names, no validity yet, the
     * template's application policies (schema 2+; a schema 1 template has none), no extension disabled.
     */
    static CertificateDraft of(CertificateTemplate template, SubjectPublicKeyInfo publicKey) {
        return new CertificateDraft(template, publicKey, EMPTY, List.of(), null, null, null,
                template.schemaVersion() >= 2 ? template.applicationPolicies() : List.of(), List.of());
    }

    CertificateDraft withSubject(X500Name subject) {
        return new CertificateDraft(template, publicKey, subject, subjectAltNames, requesterSid, notBefore, notAfter, applicationPolicies,
                disabledExtensions);
    }

    CertificateDraft withSubjectAltNames(List<GeneralName> names) {
        return new CertificateDraft(template, publicKey, subject, names, requesterSid, notBefore, notAfter, applicationPolicies,
                disabledExtensions);
    }

    CertificateDraft withRequesterSid(SecurityIdentifier sid) {
        return new CertificateDraft(template, publicKey, subject, subjectAltNames, sid, notBefore, notAfter, applicationPolicies,
                disabledExtensions);
    }

    CertificateDraft withValidity(Instant notBefore, Instant notAfter) {
        return new CertificateDraft(template, publicKey, subject, subjectAltNames, requesterSid, notBefore, notAfter, applicationPolicies,
                disabledExtensions);
    }

    CertificateDraft withApplicationPolicies(List<String> oids) {
        return new CertificateDraft(template, publicKey, subject, subjectAltNames, requesterSid, notBefore, notAfter, oids,
                disabledExtensions);
    }

    CertificateDraft withDisabledExtensions(List<String> oids) {
        return new CertificateDraft(template, publicKey, subject, subjectAltNames, requesterSid, notBefore, notAfter, applicationPolicies,
                oids);
    }
}
