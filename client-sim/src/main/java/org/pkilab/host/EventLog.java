package org.pkilab.host;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A computer's Application event log, as far as certificates go: autoenrollment writes what it did and
 * why under the source {@code Microsoft-Windows-CertificateServicesClient-AutoEnrollment}, with Windows'
 * event ids (19 issued, 20 renewed, 13 failed, 15 pending, 64 removed).
 */
public final class EventLog {

    /** One event. */
    public record Event(Instant time, String level, int id, String source, String message) {
        @Override
        public String toString() {
            return time + " " + level + " " + id + " " + source + ": " + message;
        }
    }

    public static final String AUTOENROLLMENT = "CertificateServicesClient-AutoEnrollment";
    private final List<Event> events = new CopyOnWriteArrayList<>();

    void write(Instant time, String level, int id, String source, String message) {
        events.add(new Event(time, level, id, source, message));
    }

    public List<Event> events() {
        return new ArrayList<>(events);
    }

    public List<Event> events(int id) {
        return events.stream().filter(e -> e.id() == id).toList();
    }

    /** The log as a person reads it, one event a line. */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        events.forEach(e -> text.append(e).append('\n'));
        return text.toString();
    }
}
