package org.pkilab.directory;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.filterchain.IoFilterAdapter;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.core.write.WriteRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * The SASL security layer of one connection after a GSS-SPNEGO bind with NTLM signing or sealing (RFC 4422 3.7,
 * MS-NLMP 3.4): every LDAP message from then on, both ways, travels as a 4-byte big-endian length and the
 * {@link NtlmSealing}-wrapped message. It stands below the {@link LdapRequestGuard}, which sees the messages
 * unwrapped. A message whose signature is wrong ends the connection, as on a Windows DC.
 */
final class NtlmSaslLayer extends IoFilterAdapter {

    static final String NAME = "ntlmSaslLayer";
    private static final Logger LOG = LoggerFactory.getLogger(NtlmSaslLayer.class);
    /** The largest wrapped message taken: AD's default MaxReceiveBuffer is far below. */
    private static final int MAX_FRAME = 16 * 1024 * 1024;

    private final NtlmSealing sealing;
    private final ByteArrayOutputStream arriving = new ByteArrayOutputStream();

    NtlmSaslLayer(NtlmSealing sealing) {
        this.sealing = sealing;
    }

    @Override
    public void messageReceived(NextFilter next, IoSession session, Object message) throws Exception {
        if (!(message instanceof IoBuffer in)) {
            next.messageReceived(session, message);
            return;
        }
        byte[] bytes = new byte[in.remaining()];
        in.get(bytes);
        arriving.writeBytes(bytes);
        while (arriving.size() >= 4 && !session.isClosing()) {
            byte[] held = arriving.toByteArray();
            int length = ByteBuffer.wrap(held, 0, 4).getInt();
            if (length < NtlmSealing.SIGNATURE_LENGTH || length > MAX_FRAME) {
                end(session, "a SASL-wrapped message of " + length + " bytes");
                return;
            }
            if (held.length < 4 + length) {
                return;
            }
            byte[] token = java.util.Arrays.copyOfRange(held, 4, 4 + length);
            arriving.reset();
            arriving.write(held, 4 + length, held.length - 4 - length);
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
                byte[] wrapped = sealing.wrap(bytes);
                IoBuffer frame = IoBuffer.allocate(4 + wrapped.length);
                frame.putInt(wrapped.length).put(wrapped).flip();
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
