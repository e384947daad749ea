package org.pkilab.directory;

import org.apache.directory.server.ldap.LdapServer;
import org.apache.directory.server.ldap.LdapSession;
import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.filterchain.IoFilterAdapter;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.filter.ssl.SslFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * SASL EXTERNAL binds (RFC 4513 5.2.3): the logon with the client certificate of the connection's TLS handshake,
 * on LDAPS or after StartTLS, as a Windows DC takes it through Schannel. OpenLDAP's tools send it with
 * {@code -Y EXTERNAL} and the certificate in {@code LDAPTLS_CERT}/{@code LDAPTLS_KEY}:
 *
 * <pre>
 * LDAPTLS_CERT=admin.pem LDAPTLS_KEY=admin.key ldapwhoami -H ldaps://127.0.0.1:636 -Y EXTERNAL
 * u:CONTOSO\Administrator
 * </pre>
 *
 * The DC asks for a client certificate in every handshake but does not need one, so connections without one work
 * as before. A MINA filter before ApacheDS's decoder, beside {@link NtlmBinds}: ApacheDS has no EXTERNAL mechanism of
 * its own that maps as AD does. An authorization identity the client sends is ignored, as AD ignores it: the
 * certificate alone decides. {@link CertificateLogon} checks and maps the certificate; a bind that succeeds leaves
 * the connection's session a {@link CertificateLogonSession} of the account, which every access check, the logon
 * token and "Who am I?" judge; one that fails leaves the connection anonymous and answers 49 with the rule that
 * refused.
 */
final class ExternalBinds extends IoFilterAdapter {

    static final String EXTERNAL = "EXTERNAL";
    private static final Logger LOG = LoggerFactory.getLogger(ExternalBinds.class);
    private static final int SASL = 0xA3;
    private static final int BIND_REQUEST = 0x60;
    private static final int INVALID_CREDENTIALS = 49;

    private final LdapServer ldapServer;
    private final CertificateLogon logon;

    ExternalBinds(LdapServer ldapServer, CertificateLogon logon) {
        this.ldapServer = ldapServer;
        this.logon = logon;
    }

    @Override
    public void messageReceived(NextFilter next, IoSession session, Object message) throws Exception {
        if (message instanceof IoBuffer buffer && isBindRequest(buffer)) {
            byte[] pdu = new byte[buffer.remaining()];
            buffer.duplicate().get(pdu);
            NtlmBinds.Bind bind = NtlmBinds.Bind.parse(pdu);
            if (bind != null && bind.authenticationTag() == SASL && EXTERNAL.equalsIgnoreCase(bind.saslMechanism())) {
                external(session, bind);
                return;
            }
        }
        next.messageReceived(session, message);
    }

    /**
     * Whether the whole LDAPMessage in {@code buffer} is a BindRequest, read in place: every message passes here, and
     * only binds are worth copying and parsing.
     */
    static boolean isBindRequest(IoBuffer buffer) {
        int at = buffer.position();
        int end = buffer.limit();
        if (end - at < 7 || buffer.get(at) != 0x30) {
            return false;
        }
        int length = buffer.get(at + 1) & 0xFF;
        at += 2 + (length > 0x80 ? length - 0x80 : 0);
        if (at + 2 >= end || buffer.get(at) != 0x02) {
            return false;
        }
        at += 2 + (buffer.get(at + 1) & 0xFF);
        return at < end && (buffer.get(at) & 0xFF) == BIND_REQUEST;
    }

    private void external(IoSession session, NtlmBinds.Bind bind) {
        LdapSession ldapSession = ldapServer.getLdapSessionManager().getLdapSession(session);
        if (ldapSession == null) {
            session.closeNow();
            return;
        }
        try {
            NtlmBinds.anonymous(ldapServer, ldapSession);
            SSLSession tls = (SSLSession) session.getAttribute(SslFilter.SSL_SECURED);
            if (tls == null) {
                answer(session, bind, INVALID_CREDENTIALS, SystemAccountGuard.LOGON_FAILURE + "\nSASL EXTERNAL takes the client "
                        + "certificate of the TLS handshake, and this connection has none: connect with ldaps:// or StartTLS (-ZZ) "
                        + "and give the client its certificate");
                return;
            }
            CertificateLogon.Outcome outcome = logon.logOn(peerChain(tls), String.valueOf(session.getRemoteAddress()));
            if (!outcome.accepted()) {
                answer(session, bind, INVALID_CREDENTIALS, outcome.refusal());
                return;
            }
            CertificateLogonSession core = new CertificateLogonSession(outcome.account(), ldapServer.getDirectoryService(),
                    outcome.mapping(), outcome.linkedGroups());
            core.setIoSession(session);
            ldapSession.setCoreSession(core);
            ldapSession.setAuthenticated();
            answer(session, bind, 0, "");
        } catch (Exception e) {
            LOG.warn("SASL EXTERNAL bind from {} failed in the DC", session.getRemoteAddress(), e);
            NtlmBinds.anonymous(ldapServer, ldapSession);
            answer(session, bind, 80, "the DC failed on this SASL EXTERNAL bind (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        }
    }

    private static List<X509Certificate> peerChain(SSLSession tls) {
        List<X509Certificate> chain = new ArrayList<>();
        try {
            for (Certificate certificate : tls.getPeerCertificates()) {
                if (certificate instanceof X509Certificate x509) {
                    chain.add(x509);
                }
            }
        } catch (SSLPeerUnverifiedException e) {
            // the client sent no certificate: the logon says so
        }
        return chain;
    }

    private static void answer(IoSession session, NtlmBinds.Bind bind, int resultCode, String message) {
        NtlmBinds.answer(session, bind.messageId(), resultCode, new byte[0], message, null);
    }
}
