package org.pkilab.directory;

import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPConnectionOptions;
import com.unboundid.ldap.sdk.LDAPSearchException;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchResult;
import com.unboundid.ldap.sdk.SearchScope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the DC decodes is bounded before ApacheDS's decoder and handlers see it, as AD bounds it
 * (MaxReceiveBuffer, MaxConnIdleTime): a hostile request costs its sender one refused request, never the DC.
 */
class LdapRequestLimitsTest {

    private static final String PASSWORD = "Lab-Passw0rd!";
    private static DomainController dc;

    @BeforeAll
    static void start() {
        dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
    }

    @AfterAll
    static void stop() {
        dc.close();
    }

    @Test
    void aDeeplyNestedFilterIsRefusedAndTheDcGoesOnAnsweringEveryone() throws Exception {
        for (int i = 0; i < 6; i++) {
            byte[] answer = sendRaw(Ber.search(1, dc.names().domain(), Ber.nestedNotFilter(3000)));
            assertTrue(answer.length > 0, "the DC answered nothing to a 3,000-deep filter (round " + i + ")");
            assertEquals(0x30, answer[0] & 0xFF, "an LDAP message comes back");
        }
        Result search = ExternalTool.run(null, Map.of(), null, "timeout", "5", "ldapsearch", "-LLL", "-x", "-o", "nettimeout=1",
                "-H", dc.ldapUrl(), "-D", dc.administratorDn(), "-w", PASSWORD, "-b", dc.names().domain(), "-s", "base", "dn");
        assertEquals(0, search.exit(), "ldapsearch after six hostile filters: " + search);
        assertTrue(search.out().contains("dn: " + dc.names().domain()), search.out());
    }

    @Test
    void aFilterAtTheDepthLimitIsAnsweredAndOneLevelDeeperIsRefusedWithTheLimitNamed() throws Exception {
        int limit = LdapQueryPolicy.DEFAULT.maxFilterDepth();
        try (LDAPConnection ldap = connection()) {
            String atLimit = "(!".repeat(limit - 1) + "(!(objectClass=*))" + ")".repeat(limit - 1);
            SearchResult result = ldap.search(dc.names().domain(), SearchScope.BASE, atLimit);
            assertEquals(limit % 2 == 0 ? 1 : 0, result.getEntryCount(), limit + " NOTs around (objectClass=*)");
            String deeper = "(!" + atLimit + ")";
            LDAPSearchException refused = assertThrows(LDAPSearchException.class,
                    () -> ldap.search(dc.names().domain(), SearchScope.BASE, deeper));
            assertEquals(ResultCode.ADMIN_LIMIT_EXCEEDED, refused.getResultCode());
            assertTrue(refused.getMessage().contains("deeper than " + limit), refused.getMessage());
            assertEquals(1, ldap.search(dc.names().domain(), SearchScope.BASE, "(objectClass=*)").getEntryCount(),
                    "the same connection goes on after the refusal");
        }
    }

    @Test
    void aFilterWithTooManyTermsIsRefusedBeforeItIsEvaluated() throws Exception {
        int limit = LdapQueryPolicy.DEFAULT.maxFilterTerms();
        Filter[] terms = new Filter[limit + 1];
        for (int i = 0; i < terms.length; i++) {
            terms[i] = Filter.createEqualityFilter("cn", "guess" + i);
        }
        try (LDAPConnection ldap = connection()) {
            LDAPSearchException refused = assertThrows(LDAPSearchException.class,
                    () -> ldap.search(dc.names().domain(), SearchScope.SUB, Filter.createORFilter(terms)));
            assertEquals(ResultCode.ADMIN_LIMIT_EXCEEDED, refused.getResultCode());
            assertTrue(refused.getMessage().contains("over " + limit + " terms"), refused.getMessage());
            assertEquals(0, ldap.search(dc.names().domain(), SearchScope.SUB,
                    Filter.createORFilter(java.util.Arrays.copyOf(terms, limit))).getEntryCount(), "at the limit it is answered");
        }
    }

