package org.pkilab.directory;

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
 */
final class LdapRequestGuard extends IoFilterAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(LdapRequestGuard.class);
    private static final AttributeKey ARRIVING = new AttributeKey(LdapRequestGuard.class, "arriving");
    private static final AttributeKey COSTLY = new AttributeKey(LdapRequestGuard.class, "costly");
    private static final AttributeKey BOUND = new AttributeKey(LdapRequestGuard.class, "bound");
    private static final String NOTICE_OF_DISCONNECTION = "1.3.6.1.4.1.1466.20036";
    private static final int PROTOCOL_ERROR = 2;
    private static final int ADMIN_LIMIT_EXCEEDED = 11;
    private static final int BUSY = 51;
    private static final int OTHER = 80;
    /** Messages up to this size are held without counting against the policy's bytes for messages still arriving. */
    private static final int UNCOUNTED_MESSAGE_BYTES = 64 * 1024;
    /** How often an idle connection is looked at for a message that stopped arriving. */
    private static final int IDLE_CHECK_SECONDS = 5;

    /**
     * Searches whose filter holds more terms than this are answered on threads of their own. The DC answers other
     * requests on the I/O thread that read them (two thread switches an operation cost a tenth of its CPU), where a
     * search evaluating thousands of terms against every entry would hold up every connection of that thread.
     */
    static final int CHEAP_FILTER_TERMS = 32;
    /** Threads for costly searches, and as many may wait; more are answered busy (51). */
    private static final int COSTLY_THREADS = 4;

    private final LdapQueryPolicy policy;
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
        MessageShape shape = new MessageShape(pdu, policy);
        Refusal refusal = shape.check();
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
        if (shape.filterTerms() > CHEAP_FILTER_TERMS) {
            costlyMessages(session).add(shape.messageId());
        }
        pass(next, session, pdu, shape);
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
                                + " searches of over " + CHEAP_FILTER_TERMS + " filter terms and as many waiting; send this one again later");
                    }
                    return;
                }
                next.messageReceived(session, message);
            }
        };
    }

    /** How many costly searches are being answered now. */
    int costlySearchesRunning() {
        return costly.getActiveCount();
    }

    /** Hands a message that passed to ApacheDS's decoder and handlers; a failure there is answered for it alone. */
    private void pass(NextFilter next, IoSession session, byte[] pdu, MessageShape shape) {
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

    /** Why a message is not passed on, with what is needed to answer it (message id -1: it cannot be answered). */
    record Refusal(int messageId, int operation, int resultCode, String message) {
    }

    /**
     * One complete LDAP message, walked without recursion. Knows where RFC 4511 puts the DNs and the filter:
     * the message is {@code SEQUENCE { messageID, protocolOp, [0] controls OPTIONAL }}.
     */
    static final class MessageShape {
        private final byte[] pdu;
        private final LdapQueryPolicy policy;
        private int messageId = -1;
        private int operation = -1;
        private int filterTerms;

        MessageShape(byte[] pdu, LdapQueryPolicy policy) {
            this.pdu = pdu;
            this.policy = policy;
            try {
                Element message = Element.at(pdu, 0, pdu.length);
                Element id = Element.at(pdu, message.contentStart(), message.end());
                if (id.tag() == 0x02 && id.length() >= 1 && id.length() <= 4) {
                    int value = 0;
                    for (int i = id.contentStart(); i < id.end(); i++) {
                        value = (value << 8) | (pdu[i] & 0xFF);
                    }
                    messageId = value;
                    if (id.end() < message.end()) {
                        operation = Element.at(pdu, id.end(), message.end()).tag();
                    }
                }
            } catch (IllegalArgumentException e) {
                messageId = -1;
            }
        }

        int messageId() {
            return Math.max(messageId, 0);
        }

        int operation() {
            return operation;
        }

        /** The terms of a search's filter, once {@link #check()} has walked it; 0 for other operations. */
        int filterTerms() {
            return filterTerms;
        }

        Refusal check() {
            if (messageId < 0 || operation < 0) {
                return new Refusal(-1, -1, PROTOCOL_ERROR, "not an LDAP message: no message ID and operation");
            }
            try {
                Element message = Element.at(pdu, 0, pdu.length);
                Element op = Element.at(pdu, Element.at(pdu, message.contentStart(), message.end()).end(), message.end());
                String limit = switch (operation) {
                    case 0x60, 0x63, 0x66, 0x68, 0x6C, 0x6E -> firstChildDn(op);
                    case 0x4A -> dn("the DN to delete", op.contentStart(), op.end());
                    default -> null;
                };
                if (limit == null && operation == 0x6C) {
                    limit = newName(op);
                }
                if (limit == null && operation == 0x63) {
                    limit = filter(op);
                }
                if (limit == null) {
                    limit = berShape();
                }
                return limit == null ? null : new Refusal(messageId, operation, ADMIN_LIMIT_EXCEEDED, limit);
            } catch (IllegalArgumentException e) {
                return new Refusal(messageId, operation, PROTOCOL_ERROR, "malformed LDAP message: " + e.getMessage());
            }
        }

        /** The whole message's BER: lengths inside their parents, depth and element count within the policy. */
        private String berShape() {
            int[] ends = new int[policy.maxBerDepth() + 1];
            int depth = 0;
            int elements = 0;
            int position = 0;
            ends[0] = pdu.length;
            while (true) {
                while (depth > 0 && position == ends[depth]) {
                    depth--;
                }
                if (position == pdu.length && depth == 0) {
                    return null;
                }
                Element element = Element.at(pdu, position, ends[depth]);
                if (++elements > policy.maxBerElements()) {
                    return "the message holds over " + policy.maxBerElements() + " BER elements, the DC's limit";
                }
                if (element.constructed()) {
                    if (depth + 1 > policy.maxBerDepth()) {
                        return "the message nests deeper than " + policy.maxBerDepth() + " BER levels, the DC's limit";
                    }
                    ends[++depth] = element.end();
                    position = element.contentStart();
                } else {
                    position = element.end();
                }
            }
        }

        private String firstChildDn(Element op) {
            Element first = Element.at(pdu, op.contentStart(), op.end());
            if (operation == 0x60) { // bind: version, then name
                first = Element.at(pdu, first.end(), op.end());
            }
            String what = switch (operation) {
                case 0x60 -> "the bind DN";
                case 0x63 -> "the search base";
                default -> "the entry DN";
            };
            return dn(what, first.contentStart(), first.end());
        }

        /** A modify DN's new RDN and, when it moves the entry, its new superior: ApacheDS parses both before any check. */
        private String newName(Element modifyDn) {
            Element entry = Element.at(pdu, modifyDn.contentStart(), modifyDn.end());
            Element newRdn = Element.at(pdu, entry.end(), modifyDn.end());
            String limit = dn("the new RDN", newRdn.contentStart(), newRdn.end());
            Element deleteOld = Element.at(pdu, newRdn.end(), modifyDn.end());
            if (limit == null && deleteOld.end() < modifyDn.end()) {
                Element newSuperior = Element.at(pdu, deleteOld.end(), modifyDn.end());
                limit = dn("the new superior", newSuperior.contentStart(), newSuperior.end());
            }
            return limit;
        }

        /** A DN's length and its attribute-value pairs (RDN separators and multi-valued RDNs' '+'), escapes skipped. */
        private String dn(String what, int from, int to) {
            if (to - from > policy.maxDnLength()) {
                return what + " is " + (to - from) + " bytes long, over the DC's limit of " + policy.maxDnLength();
            }
            int components = to > from ? 1 : 0;
            for (int i = from; i < to; i++) {
                byte b = pdu[i];
                if (b == '\\') {
                    i++;
                } else if (b == ',' || b == ';' || b == '+') {
                    components++;
                }
            }
            if (components > policy.maxDnComponents()) {
                return what + " names " + components + " attribute-value pairs, over the DC's limit of " + policy.maxDnComponents();
            }
            return null;
        }

        /** The search filter's nesting (AND, OR, NOT) and terms; the filter is the search request's seventh element. */
        private String filter(Element search) {
            int position = search.contentStart();
            for (int i = 0; i < 6; i++) {
                position = Element.at(pdu, position, search.end()).end();
            }
            Element root = Element.at(pdu, position, search.end());
            int[] ends = new int[policy.maxFilterDepth() + 1];
            int depth = 0;
            int terms = 0;
            ends[0] = root.end();
            position = root.start();
            while (position < root.end()) {
                while (depth > 0 && position == ends[depth]) {
                    depth--;
                }
                if (position >= root.end()) {
                    break;
                }
                Element item = Element.at(pdu, position, ends[depth]);
                int tag = item.tag();
                if (tag == 0xA0 || tag == 0xA1 || tag == 0xA2) {
                    if (depth + 1 > policy.maxFilterDepth()) {
                        return "the search filter nests AND, OR and NOT deeper than " + policy.maxFilterDepth()
                                + " levels, the DC's limit; flatten it";
                    }
                    ends[++depth] = item.end();
                    position = item.contentStart();
                } else {
                    filterTerms = ++terms;
                    if (terms > policy.maxFilterTerms()) {
                        return "the search filter holds over " + policy.maxFilterTerms() + " terms, the DC's limit; "
                                + "split the search";
                    }
                    position = item.end();
                }
            }
            return null;
        }
    }

    /** A BER element's tag and where its content lies; single-byte tags and definite lengths, as LDAP has them. */
    record Element(int start, int tag, int contentStart, int end) {

        static Element at(byte[] data, int position, int limit) {
            if (position + 2 > limit) {
                throw new IllegalArgumentException("an element is cut short at byte " + position);
            }
            int tag = data[position] & 0xFF;
            if ((tag & 0x1F) == 0x1F) {
                throw new IllegalArgumentException("a multi-byte BER tag at byte " + position + ", which LDAP does not use");
            }
            int first = data[position + 1] & 0xFF;
            int lengthBytes = first < 0x80 ? 0 : first & 0x7F;
            if (first == 0x80 || lengthBytes > 4 || position + 2 + lengthBytes > limit) {
                throw new IllegalArgumentException("a BER length that LDAP does not allow at byte " + (position + 1));
            }
            long length = first < 0x80 ? first : 0;
            for (int i = 0; i < lengthBytes; i++) {
                length = (length << 8) | (data[position + 2 + i] & 0xFF);
            }
            int contentStart = position + 2 + lengthBytes;
            if (contentStart + length > limit) {
                throw new IllegalArgumentException("an element of " + length + " bytes at byte " + position
                        + " runs past its enclosing element");
            }
            return new Element(position, tag, contentStart, (int) (contentStart + length));
        }

        boolean constructed() {
            return (tag & 0x20) != 0;
        }

        int length() {
            return end - contentStart;
        }
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
