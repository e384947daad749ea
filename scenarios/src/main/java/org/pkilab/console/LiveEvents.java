package org.pkilab.console;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.FutureCallback;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Live updates as server-sent events ({@code GET /events}, {@code text/event-stream}): each change in the lab is one
 * {@code changed} event naming its topic ({@code ca}, {@code hosts}, {@code directory}, {@code run}, {@code clock}, or
 * {@code *} for everything), and the page's script fetches again what that topic shows. One thread writes to every
 * browser in turn; a browser that stops reading for five seconds is dropped, and a comment every fifteen seconds keeps
 * idle connections open. Nothing here runs until a browser opens the console.
 */
final class LiveEvents implements AutoCloseable {

    private record Listener(Response response, Callback done) {
    }

    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "console-events");
        t.setDaemon(true);
        return t;
    });

    private Object lastSeen;
    private final java.util.concurrent.atomic.AtomicLong version = new java.util.concurrent.atomic.AtomicLong();

    /** How many changes have been told: a page records the number it was rendered at, and catches up when it is behind. */
    long version() {
        return version.get();
    }

    LiveEvents() {
        writer.scheduleWithFixedDelay(() -> send(": keep-alive\n\n"), 15, 15, TimeUnit.SECONDS);
    }

    /**
     * Every two seconds while a browser listens, compares {@code state} with what it was: a change made outside the
     * console ({@code pkilab ca approve}, {@code pkilab host restart}, {@code ldapmodify}) is told as {@code *}.
     */
    void watch(java.util.function.Supplier<Object> state) {
        writer.scheduleWithFixedDelay(() -> {
            if (listeners.isEmpty()) {
                // the last state seen stays: a change made while no browser listened is told to the next one
                return;
            }
            try {
                Object now = state.get();
                if (lastSeen != null && !lastSeen.equals(now)) {
                    version.incrementAndGet();
                    listeners.forEach(l -> write(l, "event: changed\ndata: *\n\n"));
                }
                lastSeen = now;
            } catch (RuntimeException e) {
                // the lab is stopping or being replaced by a rerun: the next look sees the new one
                lastSeen = null;
            }
        }, 2, 2, TimeUnit.SECONDS);
    }

    /** Keeps {@code response} open as an event stream until the browser goes or the console stops. */
    void listen(Response response, Callback done) {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        Listener listener = new Listener(response, done);
        listeners.add(listener);
        writer.execute(() -> write(listener, "retry: 2000\nevent: version\ndata: " + version.get() + "\n\n"));
    }

    /** Tells every open browser that what {@code topic} shows changed. */
    void publish(String topic) {
        version.incrementAndGet();
        if (!listeners.isEmpty()) {
            send("event: changed\ndata: " + topic.replaceAll("[\\r\\n]", "") + "\n\n");
        }
    }

    private void send(String text) {
        try {
            writer.execute(() -> listeners.forEach(l -> write(l, text)));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // the console is stopping
        }
    }

    private void write(Listener listener, String text) {
        FutureCallback written = new FutureCallback();
        try {
            listener.response.write(false, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), written);
            written.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            listeners.remove(listener);
            listener.done.failed(e);
        }
    }

    @Override
    public void close() {
        writer.shutdownNow();
        listeners.forEach(l -> l.done.succeeded());
        listeners.clear();
    }
}
