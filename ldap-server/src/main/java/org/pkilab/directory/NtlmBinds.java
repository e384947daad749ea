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
 * at the CHALLENGE; ldap3 and impacket do not.
 */
final class NtlmBinds extends IoFilterAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(NtlmBinds.class);
    private static final AttributeKey EXCHANGE = new AttributeKey(NtlmBinds.class, "exchange");
    private static final int BIND_REQUEST = 0x60;
    private static final int BIND_RESPONSE = 0x61;
    private static final int SICILY_PACKAGE_DISCOVERY = 0x89;
    private static final int SICILY_NEGOTIATE = 0x8A;
    private static final int SICILY_RESPONSE = 0x8B;
    private static final int SUCCESS = 0;
    private static final int PROTOCOL_ERROR = 2;
    private static final int INVALID_CREDENTIALS = 49;

    private final LdapServer ldapServer;
    private final NtlmAuthenticator ntlm;

    NtlmBinds(LdapServer ldapServer, NtlmAuthenticator ntlm) {
        this.ldapServer = ldapServer;
        this.ntlm = ntlm;
    }

    @Override
    public void messageReceived(NextFilter next, IoSession session, Object message) throws Exception {
        if (message instanceof IoBuffer buffer && buffer.remaining() > 2) {
            byte[] pdu = new byte[buffer.remaining()];
            buffer.duplicate().get(pdu);
            Bind bind = Bind.parse(pdu);
            if (bind != null && bind.authenticationTag >= SICILY_PACKAGE_DISCOVERY && bind.authenticationTag <= SICILY_RESPONSE) {
                sicily(session, bind);
                return;
            }
        }
        next.messageReceived(session, message);
    }

    /** A BindRequest's message ID, name and authentication choice, read from its BER; null for any other message. */
    record Bind(int messageId, String name, int authenticationTag, byte[] credentials) {
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
            switch (bind.authenticationTag) {
                case SICILY_PACKAGE_DISCOVERY -> {
                    anonymous(ldapSession);
                    answer(session, bind.messageId, SUCCESS, "NTLM".getBytes(StandardCharsets.US_ASCII), "");
                }
                case SICILY_NEGOTIATE -> {
                    anonymous(ldapSession);
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

    /** Leaves the connection bound as the account NTLM proved, as a simple bind by its DN would. */
    void bound(LdapSession ldapSession, NtlmAuthenticator.Outcome outcome) throws LdapException {
        DirectoryService service = ldapServer.getDirectoryService();
        DefaultCoreSession core = new DefaultCoreSession(new LdapPrincipal(service.getSchemaManager(), outcome.account(),
                AuthenticationLevel.STRONG), service);
        core.setIoSession(ldapSession.getIoSession());
        ldapSession.setCoreSession(core);
        ldapSession.setAuthenticated();
        ldapSession.getIoSession().setAttribute(LOGON_NAME, outcome.logonName());
    }

    /** The down-level name ({@code CONTOSO\Administrator}) of the account a connection bound as with NTLM. */
    static final AttributeKey LOGON_NAME = new AttributeKey(NtlmBinds.class, "logonName");

    /** A bind begins anonymous, as RFC 4511 4.2.1 has it: whatever the connection was bound as before is gone. */
    void anonymous(LdapSession ldapSession) {
        CoreSession before = ldapSession.getCoreSession();
        if (before != null && !before.isAnonymous()) {
            try {
                ldapSession.setCoreSession(ldapServer.getDirectoryService().getSession());
            } catch (Exception e) {
                throw new IllegalStateException("the DC cannot make an anonymous session: " + e.getMessage(), e);
            }
        }
        ldapSession.setAnonymous();
        ldapSession.getIoSession().removeAttribute(LOGON_NAME);
    }

    /** A BindResponse; a Sicily bind carries its server credentials in the matchedDN, as AD's does. */
    private static void answer(IoSession session, int messageId, int resultCode, byte[] matchedDn, String message) {
        byte[] result = Ber.tlv(BIND_RESPONSE, Ber.tlv(0x0A, new byte[]{(byte) resultCode}), Ber.tlv(0x04, matchedDn),
                Ber.tlv(0x04, message.getBytes(StandardCharsets.UTF_8)));
        session.write(IoBuffer.wrap(Ber.tlv(0x30, Ber.integer(messageId), result)));
    }
}
