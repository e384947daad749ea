package org.pkilab.ca;

import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.enrollment.EnrollableTemplate;
import org.pkilab.enrollment.EnrollmentPolicy;

import java.util.ArrayList;
import java.util.List;

/**
 * The enrollment policy a computer reads before it enrolls, what an MS-XCEP policy server answers a Windows
 * client: {@code GET /.well-known/est/policy}, authenticated by {@link HttpLogon}, answers the templates the
 * caller may enroll for on this CA, with what it needs to ask for each (key algorithm and size, CNG or not,
 * whether it may autoenroll, superseded templates), in {@link EnrollmentPolicy}'s JSON.
 */
final class EnrollmentPolicyAdapter {

    private final String caName;
    private final EnrollmentPolicySource source;
    private final HttpLogon logon;

    EnrollmentPolicyAdapter(String caName, EnrollmentPolicySource source, HttpLogon logon) {
        this.caName = caName;
        this.source = source;
        this.logon = logon;
    }

    void policy(Request request, Response response, Callback callback) {
        HttpLogon.Result caller = logon.authenticate(request);
        if (!caller.succeeded()) {
            logon.challenge(response, callback, caller.refusal());
            return;
        }
        List<EnrollableTemplate> offered = new ArrayList<>();
        for (CertificateTemplate t : source.enrollableTemplates(caller.token())) {
            boolean autoenroll = t.securityDescriptor().check(caller.token().sids(), AccessRight.AUTOENROLL).granted();
            offered.add(new EnrollableTemplate(t.name(), t.displayName(), t.oid(), t.schemaVersion(), t.enrolleeSuppliesSubject(),
                    t.minimalKeySize(), keyAlgorithmOf(t), t.exportableKey(), t.requiresApproval(), t.usesCng(), autoenroll,
                    t.machineTemplate(), t.renewalPeriod(), t.extendedKeyUsages(), t.supersededTemplates()));
        }
        HttpAnswers.send(response, callback, 200, EnrollmentPolicy.MEDIA_TYPE, new EnrollmentPolicy(caName, offered).toJson());
    }

    /** The template's Cryptography tab algorithm, or the name it gives that the lab does not know (the CA refuses it then). */
    private static String keyAlgorithmOf(CertificateTemplate t) {
        try {
            return t.keyAlgorithm().windowsName();
        } catch (IllegalStateException e) {
            return String.valueOf(t.cngKeySetting("msPKI-Asymmetric-Algorithm"));
        }
    }
}
