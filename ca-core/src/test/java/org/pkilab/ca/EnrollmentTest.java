package org.pkilab.ca;

import org.pkilab.enrollment.EstAnswer;
import org.pkilab.enrollment.EstClient;
import org.pkilab.windows.WindowsError;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.DEROctetString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.DomainControllerConfig;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.pki.KeyFiles;

import java.security.KeyPair;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Enrollment over real HTTPS with real CSRs: every refusal of the policy module, asserted by its code. */
class EnrollmentTest {

    static final String PASSWORD = "Lab-Passw0rd!";
    static final String WEB = "ConfigMgr Web Server Certificate";
    static final String WEB_CN = "ConfigMgrWebServerCertificate";
    private static DomainController dc;
    private static CertificationAuthority ca;
    private static DirectoryAdmin admin;
    private static EstClient est;

    @BeforeAll
    static void startLab() {
        dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
        ca = CertificationAuthority.start(CertificationAuthorityConfig.builder(dc.names())
                .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD).build());
        admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD);
        est = CaHttps.est(ca);
        // the guide's web server template, duplicated and secured but not yet issued
        admin.usersAndComputers().createGroup("ConfigMgr IIS Servers");
        admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", PASSWORD);
        admin.usersAndComputers().addMember("ConfigMgr IIS Servers", "IIS01$");
        admin.templates().duplicate("Web Server", WEB, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        admin.security().clearAllow(WEB, "Domain Admins", AccessRight.ENROLL);
        admin.security().clearAllow(WEB, "Enterprise Admins", AccessRight.ENROLL);
        admin.security().allow(WEB, "ConfigMgr IIS Servers", AccessRight.READ, AccessRight.ENROLL);
    }

    @AfterAll
    static void stopLab() {
        admin.close();
        ca.close();
        dc.close();
    }

    private static String iis01() {
        return EstClient.basic("IIS01$", PASSWORD);
    }

    private static byte[] webRequest(String... names) {
        return Csrs.request(Csrs.rsa(2048), "", names);
    }

    @Test
    void aFreshCaIssuesTheWindowsDefaultsButNotWorkstationAuthentication() {
        assertTrue(ca.templatesToIssue().containsAll(List.of("KerberosAuthentication", "WebServer", "Machine", "User")),
                ca.templatesToIssue().toString());
        assertTrue(ca.templatesToIssue().stream().noneMatch("Workstation"::equalsIgnoreCase));
        assertEquals("contoso-CA01-CA", ca.name());
        assertEquals("CN=contoso-CA01-CA,DC=contoso,DC=com", ca.certificate().getSubjectX500Principal().getName());
    }

    @Test
    void theDcAutoenrollsForKerberosAuthenticationNamedByItsDnsNameAndTheDomainsWithNoSubject() throws Exception {
        EnrollmentResult result = ca.submit(new EnrollmentRequest(dc.machineToken(), "KerberosAuthentication",
                Csrs.request(Csrs.rsa(2048), ""), true, null));
        assertTrue(result.issued(), "DC01$ autoenrolling for Kerberos Authentication: " + result.status() + " "
                + (result.decision() == null ? "" : result.decision().explain()));
        X509Certificate cert = result.certificate();
        assertEquals("", cert.getSubjectX500Principal().getName());
        assertEquals(List.of("dc01.contoso.com", "contoso.com"),
                cert.getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))).toList());
        assertTrue(cert.getCriticalExtensionOIDs().contains("2.5.29.17"), "RFC 5280: with no subject the SAN is critical");
    }

    @Test
    void aMemberServerMayNotEnrollForKerberosAuthentication() throws Exception {
        LogonToken iis01 = DomainLogon.logon("127.0.0.1", dc.ldapPort(), dc.names().computer("IIS01"), PASSWORD).token();
        EnrollmentResult result = ca.submit(EnrollmentRequest.manual(iis01, "KerberosAuthentication", Csrs.request(Csrs.rsa(2048), "")));
        assertFalse(result.issued(), "IIS01$ is no domain controller");
        assertEquals(WindowsError.CERTSRV_E_TEMPLATE_DENIED, result.decision().error(), result.decision().explain());
    }

    @Test
    void theCasOwnWebServerCertificateIsARequestRecordedLikeAnyOther() throws Exception {
        List<RequestRecord> ownRequests = ca.issued().stream().filter(r -> r.requester().endsWith("\\CA01$")).toList();
        assertEquals(java.util.Set.of("WebServer", "OCSPResponseSigning", "CEPEncryption", "EnrollmentAgentOffline"), ownRequests.stream()
                .map(RequestRecord::template).collect(java.util.stream.Collectors.toSet()),
                "CA01$'s own certificates: its web server's, its Online Responder's and NDES's two RA certificates");
        RequestRecord own = ownRequests.stream().filter(r -> r.template().equals("WebServer")).findFirst().orElseThrow();
        assertTrue(own.csr().length > 0, "CA01$'s Web Server certificate records the PKCS #10 request it was made from");
        org.bouncycastle.pkcs.PKCS10CertificationRequest request = new org.bouncycastle.pkcs.PKCS10CertificationRequest(own.csr());
        X509Certificate certificate = (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificate(new java.io.ByteArrayInputStream(own.certificate()));
        assertEquals("CN=ca01.contoso.com", certificate.getSubjectX500Principal().getName(), "named as CA01$ asked");
        assertTrue(java.util.Arrays.equals(request.getSubjectPublicKeyInfo().getEncoded(), certificate.getPublicKey().getEncoded()),
                "CA01$'s web-server certificate certifies the key of the request recorded with it");
    }

    @Test
    void cacertsReturnsTheCaCertificate() throws Exception {
        EstAnswer reply = est.cacerts();
        assertEquals(200, reply.status(), reply.text());
        assertTrue(reply.contentType().startsWith("application/pkcs7-mime"), reply.contentType());
        assertEquals(ca.certificate(), reply.certificate());
    }

    @Test
    void templateDuplicatedButNotIssuedIsRefusedWithUnsupportedCertType() throws Exception {
        admin.templates().duplicate("Web Server", "Lab Not Issued", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        EstAnswer reply = est.simpleEnroll("LabNotIssued", EstClient.basic("Administrator", PASSWORD), webRequest("x.contoso.com"));
        assertEquals(404, reply.status(), reply.text());
        assertEquals("0x80094800 CERTSRV_E_UNSUPPORTED_CERT_TYPE", reply.errorHeader());
        assertTrue(reply.text().contains("Certificate Template to Issue"), reply.text());
    }

    @Test
    void unknownTemplateIsRefusedWithUnsupportedCertType() throws Exception {
        EstAnswer reply = est.simpleEnroll("NoSuchTemplate", iis01(), webRequest("iis01.contoso.com"));
        assertEquals("0x80094800 CERTSRV_E_UNSUPPORTED_CERT_TYPE", reply.errorHeader(), reply.text());
    }

    @Test
    void webServerCertificateKeepsTheRequestedNamesInOrder() throws Exception {
        ca.issueTemplate(WEB);
        EstAnswer reply = est.simpleEnroll(WEB_CN, iis01(), webRequest("server1.internal.contoso.com", "server.contoso.com"));
        assertEquals(200, reply.status(), reply.text());
        X509Certificate cert = reply.certificate();
        assertEquals(List.of("server1.internal.contoso.com", "server.contoso.com"),
                cert.getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))).toList());
        assertEquals(List.of(CertificateTemplate.OID_SERVER_AUTHENTICATION), cert.getExtendedKeyUsage());
        CertificateTemplate template = admin.templates().get(WEB);
        ASN1Sequence info = ASN1Sequence.getInstance(DEROctetString.getInstance(
                cert.getExtensionValue(CertificateSigner.TEMPLATE_INFORMATION.getId())).getOctets());
        assertEquals(new ASN1ObjectIdentifier(template.oid()), info.getObjectAt(0), "Certificate Template Information names the template OID");
        cert.verify(ca.certificate().getPublicKey());
        assertEquals(cert.getSerialNumber(), ca.bySerial(cert.getSerialNumber()).orElseThrow().serial());
        assertEquals(RequestStatus.ISSUED, ca.bySerial(cert.getSerialNumber()).orElseThrow().status());
    }

    @Test
    void computerOutsideTheGroupIsRefusedWithTemplateDenied() throws Exception {
        ca.issueTemplate(WEB);
        admin.usersAndComputers().createComputer("PC07", "pc07.contoso.com", PASSWORD);
        EstAnswer reply = est.simpleEnroll(WEB_CN, EstClient.basic("PC07$", PASSWORD), webRequest("pc07.contoso.com"));
        assertEquals(403, reply.status(), reply.text());
        assertEquals("0x80094012 CERTSRV_E_TEMPLATE_DENIED", reply.errorHeader());
        assertTrue(reply.text().contains("CONTOSO\\PC07$") && reply.text().contains("Domain Computers"), reply.text());
        RequestRecord denied = ca.failed().stream().filter(r -> r.requester().equals("CONTOSO\\PC07$")).findFirst().orElseThrow();
        assertEquals(RequestStatus.DENIED, denied.status());
        assertEquals(WindowsError.CERTSRV_E_TEMPLATE_DENIED.hresult(), denied.dispositionCode());
    }

    @Test
    void domainAdminsNoLongerEnrollAfterTheGuideRemovedTheirRight() throws Exception {
        ca.issueTemplate(WEB);
        EstAnswer reply = est.simpleEnroll(WEB_CN, EstClient.basic("Administrator", PASSWORD), webRequest("admin.contoso.com"));
        assertEquals("0x80094012 CERTSRV_E_TEMPLATE_DENIED", reply.errorHeader(), reply.text());
    }

    @Test
    void groupChangeCountsOnlyAfterTheComputerLogsOnAgain() {
        ca.issueTemplate(WEB);
        admin.usersAndComputers().createComputer("IIS02", "iis02.contoso.com", PASSWORD);
        LogonToken bootToken = DomainLogon.logon("127.0.0.1", dc.ldapPort(), dc.names().computer("IIS02"), PASSWORD).token();
        admin.usersAndComputers().addMember("ConfigMgr IIS Servers", "IIS02$");
        EnrollmentResult before = ca.submit(EnrollmentRequest.manual(bootToken, WEB_CN, webRequest("iis02.contoso.com")));
        assertEquals(WindowsError.CERTSRV_E_TEMPLATE_DENIED, before.error());
        LogonToken afterRestart = DomainLogon.logon("127.0.0.1", dc.ldapPort(), dc.names().computer("IIS02"), PASSWORD).token();
        assertTrue(ca.submit(EnrollmentRequest.manual(afterRestart, WEB_CN, webRequest("iis02.contoso.com"))).issued());
    }

    @Test
    void aDenyThatWinsIsFixedByClearingTheDenyOrLeavingTheGroupNotByAnotherAllow() {
        String template = "ConfigMgr Kiosk Web Certificate";
        admin.templates().duplicate("Web Server", template, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        admin.usersAndComputers().createGroup("Kiosk Servers");
        admin.usersAndComputers().createComputer("IIS03", "iis03.contoso.com", PASSWORD);
        admin.usersAndComputers().addMember("ConfigMgr IIS Servers", "IIS03$");
        admin.usersAndComputers().addMember("Kiosk Servers", "IIS03$");
        admin.security().allow(template, "ConfigMgr IIS Servers", AccessRight.READ, AccessRight.ENROLL);
        admin.security().deny(template, "Kiosk Servers", AccessRight.ENROLL);
        ca.issueTemplate(template);
        LogonToken token = DomainLogon.logon("127.0.0.1", dc.ldapPort(), dc.names().computer("IIS03"), PASSWORD).token();
        EnrollmentResult denied = ca.submit(EnrollmentRequest.manual(token, template.replace(" ", ""), webRequest("iis03.contoso.com")));
        assertEquals(WindowsError.CERTSRV_E_TEMPLATE_DENIED, denied.error());
        String fix = denied.decision().fix();
        assertTrue(fix.contains("clear Deny Enroll for CONTOSO\\Kiosk Servers, or take CONTOSO\\IIS03$ out of CONTOSO\\Kiosk Servers"), fix);
        assertFalse(fix.contains("allow Enroll"), "IIS03$ already holds an Allow; another cannot beat the Deny: " + fix);
    }

    @Test
    void bearerLogonTokenFromTheDcAuthenticatesAndAForgedOneDoesNot() throws Exception {
        ca.issueTemplate(WEB);
        String token = DomainLogon.logon("127.0.0.1", dc.ldapPort(), dc.names().computer("IIS01"), PASSWORD).encoded();
        assertEquals(200, est.simpleEnroll(WEB_CN, "Bearer " + token, webRequest("iis01.contoso.com")).status());
        String forged = token.substring(0, token.length() - 8) + "AAAAAAAA";
        assertEquals(401, est.simpleEnroll(WEB_CN, "Bearer " + forged, webRequest("iis01.contoso.com")).status());
    }

    @Test
    void keyBelowTheTemplateMinimumIsRefusedWithKeyLength() throws Exception {
        ca.issueTemplate(WEB);
        EstAnswer reply = est.simpleEnroll(WEB_CN, iis01(), Csrs.request(Csrs.rsa(1024), "", "iis01.contoso.com"));
        assertEquals(400, reply.status(), reply.text());
        assertEquals("0x80094811 CERTSRV_E_KEY_LENGTH", reply.errorHeader());
        assertTrue(reply.text().contains("1024-bit") && reply.text().contains("2048"), reply.text());
    }

    /** The guide's client template duplicated as Windows 2008 (CNG) with ECDSA_P256, issued, Domain Computers Read + Enroll. */
    private static String eccTemplate(String displayName) {
        admin.templates().duplicate("Workstation Authentication", displayName, TemplateCompatibility.WINDOWS_2008_SERVER_ENTERPRISE);
        admin.templates().setKeyAlgorithm(displayName, org.pkilab.directory.model.KeyAlgorithm.ECDSA_P256, 256);
        admin.security().allow(displayName, "Domain Computers", AccessRight.READ, AccessRight.ENROLL);
        ca.issueTemplate(displayName);
        return displayName.replace(" ", "");
    }

    @Test
    void ecdsaP256TemplateIssuesForAP256Key() throws Exception {
        String template = eccTemplate("Lab ECC Issued");
        EstAnswer reply = est.simpleEnroll(template, iis01(), Csrs.request(Csrs.ec("secp256r1"), ""));
        assertEquals(200, reply.status(), reply.text());
        X509Certificate cert = reply.certificate();
        assertEquals("EC", cert.getPublicKey().getAlgorithm());
        assertTrue(cert.getKeyUsage()[0] && !cert.getKeyUsage()[2], "Digital signature, no Key encipherment: "
                + java.util.Arrays.toString(cert.getKeyUsage()));
        cert.verify(ca.certificate().getPublicKey());
    }

    @Test
    void ecdsaP256TemplateRefusesAnRsaKeyWithKeyLength() throws Exception {
        String template = eccTemplate("Lab ECC Refuses RSA");
        EstAnswer reply = est.simpleEnroll(template, iis01(), Csrs.request(Csrs.rsa(2048), ""));
        assertEquals(400, reply.status(), reply.text());
        assertEquals("0x80094811 CERTSRV_E_KEY_LENGTH", reply.errorHeader(), reply.text());
        assertTrue(reply.text().contains("ECDSA_P256"), "the refusal names what the template asks for: " + reply.text());
    }

    @Test
    void ecdsaP256TemplateRefusesAP384KeyWithKeyLength() throws Exception {
        String template = eccTemplate("Lab ECC Refuses P384");
        EstAnswer reply = est.simpleEnroll(template, iis01(), Csrs.request(Csrs.ec("secp384r1"), ""));
        assertEquals("0x80094811 CERTSRV_E_KEY_LENGTH", reply.errorHeader(), reply.text());
    }

    @Test
    void legacyCspTemplateRefusesAnEcKeyWithKeyLength() throws Exception {
        ca.issueTemplate(WEB);
        EstAnswer reply = est.simpleEnroll(WEB_CN, iis01(), Csrs.request(Csrs.ec("secp256r1"), "", "iis01.contoso.com"));
        assertEquals(400, reply.status(), reply.text());
        assertEquals("0x80094811 CERTSRV_E_KEY_LENGTH", reply.errorHeader(), reply.text());
    }

    @Test
    void policyAdvertisesTheTemplatesKeyAlgorithm() throws Exception {
        String template = eccTemplate("Lab ECC Policy");
        String policy = est.policy(iis01()).text();
        assertTrue(policy.contains("{\"name\":\"" + template + "\"") && policy.contains("\"keyAlgorithm\":\"ECDSA_P256\""), policy);
        assertTrue(policy.contains("\"keyAlgorithm\":\"RSA\""), "RSA templates say RSA: " + policy);
    }

    @Test
    void csrattrsOfAnEcdsaP256TemplateNameTheCurve() throws Exception {
        String template = eccTemplate("Lab ECC Attributes");
        EstAnswer reply = est.csrattrs(template);
        assertEquals(200, reply.status(), reply.text());
        ASN1Sequence attributes = ASN1Sequence.getInstance(java.util.Base64.getMimeDecoder().decode(reply.body()));
        assertEquals("[[1.2.840.10045.2.1, [1.2.840.10045.3.1.7]], 1.2.840.10045.4.3.2]", attributes.toString(),
                "id-ecPublicKey on P-256, then ecdsa-with-SHA256");
    }

    @Test
    void performanceCountersCountARequestAndItsSigning() throws Exception {
        CertificationAuthority.PerformanceCounters before = ca.performanceCounters();
        assertEquals(200, est.simpleEnroll("Machine", iis01(), Csrs.request(Csrs.rsa(2048), "")).status());
        CertificationAuthority.PerformanceCounters after = ca.performanceCounters();
        assertEquals(before.requests() + 1, after.requests());
        assertEquals(before.issued() + 1, after.issued());
        assertTrue(after.signingNanos() > before.signingNanos() && after.policyModuleNanos() > before.policyModuleNanos()
                && after.databaseLogNanos() > before.databaseLogNanos(), "each stage's time grows: " + before + " -> " + after);
        assertTrue(after.processingNanos() - before.processingNanos() >= after.signingNanos() - before.signingNanos(),
                "signing is part of processing");
    }

    @Test
    void requestWithABadSignatureIsRefused() throws Exception {
        ca.issueTemplate(WEB);
        byte[] csr = webRequest("iis01.contoso.com");
        csr[csr.length - 5] ^= 0x55;
        EstAnswer reply = est.simpleEnroll(WEB_CN, iis01(), csr);
        assertEquals("0x80090006 NTE_BAD_SIGNATURE", reply.errorHeader(), reply.text());
    }

    @Test
    void garbageInsteadOfARequestIsRefusedWithBadTagAndLeavesNoRecord() throws Exception {
        long before = ca.requestCount();
        EstAnswer reply = est.simpleEnroll("WebServer", iis01(), "this is not DER".getBytes());
        assertEquals(400, reply.status(), reply.text());
        assertEquals("0x8009310B CRYPT_E_ASN1_BADTAG", reply.errorHeader());
        assertNull(reply.requestId(), "no request, no request id");
        assertEquals(before, ca.requestCount(), "bytes that are not a request are not recorded as one");
        EstAnswer wrongType = est.exchange("POST", "/WebServer/simpleenroll", iis01(), "text/plain", "x".getBytes());
        assertEquals(415, wrongType.status());
        assertEquals(before, ca.requestCount(), "a request with the wrong content type never reaches the CA");
    }

    @Test
    void aPlusInTheTemplateLabelIsNotASpace() throws Exception {
        // a path segment is not a form: 'Web+Server' once reached the CA as the display name 'Web Server'
        EstAnswer reply = est.exchange("POST", "/Web+Server/simpleenroll", EstClient.basic("Administrator", PASSWORD),
                EstClient.PKCS10, java.util.Base64.getMimeEncoder().encode(webRequest("plus.contoso.com")));
        assertEquals("0x80094800 CERTSRV_E_UNSUPPORTED_CERT_TYPE", reply.errorHeader(), reply.text());
        assertEquals(200, est.simpleEnroll("Web Server", EstClient.basic("Administrator", PASSWORD), webRequest("space.contoso.com")).status(),
                "a display name, percent-encoded, still names its template");
    }

    @Test
    void wrongPasswordAndMissingCredentialsGet401() throws Exception {
        EstAnswer wrong = est.simpleEnroll("WebServer", EstClient.basic("IIS01$", "wrong"), webRequest("x.contoso.com"));
        assertEquals(401, wrong.status(), wrong.text());
        assertEquals("0x8007052E ERROR_LOGON_FAILURE", wrong.errorHeader());
        assertEquals(401, est.simpleEnroll("WebServer", null, webRequest("x.contoso.com")).status());
        assertEquals(401, est.simpleEnroll("WebServer", EstClient.basic("nobody", "x"), webRequest("x.contoso.com")).status());
    }

    @Test
    void computerWithoutDnsHostNameCannotGetAWorkstationCertificate() throws Exception {
        admin.templates().duplicate("Workstation Authentication", "Lab Client Certificate", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        admin.security().allow("Lab Client Certificate", "Domain Computers", AccessRight.READ, AccessRight.ENROLL, AccessRight.AUTOENROLL);
        ca.issueTemplate("Lab Client Certificate");
        admin.usersAndComputers().createComputer("PC01", "pc01.contoso.com", PASSWORD);
        EstAnswer issued = est.simpleEnroll("LabClientCertificate", EstClient.basic("PC01$", PASSWORD), Csrs.request(Csrs.rsa(2048), ""));
        assertEquals(200, issued.status(), issued.text());
        X509Certificate cert = issued.certificate();
        assertEquals(List.of("pc01.contoso.com"), cert.getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))).toList());
        assertEquals(List.of(CertificateTemplate.OID_CLIENT_AUTHENTICATION), cert.getExtendedKeyUsage());
        assertNotNull(cert.getExtensionValue(CertificateSigner.NTDS_CA_SECURITY.getId()), "names built from AD carry the SID");

        try (com.unboundid.ldap.sdk.LDAPConnection c = new com.unboundid.ldap.sdk.LDAPConnection("127.0.0.1", dc.ldapPort(),
                dc.administratorDn(), PASSWORD)) {
            c.modify(dc.names().computer("PC01"), new com.unboundid.ldap.sdk.Modification(
                    com.unboundid.ldap.sdk.ModificationType.DELETE, "dNSHostName"));
        }
        EstAnswer refused = est.simpleEnroll("LabClientCertificate", EstClient.basic("PC01$", PASSWORD), Csrs.request(Csrs.rsa(2048), ""));
        assertEquals("0x8009480F CERTSRV_E_SUBJECT_DNS_REQUIRED", refused.errorHeader(), refused.text());
    }

    @Test
    void autoenrollmentNeedsAutoenrollAsWellAsEnroll() {
        ca.issueTemplate(WEB);
        LogonToken iis01 = DomainLogon.logon("127.0.0.1", dc.ldapPort(), dc.names().computer("IIS01"), PASSWORD).token();
        EnrollmentResult auto = ca.submit(new EnrollmentRequest(iis01, WEB_CN, webRequest("iis01.contoso.com"), true, null));
        assertEquals(WindowsError.CERTSRV_E_TEMPLATE_DENIED, auto.error());
        assertTrue(auto.decision().reason().contains("Autoenroll"), auto.decision().reason());
    }

    @Test
    void approvalHoldsTheRequestUntilACertificateManagerIssuesIt() throws Exception {
        admin.templates().duplicate("Web Server", "Lab Approved Web", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        admin.templates().setRequiresApproval("Lab Approved Web", true);
        admin.security().allow("Lab Approved Web", "ConfigMgr IIS Servers", AccessRight.ENROLL);
        ca.issueTemplate("Lab Approved Web");
        byte[] csr = webRequest("iis01.contoso.com");
        EstAnswer pending = est.simpleEnroll("LabApprovedWeb", iis01(), csr);
        assertEquals(202, pending.status(), pending.text());
        assertEquals("60", pending.retryAfter());
        long id = Long.parseLong(pending.requestId());
        assertEquals(202, est.simpleEnroll("LabApprovedWeb", iis01(), csr).status(), "asking again before approval: still pending");
        assertEquals(id, Long.parseLong(est.simpleEnroll("LabApprovedWeb", iis01(), csr).requestId()), "the same request, not a new one");

        assertTrue(ca.approve(id, "CONTOSO\\Administrator").issued());
        EstAnswer issued = est.simpleEnroll("LabApprovedWeb", iis01(), csr);
        assertEquals(200, issued.status(), issued.text());
        assertEquals("Resubmitted by CONTOSO\\Administrator", ca.request(id).orElseThrow().dispositionMessage());

        byte[] other = webRequest("iis01.contoso.com");
        long second = Long.parseLong(est.simpleEnroll("LabApprovedWeb", iis01(), other).requestId());
        ca.deny(second, "CONTOSO\\Administrator");
        EstAnswer denied = est.simpleEnroll("LabApprovedWeb", iis01(), other);
        assertEquals(403, denied.status(), denied.text());
        assertEquals("0x80094014 CERTSRV_E_ADMIN_DENIED_REQUEST", denied.errorHeader());
        CaException issuedAlready = assertThrows(CaException.class, () -> ca.approve(id, "CONTOSO\\Administrator"),
                "an issued request cannot be resubmitted");
        assertEquals(WindowsError.CERTSRV_E_BAD_REQUESTSTATUS, issuedAlready.error(), issuedAlready.getMessage());
        // [MS-CSRA] ResubmitRequest takes a pending or a denied request: the certificate manager may change his mind
        assertTrue(ca.approve(second, "CONTOSO\\Administrator").issued(), "a denied request resubmitted by a certificate manager");
    }

    @Test
    void revocationPublishesANewCrlWithTheSerial() throws Exception {
        ca.issueTemplate(WEB);
        X509Certificate cert = est.simpleEnroll(WEB_CN, iis01(), webRequest("iis01.contoso.com")).certificate();
        X509CRL before = ca.crl(false);
        ca.revoke(cert.getSerialNumber(), RevocationReason.KEY_COMPROMISE, "CONTOSO\\Administrator");
        X509CRL after = ca.crl(false);
        assertNotNull(after.getRevokedCertificate(cert.getSerialNumber()));
        assertNull(before.getRevokedCertificate(cert.getSerialNumber()));
        assertTrue(crlNumber(after) > crlNumber(before), "CRL numbers increase");
        assertTrue(crlNumber(ca.crl(true)) > crlNumber(after), "the delta follows its base");
        after.verify(ca.certificate().getPublicKey());
        RequestRecord revoked = ca.bySerial(cert.getSerialNumber()).orElseThrow();
        assertEquals(RequestStatus.REVOKED, revoked.status());
        assertEquals("Revoked by CONTOSO\\Administrator", revoked.dispositionMessage());
        assertEquals(RevocationReason.KEY_COMPROMISE, revoked.revocationReason());
        assertThrows(CaException.class, () -> ca.revoke(cert.getSerialNumber(), RevocationReason.UNSPECIFIED, "x"));
    }

    @Test
    void reenrollmentAuthenticatesWithTheCurrentCertificate() throws Exception {
        KeyPair key = Csrs.rsa(2048);
        X509Certificate current = est.simpleEnroll("Machine", iis01(), Csrs.request(key, "")).certificate();
        EstClient renewing = CaHttps.est(ca, new KeyFiles.KeyEntry(key.getPrivate(), new X509Certificate[]{current}));
        EstAnswer renewed = renewing.simpleReenroll(null, Csrs.request(Csrs.rsa(2048), ""));
        assertEquals(200, renewed.status(), renewed.text());
        assertEquals("Machine", ca.bySerial(renewed.certificate().getSerialNumber()).orElseThrow().template());
        assertEquals("CN=iis01.contoso.com", renewed.certificate().getSubjectX500Principal().getName());

        ca.revoke(current.getSerialNumber(), RevocationReason.SUPERSEDED, "CONTOSO\\Administrator");
        EstAnswer revoked = renewing.simpleReenroll(null, Csrs.request(Csrs.rsa(2048), ""));
        assertEquals("0x8009400E CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE", revoked.errorHeader(), "a revoked certificate cannot renew: " + revoked.text());
        assertEquals(401, est.simpleReenroll(null, webRequest("iis01.contoso.com")).status(), "no certificate, no re-enrollment");
    }

    @Test
    void userTemplateWithUpnClearedBuildsTheCommonNameOnly() throws Exception {
        admin.usersAndComputers().createUser("Alice", PASSWORD);
        admin.usersAndComputers().createGroup("ConfigMgr Mobile Device Users");
        admin.usersAndComputers().addMember("ConfigMgr Mobile Device Users", "Alice");
        admin.templates().duplicate("Authenticated Session", "Lab Mobile Device Enrollment", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        admin.templates().setSubjectNameFlags("Lab Mobile Device Enrollment", org.pkilab.directory.model.TemplateFlags.CertificateName.SUBJECT_REQUIRE_COMMON_NAME);
        admin.security().allow("Lab Mobile Device Enrollment", "ConfigMgr Mobile Device Users", AccessRight.READ, AccessRight.ENROLL);
        ca.issueTemplate("Lab Mobile Device Enrollment");
        EstAnswer reply = est.simpleEnroll("LabMobileDeviceEnrollment", EstClient.basic("alice@contoso.com", PASSWORD),
                Csrs.request(Csrs.rsa(2048), ""));
        assertEquals(200, reply.status(), reply.text());
        assertEquals("CN=Alice", reply.certificate().getSubjectX500Principal().getName());
        assertNull(reply.certificate().getSubjectAlternativeNames(), "UPN cleared: no SAN");
    }

    @Test
    void userWithoutAnEmailAddressCannotGetAUserCertificate() throws Exception {
        admin.usersAndComputers().createUser("Bob", PASSWORD);
        EstAnswer reply = est.simpleEnroll("User", EstClient.basic("Bob", PASSWORD), Csrs.request(Csrs.rsa(2048), ""));
        assertEquals(400, reply.status(), reply.text());
        assertEquals("0x80094812 CERTSRV_E_SUBJECT_EMAIL_REQUIRED", reply.errorHeader());
        assertTrue(reply.text().contains("CN=Bob,CN=Users,DC=contoso,DC=com has no mail"), reply.text());
    }

    @Test
    void crlsFollowTheLabClock() {
        ManualClock clock = new ManualClock();
        try (CertificationAuthority timed = CertificationAuthority.start(CertificationAuthorityConfig.builder(dc.names())
                .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD).hostName("CA02").clock(clock).build())) {
            X509CRL first = timed.crl(false);
            assertEquals(first.getThisUpdate().toInstant().plus(java.time.Duration.ofDays(7)), first.getNextUpdate().toInstant());
            clock.advance(java.time.Duration.ofDays(2));
            assertEquals(crlNumber(first), crlNumber(timed.crl(false)), "the base CRL is good for a week");
            assertTrue(crlNumber(timed.crl(true)) > crlNumber(first), "the delta is renewed daily");
            clock.advance(java.time.Duration.ofDays(6));
            X509CRL next = timed.crl(false);
            assertTrue(crlNumber(next) > crlNumber(first), "a new base CRL when the old one is due");
            long days = java.time.Duration.between(first.getThisUpdate().toInstant(), next.getThisUpdate().toInstant()).toDays();
            assertEquals(8, days, "the new base CRL is dated by the lab clock, 8 days on");
        }
    }

    /** A clock tests move by hand. */
    static final class ManualClock extends java.time.Clock {
        private java.time.Instant now = java.time.Instant.now();

        void advance(java.time.Duration by) {
            now = now.plus(by);
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public java.time.Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public java.time.Instant instant() {
            return now;
        }
    }

    @Test
    void policyEndpointListsOnlyWhatTheCallerMayEnrollFor() throws Exception {
        ca.issueTemplate(WEB);
        String iis = est.policy(iis01()).text();
        assertTrue(iis.contains("\"name\":\"" + WEB_CN + "\"") && iis.contains("\"subjectSuppliedInRequest\":true"), iis);
        assertTrue(iis.contains("\"name\":\"Machine\""), "Domain Computers may enroll for Computer: " + iis);
        admin.usersAndComputers().createComputer("PC09", "pc09.contoso.com", PASSWORD);
        String pc = est.policy(EstClient.basic("PC09$", PASSWORD)).text();
        assertTrue(!pc.contains(WEB_CN), pc);
    }

    @Test
    void v1TemplateCertificatesCarryTheTemplateName() throws Exception {
        EstAnswer reply = est.simpleEnroll("Machine", iis01(), Csrs.request(Csrs.rsa(2048), ""));
        assertEquals(200, reply.status(), reply.text());
        byte[] ext = DEROctetString.getInstance(reply.certificate().getExtensionValue(CertificateSigner.TEMPLATE_NAME.getId())).getOctets();
        assertEquals("Machine", DERBMPString.getInstance(ASN1Primitive.fromByteArray(ext)).getString());
        assertEquals("CN=iis01.contoso.com", reply.certificate().getSubjectX500Principal().getName());
    }

    private static long crlNumber(X509CRL crl) {
        return org.bouncycastle.asn1.x509.CRLNumber.getInstance(DEROctetString.getInstance(
                crl.getExtensionValue(org.bouncycastle.asn1.x509.Extension.cRLNumber.getId())).getOctets()).getCRLNumber().longValue();
    }
}
