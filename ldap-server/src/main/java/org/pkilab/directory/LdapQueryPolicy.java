package org.pkilab.directory;

import java.time.Duration;

/**
 * The DC's LDAP limits, after AD's <em>Default Query Policy</em> ({@code lDAPAdminLimits} on
 * {@code CN=Default Query Policy,CN=Query-Policies,CN=Directory Service,CN=Windows NT,CN=Services} in the
 * configuration partition, shown by {@code ntdsutil "ldap policies"}).
 *
 * <p>Where AD names a limit, the lab takes its name and default: {@code MaxReceiveBuffer} (10,485,760 bytes: a
 * larger request is refused before it is read), {@code MaxQueryDuration} (120 s). AD needs no limit on the shape
 * of a request because its decoder and filter evaluation do not recurse on the request's own nesting; ApacheDS's
 * do, so the lab adds limits of its own where a Windows DC has none, set far above anything a real tool sends:
 * filter nesting, filter terms, BER depth and element count, DN length and components, the bytes held for
 * requests still arriving, and how long a request may take to arrive. The docs' differences page lists them.
 *
 * @param maxReceiveBuffer  the largest LDAP message read, in bytes (AD's {@code MaxReceiveBuffer})
 * @param maxPendingBytes   the bytes held, over all connections, for messages still arriving
 * @param maxFilterDepth    how deep AND, OR and NOT may nest in a search filter
 * @param maxFilterTerms    how many terms (equality, substring, presence...) one filter may hold
 * @param maxBerDepth       how deep any message's BER may nest
 * @param maxBerElements    how many BER elements one message may hold
 * @param maxDnLength       the longest DN a request may name, in bytes
 * @param maxDnComponents   the most attribute-value pairs a DN a request names may hold
 * @param requestArrival    how long a message may take from its first byte to its last
 * @param maxQueryDuration  how long a search may run (AD's {@code MaxQueryDuration})
 * @param maxConnIdleTime   how long a connection that has not bound may stay idle (AD's {@code MaxConnIdleTime}, which
 *                          AD applies to every connection; the lab spares bound ones, such as the CA's change
 *                          notifications, which are idle by design)
 */
public record LdapQueryPolicy(int maxReceiveBuffer, long maxPendingBytes, int maxFilterDepth, int maxFilterTerms,
                              int maxBerDepth, int maxBerElements, int maxDnLength, int maxDnComponents,
                              Duration requestArrival, Duration maxQueryDuration, Duration maxConnIdleTime) {

    /** AD's defaults where AD has the limit; the lab's own otherwise. */
    public static final LdapQueryPolicy DEFAULT = new LdapQueryPolicy(10_485_760, 64L * 1024 * 1024, 64, 4_096,
            100, 200_000, 4_096, 256, Duration.ofSeconds(120), Duration.ofSeconds(120), Duration.ofSeconds(900));

    public LdapQueryPolicy {
        positive("maxReceiveBuffer", maxReceiveBuffer);
        positive("maxPendingBytes", maxPendingBytes);
        positive("maxFilterDepth", maxFilterDepth);
        positive("maxFilterTerms", maxFilterTerms);
        positive("maxBerDepth", maxBerDepth);
        positive("maxBerElements", maxBerElements);
        positive("maxDnLength", maxDnLength);
        positive("maxDnComponents", maxDnComponents);
        if (requestArrival == null || requestArrival.isNegative() || requestArrival.isZero()) {
            throw new IllegalArgumentException("requestArrival must be positive: " + requestArrival);
        }
        if (maxQueryDuration == null || maxQueryDuration.toSeconds() < 1) {
            throw new IllegalArgumentException("maxQueryDuration must be at least 1 s: " + maxQueryDuration);
        }
        if (maxConnIdleTime == null || maxConnIdleTime.toSeconds() < 1) {
            throw new IllegalArgumentException("maxConnIdleTime must be at least 1 s: " + maxConnIdleTime);
        }
    }

    /** This policy with messages allowed {@code arrival} from first byte to last. */
    public LdapQueryPolicy withRequestArrival(Duration arrival) {
        return new LdapQueryPolicy(maxReceiveBuffer, maxPendingBytes, maxFilterDepth, maxFilterTerms, maxBerDepth,
                maxBerElements, maxDnLength, maxDnComponents, arrival, maxQueryDuration, maxConnIdleTime);
    }

    /** This policy with connections that have not bound closed after {@code idle} without a message. */
    public LdapQueryPolicy withMaxConnIdleTime(Duration idle) {
        return new LdapQueryPolicy(maxReceiveBuffer, maxPendingBytes, maxFilterDepth, maxFilterTerms, maxBerDepth,
                maxBerElements, maxDnLength, maxDnComponents, requestArrival, maxQueryDuration, idle);
    }

    private static void positive(String name, long value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be at least 1: " + value);
        }
    }
}
