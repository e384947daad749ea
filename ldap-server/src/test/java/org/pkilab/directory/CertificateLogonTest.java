package org.pkilab.directory;

import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.EXTERNALBindRequest;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.extensions.StartTLSExtendedRequest;
import com.unboundid.ldap.sdk.extensions.WhoAmIExtendedRequest;
import com.unboundid.ldap.sdk.extensions.WhoAmIExtendedResult;
import com.unboundid.util.ssl.SSLUtil;
import com.unboundid.util.ssl.TrustAllTrustManager;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.UsersAndComputers.GroupScope;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.CertificateMappingSettings;
import org.pkilab.directory.model.DomainNames;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.pki.KeyFiles;
import org.pkilab.pki.RsaKeys;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;

import javax.net.ssl.KeyManagerFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Certificate logon at the DC (SASL EXTERNAL on LDAPS and StartTLS) as a student tries it with Debian's
 * {@code ldapwhoami} ({@code ldap-utils}), unmodified: the certificate in {@code LDAPTLS_CERT}/{@code LDAPTLS_KEY},
 * {@code -Y EXTERNAL}. The certificates come from a test CA published to NTAuthCertificates and CN=CDP over LDAP,
 * as an enterprise CA publishes itself; the DC's mapping settings change between the tests as {@code reg add} would.
 */
class CertificateLogonTest {

    private static final String PASSWORD = "Lab-Passw0rd!";
    private static final String ISSUANCE_POLICY = "1.3.6.1.4.1.311.21.8.1.2.3.4.5.6.7.8.400";
    private static DomainController dc;
    private static TestCa ca;
    private static KeyPair clientKey;
    private static Path folder;
    private static SecurityIdentifier domainSid;
    private static Instant bobCreated;

    @BeforeAll
    static void start() throws Exception {
        RsaKeys.prepare(4);
        dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
        folder = Files.createTempDirectory("certificate-logon-");
        ca = new TestCa("Contoso-Test-CA");
        clientKey = RsaKeys.generate(2048);
        domainSid = dc.domainSid();
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            admin.usersAndComputers().createUser("alice", PASSWORD);
            admin.usersAndComputers().createUser("bob", PASSWORD);
            admin.usersAndComputers().createUser("carol", PASSWORD);
            admin.usersAndComputers().createGroup("ESC13 Operators", GroupScope.UNIVERSAL, "linked to an issuance policy");
            admin.security().allow(dc.names().user("carol"), "ESC13 Operators", AccessRight.WRITE);
        }
        try (LDAPConnection admin = administrator()) {
            admin.modify(dc.names().ntAuthCertificates(), new Modification(ModificationType.ADD, "cACertificate",
                    ca.certificate.getEncoded()));
            admin.add(DomainNames.child("CA01", dc.names().cdp()), new Attribute("objectClass", "top", "container"),
                    new Attribute("cn", "CA01"));
            admin.add(crlHolder(), new Attribute("objectClass", "top", "cRLDistributionPoint"), new Attribute("cn", ca.name),
                    new Attribute("certificateRevocationList", ca.crl().getEncoded()));
            admin.add(DomainNames.child("400.ESC13", dc.names().oid()), new Attribute("objectClass", "top", "msPKI-Enterprise-Oid"),
                    new Attribute("cn", "400.ESC13"), new Attribute("msPKI-Cert-Template-OID", ISSUANCE_POLICY),
                    new Attribute("displayName", "ESC13 policy"), new Attribute("flags", "2"),
                    new Attribute("msDS-OIDToGroupLink", dc.names().user("ESC13 Operators")));
            SearchResultEntry bob = admin.getEntry(dc.names().user("bob"), "whenCreated");
            bobCreated = LocalDateTime.parse(bob.getAttributeValue("whenCreated"),
                    DateTimeFormatter.ofPattern("yyyyMMddHHmmss'.0Z'")).toInstant(ZoneOffset.UTC);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        dc.close();
        org.pkilab.pki.Folders.deleteTree(folder);
    }

    private static String crlHolder() {
        return DomainNames.child(ca.name, DomainNames.child("CA01", dc.names().cdp()));
    }

