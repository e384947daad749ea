package org.pkilab.directory;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.filterchain.IoFilterAdapter;
import org.apache.mina.core.filterchain.IoFilterChain;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.core.write.WriteRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The SASL security layer of one connection after a GSS-SPNEGO bind with NTLM signing or sealing (RFC 4422 3.7,
 * MS-NLMP 3.4): every LDAP message from then on, both ways, travels as a 4-byte big-endian length and the
 * {@link NtlmSealing}-wrapped message. It stands below the {@link LdapRequestGuard}, which sees the messages
 * unwrapped. A message whose signature is wrong, or longer than the guard's {@code MaxReceiveBuffer}, ends the
 * connection, as on a Windows DC.
 *
 * <p>The layer stays through later binds (a simple or Sicily bind, a failed one) until another GSS-SPNEGO bind
 * agrees new keys (MS-ADTS 5.1.2.1; the DC's {@code supportedCapabilities} names 1.2.840.113556.1.4.1791, binds on
 * a signed or sealed connection): that bind's answer still travels under the old keys, every byte after it under the
 * new ({@link #install}).
 */
final class NtlmSaslLayer extends IoFilterAdapter {

    static final String NAME = "ntlmSaslLayer";
    private static final Logger LOG = LoggerFactory.getLogger(NtlmSaslLayer.class);
    /** What a wrapped message is first given room for: its declared length is the client's word until its bytes come. */
    private static final int FIRST_ROOM = 64 * 1024;

    private final NtlmSealing sealing;
    private final int maxWrapped;
    private final byte[] header = new byte[4];
    private int headerFilled;
    private byte[] wrapped;
    private int wrappedLength;
    private int wrappedFilled;
    /** The layer that took this one's place on its connection; what arrives after goes to it. */
    private NtlmSaslLayer replacement;

    /**
     * @param maxMessage the largest LDAP message taken, the guard's {@code MaxReceiveBuffer}; a wrapped one may be longer
     *                   by its signature
     */
    NtlmSaslLayer(NtlmSealing sealing, int maxMessage) {
        this.sealing = sealing;
        this.maxWrapped = maxMessage + NtlmSealing.SIGNATURE_LENGTH;
    }

    /**
     * Puts {@code layer} on the connection: below the request guard, or in the place of the layer a previous bind
     * put there. Called after the bind's answer was written, which the previous layer has then wrapped.
     */
    static void install(IoSession session, NtlmSaslLayer layer) {
        IoFilterChain chain = session.getFilterChain();
        if (chain.get(NAME) instanceof NtlmSaslLayer before) {
            chain.replace(NAME, layer);
            before.replacement = layer;
        } else {
            chain.addBefore("requestGuard", NAME, layer);
        }
    }

    @Override
    public void messageReceived(NextFilter next, IoSession session, Object message) throws Exception {
        if (!(message instanceof IoBuffer in)) {
            next.messageReceived(session, message);
            return;
        }
        while (in.hasRemaining() && !session.isClosing()) {
            if (replacement != null) {
                replacement.messageReceived(next, session, in);
                return;
            }
            if (wrapped == null) {
                int n = Math.min(header.length - headerFilled, in.remaining());
                in.get(header, headerFilled, n);
                headerFilled += n;
                if (headerFilled < header.length) {
                    return;
                }
                headerFilled = 0;
                int length = ByteBuffer.wrap(header).getInt();
                if (length < NtlmSealing.SIGNATURE_LENGTH || length > maxWrapped) {
                    end(session, "a SASL-wrapped message of " + length + " bytes (MaxReceiveBuffer is "
                            + (maxWrapped - NtlmSealing.SIGNATURE_LENGTH) + " bytes, and a signature " + NtlmSealing.SIGNATURE_LENGTH + ")");
                    return;
                }
                wrappedLength = length;
                wrappedFilled = 0;
                wrapped = new byte[Math.min(length, FIRST_ROOM)];
            }
            int n = Math.min(wrappedLength - wrappedFilled, in.remaining());
            if (wrappedFilled + n > wrapped.length) {
                wrapped = Arrays.copyOf(wrapped, Math.min(wrappedLength, Math.max(wrapped.length * 2, wrappedFilled + n)));
            }
            in.get(wrapped, wrappedFilled, n);
            wrappedFilled += n;
            if (wrappedFilled < wrappedLength) {
                return;
            }
            byte[] token = wrapped.length == wrappedLength ? wrapped : Arrays.copyOf(wrapped, wrappedLength);
            wrapped = null;
            byte[] unwrapped;
            synchronized (sealing) {
                try {
                    unwrapped = sealing.unwrap(token);
                } catch (IllegalArgumentException e) {
                    end(session, e.getMessage());
                    return;
                }
            }
            next.messageReceived(session, IoBuffer.wrap(unwrapped));
        }
    }

    @Override
    public void filterWrite(NextFilter next, IoSession session, WriteRequest request) throws Exception {
        if (request.getMessage() instanceof IoBuffer out && out.hasRemaining()) {
            byte[] bytes = new byte[out.remaining()];
            out.get(bytes);
            // the RC4 stream and the sequence number fix the order: a message must reach the wire in the order it was wrapped
            synchronized (sealing) {
                byte[] sealed = sealing.wrap(bytes);
                IoBuffer frame = IoBuffer.allocate(4 + sealed.length);
                frame.putInt(sealed.length).put(sealed).flip();
                request.setMessage(frame);
                next.filterWrite(session, request);
            }
            return;
        }
        next.filterWrite(session, request);
    }

    private static void end(IoSession session, String why) {
        LOG.info("LDAP connection from {} ended: NTLM-protected traffic failed: {}", session.getRemoteAddress(), why);
        session.closeNow();
    }
}
