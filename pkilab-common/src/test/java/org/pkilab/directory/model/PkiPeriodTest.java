package org.pkilab.directory.model;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PkiPeriodTest {

    @Test
    void encodesPeriodsAsWindowsStoresThem() {
        // values read from a Windows Server 2016 directory: 2 years, 1 year, 6 weeks
        assertEquals("0080720e5dc2fdff", HexFormat.of().formatHex(PkiPeriod.encode(Duration.ofDays(730))));
        assertEquals("004039872ee1feff", HexFormat.of().formatHex(PkiPeriod.encode(Duration.ofDays(365))));
        assertEquals("0080a60affdeffff", HexFormat.of().formatHex(PkiPeriod.encode(Duration.ofDays(42))));
        assertEquals(Duration.ofDays(42), PkiPeriod.decode(HexFormat.of().parseHex("0080a60affdeffff")));
    }

    @Test
    void displaysAndParsesAsTheConsoleShowsThem() {
        assertEquals("2 years", PkiPeriod.display(Duration.ofDays(730)));
        assertEquals("6 weeks", PkiPeriod.display(Duration.ofDays(42)));
        assertEquals(Duration.ofDays(14), PkiPeriod.parse("2 weeks"));
        assertThrows(IllegalArgumentException.class, () -> PkiPeriod.parse("2 fortnights"));
        assertThrows(IllegalArgumentException.class, () -> PkiPeriod.parse("0 days"));
    }
}
