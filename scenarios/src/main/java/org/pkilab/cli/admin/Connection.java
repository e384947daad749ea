package org.pkilab.cli.admin;

import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.LDAPURL;
import com.unboundid.ldap.sdk.LDAPException;
import org.pkilab.admin.CaAdminClient;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.DirectoryException;
import org.pkilab.directory.model.DomainNames;
import picocli.CommandLine.Option;

/**
 * The options every administration verb takes to reach a running lab, as {@code samba-tool}'s
 * {@code -H ldap://dc -U Administrator} and {@code certutil -config} do:
 *
 * <pre>
 * pkilab group list --ldap ldap://127.0.0.1:50389 --user Administrator --password '...'
 * PKILAB_LDAP=ldap://127.0.0.1:50389 PKILAB_PASSWORD='...' pkilab ca pending
 * </pre>
 *
 * <p>The domain comes from the DC's rootDSE unless {@code --domain} names it. A user name that is not a
 * DN means {@code CN=<name>,CN=Users,<domain>}: the lab's DC, like ApacheDS, binds DNs only.
 */
public final class Connection {

    @Option(names = "--ldap", paramLabel = "URL", defaultValue = "${env:PKILAB_LDAP:-ldap://127.0.0.1:389}",
            description = "The domain controller, as 'pkilab up' prints it (default: $PKILAB_LDAP, else ${DEFAULT-VALUE}).")
    String ldap;

    @Option(names = {"-U", "--user"}, paramLabel = "NAME|DN", defaultValue = "${env:PKILAB_USER:-Administrator}",
            description = "Account to act as: a DN, or a name in CN=Users (default: $PKILAB_USER, else ${DEFAULT-VALUE}).")
    String user;

    @Option(names = "--password", paramLabel = "PW", defaultValue = "${env:PKILAB_PASSWORD}",
            description = "The account's password (default: $PKILAB_PASSWORD).")
    String password;

    @Option(names = "--domain", paramLabel = "DNS", description = "Domain DNS name (default: read from the DC's rootDSE).")
    String domain;

    LDAPURL url() {
        try {
            LDAPURL parsed = new LDAPURL(ldap);
            if (!"ldap".equalsIgnoreCase(parsed.getScheme())) {
                throw new DirectoryException("use an ldap:// URL (StartTLS and ldaps:// are not supported by the admin verbs): " + ldap);
            }
            return parsed;
        } catch (LDAPException e) {
            throw new DirectoryException("not an LDAP URL: '" + ldap + "' (expected ldap://HOST:PORT)");
        }
    }

    /** The host the lab's names resolve to: the DC's, since a lab runs on one machine. */
    String host() {
        return url().getHost();
    }

    /** Binds to the DC; a wrong password or unknown account fails with LDAP 49 and says so. */
    public DirectoryAdmin directory() {
        if (password == null || password.isEmpty()) {
            throw new DirectoryException("no password: give --password or set PKILAB_PASSWORD ('pkilab up' prints the Administrator's)");
        }
        LDAPURL url = url();
        DomainNames names = domain == null ? DirectoryAdmin.discoverDomain(url.getHost(), url.getPort()) : DomainNames.of(domain);
        return DirectoryAdmin.connect(url.getHost(), url.getPort(), names, bindDn(names), password);
    }

    String bindDn(DomainNames names) {
        return DN.isValidDN(user) && user.contains("=") ? user : names.user(user);
    }

    String password() {
        return password;
    }

    /** The CA's administration interface, trusted through the CA certificate the directory publishes. */
    CaAdminClient ca(DirectoryAdmin directory, String caName) {
        return CaAdminClient.connect(directory, caName, host(), directory.bindDn(), password);
    }
}
