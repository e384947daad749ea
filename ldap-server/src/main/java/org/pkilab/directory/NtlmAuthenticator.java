package org.pkilab.directory;

import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.server.core.api.CoreSession;
import org.bouncycastle.crypto.engines.RC4Engine;
import org.bouncycastle.crypto.params.KeyParameter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Locale;

/**
 * The DC's side of NTLM (MS-NLMP), as a Windows DC answers it: three messages, whatever carries them (Microsoft's
 * Sicily bind, or SASL GSS-SPNEGO).
 *
 * <pre>
 * client  NEGOTIATE      flags the client can do (Unicode, NTLM, extended session security, 128-bit, ...)
 * DC      CHALLENGE      the flags agreed, an 8-byte random server challenge, and target info: CONTOSO, DC01,
 *                        contoso.com, dc01.contoso.com, the time
 * client  AUTHENTICATE   domain CONTOSO, user Administrator, and the NTLMv2 response:
 *                        NTProofStr = HMAC-MD5(NTOWFv2, server challenge + blob), where
 *                        NTOWFv2 = HMAC-MD5(NT hash, UTF-16LE(UPPER(user) + domain)) and the blob holds the
 *                        client's challenge, its time and the target info
 * </pre>
 *
 * The DC recomputes NTProofStr from the NT hash it keeps in the account's {@code unicodePwd}
 * ({@link PasswordVerifiers}) and compares. The user name is an account's {@code sAMAccountName} ({@code Administrator},
 * {@code IIS01$}), the domain the NetBIOS name, the DNS name or empty. Only NTLMv2 is taken, as on a DC whose
 * "Network security: LAN Manager authentication level" is "Send NTLMv2 response only. Refuse LM &amp; NTLM"; an LM or
 * NTLMv1 response (24 bytes) is refused, and so is an anonymous one. When the client says its AUTHENTICATE message
 * carries a MIC (Samba's and Windows' do), the MIC is checked, so the three messages cannot have been changed.
 * Every refusal is AD's 49 text {@link SystemAccountGuard#LOGON_FAILURE}, followed by a line that says why when the
 * why tells nothing about the account (an NTLMv1 response, another domain, a malformed message). A refusal that
 * depends on the account answers the plain text alike, an unknown name, a wrong password, an account with no NT hash,
 * so that a failed bind never tells a stranger whether the account exists; the DC's log says why.
 */
final class NtlmAuthenticator {

    private static final Logger LOG = LoggerFactory.getLogger(NtlmAuthenticator.class);

    static final int NEGOTIATE_UNICODE = 0x00000001;
    static final int NEGOTIATE_OEM = 0x00000002;
    static final int REQUEST_TARGET = 0x00000004;
    static final int NEGOTIATE_SIGN = 0x00000010;
    static final int NEGOTIATE_SEAL = 0x00000020;
    static final int NEGOTIATE_NTLM = 0x00000200;
    static final int NEGOTIATE_ALWAYS_SIGN = 0x00008000;
    static final int TARGET_TYPE_DOMAIN = 0x00010000;
    static final int NEGOTIATE_EXTENDED_SESSIONSECURITY = 0x00080000;
    static final int NEGOTIATE_TARGET_INFO = 0x00800000;
    static final int NEGOTIATE_VERSION = 0x02000000;
    static final int NEGOTIATE_128 = 0x20000000;
    static final int NEGOTIATE_KEY_EXCH = 0x40000000;
    static final int NEGOTIATE_56 = 0x80000000;

    private static final byte[] SIGNATURE = "NTLMSSP\0".getBytes(StandardCharsets.US_ASCII);
    /** Windows Server 2019 (10.0.17763), NTLMSSP_REVISION_W2K3. */
    private static final byte[] VERSION = {10, 0, (byte) 0x63, (byte) 0x45, 0, 0, 0, 0x0F};
    /** Windows' OEM code page in the US, for the few clients that do not speak Unicode. */
    private static final Charset OEM = Charset.forName("IBM437");

