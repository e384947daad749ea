package org.pkilab.directory.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;

/**
 * The encoding of {@code pKIExpirationPeriod} and {@code pKIOverlapPeriod} ([MS-CRTD] 2.11, 2.15):
 * 8 bytes, little-endian, a negative count of 100-nanosecond intervals. One year is
 * {@code 00 40 39 87 2E E1 FE FF}; six weeks is {@code 00 80 A6 0A FF DE FF FF}.
 *
 * <p>The Certificate Templates console shows these as "1 years", "6 weeks": {@link #display} does too.
 */
public final class PkiPeriod {

    private static final long TICKS_PER_SECOND = 10_000_000L;

    private PkiPeriod() {
    }

    public static byte[] encode(Duration period) {
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("period must be positive: " + period);
        }
        long ticks = -Math.multiplyExact(period.getSeconds(), TICKS_PER_SECOND);
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(ticks).array();
    }

    public static Duration decode(byte[] bytes) {
        if (bytes == null || bytes.length != 8) {
            throw new IllegalArgumentException("a PKI period is 8 bytes, got " + (bytes == null ? "none" : bytes.length));
        }
        long ticks = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return Duration.ofSeconds(-ticks / TICKS_PER_SECOND);
    }

    /** "2 years", "6 weeks", "3 days", "8 hours": the largest unit that divides the period exactly. */
    public static String display(Duration period) {
        long days = period.toDays();
        if (period.equals(Duration.ofDays(days)) && days > 0) {
            if (days % 365 == 0) {
                return plural(days / 365, "year");
            }
            if (days % 7 == 0) {
                return plural(days / 7, "week");
            }
            return plural(days, "day");
        }
        return plural(period.toHours(), "hour");
    }

    /** The forms {@link #parse} reads, for the messages that refuse others. */
    public static final String FORMS = "a whole number and a unit, <number> years|weeks|days|hours: '2 years', '6 weeks', '10 days', '8 hours'";

    /** Reads "2 years", "6 weeks", "10 days", "8 hours" (singular or plural); anything else is refused naming it and {@link #FORMS}. */
    public static Duration parse(String text) {
        String[] parts = text == null ? new String[0] : text.trim().split("\\s+");
        if (parts.length != 2) {
            throw new IllegalArgumentException("'" + text + "' is not a period; give " + FORMS);
        }
        long n;
        try {
            n = Long.parseLong(parts[0]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a period: '" + parts[0] + "' is not a whole number; give " + FORMS);
        }
        if (n < 1) {
            throw new IllegalArgumentException("'" + text + "' is not a period: it must be at least 1; give " + FORMS);
        }
        return switch (parts[1].toLowerCase(java.util.Locale.ROOT).replaceFirst("s$", "")) {
            case "year" -> Duration.ofDays(365 * n);
            case "week" -> Duration.ofDays(7 * n);
            case "day" -> Duration.ofDays(n);
            case "hour" -> Duration.ofHours(n);
            default -> throw new IllegalArgumentException("'" + text + "' is not a period: unknown unit '" + parts[1] + "'; give " + FORMS);
        };
    }

    private static String plural(long n, String unit) {
        return n + " " + unit + (n == 1 ? "" : "s");
    }
}
