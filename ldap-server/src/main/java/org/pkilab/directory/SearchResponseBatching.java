package org.pkilab.directory;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.filterchain.IoFilterAdapter;
import org.apache.mina.core.session.AttributeKey;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.core.write.WriteRequest;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Sends a search's entries and its SearchResultDone together, as a Windows DC does for a small result, instead of
 * one TCP write per message. impacket's {@code LDAPConnection.search} reads what one {@code recv} returns and, when
 * the SearchResultDone is not among it, sends the whole search again: with an entry and the done in two segments
 * it got every entry twice.
 *
 * <p>Entries (and references) written while the connection's I/O thread answers a request are held, up to 64 KiB,
 * and go out with the next other message or when that request has been answered; what another thread writes (a
 * costly search, a persistent search's change notification) goes out at once, after anything held.
 */
final class SearchResponseBatching extends IoFilterAdapter {

    private static final AttributeKey HELD = new AttributeKey(SearchResponseBatching.class, "held");
    private static final int SEARCH_RESULT_ENTRY = 0x64;
    private static final int SEARCH_RESULT_REFERENCE = 0x73;
    private static final int MAX_HELD_BYTES = 64 * 1024;

    /** What one connection holds back, and the thread answering its request now. */
    private static final class Held {
        Thread answering;
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<WriteRequest> requests = new ArrayList<>();
    }

    @Override
    public void messageReceived(NextFilter next, IoSession session, Object message) throws Exception {
        Held held = held(session);
        synchronized (held) {
            held.answering = Thread.currentThread();
        }
        try {
            next.messageReceived(session, message);
        } finally {
            synchronized (held) {
                held.answering = null;
                if (!held.requests.isEmpty()) {
                    WriteRequest last = held.requests.remove(held.requests.size() - 1);
                    last.setMessage(release(held, new byte[0]));
                    next.filterWrite(session, last);
                }
            }
        }
    }

    @Override
    public void filterWrite(NextFilter next, IoSession session, WriteRequest request) throws Exception {
        if (!(request.getMessage() instanceof IoBuffer out)) {
            next.filterWrite(session, request);
            return;
        }
        Held held = held(session);
        synchronized (held) {
            if (held.answering == Thread.currentThread() && isEntry(out) && held.bytes.size() < MAX_HELD_BYTES) {
                byte[] bytes = new byte[out.remaining()];
                out.get(bytes);
                held.bytes.writeBytes(bytes);
                held.requests.add(request);
                return;
            }
            if (!held.requests.isEmpty()) {
                byte[] bytes = new byte[out.remaining()];
                out.get(bytes);
                request.setMessage(release(held, bytes));
            }
            next.filterWrite(session, request);
        }
    }

    /** The held bytes followed by {@code after}, in one buffer; the held writes count as done. */
    private static IoBuffer release(Held held, byte[] after) {
        held.bytes.writeBytes(after);
        IoBuffer all = IoBuffer.wrap(held.bytes.toByteArray());
        held.bytes.reset();
        for (WriteRequest request : held.requests) {
            request.getFuture().setWritten();
        }
        held.requests.clear();
        return all;
    }

    private static Held held(IoSession session) {
        Held held = (Held) session.getAttribute(HELD);
        if (held == null) {
            held = new Held();
            Held raced = (Held) session.setAttributeIfAbsent(HELD, held);
            held = raced != null ? raced : held;
        }
        return held;
    }

    /** Whether the buffer holds a SearchResultEntry or SearchResultReference (the operation after the message ID). */
    private static boolean isEntry(IoBuffer out) {
        int at = out.position();
        if (out.remaining() < 8 || (out.get(at) & 0xFF) != 0x30) {
            return false;
        }
        int first = out.get(at + 1) & 0xFF;
        int idAt = at + 2 + (first < 0x80 ? 0 : first & 0x7F);
        if (idAt + 2 > out.limit() || out.get(idAt) != 0x02) {
            return false;
        }
        int opAt = idAt + 2 + (out.get(idAt + 1) & 0xFF);
        if (opAt >= out.limit()) {
            return false;
        }
        int op = out.get(opAt) & 0xFF;
        return op == SEARCH_RESULT_ENTRY || op == SEARCH_RESULT_REFERENCE;
    }
}
