package org.pkilab.directory;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The walk of one LDAP message against the Default Query Policy, without a DC or a socket. */
class LdapMessageShapeTest {

    private static final String BASE = "DC=contoso,DC=com";

    @Test
    void aSearchWithinThePolicyPassesAndCountsItsFilterTerms() {
        LdapMessageShape shape = new LdapMessageShape(Ber.search(7, BASE, Ber.nestedNotFilter(3)), LdapQueryPolicy.DEFAULT);
        assertNull(shape.check(), "a search of three NOTs around one term is within AD's Default Query Policy");
        assertEquals(7, shape.messageId());
        assertEquals(0x63, shape.operation(), "a search request");
        assertEquals(1, shape.filterTerms());
    }

    @Test
    void aFilterNestedDeeperThanThePolicyIsRefusedWithAdminLimitExceeded() {
        int depth = LdapQueryPolicy.DEFAULT.maxFilterDepth() + 1;
        LdapMessageShape.Refusal refusal = new LdapMessageShape(Ber.search(9, BASE, Ber.nestedNotFilter(depth)),
                LdapQueryPolicy.DEFAULT).check();
        assertEquals(LdapMessageShape.ADMIN_LIMIT_EXCEEDED, refusal.resultCode(), String.valueOf(refusal));
        assertEquals(9, refusal.messageId(), "answered for the message that asked");
        assertTrue(refusal.message().contains("deeper than " + LdapQueryPolicy.DEFAULT.maxFilterDepth()), refusal.message());
    }

    @Test
    void bytesThatAreNotAnLdapMessageAreAProtocolErrorNoOneCanBeAnswered() {
        LdapMessageShape.Refusal refusal = new LdapMessageShape(Ber.tlv(0x30, Ber.octets("hello")), LdapQueryPolicy.DEFAULT).check();
        assertEquals(LdapMessageShape.PROTOCOL_ERROR, refusal.resultCode(), String.valueOf(refusal));
        assertEquals(-1, refusal.messageId());
    }
}
