package org.pkilab.ca;

import org.pkilab.directory.client.DirectoryException;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.directory.model.DomainNames;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.pki.EcKeys;
import org.pkilab.windows.WindowsError;

import java.math.BigInteger;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * How the CA knows who asks, as a Windows service knows it from a Kerberos ticket: a logon token a host
 * obtained from the DC is checked here (signed by the DC's current key, within its lifetime on the lab
 * clock, naming an account that still exists and is enabled); a user name and password (HTTP Basic) are
 * logged on at the DC; and a renewal's TLS client certificate, one this CA issued, stands for its
 * holder's current token (S4U2Self at the DC), unless NDES requested it for a SCEP device: the CA database records
 * those under NDES's service account, which does not hold their keys. Every refusal is {@link WindowsError#ERROR_LOGON_FAILURE}
 * or {@link WindowsError#CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE} with the Kerberos error Windows would log.
 */
final class LogonTokenVerifier implements AccountLogon {

    /** Kerberos' default tolerance for clocks that differ (5 minutes). */
    private static final Duration MAXIMUM_CLOCK_SKEW = Duration.ofMinutes(5);

    /** Where the DC is and how the CA binds to it, for logons and S4U2Self. */
    record DomainController(String host, int port, String bindDn, String bindPassword) {
    }

    private final String caName;
    private final DomainNames names;
    private final CaDirectory directory;
    private final DomainController dc;
    private final Clock clock;
    private final Function<BigInteger, Optional<RequestRecord>> issuedBySerial;
    /** The certificate logon tokens are signed with, read from the directory when first needed, with its key as the checks use it. */
    private volatile DomainControllerKey domainControllerKey;
    /**
     * Tokens whose signature checked out lately: a host presents the same token for the policy and then
     * for the request, as IIS keeps the logon of a Kerberos-authenticated connection instead of checking
     * the ticket again; a signature is checked once.
     */
    private final Map<String, LogonToken> verifiedTokens = Collections.synchronizedMap(
            new LinkedHashMap<>(64, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, LogonToken> eldest) {
                    return size() > 256;
                }
            });

    private record DomainControllerKey(X509Certificate certificate, PublicKey key) {
        static DomainControllerKey of(X509Certificate certificate) {
            // every logon token is checked against this one key: converted once, not in each check
            return new DomainControllerKey(certificate, EcKeys.own(certificate.getPublicKey()));
        }
    }

    /**
     * @param issuedBySerial the CA database's record of a serial it issued, which a renewal certificate must match
     */
    LogonTokenVerifier(String caName, DomainNames names, CaDirectory directory, DomainController dc, Clock clock,
                       Function<BigInteger, Optional<RequestRecord>> issuedBySerial) {
        this.caName = caName;
        this.names = names;
        this.directory = directory;
        this.dc = dc;
        this.clock = clock;
        this.issuedBySerial = issuedBySerial;
        directory.whenDomainControllersChange(this::forgetDomainControllerKey);
    }

    /** Logs an account on at the DC (HTTP Basic on EST): its DN from the name, then its token. */
    @Override
    public LogonToken logon(String userName, String password) {
        String dn = directory.accountDn(userName).orElseThrow(() -> new CaException(WindowsError.ERROR_LOGON_FAILURE,
                "no account '" + userName + "' in " + names.dnsName()));
        try {
            return DomainLogon.logon(dc.host(), dc.port(), dn, password).token();
        } catch (DirectoryException e) {
            throw new CaException(WindowsError.ERROR_LOGON_FAILURE, "logon of " + userName + " failed: " + e.getMessage());
        }
    }

    /**
     * Verifies a logon token a host obtained from the DC, as a service checks a Kerberos ticket: signed by
     * the DC's current key, within its lifetime on the lab clock, and naming an account that still exists
     * (the same one: same SID) and is not disabled. The signature is checked against the DC's certificate
     * as last read from the directory, read again when the DC's object changes or the DC goes away (it may
     * return with another key, and then no token it signed before counts); a token that does not verify is
     * checked once more against the certificate the directory holds now, in case the DC has a new one.
     * The groups are the token's own: as on Windows, a membership change counts from the next logon.
     */
    @Override
    public LogonToken verify(String encodedToken) {
        LogonToken token = signedByTheDc(encodedToken);
        Instant now = clock.instant();
        if (token.expiredAt(now)) {
            throw new CaException(WindowsError.ERROR_LOGON_FAILURE, "the logon token of " + token.account() + " expired at " + token.expiresAt()
                    + " (issued " + token.issuedAt() + " by " + token.logonServer() + "; a ticket lasts "
                    + LogonToken.LIFETIME.toHours() + " hours; the lab clock says " + now + "): KRB_AP_ERR_TKT_EXPIRED, "
                    + "the ticket has expired. Log " + token.account() + " on again (restart the computer) for a new one");
        }
        if (token.issuedAt().isAfter(now.plus(MAXIMUM_CLOCK_SKEW))) {
            throw new CaException(WindowsError.ERROR_LOGON_FAILURE, "the logon token of " + token.account() + " was issued at " + token.issuedAt()
                    + ", after the lab clock's " + now + ": KRB_AP_ERR_TKT_NYV, the ticket is not yet valid");
        }
        Optional<CaDirectory.AccountState> account = directory.accountState(token.distinguishedName());
        if (account.isEmpty()) {
            throw new CaException(WindowsError.ERROR_LOGON_FAILURE, "the logon token names " + token.account() + " (" + token.distinguishedName()
                    + "), which no longer exists in " + names.dnsName() + ": KDC_ERR_C_PRINCIPAL_UNKNOWN");
        }
        if (!account.get().sid().equals(token.sid())) {
            throw new CaException(WindowsError.ERROR_LOGON_FAILURE, "the logon token names " + token.account() + " with SID " + token.sid() + ", but "
                    + token.distinguishedName() + " is now another account (SID " + account.get().sid()
                    + "): the account the token was issued to was deleted: KDC_ERR_C_PRINCIPAL_UNKNOWN");
        }
        if (account.get().disabled()) {
            throw new CaException(WindowsError.ERROR_LOGON_FAILURE, "the account " + token.account() + " is disabled (userAccountControl 0x"
                    + Integer.toHexString(account.get().userAccountControl()) + " holds ACCOUNTDISABLE 0x2): KDC_ERR_CLIENT_REVOKED, "
                    + "the account is disabled. Enable it in Active Directory Users and Computers and log it on again");
        }
        return token;
    }

    private LogonToken signedByTheDc(String encodedToken) {
        LogonToken checked = verifiedTokens.get(encodedToken);
        if (checked != null) {
            return checked;
        }
        DomainControllerKey known = domainControllerKey;
        if (known == null) {
            known = DomainControllerKey.of(directory.domainControllerCertificate());
            if (directory.domainControllersWatched()) {
                domainControllerKey = known;
            }
        }
        try {
            LogonToken token = LogonToken.decode(encodedToken, known.key());
            synchronized (verifiedTokens) {
                // under the lock the key is forgotten with: a token checked against a key forgotten meanwhile is not kept
                if (domainControllerKey == known) {
                    verifiedTokens.put(encodedToken, token);
                }
            }
            return token;
        } catch (IllegalArgumentException e) {
            X509Certificate now = directory.domainControllerCertificate();
            if (!now.equals(known.certificate())) {
                forgetDomainControllerKey();
                return signedByTheDc(encodedToken);
            }
            throw new CaException(WindowsError.ERROR_LOGON_FAILURE, e.getMessage());
        }
    }

    /** The DC's object changed, or the DC went away: tokens are checked against its certificate as read anew. */
    private void forgetDomainControllerKey() {
        synchronized (verifiedTokens) {
            domainControllerKey = null;
            verifiedTokens.clear();
        }
    }

    /** The current token of the account that holds {@code certificate}, for renewal (S4U2Self at the DC). */
    @Override
    public LogonToken holderOf(X509Certificate certificate) {
        // the database, not the TLS layer, says what this CA issued: a certificate is one of ours only when it is the very one recorded
        RequestRecord r = issuedBySerial.apply(certificate.getSerialNumber()).filter(issued -> sameCertificate(issued, certificate))
                .orElseThrow(() -> new CaException(WindowsError.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, "the certificate '"
                        + RequestedNames.printable(certificate.getSubjectX500Principal().getName()) + "' (issuer '"
                        + RequestedNames.printable(certificate.getIssuerX500Principal().getName()) + "', serial "
                        + certificate.getSerialNumber().toString(16) + ") was not issued by " + caName
                        + "; re-enrollment (EST's TLS client certificate, CMP's signature) authenticates only with a certificate this CA issued"));
        if (r.status() != RequestStatus.ISSUED) {
            throw new CaException(WindowsError.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, "certificate " + r.serialHex() + " is "
                    + r.status().consoleText() + " and cannot authenticate a renewal");
        }
        if (certificate.getNotAfter().toInstant().isBefore(clock.instant())) {
            throw new CaException(WindowsError.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, "certificate " + r.serialHex() + " expired on "
                    + certificate.getNotAfter().toInstant() + "; enroll anew with the account's credentials");
        }
        if (r.arrival() == RequestRecord.Arrival.NDES) {
            // NDES records every device's request under its own service account: the key is the device's, not that account's
            throw new CaException(WindowsError.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, "certificate " + r.serialHex() + " ('"
                    + RequestedNames.printable(certificate.getSubjectX500Principal().getName()) + "', request " + r.requestId()
                    + ") was requested through NDES, which submits every SCEP device's request under its service account "
                    + r.requester() + "; it stands for a device, not for " + r.requester() + ", so it authenticates no one. Renew it "
                    + "over SCEP with a new challenge password, or give the device an account of its own and enroll with that "
                    + "account's credentials (a CMP shared secret: pkilab cmp secret <account>)");
        }
        return DomainLogon.logonOnBehalfOf(dc.host(), dc.port(), dc.bindDn(), dc.bindPassword(), r.requesterDn()).token();
    }

    @Override
    public LogonToken onBehalfOf(String account) {
        String dn = directory.accountDn(account).orElseThrow(() -> new CaException(WindowsError.ERROR_LOGON_FAILURE,
                "no account '" + account + "' in " + names.dnsName()));
        Optional<CaDirectory.AccountState> state = directory.accountState(dn);
        if (state.isPresent() && state.get().disabled()) {
            throw new CaException(WindowsError.ERROR_LOGON_FAILURE, "the account " + account + " is disabled (userAccountControl 0x"
                    + Integer.toHexString(state.get().userAccountControl()) + " holds ACCOUNTDISABLE 0x2): KDC_ERR_CLIENT_REVOKED; "
                    + "enable it in Active Directory Users and Computers");
        }
        try {
            return DomainLogon.logonOnBehalfOf(dc.host(), dc.port(), dc.bindDn(), dc.bindPassword(), dn).token();
        } catch (DirectoryException e) {
            throw new CaException(WindowsError.ERROR_LOGON_FAILURE, "S4U2Self for " + account + " failed: " + e.getMessage());
        }
    }

    @Override
    public LogonToken standingFor(String account, String credential) {
        LogonToken token = onBehalfOf(account);
        String dn = token.distinguishedName();
        Decision eligible = CredentialTarget.check(token, directory.accountState(dn).map(CaDirectory.AccountState::userAccountControl)
                .orElse(0), directory.adminCount(dn), credential);
        if (!eligible.proceeds()) {
            throw new CaException(eligible);
        }
        return token;
    }

    private static boolean sameCertificate(RequestRecord issued, X509Certificate presented) {
        try {
            return issued.certificate() != null && Arrays.equals(issued.certificate(), presented.getEncoded());
        } catch (java.security.cert.CertificateEncodingException e) {
            return false;
        }
    }
}
