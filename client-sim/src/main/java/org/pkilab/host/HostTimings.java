package org.pkilab.host;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Where a computer's start-up and enrollment spent their time, phase by phase, as Windows' own
 * boot-time tracing shows a slow logon: how often each phase ran, its wall time and the CPU time of the
 * thread that ran it. Wall time of a phase that waits on another host (a logon, an EST request) includes
 * that host's work; the CPU column counts only what ran on this computer's own thread, which is all of it
 * for key generation and request signing. Totals from many computers {@linkplain #add(HostTimings) add up}.
 *
 * <pre>{@code
 * pc.boot();
 * pc.timings().totals(HostTimings.Phase.KEY_GENERATION).wallNanos(); // the RSA or EC key of autoenrollment
 * }</pre>
 */
public final class HostTimings {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** The phases of a boot with autoenrollment, in the order they happen. */
    public enum Phase {
        LOGON("logon: bind, logon token (LDAP)"),
        GROUP_POLICY("Group Policy, roots, enrollment service (LDAP)"),
        HTTPS_CLIENT("HTTPS client set-up"),
        TLS_HANDSHAKE("TLS handshakes with the CA"),
        CRL_DOWNLOAD("CRL downloads (HTTP)"),
        ENROLLMENT_POLICY("EST /policy round trips"),
        KEY_GENERATION("key generation"),
        REQUEST_SIGNING("certificate request signing"),
        ENROLLMENT("EST simpleenroll round trips");

        private final String description;

        Phase(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    /** How often a phase ran, its wall time and the CPU time of the thread that ran it. */
    public record Totals(long count, long wallNanos, long cpuNanos) {
        public static final Totals NONE = new Totals(0, 0, 0);

        Totals plus(long wall, long cpu) {
            return new Totals(count + 1, wallNanos + wall, cpuNanos + cpu);
        }

        Totals plus(Totals other) {
            return new Totals(count + other.count, wallNanos + other.wallNanos, cpuNanos + other.cpuNanos);
        }
    }

    private final Map<Phase, Totals> totals = new EnumMap<>(Phase.class);

    /** Runs {@code work} as one occurrence of {@code phase} on this thread. */
    <T> T time(Phase phase, Supplier<T> work) {
        long cpu = cpuNow();
        long start = System.nanoTime();
        try {
            return work.get();
        } finally {
            record(phase, System.nanoTime() - start, cpuNow() - cpu);
        }
    }

    /** One occurrence of {@code phase} that ran elsewhere (a handshake on an HTTP client's thread): wall time only. */
    synchronized void record(Phase phase, long wallNanos, long cpuNanos) {
        totals.put(phase, totals.getOrDefault(phase, Totals.NONE).plus(wallNanos, cpuNanos));
    }

    /** Adds another computer's figures to these. */
    public synchronized HostTimings add(HostTimings other) {
        Map<Phase, Totals> theirs = other.snapshot();
        theirs.forEach((phase, t) -> totals.put(phase, totals.getOrDefault(phase, Totals.NONE).plus(t)));
        return this;
    }

    public synchronized Totals totals(Phase phase) {
        return totals.getOrDefault(phase, Totals.NONE);
    }

    /** Every phase that ran, in order. */
    public synchronized Map<Phase, Totals> snapshot() {
        return new EnumMap<>(totals);
    }

    private static long cpuNow() {
        return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : 0;
    }
}
