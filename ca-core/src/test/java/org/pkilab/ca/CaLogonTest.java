package org.pkilab.ca;

import org.pkilab.enrollment.EstAnswer;
import org.pkilab.enrollment.EstClient;
import org.pkilab.enrollment.EstTransport;
import org.pkilab.windows.WindowsError;

import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.DomainControllerConfig;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.pki.LabClock;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Who the CA takes a caller for: administrators by SID, and logon tokens only while they are good. */
class CaLogonTest {

    private static final String PASSWORD = "Lab-Passw0rd!";
    private static final LabClock CLOCK = new LabClock();
    private static DomainController dc;
    private static CertificationAuthority ca;
    private static DirectoryAdmin admin;
    private static EstClient est;

    @BeforeAll
    static void startLab() {
        dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).clock(CLOCK).build());
        ca = CertificationAuthority.start(CertificationAuthorityConfig.builder(dc.names())
                .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD).clock(CLOCK).build());
        admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD);
        est = CaHttps.est(ca);
    }

    @AfterAll
    static void stopLab() {
        admin.close();
        ca.close();
        dc.close();
    }

    private static String token(String dn) {
        return "Bearer " + DomainLogon.logon("127.0.0.1", dc.ldapPort(), dc.names().computer(dn), PASSWORD).encoded();
    }

    private static EstAnswer enrollMachine(String authorization, String fqdn) throws Exception {
        return est.simpleEnroll("Machine", authorization, Csrs.request(Csrs.rsa(2048), "", fqdn));
    }

    @Test
    void aGroupNamedEnterpriseAdminsInAnotherOuDoesNotManageTheCa() throws Exception {
        admin.usersAndComputers().createUser("mallory", PASSWORD);
        String impostor = "CN=Enterprise Admins,OU=Impostors," + dc.names().domain();
        try (LDAPConnection administrator = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            administrator.add("OU=Impostors," + dc.names().domain(), new Attribute("objectClass", "top", "organizationalUnit"));
            // no sAMAccountName: the DC refuses a second 'Enterprise Admins' there, so the token names the group by its CN
            administrator.add(impostor, new Attribute("objectClass", "top", "group"), new Attribute("groupType", "-2147483640"),
                    new Attribute("member", dc.names().user("mallory")));
        }
        assertTrue(DomainLogon.logon("127.0.0.1", dc.ldapPort(), dc.names().user("mallory"), PASSWORD).token().memberOf("Enterprise Admins"),
                "mallory's token names the impostor group 'Enterprise Admins'");
        for (String[] call : new String[][]{{"GET", "templates"}, {"POST", "crl"}, {"GET", "requests?status=issued"}}) {
            EstTransport.Response reply = CaHttps.admin(ca, call[0], call[1], EstClient.basic("mallory", PASSWORD));
            assertEquals(403, reply.status(), "mallory, in an 'Enterprise Admins' of OU=Impostors, " + call[0] + " " + call[1] + ": " + reply.text());
            assertEquals(WindowsError.E_ACCESSDENIED.code() + " " + WindowsError.E_ACCESSDENIED.symbolicName(), reply.header(EstAnswer.ERROR_HEADER), reply.text());
            assertTrue(reply.text().contains("mallory"), reply.text());
        }
        assertEquals(200, CaHttps.admin(ca, "GET", "templates", EstClient.basic("Administrator", PASSWORD)).status(),
                "Administrator, in the domain's own Enterprise Admins (RID 519), manages the CA");
    }

    @Test
    void basicLogonTakesThisDomainsPrefixAndRefusesAnothers() throws Exception {
        assertEquals(200, CaHttps.admin(ca, "GET", "templates", EstClient.basic(dc.config().netbiosName() + "\\Administrator", PASSWORD)).status(),
                "CONTOSO\\Administrator");
        assertEquals(200, CaHttps.admin(ca, "GET", "templates", EstClient.basic(dc.names().dnsName() + "\\Administrator", PASSWORD)).status(),
                "contoso.com\\Administrator");
        EstTransport.Response foreign = CaHttps.admin(ca, "GET", "templates", EstClient.basic("FABRIKAM\\Administrator", PASSWORD));
        assertEquals(401, foreign.status(), "FABRIKAM\\Administrator is no account of " + dc.names().dnsName() + ": " + foreign.text());
        assertEquals(WindowsError.ERROR_LOGON_FAILURE.code() + " " + WindowsError.ERROR_LOGON_FAILURE.symbolicName(),
                foreign.header(EstAnswer.ERROR_HEADER), foreign.text());
    }

    @Test
    void aTokenIsRefusedTenHoursAfterItsLogonAndANewLogonEnrollsAgain() throws Exception {
        admin.usersAndComputers().createComputer("PC01", "pc01.contoso.com", PASSWORD);
        String morning = token("PC01");
        assertEquals(200, enrollMachine(morning, "pc01.contoso.com").status(), "PC01$ enrolls with the token of its logon");
        CLOCK.advance(Duration.ofHours(10));
        EstAnswer refused = enrollMachine(morning, "pc01.contoso.com");
        assertEquals(401, refused.status(), "PC01$ presents its 10-hour-old token for Machine: " + refused.text());
        assertEquals(WindowsError.ERROR_LOGON_FAILURE.code() + " " + WindowsError.ERROR_LOGON_FAILURE.symbolicName(), refused.errorHeader(), refused.text());
        assertTrue(refused.text().contains("CONTOSO\\PC01$") && refused.text().contains("KRB_AP_ERR_TKT_EXPIRED"), refused.text());
        assertEquals(200, enrollMachine(token("PC01"), "pc01.contoso.com").status(), "after a new logon PC01$ enrolls again");
    }

    @Test
    void aTokenOfAnAccountDeletedSinceItsLogonIsRefused() throws Exception {
        admin.usersAndComputers().createComputer("PC02", "pc02.contoso.com", PASSWORD);
        String token = token("PC02");
        try (LDAPConnection administrator = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            administrator.delete(dc.names().computer("PC02"));
        }
        EstAnswer refused = enrollMachine(token, "pc02.contoso.com");
        assertEquals(401, refused.status(), "deleted PC02$ presents the token of its last logon for Machine: " + refused.text());
        assertTrue(refused.text().contains("CONTOSO\\PC02$") && refused.text().contains("no longer exists"), refused.text());

        admin.usersAndComputers().createComputer("PC02", "pc02.contoso.com", PASSWORD);
        EstAnswer recreated = enrollMachine(token, "pc02.contoso.com");
        assertEquals(401, recreated.status(), "a new PC02$ (another SID) does not make the old token good: " + recreated.text());
        assertTrue(recreated.text().contains("another account"), recreated.text());
    }

    @Test
    void aTokenOfAnAccountDisabledSinceItsLogonIsRefusedUntilItIsEnabled() throws Exception {
        admin.usersAndComputers().createComputer("PC03", "pc03.contoso.com", PASSWORD);
        String token = token("PC03");
        try (LDAPConnection administrator = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            administrator.modify(dc.names().computer("PC03"), new Modification(ModificationType.REPLACE, "userAccountControl", "4098"));
            EstAnswer refused = enrollMachine(token, "pc03.contoso.com");
            assertEquals(401, refused.status(), "disabled PC03$ presents the token of its last logon for Machine: " + refused.text());
            assertTrue(refused.text().contains("CONTOSO\\PC03$") && refused.text().contains("disabled")
                    && refused.text().contains("ACCOUNTDISABLE 0x2"), refused.text());
            administrator.modify(dc.names().computer("PC03"), new Modification(ModificationType.REPLACE, "userAccountControl", "4096"));
        }
        assertEquals(200, enrollMachine(token, "pc03.contoso.com").status(), "enabled again, PC03$ enrolls with the same token");
    }

    @Test
    void aTokenSignedWithAKeyThatIsNoLongerTheDcsIsRefused(@TempDir Path data) throws Exception {
        Path dcData = data.resolve("dc");
        DomainControllerConfig config = DomainControllerConfig.builder().dataDirectory(dcData).administratorPassword(PASSWORD).build();
        DomainController first = DomainController.start(config);
        try (CertificationAuthority ownCa = CertificationAuthority.start(CertificationAuthorityConfig.builder(first.names())
                .directory("127.0.0.1", first.ldapPort(), first.administratorDn(), PASSWORD).dataDirectory(data.resolve("ca")).build())) {
            EstClient client = CaHttps.est(ownCa);
            try (DirectoryAdmin directory = DirectoryAdmin.connect("127.0.0.1", first.ldapPort(), first.names(), first.administratorDn(), PASSWORD)) {
                directory.usersAndComputers().createComputer("PC04", "pc04.contoso.com", PASSWORD);
            }
            String before = "Bearer " + DomainLogon.logon("127.0.0.1", first.ldapPort(), first.names().computer("PC04"), PASSWORD).encoded();
            assertEquals(200, client.simpleEnroll("Machine", before, Csrs.request(Csrs.rsa(2048), "", "pc04.contoso.com")).status(),
                    "PC04$ enrolls with the token of its logon");
            first.close();
            // the DC's key is made anew: its kept key files are gone
            try (Stream<Path> kept = Files.list(dcData.resolve("dc"))) {
                for (Path file : kept.filter(f -> f.getFileName().toString().endsWith(".p12")).toList()) {
                    Files.delete(file);
                }
            }
            try (DomainController second = DomainController.start(config)) {
                EstAnswer refused = client.simpleEnroll("Machine", before, Csrs.request(Csrs.rsa(2048), "", "pc04.contoso.com"));
                assertEquals(401, refused.status(), "PC04$ presents a token the DC signed with its former key: " + refused.text());
                assertTrue(refused.text().contains("does not verify against the domain controller's key"), refused.text());
                String after = "Bearer " + DomainLogon.logon("127.0.0.1", second.ldapPort(), second.names().computer("PC04"), PASSWORD).encoded();
                assertEquals(200, client.simpleEnroll("Machine", after, Csrs.request(Csrs.rsa(2048), "", "pc04.contoso.com")).status(),
                        "a token the DC signs with its new key is taken");
            }
        } finally {
            first.close();
        }
    }
}
