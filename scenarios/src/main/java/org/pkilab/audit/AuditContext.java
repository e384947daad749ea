package org.pkilab.audit;

import org.pkilab.audit.AuditSnapshot.EnterpriseCa;
import org.pkilab.audit.AuditSnapshot.Principal;
import org.pkilab.audit.AuditSnapshot.PrincipalKind;
import org.pkilab.directory.model.AccessControlEntry;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.RelativeIds;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.SecurityIdentifier;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What every check asks of a snapshot: who a principal is, what its token holds, whether it is privileged, and who
 * holds a right once Deny entries are applied.
 *
 * <p><b>Who can exploit.</b> An account is listed when its own token ({@code tokenGroups}, Everyone, Authenticated
 * Users) passes the access check, so a Deny on any group it is nested in removes it. A group (or well-known principal)
 * is listed when a member holding nothing but that group and the groups it is nested in passes, and, if the snapshot
 * has accounts in it, when at least one of them passes too: a Deny on Domain Users removes a group whose members are all
 * users (every user is in Domain Users by its primary group). Only the trustees of the descriptors' entries are
 * considered as groups.
 *
 * <p><b>Low-privileged</b> is any principal whose token holds none of: Administrator (RID 500), krbtgt, Domain Admins,
 * Enterprise Admins, Schema Admins, Domain Controllers, Read-only Domain Controllers, Enterprise Read-only Domain
 * Controllers, BUILTIN\Administrators, SYSTEM, Enterprise Domain Controllers. For the PKI objects of ESC5 also Cert
 * Publishers and the CAs' own computer accounts count as privileged: AD gives them write access to the CA's objects so
 * the CA can publish its certificates and CRLs, and a member of Cert Publishers is a CA. For enrollment, template and
 * CA-security questions Cert Publishers is an ordinary group: enrolling is not what it is trusted with.
 *
 * <p>What a template's own attributes say, whoever asks, is {@link TemplateFacts}; who may write an account's
 * {@code userPrincipalName} or {@code altSecurityIdentities} is {@link AccountWriteAccess} ({@link #accountWrites()}).
 */
final class AuditContext {

    static final int CA_MANAGE_CA = 0x1;
    static final int CA_MANAGE_CERTIFICATES = 0x2;
    static final int CA_ENROLL = 0x200;

    static final String SID_EXTENSION = "1.3.6.1.4.1.311.25.2";
    static final SecurityIdentifier SELF = SecurityIdentifier.parse("S-1-5-10");

    enum Scope { ENROLLMENT, PKI_OBJECTS }

    /** How many accounts a condition's value names before "and N more"; the finding lists them all. */
    static final int SHOWN_ACCOUNTS = 10;

    /** The low-privileged principals that hold a right: groups by name, accounts by name and as principals. */
    record Holders(List<String> groups, List<String> accounts, List<Principal> accountPrincipals) {
        boolean isEmpty() {
            return groups.isEmpty() && accounts.isEmpty();
        }

        String describe() {
            if (isEmpty()) {
                return "none";
            }
            List<String> parts = new ArrayList<>();
            if (!groups.isEmpty()) {
                parts.add("groups " + String.join(", ", groups));
            }
            if (accounts.size() > SHOWN_ACCOUNTS) {
                parts.add("accounts " + String.join(", ", accounts.subList(0, SHOWN_ACCOUNTS)) + " and " + (accounts.size() - SHOWN_ACCOUNTS) + " more");
            } else if (!accounts.isEmpty()) {
                parts.add("accounts " + String.join(", ", accounts));
            }
            return String.join("; ", parts);
        }

        static Holders merge(List<Holders> all) {
            Set<String> groups = new LinkedHashSet<>();
            Set<String> accounts = new LinkedHashSet<>();
            Map<SecurityIdentifier, Principal> principals = new LinkedHashMap<>();
            for (Holders h : all) {
                groups.addAll(h.groups);
                accounts.addAll(h.accounts);
                h.accountPrincipals.forEach(p -> principals.put(p.sid(), p));
            }
            return new Holders(List.copyOf(groups), List.copyOf(accounts), List.copyOf(principals.values()));
        }
    }

    private final AuditSnapshot snapshot;
    private final Map<SecurityIdentifier, Principal> bySid = new HashMap<>();
    private final Map<String, Principal> byDn = new HashMap<>();
    private final Set<SecurityIdentifier> privileged = new HashSet<>();
    private final Set<SecurityIdentifier> caComputers = new HashSet<>();
    private final Map<SecurityIdentifier, Set<SecurityIdentifier>> tokens = new HashMap<>();
    private final Map<String, SecurityDescriptor> caSecurity = new HashMap<>();
    private final Map<String, Holders> enrollers = new HashMap<>();
    private final Map<String, Holders> enrollersOn = new HashMap<>();
    private final Map<String, List<EnterpriseCa>> publishers = new HashMap<>();
    private final AccountWriteAccess accountWrites = new AccountWriteAccess(this);

    AuditContext(AuditSnapshot snapshot) {
        this.snapshot = snapshot;
        for (Principal p : snapshot.principals()) {
            bySid.put(p.sid(), p);
            if (p.dn() != null) {
                byDn.put(p.dn().toLowerCase(Locale.ROOT), p);
            }
        }
        SecurityIdentifier domain = snapshot.domainSid();
        for (int rid : new int[] {RelativeIds.ADMINISTRATOR, RelativeIds.KRBTGT, RelativeIds.DOMAIN_ADMINS, RelativeIds.DOMAIN_CONTROLLERS,
                RelativeIds.SCHEMA_ADMINS, RelativeIds.ENTERPRISE_ADMINS, 498, 521}) {
            privileged.add(domain.withRid(rid));
        }
        privileged.add(SecurityIdentifier.BUILTIN_ADMINISTRATORS);
        privileged.add(SecurityIdentifier.LOCAL_SYSTEM);
        privileged.add(SecurityIdentifier.ENTERPRISE_DOMAIN_CONTROLLERS);
        for (Principal p : snapshot.principals()) {
            if (p.kind() == PrincipalKind.COMPUTER && p.dnsHostName() != null
                    && snapshot.cas().stream().anyMatch(ca -> p.dnsHostName().equalsIgnoreCase(ca.dnsHostName()))) {
                caComputers.add(p.sid());
            }
        }
    }

    AuditSnapshot snapshot() {
        return snapshot;
    }

    /** Who may write the accounts' {@code userPrincipalName} and {@code altSecurityIdentities}. */
    AccountWriteAccess accountWrites() {
        return accountWrites;
    }

    Principal principal(SecurityIdentifier sid) {
        return bySid.get(sid);
    }

    Principal principalByDn(String dn) {
        return dn == null ? null : byDn.get(dn.toLowerCase(Locale.ROOT));
    }

    /** {@code CONTOSO\alice}, {@code NT AUTHORITY\Authenticated Users}, {@code Everyone}, or the SID. */
    String nameOf(SecurityIdentifier sid) {
        if (sid.equals(SecurityIdentifier.EVERYONE)) {
            return "Everyone";
        }
        if (sid.equals(SecurityIdentifier.BUILTIN_ADMINISTRATORS)) {
            return "BUILTIN\\Administrators";
        }
        Principal p = bySid.get(sid);
        if (p != null) {
            return (p.kind() == PrincipalKind.WELL_KNOWN ? "NT AUTHORITY" : snapshot.netbiosName()) + "\\" + p.name();
        }
        return switch (sid.toString()) {
            case "S-1-5-11" -> "NT AUTHORITY\\Authenticated Users";
            case "S-1-5-18" -> "NT AUTHORITY\\SYSTEM";
            case "S-1-5-9" -> "NT AUTHORITY\\ENTERPRISE DOMAIN CONTROLLERS";
            case "S-1-5-10" -> "NT AUTHORITY\\SELF";
            case "S-1-3-0" -> "CREATOR OWNER";
            default -> sid.toString();
        };
    }

    /** An account's logon token: itself, its token groups, Everyone and Authenticated Users. */
    Set<SecurityIdentifier> token(Principal account) {
        return tokens.computeIfAbsent(account.sid(), sid -> {
            Set<SecurityIdentifier> token = new HashSet<>(account.tokenGroups());
            token.add(sid);
            token.add(SecurityIdentifier.EVERYONE);
            token.add(SecurityIdentifier.AUTHENTICATED_USERS);
            return Set.copyOf(token);
        });
    }

    /** The least a member of {@code group} holds: the group, the groups it is in, and what every logon adds. */
    Set<SecurityIdentifier> memberToken(SecurityIdentifier group) {
        Set<SecurityIdentifier> token = new HashSet<>();
        token.add(group);
        token.add(SecurityIdentifier.EVERYONE);
        if (!group.equals(SecurityIdentifier.EVERYONE)) {
            token.add(SecurityIdentifier.AUTHENTICATED_USERS);
        }
        Principal p = bySid.get(group);
        if (p != null) {
            token.addAll(p.tokenGroups());
        }
        return token;
    }

    boolean privileged(Set<SecurityIdentifier> token, Scope scope) {
        for (SecurityIdentifier sid : token) {
            if (privileged.contains(sid)) {
                return true;
            }
            if (scope == Scope.PKI_OBJECTS && (caComputers.contains(sid) || sid.equals(snapshot.domainSid().withRid(RelativeIds.CERT_PUBLISHERS)))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The low-privileged principals whose token passes {@code test}: the groups among {@code candidates} (trustees of
     * the descriptors that matter) and every account of the snapshot.
     */
    Holders holders(Set<SecurityIdentifier> candidates, Scope scope, Predicate<Set<SecurityIdentifier>> test) {
        List<String> accounts = new ArrayList<>();
        List<Principal> principals = new ArrayList<>();
        List<Principal> members = new ArrayList<>();
        // accounts no entry names pass or fail with their groups: one check per distinct set of groups
        Map<Set<SecurityIdentifier>, Boolean> byGroups = new HashMap<>();
        for (Principal p : snapshot.principals()) {
            if (!p.isAccount()) {
                continue;
            }
            members.add(p);
            Set<SecurityIdentifier> token = token(p);
            boolean passes;
            if (candidates.contains(p.sid())) {
                passes = !privileged(token, scope) && test.test(token);
            } else {
                passes = byGroups.computeIfAbsent(p.tokenGroups(), groups -> {
                    Set<SecurityIdentifier> shared = new HashSet<>(groups);
                    shared.add(SecurityIdentifier.EVERYONE);
                    shared.add(SecurityIdentifier.AUTHENTICATED_USERS);
                    return !privileged(shared, scope) && test.test(shared);
                });
            }
            if (passes) {
                accounts.add(nameOf(p.sid()));
                principals.add(p);
            }
        }
        Set<SecurityIdentifier> passing = new HashSet<>();
        principals.forEach(p -> passing.add(p.sid()));
        List<String> groups = new ArrayList<>();
        for (SecurityIdentifier sid : candidates) {
            Principal p = bySid.get(sid);
            boolean group = p == null ? isWellKnownGroup(sid) : !p.isAccount();
            if (!group || sid.equals(SELF)) {
                continue;
            }
            Set<SecurityIdentifier> token = memberToken(sid);
            if (privileged(token, scope) || !test.test(token)) {
                continue;
            }
            boolean anyMember = false;
            boolean memberPasses = false;
            for (Principal m : members) {
                if (token(m).contains(sid)) {
                    anyMember = true;
                    if (passing.contains(m.sid())) {
                        memberPasses = true;
                        break;
                    }
                }
            }
            if (!anyMember || memberPasses) {
                groups.add(nameOf(sid));
            }
        }
        groups.sort(String.CASE_INSENSITIVE_ORDER);
        return new Holders(List.copyOf(groups), List.copyOf(accounts), List.copyOf(principals));
    }

    private static boolean isWellKnownGroup(SecurityIdentifier sid) {
        String text = sid.toString();
        return text.equals("S-1-1-0") || text.equals("S-1-5-11") || text.startsWith("S-1-5-32-") || text.equals("S-1-5-4")
                || text.equals("S-1-5-2");
    }

    /**
     * The trustees of every entry of the descriptors, and their owners: the principals an access check on them can
     * single out. An account among them is checked with its own token; the others by their groups.
     */
    static Set<SecurityIdentifier> trustees(SecurityDescriptor... descriptors) {
        Set<SecurityIdentifier> all = new LinkedHashSet<>();
        for (SecurityDescriptor sd : descriptors) {
            if (sd != null) {
                sd.entries().forEach(e -> all.add(e.trustee()));
                if (sd.owner() != null) {
                    all.add(sd.owner());
                }
            }
        }
        return all;
    }

    // --- templates -------------------------------------------------------------------------------------------------

    List<EnterpriseCa> publishers(CertificateTemplate t) {
        return publishers.computeIfAbsent(t.name(), name -> snapshot.cas().stream().filter(ca -> ca.issues(name)).toList());
    }

    /** Who may enroll in {@code t} through {@code ca}: Enroll on the template and Request Certificates on this CA. */
    Holders enrollersOn(EnterpriseCa ca, CertificateTemplate t) {
        return enrollersOn.computeIfAbsent(ca.name() + "\n" + t.name(), key -> {
            SecurityDescriptor caSd = caSecurity(ca);
            SecurityDescriptor sd = t.securityDescriptor();
            return holders(trustees(sd, caSd), Scope.ENROLLMENT,
                    token -> sd != null && sd.check(token, AccessRight.ENROLL).granted() && caSd.grants(token, CA_ENROLL));
        });
    }

    SecurityDescriptor caSecurity(EnterpriseCa ca) {
        return caSecurity.computeIfAbsent(ca.name(), name -> SecurityDescriptor.parse(ca.registry().security(), snapshot.domainSid()));
    }

    /** Whether the token holds Enroll on the template and Request Certificates on one of the CAs that publish it. */
    boolean canEnroll(CertificateTemplate t, Set<SecurityIdentifier> token) {
        SecurityDescriptor sd = t.securityDescriptor();
        if (sd == null || !sd.check(token, AccessRight.ENROLL).granted()) {
            return false;
        }
        return publishers(t).stream().anyMatch(ca -> caSecurity(ca).grants(token, CA_ENROLL));
    }

    Holders enrollers(CertificateTemplate t) {
        return enrollers.computeIfAbsent(t.name(), name -> findEnrollers(t));
    }

    private Holders findEnrollers(CertificateTemplate t) {
        List<SecurityDescriptor> sds = new ArrayList<>();
        sds.add(t.securityDescriptor());
        publishers(t).forEach(ca -> sds.add(caSecurity(ca)));
        return holders(trustees(sds.toArray(new SecurityDescriptor[0])), Scope.ENROLLMENT, token -> canEnroll(t, token));
    }

    Condition published(CertificateTemplate t) {
        List<String> cas = publishers(t).stream().map(EnterpriseCa::name).toList();
        return new Condition("published by a CA", !cas.isEmpty(), cas.isEmpty()
                ? "no CA lists " + t.name() + " in certificateTemplates (Certificate Templates to Issue)"
                : "issued by " + String.join(", ", cas));
    }

    Condition lowPrivilegedEnroll(CertificateTemplate t, Holders enrollers) {
        String value = enrollers.isEmpty() ? enrollDeniedValue(t) : "Enroll (template) and Request Certificates (CA) held by "
                + enrollers.describe();
        return new Condition("a low-privileged principal may enroll", !enrollers.isEmpty(), value);
    }

    private String enrollDeniedValue(CertificateTemplate t) {
        SecurityDescriptor sd = t.securityDescriptor();
        if (sd == null) {
            return "the template's security descriptor was not read";
        }
        List<String> who = new ArrayList<>();
        for (AccessControlEntry e : sd.entries()) {
            if (e.allow() && e.carries(AccessRight.ENROLL)) {
                who.add(nameOf(e.trustee()));
            }
        }
        return who.isEmpty() ? "nobody holds Enroll" : "Enroll held only by privileged principals, or denied: "
                + String.join(", ", new LinkedHashSet<>(who));
    }

    /** The templates' shared conditions, in the order {@code --explain} shows them. */
    List<Condition> enrollable(CertificateTemplate t, Holders enrollers) {
        return List.of(published(t), lowPrivilegedEnroll(t, enrollers), TemplateFacts.noManagerApproval(t),
                TemplateFacts.noAuthorizedSignatures(t));
    }

    // --- the DC and accounts ---------------------------------------------------------------------------------------

    /** Whether the DC maps a certificate without the SID extension by its UPN (weak mapping). */
    boolean dcAcceptsWeakMapping() {
        var m = snapshot.mapping();
        return m.strongCertificateBindingEnforcement() < 2 || (m.certificateMappingMethods() & 0x4) != 0;
    }

    Condition dcAcceptsWeakMappingCondition() {
        return new Condition("the DC accepts a certificate without the SID extension by its UPN (StrongCertificateBindingEnforcement < 2, "
                + "or CertificateMappingMethods has UPN 0x4)", dcAcceptsWeakMapping(), snapshot.mapping().describe());
    }
}
