package org.pkilab.ca;

import org.pkilab.directory.model.LogonToken;

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
}
