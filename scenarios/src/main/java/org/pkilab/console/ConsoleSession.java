package org.pkilab.console;

import com.unboundid.ldap.sdk.LDAPConnection;
import org.pkilab.admin.CaAdminClient;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.lab.Lab;

import java.time.Instant;
import java.util.Set;

/**
 * One signed-in browser: the lab account it logged on as, and that account's own connections, through which
 * every read and every action goes, so the domain controller's and the CA's own permission checks decide what
 * it sees and may do, as they do for {@code pkilab} and for the MMC consoles on Windows. The console never uses
 * the lab's Administrator connection on a session's behalf.
 *
 * <p>The session keeps the password in memory (never on disk, never in a page) because a lesson rerun in step mode
 * starts a fresh lab with the same accounts: the session then logs on to the new one without asking again.
 */
final class ConsoleSession implements AutoCloseable {

    /** Domain Admins and Enterprise Admins (with BUILTIN\Administrators): who sees the administrator's actions. */
    private static final Set<Integer> ADMIN_RIDS = Set.of(512, 519);

    final String id;
    final String csrf;
    final String account;
    final String distinguishedName;
    final SecurityIdentifier sid;
    final Set<SecurityIdentifier> tokenGroups;
    final Lab lab;
    private final String password;
    private final LDAPConnection ldap;
    private final DirectoryAdmin directory;
    private final SecurityIdentifier domainSid;
    private CaAdminClient ca;
    volatile Instant lastUsed = Instant.now();

    ConsoleSession(String id, String csrf, String account, String distinguishedName, SecurityIdentifier sid, Set<SecurityIdentifier> tokenGroups,
                   Lab lab, String password, LDAPConnection ldap, DirectoryAdmin directory) {
        this.id = id;
        this.csrf = csrf;
        this.account = account;
        this.distinguishedName = distinguishedName;
        this.sid = sid;
        this.tokenGroups = Set.copyOf(tokenGroups);
        this.lab = lab;
        this.password = password;
        this.ldap = ldap;
        this.directory = directory;
        this.domainSid = directory.domainSid();
    }

    /** Whether the account's token holds Domain Admins, Enterprise Admins or Administrators: it sees the administrator's actions. */
    boolean administrator() {
        return tokenGroups.contains(SecurityIdentifier.BUILTIN_ADMINISTRATORS)
                || tokenGroups.stream().anyMatch(g -> g.isInDomain(domainSid) && ADMIN_RIDS.contains(g.rid()));
    }

    /** The account's own LDAP connection: the DC answers it with what this account may read. */
    LDAPConnection ldap() {
        return ldap;
    }

    /** The directory's consoles, bound as this account. */
    DirectoryAdmin directory() {
        return directory;
    }

    /** The CA's administration interface as this account ({@code pkilab ca}'s client): the CA checks its Security tab. */
    synchronized CaAdminClient ca() {
        if (ca == null) {
            ca = CaAdminClient.connect(directory, null, "127.0.0.1", account, password);
        }
        return ca;
    }

    String password() {
        return password;
    }

    @Override
    public void close() {
        directory.close();
    }
}
