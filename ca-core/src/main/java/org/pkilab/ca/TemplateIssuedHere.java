package org.pkilab.ca;

import org.pkilab.windows.WindowsError;

/**
 * Policy step: the template the request names exists and is on this CA's "Certificate Templates to Issue"
 * list (the Certification Authority console's Certificate Templates folder). The CA's own web-server
 * request needs no place on the list.
 */
final class TemplateIssuedHere implements IssuancePolicy.Validator {

    @Override
    public Decision check(IssuanceFacts facts) {
        if (facts.template() == null) {
            return Decision.deny(WindowsError.CERTSRV_E_UNSUPPORTED_CERT_TYPE, "there is no certificate template named '"
                    + facts.request().templateLabel() + "' in the directory", "check the template name in the Certificate Templates console");
        }
        if (facts.submission() != IssuanceFacts.Submission.CERTIFICATE_SERVICES && !facts.templateOnIssueList()) {
            return Decision.deny(WindowsError.CERTSRV_E_UNSUPPORTED_CERT_TYPE, "Denied by Policy Module: " + facts.templateDisplay()
                            + " is not in the Certificate Templates to Issue list of " + facts.caName(),
                    "in the Certification Authority console, right-click Certificate Templates, choose New, "
                            + "Certificate Template to Issue, and pick '" + facts.template().displayName() + "'");
        }
        return Decision.proceed();
    }
}
