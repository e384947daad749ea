package org.pkilab.directory;

import org.bouncycastle.crypto.engines.RC4Engine;
import org.bouncycastle.crypto.params.KeyParameter;
import org.pkilab.directory.LdapMessageShape.Element;
import org.pkilab.directory.LdapRequestGuard.Ber;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Locale;

/**
 * The client's side of NTLMv2 (MS-NLMP) and of LDAP over one raw socket, as Windows and Samba clients speak it, so that
 * tests can send what no well-behaved tool sends: an AUTHENTICATE message replayed on another connection or after a
 * fresh CHALLENGE, a changed MIC, a changed sealed message, a second sealed bind on a sealed connection.
 *
 * <pre>
 * NtlmClient.Connection c = NtlmClient.connect(dc.ldapPort());
 * c.spnegoBind(new NtlmClient("CONTOSO", "Administrator", password), true);   // sealed from here on
 * c.whoAmI();                                                                 // "u:CONTOSO\Administrator"
 * </pre>
 */
final class NtlmClient {

    /** Unicode, request target, NTLM, always sign, extended session security, 128-bit, key exchange, 56-bit. */
    static final int FLAGS = 0x00000001 | 0x00000004 | 0x00000200 | 0x00008000 | 0x00080000 | 0x20000000 | 0x40000000
            | 0x80000000;
    static final int SIGN_AND_SEAL = NtlmAuthenticator.NEGOTIATE_SIGN | NtlmAuthenticator.NEGOTIATE_SEAL;
    static final byte[] SPNEGO_OID = {0x2B, 0x06, 0x01, 0x05, 0x05, 0x02};
    static final byte[] NTLMSSP_OID = {0x2B, 0x06, 0x01, 0x04, 0x01, (byte) 0x82, 0x37, 0x02, 0x02, 0x0A};

    private final String domain;
    private final String user;
    private final byte[] ntHash;
    private final SecureRandom random = new SecureRandom();
    byte[] negotiate;
    byte[] exportedSessionKey;

    NtlmClient(String domain, String user, String password) {
        this.domain = domain;
        this.user = user;
        this.ntHash = PasswordVerifiers.ntHash(password);
    }

