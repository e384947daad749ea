package org.pkilab.audit;

import org.pkilab.directory.model.CertificateTemplate;

import java.util.List;

/**
 * ESC12 (Hans-Joachim Knobloch, 2023): a CA whose private key sits in a YubiHSM2, with the HSM's authentication key
 * stored in clear in the CA host's registry ({@code HKLM\SOFTWARE\Yubico\YubiHSM\AuthKeysetPassword}): a local user of
 * the CA host (shell access) uses the HSM to sign with the CA's key and forges any certificate.
 *
 * <p>Not applicable to the lab, and never found: the lab's CA keeps its key in its own process (ca-core), not in an
 * HSM, and the lab offers no shell on the CA host. There is nothing to read and no condition to check; {@code --explain}
 * and the report say so.
 */
final class Esc12Check extends Check {

    static final String NOT_APPLICABLE = "not applicable: ESC12 needs shell access to a CA host whose key is in a YubiHSM2 with its "
            + "authentication key in the registry; the lab's CA keeps its key in its own process and has no shell";

    @Override
    EscClass escClass() {
        return EscClass.ESC12;
    }

    @Override
    List<Evaluation> evaluate(AuditContext ctx) {
        return List.of();
    }

    @Override
    Explanation explain(AuditContext ctx, CertificateTemplate template) {
        return Explanation.notChecked(escClass(), TemplateFacts.label(template), NOT_APPLICABLE);
    }
}
