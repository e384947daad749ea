package org.pkilab.ca;

import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequestBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.directory.model.DefaultTemplates;
import org.pkilab.enrollment.AcmeClient;
import org.pkilab.enrollment.EnrollmentException;
import org.pkilab.windows.WindowsError;

import java.net.ServerSocket;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an ACME order may get, beyond what the template's ACL allows: only the names the client proved control of, only
 * from a template whose subject the request supplies, revoked only by the account that ordered it. Driven through the
 * lab's acme4j client; each refusal is asserted on its AD CS code and on the CA database not changing.
 */
class AcmeOrderPolicyTest {

    private static final String PASSWORD = TestForest.PASSWORD;
    private static TestForest forest;
    private static final String TEMPLATE = "ACMEWebServer";
    private static final String NAME = "iis01.contoso.com";
    private static DomainController dc;
    private static CertificationAuthority ca;

    @BeforeAll
    static void startLab() {
        forest = TestForest.start();
        dc = forest.dc();
        ca = forest.ca();
        try (DirectoryAdmin admin = forest.admin()) {
            admin.usersAndComputers().createGroup("ACME Web Servers");
            admin.usersAndComputers().createUser("alice", PASSWORD);
            admin.usersAndComputers().addMember("ACME Web Servers", "alice");
            admin.usersAndComputers().createUser("carol", PASSWORD);
            admin.usersAndComputers().addMember("Domain Admins", "carol");
            admin.templates().duplicate("Web Server", TEMPLATE, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
            admin.security().clearAllow(TEMPLATE, "Domain Admins", AccessRight.ENROLL);
            admin.security().allow(TEMPLATE, "ACME Web Servers", AccessRight.READ, AccessRight.ENROLL);
        }
        ca.issueTemplate(TEMPLATE);
        ca.issueTemplate(DefaultTemplates.KERBEROS_AUTHENTICATION);
    }

    @AfterAll
    static void stopLab() {
        forest.close();
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static KeyPair keyPair(String algorithm) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
        if (algorithm.equals("EC")) {
            generator.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        } else {
            generator.initialize(2048);
        }
        return generator.generateKeyPair();
    }

    /** A client for a new ACME account bound to {@code account}, answering http-01 where the CA checks it. */
    private static AcmeClient acme(String account, String template) throws Exception {
        return acme(account, template, order -> { });
    }

    private static AcmeClient acme(String account, String template, Consumer<org.shredzone.acme4j.Order> beforeFinalize) throws Exception {
        AcmeAccounts.ExternalAccountKey key = ca.issueAcmeKey(account, "CONTOSO\\Administrator");
        AcmeClient client = AcmeClient.builder("https://127.0.0.1:" + ca.httpsPort() + "/acme/" + template + "/directory")
                .trust(ca.certificate(), ca.config().fqdn()).accountKey(keyPair("EC"))
                .externalAccountBinding(key.keyId(), key.hmacKeyText()).http01Port(0).waitForApproval(Duration.ofSeconds(30))
                .beforeFinalize(beforeFinalize).build();
        ca.changeRegistry("CA\\AcmeHttpPort", Integer.toString(client.http01Port()), "CONTOSO\\Administrator");
        return client;
    }

    /** A PKCS #10 request for {@code subject} that {@code shape} adds attributes to. */
    private static byte[] csr(String subject, Consumer<PKCS10CertificationRequestBuilder> shape) throws Exception {
        KeyPair key = keyPair("RSA");
        PKCS10CertificationRequestBuilder builder = new JcaPKCS10CertificationRequestBuilder(new X500Name(subject), key.getPublic());
        shape.accept(builder);
        return builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(key.getPrivate())).getEncoded();
    }

