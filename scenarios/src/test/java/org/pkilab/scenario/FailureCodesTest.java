package org.pkilab.scenario;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The code a failure shows, and which codes an {@code expect: {error: ...}} matches. */
class FailureCodesTest {

    @Test
    void aTrustFailureShowsItsHresultWithItsName() {
        assertEquals("0x800B010F CERT_E_CN_NO_MATCH", FailureCodes.primary("PC01 -> https://server.contoso.com/ failed: CERT_E_CN_NO_MATCH "
                + "(0x800B010F) The certificate's CN name does not match the passed value."));
    }

    @Test
    void aCodeMatchesAsAValueByHexOrName() {
        var codes = FailureCodes.all("0x80094012 CERTSRV_E_TEMPLATE_DENIED: 'Web' is not among the certificates IIS01 can request");
        assertTrue(codes.contains(FailureCodes.normalize("0x80094012").orElseThrow()), codes.toString());
        assertTrue(codes.contains(FailureCodes.normalize("certsrv_e_template_denied").orElseThrow()), codes.toString());
        assertFalse(codes.contains(FailureCodes.normalize("CERTSRV_E_TEMPLATE").orElseThrow()), "part of a name is not the code: " + codes);
        assertTrue(FailureCodes.normalize("denied").isEmpty(), "a word is text, not a code");
    }

    @Test
    void aWindowsErrorMatchesByItsNameWhenTheFailureGivesItsHresultAndTheOtherWayRound() {
        var refused = FailureCodes.all("CONTOSO-CA refused POST requests/5/approve (HTTP 403): 0x80070005: CONTOSO\\alice may not approve");
        assertTrue(refused.contains(FailureCodes.normalize("E_ACCESSDENIED").orElseThrow()), "E_ACCESSDENIED is 0x80070005: " + refused);
        var named = FailureCodes.all("E_ACCESSDENIED: CONTOSO\\alice may not approve requests");
        assertTrue(named.contains(FailureCodes.normalize("0x80070005").orElseThrow()), named.toString());
        assertEquals("0x80070005 E_ACCESSDENIED", FailureCodes.primary("refused (HTTP 403): E_ACCESSDENIED (0x80070005)\nAccess is denied."));
        assertTrue(FailureCodes.normalize("E_NOSUCHTHING").isEmpty(), "a name Windows does not have is text, not a code");
    }
}
