package org.pkilab.ca;

/**
 * Policy step: the CA's own Security tab allows the requester "Request Certificates" ({@code CA_ACCESS_ENROLL},
 * {@link CaSecurity#mayEnroll}); otherwise {@code 0x80094011 CERTSRV_E_ENROLL_DENIED}, whatever the template allows.
 *
 * <p>AD CS checks this twice: Certificate Services itself refuses the call before anything is recorded when
 * {@code InterfaceFlags} has {@code IF_LOCKICERTREQUEST} (a new CA's default), and otherwise the policy module denies
 * the request, which then lands in Failed Requests; with {@code EditFlags} {@code EDITF_IGNOREREQUESTERGROUP} the
 * policy module does not check at all. Only a new request is checked: the policy module's comment says it, "resubmit
 * can only be called by admins", so a request a certificate manager resubmits passes.
 */
final class RequesterMayUseCa implements IssuancePolicy.Validator {

    @Override
    public Decision check(IssuanceFacts facts) {
        if (facts.submission() != IssuanceFacts.Submission.REQUESTER) {
            return Decision.proceed();
        }
        return facts.caAccess();
    }
}
