package org.pkilab.ca;

import java.util.List;

/**
 * Policy modifier: the extensions the CA's {@code policy\DisableExtensionList} names stay out of every certificate,
 * whatever the template says. Putting the SID extension there
 * ({@code certutil -setreg policy\DisableExtensionList +1.3.6.1.4.1.311.25.2}) is ESC16: no certificate of this CA
 * carries the requester's SID any more, so a DC that enforces strong mapping can map them only by an explicit
 * {@code altSecurityIdentities} mapping, and a DC that does not falls back to the UPN or DNS name, which an attacker with
 * ESC6 or a writable UPN chooses.
 */
final class ExtensionsDisabledByCa implements IssuancePolicy.Modifier {

    @Override
    public CertificateDraft apply(IssuanceFacts facts, CertificateDraft draft) {
        List<String> disabled = facts.registry().disableExtensionList();
        return disabled.isEmpty() ? draft : draft.withDisabledExtensions(disabled);
    }
}
