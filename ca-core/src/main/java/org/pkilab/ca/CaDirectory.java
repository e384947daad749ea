package org.pkilab.ca;

import com.unboundid.ldap.sdk.AsyncSearchResultListener;
import com.unboundid.ldap.sdk.SearchRequest;
import com.unboundid.ldap.sdk.controls.PersistentSearchChangeType;
import com.unboundid.ldap.sdk.controls.PersistentSearchRequestControl;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnectionPool;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import org.pkilab.directory.client.DirectoryException;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.directory.client.LdapOperations;
import org.pkilab.directory.client.TemplateEntry;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.DomainNames;
import org.pkilab.directory.model.SecurityIdentifier;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the enterprise CA reads from Active Directory, over LDAP: the templates and its enrollment-service
 * object (the "Certificate Templates to Issue" list), kept in memory until a change notification says
 * otherwise, the accounts it builds names from and checks logons against, and the domain controllers'
 * certificate. What it writes to publish itself ({@code CN=AIA}, {@code CN=Certification Authorities},
 * {@code NTAuthCertificates}, {@code CN=CDP}) is {@link CaPublication}, over the same connections.
 *
 * <p>Longer than most classes here: it is the CA's one connection pool to the DC together with the
 * persistent searches that tell it of changes and the template cache they clear; the template reads,
 * the issue-list change and the notifications share those three.
 */
final class CaDirectory implements AutoCloseable {

    /** The directory facts about a requester that a certificate's names can be built from. */
    record Account(String dn, String cn, String samAccountName, String dnsHostName, String userPrincipalName,
                   String mail, SecurityIdentifier sid, boolean computer) {
    }

    private final LDAPConnectionPool pool;
    private final LdapOperations operations;
    private final CaPublication publication;
    private final DomainNames names;
    private final LDAPConnection notifications;
    private final Map<String, TemplateAndIssueList> cache = new ConcurrentHashMap<>();
    /** Every template and the issue list, for the enrollment policy; null until read, or after a change. */
    private volatile TemplatesAndIssueList all;
    private final AtomicLong generation = new AtomicLong();
    private volatile boolean notified;
    private volatile boolean domainControllersWatched;
    private final List<Runnable> domainControllerListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    CaDirectory(String host, int port, DomainNames names, String bindDn, String password) {
        this.names = names;
        try {
            this.pool = new LDAPConnectionPool(new LDAPConnection(host, port, bindDn, password), 1, 4);
            this.notifications = new LDAPConnection(host, port, bindDn, password);
            this.operations = new LdapOperations(pool, "the CA");
            this.publication = new CaPublication(operations, names);
        } catch (LDAPException e) {
            throw new DirectoryException(e.getResultCode().intValue(), "the CA cannot bind to the directory as " + bindDn
                    + ": " + e.getDiagnosticMessage(), e);
        }
        watchPublicKeyServices();
        watchDomainControllers();
    }

    /**
     * Runs {@code listener} whenever a domain controller's object changes (a new certificate, a new key to
     * sign logon tokens with) or the watch ends (the DC went away: it may come back with another key).
     */
    void whenDomainControllersChange(Runnable listener) {
        domainControllerListeners.add(listener);
    }

    private void watchDomainControllers() {
        Runnable tell = () -> domainControllerListeners.forEach(Runnable::run);
        domainControllersWatched = watch(names.domainControllers(), tell, () -> {
            domainControllersWatched = false;
            tell.run();
        });
    }

    /**
     * A persistent search on {@code base}'s subtree, AD's change notification: {@code onChange} runs at every change
     * there, {@code onEnd} when the watch ends. False when it could not start.
     */
    private boolean watch(String base, Runnable onChange, Runnable onEnd) {
        SearchRequest watch = new SearchRequest(new AsyncSearchResultListener() {
            private static final long serialVersionUID = 1L;

            @Override
            public void searchEntryReturned(SearchResultEntry entry) {
                onChange.run();
            }

            @Override
            public void searchReferenceReturned(com.unboundid.ldap.sdk.SearchResultReference reference) {
                onChange.run();
            }

            @Override
            public void searchResultReceived(com.unboundid.ldap.sdk.AsyncRequestID id, com.unboundid.ldap.sdk.SearchResult result) {
                onEnd.run();
            }
        }, base, SearchScope.SUB, Filter.createPresenceFilter("objectClass"), "1.1");
        watch.addControl(new PersistentSearchRequestControl(PersistentSearchChangeType.allChangeTypes(), true, false));
        try {
            notifications.asyncSearch(watch);
            return true;
        } catch (LDAPException e) {
            return false;
        }
    }

    /** Whether a change of the DCs' objects reaches {@link #whenDomainControllersChange} listeners; if not, read the DC key each time. */
    boolean domainControllersWatched() {
        return domainControllersWatched;
    }

