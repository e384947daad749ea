package org.pkilab.ca;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.DomainControllerConfig;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.pki.KeyFiles;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;

import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.est.ESTException;
import org.bouncycastle.est.ESTService;
import org.bouncycastle.est.EnrollmentResponse;
import org.bouncycastle.est.ESTAuth;
import org.bouncycastle.est.jcajce.JsseESTServiceBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * EST clients that cannot put a template in the path, as Debian's tools run them: strongSwan's {@code pki --est}
 * enrolls at {@code /.well-known/est/simpleenroll} with a request that names its template ({@code pki --req --profile})
 * or names none (the CA's {@code CA\EstDefaultTemplate}), {@code pki --estca} fetches the CA certificate, and
 * {@code openssl req -addext} with curl sends the template name extension Windows sends, and Bouncy Castle's EST client
 * ({@code org.bouncycastle.est}) enrolls without a label from Java. The refusals each carry their AD CS code in the body and
 * the {@code X-ADCS-Error} header; pki and Bouncy Castle show only the HTTP status (403, 400, 404).
 */
class EstWithoutLabelTest {

    private static final String PASSWORD = "Lab-Passw0rd!";
    private static final String TEMPLATE = "ConfigMgr Web Server Certificate";
    private static final String TEMPLATE_NAME = "ConfigMgrWebServerCertificate";
    private static DomainController dc;
    private static CertificationAuthority ca;

    @BeforeAll
    static void startLab() {
        dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
        ca = CertificationAuthority.start(CertificationAuthorityConfig.builder(dc.names())
                .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD).build());
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            admin.usersAndComputers().createGroup("ConfigMgr IIS Servers");
            admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", PASSWORD);
            admin.usersAndComputers().createComputer("IIS02", "iis02.contoso.com", PASSWORD);
            admin.usersAndComputers().addMember("ConfigMgr IIS Servers", "IIS01$");
            admin.templates().duplicate("Web Server", TEMPLATE, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
            admin.security().clearAllow(TEMPLATE, "Domain Admins", AccessRight.ENROLL);
            admin.security().allow(TEMPLATE, "ConfigMgr IIS Servers", AccessRight.READ, AccessRight.ENROLL);
            admin.templates().duplicate("Web Server", "Not Issued Here", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        }
        ca.issueTemplate(TEMPLATE);
    }

    @AfterAll
    static void stopLab() {
        ca.close();
        dc.close();
    }

    @BeforeEach
    void noDefaultTemplate() {
        ca.changeRegistry("CA\\EstDefaultTemplate", "", "CONTOSO\\Administrator");
    }

    /**
     * The EST server as pki takes it, which puts {@code /.well-known/est/simpleenroll} after it and has no way to add a
     * label: by the CA's host name as a domain member knows it, the name pki checks the TLS certificate for.
     */
    private static String estUrl() {
        return "https://" + ca.config().fqdn() + ":" + ca.httpsPort();
    }

    /**
     * {@code script} in a private mount namespace whose {@code /etc/hosts} sends the CA's host name to 127.0.0.1, as the
     * domain's DNS would: strongSwan's pki has no {@code --resolve}, and refuses a server certificate that does not name the
     * host of its URL. Needs root, as CI runs.
     */
    private static Result onTheLab(Path dir, String script) throws Exception {
        Result uid = ExternalTool.run(dir, Map.of(), null, "id", "-u");
        assumeTrue(uid.out().strip().equals("0"), "pki --est reaches " + ca.config().fqdn() + " through a private /etc/hosts (unshare "
                + "--mount), which needs root, as CI runs; this run is uid " + uid.out().strip());
        Files.writeString(dir.resolve("hosts"), "127.0.0.1 localhost " + ca.config().fqdn() + "\n");
        return ExternalTool.run(dir, Map.of(), null, "unshare", "--mount", "sh", "-c", "mount --bind hosts /etc/hosts && " + script);
    }

    private static Result sh(Path dir, String script) throws Exception {
        return ExternalTool.run(dir, Map.of(), null, "sh", "-c", script);
    }

    /** A key and a PKCS #10 request for iis01.contoso.com from strongSwan's pki; {@code profile} is the template it names, or null. */
    private static void pkiRequest(Path dir, String profile) throws Exception {
        Files.write(dir.resolve("ca.der"), ca.certificate().getEncoded());
        Result key = sh(dir, "pki --gen --type rsa --size 2048 --outform der > key.der 2>/dev/null");
        assertEquals(0, key.exit(), "pki --gen: " + key);
        Result req = sh(dir, "pki --req --in key.der --type rsa --dn 'CN=iis01.contoso.com' --san iis01.contoso.com"
                + (profile == null ? "" : " --profile '" + profile + "'") + " --outform der > req.der");
        assertEquals(0, req.exit(), "pki --req: " + req);
    }

    private static Result pkiEst(Path dir, String account) throws Exception {
        return onTheLab(dir, "pki --est --url " + estUrl() + " --in req.der --cacert ca.der --userpass '" + account + ":" + PASSWORD
                + "' --outform pem --maxpolltime 1 --interval 1 > cert.pem");
    }

    private static RequestRecord issued(Path dir, Result est) throws Exception {
        assertEquals(0, est.exit(), "pki --est: " + est);
        X509Certificate cert = KeyFiles.certificate(Files.readAllBytes(dir.resolve("cert.pem")));
        BigInteger serial = cert.getSerialNumber();
        return ca.bySerial(serial).orElseThrow(() -> new AssertionError("serial " + serial.toString(16) + " is not in " + ca.name() + "'s database"));
    }

    @Test
    void pkiEstWithoutLabelIsIssuedTheDefaultTemplate(@TempDir Path dir) throws Exception {
        ca.changeRegistry("CA\\EstDefaultTemplate", TEMPLATE, "CONTOSO\\Administrator");
        pkiRequest(dir, null);
        RequestRecord record = issued(dir, pkiEst(dir, "IIS01$"));
        assertEquals(TEMPLATE_NAME, record.template(), "pki --est without a label, CA\\EstDefaultTemplate = " + TEMPLATE);
        assertEquals("CONTOSO\\IIS01$", record.requester());
    }

    @Test
    void pkiEstIsIssuedTheTemplateItsRequestNames(@TempDir Path dir) throws Exception {
        pkiRequest(dir, TEMPLATE_NAME);
        RequestRecord record = issued(dir, pkiEst(dir, "IIS01$"));
        assertEquals(TEMPLATE_NAME, record.template(), "pki --req --profile " + TEMPLATE_NAME + ", no default set");
    }

    @Test
    void pkiEstReenrollsWithItsCertificateAndKeepsItsTemplate(@TempDir Path dir) throws Exception {
        pkiRequest(dir, TEMPLATE_NAME);
        RequestRecord first = issued(dir, pkiEst(dir, "IIS01$"));
        Files.move(dir.resolve("cert.pem"), dir.resolve("old.pem"));
        Files.move(dir.resolve("key.der"), dir.resolve("old-key.der"));
        pkiRequest(dir, null);
        // simplereenroll: the current certificate as TLS client certificate, no label and no template in the request
        Result renewed = onTheLab(dir, "pki --est --url " + estUrl() + " --in req.der --cacert ca.der --cert old.pem --key old-key.der"
                + " --outform pem --maxpolltime 1 --interval 1 > cert.pem");
        RequestRecord second = issued(dir, renewed);
        assertEquals(first.template(), second.template(), "pki --est --cert renews from the template the certificate was issued from");
        assertNotEquals(first.serial(), second.serial());
    }

    @Test
    void pkiEstWithoutRightOnTheNamedTemplateShowsTemplateDenied(@TempDir Path dir) throws Exception {
        pkiRequest(dir, TEMPLATE_NAME);
        long before = ca.issued().size();
        Result est = pkiEst(dir, "IIS02$");
        assertNotEquals(0, est.exit(), "IIS02$ holds no Enroll on " + TEMPLATE + ": " + est);
        // pki prints the status alone ("EST request failed: HTTP 403"), never the body: the code is in the body and header
        assertTrue(est.err().contains("HTTP 403"), "pki --est shows the refusal's status: " + est);
        Result curl = curlEnroll(dir, "req.der", "", "IIS02$");
        assertTrue(curl.out().contains("0x80094012 CERTSRV_E_TEMPLATE_DENIED") && curl.out().contains("IIS02$"), curl.out());
        assertEquals(before, ca.issued().size(), "nothing issued to IIS02$");
    }

    @Test
    void pkiEstNamingNoTemplateWithNoDefaultIsRefusedNoCertType(@TempDir Path dir) throws Exception {
        pkiRequest(dir, null);
        Result est = pkiEst(dir, "IIS01$");
        assertTrue(est.exit() != 0 && est.err().contains("HTTP 400"), "no template in the path, the request or CA\\EstDefaultTemplate: " + est);
        Result curl = curlEnroll(dir, "req.der", "");
        assertTrue(curl.out().contains("0x80094801 CERTSRV_E_NO_CERT_TYPE") && curl.out().contains("EstDefaultTemplate"),
                "the refusal names the code and the setting to change: " + curl.out());
    }

    @Test
    void pkiEstNamingAnUnknownTemplateIsRefusedUnsupportedCertType(@TempDir Path dir) throws Exception {
        pkiRequest(dir, "NoSuchTemplate");
        Result est = pkiEst(dir, "IIS01$");
        assertTrue(est.exit() != 0 && est.err().contains("HTTP 404"), "pki --est naming NoSuchTemplate: " + est);
        Result curl = curlEnroll(dir, "req.der", "");
        assertTrue(curl.out().contains("0x80094800 CERTSRV_E_UNSUPPORTED_CERT_TYPE") && curl.out().contains("NoSuchTemplate"), curl.out());
        pkiRequest(dir, "Not Issued Here");
        Result notIssued = curlEnroll(dir, "req.der", "");
        assertTrue(notIssued.out().contains("CERTSRV_E_UNSUPPORTED_CERT_TYPE") && notIssued.out().contains("Certificate Templates to Issue"),
                notIssued.out());
    }

    @Test
    void labelAndRequestNamingDifferentTemplatesIsATemplateConflict(@TempDir Path dir) throws Exception {
        pkiRequest(dir, "WebServer");
        Result curl = curlEnroll(dir, "req.der", TEMPLATE_NAME + "/");
        assertTrue(curl.out().contains("0x80094802 CERTSRV_E_TEMPLATE_CONFLICT") && curl.out().contains("WebServer")
                && curl.out().contains(TEMPLATE_NAME), curl.out());
        pkiRequest(dir, TEMPLATE_NAME);
        Result same = curlEnroll(dir, "req.der", "ConfigMgr%20Web%20Server%20Certificate/");
        assertTrue(same.out().contains("HTTP/2 200"), "the path's display name and the request's name are one template: " + same.out());
    }

    @Test
    void opensslTemplateNameExtensionAsWindowsSendsItWithCurl(@TempDir Path dir) throws Exception {
        // the BMPString "ConfigMgrWebServerCertificate", as certreq writes 1.3.6.1.4.1.311.20.2
        Result req = sh(dir, "openssl req -new -newkey rsa:2048 -nodes -keyout key.pem -subj /CN=iis01.contoso.com "
                + "-addext 'subjectAltName=DNS:iis01.contoso.com' -addext '1.3.6.1.4.1.311.20.2=ASN1:BMPSTRING:" + TEMPLATE_NAME + "' "
                + "-outform DER -out req.der");
        assertEquals(0, req.exit(), req.toString());
        Result curl = curlEnroll(dir, "req.der", "");
        assertTrue(curl.out().contains("HTTP/2 200"), "openssl req -addext 1.3.6.1.4.1.311.20.2, no label, no default: " + curl.out());
    }

    @Test
    void pkiEstcaFetchesTheCaCertificate(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("ca.der"), ca.certificate().getEncoded());
        Result estca = onTheLab(dir, "pki --estca --url " + estUrl() + " --cacert ca.der --outform pem > cacert.pem");
        assertEquals(0, estca.exit(), "pki --estca: " + estca);
        X509Certificate fetched = KeyFiles.certificate(Files.readAllBytes(dir.resolve("cacert.pem")));
        assertEquals(ca.certificate(), fetched, "pki --estca brought back " + ca.name() + "'s certificate");
    }

    @Test
    void bouncyCastleEstClientWithoutLabelEnrollsWithTheDefaultAndIsRefusedWithoutRight() throws Exception {
        ca.changeRegistry("CA\\EstDefaultTemplate", TEMPLATE, "CONTOSO\\Administrator");
        ESTService est = bouncyCastleEst();
        X509Certificate fetched = new JcaX509CertificateConverter().getCertificate(
                est.getCACerts().getCertificateStore().getMatches(null).iterator().next());
        assertEquals(ca.certificate(), fetched, "Bouncy Castle's getCACerts()");

        PKCS10CertificationRequest csr = bouncyCastleRequest();
        EnrollmentResponse enrolled = est.simpleEnroll(false, csr, basic("IIS01$"));
        assertTrue(enrolled.isCompleted(), "Bouncy Castle's simpleEnroll without a label, default " + TEMPLATE);
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(enrolled.getStore().getMatches(null).iterator().next());
        assertEquals(TEMPLATE_NAME, ca.bySerial(cert.getSerialNumber()).orElseThrow().template());

        ESTException refused = org.junit.jupiter.api.Assertions.assertThrows(ESTException.class,
                () -> est.simpleEnroll(false, bouncyCastleRequest(), basic("IIS02$")));
        assertEquals(403, refused.getStatusCode(), "IIS02$ holds no Enroll on " + TEMPLATE + ": " + refused);
    }

    @Test
    void bouncyCastleRequestNamingTheTemplateByAttributeOrOidIsIssuedThatTemplate() throws Exception {
        ESTService est = bouncyCastleEst();
        // certreq -attrib "CertificateTemplate:ConfigMgrWebServerCertificate": a name-value pair, read as SanAttribute's are
        PKCS10CertificationRequest byAttribute = bouncyCastleRequest(new org.bouncycastle.asn1.pkcs.Attribute(
                new org.bouncycastle.asn1.ASN1ObjectIdentifier(Pkcs10Request.NAME_VALUE_PAIR), new org.bouncycastle.asn1.DERSet(
                new org.bouncycastle.asn1.DERSequence(new org.bouncycastle.asn1.ASN1Encodable[]{
                        new org.bouncycastle.asn1.DERBMPString("CertificateTemplate"), new org.bouncycastle.asn1.DERBMPString(TEMPLATE_NAME)}))), null);
        EnrollmentResponse attribute = est.simpleEnroll(false, byAttribute, basic("IIS01$"));
        X509Certificate first = new JcaX509CertificateConverter().getCertificate(attribute.getStore().getMatches(null).iterator().next());
        assertEquals(TEMPLATE_NAME, ca.bySerial(first.getSerialNumber()).orElseThrow().template(), "CertificateTemplate: attribute, no default");

        String oid = ca.enrollment().template(TEMPLATE).orElseThrow().oid();
        PKCS10CertificationRequest byOid = bouncyCastleRequest(null, new org.bouncycastle.asn1.DERSequence(new org.bouncycastle.asn1.ASN1Encodable[]{
                new org.bouncycastle.asn1.ASN1ObjectIdentifier(oid), new org.bouncycastle.asn1.ASN1Integer(100),
                new org.bouncycastle.asn1.ASN1Integer(2)}));
        EnrollmentResponse info = est.simpleEnroll(false, byOid, basic("IIS01$"));
        X509Certificate second = new JcaX509CertificateConverter().getCertificate(info.getStore().getMatches(null).iterator().next());
        assertEquals(TEMPLATE_NAME, ca.bySerial(second.getSerialNumber()).orElseThrow().template(), "1.3.6.1.4.1.311.21.7 naming " + oid);
    }

    /**
     * HTTP Basic sent with the request. Bouncy Castle's own {@code HttpAuth} waits for the 401 and then closes it unread,
     * which its response stream refuses when the 401 has a body ("Stream closed before limit fully read"), and the CA's
     * 401 explains itself in one.
     */
    private static ESTAuth basic(String account) {
        String credentials = java.util.Base64.getEncoder().encodeToString((account + ":" + PASSWORD).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return request -> request.addHeader("Authorization", "Basic " + credentials);
    }

    /** Bouncy Castle's EST client for the CA, without a label, checking the server's certificate as a domain member would. */
    private static ESTService bouncyCastleEst() throws Exception {
        java.security.KeyStore roots = java.security.KeyStore.getInstance("PKCS12");
        roots.load(null, null);
        roots.setCertificateEntry("root", ca.certificate());
        javax.net.ssl.TrustManagerFactory trust = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
        trust.init(roots);
        JsseESTServiceBuilder builder = new JsseESTServiceBuilder("127.0.0.1:" + ca.httpsPort(),
                (javax.net.ssl.X509TrustManager) trust.getTrustManagers()[0]);
        // the server is reached by address; its certificate must still name the CA's host
        builder.withHostNameAuthorizer((name, session) -> {
            try {
                X509Certificate server = (X509Certificate) session.getPeerCertificates()[0];
                return server.getSubjectAlternativeNames() != null && server.getSubjectAlternativeNames().stream()
                        .anyMatch(n -> ca.config().fqdn().equalsIgnoreCase(String.valueOf(n.get(1))));
            } catch (java.security.cert.CertificateParsingException e) {
                throw new java.io.IOException(e);
            }
        });
        return builder.build();
    }

    private static PKCS10CertificationRequest bouncyCastleRequest() throws Exception {
        return bouncyCastleRequest(null, null);
    }

    /** A request for iis01.contoso.com, with {@code attribute} and a template information extension {@code templateInfo} when not null. */
    private static PKCS10CertificationRequest bouncyCastleRequest(org.bouncycastle.asn1.pkcs.Attribute attribute,
                                                                  org.bouncycastle.asn1.ASN1Encodable templateInfo) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair pair = generator.generateKeyPair();
        ExtensionsGenerator extensions = new ExtensionsGenerator();
        extensions.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.dNSName, "iis01.contoso.com")));
        if (templateInfo != null) {
            extensions.addExtension(new org.bouncycastle.asn1.ASN1ObjectIdentifier(RequestedTemplate.TEMPLATE_OID), false, templateInfo);
        }
        JcaPKCS10CertificationRequestBuilder builder = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=iis01.contoso.com"), pair.getPublic());
        builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate());
        if (attribute != null) {
            builder.addAttribute(attribute.getAttrType(), attribute.getAttributeValues());
        }
        return builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate()));
    }

    /** curl posting {@code file} to {@code /.well-known/est/<label>simpleenroll} as IIS01$; the answer's headers and body. */
    private static Result curlEnroll(Path dir, String file, String label) throws Exception {
        return curlEnroll(dir, file, label, "IIS01$");
    }

    private static Result curlEnroll(Path dir, String file, String label, String account) throws Exception {
        Files.write(dir.resolve("ca.pem"), KeyFiles.pem(ca.certificate()).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return sh(dir, "openssl base64 -in " + file + " -out req.b64 && curl -sS --cacert ca.pem --resolve " + ca.config().fqdn() + ":"
                + ca.httpsPort() + ":127.0.0.1 -u '" + account + ":" + PASSWORD + "' -H 'Content-Type: application/pkcs10' --data-binary @req.b64 -D - "
                + ca.estBaseUrl() + "/" + label + "simpleenroll");
    }
}
