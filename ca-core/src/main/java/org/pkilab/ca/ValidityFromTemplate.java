package org.pkilab.ca;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * Policy modifier: the certificate's validity, the one rule for it. It starts {@link #CLOCK_SKEW} before
 * now, so a client whose clock runs a little behind already accepts it, and lasts the template's
 * "Validity period" from now, but never past the CA certificate's own end (AD CS shortens it the same
 * way). Whole seconds, which is what the certificate's UTCTime holds, so the database says the same.
 */
final class ValidityFromTemplate implements IssuancePolicy.Modifier {

    static final Duration CLOCK_SKEW = Duration.ofMinutes(10);

    @Override
    public CertificateDraft apply(IssuanceFacts facts, CertificateDraft draft) {
        Instant notBefore = facts.now().minus(CLOCK_SKEW).truncatedTo(ChronoUnit.SECONDS);
        Instant wanted = facts.now().plus(facts.template().validity()).truncatedTo(ChronoUnit.SECONDS);
        return draft.withValidity(notBefore, wanted.isAfter(facts.caNotAfter()) ? facts.caNotAfter() : wanted);
    }
}