    /**
     * AD CS keeps its templates in memory and learns of changes through an LDAP change notification on
     * the Public Key Services container; the lab does the same with a persistent search. Any change
     * there empties the cache. Should the notification connection fail, every request reads afresh.
     */
    private void watchPublicKeyServices() {
        notified = watch(names.publicKeyServices(), this::invalidate, () -> {
            notified = false; // the watch ended: stop trusting the cache
            invalidate();
        });
    }

    /** Forgets every cached template and issue list (a change notification, or the CA's own change). */
    void invalidate() {
        generation.incrementAndGet();
        cache.clear();
        all = null;
    }

    /** Every template under Certificate Templates and the CA's issue list, read together. */
    record TemplatesAndIssueList(List<CertificateTemplate> templates, List<String> issueList) {
        TemplatesAndIssueList {
            templates = List.copyOf(templates);
            issueList = List.copyOf(issueList);
        }
    }

    /**
     * Every template and the issue list, from memory while the change notification says nothing changed
     * (as {@link #cachedTemplateAndIssueList} keeps one template): what the enrollment policy lists.
     */
    TemplatesAndIssueList cachedTemplatesAndIssueList(String caName, SecurityIdentifier domainSid) {
        TemplatesAndIssueList known = all;
        if (known != null && notified) {
            return known;
        }
        long before = generation.get();
        Filter filter = Filter.createORFilter(Filter.createEqualityFilter("objectClass", "pKICertificateTemplate"),
                Filter.createANDFilter(Filter.createEqualityFilter("objectClass", "pKIEnrollmentService"),
                        Filter.createEqualityFilter("cn", caName)));
        List<CertificateTemplate> templates = new ArrayList<>();
        List<String> issueList = List.of();
        for (SearchResultEntry entry : search(names.publicKeyServices(), filter, "*")) {
            if (entry.hasObjectClass("pKIEnrollmentService")) {
                String[] values = entry.getAttributeValues("certificateTemplates");
                issueList = values == null ? List.of() : List.of(values);
            } else {
                templates.add(TemplateEntry.toTemplate(entry, domainSid));
            }
        }
        TemplatesAndIssueList read = new TemplatesAndIssueList(templates, issueList);
        if (notified) {
            all = read;
            if (generation.get() != before) {
                all = null; // a change arrived while reading: what was read may not hold it
            }
        }
        return read;
    }

    /**
     * The template and issue list from memory when the directory has not changed since they were read;
     * otherwise (or with {@code fresh}) read from the directory.
     */
    TemplateAndIssueList cachedTemplateAndIssueList(String caName, String label, SecurityIdentifier domainSid, boolean fresh) {
        String key = label.toLowerCase(Locale.ROOT);
        if (!fresh && notified) {
            TemplateAndIssueList hit = cache.get(key);
            if (hit != null) {
                return hit;
            }
        }
        long before = generation.get();
        TemplateAndIssueList read = templateAndIssueList(caName, label, domainSid);
        // a change that arrived while reading may not be in what was read: keep it only if none did
        if (notified && generation.get() == before) {
            cache.put(key, read);
        }
        return read;
    }

    DomainNames names() {
        return names;
    }

    /** What the CA writes into Public Key Services: its objects, certificate, CRLs, and its computer in Cert Publishers. */
    CaPublication publication() {
        return publication;
    }

    String enrollmentServiceDn(String caName) {
        return DomainNames.child(caName, names.enrollmentServices());
    }

    /** A template (if it exists) and the CA's issue list, read together. */
    record TemplateAndIssueList(Optional<CertificateTemplate> template, List<String> issueList) {
    }

    /**
     * One search under Public Key Services returns both the template named {@code label} (by name or
     * display name) and the CA's enrollment service: the policy module's reads in one round trip.
     */
    TemplateAndIssueList templateAndIssueList(String caName, String label, SecurityIdentifier domainSid) {
        Filter filter = Filter.createORFilter(
                Filter.createANDFilter(Filter.createEqualityFilter("objectClass", "pKICertificateTemplate"),
                        Filter.createORFilter(Filter.createEqualityFilter("cn", label), Filter.createEqualityFilter("displayName", label))),
                Filter.createANDFilter(Filter.createEqualityFilter("objectClass", "pKIEnrollmentService"),
                        Filter.createEqualityFilter("cn", caName)));
        CertificateTemplate template = null;
        List<String> issueList = List.of();
        for (SearchResultEntry entry : search(names.publicKeyServices(), filter, "*")) {
            if (entry.hasObjectClass("pKIEnrollmentService")) {
                String[] values = entry.getAttributeValues("certificateTemplates");
                issueList = values == null ? List.of() : List.of(values);
            } else if (template == null) {
                template = TemplateEntry.toTemplate(entry, domainSid);
            }
        }
        return new TemplateAndIssueList(Optional.ofNullable(template), issueList);
    }