    private final AdBindRequestHandler names;
    private final String netbiosDomain;
    private final String dnsDomain;
    private final String hostName;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    NtlmAuthenticator(AdBindRequestHandler names, String netbiosDomain, String dnsDomain, String hostName, Clock clock) {
        this.names = names;
        this.netbiosDomain = netbiosDomain.toUpperCase(Locale.ROOT);
        this.dnsDomain = dnsDomain.toLowerCase(Locale.ROOT);
        this.hostName = hostName.toUpperCase(Locale.ROOT);
        this.clock = clock;
    }

    /** One NTLM exchange on one connection: what the DC sent, kept until the AUTHENTICATE message comes. */
    static final class Exchange {
        final byte[] negotiate;
        final byte[] challenge;
        final byte[] serverChallenge;
        final int flags;

        private Exchange(byte[] negotiate, byte[] challenge, byte[] serverChallenge, int flags) {
            this.negotiate = negotiate;
            this.challenge = challenge;
            this.serverChallenge = serverChallenge;
            this.flags = flags;
        }
    }

    /**
     * The account an AUTHENTICATE message proved, with the exported session key (MS-NLMP 3.1.5.1.2) signing and sealing
     * use; or a refusal.
     */
    record Outcome(Dn account, byte[] sessionKey, int flags, String refusal) {
        boolean accepted() {
            return refusal == null;
        }

        static Outcome refused(String why) {
            return new Outcome(null, null, 0, why.isEmpty() ? SystemAccountGuard.LOGON_FAILURE : SystemAccountGuard.LOGON_FAILURE + "\n" + why);
        }
    }

    /**
     * Answers a NEGOTIATE message with a CHALLENGE; {@code canSeal} says whether the carrier can sign and seal
     * what follows, so that the DC agrees to NEGOTIATE_SIGN and NEGOTIATE_SEAL only then, and only with extended
     * session security, the one scheme {@link NtlmSealing} implements (a client that asks for signing without it gets
     * a CHALLENGE without NEGOTIATE_SIGN and NEGOTIATE_SEAL, as from a DC that cannot sign).
     *
     * @throws IllegalArgumentException when {@code negotiate} is not an NTLM NEGOTIATE message, saying what is wrong
     */
    Exchange challenge(byte[] negotiate, boolean canSeal) {
        if (negotiate.length < 16 || !startsWithSignature(negotiate) || int32(negotiate, 8) != 1) {
            throw new IllegalArgumentException("not an NTLM NEGOTIATE message (MS-NLMP 2.2.1.1): it must begin with"
                    + " \"NTLMSSP\\0\" and message type 1");
        }
        int asked = int32(negotiate, 12);
        int flags = REQUEST_TARGET | NEGOTIATE_NTLM | TARGET_TYPE_DOMAIN | NEGOTIATE_TARGET_INFO | NEGOTIATE_VERSION;
        flags |= (asked & NEGOTIATE_UNICODE) != 0 ? NEGOTIATE_UNICODE : NEGOTIATE_OEM;
        flags |= asked & (NEGOTIATE_ALWAYS_SIGN | NEGOTIATE_EXTENDED_SESSIONSECURITY | NEGOTIATE_128 | NEGOTIATE_56
                | NEGOTIATE_KEY_EXCH);
        if (canSeal && (asked & NEGOTIATE_EXTENDED_SESSIONSECURITY) != 0) {
            flags |= asked & (NEGOTIATE_SIGN | NEGOTIATE_SEAL);
        }
        byte[] serverChallenge = new byte[8];
        random.nextBytes(serverChallenge);
        byte[] targetName = netbiosDomain.getBytes((flags & NEGOTIATE_UNICODE) != 0 ? StandardCharsets.UTF_16LE : OEM);
        byte[] targetInfo = targetInfo();
        ByteBuffer out = ByteBuffer.allocate(56 + targetName.length + targetInfo.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(SIGNATURE).putInt(2);
        field(out, targetName.length, 56);
        out.putInt(flags).put(serverChallenge).putLong(0);
        field(out, targetInfo.length, 56 + targetName.length);
        out.put(VERSION).put(targetName).put(targetInfo);
        return new Exchange(negotiate.clone(), out.array(), serverChallenge, flags);
    }

    /** AD's AV pairs (MS-NLMP 2.2.2.1): the domain's and the DC's NetBIOS and DNS names, the forest, the time. */
    private byte[] targetInfo() {
        ByteArrayOutputStream pairs = new ByteArrayOutputStream();
        avPair(pairs, 2, netbiosDomain.getBytes(StandardCharsets.UTF_16LE));
        avPair(pairs, 1, hostName.getBytes(StandardCharsets.UTF_16LE));
        avPair(pairs, 4, dnsDomain.getBytes(StandardCharsets.UTF_16LE));
        avPair(pairs, 3, (hostName.toLowerCase(Locale.ROOT) + "." + dnsDomain).getBytes(StandardCharsets.UTF_16LE));
        avPair(pairs, 5, dnsDomain.getBytes(StandardCharsets.UTF_16LE));
        long fileTime = (clock.millis() + 11_644_473_600_000L) * 10_000L;
        avPair(pairs, 7, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(fileTime).array());
        avPair(pairs, 0, new byte[0]);
        return pairs.toByteArray();
    }

    private static void avPair(ByteArrayOutputStream out, int id, byte[] value) {
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putShort((short) id).putShort((short) value.length).array());
        out.writeBytes(value);
    }

