package org.pkilab.ca;

import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.windows.WindowsError;

import java.util.List;

/**
 * Policy step: the template's Security tab grants the requester's logon token Enroll (and Autoenroll when
 * the autoenrollment engine asks). The groups are the token's own, as Windows reads them at logon: a
 * group joined since counts from the next logon. A Deny entry wins over every Allow. A request a
 * certificate manager resubmits, or the CA's own, had no rights to check now.
 *
 * <pre>{@code
 * new RequesterMayEnroll().check(facts);
 * // DENY 0x80094012 CERTSRV_E_TEMPLATE_DENIED: CONTOSO\IIS01$ holds no Enroll right on 'Web Server' (WebServer); groups in its token: ...
 * }</pre>
 */
final class RequesterMayEnroll implements IssuancePolicy.Validator {

    @Override
    public Decision check(IssuanceFacts facts) {
        if (facts.submission() != IssuanceFacts.Submission.REQUESTER) {
            return Decision.proceed();
        }
        SecurityDescriptor sd = facts.template().securityDescriptor();
        List<AccessRight> needed = facts.request().autoenrollment()
                ? List.of(AccessRight.ENROLL, AccessRight.AUTOENROLL) : List.of(AccessRight.ENROLL);
        for (AccessRight right : needed) {
            SecurityDescriptor.AccessCheck check = sd == null ? new SecurityDescriptor.AccessCheck(right, false, false, null)
                    : sd.check(facts.request().requester().sids(), right);
            if (!check.granted()) {
                return denied(facts, right, check);
            }
        }
        return Decision.proceed();
    }

    private static Decision denied(IssuanceFacts facts, AccessRight right, SecurityDescriptor.AccessCheck check) {
        String account = facts.requesterName();
        String groups = "; groups in its token: " + String.join(", ", facts.request().requester().groupNames());
        if (check.explicitlyDenied()) {
            boolean itself = facts.request().requester().sid().equals(check.decidedBy());
            String denied = itself ? account : groupName(facts, check);
            // another Allow cannot help: a Deny entry is read first and wins
            return Decision.deny(WindowsError.CERTSRV_E_TEMPLATE_DENIED, account + " is denied " + right.displayName() + " on "
                            + facts.templateDisplay() + (itself ? " by name" : " through " + denied)
                            + " (a Deny entry wins over every Allow)" + groups,
                    "on the template's Security tab clear Deny " + right.displayName() + " for " + denied
                            + (itself ? "" : ", or take " + account + " out of " + denied + " and restart the computer"
                            + " (or log the user on again) so its token no longer carries it"));
        }
        return Decision.deny(WindowsError.CERTSRV_E_TEMPLATE_DENIED, account + " holds no " + right.displayName() + " right on "
                        + facts.templateDisplay() + groups,
                "on the template's Security tab allow " + right.displayName() + " for a group " + account
                        + " belongs to (and do not clear Read); if you just added it to a group, restart the computer"
                        + " (or log the user on again) so its token carries the group");
    }

    private static String groupName(IssuanceFacts facts, SecurityDescriptor.AccessCheck check) {
        return facts.request().requester().groups().stream().filter(g -> g.sid().equals(check.decidedBy()))
                .map(g -> g.name()).findFirst().orElse(String.valueOf(check.decidedBy()));
    }
}
