package org.pkilab.directory;

import org.apache.directory.server.core.api.CoreSession;
import org.apache.directory.server.ldap.LdapSession;
import org.apache.directory.server.ldap.LdapSessionManager;
import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.filterchain.IoFilterAdapter;
import org.apache.mina.core.session.AttributeKey;
import org.apache.mina.core.session.IdleStatus;
import org.apache.mina.core.session.IoSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads each LDAP message whole and checks its shape against the {@link LdapQueryPolicy} before ApacheDS's
 * decoder sees a byte of it, so that what a client sends costs the DC no more than the policy allows.
 *
 * <p>ApacheDS decodes a message's BER and evaluates its filter by recursion on the message's own nesting: a
 * search filter of a few thousand nested NOTs (12 KB, sent before any bind) overflowed the stack of the I/O
 * thread that read it, and three such messages left the DC answering no one. Here a message is framed by its
 * outer BER length, held until complete, and walked once without recursion (filter depth and terms, BER depth
 * and element count, the length and components of the DNs it names). A message over a limit is answered as RFC
 * 4511 answers a request the server will not process: the response of its own operation with
 * {@code adminLimitExceeded} (11) and a message naming the limit ({@code protocolError} (2) when its BER is
 * malformed), and the connection goes on. What cannot be framed at all (not an LDAP message, a length over {@code MaxReceiveBuffer},
 * a message that takes longer than the policy allows to arrive) ends the connection with RFC 4511's Notice of
 * Disconnection. A failure of the decoder or of a handler on a message that passed is answered as
 * {@code other} (80) for that message alone; the thread that read it lives on.
 *
 * <p>The walk itself is {@link LdapMessageShape}; this class is the MINA filter around it: framing, the bytes
 * held per connection and in all, answering refusals, and handing costly searches to threads of their own.
 */
