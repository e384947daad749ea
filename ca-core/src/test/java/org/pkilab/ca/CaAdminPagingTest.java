package org.pkilab.ca;

import org.pkilab.enrollment.EstClient;
import org.pkilab.enrollment.EstTransport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.directory.model.LogonToken;

import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A console folder of the CA's administration interface comes a page at a time, however large the database. */
class CaAdminPagingTest {

    private static final String PASSWORD = TestForest.PASSWORD;
    private static TestForest forest;
    private static DomainController dc;
    private static CertificationAuthority ca;
    private static EstClient client;

    @BeforeAll
    static void startLab() {
        forest = TestForest.start();
        dc = forest.dc();
        ca = forest.ca();
        client = CaHttps.est(ca);
        LogonToken administrator = DomainLogon.logon("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD).token();
        KeyPair key = Csrs.rsa(2048);
        for (int i = 0; i < 25; i++) {
            EnrollmentResult issued = ca.submit(EnrollmentRequest.manual(administrator, "WebServer",
                    Csrs.request(key, "CN=web" + i + ".contoso.com", "web" + i + ".contoso.com")));
            assertTrue(issued.issued(), () -> issued.decision().explain());
        }
    }

    @AfterAll
    static void stopLab() {
        forest.close();
    }

    private static EstTransport.Response issued(String query) throws Exception {
        return CaHttps.admin(ca, "GET", "requests?status=issued" + query, EstClient.basic("Administrator", PASSWORD));
    }

    private static List<Long> ids(EstTransport.Response reply) throws Exception {
        assertEquals(200, reply.status(), reply.text());
        List<Long> ids = new ArrayList<>();
        java.util.regex.Matcher row = java.util.regex.Pattern.compile("\\{\"requestId\":(\\d+),").matcher(reply.text());
        while (row.find()) {
            ids.add(Long.parseLong(row.group(1)));
        }
        return ids;
    }

    @Test
    void aFolderComesInPagesEachNamingWhereTheNextStarts() throws Exception {
        List<Long> all = new ArrayList<>();
        EstTransport.Response page = issued("&limit=10");
        List<Long> first = ids(page);
        assertEquals(10, first.size());
        assertEquals(String.valueOf(first.get(9)), page.header(CaAdminEndpoint.NEXT_PAGE), "a full page names where the next one starts");
        all.addAll(first);
        while (page.header(CaAdminEndpoint.NEXT_PAGE) != null) {
            page = issued("&limit=10&after=" + page.header(CaAdminEndpoint.NEXT_PAGE));
            all.addAll(ids(page));
        }
        assertEquals(ids(issued("")), all, "the pages hold the folder once each, in order");
        assertTrue(all.size() >= 25, "every issued request: " + all.size());
        for (int i = 1; i < all.size(); i++) {
            assertTrue(all.get(i) > all.get(i - 1), "oldest first: " + all);
        }
    }

    @Test
    void withoutALimitAPageHoldsAThousandAndAnUnreasonableLimitIsRefused() throws Exception {
        EstTransport.Response whole = issued("");
        assertTrue(ids(whole).size() < CaAdminEndpoint.PAGE_SIZE);
        assertNull(whole.header(CaAdminEndpoint.NEXT_PAGE), "a page that is not full is the last");
        for (String limit : List.of("0", "-1", String.valueOf(CaAdminEndpoint.MAX_PAGE_SIZE + 1), "ten")) {
            EstTransport.Response refused = issued("&limit=" + limit);
            assertEquals(400, refused.status(), "limit " + limit + ": " + refused.text());
            assertTrue(refused.text().contains("1 to " + CaAdminEndpoint.MAX_PAGE_SIZE), refused.text());
        }
    }
}
