package org.pkilab.ca;

import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.DomainControllerConfig;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.DefaultTemplates;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.enrollment.EstAnswer;
import org.pkilab.enrollment.EstClient;
import org.pkilab.enrollment.OnBehalfOfRequest;
import org.pkilab.pki.KeyFiles;
import org.pkilab.testing.ExternalTool;
import org.pkilab.windows.WindowsError;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ESC3: a Domain User with an Enrollment Agent certificate asks for a certificate on behalf of Administrator. Accepted
 * where Windows accepts it (a schema 1 template; a schema 2 template asking for one Certificate Request Agent signature),
 * refused with AD CS's code for each condition that does not hold.
 */
class EnrollmentAgentTest {

    private static final String PASSWORD = "Lab-Passw0rd!";
    /** Schema 1, Domain Users enroll, directory path + UPN: not on a new CA's issue list, put there here. */
    private static final String SESSION = "Authenticated Session";
    private static final String NO_SIGNATURE = "Lab Session No Signature";
    private static final String AGENT_SIGNED = "Lab Session Agent Signed";
    private static final String CLIENT_AUTH_SIGNED = "Lab Session Client Auth Signed";
    private static final String ADMINS_ONLY = "Lab Session Admins Only";

    private static DomainController dc;
    private static CertificationAuthority ca;
    private static DirectoryAdmin admin;
    private static LogonToken alice;
    private static KeyPair agentKey;
    private static X509Certificate agentCertificate;

