package org.pkilab.ca;

import org.pkilab.directory.model.LogonToken;
import org.pkilab.windows.WindowsError;

import java.util.Map;

/**
 * The accounts a credential the CA issues may stand for. An ACME external account binding or a CMP shared secret lets
 * whoever holds it get certificates as its account without the account's password, with the CA logging on for it
 * (S4U2Self); so, as Windows lets no service act for a sensitive account, the CA issues none for an account whose
 * certificates are keys to the domain. Without this, Manage CA (which issues these credentials) would be a certificate
 * for the Administrator or a domain controller, an ESC7 of the lab's own making.
 */
final class CredentialTarget {

    private CredentialTarget() {
    }

    /** userAccountControl's SERVER_TRUST_ACCOUNT (a domain controller), PARTIAL_SECRETS_ACCOUNT (an RODC), NOT_DELEGATED. */
    private static final int SERVER_TRUST_ACCOUNT = 0x2000;
    private static final int PARTIAL_SECRETS_ACCOUNT = 0x4000000;
    private static final int NOT_DELEGATED = 0x100000;
    /** Domain RIDs of the groups AdminSDHolder protects, the domain controllers' groups, and Protected Users (525). */
    private static final Map<Integer, String> PROTECTED_DOMAIN_RIDS = Map.of(500, "Administrator", 502, "krbtgt", 512, "Domain Admins",
            516, "Domain Controllers", 518, "Schema Admins", 519, "Enterprise Admins", 521, "Read-only Domain Controllers",
            498, "Enterprise Read-only Domain Controllers", 525, "Protected Users");
    /** BUILTIN groups AdminSDHolder protects: Administrators, Account, Server, Print and Backup Operators, Replicator. */
    private static final Map<String, String> PROTECTED_BUILTIN = Map.of("S-1-5-32-544", "Administrators", "S-1-5-32-548", "Account Operators",
            "S-1-5-32-549", "Server Operators", "S-1-5-32-550", "Print Operators", "S-1-5-32-551", "Backup Operators",
            "S-1-5-32-552", "Replicator", "S-1-5-9", "Enterprise Domain Controllers");

    /**
     * Whether a credential the CA issues may stand for the account of {@code token}, {@code credential} naming it in the
     * refusal ("an ACME account", "a CMP shared secret"). Refused for domain controllers ({@code SERVER_TRUST_ACCOUNT}),
     * accounts with {@code adminCount=1} or in a group AdminSDHolder protects, and accounts marked "sensitive and cannot
     * be delegated" ({@code NOT_DELEGATED}) or in Protected Users, which Windows never lets a service act for (S4U).
     */
    static Decision check(LogonToken token, int userAccountControl, boolean adminCount, String credential) {
        String who = token.account();
        String fix = "issue it for an ordinary account that holds Enroll on the template (a service account, or the device's "
                + "computer account), not for a domain controller or a privileged account";
        if ((userAccountControl & (SERVER_TRUST_ACCOUNT | PARTIAL_SECRETS_ACCOUNT)) != 0) {
            return Decision.deny(WindowsError.E_ACCESSDENIED, who + " is a domain controller (userAccountControl 0x"
                    + Integer.toHexString(userAccountControl) + "); " + credential + " for it would get certificates that "
                    + "authenticate as the DC", fix);
        }
        if ((userAccountControl & NOT_DELEGATED) != 0) {
            return Decision.deny(WindowsError.E_ACCESSDENIED, who + " is marked 'Account is sensitive and cannot be "
                    + "delegated' (userAccountControl NOT_DELEGATED 0x100000); the CA does not act for it through " + credential + "", fix);
        }
        if (adminCount) {
            return Decision.deny(WindowsError.E_ACCESSDENIED, who + " holds adminCount=1 (a member, now or once, "
                    + "of a group AdminSDHolder protects); the CA does not act for it through " + credential + "", fix);
        }
        for (LogonToken.TokenGroup group : token.groups()) {
            String sid = group.sid().toString();
            String name = PROTECTED_BUILTIN.get(sid);
            if (name == null && sid.startsWith("S-1-5-21-") && token.sid().toString().startsWith(sid.substring(0, sid.lastIndexOf('-') + 1))) {
                name = PROTECTED_DOMAIN_RIDS.get(group.sid().rid());
            }
            if (name != null) {
                return Decision.deny(WindowsError.E_ACCESSDENIED, who + " is a member of " + name + " (" + sid
                        + "); the CA does not act for such an account through " + credential + "", fix);
            }
        }
        String own = PROTECTED_DOMAIN_RIDS.get(token.sid().rid());
        if (own != null) {
            return Decision.deny(WindowsError.E_ACCESSDENIED, who + " is the domain's " + own + " account ("
                    + token.sid() + "); the CA does not act for it through " + credential + "", fix);
        }
        return Decision.proceed();
    }
}
