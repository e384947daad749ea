package org.pkilab.ca;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * NDES's one-time enrollment challenge passwords: an administrator gets one from {@code /certsrv/mscep_admin/}, hands it
 * to the person setting up a router, and the router's SCEP request carries it as its PKCS #10 {@code challengePassword}.
 * Each password is good for one request and for {@value #VALIDITY_MINUTES} minutes, and NDES keeps at most
 * {@value #CACHE_SIZE} unused ones (its {@code PasswordMax} and {@code PasswordValidity} defaults); asking for a sixth
 * while five wait is refused with NDES's "The password cache is full".
 *
 * <pre>{@code
 * ChallengePasswords passwords = new ChallengePasswords(clock);
 * String p = passwords.issue();          // "3F2A6D7F0F3C2B1A", 16 hex digits as NDES gives them
 * passwords.redeem(p);                   // null: good, and used up
 * passwords.redeem(p);                   // "... was used already (at ...)"
 * }</pre>
 *
 * Used and expired passwords are remembered for a while longer, so a refusal can say which of wrong, used or expired it
 * was. Kept in memory only, as NDES keeps them: a restart forgets them all.
 */
final class ChallengePasswords {

    static final int CACHE_SIZE = 5;
    static final int VALIDITY_MINUTES = 60;
    private static final Duration VALIDITY = Duration.ofMinutes(VALIDITY_MINUTES);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Why {@link #issue} gave no password. */
    static final class CacheFull extends RuntimeException {
        CacheFull(String message) {
            super(message);
        }
    }

    private record Entry(Instant issued, Instant used) {
    }

    private final Clock clock;
    private final Map<String, Entry> passwords = new LinkedHashMap<>();

    ChallengePasswords(Clock clock) {
        this.clock = clock;
    }

    /**
     * A new password.
     *
     * @throws CacheFull when {@value #CACHE_SIZE} unused, unexpired passwords wait already
     */
    synchronized String issue() {
        Instant now = clock.instant();
        forgetOld(now);
        long waiting = passwords.values().stream().filter(e -> e.used() == null && now.isBefore(e.issued().plus(VALIDITY))).count();
        if (waiting >= CACHE_SIZE) {
            throw new CacheFull("The password cache is full. " + waiting + " passwords wait to be used; use one of them, or wait until "
                    + "one expires (" + VALIDITY_MINUTES + " minutes after it was given)");
        }
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        String password = HexFormat.of().withUpperCase().formatHex(bytes);
        passwords.put(password, new Entry(now, null));
        return password;
    }

    /** Uses {@code password} up; null when it was good, else why it cannot be used. Nothing changes on a refusal. */
    synchronized String redeem(String password) {
        Instant now = clock.instant();
        forgetOld(now);
        String key = password == null ? "" : password.strip().toUpperCase(java.util.Locale.ROOT);
        Entry entry = passwords.get(key);
        if (entry == null) {
            return "the challenge password is not one NDES gave out (or was given more than " + 2 * VALIDITY_MINUTES + " minutes ago)";
        }
        if (entry.used() != null) {
            return "the challenge password was used already, at " + entry.used() + "; each password is good for one request";
        }
        if (!now.isBefore(entry.issued().plus(VALIDITY))) {
            return "the challenge password expired at " + entry.issued().plus(VALIDITY) + ", " + VALIDITY_MINUTES + " minutes after it was given";
        }
        passwords.put(key, new Entry(entry.issued(), now));
        return null;
    }

    private void forgetOld(Instant now) {
        passwords.values().removeIf(e -> !now.isBefore(e.issued().plus(VALIDITY.multipliedBy(2))));
    }
}
