package org.pkilab.directory.model;

import org.junit.jupiter.api.Test;

import java.util.Set;

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
}
