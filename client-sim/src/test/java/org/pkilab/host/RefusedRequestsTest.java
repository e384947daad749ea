package org.pkilab.host;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A computer whose autoenrollment the CA refuses at every cycle keeps the keys of the newest refused requests only. */
class RefusedRequestsTest {

    @Test
    void everyFailedCycleAddsARefusedRequestAndOnlyTheNewestAreKeptWithTheirKeys() {
        CertificateStore machine = new CertificateStore("LocalMachine\\My");
        CertificateStore user = new CertificateStore("CurrentUser\\My");
        RefusedRequests refused = new RefusedRequests();
        int cycles = 100;
        for (long id = 1; id <= cycles; id++) {
            refused.put(id, new CertificateEnrollmentRequests.Pending("Machine", null, new byte[0], null, id == cycles ? user : machine, null));
        }
        List<Long> newest = LongStream.rangeClosed(cycles - RefusedRequests.KEPT + 1, cycles - 1).boxed().toList();
        assertEquals(newest, refused.ids(machine), "after " + cycles + " refused autoenrollment requests PC01 keeps the newest "
                + RefusedRequests.KEPT + " (the last is the user's)");
        assertEquals(List.of((long) cycles), refused.ids(user));
        assertNull(refused.get(1), "request 1's key is gone");
        assertNotNull(refused.get(cycles - 1), "the newest refused request can still be retrieved once resubmitted");
    }
}