    /** Checks an AUTHENTICATE message against the exchange it ends and the account's NT hash. */
    Outcome authenticate(Exchange exchange, byte[] message, CoreSession admin) throws LdapException {
        if (message.length < 64 || !startsWithSignature(message) || int32(message, 8) != 3) {
            return Outcome.refused("not an NTLM AUTHENTICATE message (MS-NLMP 2.2.1.3): it must begin with \"NTLMSSP\\0\""
                    + " and message type 3");
        }
        int flags = int32(message, 60);
        Charset charset = (flags & NEGOTIATE_UNICODE) != 0 ? StandardCharsets.UTF_16LE : OEM;
        byte[] ntResponse;
        String domain;
        String user;
        byte[] encryptedKey;
        try {
            ntResponse = payload(message, 20);
            domain = new String(payload(message, 28), charset);
            user = new String(payload(message, 36), charset);
            encryptedKey = payload(message, 52);
        } catch (IllegalArgumentException e) {
            return Outcome.refused("malformed NTLM AUTHENTICATE message: " + e.getMessage());
        }
        if (user.isEmpty()) {
            return Outcome.refused("an anonymous NTLM logon is not taken: name an account (CONTOSO\\name)");
        }
        String account = domain.isEmpty() ? user : domain + "\\" + user;
        if (ntResponse.length == 24 || ntResponse.length == 0) {
            return Outcome.refused(account + " answered with LM or NTLMv1, which the DC refuses (LAN Manager authentication"
                    + " level: Send NTLMv2 response only. Refuse LM & NTLM); use a client that sends NTLMv2");
        }
        if (ntResponse.length < 16 + 28) {
            return Outcome.refused("the NTLMv2 response of " + account + " is " + ntResponse.length + " bytes, too short");
        }
        if (!domain.isEmpty() && !domain.equalsIgnoreCase(netbiosDomain) && !domain.equalsIgnoreCase(dnsDomain)) {
            return Outcome.refused("domain '" + domain + "' is not this DC's (" + netbiosDomain + " or " + dnsDomain + ")");
        }
        Entry entry = names.account(admin, user);
        if (entry == null) {
            return Outcome.refused("");
        }
        Attribute kept = entry.get(PasswordVerifiers.UNICODE_PWD);
        String logonName = netbiosDomain + "\\" + entry.get("sAMAccountName").getString();
        if (kept == null || kept.get().getBytes().length != 16) {
            LOG.warn("NTLM logon of {} refused (data 52e): the account has no NT hash: its password was set before the DC"
                    + " kept NT hashes (unicodePwd), or was removed; set the password again (userPassword, or unicodePwd over"
                    + " LDAPS) to bind with NTLM", logonName);
            return Outcome.refused("");
        }
        byte[] ntowfV2 = hmacMd5(kept.get().getBytes(), (user.toUpperCase(Locale.ROOT) + domain).getBytes(StandardCharsets.UTF_16LE));
        byte[] proof = java.util.Arrays.copyOf(ntResponse, 16);
        byte[] blob = java.util.Arrays.copyOfRange(ntResponse, 16, ntResponse.length);
        byte[] expected = hmacMd5(ntowfV2, concat(exchange.serverChallenge, blob));
        if (!MessageDigest.isEqual(proof, expected)) {
            return Outcome.refused("");
        }
        byte[] sessionBaseKey = hmacMd5(ntowfV2, proof);
        byte[] exported = sessionBaseKey;
        if ((flags & NEGOTIATE_KEY_EXCH) != 0 && encryptedKey.length == 16) {
            exported = rc4(sessionBaseKey, encryptedKey);
        }
        if (claimsMic(blob) && !micMatches(exchange, message, exported)) {
            return Outcome.refused("the MIC of " + logonName + "'s AUTHENTICATE message is wrong: the NTLM messages were"
                    + " changed on the way");
        }
        return new Outcome(entry.getDn(), exported, flags & exchange.flags, null);
    }

