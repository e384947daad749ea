package org.pkilab.ca;

/**
 * Policy step: a template with "CA certificate manager approval" (Issuance Requirements tab) holds the
 * request as pending until a certificate manager issues or denies it in the CA console. A resubmitted
 * request carries that approval; the CA's own request needs none.
 */
final class ManagerApproval implements IssuancePolicy.Validator {

    @Override
    public Decision check(IssuanceFacts facts) {
        if (facts.template().requiresApproval() && facts.submission() == IssuanceFacts.Submission.REQUESTER) {
            return Decision.pend("Taken Under Submission: " + facts.templateDisplay() + " requires CA certificate manager approval");
        }
        return Decision.proceed();
    }
}
