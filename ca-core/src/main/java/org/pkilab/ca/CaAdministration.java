package org.pkilab.ca;

import org.pkilab.enrollment.CaRegistrySettings;

import java.math.BigInteger;
import java.security.cert.X509CRL;
import java.util.List;
import java.util.Optional;

/**
 * What {@code ICertAdmin} offers a Windows CA's console and {@code certutil}: the request folders, approve,
 * deny, revoke, publish CRLs, the "Certificate Templates to Issue" list, and the CA's registry settings
 * ({@code certutil -getreg} / {@code -setreg}). Who may call what is
 * {@link CaSecurity}'s to decide, before the call.
 */
public interface CaAdministration {

    String name();

    /** One page of a console folder: at most {@code limit} requests in {@code statuses} after {@code afterRequestId}, oldest first. */
    List<RequestRecord> requests(long afterRequestId, int limit, RequestStatus... statuses);

    Optional<RequestRecord> request(long requestId);

    /** "Issue" on a pending request, "Resubmit" on a denied one ({@code certutil -resubmit}). */
    EnrollmentResult approve(long requestId, String approver);

    /** "Deny" on a pending request ({@code certutil -deny}). */
    RequestRecord deny(long requestId, String who);

    /** The CA database's row of the certificate with {@code serial} ({@code certutil -view} restricted to one serial). */
    Optional<RequestRecord> bySerial(BigInteger serial);

    /**
     * {@code pkilab acme eab <account>}: a new key id and HMAC key with which one ACME account can be made, bound to the
     * directory account {@code account} (any name the DC resolves: {@code alice}, {@code CONTOSO\alice}); {@code who} issued it.
     * Kept in the CA's data folder before it is returned.
     *
     * @throws CaException {@code ERROR_LOGON_FAILURE} when there is no such account or it is disabled
     */
    AcmeAccounts.ExternalAccountKey issueAcmeKey(String account, String who);

    /** "Revoke Certificate" ({@code certutil -revoke}); publishes new CRLs. */
    RequestRecord revoke(BigInteger serial, RevocationReason reason, String who);

    /** "All Tasks → Publish" on Revoked Certificates ({@code certutil -crl}): the new base CRL. */
    X509CRL publishCrl();

    /** The base CRL's URL, as certificates carry it. */
    String crlUrl();

    List<String> templatesToIssue();

    /** "New → Certificate Template to Issue". */
    void issueTemplate(String template);

    /** "Delete" on a template in Certificate Templates. */
    void stopIssuing(String template);

    /** The CA's registry settings as it applies them now ({@code certutil -getreg}). */
    CaRegistrySettings registrySettings();

    /**
     * {@code certutil -setreg NAME CHANGE} (see {@link CaRegistrySettings#change}), kept in the CA's data folder and applied
     * to the next request at once: a Windows CA reads them only when Certificate Services starts again.
     *
     * @return the settings after the change
     * @throws IllegalArgumentException naming the bad value name, flag or OID; nothing is changed then
     */
    CaRegistrySettings changeRegistry(String name, String change, String who);

    /** The {@code CA\Security} value, SDDL with {@code CA_ACCESS_*} masks. */
    String securitySddl();

    /**
     * Ticks or clears "Allow" {@code permission} for {@code account} on the Security tab; {@code who} made the change.
     * Kept across restarts.
     */
    String changeSecurity(String account, CaSecurity.Permission permission, boolean allow, String who);

    /**
     * A CMP shared secret as issued: the reference a client sends as its senderKID, the secret, the account it stands for,
     * and the CA's CMP URL ({@code http://ca01.contoso.com:<port>/.well-known/cmp}).
     */
    record CmpSecret(String reference, String secret, String account, String url) {
        @Override
        public String toString() {
            return "CMP secret " + reference + " of " + account;
        }
    }

    /**
     * A new CMP shared secret for the user or computer {@code account} ({@code CONTOSO\IIS01$}, or {@code IIS01$}), replacing
     * the one it had; kept in the CA's data before it is answered. Whoever holds it enrolls over CMP as that account.
     *
     * @throws CaException {@code ERROR_NONE_MAPPED} when the name is no user or computer of the domain
     */
    CmpSecret issueCmpSecret(String account, String who);

    /**
     * Removes the CMP shared secret of {@code account}: messages protected with it are refused from now on.
     *
     * @throws CaException {@code ERROR_NONE_MAPPED} when the name is no user or computer of the domain, {@code E_INVALIDARG}
     *                     when the account has no secret
     */
    void removeCmpSecret(String account, String who);

    /** {@code CONTOSO\Domain Admins} for a SID of the domain; the SID itself when the directory knows no name. */
    String trusteeName(org.pkilab.directory.model.SecurityIdentifier sid);
}
