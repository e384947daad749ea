package org.pkilab.ca;

import org.bouncycastle.asn1.x509.Time;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Date;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A certificate's notBefore and notAfter as RFC 5280 4.1.2.5 encodes them: what Bouncy Castle's own Time encodes. */
class CertificateTimeTest {

    @Test
    void validityTimesAreUtcTimeThrough2049AndGeneralizedTimeFrom2050() throws Exception {
        assertEquals("491231235959Z", text(Instant.parse("2049-12-31T23:59:59Z")));
        assertEquals("20500101000000Z", text(Instant.parse("2050-01-01T00:00:00Z")));
        assertEquals("500101000000Z", text(Instant.parse("1950-01-01T00:00:00Z")));
        assertEquals("19491231235959Z", text(Instant.parse("1949-12-31T23:59:59Z")));
        assertEquals("261207110403Z", text(Instant.parse("2026-12-07T11:04:03.999Z")), "fractions of a second are dropped");
        for (long second = -700_000_000L; second < 4_200_000_000L; second += 86_399L * 370 + 3_607) {
            Instant instant = Instant.ofEpochSecond(second);
            assertArrayEquals(new Time(Date.from(instant), Locale.ROOT).getEncoded(), CertificateSigner.time(instant).getEncoded(),
                    "the DER of " + instant);
        }
    }

    private static String text(Instant instant) throws Exception {
        byte[] der = CertificateSigner.time(instant).getEncoded();
        return new String(der, 2, der.length - 2, java.nio.charset.StandardCharsets.US_ASCII);
    }
}