    /**
     * Whether the client's blob says its AUTHENTICATE message carries a MIC (MsvAvFlags 0x2, MS-NLMP 2.2.2.1): the AV
     * pairs begin after the blob's 28-byte header (versions, reserved, time, client challenge, reserved).
     */
    private static boolean claimsMic(byte[] blob) {
        for (int at = 28; at + 4 <= blob.length; ) {
            int id = (blob[at] & 0xFF) | (blob[at + 1] & 0xFF) << 8;
            int length = (blob[at + 2] & 0xFF) | (blob[at + 3] & 0xFF) << 8;
            if (id == 0 || at + 4 + length > blob.length) {
                return false;
            }
            if (id == 6 && length == 4) {
                return (int32(blob, at + 4) & 0x2) != 0;
            }
            at += 4 + length;
        }
        return false;
    }

    /** MIC = HMAC-MD5(exported session key, NEGOTIATE + CHALLENGE + AUTHENTICATE with its MIC zeroed), at byte 72. */
    private static boolean micMatches(Exchange exchange, byte[] authenticate, byte[] exportedSessionKey) {
        if (authenticate.length < 88) {
            return false;
        }
        byte[] zeroed = authenticate.clone();
        java.util.Arrays.fill(zeroed, 72, 88, (byte) 0);
        byte[] expected = hmacMd5(exportedSessionKey, concat(concat(exchange.negotiate, exchange.challenge), zeroed));
        return MessageDigest.isEqual(expected, java.util.Arrays.copyOfRange(authenticate, 72, 88));
    }

    /** A payload field of an NTLM message: (length, maximum length, offset) at {@code at}. */
    private static byte[] payload(byte[] message, int at) {
        int length = (message[at] & 0xFF) | (message[at + 1] & 0xFF) << 8;
        int offset = int32(message, at + 4);
        if (offset < 0 || offset + length > message.length || (length > 0 && offset < 56)) {
            throw new IllegalArgumentException("a field at byte " + at + " points outside the message");
        }
        return java.util.Arrays.copyOfRange(message, offset, offset + length);
    }

    private static void field(ByteBuffer out, int length, int offset) {
        out.putShort((short) length).putShort((short) length).putInt(offset);
    }

    private static boolean startsWithSignature(byte[] message) {
        return java.util.Arrays.equals(message, 0, 8, SIGNATURE, 0, 8);
    }

    static int int32(byte[] data, int at) {
        return ByteBuffer.wrap(data, at, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    static byte[] hmacMd5(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacMD5");
            mac.init(new SecretKeySpec(key, "HmacMD5"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-MD5 is missing from this Java runtime", e);
        }
    }

    static byte[] rc4(byte[] key, byte[] data) {
        RC4Engine engine = new RC4Engine();
        engine.init(true, new KeyParameter(key));
        byte[] out = new byte[data.length];
        engine.processBytes(data, 0, data.length, out, 0);
        return out;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
