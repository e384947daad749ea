package org.pkilab.directory;

import org.bouncycastle.crypto.engines.RC4Engine;
import org.bouncycastle.crypto.params.KeyParameter;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * NTLM session security (MS-NLMP 3.4) with extended session security, the DC's side: what protects an LDAP
 * connection after a GSS-SPNEGO bind whose client asked for signing or sealing, as samba-tool does over
 * {@code ldap://}. From the exported session key of the logon come four keys, one to sign and one to seal in
 * each direction:
 *
 * <pre>
 * ClientSigningKey = MD5(key + "session key to client-to-server signing key magic constant\0")   and likewise
 * ServerSigningKey, ClientSealingKey, ServerSealingKey (the sealing keys from the key cut to 7 or 5 bytes
 * unless 128-bit was agreed)
 * </pre>
 *
 * A message is sealed with a continuous RC4 stream per direction, and signed by
 * {@code version 1 | RC4(HMAC-MD5(signing key, seq + message)[0..8]) | seq}, each direction counting its own
 * sequence numbers from 0. Sealing and signing share a direction's RC4 stream, so every message must be
 * handled in the order it travels.
 */
final class NtlmSealing {

    static final int SIGNATURE_LENGTH = 16;

    private final byte[] clientSigningKey;
    private final byte[] serverSigningKey;
    private final byte[] clientSealingKey;
    private final byte[] serverSealingKey;
    private final boolean keyExchange;
    private final boolean seal;
    private RC4Engine incoming;
    private RC4Engine outgoing;
    private int incomingSequence;
    private int outgoingSequence;

    NtlmSealing(byte[] exportedSessionKey, int flags) {
        clientSigningKey = md5(exportedSessionKey, "session key to client-to-server signing key magic constant\0");
        serverSigningKey = md5(exportedSessionKey, "session key to server-to-client signing key magic constant\0");
        byte[] sealing = (flags & NtlmAuthenticator.NEGOTIATE_128) != 0 ? exportedSessionKey
                : Arrays.copyOf(exportedSessionKey, (flags & NtlmAuthenticator.NEGOTIATE_56) != 0 ? 7 : 5);
        clientSealingKey = md5(sealing, "session key to client-to-server sealing key magic constant\0");
        serverSealingKey = md5(sealing, "session key to server-to-client sealing key magic constant\0");
        keyExchange = (flags & NtlmAuthenticator.NEGOTIATE_KEY_EXCH) != 0;
        seal = (flags & NtlmAuthenticator.NEGOTIATE_SEAL) != 0;
        resetStreams();
    }

    /** Whether messages are sealed (encrypted and signed), not only signed. */
    boolean seals() {
        return seal;
    }

    /**
     * Starts both RC4 streams again and keeps the sequence numbers, as Windows and Samba do once the SPNEGO
     * mechListMIC has been exchanged (MS-SPNG 3.3.5.1): the first LDAP message is protected as if the MIC had not used
     * the streams.
     */
    void resetStreams() {
        incoming = new RC4Engine();
        incoming.init(false, new KeyParameter(clientSealingKey));
        outgoing = new RC4Engine();
        outgoing.init(true, new KeyParameter(serverSealingKey));
    }

    /** The DC's signature of {@code message}, as the SPNEGO mechListMIC carries it. */
    byte[] sign(byte[] message) {
        return signature(serverSigningKey, outgoing, outgoingSequence++, message);
    }

    /** Whether {@code signature} is the client's signature of {@code message}, the next in its sequence. */
    boolean verify(byte[] message, byte[] signature) {
        return MessageDigest.isEqual(signature, signature(clientSigningKey, incoming, incomingSequence++, message));
    }

    /** The client's wrapped token ({@code signature | message}, the message sealed if sealing was agreed), unwrapped. */
    byte[] unwrap(byte[] token) {
        if (token.length < SIGNATURE_LENGTH) {
            throw new IllegalArgumentException("a wrapped message of " + token.length + " bytes, shorter than its signature");
        }
        byte[] message = Arrays.copyOfRange(token, SIGNATURE_LENGTH, token.length);
        if (seal) {
            incoming.processBytes(message, 0, message.length, message, 0);
        }
        if (!verify(message, Arrays.copyOf(token, SIGNATURE_LENGTH))) {
            throw new IllegalArgumentException("the signature of wrapped message " + (incomingSequence - 1)
                    + " is wrong: the message was changed, or its order");
        }
        return message;
    }

    /** {@code message} wrapped for the client: the DC's signature, then the message, sealed if sealing was agreed. */
    byte[] wrap(byte[] message) {
        int sequence = outgoingSequence++;
        byte[] checksum = checksum(serverSigningKey, sequence, message);
        byte[] out = new byte[SIGNATURE_LENGTH + message.length];
        System.arraycopy(message, 0, out, SIGNATURE_LENGTH, message.length);
        if (seal) {
            outgoing.processBytes(out, SIGNATURE_LENGTH, message.length, out, SIGNATURE_LENGTH);
        }
        System.arraycopy(finish(outgoing, sequence, checksum), 0, out, 0, SIGNATURE_LENGTH);
        return out;
    }

    private byte[] signature(byte[] signingKey, RC4Engine stream, int sequence, byte[] message) {
        return finish(stream, sequence, checksum(signingKey, sequence, message));
    }

    private static byte[] checksum(byte[] signingKey, int sequence, byte[] message) {
        byte[] seq = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(sequence).array();
        return Arrays.copyOf(NtlmAuthenticator.hmacMd5(signingKey, NtlmAuthenticator.concat(seq, message)), 8);
    }

    private byte[] finish(RC4Engine stream, int sequence, byte[] checksum) {
        if (keyExchange) {
            stream.processBytes(checksum, 0, 8, checksum, 0);
        }
        return ByteBuffer.allocate(SIGNATURE_LENGTH).order(ByteOrder.LITTLE_ENDIAN).putInt(1).put(checksum).putInt(sequence).array();
    }

    private static byte[] md5(byte[] key, String constant) {
        try {
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            md5.update(key);
            md5.update(constant.getBytes(StandardCharsets.US_ASCII));
            return md5.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is missing from this Java runtime", e);
        }
    }
}
