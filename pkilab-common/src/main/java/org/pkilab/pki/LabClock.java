package org.pkilab.pki;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The one clock a lab's DC, CA and hosts share. It runs with real time, and a test or scenario can move
 * it forward, so that renewal at 80% of a certificate's life, expiry, a CRL's {@code nextUpdate} and the
 * 8-hour Group Policy refresh happen without waiting:
 *
 * <pre>{@code
 * LabClock clock = new LabClock();
 * clock.advance(Duration.ofDays(300));  // every part of the lab is now 300 days on
 * }</pre>
 */
public final class LabClock extends Clock {

    private final Clock base;
    private final AtomicReference<Duration> offset = new AtomicReference<>(Duration.ZERO);
    private final java.util.List<Runnable> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    public LabClock() {
        this(Clock.systemUTC());
    }

    public LabClock(Clock base) {
        this.base = base;
    }

    /**
     * Moves the lab forward (it never goes back), then lets every part of the lab catch up with what
     * falls due: hosts run the autoenrollment their 8-hour refresh would have run meanwhile.
     */
    public void advance(Duration by) {
        if (by.isNegative()) {
            throw new IllegalArgumentException("the lab clock only moves forward: " + by);
        }
        offset.accumulateAndGet(by, Duration::plus);
        listeners.forEach(Runnable::run);
    }

    /** Runs {@code listener} after each {@link #advance}; a listener must not throw. */
    public void whenAdvanced(Runnable listener) {
        listeners.add(listener);
    }

    public void removeListener(Runnable listener) {
        listeners.remove(listener);
    }

    /** How far the lab is ahead of real time. */
    public Duration offset() {
        return offset.get();
    }

    @Override
    public Instant instant() {
        return base.instant().plus(offset.get());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