    /** The "Certificate Templates to Issue" list: {@code certificateTemplates} of the CA's enrollment service. */
    List<String> issueList(String caName) {
        String[] values = read(enrollmentServiceDn(caName), "certificateTemplates").getAttributeValues("certificateTemplates");
        return values == null ? List.of() : List.of(values);
    }

    void changeIssueList(String caName, String templateName, boolean add) {
        invalidate();
        List<String> current = issueList(caName);
        boolean present = current.stream().anyMatch(templateName::equalsIgnoreCase);
        if (present == add) {
            return;
        }
        modify(enrollmentServiceDn(caName), new Modification(add ? ModificationType.ADD : ModificationType.DELETE,
                "certificateTemplates", templateName));
    }

    /** What the CA checks of the account a logon token names: its SID and {@code userAccountControl}; empty when it is gone. */
    record AccountState(SecurityIdentifier sid, int userAccountControl) {
        static final int ACCOUNTDISABLE = 0x2;

        boolean disabled() {
            return (userAccountControl & ACCOUNTDISABLE) != 0;
        }
    }

    Optional<AccountState> accountState(String dn) {
        SearchResultEntry e;
        try {
            e = read(dn, "objectSid", "userAccountControl");
        } catch (DirectoryException gone) {
            if (gone.resultCode() == 32) {
                return Optional.empty();
            }
            throw gone;
        }
        byte[] sid = e.getAttributeValueBytes("objectSid");
        Integer control = e.getAttributeValueAsInteger("userAccountControl");
        return sid == null ? Optional.empty()
                : Optional.of(new AccountState(SecurityIdentifier.fromBytes(sid), control == null ? 0 : control));
    }

    /**
     * Whether the account at {@code dn} holds {@code adminCount=1}, the mark SDProp leaves on members of the protected
     * groups (AdminSDHolder); false when the attribute is absent, as on an account that never was in one.
     */
    boolean adminCount(String dn) {
        Integer value = read(dn, "adminCount").getAttributeValueAsInteger("adminCount");
        return value != null && value == 1;
    }

    Account account(String dn) {
        SearchResultEntry e = read(dn, "cn", "sAMAccountName", "dNSHostName", "userPrincipalName", "mail", "objectSid", "objectClass");
        byte[] sid = e.getAttributeValueBytes("objectSid");
        return new Account(e.getDN(), e.getAttributeValue("cn"), e.getAttributeValue("sAMAccountName"),
                e.getAttributeValue("dNSHostName"), e.getAttributeValue("userPrincipalName"), e.getAttributeValue("mail"),
                sid == null ? null : SecurityIdentifier.fromBytes(sid),
                Arrays.stream(e.getObjectClassValues()).anyMatch("computer"::equalsIgnoreCase));
    }

    /**
     * The DN of the account a client names in HTTP Basic: {@code IIS01$}, {@code CONTOSO\IIS01$} (or
     * {@code contoso.com\IIS01$}; another domain's prefix names no one), {@code alice@contoso.com}, or a DN.
     */
    Optional<String> accountDn(String userName) {
        int slash = userName.indexOf('\\');
        String prefix = slash < 0 ? null : userName.substring(0, slash);
        if (prefix != null && !prefix.equalsIgnoreCase(names.defaultNetbiosName()) && !prefix.equalsIgnoreCase(names.dnsName())) {
            // FABRIKAM\alice is not CONTOSO\alice: a domain this DC does not hold logs no one on (the forest has no trusts)
            return Optional.empty();
        }
        String name = slash < 0 ? userName : userName.substring(slash + 1);
        if (name.isEmpty() || name.length() > 256) {
            return Optional.empty();
        }
        if (com.unboundid.ldap.sdk.DN.isValidDN(name) && name.contains("=")) {
            return Optional.of(name);
        }
        Filter filter = Filter.createANDFilter(Filter.createPresenceFilter("objectSid"), Filter.createORFilter(
                Filter.createEqualityFilter("sAMAccountName", name), Filter.createEqualityFilter("userPrincipalName", name)));
        List<SearchResultEntry> found = search(names.domain(), filter, "cn");
        return found.size() == 1 ? Optional.of(found.get(0).getDN()) : Optional.empty();
    }

    /** sAMAccountType of a user and of a computer: the accounts a certificate may be requested for. */
    private static final List<Integer> USER_OR_COMPUTER = List.of(0x30000000, 0x30000001);
    /** sAMAccountType of a security group (global or universal) and of a domain local group (alias), with their non-security forms. */
    private static final List<Integer> GROUP = List.of(0x10000000, 0x10000001, 0x20000000, 0x20000001);