    private static DERSet sanExtensions(String... names) {
        try {
            ExtensionsGenerator extensions = new ExtensionsGenerator();
            GeneralName[] general = new GeneralName[names.length];
            for (int i = 0; i < names.length; i++) {
                general[i] = new GeneralName(GeneralName.dNSName, names[i]);
            }
            extensions.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(general));
            return new DERSet(extensions.generate());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Finalizing alice's order for {@link #NAME} with {@code csr} is refused as badCSR with {@code error}; nothing is issued. */
    private static void refusedAsBadCsr(byte[] csr, WindowsError error, String what) throws Exception {
        AcmeClient alice = acme("alice", TEMPLATE);
        long issued = ca.issued().size();
        EnrollmentException refused = assertThrows(EnrollmentException.class, () -> alice.enroll(csr, NAME),
                "a CSR with " + what + " finalizing alice's order for " + NAME + " on " + TEMPLATE);
        assertEquals(error, refused.error(), what + ": " + refused.getMessage());
        assertEquals(400, refused.httpStatus(), what + ": " + refused.getMessage());
        assertTrue(refused.getMessage().contains(NAME) && refused.getMessage().contains("To fix"), what + ": " + refused.getMessage());
        assertEquals(issued, ca.issued().size(), "nothing issued for a CSR with " + what);
    }

    @Test
    void finalizeWithASecondExtensionRequestNamingAnotherHostIsRefused() throws Exception {
        byte[] csr = csr("CN=" + NAME, b -> {
            b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, sanExtensions(NAME).getObjectAt(0));
            // longer than the first, so DER's sorted SET OF keeps it second, where a reader of the first attribute misses it
            b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, sanExtensions("dc01.contoso.com", "ca01.contoso.com").getObjectAt(0));
        });
        refusedAsBadCsr(csr, WindowsError.CERTSRV_E_BAD_REQUESTSUBJECT, "a second extensionRequest naming dc01 and ca01.contoso.com");
    }

    @Test
    void finalizeWithSubjectAttributesBesidesTheCommonNameIsRefused() throws Exception {
        byte[] csr = csr("CN=" + NAME + ",O=Contoso,OU=Domain Controllers", b ->
                b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, sanExtensions(NAME).getObjectAt(0)));
        refusedAsBadCsr(csr, WindowsError.CERTSRV_E_BAD_REQUESTSUBJECT, "O and OU in the subject");
    }

    @Test
    void finalizeWithASanRequestAttributeIsRefused() throws Exception {
        byte[] csr = csr("CN=" + NAME, b -> {
            b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, sanExtensions(NAME).getObjectAt(0));
            b.addAttribute(new org.bouncycastle.asn1.ASN1ObjectIdentifier(Pkcs10Request.NAME_VALUE_PAIR),
                    new DERSequence(new ASN1EncodableVector() {{
                        add(new DERBMPString("SAN"));
                        add(new DERBMPString("dns=dc01.contoso.com"));
                    }}));
        });
        refusedAsBadCsr(csr, WindowsError.CERTSRV_E_BAD_REQUESTSUBJECT, "the request attribute SAN:dns=dc01.contoso.com");
    }

    @Test
    void finalizeWithACertificateTemplateExtensionIsRefused() throws Exception {
        byte[] csr = csr("CN=" + NAME, b -> {
            try {
                ExtensionsGenerator extensions = new ExtensionsGenerator();
                extensions.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.dNSName, NAME)));
                extensions.addExtension(new org.bouncycastle.asn1.ASN1ObjectIdentifier("1.3.6.1.4.1.311.20.2"), false,
                        new DERUTF8String(TEMPLATE));
                b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate());
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        });
        refusedAsBadCsr(csr, WindowsError.CERTSRV_E_TEMPLATE_CONFLICT, "the certificate template extension naming " + TEMPLATE + "");
    }

    @Test
    void finalizeWithExactlyTheOrdersNameIsIssued() throws Exception {
        byte[] csr = csr("CN=" + NAME, b -> b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, sanExtensions(NAME).getObjectAt(0)));
        X509Certificate issued = acme("alice", TEMPLATE).enroll(csr, NAME);
        assertEquals(java.util.List.of(java.util.List.of(2, NAME)), java.util.List.copyOf(issued.getSubjectAlternativeNames()),
                "the certificate names the order's name only");
    }

    @Test
    void templateThatBuildsTheSubjectFromTheDirectoryHasNoAcmeDirectory() throws Exception {
        long requests = ca.requestCount();
        AcmeClient alice = acme("alice", DefaultTemplates.KERBEROS_AUTHENTICATION);
        EnrollmentException refused = assertThrows(EnrollmentException.class, () -> alice.enroll(keyPair("RSA"), NAME),
                "alice ordering from " + DefaultTemplates.KERBEROS_AUTHENTICATION + "'s ACME directory");
        assertEquals(WindowsError.CERTSRV_E_UNSUPPORTED_CERT_TYPE, refused.error(), refused.getMessage());
        assertTrue(refused.getMessage().contains(DefaultTemplates.KERBEROS_AUTHENTICATION) && refused.getMessage().contains("Supply in the request"),
                refused.getMessage());
        assertEquals(requests, ca.requestCount(), "no request reaches the CA database");
    }

    @Test
    void eabIsRefusedForADomainControllerAndForPrivilegedAccounts() {
        for (String account : new String[]{"DC01$", "Administrator", "carol"}) {
            CaException refused = assertThrows(CaException.class, () -> ca.issueAcmeKey(account, "CONTOSO\\Administrator"),
                    "pkilab acme eab " + account);
            assertEquals(WindowsError.E_ACCESSDENIED, refused.error(), account + ": " + refused.getMessage());
            assertTrue(refused.getMessage().contains(account), refused.getMessage());
        }
        assertTrue(ca.issueAcmeKey("alice", "CONTOSO\\Administrator").keyId().length() > 0, "an ordinary account gets a key");
    }

    private static RequestRecord recorded(X509Certificate certificate) {
        return ca.bySerial(certificate.getSerialNumber()).orElseThrow(() -> new AssertionError("serial "
                + certificate.getSerialNumber().toString(16) + " is not in " + ca.name() + "'s database"));
    }

    @Test
    void revocationByAccountOnlyForCertificatesThatAcmeAccountOrdered() throws Exception {
        AcmeClient ordering = acme("alice", TEMPLATE);
        X509Certificate issued = ordering.enroll(keyPair("RSA"), NAME);
        AcmeClient another = acme("alice", TEMPLATE);
        EnrollmentException refused = assertThrows(EnrollmentException.class, () -> another.revoke(issued),
                "another ACME account bound to CONTOSO\\alice revoking " + issued.getSerialNumber().toString(16));
        assertEquals(403, refused.httpStatus(), refused.getMessage());
        assertEquals(WindowsError.E_ACCESSDENIED, refused.error(), refused.getMessage());
        assertEquals(RequestStatus.ISSUED, recorded(issued).status(), "the certificate stays issued: " + refused.getMessage());
        ordering.revoke(issued);
        assertEquals(RequestStatus.REVOKED, recorded(issued).status(), "the ordering account revokes it");
    }

    @Test
    void revocationWithCertificateHoldIsABadRevocationReason() throws Exception {
        AcmeClient alice = acme("alice", TEMPLATE);
        X509Certificate issued = alice.enroll(keyPair("RSA"), NAME);
        EnrollmentException refused = assertThrows(EnrollmentException.class,
                () -> alice.revoke(issued, org.shredzone.acme4j.RevocationReason.CERTIFICATE_HOLD));
        assertEquals(400, refused.httpStatus(), refused.getMessage());
        assertEquals(WindowsError.E_INVALIDARG, refused.error(), refused.getMessage());
        assertTrue(refused.getMessage().contains("certificateHold"), "the refusal says how a hold is placed: " + refused.getMessage());
        assertEquals(RequestStatus.ISSUED, recorded(issued).status(), "no hold placed through ACME");
    }

    @Test
    void orderWhoseAuthorizationWasDeactivatedOnceReadyIsNotFinalized() throws Exception {
        long requests = ca.requestCount();
        AcmeClient alice = acme("alice", TEMPLATE, order -> order.getAuthorizations().forEach(authorization -> {
            try {
                authorization.deactivate();
            } catch (org.shredzone.acme4j.exception.AcmeException e) {
                throw new IllegalStateException(e);
            }
        }));
        EnrollmentException refused = assertThrows(EnrollmentException.class, () -> alice.enroll(keyPair("RSA"), NAME),
                "finalizing a ready order for " + NAME + " after its authorization was deactivated");
        assertEquals(403, refused.httpStatus(), refused.getMessage());
        assertTrue(refused.getMessage().contains("deactivated") && refused.getMessage().contains(NAME), refused.getMessage());
        assertEquals(requests, ca.requestCount(), "no request reaches the CA database");
    }

    @Test
    void acmeAccountOfADeletedDirectoryAccountDoesNotPassToTheNextHolderOfItsName() throws Exception {
        try (DirectoryAdmin admin = forest.admin()) {
            admin.usersAndComputers().createUser("dave", PASSWORD);
            admin.usersAndComputers().addMember("ACME Web Servers", "dave");
            AcmeClient dave = acme("dave", TEMPLATE);
            dave.accountUrl();
            String dn = admin.usersAndComputers().dnOf("dave");
            try (com.unboundid.ldap.sdk.LDAPConnection administrator = new com.unboundid.ldap.sdk.LDAPConnection("127.0.0.1", dc.ldapPort(),
                    dc.administratorDn(), PASSWORD)) {
                administrator.delete(dn);
            }
            admin.usersAndComputers().createUser("dave", PASSWORD);
            admin.usersAndComputers().addMember("ACME Web Servers", "dave");
            long issued = ca.issued().size();
            EnrollmentException refused = assertThrows(EnrollmentException.class, () -> dave.enroll(keyPair("RSA"), NAME),
                    "the ACME account bound to the deleted CONTOSO\\dave ordering after a new dave was made");
            assertEquals(WindowsError.ERROR_LOGON_FAILURE, refused.error(), refused.getMessage());
            assertTrue(refused.getMessage().contains("pkilab acme eab"), "the refusal says what to do: " + refused.getMessage());
            assertEquals(issued, ca.issued().size(), "nothing issued to the new dave through the old dave's ACME account");
        }
    }

    /**
     * A responder on a loopback port that answers every connection with what {@code answer} writes, then holds the
     * connection open until the test ends.
     */
    private static ServerSocket responder(java.util.function.BiConsumer<java.net.Socket, String> answer) throws Exception {
        ServerSocket server = new ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress());
        Thread accept = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    java.net.Socket socket = server.accept();
                    Thread each = new Thread(() -> {
                        try {
                            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                                    java.nio.charset.StandardCharsets.US_ASCII));
                            String requestLine = in.readLine();
                            answer.accept(socket, requestLine == null ? "" : requestLine.split(" ")[1]);
                        } catch (java.io.IOException e) {
                            // the CA closed the connection at its deadline
                        }
                    });
                    each.setDaemon(true);
                    each.start();
                } catch (java.io.IOException e) {
                    return;
                }
            }
        });
        accept.setDaemon(true);
        accept.start();
        return server;
    }

    @Test
    void http01ResponderThatDribblesIsGivenUpAtTheDeadlineWithoutHoldingTheOrder() throws Exception {
        AcmeClient alice = acme("alice", TEMPLATE);
        try (ServerSocket dribbler = responder((socket, path) -> {
            try {
                java.io.OutputStream out = socket.getOutputStream();
                out.write("HTTP/1.1 200 OK\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                for (int i = 0; i < 120 && !socket.isClosed(); i++) {
                    out.write('x');
                    out.flush();
                    Thread.sleep(500);
                }
            } catch (java.io.IOException | InterruptedException e) {
                // the CA closed the connection at its deadline
            }
        })) {
            ca.changeRegistry("CA\\AcmeHttpPort", Integer.toString(dribbler.getLocalPort()), "CONTOSO\\Administrator");
            long requests = ca.requestCount();
            EnrollmentException refused = assertThrows(EnrollmentException.class, () -> alice.enroll(keyPair("RSA"), NAME),
                    "http-01 for " + NAME + " answered one byte each half second");
            assertTrue(refused.getMessage().contains("within " + AcmeValidation.DEADLINE_SECONDS + " s")
                    && refused.getMessage().contains("127.0.0.1:" + dribbler.getLocalPort()), refused.getMessage());
            assertEquals(requests, ca.requestCount(), "an order whose name was not proven sends no request to the CA");
        }
    }

    @Test
    void http01AnswerIsReadToItsContentLengthWhileTheResponderKeepsTheConnectionOpen() throws Exception {
        AcmeAccounts.ExternalAccountKey key = ca.issueAcmeKey("alice", "CONTOSO\\Administrator");
        AcmeClient alice = AcmeClient.builder("https://127.0.0.1:" + ca.httpsPort() + "/acme/" + TEMPLATE + "/directory")
                .trust(ca.certificate(), ca.config().fqdn()).accountKey(keyPair("EC"))
                .externalAccountBinding(key.keyId(), key.hmacKeyText()).http01Port(0).build();
        int clientPort = alice.http01Port();
        // answers as the client does, with Content-Length, keep-alive, and never closes
        try (ServerSocket keepAlive = responder((socket, path) -> {
            try {
                byte[] body = new java.net.URL("http://127.0.0.1:" + clientPort + path).openStream().readAllBytes();
                java.io.OutputStream out = socket.getOutputStream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length
                        + "\r\nConnection: keep-alive\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
                Thread.sleep(60_000);
            } catch (java.io.IOException | InterruptedException e) {
                // the CA closed the connection
            }
        })) {
            ca.changeRegistry("CA\\AcmeHttpPort", Integer.toString(keepAlive.getLocalPort()), "CONTOSO\\Administrator");
            X509Certificate issued = alice.enroll(keyPair("RSA"), NAME);
            assertEquals("CONTOSO\\alice", recorded(issued).requester(), "http-01 proven by an answer read to its Content-Length");
        }
    }

    @Test
    void newAccountWithTheKeyOfADeactivatedAccountIsUnauthorized() throws Exception {
        KeyPair accountKey = keyPair("EC");
        AcmeAccounts.ExternalAccountKey key = ca.issueAcmeKey("alice", "CONTOSO\\Administrator");
        String directory = "https://127.0.0.1:" + ca.httpsPort() + "/acme/" + TEMPLATE + "/directory";
        AcmeClient alice = AcmeClient.builder(directory).trust(ca.certificate(), ca.config().fqdn()).accountKey(accountKey)
                .externalAccountBinding(key.keyId(), key.hmacKeyText()).build();
        alice.accountUrl();
        alice.deactivateAccount();
        AcmeClient again = AcmeClient.builder(directory).trust(ca.certificate(), ca.config().fqdn()).accountKey(accountKey).build();
        EnrollmentException refused = assertThrows(EnrollmentException.class, again::accountUrl,
                "new-account with the key of a deactivated account");
        assertEquals(401, refused.httpStatus(), refused.getMessage());
        assertTrue(refused.getMessage().contains("deactivated"), refused.getMessage());
    }

    @Test
    void http01FailuresCarryTheErrorTypeOfWhatWentWrong() throws Exception {
        AcmeClient nobody = acme("alice", TEMPLATE);
        int closed = freePort();
        ca.changeRegistry("CA\\AcmeHttpPort", Integer.toString(closed), "CONTOSO\\Administrator");
        EnrollmentException notListening = assertThrows(EnrollmentException.class, () -> nobody.enroll(keyPair("RSA"), NAME));
        assertTrue(notListening.getMessage().contains("urn:ietf:params:acme:error:connection"),
                "nothing listens on 127.0.0.1:" + closed + ": " + notListening.getMessage());

        AcmeClient refusing = acme("alice", TEMPLATE);
        try (ServerSocket notFound = responder((socket, path) -> {
            try {
                socket.getOutputStream().write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                socket.close();
            } catch (java.io.IOException e) {
                // the CA went away first
            }
        })) {
            ca.changeRegistry("CA\\AcmeHttpPort", Integer.toString(notFound.getLocalPort()), "CONTOSO\\Administrator");
            EnrollmentException answered404 = assertThrows(EnrollmentException.class, () -> refusing.enroll(keyPair("RSA"), NAME));
            assertTrue(answered404.getMessage().contains("urn:ietf:params:acme:error:unauthorized")
                    && answered404.getMessage().contains("404"), "a responder answering 404: " + answered404.getMessage());
        }
    }

    @Test
    void revokingARevokedCertificateAgainIsAlreadyRevokedWithTheCode() throws Exception {
        AcmeClient alice = acme("alice", TEMPLATE);
        X509Certificate issued = alice.enroll(keyPair("RSA"), NAME);
        alice.revoke(issued, org.shredzone.acme4j.RevocationReason.KEY_COMPROMISE);
        EnrollmentException again = assertThrows(EnrollmentException.class, () -> alice.revoke(issued),
                "revoking " + issued.getSerialNumber().toString(16) + " a second time");
        assertEquals(400, again.httpStatus(), again.getMessage());
        assertEquals(WindowsError.CRYPT_E_REVOKED, again.error(), again.getMessage());
        assertEquals(RevocationReason.KEY_COMPROMISE, recorded(issued).revocationReason(), "the first reason stays");
    }
}
