package org.pkilab.ca;

import org.pkilab.directory.model.LogonToken;

import java.security.cert.X509Certificate;

/**
 * How a service of the CA learns who calls it: by logging an account on at the DC with its password (HTTP
 * Basic), or by checking a logon token the caller got from the DC (as IIS checks a Kerberos ticket).
 * Both throw {@link CaException} with {@code ERROR_LOGON_FAILURE} and the reason.
 */
public interface AccountLogon {

    /** Logs {@code account} (such as {@code IIS01$}) on at the DC. */
    LogonToken logon(String account, String password);

    /** Checks a token the DC signed: signature, lifetime, account still there and enabled. */
    LogonToken verify(String encodedToken);

    /**
     * The current token of the account holding {@code certificate}, which must be one this CA issued and
     * still valid: renewal authenticates with the certificate being renewed, and the CA asks the DC for the
     * holder's token (S4U2Self). A certificate NDES requested for a SCEP device authenticates no one: it is recorded under
     * NDES's service account, which does not hold its key.
     *
     * @throws CaException {@code CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE} naming the certificate otherwise
     */
    LogonToken holderOf(X509Certificate certificate);

    /**
     * The current token of {@code account} (a name, {@code CONTOSO\\name} or a DN) without its password (S4U2Self at the
     * DC), for a service that has authenticated the caller by other means and acts for it: an ACME account bound to
     * {@code account} by an administrator's external account binding key, a CMP shared secret issued for it, NDES's service
     * account. The groups are those the DC reads now, as at a fresh logon.
     *
     * @throws CaException {@code ERROR_LOGON_FAILURE} when there is no such account, or it is disabled
     */
    LogonToken onBehalfOf(String account);

    /**
     * {@link #onBehalfOf}, for a credential the CA issued that stands for the account ({@code credential}: "an ACME
     * account", "a CMP shared secret"), checked each time it is issued and each time it is used: no domain controller and
     * no privileged or sensitive account ({@link CredentialTarget}), as Windows lets no service act for those.
     *
     * @throws CaException {@code E_ACCESSDENIED} naming the account and why, or {@code ERROR_LOGON_FAILURE} as onBehalfOf
     */
    LogonToken standingFor(String account, String credential);
}