    /** A NEGOTIATE message asking for {@code flags}; kept for the MIC. */
    byte[] negotiate(int flags) {
        negotiate = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN).put("NTLMSSP\0".getBytes(StandardCharsets.US_ASCII))
                .putInt(1).putInt(flags).putLong(0).putLong(0).array();
        return negotiate;
    }

    /**
     * The NTLMv2 AUTHENTICATE message answering {@code challenge}, with the flags the DC agreed, a new exported session
     * key sent under key exchange, and, when {@code mic}, the MIC and the blob's MsvAvFlags saying it is there.
     */
    byte[] authenticate(byte[] challenge, boolean mic) {
        int flags = NtlmAuthenticator.int32(challenge, 20);
        byte[] serverChallenge = Arrays.copyOfRange(challenge, 24, 32);
        int infoLength = (challenge[40] & 0xFF) | (challenge[41] & 0xFF) << 8;
        int infoOffset = NtlmAuthenticator.int32(challenge, 44);
        byte[] targetInfo = Arrays.copyOfRange(challenge, infoOffset, infoOffset + infoLength - 4); // without MsvAvEOL
        byte[] clientChallenge = new byte[8];
        random.nextBytes(clientChallenge);
        ByteBuffer blob = ByteBuffer.allocate(28 + targetInfo.length + (mic ? 8 : 0) + 8).order(ByteOrder.LITTLE_ENDIAN);
        blob.put((byte) 1).put((byte) 1).put(new byte[6]).putLong((System.currentTimeMillis() + 11_644_473_600_000L) * 10_000L)
                .put(clientChallenge).putInt(0).put(targetInfo);
        if (mic) {
            blob.putShort((short) 6).putShort((short) 4).putInt(2);
        }
        blob.putInt(0).putInt(0);
        byte[] ntowfV2 = NtlmAuthenticator.hmacMd5(ntHash, (user.toUpperCase(Locale.ROOT) + domain).getBytes(StandardCharsets.UTF_16LE));
        byte[] proof = NtlmAuthenticator.hmacMd5(ntowfV2, NtlmAuthenticator.concat(serverChallenge, blob.array()));
        byte[] ntResponse = NtlmAuthenticator.concat(proof, blob.array());
        byte[] sessionBaseKey = NtlmAuthenticator.hmacMd5(ntowfV2, proof);
        exportedSessionKey = new byte[16];
        random.nextBytes(exportedSessionKey);
        byte[] encryptedKey = NtlmAuthenticator.rc4(sessionBaseKey, exportedSessionKey);
        byte[] domainBytes = domain.getBytes(StandardCharsets.UTF_16LE);
        byte[] userBytes = user.getBytes(StandardCharsets.UTF_16LE);
        int lm = 88;
        int nt = lm + 24;
        int dom = nt + ntResponse.length;
        int usr = dom + domainBytes.length;
        int key = usr + userBytes.length;
        ByteBuffer out = ByteBuffer.allocate(key + 16).order(ByteOrder.LITTLE_ENDIAN);
        out.put("NTLMSSP\0".getBytes(StandardCharsets.US_ASCII)).putInt(3);
        field(out, 24, lm);
        field(out, ntResponse.length, nt);
        field(out, domainBytes.length, dom);
        field(out, userBytes.length, usr);
        field(out, 0, key);
        field(out, 16, key);
        out.putInt(flags).put(new byte[8]).put(new byte[16]);
        out.put(new byte[24]).put(ntResponse).put(domainBytes).put(userBytes).put(encryptedKey);
        byte[] message = out.array();
        if (mic) {
            byte[] code = NtlmAuthenticator.hmacMd5(exportedSessionKey,
                    NtlmAuthenticator.concat(NtlmAuthenticator.concat(negotiate, challenge), message));
            System.arraycopy(code, 0, message, 72, 16);
        }
        return message;
    }

    private static void field(ByteBuffer out, int length, int offset) {
        out.putShort((short) length).putShort((short) length).putInt(offset);
    }

    /** The NTLM session security of the client's side (MS-NLMP 3.4, extended session security, 128-bit, key exchange). */
    static final class Sealing {
        private final byte[] clientSigningKey;
        private final byte[] serverSigningKey;
        private final byte[] clientSealingKey;
        private final byte[] serverSealingKey;
        private RC4Engine outgoing;
        private RC4Engine incoming;
        private int outgoingSequence;
        private int incomingSequence;

        Sealing(byte[] exportedSessionKey) {
            clientSigningKey = md5(exportedSessionKey, "session key to client-to-server signing key magic constant\0");
            serverSigningKey = md5(exportedSessionKey, "session key to server-to-client signing key magic constant\0");
            clientSealingKey = md5(exportedSessionKey, "session key to client-to-server sealing key magic constant\0");
            serverSealingKey = md5(exportedSessionKey, "session key to server-to-client sealing key magic constant\0");
            resetStreams();
        }

        void resetStreams() {
            outgoing = new RC4Engine();
            outgoing.init(true, new KeyParameter(clientSealingKey));
            incoming = new RC4Engine();
            incoming.init(false, new KeyParameter(serverSealingKey));
        }

        /** The client's signature of {@code message} (the SPNEGO mechListMIC). */
        byte[] sign(byte[] message) {
            return finish(outgoing, outgoingSequence, checksum(clientSigningKey, outgoingSequence++, message));
        }

        /** Takes the DC's mechListMIC, which moves its stream and sequence on. */
        void skipServerSignature() {
            finish(incoming, incomingSequence++, new byte[8]);
        }

        byte[] wrap(byte[] message) {
            int sequence = outgoingSequence++;
            byte[] checksum = checksum(clientSigningKey, sequence, message);
            byte[] sealed = message.clone();
            outgoing.processBytes(sealed, 0, sealed.length, sealed, 0);
            return NtlmAuthenticator.concat(finish(outgoing, sequence, checksum), sealed);
        }

        byte[] unwrap(byte[] token) {
            byte[] message = Arrays.copyOfRange(token, 16, token.length);
            incoming.processBytes(message, 0, message.length, message, 0);
            byte[] expected = finish(incoming, incomingSequence, checksum(serverSigningKey, incomingSequence++, message));
            if (!MessageDigest.isEqual(expected, Arrays.copyOf(token, 16))) {
                throw new IllegalStateException("DC01's signature of sealed message " + (incomingSequence - 1) + " is wrong");
            }
            return message;
        }

        private static byte[] checksum(byte[] key, int sequence, byte[] message) {
            byte[] seq = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(sequence).array();
            return Arrays.copyOf(NtlmAuthenticator.hmacMd5(key, NtlmAuthenticator.concat(seq, message)), 8);
        }

        private static byte[] finish(RC4Engine stream, int sequence, byte[] checksum) {
            stream.processBytes(checksum, 0, 8, checksum, 0);
            return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(1).put(checksum).putInt(sequence).array();
        }

        private static byte[] md5(byte[] key, String constant) {
            try {
                MessageDigest md5 = MessageDigest.getInstance("MD5");
                md5.update(key);
                return md5.digest(constant.getBytes(StandardCharsets.US_ASCII));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** A BindResponse (or other LDAPResult) as read: result code, matchedDN, text, and the SASL or extended value. */
    record Response(int resultCode, byte[] matchedDn, String message, byte[] value) {
    }

    static Connection connect(int port) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        return new Connection(socket);
    }

    /** One LDAP connection sending raw messages, sealed once a sealed GSS-SPNEGO bind succeeded on it. */
    static final class Connection implements AutoCloseable {
        private final Socket socket;
        private final DataInputStream in;
        private final OutputStream out;
        private int messageId;
        Sealing sealing;
        /** When set, each sealed message sent is changed by this before it goes out. */
        java.util.function.UnaryOperator<byte[]> tamper = frame -> frame;

        private Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new DataInputStream(socket.getInputStream());
            this.out = socket.getOutputStream();
        }

        /** Sends one request ({@code protocolOp}) and reads its one response. */
        Response send(byte[] protocolOp) throws IOException {
            byte[] message = Ber.tlv(0x30, Ber.integer(++messageId), protocolOp);
            if (sealing != null) {
                byte[] wrapped = tamper.apply(sealing.wrap(message));
                out.write(ByteBuffer.allocate(4 + wrapped.length).putInt(wrapped.length).put(wrapped).array());
            } else {
                out.write(message);
            }
            out.flush();
            return read();
        }

        Response sicily(int tag, String name, byte[] credentials) throws IOException {
            return send(Ber.tlv(0x60, Ber.integer(3), Ber.tlv(0x04, name.getBytes(StandardCharsets.UTF_8)), Ber.tlv(tag, credentials)));
        }

        /** The three Sicily binds of ldap3 and impacket; returns the sicilyResponse's answer. */
        Response sicilyBind(NtlmClient client) throws IOException {
            Response challenge = sicily(0x8A, "NTLM", client.negotiate(FLAGS));
            if (challenge.resultCode() != 0) {
                return challenge;
            }
            return sicily(0x8B, "", client.authenticate(challenge.matchedDn(), true));
        }

        Response simpleBind(String name, String password) throws IOException {
            return sicily(0x80, name, password.getBytes(StandardCharsets.UTF_8));
        }

        Response sasl(byte[] token) throws IOException {
            return send(Ber.tlv(0x60, Ber.integer(3), Ber.tlv(0x04), Ber.tlv(0xA3, Ber.tlv(0x04,
                    NtlmBinds.GSS_SPNEGO.getBytes(StandardCharsets.US_ASCII)), Ber.tlv(0x04, token))));
        }

        /**
         * A GSS-SPNEGO bind carrying NTLM, as Samba's client makes it; with {@code seal}, it asks for signing and sealing,
         * and every later message on this connection is sealed with the new keys (the answer still with the old).
         */
        Response spnegoBind(NtlmClient client, boolean seal) throws IOException {
            Response first = sasl(negTokenInit(client.negotiate(FLAGS | (seal ? SIGN_AND_SEAL : 0))));
            if (first.resultCode() != 14) {
                return first;
            }
            byte[] challenge = ntlmMessage(first.value());
            byte[] authenticate = client.authenticate(challenge, true);
            Sealing next = new Sealing(client.exportedSessionKey);
            byte[] mic = next.sign(MECH_TYPES);
            Response done = sasl(Ber.tlv(0xA1, Ber.tlv(0x30, Ber.tlv(0xA2, Ber.tlv(0x04, authenticate)),
                    Ber.tlv(0xA3, Ber.tlv(0x04, mic)))));
            if (done.resultCode() == 0 && seal) {
                next.skipServerSignature();
                next.resetStreams();
                sealing = next;
            }
            return done;
        }

        /** Who-Am-I (RFC 4532): AD's {@code u:CONTOSO\name}, or empty when the connection is anonymous. */
        String whoAmI() throws IOException {
            Response r = send(Ber.tlv(0x77, Ber.tlv(0x80, "1.3.6.1.4.1.4203.1.11.3".getBytes(StandardCharsets.US_ASCII))));
            return r.value() == null ? "" : new String(r.value(), StandardCharsets.UTF_8);
        }

        void sendRaw(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
        }

        /** Whether the DC has ended the connection (the next read finds its end before the socket's timeout). */
        boolean ended() {
            try {
                return in.read() < 0;
            } catch (java.net.SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                return true;
            }
        }

        private Response read() throws IOException {
            byte[] whole;
            if (sealing != null) {
                byte[] token = new byte[in.readInt()];
                in.readFully(token);
                whole = sealing.unwrap(token);
            } else {
                int tag = in.readUnsignedByte();
                int first = in.readUnsignedByte();
                int length = first < 0x80 ? first : 0;
                for (int i = 0; i < (first < 0x80 ? 0 : first & 0x7F); i++) {
                    length = (length << 8) | in.readUnsignedByte();
                }
                byte[] pdu = new byte[length];
                in.readFully(pdu);
                whole = Ber.tlv(tag, pdu);
            }
            Element message = Element.at(whole, 0, whole.length);
            Element id = Element.at(whole, message.contentStart(), message.end());
            Element response = Element.at(whole, id.end(), message.end());
            Element code = Element.at(whole, response.contentStart(), response.end());
            Element matched = Element.at(whole, code.end(), response.end());
            Element text = Element.at(whole, matched.end(), response.end());
            byte[] value = null;
            for (int position = text.end(); position < response.end(); ) {
                Element field = Element.at(whole, position, response.end());
                if (field.tag() == 0x87 || field.tag() == 0x8B) {
                    value = Arrays.copyOfRange(whole, field.contentStart(), field.end());
                }
                position = field.end();
            }
            return new Response(whole[code.contentStart()] & 0xFF, Arrays.copyOfRange(whole, matched.contentStart(), matched.end()),
                    new String(whole, text.contentStart(), text.length(), StandardCharsets.UTF_8), value);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** The SPNEGO mechanism list Samba sends when it has no Kerberos ticket: NTLMSSP alone. */
    static final byte[] MECH_TYPES = Ber.tlv(0x30, Ber.tlv(0x06, NTLMSSP_OID));

    /** A NegTokenInit (RFC 4178 4.2.1) offering NTLMSSP, carrying {@code negotiate}. */
    static byte[] negTokenInit(byte[] negotiate) {
        return Ber.tlv(0x60, Ber.tlv(0x06, SPNEGO_OID), Ber.tlv(0xA0, Ber.tlv(0x30, Ber.tlv(0xA0, MECH_TYPES),
                Ber.tlv(0xA2, Ber.tlv(0x04, negotiate)))));
    }

    /** The NTLM message that ends a NegTokenResp without a mechListMIC (the CHALLENGE). */
    static byte[] ntlmMessage(byte[] negTokenResp) {
        byte[] signature = "NTLMSSP\0".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i + signature.length <= negTokenResp.length; i++) {
            if (Arrays.equals(negTokenResp, i, i + signature.length, signature, 0, signature.length)) {
                return Arrays.copyOfRange(negTokenResp, i, negTokenResp.length);
            }
        }
        throw new IllegalStateException("no NTLM message in DC01's answer");
    }
}
