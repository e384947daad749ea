package org.pkilab.ca;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.enrollment.AcmeClient;
import org.pkilab.enrollment.EnrollmentException;
import org.pkilab.pki.LabClock;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ACME orders as time passes on the lab's clock: an order expires seven days after it was placed, cannot be finalized
 * afterwards, and is forgotten (with its authorizations) when the next order comes, so it neither counts against its
 * account nor stays in the CA's memory.
 */
class AcmeOrderExpiryTest {

    private static final String PASSWORD = TestForest.PASSWORD;
    private static TestForest forest;
    private static final String TEMPLATE = "ACMEWebServer";
    private static final String NAME = "iis01.contoso.com";
    private static final LabClock CLOCK = new LabClock();
    private static DomainController dc;
    private static CertificationAuthority ca;

    @BeforeAll
    static void startLab() {
        forest = TestForest.start(CLOCK);
        dc = forest.dc();
        ca = forest.ca();
        try (DirectoryAdmin admin = forest.admin()) {
            admin.usersAndComputers().createUser("alice", PASSWORD);
            admin.templates().duplicate("Web Server", TEMPLATE, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
            admin.security().allow(TEMPLATE, "Domain Users", AccessRight.READ, AccessRight.ENROLL);
        }
        ca.issueTemplate(TEMPLATE);
    }

    @AfterAll
    static void stopLab() {
        forest.close();
    }

    private static KeyPair keyPair(String algorithm) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
        generator.initialize(algorithm.equals("EC") ? 256 : 2048);
        return generator.generateKeyPair();
    }

    private static AcmeClient.Builder alice() throws Exception {
        AcmeAccounts.ExternalAccountKey key = ca.issueAcmeKey("alice", "CONTOSO\\Administrator");
        return AcmeClient.builder("https://127.0.0.1:" + ca.httpsPort() + "/acme/" + TEMPLATE + "/directory")
                .trust(ca.certificate(), ca.config().fqdn()).accountKey(keyPair("EC"))
                .externalAccountBinding(key.keyId(), key.hmacKeyText()).http01Port(0);
    }

    /** {@code builder}'s client, the CA checking http-01 where it answers. */
    private static AcmeClient answering(AcmeClient.Builder builder) {
        AcmeClient client = builder.build();
        ca.changeRegistry("CA\\AcmeHttpPort", Integer.toString(client.http01Port()), "CONTOSO\\Administrator");
        return client;
    }

    @Test
    void orderReadyButPastItsExpiryIsNotFinalized() throws Exception {
        AcmeClient alice = answering(alice().beforeFinalize(order -> CLOCK.advance(Duration.ofDays(8))));
        long requests = ca.requestCount();
        EnrollmentException refused = assertThrows(EnrollmentException.class, () -> alice.enroll(keyPair("RSA"), NAME),
                "finalizing alice's order for " + NAME + " eight days after it was placed");
        assertTrue(refused.getMessage().contains("expired"), refused.getMessage());
        assertEquals(requests, ca.requestCount(), "an expired order sends no request to the CA");
    }

    @Test
    void expiredOrdersAreForgottenWhenTheNextOrderComes() throws Exception {
        AcmeClient alice = answering(alice());
        alice.enroll(keyPair("RSA"), NAME);
        List<String> first = alice.orderUrls();
        assertEquals(1, first.size(), "alice's account after one order: " + first);
        CLOCK.advance(Duration.ofDays(8));
        alice.enroll(keyPair("RSA"), NAME);
        List<String> after = alice.orderUrls();
        assertEquals(1, after.size(), "the order placed eight days ago expired and is gone: " + after);
        assertTrue(!after.contains(first.get(0)), after + " still lists " + first.get(0));
    }
}