    @BeforeAll
    static void startLab() {
        dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
        ca = CertificationAuthority.start(CertificationAuthorityConfig.builder(dc.names())
                .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD).build());
        admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD);
        String aliceDn = admin.usersAndComputers().createUser("alice", PASSWORD);
        // the misconfiguration: ordinary users may enroll for Enrollment Agent, and the CA issues it
        admin.security().allow("Enrollment Agent", "Domain Users", AccessRight.ENROLL);
        ca.issueTemplate(DefaultTemplates.ENROLLMENT_AGENT);
        ca.issueTemplate(SESSION);
        ca.issueTemplate(DefaultTemplates.SUB_CA);
        for (String name : List.of(NO_SIGNATURE, AGENT_SIGNED, CLIENT_AUTH_SIGNED, ADMINS_ONLY)) {
            admin.templates().duplicate(SESSION, name, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
            ca.issueTemplate(name);
        }
        admin.templates().setAuthorizedSignatures(AGENT_SIGNED, 1, EnrollmentAgentSignature.CERTIFICATE_REQUEST_AGENT);
        admin.templates().setAuthorizedSignatures(CLIENT_AUTH_SIGNED, 1, "1.3.6.1.5.5.7.3.2");
        admin.templates().setAuthorizedSignatures(ADMINS_ONLY, 1, EnrollmentAgentSignature.CERTIFICATE_REQUEST_AGENT);
        admin.security().clearAllow(ADMINS_ONLY, "Domain Users", AccessRight.ENROLL);
        ca.reloadTemplates();
        alice = DomainLogon.logon("127.0.0.1", dc.ldapPort(), aliceDn, PASSWORD).token();
        agentKey = Csrs.rsa(2048);
        EnrollmentResult agent = ca.submit(EnrollmentRequest.manual(alice, DefaultTemplates.ENROLLMENT_AGENT, Csrs.request(agentKey, "")));
        assertTrue(agent.issued(), () -> "CONTOSO\\alice enrolling for Enrollment Agent: " + agent.decision().explain());
        agentCertificate = agent.certificate();
    }

    @AfterAll
    static void stopLab() {
        admin.close();
        ca.close();
        dc.close();
    }

    private static byte[] onBehalfOf(String target, X509Certificate signer, PrivateKey key) {
        return OnBehalfOfRequest.sign(Csrs.request(Csrs.rsa(2048), ""), target, signer, key);
    }

    private static EnrollmentResult submit(String template, byte[] body) {
        return ca.submit(EnrollmentRequest.manual(alice, template, body));
    }

    /** The SID in the certificate's szOID_NTDS_CA_SECURITY_EXT: SEQUENCE { [0] { OID 1.3.6.1.4.1.311.25.2.1, [0] OCTET STRING sid } }. */
    static String sidExtension(X509Certificate certificate) {
        byte[] value = certificate.getExtensionValue("1.3.6.1.4.1.311.25.2");
        assertNotNull(value, "the certificate carries no SID extension");
        org.bouncycastle.asn1.x509.GeneralName name = org.bouncycastle.asn1.x509.GeneralNames.getInstance(
                ASN1OctetString.getInstance(value).getOctets()).getNames()[0];
        org.bouncycastle.asn1.x509.OtherName other = org.bouncycastle.asn1.x509.OtherName.getInstance(name.getName());
        assertEquals("1.3.6.1.4.1.311.25.2.1", other.getTypeID().getId());
        return new String(ASN1OctetString.getInstance(other.getValue()).getOctets(), java.nio.charset.StandardCharsets.US_ASCII);
    }

    @Test
    void anEnrollmentAgentGetsASchema1CertificateInAdministratorsNameWithAdministratorsSid() throws Exception {
        EnrollmentResult result = submit(SESSION, onBehalfOf("CONTOSO\\Administrator", agentCertificate, agentKey.getPrivate()));
        assertTrue(result.issued(), () -> "alice for Administrator on " + SESSION + ": " + result.decision().explain());
        X509Certificate issued = result.certificate();
        assertTrue(issued.getSubjectX500Principal().getName().startsWith("CN=Administrator,"), issued.getSubjectX500Principal().getName());
        assertEquals(dc.domainSid().withRid(500).toString(), sidExtension(issued), "the SID extension names the target, not the agent");
        assertEquals("CONTOSO\\Administrator", result.record().requester(), "the database records the target as requester");
        assertTrue(result.record().dispositionMessage().contains("CONTOSO\\alice"),
                "the row names the agent: " + result.record().dispositionMessage());
    }

    @Test
    void aSchema2TemplateAskingForACertificateRequestAgentSignatureTakesTheAgentsRequest() {
        EnrollmentResult result = submit(AGENT_SIGNED, onBehalfOf("CONTOSO\\Administrator", agentCertificate, agentKey.getPrivate()));
        assertTrue(result.issued(), () -> "alice for Administrator on " + AGENT_SIGNED + ": " + result.decision().explain());
        assertEquals("CONTOSO\\Administrator", result.record().requester());
    }

    @Test
    void theSameRequestSentOverEstAsPkcs7IsIssuedToo() throws Exception {
        EstClient est = CaHttps.est(ca);
        EstAnswer answer = est.simpleEnrollOnBehalfOf(DefaultTemplates.CLIENT_AUTH, EstClient.basic("alice", PASSWORD),
                onBehalfOf("CONTOSO\\Administrator", agentCertificate, agentKey.getPrivate()));
        assertEquals(200, answer.status(), answer.text());
        assertTrue(answer.certificate().getSubjectX500Principal().getName().startsWith("CN=Administrator,"));
    }

    @Test
    void withoutALabelTheTemplateIsTheOneTheRequestInsideTheAgentsSignatureNames() throws Exception {
        KeyPair key = Csrs.rsa(2048);
        // certreq -policy on behalf of another account: the template's name in 1.3.6.1.4.1.311.20.2 of the inner PKCS #10
        org.bouncycastle.asn1.x509.ExtensionsGenerator extensions = new org.bouncycastle.asn1.x509.ExtensionsGenerator();
        extensions.addExtension(new org.bouncycastle.asn1.ASN1ObjectIdentifier(RequestedTemplate.TEMPLATE_NAME_OID), false,
                new org.bouncycastle.asn1.DERBMPString(ca.enrollment().template(AGENT_SIGNED).orElseThrow().name()));
        byte[] inner = new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder(new org.bouncycastle.asn1.x500.X500Name(""),
                key.getPublic()).addAttribute(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
                .build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withRSA").build(key.getPrivate())).getEncoded();
        EstAnswer answer = CaHttps.est(ca).simpleEnrollOnBehalfOf(null, EstClient.basic("alice", PASSWORD),
                OnBehalfOfRequest.sign(inner, "CONTOSO\\Administrator", agentCertificate, agentKey.getPrivate()));
        assertEquals(200, answer.status(), "a label-less signed request naming " + AGENT_SIGNED + ": " + answer.text());
        RequestRecord row = ca.bySerial(answer.certificate().getSerialNumber()).orElseThrow();
        assertEquals(ca.enrollment().template(AGENT_SIGNED).orElseThrow().name(), row.template());
        assertEquals("CONTOSO\\Administrator", row.requester());

        EstAnswer unnamed = CaHttps.est(ca).simpleEnrollOnBehalfOf(null, EstClient.basic("alice", PASSWORD),
                onBehalfOf("CONTOSO\\Administrator", agentCertificate, agentKey.getPrivate()));
        assertEquals(WindowsError.CERTSRV_E_NO_CERT_TYPE, unnamed.windowsError(), "a label-less signed request naming no template: " + unnamed.text());
    }

    private record Refusal(String why, String template, byte[] body, WindowsError expected) {
    }

    @Test
    void everyMissingConditionIsRefusedWithItsAdCsCode() throws Exception {
        KeyPair userKey = Csrs.rsa(2048);
        EnrollmentResult user = submit(SESSION, Csrs.request(userKey, ""));
        assertTrue(user.issued(), () -> user.decision().explain());
        KeyPair foreignKey = Csrs.rsa(2048);
        X509Certificate foreign = selfSignedAgent(foreignKey);
        KeyPair revokedKey = Csrs.rsa(2048);
        EnrollmentResult revokedAgent = submit(DefaultTemplates.ENROLLMENT_AGENT, Csrs.request(revokedKey, ""));
        ca.revoke(revokedAgent.certificate().getSerialNumber(), RevocationReason.KEY_COMPROMISE, "CONTOSO\\Administrator");

        List<Refusal> refusals = List.of(
                new Refusal("a schema 2 template asking for no signature takes no request for another account", NO_SIGNATURE,
                        onBehalfOf("CONTOSO\\Administrator", agentCertificate, agentKey.getPrivate()), WindowsError.CERTSRV_E_BAD_RENEWAL_SUBJECT),
                new Refusal("a signer without Certificate Request Agent is no enrollment agent", SESSION,
                        onBehalfOf("CONTOSO\\Administrator", user.certificate(), userKey.getPrivate()), WindowsError.CERTSRV_E_SIGNATURE_REJECTED),
                new Refusal("an agent certificate another CA issued", SESSION,
                        onBehalfOf("CONTOSO\\Administrator", foreign, foreignKey.getPrivate()), WindowsError.CERT_E_UNTRUSTEDROOT),
                new Refusal("a revoked agent certificate", SESSION,
                        onBehalfOf("CONTOSO\\Administrator", revokedAgent.certificate(), revokedKey.getPrivate()), WindowsError.CRYPT_E_REVOKED),
                new Refusal("the template asks for a signature with another application policy", CLIENT_AUTH_SIGNED,
                        onBehalfOf("CONTOSO\\Administrator", agentCertificate, agentKey.getPrivate()), WindowsError.CERTSRV_E_SIGNATURE_REJECTED),
                new Refusal("the template asks for a signature and the request carries none", AGENT_SIGNED,
                        Csrs.request(Csrs.rsa(2048), ""), WindowsError.CERTSRV_E_SIGNATURE_COUNT),
                new Refusal("the agent holds no Enroll on the target template", ADMINS_ONLY,
                        onBehalfOf("CONTOSO\\Administrator", agentCertificate, agentKey.getPrivate()), WindowsError.CERTSRV_E_TEMPLATE_DENIED),
                new Refusal("RequesterName names no account", SESSION,
                        onBehalfOf("CONTOSO\\nobody", agentCertificate, agentKey.getPrivate()), WindowsError.ERROR_NONE_MAPPED));
        for (Refusal r : refusals) {
            EnrollmentResult result = submit(r.template(), r.body());
            assertEquals(RequestStatus.DENIED, result.status(), r.why() + ": " + (result.decision() == null ? "issued" : result.decision().explain()));
            assertEquals(r.expected(), result.error(), r.why() + ": " + result.decision().explain());
            assertTrue(result.decision().reason().contains("CONTOSO\\alice") || r.expected() == WindowsError.CERTSRV_E_TEMPLATE_DENIED,
                    r.why() + ": the reason names the agent: " + result.decision().reason());
        }
    }

    @Test
    void aRefusedAgentSignatureIsRecordedUnderTheCallerAndItsResubmissionIssuesNothingInTheTargetsName() throws Exception {
        KeyPair rogueKey = Csrs.rsa(2048);
        X509Certificate rogue = selfSignedAgent(rogueKey);
        EstAnswer answer = CaHttps.est(ca).simpleEnrollOnBehalfOf(DefaultTemplates.USER, EstClient.basic("alice", PASSWORD),
                onBehalfOf("CONTOSO\\Administrator", rogue, rogueKey.getPrivate()));
        assertEquals(WindowsError.CERT_E_UNTRUSTEDROOT, answer.windowsError(), "alice's self-signed agent certificate on User: " + answer.text());
        long id = Long.parseLong(answer.header(EstAnswer.REQUEST_ID_HEADER));
        RequestRecord row = ca.request(id).orElseThrow();
        assertEquals("CONTOSO\\alice", row.requester(), "request " + id + " was refused before the agent was trusted: it is the caller's");

        EnrollmentResult resubmitted = ca.approve(id, "CONTOSO\\Administrator");
        assertEquals(RequestStatus.DENIED, resubmitted.status(), () -> "resubmitting request " + id + " issued "
                + (resubmitted.certificate() == null ? "nothing" : resubmitted.certificate().getSubjectX500Principal().getName()));
        assertEquals(WindowsError.CERT_E_UNTRUSTEDROOT, resubmitted.error(), resubmitted.decision().explain());
        assertEquals("CONTOSO\\alice", ca.request(id).orElseThrow().requester());
    }

    @Test
    void aDeniedAgentRequestIsResubmittedAsTheAgentsAndFailsOnceTheAgentCertificateIsRevoked() {
        KeyPair key = Csrs.rsa(2048);
        EnrollmentResult agent = submit(DefaultTemplates.ENROLLMENT_AGENT, Csrs.request(key, ""));
        assertTrue(agent.issued(), () -> agent.decision().explain());
        // a schema 1 template refusing the agent after the agent check passed: Domain Users hold no Enroll on SubCA
        EnrollmentResult denied = submit(DefaultTemplates.SUB_CA, OnBehalfOfRequest.sign(Csrs.request(Csrs.rsa(2048), "CN=Rogue Sub CA"),
                "CONTOSO\\Administrator", agent.certificate(), key.getPrivate()));
        assertEquals(WindowsError.CERTSRV_E_TEMPLATE_DENIED, denied.error(), () -> denied.decision().explain());
        assertEquals("CONTOSO\\Administrator", denied.record().requester(), "the agent check passed: the row is the target's");
        ca.revoke(agent.certificate().getSerialNumber(), RevocationReason.KEY_COMPROMISE, "CONTOSO\\Administrator");

        EnrollmentResult resubmitted = ca.approve(denied.requestId(), "CONTOSO\\Administrator");
        assertEquals(WindowsError.CRYPT_E_REVOKED, resubmitted.error(), () -> "resubmitting request " + denied.requestId()
                + " must check the agent's certificate again: " + (resubmitted.decision() == null ? "issued" : resubmitted.decision().explain()));
    }

    @Test
    void aRequesterNameThatIsNoUserOrComputerOfThisDomainIsRefusedAndRecorded() {
        for (String name : List.of("CN=Administrator,CN=Users," + dc.names().domain(), "CN=Users," + dc.names().domain(),
                "CONTOSO\\Domain Admins", "FABRIKAM\\Administrator", "Administrator@" + dc.names().dnsName())) {
            long before = ca.requestCount();
            EnrollmentResult result = submit(SESSION, onBehalfOf(name, agentCertificate, agentKey.getPrivate()));
            assertEquals(WindowsError.ERROR_NONE_MAPPED, result.error(), () -> "RequesterName " + name + ": "
                    + (result.decision() == null ? "issued to " + result.certificate().getSubjectX500Principal() : result.decision().explain()));
            assertTrue(result.decision().reason().contains(name), "the refusal names the value: " + result.decision().reason());
            assertEquals("CONTOSO\\alice", result.record().requester());
            assertEquals(before + 1, ca.requestCount(), "the refusal of " + name + " is recorded");
        }
    }

    @Test
    void anAgentsSignatureForItselfOnATemplateWithoutRequirementsIsAnOrdinaryRequest() {
        EnrollmentResult result = submit(NO_SIGNATURE, onBehalfOf(null, agentCertificate, agentKey.getPrivate()));
        assertTrue(result.issued(), () -> result.decision().explain());
        assertEquals("CONTOSO\\alice", result.record().requester());
    }

    @Test
    void opensslReadsTheAgentsMessageAndTheCaReadsOpensslsSignedRequest(@TempDir Path dir) throws Exception {
        byte[] body = onBehalfOf("CONTOSO\\Administrator", agentCertificate, agentKey.getPrivate());
        Files.write(dir.resolve("body.der"), body);
        Files.writeString(dir.resolve("agent.pem"), KeyFiles.pem(agentCertificate));
        Files.writeString(dir.resolve("agent.key"), KeyFiles.pem("PRIVATE KEY", agentKey.getPrivate().getEncoded()));
        Files.writeString(dir.resolve("ca.pem"), KeyFiles.pem(ca.certificate()));
        ExternalTool.Result verify = ExternalTool.run(dir, Map.of(), null, "openssl", "cms", "-verify", "-inform", "DER", "-in", "body.der",
                "-CAfile", "ca.pem", "-purpose", "any", "-binary", "-out", "inner.der");
        assertEquals(0, verify.exit(), "openssl verifies the agent's signature against the lab CA: " + verify);
        ExternalTool.Result inner = ExternalTool.run(dir, Map.of(), null, "openssl", "req", "-inform", "DER", "-in", "inner.der", "-verify", "-noout");
        assertEquals(0, inner.exit(), "the content is the requester's own PKCS #10: " + inner);
        ExternalTool.Result print = ExternalTool.run(dir, Map.of(), null, "openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", "body.der");
        assertTrue(print.toString().contains("1.3.6.1.4.1.311.13.2.1"), "RequesterName is a signed attribute of the signer: " + print);

        // the other way round: OpenSSL signs a PKCS #10 with the agent's key (no RequesterName: OpenSSL cannot add one)
        Files.write(dir.resolve("req.der"), Csrs.request(Csrs.rsa(2048), ""));
        ExternalTool.Result sign = ExternalTool.run(dir, Map.of(), null, "openssl", "cms", "-sign", "-nodetach", "-binary", "-outform", "DER",
                "-in", "req.der", "-signer", "agent.pem", "-inkey", "agent.key", "-out", "signed.der");
        assertEquals(0, sign.exit(), sign.toString());
        EnrollmentResult result = submit(AGENT_SIGNED, Files.readAllBytes(dir.resolve("signed.der")));
        assertTrue(result.issued(), () -> "OpenSSL's signed request on a template asking for an agent signature: " + result.decision().explain());
        assertEquals("CONTOSO\\alice", result.record().requester(), "without RequesterName the agent asks for itself");
    }

    /** A Certificate Request Agent certificate made by a CA the lab does not know. */
    private static X509Certificate selfSignedAgent(KeyPair key) throws Exception {
        Instant now = Instant.now();
        X500Name name = new X500Name("CN=Rogue Agent");
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minus(1, ChronoUnit.HOURS)), Date.from(now.plus(1, ChronoUnit.DAYS)), name, key.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.extendedKeyUsage, false,
                new ExtendedKeyUsage(KeyPurposeId.getInstance(new org.bouncycastle.asn1.ASN1ObjectIdentifier(EnrollmentAgentSignature.CERTIFICATE_REQUEST_AGENT))));
        return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(key.getPrivate())));
    }
}
