package org.pkilab.ca;

/**
 * Policy modifier: a schema version 1 template whose Subject Name tab says "Supply in the request" lets the request's
 * own Application Policies extension ({@code 1.3.6.1.4.1.311.21.10}) into the certificate, as AD CS did until the
 * November 2024 update: CVE-2024-49019, "EKUwu", ESC15. Windows reads Application Policies before the EKU, so a request
 * for the built-in Web Server template that asks for Client Authentication there gives a certificate the DC accepts for
 * logon, naming whoever the requester wrote in the subject:
 *
 * <pre>
 * template WebServer (schema 1, Supply in the request), request with Application Policies = Client Authentication
 *   → EKU Server Authentication (the template's), Application Policies Client Authentication (the request's)
 * </pre>
 *
 * A schema 2+ template never does: its application policies are its own ({@code msPKI-Certificate-Application-Policy}).
 * The lab's CA is the CA before that update (see docs/differences.md); the fix is the template's, as Microsoft's
 * advice was: stop issuing the version 1 template, or duplicate it (schema 2) and issue the copy.
 */
final class RequestedApplicationPolicies implements IssuancePolicy.Modifier {

    @Override
    public CertificateDraft apply(IssuanceFacts facts, CertificateDraft draft) {
        if (facts.template().schemaVersion() == 1 && facts.template().enrolleeSuppliesSubject()
                && !facts.csr().requestedApplicationPolicies().isEmpty()) {
            return draft.withApplicationPolicies(facts.csr().requestedApplicationPolicies());
        }
        return draft;
    }
}
