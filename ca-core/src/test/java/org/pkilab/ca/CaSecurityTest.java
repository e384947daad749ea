package org.pkilab.ca;

import org.junit.jupiter.api.Test;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.RelativeIds;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.windows.WindowsError;

import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CA's Security tab decides from the SIDs in a token, without a DC: tokens are built here as the DC would sign them. */
class CaSecurityTest {

    private static final SecurityIdentifier DOMAIN = SecurityIdentifier.parse("S-1-5-21-1004336348-1177238915-682003330");
    private final CaSecurity security = CaSecurity.byDefault("Contoso-CA", DOMAIN);

    private static LogonToken token(String account, LogonToken.TokenGroup... groups) {
        return new LogonToken("CONTOSO\\" + account, "CN=" + account + ",CN=Users,DC=contoso,DC=com", DOMAIN.withRid(1200),
                List.of(groups), Instant.parse("2026-01-01T00:00:00Z"), "DC01.contoso.com");
    }

    private static LogonToken.TokenGroup group(int rid, String name) {
        return new LogonToken.TokenGroup(DOMAIN.withRid(rid), "CONTOSO\\" + name);
    }

    @Test
    void domainUserMayNotApproveRequests() {
        Decision decision = security.check(token("alice", group(RelativeIds.DOMAIN_USERS, "Domain Users")),
                CaSecurity.Permission.MANAGE_CERTIFICATES, "approve requests");
        assertEquals(Decision.Outcome.DENY, decision.outcome(), "CONTOSO\\alice holds no CA permission: " + decision.explain());
        assertEquals(WindowsError.E_ACCESSDENIED, decision.error(), decision.explain());
        assertTrue(decision.reason().contains("CONTOSO\\alice") && decision.reason().contains("Issue and Manage Certificates")
                && decision.reason().contains("Contoso-CA"), "the reason names the account, the permission and the CA: " + decision.reason());
        assertTrue(decision.fix().contains("Domain Admins"), "the fix says which group to join: " + decision.fix());
    }

    @Test
    void domainAdminsManageCertificatesAndEnterpriseAdminsManageTheCa() {
        assertTrue(security.check(token("admin", group(RelativeIds.DOMAIN_ADMINS, "Domain Admins")),
                CaSecurity.Permission.MANAGE_CERTIFICATES, "approve requests").proceeds(), "Domain Admins hold Issue and Manage Certificates");
        assertTrue(security.check(token("root", group(RelativeIds.ENTERPRISE_ADMINS, "Enterprise Admins")),
                CaSecurity.Permission.MANAGE_CA, "publish CRLs").proceeds(), "Enterprise Admins hold Manage CA");
    }

    @Test
    void aGroupNamedEnterpriseAdminsWithAnotherSidGrantsNothing() {
        Decision decision = security.check(token("mallory", group(1300, "Enterprise Admins")),
                CaSecurity.Permission.MANAGE_CA, "change the templates to issue");
        assertEquals(WindowsError.E_ACCESSDENIED, decision.error(),
                "only RID 519 of the domain is Enterprise Admins, not a group of that name: " + decision.explain());
        assertTrue(decision.reason().contains("'Manage CA'"), decision.reason());
    }

    @Test
    void tickingAllowWidensTheTrusteesEntryAndClearingItDropsAnEmptyOne() {
        SecurityIdentifier alice = DOMAIN.withRid(1105);
        String base = org.pkilab.enrollment.CaRegistrySettings.DEFAULT_SECURITY;
        String manager = CaSecurity.allow(base, alice, CaSecurity.Permission.MANAGE_CA, DOMAIN);
        assertEquals(base + "(A;;0x1;;;" + alice + ")", manager);
        String both = CaSecurity.allow(manager, alice, CaSecurity.Permission.MANAGE_CERTIFICATES, DOMAIN);
        assertEquals(base + "(A;;0x3;;;" + alice + ")", both, "one entry per trustee, widened");
        assertEquals(both, CaSecurity.allow(both, alice, CaSecurity.Permission.MANAGE_CERTIFICATES, DOMAIN), "ticking twice changes nothing");
        assertEquals(manager, CaSecurity.remove(both, alice, CaSecurity.Permission.MANAGE_CERTIFICATES, DOMAIN));
        assertEquals(base, CaSecurity.remove(manager, alice, CaSecurity.Permission.MANAGE_CA, DOMAIN), "an entry left with no bit goes");
        String denied = base + "(D;;0x200;;;" + alice + ")";
        assertEquals(base + "(A;;0x200;;;" + alice + ")", CaSecurity.allow(denied, alice, CaSecurity.Permission.REQUEST_CERTIFICATES, DOMAIN),
                "ticking Allow clears the same Deny, as the Security tab does");
    }

    @Test
    void anObjectEntryKeepsItsObjectTypeWhenAnotherTrusteeIsTicked() {
        SecurityIdentifier alice = DOMAIN.withRid(1105);
        SecurityIdentifier bob = DOMAIN.withRid(1106);
        String objectEntry = "(OA;;0x200;0e10c968-78fb-11d2-90d4-00c04f79dc55;;" + alice + ")";
        String edited = CaSecurity.allow(org.pkilab.enrollment.CaRegistrySettings.DEFAULT_SECURITY + objectEntry, bob,
                CaSecurity.Permission.MANAGE_CERTIFICATES, DOMAIN);
        assertTrue(edited.contains(objectEntry), "alice's object entry, kept as it was, not widened to (A;;0x200;;;" + alice + "): " + edited);
        assertTrue(CaSecurity.remove(edited, bob, CaSecurity.Permission.MANAGE_CERTIFICATES, DOMAIN).contains(objectEntry));
    }

    @Test
    void requestCertificatesIsAuthenticatedUsersByDefaultAndItsRefusalIsEnrollDenied() {
        LogonToken alice = token("alice", group(RelativeIds.DOMAIN_USERS, "Domain Users"));
        assertEquals(Decision.Outcome.DENY, security.mayEnroll(alice).outcome(), "alice's token here holds no Authenticated Users");
        assertEquals(WindowsError.CERTSRV_E_ENROLL_DENIED, security.mayEnroll(alice).error());
        LogonToken signedIn = token("alice", group(RelativeIds.DOMAIN_USERS, "Domain Users"),
                new LogonToken.TokenGroup(SecurityIdentifier.AUTHENTICATED_USERS, "NT AUTHORITY\\Authenticated Users"));
        assertTrue(security.mayEnroll(signedIn).proceeds(), "Authenticated Users may Request Certificates on a new CA");
    }
}