    private static LDAPConnection administrator() throws LDAPException {
        return new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD);
    }

    private static String administratorSid() {
        return domainSid.withRid(500).toString();
    }

    /** ldapwhoami -H ldaps://... -Y EXTERNAL with {@code certificate} and the client key, as a student runs it. */
    private static Result whoAmI(X509Certificate certificate) throws Exception {
        Path cert = Files.createTempFile(folder, "client", ".pem");
        Path key = Files.createTempFile(folder, "client", ".key");
        Files.writeString(cert, KeyFiles.pem(certificate));
        Files.writeString(key, KeyFiles.pem("PRIVATE KEY", clientKey.getPrivate().getEncoded()));
        return ExternalTool.run(null, Map.of("LDAPTLS_CERT", cert.toString(), "LDAPTLS_KEY", key.toString(), "LDAPTLS_REQCERT", "never"),
                null, "ldapwhoami", "-Q", "-H", dc.ldapsUrl(), "-Y", "EXTERNAL");
    }

    private static X509Certificate issue(TestCa.Request request) throws Exception {
        return ca.issue(clientKey.getPublic(), request);
    }

    private static void assertRefused(Result result, String... named) {
        assertNotEquals(0, result.exit(), "DC01 took the certificate: " + result);
        assertTrue(result.err().contains("Invalid credentials (49)") && result.err().contains("80090308: LdapErr:"),
                "DC01 answers AD's 49 text: " + result);
        for (String name : named) {
            assertTrue(result.err().contains(name), "DC01's refusal names '" + name + "': " + result);
        }
    }

    @Test
    void certificateWithTheSidExtensionLogsOnAsAdministratorUnderFullEnforcement() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        Result result = whoAmI(issue(new TestCa.Request().upn("administrator@contoso.com").sid(administratorSid())));
        assertEquals(0, result.exit(), "ldapwhoami -Y EXTERNAL with Administrator's certificate at DC01: " + result);
        assertEquals("u:CONTOSO\\Administrator", result.out().trim(), result.toString());
    }

    @Test
    void sanUrlSidIsAStrongMappingUnderFullEnforcement() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        Result result = whoAmI(issue(new TestCa.Request().upn("administrator@contoso.com").sanUrlSid(administratorSid())));
        assertEquals("u:CONTOSO\\Administrator", result.out().trim(), "SAN URL SID at DC01: " + result);
    }

    @Test
    void upnOnlyCertificateIsRefusedUnderFullEnforcementWithEvent39() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        assertRefused(whoAmI(issue(new TestCa.Request().upn("administrator@contoso.com"))),
                "event 39", "StrongCertificateBindingEnforcement 2 (Full Enforcement)", "SID extension");
    }

    @Test
    void upnOnlyCertificateIsAcceptedUnderCompatibility() throws Exception {
        dc.certificateMapping(new CertificateMappingSettings(1, 0x18));
        Result result = whoAmI(issue(new TestCa.Request().upn("bob@contoso.com").notBefore(bobCreated)));
        assertEquals("u:CONTOSO\\bob", result.out().trim(), "UPN-only certificate at DC01 under enforcement 1: " + result);
    }

    @Test
    void upnOnlyCertificateThatPredatesTheAccountIsRefusedUnderCompatibilityWithEvent40() throws Exception {
        dc.certificateMapping(new CertificateMappingSettings(1, 0x18));
        assertRefused(whoAmI(issue(new TestCa.Request().upn("bob@contoso.com").notBefore(bobCreated.minus(Duration.ofDays(1))))),
                "event 40", "predates the account", "StrongCertificateBindingEnforcement 1");
    }

    @Test
    void sidExtensionOfAnotherAccountIsRefusedUnderCompatibilityWithEvent41() throws Exception {
        dc.certificateMapping(new CertificateMappingSettings(1, 0x18));
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            String alice = admin.usersAndComputers().sidOf("alice").toString();
            assertRefused(whoAmI(issue(new TestCa.Request().upn("administrator@contoso.com").sid(alice))),
                    "event 41", alice, "Administrator");
        }
    }

    @Test
    void schannelUpnMappingAcceptsAUpnOnlyCertificateUnderFullEnforcement() throws Exception {
        dc.certificateMapping(new CertificateMappingSettings(2, 0x1C));
        Result result = whoAmI(issue(new TestCa.Request().upn("administrator@contoso.com")));
        assertEquals("u:CONTOSO\\Administrator", result.out().trim(), "CertificateMappingMethods 0x1C at DC01 (ESC10): " + result);
    }

    @Test
    void strongExplicitMappingLogsOnWithoutAnyNameInTheCertificate() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        TestCa.Request request = new TestCa.Request();
        request.subject = "CN=Carol Smart Card";
        X509Certificate certificate = issue(request);
        byte[] serial = certificate.getSerialNumber().toByteArray();
        StringBuilder reversed = new StringBuilder();
        for (int i = serial.length - 1; i >= 0; i--) {
            reversed.append(String.format("%02X", serial[i] & 0xFF));
        }
        try (LDAPConnection admin = administrator()) {
            admin.modify(dc.names().user("carol"), new Modification(ModificationType.REPLACE, "altSecurityIdentities",
                    "X509:<I>DC=com,DC=contoso,CN=Contoso-Test-CA<SR>" + reversed));
        }
        Result result = whoAmI(certificate);
        assertEquals("u:CONTOSO\\carol", result.out().trim(), "X509:<I>..<SR>.. on carol at DC01 under Full Enforcement: " + result);
    }

    @Test
    void weakExplicitMappingIsRefusedUnderFullEnforcementWithEvent39() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        TestCa.Request request = new TestCa.Request();
        request.subject = "CN=Carol Weak";
        try (LDAPConnection admin = administrator()) {
            admin.modify(dc.names().user("carol"), new Modification(ModificationType.REPLACE, "altSecurityIdentities",
                    "X509:<I>DC=com,DC=contoso,CN=Contoso-Test-CA<S>CN=Carol Weak"));
        }
        assertRefused(whoAmI(issue(request)), "event 39", "weak explicit mapping", "X509:<I>DC=com,DC=contoso,CN=Contoso-Test-CA<S>CN=Carol Weak");
    }

    @Test
    void disabledAccountCannotLogOnWithItsCertificate() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        String dave;
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            admin.usersAndComputers().createUser("dave", PASSWORD);
            dave = admin.usersAndComputers().sidOf("dave").toString();
        }
        try (LDAPConnection admin = administrator()) {
            admin.modify(dc.names().user("dave"), new Modification(ModificationType.REPLACE, "userAccountControl", "514"));
        }
        assertRefused(whoAmI(issue(new TestCa.Request().upn("dave@contoso.com").sid(dave))), "data 533", "CONTOSO\\dave", "disabled");
    }

    @Test
    void computerCertificateMapsByItsDnsName() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        String iis01;
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", PASSWORD);
            iis01 = admin.usersAndComputers().sidOf("IIS01$").toString();
        }
        Result result = whoAmI(issue(new TestCa.Request().dns("iis01.contoso.com").sid(iis01)));
        assertEquals("u:CONTOSO\\IIS01$", result.out().trim(), "IIS01's Workstation Authentication certificate at DC01: " + result);
    }

    @Test
    void sidOfAnotherAccountIsNotCheckedWhenEnforcementIsDisabled() throws Exception {
        dc.certificateMapping(new CertificateMappingSettings(0, 0x18));
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            String alice = admin.usersAndComputers().sidOf("alice").toString();
            Result result = whoAmI(issue(new TestCa.Request().upn("administrator@contoso.com").sid(alice)));
            assertEquals("u:CONTOSO\\Administrator", result.out().trim(), "StrongCertificateBindingEnforcement 0 at DC01: " + result);
        }
    }

    @Test
    void certificateNotYetValidByTheLabClockIsRefused() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        assertRefused(whoAmI(issue(new TestCa.Request().upn("administrator@contoso.com").sid(administratorSid())
                .notBefore(Instant.now().plus(Duration.ofDays(2))))), "validity check", "CERT_E_EXPIRED", "lab clock");
    }

    @Test
    void certificateOfACaThatPublishedNoCrlIsRefusedAsRevocationOffline() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        TestCa silent = new TestCa("Silent-CA");
        try (LDAPConnection admin = administrator()) {
            admin.modify(dc.names().ntAuthCertificates(), new Modification(ModificationType.ADD, "cACertificate",
                    silent.certificate.getEncoded()));
        }
        assertRefused(whoAmI(silent.issue(clientKey.getPublic(), new TestCa.Request().upn("administrator@contoso.com")
                .sid(administratorSid()))), "revocation check", "CRYPT_E_REVOCATION_OFFLINE", "Silent-CA");
    }

    @Test
    void certificateWithoutClientAuthenticationIsRefusedByThePurposeCheck() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        assertRefused(whoAmI(issue(new TestCa.Request().upn("administrator@contoso.com").sid(administratorSid())
                .ekus(KeyPurposeId.id_kp_serverAuth))), "purpose check", "CERT_E_WRONG_USAGE", "Server Authentication");
    }

    @Test
    void applicationPoliciesDecideThePurposeOverTheEku() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        Result clientAuthPolicy = whoAmI(issue(new TestCa.Request().upn("administrator@contoso.com").sid(administratorSid())
                .ekus(KeyPurposeId.id_kp_serverAuth).applicationPolicies("1.3.6.1.5.5.7.3.2")));
        assertEquals("u:CONTOSO\\Administrator", clientAuthPolicy.out().trim(),
                "Server Authentication EKU with a Client Authentication application policy (ESC15) at DC01: " + clientAuthPolicy);
        assertRefused(whoAmI(issue(new TestCa.Request().upn("administrator@contoso.com").sid(administratorSid())
                .applicationPolicies("1.3.6.1.5.5.7.3.1"))), "purpose check", "Application Policies");
    }

    @Test
    void certificateWithoutAnyEkuIsGoodForLogon() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        Result result = whoAmI(issue(new TestCa.Request().upn("administrator@contoso.com").sid(administratorSid()).ekus()));
        assertEquals("u:CONTOSO\\Administrator", result.out().trim(), "a certificate with no EKU (ESC2) at DC01: " + result);
    }

    @Test
    void certificateOfACaOutsideNtAuthIsRefused() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        TestCa rogue = new TestCa("Rogue-CA");
        assertRefused(whoAmI(rogue.issue(clientKey.getPublic(), new TestCa.Request().upn("administrator@contoso.com")
                .sid(administratorSid()))), "NTAuth check", "CERT_E_UNTRUSTEDCA", "NTAuthCertificates");
    }

    @Test
    void revokedCertificateIsRefusedOnceTheCrlIsPublished() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        X509Certificate revoked = issue(new TestCa.Request().upn("administrator@contoso.com").sid(administratorSid()));
        assertEquals(0, whoAmI(revoked).exit(), "before the CRL lists it");
        ca.revoke(revoked);
        try (LDAPConnection admin = administrator()) {
            admin.modify(crlHolder(), new Modification(ModificationType.REPLACE, "certificateRevocationList", ca.crl().getEncoded()));
        }
        assertRefused(whoAmI(revoked), "revocation check", "CRYPT_E_REVOKED");
    }

    @Test
    void startTlsThenExternalBindsAsTheCertificatesAccount() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        X509Certificate certificate = issue(new TestCa.Request().upn("administrator@contoso.com").sid(administratorSid()));
        try (LDAPConnection connection = withCertificate(certificate)) {
            assertEquals(ResultCode.SUCCESS, connection.bind(new EXTERNALBindRequest()).getResultCode());
            WhoAmIExtendedResult who = (WhoAmIExtendedResult) connection.processExtendedOperation(new WhoAmIExtendedRequest());
            assertEquals("u:CONTOSO\\Administrator", who.getAuthorizationID(), "StartTLS + EXTERNAL at DC01");
        }
    }

    @Test
    void directoryAdminLogsOnWithACertificateAndActsAsItsAccount() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        X509Certificate certificate = issue(new TestCa.Request().upn("administrator@contoso.com").sid(administratorSid()));
        try (DirectoryAdmin forged = connectWithCertificate("127.0.0.1", dc.ldapsPort(), dc.names(),
                clientKey.getPrivate(), certificate)) {
            assertEquals(dc.administratorDn(), forged.bindDn(), "the certificate's account at DC01");
            forged.usersAndComputers().addMember("Domain Admins", "bob");
            assertTrue(forged.usersAndComputers().members("Domain Admins").stream().anyMatch(m -> m.contains("CN=bob")),
                    "Administrator's certificate logon added bob to Domain Admins");
            forged.usersAndComputers().removeMember("Domain Admins", "bob");
        }
        org.pkilab.directory.client.DirectoryException refused = org.junit.jupiter.api.Assertions.assertThrows(
                org.pkilab.directory.client.DirectoryException.class, () -> connectWithCertificate("127.0.0.1",
                        dc.ldapsPort(), dc.names(), clientKey.getPrivate(), issue(new TestCa.Request().upn("administrator@contoso.com"))));
        assertEquals(49, refused.resultCode(), refused.getMessage());
        assertTrue(refused.getMessage().contains("event 39"), refused.getMessage());
    }

    @Test
    void issuancePolicyLinkedToAGroupJoinsTheLogonsTokenOnly() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        SecurityIdentifier alice;
        SecurityIdentifier operators;
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            alice = admin.usersAndComputers().sidOf("alice");
            operators = admin.usersAndComputers().sidOf("ESC13 Operators");
        }
        Modification description = new Modification(ModificationType.REPLACE, "description", "written by alice");
        try (LDAPConnection password = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.names().user("alice"), PASSWORD)) {
            LDAPException denied = org.junit.jupiter.api.Assertions.assertThrows(LDAPException.class,
                    () -> password.modify(dc.names().user("carol"), description));
            assertEquals(ResultCode.INSUFFICIENT_ACCESS_RIGHTS, denied.getResultCode(), "alice by password has no write on carol");
        }
        X509Certificate certificate = issue(new TestCa.Request().upn("alice@contoso.com").sid(alice.toString())
                .issuancePolicies(ISSUANCE_POLICY));
        try (LDAPConnection connection = withCertificate(certificate)) {
            connection.bind(new EXTERNALBindRequest());
            connection.modify(dc.names().user("carol"), description);
            byte[][] groups = connection.getEntry(dc.names().user("alice"), "tokenGroups").getAttributeValueByteArrays("tokenGroups");
            assertTrue(Arrays.stream(groups).anyMatch(g -> Arrays.equals(g, operators.toBytes())),
                    "alice's certificate logon holds ESC13 Operators (linked to " + ISSUANCE_POLICY + ") in tokenGroups");
        }
    }

    /** A SAN otherName of the UPN type that carries no value, as a hand-made certificate may. */
    private static TestCa.Request unreadableUpn() {
        TestCa.Request request = new TestCa.Request();
        request.names.add(new org.bouncycastle.asn1.x509.GeneralName(org.bouncycastle.asn1.x509.GeneralName.otherName,
                new org.bouncycastle.asn1.DERSequence(new org.bouncycastle.asn1.ASN1ObjectIdentifier("1.3.6.1.4.1.311.20.2.3"))));
        return request;
    }

    /** The answer to SASL EXTERNAL over StartTLS with {@code certificate} (GnuTLS's ldapwhoami will not send an unreadable one). */
    private static LDAPException externalBindRefused(X509Certificate certificate) throws Exception {
        try (LDAPConnection connection = withCertificate(certificate)) {
            return org.junit.jupiter.api.Assertions.assertThrows(LDAPException.class, () -> connection.bind(new EXTERNALBindRequest()),
                    "DC01 took " + certificate.getSubjectX500Principal());
        }
    }

    private static void assertRefused(LDAPException refused, String... named) {
        assertEquals(ResultCode.INVALID_CREDENTIALS, refused.getResultCode(), "DC01 answers 49: " + refused.getDiagnosticMessage());
        for (String name : named) {
            assertTrue(refused.getDiagnosticMessage().contains(name), "DC01's refusal names '" + name + "': " + refused.getDiagnosticMessage());
        }
    }

    @Test
    void unreadableCertificateOfAnUntrustedIssuerIsRefusedByNtAuth() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        TestCa rogue = new TestCa("Unreadable-Rogue-CA");
        assertRefused(externalBindRefused(rogue.issue(clientKey.getPublic(), unreadableUpn())), "NTAuth check", "CERT_E_UNTRUSTEDCA");
    }

    @Test
    void unreadableCertificateOfTheNtAuthCaIsRefusedAsUnreadable() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        assertRefused(externalBindRefused(issue(unreadableUpn())), "cannot be read", "subject alternative name");
        assertRefused(externalBindRefused(issue(new TestCa.Request().upn("administrator@contoso.com")
                .sidImplicitlyTagged(administratorSid()))), "cannot be read", "SID extension");
    }

    /** Sets (or with no values clears) {@code user}'s altSecurityIdentities, as an administrator does in ADUC's Name Mappings. */
    private static void altSecurityIdentities(String user, String... values) throws LDAPException {
        try (LDAPConnection admin = administrator()) {
            admin.modify(dc.names().user(user), new Modification(ModificationType.REPLACE, "altSecurityIdentities", values));
        }
    }

    private static String sidOf(String account) throws Exception {
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            return admin.usersAndComputers().sidOf(account).toString();
        }
    }

    @Test
    void certificateNamingAGroupLogsOnAsNoOne() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        String domainAdmins = domainSid.withRid(512).toString();
        assertRefused(whoAmI(issue(new TestCa.Request().upn("Domain Admins@contoso.com").sanUrlSid(domainAdmins))),
                "KDC_ERR_C_PRINCIPAL_UNKNOWN", "Domain Admins", "not a user or computer account");
    }

    @Test
    void issuerOnlyAltSecurityIdentitiesIsNotAKdcMapping() throws Exception {
        altSecurityIdentities("bob", "X509:<I>DC=com,DC=contoso,CN=Contoso-Test-CA");
        try {
            dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
            Result alice = whoAmI(issue(new TestCa.Request().upn("alice@contoso.com").sid(sidOf("alice"))));
            assertEquals("u:CONTOSO\\alice", alice.out().trim(), "alice's certificate at DC01 while bob holds an issuer-only "
                    + "altSecurityIdentities value of Contoso-Test-CA: " + alice);
            dc.certificateMapping(new CertificateMappingSettings(0, 0x18));
            TestCa.Request nameless = new TestCa.Request();
            nameless.subject = "CN=Anyone";
            assertRefused(whoAmI(issue(nameless)), "KDC_ERR_C_PRINCIPAL_UNKNOWN");
        } finally {
            altSecurityIdentities("bob");
        }
    }

    @Test
    void weakExplicitMappingOnAnotherAccountDoesNotTakeAStronglyMappedLogon() throws Exception {
        altSecurityIdentities("bob", "X509:<S>CN=Alice Smart Card");
        try {
            TestCa.Request request = new TestCa.Request().upn("alice@contoso.com").sid(sidOf("alice"));
            request.subject = "CN=Alice Smart Card";
            X509Certificate certificate = issue(request);
            for (int enforcement : new int[]{0, 1, 2}) {
                dc.certificateMapping(new CertificateMappingSettings(enforcement, 0x18));
                Result result = whoAmI(certificate);
                assertEquals("u:CONTOSO\\alice", result.out().trim(), "alice's certificate at DC01 under StrongCertificateBinding"
                        + "Enforcement " + enforcement + " while bob holds X509:<S> of its subject: " + result);
            }
        } finally {
            altSecurityIdentities("bob");
        }
    }

    @Test
    void weakMappingToSeveralAccountsWithoutASidIsRefusedAsAmbiguous() throws Exception {
        altSecurityIdentities("bob", "X509:<S>CN=Shared Card");
        altSecurityIdentities("carol", "X509:<S>CN=Shared Card");
        try {
            dc.certificateMapping(new CertificateMappingSettings(0, 0x18));
            TestCa.Request request = new TestCa.Request();
            request.subject = "CN=Shared Card";
            assertRefused(whoAmI(issue(request)), "maps weakly to 2 accounts", "bob", "carol");
        } finally {
            altSecurityIdentities("bob");
            altSecurityIdentities("carol");
        }
    }

    @Test
    void logonTokenOfACertificateLogonHoldsTheLinkedGroups() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        X509Certificate certificate = issue(new TestCa.Request().upn("alice@contoso.com").sid(sidOf("alice"))
                .issuancePolicies(ISSUANCE_POLICY));
        try (LDAPConnection connection = withCertificate(certificate)) {
            connection.bind(new EXTERNALBindRequest());
            com.unboundid.ldap.sdk.ExtendedResult result = connection.processExtendedOperation(
                    new com.unboundid.ldap.sdk.ExtendedRequest(org.pkilab.directory.client.LogonRequest.OID));
            assertEquals(ResultCode.SUCCESS, result.getResultCode(), result.getDiagnosticMessage());
            org.pkilab.directory.model.LogonToken token = org.pkilab.directory.model.LogonToken.read(
                    new String(result.getValue().getValue(), java.nio.charset.StandardCharsets.US_ASCII));
            assertTrue(token.sids().contains(SecurityIdentifier.parse(sidOf("ESC13 Operators"))),
                    "the logon token DC01 issues to alice's certificate logon holds ESC13 Operators, as its access checks do: "
                            + token.sids());
        }
    }

    @Test
    void issuancePolicyLinkedToAGlobalOrNonEmptyGroupAddsNothing() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        String global = "1.3.6.1.4.1.311.21.8.1.2.3.4.5.6.7.8.401";
        String crowded = "1.3.6.1.4.1.311.21.8.1.2.3.4.5.6.7.8.402";
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            admin.usersAndComputers().createGroup("ESC13 Global", GroupScope.GLOBAL, "linked, but global");
            admin.usersAndComputers().createGroup("ESC13 Crowded", GroupScope.UNIVERSAL, "linked, but has a member");
            admin.usersAndComputers().addMember("ESC13 Crowded", "bob");
        }
        try (LDAPConnection admin = administrator()) {
            for (String[] link : new String[][]{{"401.ESC13", global, "ESC13 Global"}, {"402.ESC13", crowded, "ESC13 Crowded"}}) {
                admin.add(DomainNames.child(link[0], dc.names().oid()), new Attribute("objectClass", "top", "msPKI-Enterprise-Oid"),
                        new Attribute("cn", link[0]), new Attribute("msPKI-Cert-Template-OID", link[1]),
                        new Attribute("displayName", link[0]), new Attribute("flags", "2"),
                        new Attribute("msDS-OIDToGroupLink", dc.names().user(link[2])));
            }
        }
        X509Certificate certificate = issue(new TestCa.Request().upn("alice@contoso.com").sid(sidOf("alice"))
                .issuancePolicies(global, crowded));
        try (LDAPConnection connection = withCertificate(certificate)) {
            connection.bind(new EXTERNALBindRequest());
            byte[][] groups = connection.getEntry(dc.names().user("alice"), "tokenGroups").getAttributeValueByteArrays("tokenGroups");
            for (String group : new String[]{"ESC13 Global", "ESC13 Crowded"}) {
                byte[] sid = SecurityIdentifier.parse(sidOf(group)).toBytes();
                assertTrue(groups == null || Arrays.stream(groups).noneMatch(g -> Arrays.equals(g, sid)),
                        "DC01 ignores the issuance policy link to " + group + " (not an empty universal group)");
            }
        }
    }

    /**
     * A CA published to NTAuth whose CRLs are {@code crls} under CN=CDP: each an array of one holder's
     * certificateRevocationList and, when there is a second element, its deltaRevocationList.
     */
    private static TestCa publishedCa(String name, java.util.function.Function<TestCa, java.security.cert.X509CRL[][]> crls)
            throws Exception {
        TestCa published = new TestCa(name);
        try (LDAPConnection admin = administrator()) {
            admin.modify(dc.names().ntAuthCertificates(), new Modification(ModificationType.ADD, "cACertificate",
                    published.certificate.getEncoded()));
            int server = 0;
            for (java.security.cert.X509CRL[] holder : crls.apply(published)) {
                String container = DomainNames.child(name + "-" + (++server), dc.names().cdp());
                admin.add(container, new Attribute("objectClass", "top", "container"), new Attribute("cn", name + "-" + server));
                Attribute base = new Attribute("certificateRevocationList", holder[0].getEncoded());
                admin.add(DomainNames.child(name, container), holder.length > 1
                        ? java.util.List.of(new Attribute("objectClass", "top", "cRLDistributionPoint"), new Attribute("cn", name), base,
                        new Attribute("deltaRevocationList", holder[1].getEncoded()))
                        : java.util.List.of(new Attribute("objectClass", "top", "cRLDistributionPoint"), new Attribute("cn", name), base));
            }
        }
        return published;
    }

    private static java.security.cert.X509CRL unchecked(java.util.concurrent.Callable<java.security.cert.X509CRL> crl) {
        try {
            return crl.call();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void expiredDeltaCrlIsRefusedAsRevocationOffline() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        Instant week = Instant.now().plus(Duration.ofDays(7));
        TestCa ca = publishedCa("Stale-Delta-CA", c -> new java.security.cert.X509CRL[][]{{unchecked(() -> c.crl(5, week)),
                unchecked(() -> c.deltaCrl(6, 5, Instant.now().minus(Duration.ofHours(1))))}});
        assertRefused(whoAmI(ca.issue(clientKey.getPublic(), new TestCa.Request().upn("administrator@contoso.com")
                .sid(administratorSid()))), "revocation check", "CRYPT_E_REVOCATION_OFFLINE", "delta CRL", "expired");
    }

    @Test
    void deltaCrlOfANewerBaseIsRefusedAsRevocationOffline() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        Instant week = Instant.now().plus(Duration.ofDays(7));
        TestCa ca = publishedCa("Mismatched-Delta-CA", c -> new java.security.cert.X509CRL[][]{{unchecked(() -> c.crl(5, week)),
                unchecked(() -> c.deltaCrl(9, 8, week))}});
        assertRefused(whoAmI(ca.issue(clientKey.getPublic(), new TestCa.Request().upn("administrator@contoso.com")
                .sid(administratorSid()))), "revocation check", "CRYPT_E_REVOCATION_OFFLINE", "base CRL number 8", "number 5");
    }

    @Test
    void theNewestBaseCrlDecidesRevocation() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        Instant week = Instant.now().plus(Duration.ofDays(7));
        java.security.cert.X509CRL[] old = new java.security.cert.X509CRL[1];
        X509Certificate[] revoked = new X509Certificate[1];
        TestCa ca = publishedCa("Two-Crl-CA", c -> {
            old[0] = unchecked(() -> c.crl(3, week));
            try {
                revoked[0] = c.issue(clientKey.getPublic(), new TestCa.Request().upn("administrator@contoso.com").sid(administratorSid()));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            c.revoke(revoked[0]);
            return new java.security.cert.X509CRL[][]{{old[0]}, {unchecked(() -> c.crl(4, week))}};
        });
        assertRefused(whoAmI(revoked[0]), "revocation check", "CRYPT_E_REVOKED");
    }

    @Test
    void aRefusedExternalBindAfterAnAcceptedOneLeavesTheConnectionAnonymous() throws Exception {
        dc.certificateMapping(new CertificateMappingSettings(1, 0x18));
        X509Certificate certificate = issue(new TestCa.Request().upn("bob@contoso.com").notBefore(bobCreated));
        try (LDAPConnection connection = withCertificate(certificate)) {
            connection.bind(new EXTERNALBindRequest());
            assertEquals("u:CONTOSO\\bob", ((WhoAmIExtendedResult) connection.processExtendedOperation(new WhoAmIExtendedRequest()))
                    .getAuthorizationID(), "bob's UPN-only certificate under StrongCertificateBindingEnforcement 1");
            dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
            LDAPException refused = org.junit.jupiter.api.Assertions.assertThrows(LDAPException.class,
                    () -> connection.bind(new EXTERNALBindRequest()));
            assertEquals(ResultCode.INVALID_CREDENTIALS, refused.getResultCode(), refused.getDiagnosticMessage());
            String who = ((WhoAmIExtendedResult) connection.processExtendedOperation(new WhoAmIExtendedRequest())).getAuthorizationID();
            assertTrue(who == null || who.isEmpty(), "after DC01 refused the second bind the connection is anonymous, not bob: " + who);
        }
    }

    @Test
    void certificateOfACaWithTheNtAuthCasNameButAnotherKeyIsRefused() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        TestCa impostor = new TestCa(ca.name);
        assertRefused(whoAmI(impostor.issue(clientKey.getPublic(), new TestCa.Request().upn("administrator@contoso.com")
                .sid(administratorSid()))), "NTAuth check", "CERT_E_UNTRUSTEDCA");
    }

    @Test
    void expiredCertificateIsRefused() throws Exception {
        dc.certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
        assertRefused(whoAmI(issue(new TestCa.Request().upn("administrator@contoso.com").sid(administratorSid())
                .notBefore(Instant.now().minus(Duration.ofDays(30))).notAfter(Instant.now().minus(Duration.ofDays(1))))),
                "validity check", "CERT_E_EXPIRED");
    }

    /** A connection to the LDAP port, secured with StartTLS, presenting {@code certificate} and the client key. */
    private static LDAPConnection withCertificate(X509Certificate certificate) throws Exception {
        KeyStore store = KeyFiles.keyStore(new KeyFiles.KeyEntry(clientKey.getPrivate(), new X509Certificate[]{certificate}),
                "changeit".toCharArray());
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, "changeit".toCharArray());
        SSLUtil tls = new SSLUtil(keys.getKeyManagers(), new javax.net.ssl.TrustManager[]{new TrustAllTrustManager()});
        LDAPConnection connection = new LDAPConnection("127.0.0.1", dc.ldapPort());
        assertEquals(ResultCode.SUCCESS, connection.processExtendedOperation(new StartTLSExtendedRequest(tls.createSSLContext()))
                .getResultCode(), "StartTLS at DC01");
        return connection;
    }

    /**
     * The consoles over an LDAPS connection that logged on with {@code certificate} (SASL EXTERNAL), as
     * {@code certipy auth -ldap-shell} does. The test does not check the DC's own certificate: it is the test CA's
     * client certificates under test here, and the DC serves its self-signed one.
     */
    private static DirectoryAdmin connectWithCertificate(String host, int ldapsPort, org.pkilab.directory.model.DomainNames names,
                                                         java.security.PrivateKey key, X509Certificate certificate) throws Exception {
        java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
        store.load(null, null);
        char[] password = "certificate-logon".toCharArray();
        store.setKeyEntry("logon", key, password, new X509Certificate[]{certificate});
        javax.net.ssl.KeyManagerFactory keys = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, password);
        com.unboundid.util.ssl.SSLUtil tls = new com.unboundid.util.ssl.SSLUtil(keys.getKeyManagers(),
                new javax.net.ssl.TrustManager[]{new com.unboundid.util.ssl.TrustAllTrustManager()});
        com.unboundid.ldap.sdk.LDAPConnection connection = new com.unboundid.ldap.sdk.LDAPConnection(tls.createSSLSocketFactory(), host, ldapsPort);
        try {
            connection.bind(new com.unboundid.ldap.sdk.EXTERNALBindRequest());
            String who = ((com.unboundid.ldap.sdk.extensions.WhoAmIExtendedResult) connection.processExtendedOperation(
                    new com.unboundid.ldap.sdk.extensions.WhoAmIExtendedRequest())).getAuthorizationID();
            com.unboundid.ldap.sdk.SearchResultEntry entry = connection.searchForEntry(names.domain(), com.unboundid.ldap.sdk.SearchScope.SUB,
                    com.unboundid.ldap.sdk.Filter.createEqualityFilter("sAMAccountName", who.substring(who.indexOf('\\') + 1)), "1.1");
            return DirectoryAdmin.over(connection, names, entry.getDN());
        } catch (com.unboundid.ldap.sdk.LDAPException e) {
            connection.close();
            throw new org.pkilab.directory.client.DirectoryException(e.getResultCode().intValue(), e.getDiagnosticMessage(), e);
        }
    }
}
