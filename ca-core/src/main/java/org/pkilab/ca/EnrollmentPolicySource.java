package org.pkilab.ca;

import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.LogonToken;

import java.util.List;
import java.util.Optional;

/**
 * The templates a client may ask this CA for, what MS-XCEP's enrollment policy server answers: those on the
 * CA's "Certificate Templates to Issue" list on which the requester's token holds Enroll.
 */
public interface EnrollmentPolicySource {

    /** A template by name or display name; empty when the directory has none. */
    Optional<CertificateTemplate> template(String label);

    /** A template by its {@code msPKI-Cert-Template-OID}; empty when no template in the directory has it. */
    Optional<CertificateTemplate> templateWithOid(String oid);

    /** The CA's {@code CA\EstDefaultTemplate}: the template of an EST request that names none; empty when none is set. */
    Optional<String> estDefaultTemplate();

    /** The templates this CA issues on which {@code token} holds Enroll. */
    List<CertificateTemplate> enrollableTemplates(LogonToken token);
}
