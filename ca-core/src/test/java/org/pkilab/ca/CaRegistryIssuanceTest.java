package org.pkilab.ca;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1TaggedObject;
import org.bouncycastle.asn1.ASN1UTF8String;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.DomainControllerConfig;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.enrollment.CaRegistrySettings;
import org.pkilab.enrollment.EstClient;
import org.pkilab.enrollment.EstTransport;
import org.pkilab.pki.KeyFiles;
import org.pkilab.testing.ExternalTool;
import org.pkilab.windows.WindowsError;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CA's registry settings and the template settings behind ESC2, ESC6, ESC9, ESC15 and ESC16, seen in the
 * certificates the CA issues: each read back with Bouncy Castle, and one with {@code openssl x509 -text}.
 */
class CaRegistryIssuanceTest {

    private static final String PASSWORD = "Lab-Passw0rd!";
    private static final String SAN = "2.5.29.17";
    private static final String EKU = "2.5.29.37";
    private static final String UPN = "1.3.6.1.4.1.311.20.2.3";
    private static DomainController dc;
    private static CertificationAuthority ca;
    private static DirectoryAdmin admin;
    private static LogonToken mallory;
    private static LogonToken administrator;

    @BeforeAll
    static void startLab() {
        dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
        ca = CertificationAuthority.start(CertificationAuthorityConfig.builder(dc.names())
                .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD).build());
        admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD);
        admin.usersAndComputers().createUser("mallory", PASSWORD);
        admin.usersAndComputers().setMail("mallory", "mallory@contoso.com");
        mallory = DomainLogon.logon("127.0.0.1", dc.ldapPort(), dc.names().user("mallory"), PASSWORD).token();
        administrator = DomainLogon.logon("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD).token();
    }

    @AfterAll
    static void stopLab() {
        admin.close();
        ca.close();
        dc.close();
    }

    @AfterEach
    void newCaSettings() {
        ca.changeRegistry("policy\\EditFlags", "0x" + Integer.toHexString(CaRegistrySettings.DEFAULT_EDIT_FLAGS), "test");
        ca.changeRegistry("policy\\DisableExtensionList", "", "test");
    }

    /** A PKCS #10 request as certreq makes it: optional SAN extension, Application Policies extension and request attribute. */
    private static byte[] request(String subject, List<GeneralName> altNames, List<String> applicationPolicies, String sanAttribute) {
        try {
            KeyPair key = Csrs.rsa(2048);
            JcaPKCS10CertificationRequestBuilder builder = new JcaPKCS10CertificationRequestBuilder(new X500Name(subject), key.getPublic());
            ExtensionsGenerator extensions = new ExtensionsGenerator();
            if (!altNames.isEmpty()) {
                extensions.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(altNames.toArray(new GeneralName[0])));
            }
            if (!applicationPolicies.isEmpty()) {
                extensions.addExtension(new ASN1ObjectIdentifier(Pkcs10Request.APPLICATION_POLICIES), false, new DERSequence(
                        applicationPolicies.stream().map(oid -> new DERSequence(new ASN1ObjectIdentifier(oid))).toArray(ASN1Encodable[]::new)));
            }
            if (!extensions.isEmpty()) {
                builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate());
            }
            if (sanAttribute != null) {
                builder.addAttribute(new ASN1ObjectIdentifier(Pkcs10Request.NAME_VALUE_PAIR),
                        new DERSequence(new ASN1Encodable[]{new DERBMPString("SAN"), new DERBMPString(sanAttribute)}));
            }
            return builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(key.getPrivate())).getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509CertificateHolder issued(LogonToken requester, String template, byte[] csr) throws Exception {
        EnrollmentResult result = ca.submit(EnrollmentRequest.manual(requester, template, csr));
        assertTrue(result.issued(), requester.account() + " enrolling for " + template + " on " + ca.name() + ": " + result.status() + " "
                + (result.decision() == null ? "" : result.decision().explain()));
        return new X509CertificateHolder(result.certificate().getEncoded());
    }

    /** The UPNs in the certificate's SAN. */
    private static List<String> upns(X509CertificateHolder certificate) {
        List<String> upns = new ArrayList<>();
        GeneralNames names = GeneralNames.fromExtensions(certificate.getExtensions(), Extension.subjectAlternativeName);
        for (GeneralName name : names == null ? new GeneralName[0] : names.getNames()) {
            if (name.getTagNo() == GeneralName.otherName && ASN1Sequence.getInstance(name.getName()).getObjectAt(0).toString().equals(UPN)) {
                ASN1TaggedObject value = ASN1TaggedObject.getInstance(ASN1Sequence.getInstance(name.getName()).getObjectAt(1));
                upns.add(ASN1UTF8String.getInstance(value.getExplicitBaseObject()).getString());
            }
        }
        return upns;
    }

    private static List<String> applicationPolicies(X509CertificateHolder certificate) {
        Extension extension = certificate.getExtension(new ASN1ObjectIdentifier(Pkcs10Request.APPLICATION_POLICIES));
        List<String> oids = new ArrayList<>();
        if (extension != null) {
            for (ASN1Encodable policy : ASN1Sequence.getInstance(extension.getParsedValue())) {
                oids.add(ASN1ObjectIdentifier.getInstance(ASN1Sequence.getInstance(policy).getObjectAt(0)).getId());
            }
        }
        return oids;
    }

    private static boolean hasSidExtension(X509CertificateHolder certificate) {
        return certificate.getExtension(new ASN1ObjectIdentifier(CaRegistrySettings.SID_EXTENSION)) != null;
    }

    private static String sidIn(X509CertificateHolder certificate) {
        Extension extension = certificate.getExtension(new ASN1ObjectIdentifier(CaRegistrySettings.SID_EXTENSION));
        GeneralName name = GeneralNames.getInstance(extension.getParsedValue()).getNames()[0];
        ASN1TaggedObject value = ASN1TaggedObject.getInstance(ASN1Sequence.getInstance(name.getName()).getObjectAt(1));
        return new String(org.bouncycastle.asn1.ASN1OctetString.getInstance(value.getExplicitBaseObject()).getOctets(), StandardCharsets.US_ASCII);
    }

    private static String duplicated(String source, String displayName) {
        CertificateTemplate copy = admin.templates().duplicate(source, displayName, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        ca.issueTemplate(copy.name());
        return copy.name();
    }

    // ---- ESC6 ------------------------------------------------------------------------------------

    @Test
    void withAttributeSubjectAltName2TheSanAttributeNamesAdministratorOnTheUserTemplateButTheSidStaysTheRequesters() throws Exception {
        ca.changeRegistry("policy\\EditFlags", "+EDITF_ATTRIBUTESUBJECTALTNAME2", "CONTOSO\\Administrator");
        X509CertificateHolder certificate = issued(mallory, "User", request("", List.of(), List.of(), "upn=administrator@contoso.com"));
        assertEquals(List.of("administrator@contoso.com"), upns(certificate),
                "EDITF_ATTRIBUTESUBJECTALTNAME2: the SAN attribute's UPN replaces the one User builds from CONTOSO\\mallory");
        assertTrue(certificate.getSubject().toString().contains("CN=mallory"), "the subject is still built from AD: " + certificate.getSubject());
        assertEquals(mallory.sid().toString(), sidIn(certificate),
                "the SID extension still names the requester, which is why ESC6 alone fails under strong mapping");
    }

    @Test
    void withoutTheFlagTheSanAttributeIsIgnored() throws Exception {
        X509CertificateHolder certificate = issued(mallory, "User", request("", List.of(), List.of(), "upn=administrator@contoso.com"));
        assertEquals(List.of("mallory@contoso.com"), upns(certificate), "a new CA ignores the SAN attribute: the UPN is mallory's own");
    }

    @Test
    void onASupplyInTheRequestTemplateTheSanAttributeAloneNamesTheCertificate() throws Exception {
        ca.changeRegistry("policy\\EditFlags", "+EDITF_ATTRIBUTESUBJECTALTNAME2", "test");
        X509CertificateHolder certificate = issued(administrator, "WebServer", request("", List.of(), List.of(),
                "upn=administrator@contoso.com&dns=web.contoso.com"));
        assertEquals(List.of("administrator@contoso.com"), upns(certificate));
        assertEquals(2, GeneralNames.fromExtensions(certificate.getExtensions(), Extension.subjectAlternativeName).getNames().length,
                "the UPN and the DNS name, in the attribute's order");
    }

    @Test
    void sanAttributeNamesGoThroughTheChecksOfAnySuppliedName() {
        ca.changeRegistry("policy\\EditFlags", "+EDITF_ATTRIBUTESUBJECTALTNAME2", "test");
        for (String bad : List.of("dns=bad name.contoso.com", "upn=", "guid=1234", "upn:administrator@contoso.com")) {
            EnrollmentResult refused = ca.submit(EnrollmentRequest.manual(mallory, "User", request("", List.of(), List.of(), bad)));
            assertFalse(refused.issued(), "SAN:" + bad + " should be refused");
            assertEquals(WindowsError.CERTSRV_E_BAD_REQUESTSUBJECT, refused.decision().error(), "SAN:" + bad + ": " + refused.decision().explain());
        }
    }

    // ---- SID as SAN URL ---------------------------------------------------------------------------

    @Test
    void aSuppliedSidUrlLandsInTheCertificateAsRequested() throws Exception {
        String url = "tag:microsoft.com,2022-09-14:sid:" + administrator.sid();
        X509CertificateHolder certificate = issued(administrator, "WebServer", request("CN=web.contoso.com",
                List.of(new GeneralName(GeneralName.dNSName, "web.contoso.com"), new GeneralName(GeneralName.uniformResourceIdentifier, url)),
                List.of(), null));
        List<String> uris = new ArrayList<>();
        for (GeneralName name : GeneralNames.fromExtensions(certificate.getExtensions(), Extension.subjectAlternativeName).getNames()) {
            if (name.getTagNo() == GeneralName.uniformResourceIdentifier) {
                uris.add(name.getName().toString());
            }
        }
        assertEquals(List.of(url), uris, "the KB5014754 SAN URL of an enrollee-supplied request, kept as sent");
    }

    // ---- ESC16 ------------------------------------------------------------------------------------

    @Test
    void theSidExtensionOnDisableExtensionListIsInNoCertificateAsOpensslShows(@TempDir Path dir) throws Exception {
        assertTrue(hasSidExtension(issued(mallory, "User", request("", List.of(), List.of(), null))), "a new CA adds the SID extension");
        ca.changeRegistry("policy\\DisableExtensionList", "+" + CaRegistrySettings.SID_EXTENSION, "CONTOSO\\Administrator");
        X509CertificateHolder certificate = issued(mallory, "User", request("", List.of(), List.of(), null));
        assertFalse(hasSidExtension(certificate), "DisableExtensionList holds 1.3.6.1.4.1.311.25.2: no SID extension");
        assertEquals(List.of("mallory@contoso.com"), upns(certificate), "the rest of the certificate is as before");
        Files.write(dir.resolve("user.pem"), KeyFiles.pem("CERTIFICATE", certificate.getEncoded()).getBytes(StandardCharsets.US_ASCII));
        ExternalTool.Result text = ExternalTool.run(dir, Map.of(), null, "openssl", "x509", "-in", "user.pem", "-noout", "-text");
        assertEquals(0, text.exit(), text.toString());
        assertTrue(text.out().contains("X509v3 Subject Alternative Name"), text.out());
        assertFalse(text.out().contains("1.3.6.1.4.1.311.25.2"), "openssl finds no SID extension:\n" + text.out());
    }

    // ---- ESC9 -------------------------------------------------------------------------------------

    @Test
    void aTemplateWithNoSecurityExtensionLeavesTheSidOut() throws Exception {
        String template = duplicated("User", "User Without SID");
        admin.templates().setNoSecurityExtension(template, true);
        ca.reloadTemplates();
        X509CertificateHolder certificate = issued(mallory, template, request("", List.of(), List.of(), null));
        assertFalse(hasSidExtension(certificate), "CT_FLAG_NO_SECURITY_EXTENSION on " + template);
        assertEquals(List.of("mallory@contoso.com"), upns(certificate));
    }

    // ---- ESC15 ------------------------------------------------------------------------------------

    @Test
    void aSchemaOneTemplateCopiesTheRequestsApplicationPolicies() throws Exception {
        X509CertificateHolder certificate = issued(administrator, "WebServer", request("CN=Administrator", List.of(),
                List.of(CertificateTemplate.OID_CLIENT_AUTHENTICATION), null));
        assertEquals(List.of(CertificateTemplate.OID_CLIENT_AUTHENTICATION), applicationPolicies(certificate),
                "CVE-2024-49019: Web Server (schema 1) lets the request's Client Authentication in");
        assertEquals(List.of(KeyPurposeId.id_kp_serverAuth), List.of(ExtendedKeyUsage.fromExtensions(certificate.getExtensions()).getUsages()),
                "the EKU stays the template's");
    }

    @Test
    void aSchemaTwoTemplateKeepsItsOwnApplicationPolicies() throws Exception {
        String template = duplicated("Web Server", "Web Server Version Two");
        X509CertificateHolder certificate = issued(administrator, template, request("CN=Administrator", List.of(),
                List.of(CertificateTemplate.OID_CLIENT_AUTHENTICATION), null));
        assertEquals(List.of(CertificateTemplate.OID_SERVER_AUTHENTICATION), applicationPolicies(certificate),
                "a schema 2 template's application policies are its own, whatever the request asks");
    }

    // ---- ESC2 -------------------------------------------------------------------------------------

    @Test
    void anAnyPurposeTemplateIssuesAnyExtendedKeyUsage() throws Exception {
        String template = duplicated("Web Server", "Any Purpose Server");
        admin.templates().setExtendedKeyUsages(template, List.of(CertificateTemplate.OID_ANY_PURPOSE));
        ca.reloadTemplates();
        X509CertificateHolder certificate = issued(administrator, template, request("CN=web.contoso.com", List.of(), List.of(), null));
        assertEquals(List.of(KeyPurposeId.anyExtendedKeyUsage), List.of(ExtendedKeyUsage.fromExtensions(certificate.getExtensions()).getUsages()));
        assertEquals(List.of(CertificateTemplate.OID_ANY_PURPOSE), applicationPolicies(certificate));
    }

    @Test
    void aTemplateWithoutApplicationPoliciesIssuesNoEkuAtAll() throws Exception {
        String template = duplicated("Web Server", "No EKU Server");
        admin.templates().setExtendedKeyUsages(template, List.of());
        ca.reloadTemplates();
        X509CertificateHolder certificate = issued(administrator, template, request("CN=web.contoso.com", List.of(), List.of(), null));
        assertNull(certificate.getExtension(new ASN1ObjectIdentifier(EKU)), "no EKU extension: any purpose");
        assertEquals(List.of(), applicationPolicies(certificate), "and no Application Policies either");
    }

    // ---- the administration interface ---------------------------------------------------------------

    @Test
    void administratorReadsAndChangesTheRegistryOverTheAdministrationInterface() throws Exception {
        String authorization = EstClient.basic("Administrator", PASSWORD);
        EstTransport.Response read = CaHttps.admin(ca, "GET", "registry", authorization);
        assertEquals(200, read.status(), read.text());
        assertTrue(read.text().contains("\"EDITF_REQUESTEXTENSIONLIST\"") && read.text().contains("\"ca\":\"" + ca.name() + "\""), read.text());
        EstTransport.Response changed = CaHttps.admin(ca, "POST", "registry?name=policy%5CEditFlags&change=%2BEDITF_ATTRIBUTESUBJECTALTNAME2",
                authorization);
        assertEquals(200, changed.status(), changed.text());
        assertTrue(ca.registrySettings().has(CaRegistrySettings.EditFlag.EDITF_ATTRIBUTESUBJECTALTNAME2), changed.text());
    }

    @Test
    void aDomainUserMayNotChangeTheRegistry() throws Exception {
        EstTransport.Response refused = CaHttps.admin(ca, "POST", "registry?name=policy%5CEditFlags&change=%2BEDITF_ATTRIBUTESUBJECTALTNAME2",
                EstClient.basic("mallory", PASSWORD));
        assertEquals(403, refused.status(), refused.text());
        assertTrue(refused.text().contains("E_ACCESSDENIED") && refused.text().contains("Manage CA"), refused.text());
        assertFalse(ca.registrySettings().has(CaRegistrySettings.EditFlag.EDITF_ATTRIBUTESUBJECTALTNAME2), "nothing changed");
    }

    @Test
    void aWrongFlagNameIsRefusedAndChangesNothing() throws Exception {
        CaRegistrySettings before = ca.registrySettings();
        EstTransport.Response refused = CaHttps.admin(ca, "POST", "registry?name=policy%5CEditFlags&change=%2BEDITF_ATTRIBUTESUBJECTALTNAME",
                EstClient.basic("Administrator", PASSWORD));
        assertEquals(400, refused.status(), refused.text());
        assertTrue(refused.text().contains("E_INVALIDARG") && refused.text().contains("EDITF_ATTRIBUTESUBJECTALTNAME'"), refused.text());
        assertEquals(before, ca.registrySettings());
    }

    @Test
    void aPlusSentUnencodedReadsAsASpaceAndIsRefusedRatherThanReplacingEditFlags() throws Exception {
        CaRegistrySettings before = ca.registrySettings();
        EstTransport.Response refused = CaHttps.admin(ca, "POST", "registry?name=policy%5CEditFlags&change=+EDITF_ATTRIBUTESUBJECTALTNAME2",
                EstClient.basic("Administrator", PASSWORD));
        assertEquals(400, refused.status(), refused.text());
        assertTrue(refused.text().contains("E_INVALIDARG") && refused.text().contains("%2B"),
                "the refusal says to encode '+' as %2B: " + refused.text());
        assertEquals(before, ca.registrySettings(), "EditFlags kept every flag it had");
    }

    @Test
    void aDataFolderWhoseRegistryFileIsDamagedStopsTheStartNamingTheFile(@TempDir Path data) throws Exception {
        Files.createDirectories(data);
        Files.writeString(data.resolve(CertificationAuthority.REGISTRY_FILE), "{\"EditFlags\": \"EDITF_ATTRIBUTESUBJECTALTNAME2\"}");
        CertificationAuthorityConfig config = CertificationAuthorityConfig.builder(dc.names()).caName("contoso-CA03-CA").hostName("CA03")
                .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD).dataDirectory(data).build();
        IllegalStateException refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> CertificationAuthority.start(config).close());
        assertTrue(refused.getMessage().contains(CertificationAuthority.REGISTRY_FILE) && refused.getMessage().contains("REG_DWORD"),
                refused.getMessage());
    }

    @Test
    void aChangedSettingIsKeptAcrossARestart(@TempDir Path data) {
        CertificationAuthorityConfig config = CertificationAuthorityConfig.builder(dc.names()).caName("contoso-CA02-CA").hostName("CA02")
                .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD).dataDirectory(data).build();
        try (CertificationAuthority second = CertificationAuthority.start(config)) {
            assertEquals(CaRegistrySettings.DEFAULT, second.registrySettings(), "a new CA starts with a new CA's settings");
            second.changeRegistry("policy\\DisableExtensionList", "+" + CaRegistrySettings.SID_EXTENSION, "test");
        }
        try (CertificationAuthority second = CertificationAuthority.start(config)) {
            assertTrue(second.registrySettings().disables(CaRegistrySettings.SID_EXTENSION),
                    "started again on its data folder, CA02 keeps DisableExtensionList: " + second.registrySettings());
        }
    }
}