    /** The account a name given to the CA resolves to, or why it resolves to none (the text of {@code ERROR_NONE_MAPPED}). */
    record NamedAccount(String dn, String refusal) {
    }

    /**
     * The user or computer an enrollment agent's {@code RequesterName} names, read as the policy module reads it:
     * {@code CONTOSO\sAMAccountName} of this domain only. A DN, a UPN, another domain's name or a group names no requester.
     */
    NamedAccount requesterAccount(String name) {
        return named(name, false);
    }

    /**
     * The user, computer or group the CA's Security tab names: {@code CONTOSO\alice}, {@code alice}, {@code alice@contoso.com}
     * or a group's name; another domain's prefix names none here.
     */
    NamedAccount trusteeAccount(String name) {
        return named(name, true);
    }

    private NamedAccount named(String name, boolean groups) {
        String what = groups ? "a user, computer or group" : "a user or computer";
        String form = groups ? names.defaultNetbiosName() + "\\sAMAccountName (or sAMAccountName, or a user principal name)"
                : names.defaultNetbiosName() + "\\sAMAccountName";
        String shown = "'" + RequestedNames.printable(name) + "'";
        int slash = name.indexOf('\\');
        if (slash < 0 && !groups) {
            return new NamedAccount(null, shown + " is not " + form + ": name " + what + " of " + names.dnsName() + " as " + form);
        }
        String prefix = slash < 0 ? null : name.substring(0, slash);
        String sam = name.substring(slash + 1);
        if (prefix != null && !prefix.equalsIgnoreCase(names.defaultNetbiosName()) && !prefix.equalsIgnoreCase(names.dnsName())) {
            return new NamedAccount(null, shown + " names the domain '" + RequestedNames.printable(prefix) + "', not "
                    + names.defaultNetbiosName() + " (" + names.dnsName() + "): name " + what + " of " + names.dnsName() + " as " + form);
        }
        if (sam.isEmpty() || sam.length() > 256 || sam.indexOf('\\') >= 0 || sam.contains("=")) {
            return new NamedAccount(null, shown + " is not " + form + ": name " + what + " of " + names.dnsName() + " as " + form);
        }
        Filter byName = prefix == null && sam.contains("@")
                ? Filter.createEqualityFilter("userPrincipalName", sam) : Filter.createEqualityFilter("sAMAccountName", sam);
        List<SearchResultEntry> found = search(names.domain(), Filter.createANDFilter(Filter.createPresenceFilter("objectSid"), byName),
                "sAMAccountType");
        if (found.size() != 1) {
            return new NamedAccount(null, shown + " names no account in " + names.dnsName() + ": name " + what + " as " + form);
        }
        Integer type = found.get(0).getAttributeValueAsInteger("sAMAccountType");
        boolean fits = type != null && (USER_OR_COMPUTER.contains(type) || groups && GROUP.contains(type));
        if (!fits) {
            return new NamedAccount(null, shown + " is " + found.get(0).getDN() + ", not " + what
                    + (type == null ? "" : String.format(" (sAMAccountType 0x%08X)", type)) + ": name " + what + " as " + form);
        }
        return new NamedAccount(found.get(0).getDN(), null);
    }

    /** {@code CONTOSO\sAMAccountName} of the account or group with this SID in the domain; empty when none has it. */
    Optional<String> accountName(SecurityIdentifier sid) {
        List<SearchResultEntry> found = search(names.domain(), Filter.createEqualityFilter("objectSid", sid.toBytes()), "sAMAccountName");
        return found.size() == 1 && found.get(0).getAttributeValue("sAMAccountName") != null
                ? Optional.of(names.defaultNetbiosName() + "\\" + found.get(0).getAttributeValue("sAMAccountName")) : Optional.empty();
    }

    X509Certificate domainControllerCertificate() {
        LDAPConnection connection = null;
        try {
            connection = pool.getConnection();
            return DomainLogon.domainControllerCertificate(connection, names);
        } catch (LDAPException e) {
            throw new DirectoryException(e.getResultCode().intValue(), "cannot read the DC certificate: " + e.getDiagnosticMessage(), e);
        } finally {
            if (connection != null) {
                pool.releaseConnection(connection);
            }
        }
    }

    private SearchResultEntry read(String dn, String... attributes) {
        return operations.read(dn, attributes);
    }

    private List<SearchResultEntry> search(String base, Filter filter, String... attributes) {
        return operations.search(base, filter, attributes);
    }

    private void modify(String dn, Modification... changes) {
        operations.modify(dn, "modify " + dn, changes);
    }

    @Override
    public void close() {
        notified = false;
        notifications.close();
        pool.close();
    }
}
