package org.pkilab.directory.model;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SecurityDescriptorTest {

    private static final SecurityIdentifier DOMAIN = SecurityIdentifier.parse("S-1-5-21-1111111111-2222222222-3333333333");
    private static final SecurityIdentifier DA = DOMAIN.withRid(RelativeIds.DOMAIN_ADMINS);
    private static final SecurityIdentifier DC = DOMAIN.withRid(RelativeIds.DOMAIN_COMPUTERS);
    private static final SecurityIdentifier IIS_GROUP = DOMAIN.withRid(1104);
    private static final String WEB_SERVER = "O:EAG:EAD:PAI(A;;LCRPLORC;;;AU)(A;;CCDCLCSWRPWPDTLOSDRCWDWO;;;DA)"
            + "(A;;CCDCLCSWRPWPDTLOSDRCWDWO;;;EA)(OA;;RPWPCR;0e10c968-78fb-11d2-90d4-00c04f79dc55;;DA)"
            + "(OA;;RPWPCR;0e10c968-78fb-11d2-90d4-00c04f79dc55;;EA)";

    @Test
    void sddlRoundTripsWithWindowsAliases() {
        SecurityDescriptor sd = SecurityDescriptor.parse(WEB_SERVER, DOMAIN);
        assertEquals(WEB_SERVER, sd.toSddl(DOMAIN));
        assertEquals(DOMAIN.withRid(RelativeIds.ENTERPRISE_ADMINS), sd.owner());
    }

    @Test
    void securityTabShowsReadWriteEnrollForDomainAdminsOnWebServer() {
        SecurityDescriptor sd = SecurityDescriptor.parse(WEB_SERVER, DOMAIN);
        assertEquals(Set.of(AccessRight.READ, AccessRight.WRITE, AccessRight.ENROLL), sd.rightsOf(DA, true));
        assertEquals(Set.of(AccessRight.READ), sd.rightsOf(SecurityIdentifier.AUTHENTICATED_USERS, true));
    }

    @Test
    void clearingEnrollFromDomainAdminsKeepsReadAndWrite() {
        SecurityDescriptor sd = SecurityDescriptor.parse(WEB_SERVER, DOMAIN).clearAllow(DA, AccessRight.ENROLL);
        assertEquals(Set.of(AccessRight.READ, AccessRight.WRITE), sd.rightsOf(DA, true));
        assertFalse(sd.check(Set.of(DA, SecurityIdentifier.AUTHENTICATED_USERS), AccessRight.ENROLL).granted());
    }

    @Test
    void denyWinsOverAllowFromAnotherGroupInTheToken() {
        SecurityDescriptor sd = SecurityDescriptor.parse(WEB_SERVER, DOMAIN)
                .allow(IIS_GROUP, AccessRight.ENROLL).deny(DC, AccessRight.ENROLL);
        SecurityDescriptor.AccessCheck check = sd.check(Set.of(IIS_GROUP, DC), AccessRight.ENROLL);
        assertFalse(check.granted());
        assertTrue(check.explicitlyDenied());
        assertEquals(DC, check.decidedBy());
        assertTrue(sd.check(Set.of(IIS_GROUP), AccessRight.ENROLL).granted());
    }

    @Test
    void tickingAllowClearsTheSameDenyBox() {
        SecurityDescriptor sd = SecurityDescriptor.parse(WEB_SERVER, DOMAIN).deny(DC, AccessRight.ENROLL).allow(DC, AccessRight.ENROLL);
        assertEquals(Set.of(), sd.rightsOf(DC, false));
        assertTrue(sd.check(Set.of(DC), AccessRight.ENROLL).granted());
    }

    @Test
    void fullControlImpliesEnrollAndAutoenrollAndClearingItLeavesThemTicked() {
        SecurityDescriptor sd = SecurityDescriptor.parse("O:DAG:DAD:", DOMAIN).allow(IIS_GROUP, AccessRight.FULL_CONTROL);
        assertTrue(sd.check(Set.of(IIS_GROUP), AccessRight.AUTOENROLL).granted());
        SecurityDescriptor cleared = sd.clearAllow(IIS_GROUP, AccessRight.FULL_CONTROL);
        assertFalse(cleared.rightsOf(IIS_GROUP, true).contains(AccessRight.FULL_CONTROL));
        assertTrue(cleared.rightsOf(IIS_GROUP, true).containsAll(
                Set.of(AccessRight.READ, AccessRight.WRITE, AccessRight.ENROLL, AccessRight.AUTOENROLL)));
    }

    @Test
    void clearingEnrollFromAnAllExtendedRightsEntryKeepsAutoenroll() {
        SecurityDescriptor sd = SecurityDescriptor.parse("O:DAG:DAD:(A;;RPCR;;;DC)", DOMAIN).clearAllow(DC, AccessRight.ENROLL);
        assertFalse(sd.check(Set.of(DC), AccessRight.ENROLL).granted());
        assertTrue(sd.check(Set.of(DC), AccessRight.AUTOENROLL).granted());
    }

    @Test
    void malformedSddlIsRefusedWithTheBadPartNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SecurityDescriptor.parse("O:DAD:(A;;ZZ;;;DA)", DOMAIN));
        assertTrue(e.getMessage().contains("ZZ"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SecurityDescriptor.parse("O:DA", DOMAIN));
    }

    @Test
    void sidsRoundTripThroughTheirBinaryForm() {
        SecurityIdentifier sid = DOMAIN.withRid((int) 4_000_000_000L);
        assertEquals(sid, SecurityIdentifier.fromBytes(sid.toBytes()));
        assertEquals("S-1-5-21-1111111111-2222222222-3333333333-4000000000", sid.toString());
        assertThrows(IllegalArgumentException.class, () -> SecurityIdentifier.parse("S-1-5-21-x"));
    }

    /** A container's descriptor as AD holds it: inherited, inheritable and class-scoped object ACEs. */
    private static final String INHERITING = "O:DAG:DAD:AI(A;CIID;LCRPLORC;;;AU)(OD;CIIO;CR;0e10c968-78fb-11d2-90d4-00c04f79dc55;"
            + "e5209ca2-3bba-11d2-90cc-00c04fd91ab1;DC)(OA;OICINPIOIDSAFA;RP;;bf967aba-0de6-11d0-a285-00aa003049e2;S-1-5-21-9-8-7-1234)";

    @Test
    void binaryFormRoundTripsEveryAceWithItsOrderFlagsAndGuids() {
        for (String sddl : List.of(WEB_SERVER, INHERITING, "O:DAD:(D;;WP;;;DC)(A;;0x10000000;;;WD)")) {
            SecurityDescriptor sd = SecurityDescriptor.parse(sddl, DOMAIN);
            byte[] binary = sd.toBinary();
            SecurityDescriptor back = SecurityDescriptor.fromBinary(binary);
            assertEquals(sd, back, sddl);
            assertEquals(sddl, back.toSddl(DOMAIN), "SDDL after the binary form");
            assertArrayEquals(binary, back.toBinary(), "bytes after a second round trip of " + sddl);
            assertEquals(sd, SecurityDescriptor.decode(binary, DOMAIN), "decode reads the binary form");
            assertEquals(sd, SecurityDescriptor.decode(sddl.getBytes(StandardCharsets.UTF_8), DOMAIN), "decode reads the old SDDL text");
        }
    }

    @Test
    void binaryLayoutIsSelfRelativeWithGuidsInWindowsByteOrder() {
        byte[] binary = SecurityDescriptor.parse("O:DAD:P(OA;;CR;0e10c968-78fb-11d2-90d4-00c04f79dc55;;DC)", DOMAIN).toBinary();
        ByteBuffer in = ByteBuffer.wrap(binary).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(1, binary[0], "revision");
        assertEquals(0x8000 | 0x1000 | 0x0004, in.getShort(2) & 0xFFFF, "SE_SELF_RELATIVE | SE_DACL_PROTECTED | SE_DACL_PRESENT");
        assertEquals(0, in.getInt(8), "no group");
        assertEquals(0, in.getInt(12), "no SACL");
        int dacl = in.getInt(16);
        assertEquals(20, dacl, "the DACL follows the header");
        assertEquals(4, binary[dacl], "ACL_REVISION_DS for a DACL with object ACEs");
        int ace = dacl + 8;
        assertEquals(5, binary[ace], "ACCESS_ALLOWED_OBJECT_ACE_TYPE");
        assertEquals(0x100, in.getInt(ace + 4), "ADS_RIGHT_DS_CONTROL_ACCESS");
        assertEquals(1, in.getInt(ace + 8), "ACE_OBJECT_TYPE_PRESENT");
        assertArrayEquals(new byte[] {0x68, (byte) 0xc9, 0x10, 0x0e, (byte) 0xfb, 0x78, (byte) 0xd2, 0x11,
                (byte) 0x90, (byte) 0xd4, 0x00, (byte) 0xc0, 0x4f, 0x79, (byte) 0xdc, 0x55},
                java.util.Arrays.copyOfRange(binary, ace + 12, ace + 28), "Enroll's GUID, first three fields little-endian");
        assertEquals(DC, SecurityIdentifier.fromBytes(java.util.Arrays.copyOfRange(binary, ace + 28, ace + 28 + 28)));
        assertEquals(DA, SecurityIdentifier.fromBytes(java.util.Arrays.copyOfRange(binary, in.getInt(4), in.getInt(4) + 28)));
    }

    @Test
    void sdFlagsSelectPartsAndAWriteReplacesOnlyThem() {
        SecurityDescriptor stored = SecurityDescriptor.parse(WEB_SERVER, DOMAIN);
        SecurityDescriptor ownerOnly = SecurityDescriptor.fromBinary(stored.selected(SecurityDescriptor.OWNER).toBinary());
        assertEquals(stored.owner(), ownerOnly.owner());
        assertEquals(null, ownerOnly.group());
        assertFalse(ownerOnly.hasDacl(), "owner only: no DACL");
        SecurityDescriptor daclOnly = stored.selected(SecurityDescriptor.DACL).allow(DC, AccessRight.ENROLL);
        SecurityDescriptor written = stored.replacing(SecurityDescriptor.fromBinary(daclOnly.toBinary()), SecurityDescriptor.DACL);
        assertEquals(stored.owner(), written.owner(), "a DACL-only write keeps the owner");
        assertEquals(stored.group(), written.group(), "a DACL-only write keeps the group");
        assertTrue(written.check(Set.of(DC), AccessRight.ENROLL).granted());
        SecurityDescriptor newOwner = SecurityDescriptor.parse("O:DAD:", DOMAIN);
        assertEquals(stored.entries(), stored.replacing(newOwner, SecurityDescriptor.OWNER).entries(),
                "an owner-only write leaves the DACL alone");
        assertEquals(DA, stored.replacing(newOwner, SecurityDescriptor.OWNER).owner());
    }

    @Test
    void malformedBinaryIsRefusedWithWhatIsWrong() {
        byte[] binary = SecurityDescriptor.parse(WEB_SERVER, DOMAIN).toBinary();
        IllegalArgumentException cut = assertThrows(IllegalArgumentException.class,
                () -> SecurityDescriptor.fromBinary(java.util.Arrays.copyOf(binary, 40)));
        assertTrue(cut.getMessage().contains("lies outside its 40 bytes"), cut.getMessage());
        byte[] callback = binary.clone();
        callback[20 + 8] = 9;
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class, () -> SecurityDescriptor.fromBinary(callback));
        assertTrue(type.getMessage().contains("type 9"), type.getMessage());
    }

    private static final SecurityIdentifier DU = DOMAIN.withRid(RelativeIds.DOMAIN_USERS);
    private static final String ENROLL = "0e10c968-78fb-11d2-90d4-00c04f79dc55";
    private static final String USER_CLASS = "bf967aba-0de6-11d0-a285-00aa003049e2";

    @Test
    void inheritOnlyEntriesGrantNothingOnTheObjectItself() {
        // what dacledit -inheritance and samba-tool dsacl write for children: Write and Enroll for Domain Users, inherit-only
        SecurityDescriptor sd = SecurityDescriptor.parse("O:DAG:DAD:(A;CIIO;WP;;;DU)(OA;CIIO;CR;" + ENROLL + ";;DU)"
                + "(OA;OICIIO;CR;;;DU)(A;;LCRPLORC;;;AU)", DOMAIN);
        Set<SecurityIdentifier> domainUser = Set.of(DU, SecurityIdentifier.AUTHENTICATED_USERS);
        assertFalse(sd.check(domainUser, AccessRight.ENROLL).granted(), "a CIIO Enroll entry granted Enroll on the object itself");
        assertFalse(sd.check(domainUser, AccessRight.WRITE).granted(), "a CIIO Write entry granted Write on the object itself");
        assertFalse(sd.grants(domainUser, AccessControlEntry.WRITE_PROPERTY), "a CIIO WP entry granted Write Property");
        assertEquals(Set.of(), sd.rightsOf(DU, true), "the Security tab ticks no box for entries that apply only to children");
        assertTrue(sd.check(domainUser, AccessRight.READ).granted(), "Read for Authenticated Users applies to the object");
    }

    @Test
    void inheritOnlyDenyDoesNotDenyTheObjectItselfAndContainerInheritAloneApplies() {
        SecurityDescriptor sd = SecurityDescriptor.parse("O:DAG:DAD:(D;CIIO;WP;;;DU)(OD;CIIO;CR;" + ENROLL + ";;DU)"
                + "(A;CI;WP;;;DU)(OA;CI;CR;" + ENROLL + ";;DU)", DOMAIN);
        assertTrue(sd.grants(Set.of(DU), AccessControlEntry.WRITE_PROPERTY),
                "an inheritable (CI, not IO) Write Property entry applies to the object too; the CIIO deny does not");
        assertTrue(sd.check(Set.of(DU), AccessRight.ENROLL).granted(), "CI Enroll applies; the CIIO Deny Enroll does not");
    }

    @Test
    void anEntryForDescendantObjectsOfAClassGrantsNothingOnTheObject() {
        SecurityDescriptor sd = SecurityDescriptor.parse("O:DAG:DAD:(OA;CI;CR;" + ENROLL + ";" + USER_CLASS + ";DU)"
                + "(OA;CI;WP;;" + USER_CLASS + ";DU)", DOMAIN);
        assertFalse(sd.check(Set.of(DU), AccessRight.ENROLL).granted(), "Enroll for descendant User objects granted on the object");
        assertFalse(sd.grants(Set.of(DU), AccessControlEntry.WRITE_PROPERTY), "Write for descendant User objects granted on the object");
    }

    @Test
    void clearingABoxLeavesEntriesForChildrenAlone() {
        SecurityDescriptor sd = SecurityDescriptor.parse("O:DAG:DAD:(OA;CIIO;CR;" + ENROLL + ";;DU)", DOMAIN)
                .allow(DU, AccessRight.ENROLL).clearAllow(DU, AccessRight.ENROLL);
        assertEquals(SecurityDescriptor.parse("O:DAG:DAD:(OA;CIIO;CR;" + ENROLL + ";;DU)", DOMAIN), sd,
                "ticking and clearing Enroll on the Security tab keeps the inherit-only entry");
    }

    /** A descriptor with every part and an object ACE carrying both GUIDs, laid out as {@link SecurityDescriptor#toBinary()}. */
    private static byte[] full() {
        return SecurityDescriptor.parse("O:DAG:DUD:AI(A;;LCRPLORC;;;AU)(OD;CIIO;WP;" + ENROLL + ";" + USER_CLASS + ";DC)", DOMAIN)
                .toBinary();
    }

    private static void assertRefusedNamingAnOffset(byte[] value, String what) {
        IllegalArgumentException refused;
        try {
            SecurityDescriptor.fromBinary(value);
            return;
        } catch (IllegalArgumentException e) {
            refused = e;
        } catch (RuntimeException e) {
            throw new AssertionError(what + ": refused with " + e + " where callers catch IllegalArgumentException", e);
        }
        assertTrue(refused.getMessage().contains("offset"), what + ": the refusal names no offset: " + refused.getMessage());
    }

    @Test
    void everyTruncationOfABinaryDescriptorIsRefusedNamingTheOffset() {
        byte[] value = full();
        for (int length = 0; length < value.length; length++) {
            byte[] cut = java.util.Arrays.copyOf(value, length);
            String what = "descriptor cut to " + length + " of " + value.length + " bytes";
            assertThrows(IllegalArgumentException.class, () -> SecurityDescriptor.fromBinary(cut), what);
            assertRefusedNamingAnOffset(cut, what);
        }
    }

    @Test
    void offsetsThatOverflowOrPointOutsideAreRefusedNamingTheOffset() {
        for (int field : new int[] {4, 8, 16}) {
            for (int offset : new int[] {-1, -8, Integer.MIN_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE - 1, Integer.MAX_VALUE - 7,
                    1, 19, full().length, full().length - 1, full().length - 7}) {
                byte[] value = full();
                ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN).putInt(field, offset);
                String what = "offset " + Integer.toUnsignedString(offset) + " at header byte " + field;
                IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                        () -> SecurityDescriptor.fromBinary(value), what);
                assertTrue(refused.getMessage().contains("offset"), what + ": " + refused.getMessage());
            }
        }
    }

    @Test
    void anObjectAceShorterThanItsGuidsIsRefusedNamingTheGuid() {
        // no owner, no group: the DACL is the last part, so a short ACE's GUIDs would be read past the value's end
        byte[] value = SecurityDescriptor.parse("D:(OA;;CR;" + ENROLL + ";" + USER_CLASS + ";DU)", DOMAIN).toBinary();
        ByteBuffer in = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        int ace = 28;
        for (int size : new int[] {16, 20, 24, 28, 36, 44, 48}) {
            byte[] cut = java.util.Arrays.copyOf(value, ace + size);
            ByteBuffer.wrap(cut).order(ByteOrder.LITTLE_ENDIAN).putShort(ace + 2, (short) size).putShort(20 + 2, (short) (8 + size));
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> SecurityDescriptor.fromBinary(cut),
                    "object ACE of " + size + " bytes holding two GUIDs and a SID");
            assertTrue(refused.getMessage().contains("ACE 0 at offset 28 is too short for its"), size + " bytes: " + refused.getMessage());
        }
        assertEquals(0x3, in.getInt(ace + 8), "both ObjectType and InheritedObjectType present in the ACE under test");
    }

    @Test
    void randomlyDamagedDescriptorsAreReadOrRefusedNeverCrash() {
        java.util.Random random = new java.util.Random(18);
        byte[] original = full();
        for (int round = 0; round < 20_000; round++) {
            byte[] value = original.clone();
            for (int changes = 1 + random.nextInt(4); changes > 0; changes--) {
                value[2 + random.nextInt(value.length - 2)] = (byte) random.nextInt(256);
            }
            if (random.nextBoolean()) {
                value = java.util.Arrays.copyOf(value, 20 + random.nextInt(value.length - 19));
            }
            assertRefusedNamingAnOffset(value, "round " + round + ": " + java.util.HexFormat.of().formatHex(value));
        }
    }
}
