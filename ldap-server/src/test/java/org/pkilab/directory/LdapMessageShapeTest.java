package org.pkilab.directory;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    void aFilterWithAnInChainOrBitwiseItemIsCostlyHoweverFewItsTerms() {
        byte[] domainAdmins = Ber.tlv(0xA9, Ber.tlv(0x81, "1.2.840.113556.1.4.1941".getBytes()), Ber.tlv(0x82, "memberOf".getBytes()),
                Ber.tlv(0x83, ("CN=Domain Admins,CN=Users," + BASE).getBytes()));
        byte[] disabled = Ber.tlv(0xA9, Ber.tlv(0x81, "1.2.840.113556.1.4.803".getBytes()), Ber.tlv(0x82, "userAccountControl".getBytes()),
                Ber.tlv(0x83, "2".getBytes()));
        byte[] anyBit = Ber.tlv(0xA9, Ber.tlv(0x81, "1.2.840.113556.1.4.804".getBytes()), Ber.tlv(0x82, "groupType".getBytes()),
                Ber.tlv(0x83, "6".getBytes()));
        for (byte[] filter : java.util.List.of(domainAdmins, Ber.tlv(0xA2, disabled), Ber.tlv(0xA1, Ber.tlv(0x87, "cn".getBytes()), anyBit))) {
            LdapMessageShape shape = new LdapMessageShape(Ber.search(3, BASE, filter), LdapQueryPolicy.DEFAULT);
            assertNull(shape.check(), "an in-chain or bitwise search is within the Default Query Policy");
            assertTrue(shape.costly(), "an item that expands into an OR of every value it selects is answered off the I/O"
                    + " thread, though the filter holds " + shape.filterTerms() + " terms");
        }
        LdapMessageShape plain = new LdapMessageShape(Ber.search(4, BASE, Ber.tlv(0xA9, Ber.tlv(0x82, "cn".getBytes()),
                Ber.tlv(0x83, "Administrator".getBytes()))), LdapQueryPolicy.DEFAULT);
        assertNull(plain.check());
        assertFalse(plain.costly(), "an extensible match with no AD matching rule is as cheap as an equality item");
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