    @Test
    void costlySearchesDoNotHoldUpACheapOneOnAnotherConnection() throws Exception {
        // a few thousand substring terms, each tried against every entry of the domain: a second or so each here
        Filter[] terms = new Filter[LdapQueryPolicy.DEFAULT.maxFilterTerms()];
        for (int i = 0; i < terms.length; i++) {
            terms[i] = Filter.createSubstringFilter("description", null, new String[]{"guess" + i}, null);
        }
        Filter costly = Filter.createORFilter(terms);
        java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(3);
        java.util.List<Long> finished = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        try {
            java.util.List<java.util.concurrent.Future<?>> searches = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                searches.add(clients.submit(() -> {
                    try (LDAPConnection ldap = connection()) {
                        ldap.search(dc.names().domain(), SearchScope.SUB, costly, "1.1");
                    }
                    finished.add(System.nanoTime());
                    return null;
                }));
            }
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (dc.costlySearchesRunning() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(5); // until the three are being evaluated
            }
            assertEquals(3, dc.costlySearchesRunning(), "the three costly searches run on the DC's threads for them");
            long cheapDone;
            try (LDAPConnection ldap = connection()) {
                assertEquals(1, ldap.search(dc.names().domain(), SearchScope.BASE, "(objectClass=*)").getEntryCount());
                cheapDone = System.nanoTime();
            }
            for (java.util.concurrent.Future<?> search : searches) {
                search.get();
            }
            assertTrue(finished.stream().allMatch(t -> t > cheapDone),
                    "a base search on its own connection is answered while costly searches run, not after one of them");
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void headersDeclaringHugeMessagesHoldNothingAndStopNoOne() throws Exception {
        List<Socket> stalled = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 12; i++) { // each declares 10 MB and sends nothing more: 120 MB declared, twice the budget
                Socket socket = new Socket("127.0.0.1", dc.ldapPort());
                socket.getOutputStream().write(new byte[]{0x30, (byte) 0x84, 0x00, (byte) 0x9F, (byte) 0xFF, 0x00, 0x02, 0x01, 0x01});
                socket.getOutputStream().flush();
                stalled.add(socket);
            }
            Result search = ExternalTool.run(null, Map.of(), null, "timeout", "10", "ldapsearch", "-LLL", "-x",
                    "-H", dc.ldapUrl(), "-D", dc.administratorDn(), "-w", PASSWORD, "-b", dc.names().domain(), "-s", "base", "dn");
            assertEquals(0, search.exit(), "ldapsearch while twelve huge messages are declared and not sent: " + search);
        } finally {
            for (Socket socket : stalled) {
                socket.close();
            }
        }
    }

    @Test
    void anUnauthenticatedBindWithAHundredThousandRdnsIsRefusedUnread() throws Exception {
        String dn = "cn=x,".repeat(100_000) + dc.names().domain();
        byte[] bind = Ber.tlv(0x30, Ber.integer(1), Ber.tlv(0x60, Ber.integer(3), Ber.octets(dn), Ber.tlv(0x80, "pw".getBytes())));
        byte[] answer = sendRaw(bind);
        assertTrue(answer.length > 10, "a bind response comes back");
        assertEquals(0x61, answer[answer[1] < 0 ? 2 + (answer[1] & 0x7F) + 3 : 5] & 0xFF, "a BindResponse");
        String text = new String(answer, java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(text.contains("bytes long, over the DC's limit"), text);
    }

    @Test
    void aMessageOverMaxReceiveBufferOrNotLdapAtAllEndsOnlyThatConnection() throws Exception {
        byte[] header = {0x30, (byte) 0x84, 0x7F, 0, 0, 0};
        String tooBig = new String(sendRaw(header), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(tooBig.contains("1.3.6.1.4.1.1466.20036") && tooBig.contains("MaxReceiveBuffer"),
                "a Notice of Disconnection naming MaxReceiveBuffer: " + tooBig);
        String garbage = new String(sendRaw("GET / HTTP/1.1\r\n\r\n".getBytes()), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(garbage.contains("1.3.6.1.4.1.1466.20036") && garbage.contains("not an LDAP message"), garbage);
        try (LDAPConnection ldap = connection()) {
            assertEquals(1, ldap.search(dc.names().domain(), SearchScope.BASE, "(objectClass=*)").getEntryCount());
        }
    }

    @Test
    void aMessageThatStopsArrivingIsDroppedAndItsBytesReleased() throws Exception {
        try (DomainController slow = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD)
                .queryPolicy(LdapQueryPolicy.DEFAULT.withRequestArrival(java.time.Duration.ofSeconds(1))).build());
             Socket socket = new Socket("127.0.0.1", slow.ldapPort())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(new byte[]{0x30, (byte) 0x82, 0x10, 0, 0x02, 0x01, 0x01});
            socket.getOutputStream().flush();
            byte[] buffer = new byte[4096];
            int n = socket.getInputStream().read(buffer);
            String notice = n <= 0 ? "" : new String(buffer, 0, n, java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(notice.contains("1.3.6.1.4.1.1466.20036") && notice.contains("still incomplete"),
                    "a partly sent request is not held: " + notice);
            assertEquals(-1, socket.getInputStream().read(), "and the connection is closed");
        }
    }

    @Test
    void aConnectionIdleWithoutABindIsClosedAndABoundOneIsNot() throws Exception {
        try (DomainController strict = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD)
                .queryPolicy(LdapQueryPolicy.DEFAULT.withMaxConnIdleTime(java.time.Duration.ofSeconds(1))).build());
             Socket idle = new Socket("127.0.0.1", strict.ldapPort());
             LDAPConnection bound = new LDAPConnection("127.0.0.1", strict.ldapPort(), strict.administratorDn(), PASSWORD)) {
            idle.setSoTimeout(30_000);
            byte[] buffer = new byte[4096];
            int n = idle.getInputStream().read(buffer);
            String notice = n <= 0 ? "" : new String(buffer, 0, n, java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(notice.contains("1.3.6.1.4.1.1466.20036") && notice.contains("without a bind"), "an idle connection: " + notice);
            assertEquals(1, bound.search(strict.names().domain(), SearchScope.BASE, "(objectClass=*)").getEntryCount(),
                    "a bound connection idle as long is still served");
        }
    }

    @Test
    void anAnonymousRequestNamingAGuidOrSidGetsTheSameRefusalWhetherAnObjectHoldsItOrNot() throws Exception {
        String administratorSid;
        try (LDAPConnection ldap = connection()) {
            administratorSid = SecurityIdentifier.fromBytes(
                    ldap.getEntry(dc.administratorDn(), "objectSid").getAttributeValueBytes("objectSid")).toString();
        }
        String unheldSid = administratorSid.substring(0, administratorSid.lastIndexOf('-') + 1) + "987654";
        byte[] domainRefused = sendRaw(Ber.search(1, dc.names().domain(), Ber.tlv(0x87, "objectClass".getBytes())));
        String refusal = new String(domainRefused, java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(refusal.contains("000004DC") && refusal.contains("successful bind must be completed"),
                "an anonymous search of " + dc.names().domain() + " is refused as on AD: " + refusal);
        for (String name : List.of("<SID=" + administratorSid + ">", "<SID=" + unheldSid + ">",
                "<GUID=00000000-0000-0000-0000-000000000000>")) {
            byte[] answer = sendRaw(Ber.search(1, name, Ber.tlv(0x87, "objectClass".getBytes())));
            assertEquals(HexFormat.of().formatHex(domainRefused), HexFormat.of().formatHex(answer),
                    "an anonymous search of " + name + " gets what one of the domain gets: "
                            + new String(answer, java.nio.charset.StandardCharsets.UTF_8));
        }
        for (int operation : new int[]{0x4A, 0x66, 0x6C, 0x6E}) {
            byte[] held = sendRaw(Ber.naming(1, operation, "<SID=" + administratorSid + ">"));
            byte[] unheld = sendRaw(Ber.naming(1, operation, "<SID=" + unheldSid + ">"));
            String text = new String(held, java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(text.contains("000004DC"), "operation 0x" + Integer.toHexString(operation) + " by an anonymous caller: " + text);
            assertEquals(HexFormat.of().formatHex(held), HexFormat.of().formatHex(unheld),
                    "operation 0x" + Integer.toHexString(operation) + " naming a SID Administrator holds, and one no object holds");
        }
    }

    @Test
    void anAnonymousWriteOrCompareGetsTheSameRefusalWhetherItsObjectExistsOrNot() throws Exception {
        String missing = "CN=Nobody Here," + dc.names().users();
        for (int operation : new int[]{0x4A, 0x66, 0x6C, 0x6E}) {
            byte[] held = sendRaw(Ber.naming(1, operation, dc.administratorDn()));
            byte[] unheld = sendRaw(Ber.naming(1, operation, missing));
            String text = new String(held, java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(text.contains("000004DC") && text.contains("successful bind must be completed"),
                    "operation 0x" + Integer.toHexString(operation) + " on " + dc.administratorDn() + " by an anonymous caller: " + text);
            assertEquals(HexFormat.of().formatHex(held), HexFormat.of().formatHex(unheld),
                    "operation 0x" + Integer.toHexString(operation) + " on Administrator and on " + missing
                            + " answer alike, so an anonymous caller learns nothing of which objects exist");
        }
    }

    private static LDAPConnection connection() throws Exception {
        LDAPConnectionOptions options = new LDAPConnectionOptions();
        options.setResponseTimeoutMillis(10_000);
        return new LDAPConnection(options, "127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD);
    }

    /** Sends one PDU on a fresh connection and returns the first bytes of the answer (empty if the connection closed). */
    private static byte[] sendRaw(byte[] pdu) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", dc.ldapPort())) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            out.write(pdu);
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[4096];
            try {
                int n = in.read(buffer);
                return n <= 0 ? new byte[0] : java.util.Arrays.copyOf(buffer, n);
            } catch (SocketTimeoutException e) {
                return new byte[0];
            }
        }
    }
}
