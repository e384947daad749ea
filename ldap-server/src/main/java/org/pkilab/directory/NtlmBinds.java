package org.pkilab.directory;

import org.apache.directory.api.ldap.model.constants.AuthenticationLevel;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.server.core.api.CoreSession;
import org.apache.directory.server.core.api.DirectoryService;
import org.apache.directory.server.core.api.LdapPrincipal;
import org.apache.directory.server.core.shared.DefaultCoreSession;
import org.apache.directory.server.ldap.LdapServer;
import org.apache.directory.server.ldap.LdapSession;
import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.filterchain.IoFilterAdapter;
import org.apache.mina.core.session.AttributeKey;
import org.apache.mina.core.session.IoSession;
import org.pkilab.directory.LdapMessageShape.Element;
import org.pkilab.directory.LdapRequestGuard.Ber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * NTLM binds as Microsoft's clients send them, which ApacheDS's decoder does not know: the Sicily bind (MS-ADTS
 * 5.1.1.1.3), three more choices of a BindRequest's {@code authentication}:
 *
 * <pre>
 * [9]  sicilyPackageDiscovery ""         -&gt; success, matchedDN "NTLM" (the packages the DC offers)
 * [10] sicilyNegotiate NEGOTIATE  name "NTLM"  -&gt; success, matchedDN the CHALLENGE message
 * [11] sicilyResponse AUTHENTICATE       -&gt; success, and the connection is bound as the account; or 49
 * </pre>
 *
 * This is what python3-ldap3 ({@code authentication=NTLM}), impacket's {@code LDAPConnection.login} and
 * ldapdomaindump send. It is a MINA filter between the {@link LdapRequestGuard}, which hands it whole messages, and
 * ApacheDS's decoder, which never sees a Sicily bind. {@link NtlmAuthenticator} checks the NTLM messages. A bind that
 * succeeds leaves the connection's {@link LdapSession} as a simple bind leaves it: a session whose principal is the
 * account's DN, so every access check and the logon token judge that account. Signing and sealing are not offered
 * on a Sicily bind (the CHALLENGE drops NEGOTIATE_SIGN and NEGOTIATE_SEAL), so a client that requires them gives up
 * at the CHALLENGE; ldap3 and impacket do not. The same filter answers SASL GSS-SPNEGO binds carrying NTLM, with
 * signing and sealing ({@link #spnego}); other SASL mechanisms go on to ApacheDS.
 */
final class NtlmBinds extends IoFilterAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(NtlmBinds.class);
    private static final AttributeKey EXCHANGE = new AttributeKey(NtlmBinds.class, "exchange");
    private static final int BIND_REQUEST = 0x60;
    private static final int BIND_RESPONSE = 0x61;
    private static final int SICILY_PACKAGE_DISCOVERY = 0x89;
    private static final int SICILY_NEGOTIATE = 0x8A;
    private static final int SICILY_RESPONSE = 0x8B;
    private static final int SASL = 0xA3;
    static final String GSS_SPNEGO = "GSS-SPNEGO";
    private static final int SASL_BIND_IN_PROGRESS = 14;
    private static final AttributeKey SPNEGO = new AttributeKey(NtlmBinds.class, "spnego");
    /** 1.3.6.1.5.5.2, SPNEGO (RFC 4178). */
    private static final byte[] SPNEGO_OID = {0x2B, 0x06, 0x01, 0x05, 0x05, 0x02};
    /** 1.3.6.1.4.1.311.2.2.10, NTLMSSP. */
    private static final byte[] NTLMSSP_OID = {0x2B, 0x06, 0x01, 0x04, 0x01, (byte) 0x82, 0x37, 0x02, 0x02, 0x0A};
    private static final int SUCCESS = 0;
    private static final int PROTOCOL_ERROR = 2;
    private static final int INVALID_CREDENTIALS = 49;

    private final LdapServer ldapServer;
    private final NtlmAuthenticator ntlm;
    private final int maxReceiveBuffer;

    /** @param maxReceiveBuffer the request guard's largest message, which bounds a sealed one too */
    NtlmBinds(LdapServer ldapServer, NtlmAuthenticator ntlm, int maxReceiveBuffer) {
        this.ldapServer = ldapServer;
        this.ntlm = ntlm;
        this.maxReceiveBuffer = maxReceiveBuffer;
    }

    @Override
    public void messageReceived(NextFilter next, IoSession session, Object message) throws Exception {
        if (message instanceof IoBuffer buffer && buffer.remaining() > 2) {
            byte[] pdu;
            if (buffer.hasArray() && buffer.arrayOffset() == 0 && buffer.position() == 0 && buffer.limit() == buffer.array().length) {
                pdu = buffer.array(); // the guard hands over each message in an array of its own
            } else {
                pdu = new byte[buffer.remaining()];
                buffer.duplicate().get(pdu);
            }
            Bind bind = Bind.parse(pdu);
            if (bind != null && bind.authenticationTag >= SICILY_PACKAGE_DISCOVERY && bind.authenticationTag <= SICILY_RESPONSE) {
                sicily(session, bind);
                return;
            }
            if (bind != null && bind.authenticationTag == SASL && GSS_SPNEGO.equals(bind.saslMechanism())) {
                spnego(session, bind);
                return;
            }
        }
        next.messageReceived(session, message);
    }

    /** A BindRequest's message ID, name and authentication choice, read from its BER; null for any other message. */
    record Bind(int messageId, String name, int authenticationTag, byte[] credentials) {
        /** A SASL bind's mechanism, or null. */
        String saslMechanism() {
            if (authenticationTag != SASL || credentials.length < 2 || credentials[0] != 0x04) {
                return null;
            }
            Element mechanism = Element.at(credentials, 0, credentials.length);
            return new String(credentials, mechanism.contentStart(), mechanism.length(), StandardCharsets.UTF_8);
        }

        /** A SASL bind's credentials, empty when it has none. */
        byte[] saslCredentials() {
            Element mechanism = Element.at(credentials, 0, credentials.length);
            if (mechanism.end() >= credentials.length) {
                return new byte[0];
            }
            Element value = Element.at(credentials, mechanism.end(), credentials.length);
            return Arrays.copyOfRange(credentials, value.contentStart(), value.end());
        }

        static Bind parse(byte[] pdu) {
            try {
                Element message = Element.at(pdu, 0, pdu.length);
                Element id = Element.at(pdu, message.contentStart(), message.end());
                Element op = Element.at(pdu, id.end(), message.end());
                if (op.tag() != BIND_REQUEST || id.tag() != 0x02 || id.length() < 1 || id.length() > 4) {
                    return null;
                }
                int messageId = 0;
                for (int i = id.contentStart(); i < id.end(); i++) {
                    messageId = (messageId << 8) | (pdu[i] & 0xFF);
                }
                Element version = Element.at(pdu, op.contentStart(), op.end());
                Element name = Element.at(pdu, version.end(), op.end());
                Element authentication = Element.at(pdu, name.end(), op.end());
                return new Bind(messageId, new String(pdu, name.contentStart(), name.length(), StandardCharsets.UTF_8),
                        authentication.tag(), Arrays.copyOfRange(pdu, authentication.contentStart(), authentication.end()));
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
    }

    private void sicily(IoSession session, Bind bind) {
        LdapSession ldapSession = ldapServer.getLdapSessionManager().getLdapSession(session);
        if (ldapSession == null) {
            session.closeNow();
            return;
        }
        try {
            // whatever a bind's outcome, the connection is no longer bound as before it (RFC 4511 4.2.1)
            anonymous(ldapSession);
            switch (bind.authenticationTag) {
                case SICILY_PACKAGE_DISCOVERY -> {
                    answer(session, bind.messageId, SUCCESS, "NTLM".getBytes(StandardCharsets.US_ASCII), "");
                }
                case SICILY_NEGOTIATE -> {
                    NtlmAuthenticator.Exchange exchange;
                    try {
                        exchange = ntlm.challenge(bind.credentials, false);
                    } catch (IllegalArgumentException e) {
                        session.removeAttribute(EXCHANGE);
                        answer(session, bind.messageId, PROTOCOL_ERROR, new byte[0], e.getMessage());
                        return;
                    }
                    session.setAttribute(EXCHANGE, exchange);
                    answer(session, bind.messageId, SUCCESS, exchange.challenge, "");
                }
                default -> {
                    NtlmAuthenticator.Exchange exchange = (NtlmAuthenticator.Exchange) session.removeAttribute(EXCHANGE);
                    if (exchange == null) {
                        answer(session, bind.messageId, INVALID_CREDENTIALS, new byte[0], SystemAccountGuard.LOGON_FAILURE
                                + "\na sicilyResponse came with no sicilyNegotiate before it on this connection");
                        return;
                    }
                    NtlmAuthenticator.Outcome outcome = ntlm.authenticate(exchange, bind.credentials,
                            ldapServer.getDirectoryService().getAdminSession());
                    if (!outcome.accepted()) {
                        answer(session, bind.messageId, INVALID_CREDENTIALS, new byte[0], outcome.refusal());
                        return;
                    }
                    bound(ldapSession, outcome);
                    answer(session, bind.messageId, SUCCESS, new byte[0], "");
                }
            }
        } catch (Exception e) {
            LOG.warn("NTLM bind from {} failed in the DC", session.getRemoteAddress(), e);
            anonymous(ldapSession);
            answer(session, bind.messageId, 80, new byte[0], "the DC failed on this NTLM bind (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** A GSS-SPNEGO bind in progress on one connection. */
    private static final class Spnego {
        /** The DER MechTypeList of the client's NegTokenInit, which both mechListMICs sign. */
        byte[] mechTypes;
        NtlmAuthenticator.Exchange exchange;
    }

    /**
     * SASL GSS-SPNEGO carrying NTLMSSP (RFC 4178, MS-SPNG), what samba-tool sends over {@code ldap://}:
     * <pre>
     * NegTokenInit  mechTypes NTLMSSP..., mechToken NEGOTIATE     -&gt; 14 saslBindInProgress, NegTokenResp
     *                                                                 accept-incomplete, NTLMSSP, CHALLENGE
     * NegTokenResp  responseToken AUTHENTICATE, mechListMIC       -&gt; 0, NegTokenResp accept-completed, mechListMIC
     * </pre>
     * A client that asked for signing or sealing gets it: from the next message on, the connection runs through an
     * {@link NtlmSaslLayer}, which takes the place of one an earlier bind put there. Over TLS, signing and sealing are
     * not offered (a Windows DC refuses them there).
     */
    private void spnego(IoSession session, Bind bind) {
        LdapSession ldapSession = ldapServer.getLdapSessionManager().getLdapSession(session);
        if (ldapSession == null) {
            session.closeNow();
            return;
        }
        try {
            anonymous(ldapSession);
            byte[] token = bind.saslCredentials();
            Spnego state = (Spnego) session.getAttribute(SPNEGO);
            if (token.length > 0 && (token[0] & 0xFF) == 0x60) {
                state = new Spnego();
                session.setAttribute(SPNEGO, state);
                Element outer = Element.at(token, 0, token.length);
                Element oid = Element.at(token, outer.contentStart(), outer.end());
                if (oid.tag() != 0x06 || !Arrays.equals(Arrays.copyOfRange(token, oid.contentStart(), oid.end()), SPNEGO_OID)) {
                    refuseSpnego(session, bind, "the GSS-SPNEGO token is not SPNEGO (OID 1.3.6.1.5.5.2)");
                    return;
                }
                Element negTokenInit = Element.at(token, Element.at(token, oid.end(), outer.end()).contentStart(), outer.end());
                byte[][] fields = fields(token, negTokenInit);
                if (fields[0] == null || !offersNtlm(fields[0])) {
                    refuseSpnego(session, bind, "the client offers no NTLM (NTLMSSP, 1.3.6.1.4.1.311.2.2.10) in GSS-SPNEGO;"
                            + " the lab's DC has no Kerberos");
                    return;
                }
                state.mechTypes = fields[0];
                byte[] mechToken = fields[2] == null ? null : octets(fields[2]);
                if (mechToken == null || !firstIsNtlm(fields[0])) {
                    saslAnswer(session, bind.messageId, SASL_BIND_IN_PROGRESS, "", negTokenResp(1, true, null, null));
                    return;
                }
                challenge(session, bind, state, mechToken);
                return;
            }
            if (state == null || token.length == 0 || (token[0] & 0xFF) != 0xA1) {
                session.removeAttribute(SPNEGO);
                refuseSpnego(session, bind, "a GSS-SPNEGO bind must begin with a NegTokenInit");
                return;
            }
            Element negTokenResp = Element.at(token, Element.at(token, 0, token.length).contentStart(), token.length);
            byte[][] fields = fields(token, negTokenResp);
            byte[] responseToken = fields[2] == null ? null : octets(fields[2]);
            if (responseToken == null) {
                session.removeAttribute(SPNEGO);
                refuseSpnego(session, bind, "the NegTokenResp carries no NTLM message");
                return;
            }
            if (state.exchange == null) {
                challenge(session, bind, state, responseToken);
                return;
            }
            session.removeAttribute(SPNEGO);
            NtlmAuthenticator.Outcome outcome = ntlm.authenticate(state.exchange, responseToken,
                    ldapServer.getDirectoryService().getAdminSession());
            if (!outcome.accepted()) {
                saslAnswer(session, bind.messageId, INVALID_CREDENTIALS, outcome.refusal(), null);
                return;
            }
            boolean protect = (outcome.flags() & (NtlmAuthenticator.NEGOTIATE_SIGN | NtlmAuthenticator.NEGOTIATE_SEAL)) != 0;
            NtlmSealing sealing = new NtlmSealing(outcome.sessionKey(), outcome.flags());
            byte[] mic = null;
            if (fields[3] != null) {
                if (!sealing.verify(state.mechTypes, octets(fields[3]))) {
                    saslAnswer(session, bind.messageId, INVALID_CREDENTIALS, SystemAccountGuard.LOGON_FAILURE
                            + "\nthe SPNEGO mechListMIC is wrong: the mechanism list was changed on the way", null);
                    return;
                }
                mic = sealing.sign(state.mechTypes);
                sealing.resetStreams();
            }
            bound(ldapSession, outcome);
            saslAnswer(session, bind.messageId, SUCCESS, "", negTokenResp(0, false, null, mic));
            if (protect) {
                // after the answer, which a layer already there wraps with its keys: the client takes the new ones after it
                NtlmSaslLayer.install(session, new NtlmSaslLayer(sealing, maxReceiveBuffer));
            }
        } catch (IllegalArgumentException e) {
            session.removeAttribute(SPNEGO);
            refuseSpnego(session, bind, "malformed GSS-SPNEGO token: " + e.getMessage());
        } catch (Exception e) {
            LOG.warn("GSS-SPNEGO bind from {} failed in the DC", session.getRemoteAddress(), e);
            session.removeAttribute(SPNEGO);
            anonymous(ldapSession);
            saslAnswer(session, bind.messageId, 80, "the DC failed on this GSS-SPNEGO bind (" + e.getClass().getSimpleName() + ")", null);
        }
    }

    private void challenge(IoSession session, Bind bind, Spnego state, byte[] negotiate) {
        boolean tls = session.getFilterChain().get(org.apache.mina.filter.ssl.SslFilter.class) != null;
        state.exchange = ntlm.challenge(negotiate, !tls);
        saslAnswer(session, bind.messageId, SASL_BIND_IN_PROGRESS, "", negTokenResp(1, true, state.exchange.challenge, null));
    }

    private void refuseSpnego(IoSession session, Bind bind, String why) {
        saslAnswer(session, bind.messageId, INVALID_CREDENTIALS, SystemAccountGuard.LOGON_FAILURE + "\n" + why, null);
    }

    /** The [0]..[3] fields of a NegTokenInit or NegTokenResp SEQUENCE, each the content of its explicit tag. */
    private static byte[][] fields(byte[] token, Element sequence) {
        byte[][] fields = new byte[4][];
        int position = sequence.contentStart();
        while (position < sequence.end()) {
            Element field = Element.at(token, position, sequence.end());
            int index = field.tag() - 0xA0;
            if (index >= 0 && index < 4) {
                fields[index] = Arrays.copyOfRange(token, field.contentStart(), field.end());
            }
            position = field.end();
        }
        return fields;
    }

    private static byte[] octets(byte[] octetString) {
        Element value = Element.at(octetString, 0, octetString.length);
        if (value.tag() != 0x04) {
            throw new IllegalArgumentException("an OCTET STRING was expected, not tag 0x" + Integer.toHexString(value.tag()));
        }
        return Arrays.copyOfRange(octetString, value.contentStart(), value.end());
    }

    private static boolean offersNtlm(byte[] mechTypes) {
        Element list = Element.at(mechTypes, 0, mechTypes.length);
        for (int position = list.contentStart(); position < list.end(); ) {
            Element oid = Element.at(mechTypes, position, list.end());
            if (Arrays.equals(Arrays.copyOfRange(mechTypes, oid.contentStart(), oid.end()), NTLMSSP_OID)) {
                return true;
            }
            position = oid.end();
        }
        return false;
    }

    private static boolean firstIsNtlm(byte[] mechTypes) {
        Element list = Element.at(mechTypes, 0, mechTypes.length);
        Element first = Element.at(mechTypes, list.contentStart(), list.end());
        return Arrays.equals(Arrays.copyOfRange(mechTypes, first.contentStart(), first.end()), NTLMSSP_OID);
    }

    /** A NegTokenResp (RFC 4178 4.2.2): negState, NTLMSSP as the supported mechanism, the NTLM message, the mechListMIC. */
    private static byte[] negTokenResp(int negState, boolean supportedMech, byte[] responseToken, byte[] mechListMic) {
        java.io.ByteArrayOutputStream fields = new java.io.ByteArrayOutputStream();
        fields.writeBytes(Ber.tlv(0xA0, Ber.tlv(0x0A, new byte[]{(byte) negState})));
        if (supportedMech) {
            fields.writeBytes(Ber.tlv(0xA1, Ber.tlv(0x06, NTLMSSP_OID)));
        }
        if (responseToken != null) {
            fields.writeBytes(Ber.tlv(0xA2, Ber.tlv(0x04, responseToken)));
        }
        if (mechListMic != null) {
            fields.writeBytes(Ber.tlv(0xA3, Ber.tlv(0x04, mechListMic)));
        }
        return Ber.tlv(0xA1, Ber.tlv(0x30, fields.toByteArray()));
    }

    /** A SASL bind's BindResponse, with the server's SASL credentials, if any. */
    private static void saslAnswer(IoSession session, int messageId, int resultCode, String message, byte[] serverSaslCreds) {
        answer(session, messageId, resultCode, new byte[0], message, serverSaslCreds);
    }

    /** Leaves the connection bound as the account NTLM proved, as a simple bind by its DN would. */
    void bound(LdapSession ldapSession, NtlmAuthenticator.Outcome outcome) throws LdapException {
        DirectoryService service = ldapServer.getDirectoryService();
        DefaultCoreSession core = new DefaultCoreSession(new LdapPrincipal(service.getSchemaManager(), outcome.account(),
                AuthenticationLevel.STRONG), service);
        core.setIoSession(ldapSession.getIoSession());
        ldapSession.setCoreSession(core);
        ldapSession.setAuthenticated();
    }

    void anonymous(LdapSession ldapSession) {
        anonymous(ldapServer, ldapSession);
    }

    /**
     * A bind begins anonymous, as RFC 4511 4.2.1 has it: whatever the connection was bound as before is gone. Also
     * {@link ExternalBinds}'.
     */
    static void anonymous(LdapServer ldapServer, LdapSession ldapSession) {
        CoreSession before = ldapSession.getCoreSession();
        if (before != null && !before.isAnonymous()) {
            try {
                ldapSession.setCoreSession(ldapServer.getDirectoryService().getSession());
            } catch (Exception e) {
                throw new IllegalStateException("the DC cannot make an anonymous session: " + e.getMessage(), e);
            }
        }
        ldapSession.setAnonymous();
    }

    /** A Sicily bind's BindResponse: its server credentials travel in the matchedDN, as AD's do. */
    private static void answer(IoSession session, int messageId, int resultCode, byte[] matchedDn, String message) {
        answer(session, messageId, resultCode, matchedDn, message, null);
    }

    /** A BindResponse, written past the decoder: also {@link ExternalBinds}'. */
    static void answer(IoSession session, int messageId, int resultCode, byte[] matchedDn, String message,
                       byte[] serverSaslCreds) {
        byte[] code = Ber.tlv(0x0A, new byte[]{(byte) resultCode});
        byte[] matched = Ber.tlv(0x04, matchedDn);
        byte[] text = Ber.tlv(0x04, message.getBytes(StandardCharsets.UTF_8));
        byte[] result = serverSaslCreds == null ? Ber.tlv(BIND_RESPONSE, code, matched, text)
                : Ber.tlv(BIND_RESPONSE, code, matched, text, Ber.tlv(0x87, serverSaslCreds));
        session.write(IoBuffer.wrap(Ber.tlv(0x30, Ber.integer(messageId), result)));
    }
}