final class LdapRequestGuard extends IoFilterAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(LdapRequestGuard.class);
    private static final AttributeKey ARRIVING = new AttributeKey(LdapRequestGuard.class, "arriving");
    private static final AttributeKey COSTLY = new AttributeKey(LdapRequestGuard.class, "costly");
    private static final AttributeKey BOUND = new AttributeKey(LdapRequestGuard.class, "bound");
    private static final String NOTICE_OF_DISCONNECTION = "1.3.6.1.4.1.1466.20036";
    private static final int PROTOCOL_ERROR = LdapMessageShape.PROTOCOL_ERROR;
    private static final int BUSY = 51;
    private static final int OTHER = 80;
    private static final int NO_SUCH_OBJECT = 32;
    private static final int OPERATIONS_ERROR = 1;
    /** Modify, add, delete, modify DN, compare: what an anonymous connection may not do, named object or not. */
    private static final java.util.Set<Integer> NAMING_AN_OBJECT = java.util.Set.of(0x66, 0x68, 0x4A, 0x6C, 0x6E);
    /** Messages up to this size are held without counting against the policy's bytes for messages still arriving. */
    private static final int UNCOUNTED_MESSAGE_BYTES = 64 * 1024;
    /** How often an idle connection is looked at for a message that stopped arriving. */
    private static final int IDLE_CHECK_SECONDS = 5;

    /** Threads for costly searches ({@link LdapMessageShape#costly()}), and as many may wait; more are answered busy (51). */
    private static final int COSTLY_THREADS = 4;

    private final LdapQueryPolicy policy;
    /** Resolves {@code <GUID=...>} and {@code <SID=...>} DNs, which ApacheDS's decoder cannot read; null until set. */
    private volatile AlternativeDns alternativeDns;
    /** ApacheDS's sessions, which say whether a connection has bound; null until set. */
    private volatile LdapSessionManager sessions;
    private final java.util.concurrent.ThreadPoolExecutor costly;
    /** Bytes held over all connections for messages not yet complete. */
    private final AtomicLong pending = new AtomicLong();

    LdapRequestGuard(LdapQueryPolicy policy) {
        this.policy = policy;
        java.util.concurrent.atomic.AtomicInteger numbers = new java.util.concurrent.atomic.AtomicInteger();
        this.costly = new java.util.concurrent.ThreadPoolExecutor(COSTLY_THREADS, COSTLY_THREADS, 30, java.util.concurrent.TimeUnit.SECONDS,
                new java.util.concurrent.ArrayBlockingQueue<>(COSTLY_THREADS), task -> {
            Thread thread = new Thread(task, "dc-costly-search-" + numbers.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.costly.allowCoreThreadTimeOut(true);
    }

    /** A message being received on one connection. */
    private static final class Arriving {
        final byte[] header = new byte[6];
        int headerFilled;
        int total = -1;
        /** The message's bytes so far; grown as they come for a large one, so a header alone holds little memory. */
        byte[] bytes;
        int filled;
        long startedNanos;
        long reserved;
    }

    @Override
    public void sessionCreated(NextFilter next, IoSession session) throws Exception {
        session.getConfig().setIdleTime(IdleStatus.READER_IDLE, IDLE_CHECK_SECONDS);
        next.sessionCreated(session);
    }

    @Override
    public void sessionIdle(NextFilter next, IoSession session, IdleStatus status) throws Exception {
        Arriving arriving = (Arriving) session.getAttribute(ARRIVING);
        if (arriving != null && arriving.startedNanos != 0 && tooSlow(arriving)) {
            disconnect(session, "a message began " + policy.requestArrival().toSeconds()
                    + " s ago or more and is still incomplete: the DC does not hold a partly sent request");
            return;
        }
        if (session.getAttribute(BOUND) == null
                && System.currentTimeMillis() - session.getLastReadTime() >= policy.maxConnIdleTime().toMillis()) {
            disconnect(session, "the connection was idle for " + policy.maxConnIdleTime().toSeconds()
                    + " s without a bind (MaxConnIdleTime)");
            return;
        }
        next.sessionIdle(session, status);
    }

    @Override
    public void sessionClosed(NextFilter next, IoSession session) throws Exception {
        Arriving arriving = (Arriving) session.removeAttribute(ARRIVING);
        if (arriving != null) {
            release(arriving);
        }
        next.sessionClosed(session);
    }

    @Override
    public void messageReceived(NextFilter next, IoSession session, Object message) throws Exception {
        if (!(message instanceof IoBuffer in)) {
            next.messageReceived(session, message);
            return;
        }
        while (in.hasRemaining() && !session.isClosing()) {
            Arriving arriving = (Arriving) session.getAttribute(ARRIVING);
            if (arriving == null) {
                arriving = new Arriving();
                arriving.startedNanos = System.nanoTime();
                session.setAttribute(ARRIVING, arriving);
            } else if (tooSlow(arriving)) {
                disconnect(session, "a message took over " + policy.requestArrival().toSeconds() + " s to arrive");
                return;
            }
            if (arriving.total < 0 && !readHeader(session, arriving, in)) {
                return;
            }
            if (arriving.total >= 0) {
                int wanted = Math.min(in.remaining(), arriving.total - arriving.filled);
                if (arriving.total > UNCOUNTED_MESSAGE_BYTES) {
                    // only bytes really held count, and only those of large messages: a header that declares 10 MB and
                    // sends nothing more holds nothing, and everyday requests are never refused for another's bulk
                    arriving.reserved += wanted;
                    if (pending.addAndGet(wanted) > policy.maxPendingBytes()) {
                        disconnect(session, BUSY, "the DC holds " + policy.maxPendingBytes() + " bytes of large messages still"
                                + " arriving from all clients; send this one again later");
                        return;
                    }
                }
                if (arriving.filled + wanted > arriving.bytes.length) {
                    arriving.bytes = Arrays.copyOf(arriving.bytes,
                            Math.min(arriving.total, Math.max(arriving.filled + wanted, 2 * arriving.bytes.length)));
                }
                in.get(arriving.bytes, arriving.filled, wanted);
                arriving.filled += wanted;
                if (arriving.filled == arriving.total) {
                    session.removeAttribute(ARRIVING);
                    release(arriving);
                    deliver(next, session, arriving.bytes);
                }
            }
        }
    }

    /** Reads the outer tag and length; false when the header is incomplete or the connection was ended. */
    private boolean readHeader(IoSession session, Arriving arriving, IoBuffer in) {
        while (in.hasRemaining()) {
            arriving.header[arriving.headerFilled++] = in.get();
            if ((arriving.header[0] & 0xFF) != 0x30) {
                disconnect(session, "not an LDAP message: it must begin with a SEQUENCE (0x30), not 0x"
                        + String.format("%02x", arriving.header[0] & 0xFF));
                return false;
            }
            if (arriving.headerFilled < 2) {
                continue;
            }
            int first = arriving.header[1] & 0xFF;
            int lengthBytes = first < 0x80 ? 0 : first & 0x7F;
            if (first == 0x80 || lengthBytes > 4) {
                disconnect(session, first == 0x80 ? "an indefinite BER length, which LDAP does not allow (RFC 4511 5.1)"
                        : "a BER length of " + lengthBytes + " bytes");
                return false;
            }
            if (arriving.headerFilled < 2 + lengthBytes) {
                continue;
            }
            long length = first < 0x80 ? first : 0;
            for (int i = 0; i < lengthBytes; i++) {
                length = (length << 8) | (arriving.header[2 + i] & 0xFF);
            }
            long total = 2 + lengthBytes + length;
            if (total > policy.maxReceiveBuffer()) {
                disconnect(session, "a message of " + total + " bytes is over MaxReceiveBuffer (" + policy.maxReceiveBuffer()
                        + " bytes)");
                return false;
            }
            arriving.total = (int) total;
            arriving.bytes = Arrays.copyOf(arriving.header, (int) Math.min(total, UNCOUNTED_MESSAGE_BYTES));
            arriving.filled = arriving.headerFilled;
            return true;
        }
        return false;
    }

    private boolean tooSlow(Arriving arriving) {
        return System.nanoTime() - arriving.startedNanos > policy.requestArrival().toNanos();
    }

    private void release(Arriving arriving) {
        if (arriving.reserved > 0) {
            pending.addAndGet(-arriving.reserved);
            arriving.reserved = 0;
        }
    }

    private void deliver(NextFilter next, IoSession session, byte[] pdu) {
        LdapMessageShape shape = new LdapMessageShape(pdu, policy);
        LdapMessageShape.Refusal refusal = shape.check();
        if (refusal != null) {
            if (refusal.messageId() < 0) {
                disconnect(session, refusal.message());
            } else {
                answer(session, refusal.messageId(), refusal.operation(), refusal.resultCode(), refusal.message());
            }
            return;
        }
        if (shape.operation() == 0x60) {
            session.setAttribute(BOUND, Boolean.TRUE); // a bind, whatever its outcome: the connection is in use
        }
        if (NAMING_AN_OBJECT.contains(shape.operation()) && anonymous(session)) {
            // before ApacheDS, which answers noSuchObject for an object that does not exist before any access check,
            // so an anonymous caller would learn which DNs exist
            answer(session, shape.messageId(), shape.operation(), OPERATIONS_ERROR, DirectoryAccessInterceptor.AD_BIND_REQUIRED);
            return;
        }
        AlternativeDns alternative = alternativeDns;
        AlternativeDns.Resolved resolved = alternative == null ? null : alternative.resolve(pdu, shape.operation(), () -> anonymous(session));
        if (resolved != null && resolved.noSuchObject() != null) {
            answer(session, shape.messageId(), shape.operation(), NO_SUCH_OBJECT, resolved.noSuchObject());
            return;
        }
        if (shape.costly()) {
            costlyMessages(session).add(shape.messageId());
        }
        pass(next, session, resolved == null ? pdu : resolved.pdu(), shape);
    }

    private static java.util.Set<Integer> costlyMessages(IoSession session) {
        @SuppressWarnings("unchecked")
        java.util.Set<Integer> ids = (java.util.Set<Integer>) session.getAttribute(COSTLY);
        if (ids == null) {
            ids = java.util.concurrent.ConcurrentHashMap.newKeySet();
            session.setAttribute(COSTLY, ids);
        }
        return ids;
    }

    /**
     * The member of the chain after ApacheDS's decoder: a search the guard found costly is answered on a thread of its
     * own, everything else on the I/O thread. The decoder, which keeps a half-read message per connection, runs on the
     * I/O thread only; a costly search then runs beside the connection's later requests, as ApacheDS's own executor ran
     * every request.
     */
    IoFilterAdapter dispatcher() {
        return new IoFilterAdapter() {
            @Override
            public void messageReceived(NextFilter next, IoSession session, Object message) throws Exception {
                java.util.Set<Integer> ids = (java.util.Set<Integer>) session.getAttribute(COSTLY);
                if (ids != null && message instanceof org.apache.directory.api.ldap.model.message.Message request
                        && ids.remove(request.getMessageId())) {
                    try {
                        costly.execute(() -> {
                            try {
                                next.messageReceived(session, message);
                            } catch (Throwable failure) {
                                failed(session, request.getMessageId(), 0x63, failure, "");
                            }
                        });
                    } catch (java.util.concurrent.RejectedExecutionException e) {
                        answer(session, request.getMessageId(), 0x63, BUSY, "the DC is busy with " + COSTLY_THREADS
                                + " costly searches (over " + LdapMessageShape.CHEAP_FILTER_TERMS + " filter terms, or in-chain or"
                                + " bitwise matching rules) and as many waiting; send this one again later");
                    }
                    return;
                }
                next.messageReceived(session, message);
            }
        };
    }

    /**
     * From now on, a request naming its object as {@code <GUID=...>} or {@code <SID=...>} names it by its DN, on a
     * connection that has bound ({@code sessions} tell which have).
     */
    void alternativeDns(AlternativeDns resolver, LdapSessionManager sessions) {
        this.sessions = sessions;
        this.alternativeDns = resolver;
    }

    /** Whether the connection has not bound (or bound anonymously); so too when the DC cannot tell. */
    private boolean anonymous(IoSession session) {
        LdapSessionManager known = sessions;
        LdapSession ldap = known == null ? null : known.getLdapSession(session);
        CoreSession core = ldap == null ? null : ldap.getCoreSession();
        return core == null || core.isAnonymous();
    }

    /** How many costly searches are being answered now. */
    int costlySearchesRunning() {
        return costly.getActiveCount();
    }

    /** Hands a message that passed to ApacheDS's decoder and handlers; a failure there is answered for it alone. */
    private void pass(NextFilter next, IoSession session, byte[] pdu, LdapMessageShape shape) {
        try {
            next.messageReceived(session, IoBuffer.wrap(pdu));
        } catch (Throwable failure) {
            // a StackOverflowError has unwound by now: the thread can answer, and must not die
            failed(session, shape.messageId(), shape.operation(), failure, "; the connection is closed so that nothing half-decoded stays");
            session.closeOnFlush();
        }
    }

    /** Answers {@code other} (80) for a message the DC failed on, and logs it; the thread that ran it lives on. */
    private static void failed(IoSession session, int messageId, int operation, Throwable failure, String after) {
        LOG.warn("LDAP message {} from {} failed in the DC: {}", messageId, session.getRemoteAddress(), failure.toString());
        answer(session, messageId, operation, OTHER, "the DC failed on this request (" + failure.getClass().getSimpleName() + ")" + after);
    }

    /** Stops the threads of costly searches. */
    void close() {
        costly.shutdownNow();
    }

    private void disconnect(IoSession session, String why) {
        disconnect(session, PROTOCOL_ERROR, why);
    }

    private void disconnect(IoSession session, int resultCode, String why) {
        Arriving arriving = (Arriving) session.removeAttribute(ARRIVING);
        if (arriving != null) {
            release(arriving);
        }
        LOG.info("LDAP connection from {} ended: {}", session.getRemoteAddress(), why);
        byte[] name = Ber.tlv(0x8A, NOTICE_OF_DISCONNECTION.getBytes(StandardCharsets.US_ASCII));
        session.write(IoBuffer.wrap(Ber.tlv(0x30, Ber.integer(0), Ber.tlv(0x78, result(resultCode, why), name))));
        session.closeOnFlush();
    }

    /** The response to the operation {@code operation} (the request's BER tag), or nothing for unbind and abandon. */
    private static void answer(IoSession session, int messageId, int operation, int resultCode, String message) {
        int response = switch (operation) {
            case 0x60 -> 0x61; // bind
            case 0x63 -> 0x65; // search: searchResDone
            case 0x66 -> 0x67; // modify
            case 0x68 -> 0x69; // add
            case 0x4A -> 0x6B; // delete
            case 0x6C -> 0x6D; // modify DN
            case 0x6E -> 0x6F; // compare
            case 0x77 -> 0x78; // extended
            default -> -1;     // unbind and abandon have no response
        };
        if (response < 0) {
            if (operation != 0x42 && operation != 0x50) {
                session.write(IoBuffer.wrap(Ber.tlv(0x30, Ber.integer(0), Ber.tlv(0x78, result(PROTOCOL_ERROR,
                        "unknown LDAP operation 0x" + Integer.toHexString(operation)), Ber.tlv(0x8A,
                        NOTICE_OF_DISCONNECTION.getBytes(StandardCharsets.US_ASCII))))));
            }
            session.closeOnFlush();
            return;
        }
        session.write(IoBuffer.wrap(Ber.tlv(0x30, Ber.integer(messageId), Ber.tlv(response, result(resultCode, message)))));
    }

    /** An LDAPResult's content: result code, no matched DN, the diagnostic message. */
    private static byte[] result(int resultCode, String message) {
        byte[] code = Ber.tlv(0x0A, new byte[]{(byte) resultCode});
        byte[] matched = Ber.tlv(0x04);
        byte[] diagnostic = Ber.tlv(0x04, message.getBytes(StandardCharsets.UTF_8));
        byte[] content = Arrays.copyOf(code, code.length + matched.length + diagnostic.length);
        System.arraycopy(matched, 0, content, code.length, matched.length);
        System.arraycopy(diagnostic, 0, content, code.length + matched.length, diagnostic.length);
        return content;
    }

    /** Just enough BER to write LDAP results. */
    static final class Ber {
        private Ber() {
        }

        static byte[] tlv(int tag, byte[]... parts) {
            int size = 0;
            for (byte[] part : parts) {
                size += part.length;
            }
            byte[] length = length(size);
            byte[] out = new byte[1 + length.length + size];
            out[0] = (byte) tag;
            System.arraycopy(length, 0, out, 1, length.length);
            int at = 1 + length.length;
            for (byte[] part : parts) {
                System.arraycopy(part, 0, out, at, part.length);
                at += part.length;
            }
            return out;
        }

        static byte[] integer(int value) {
            byte[] big = java.math.BigInteger.valueOf(value).toByteArray();
            return tlv(0x02, big);
        }

        private static byte[] length(int length) {
            if (length < 0x80) {
                return new byte[]{(byte) length};
            }
            byte[] big = java.math.BigInteger.valueOf(length).toByteArray();
            byte[] digits = big[0] == 0 ? Arrays.copyOfRange(big, 1, big.length) : big;
            byte[] out = new byte[digits.length + 1];
            out[0] = (byte) (0x80 | digits.length);
            System.arraycopy(digits, 0, out, 1, digits.length);
            return out;
        }
    }
}
