package org.pkilab.ca;

import org.pkilab.directory.model.AccessControlEntry;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.enrollment.CaRegistrySettings;
import org.pkilab.windows.WindowsError;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The Security tab of the CA's properties in the Certification Authority console: who may read the CA, issue
 * and manage certificates, manage the CA and request certificates. AD CS keeps this descriptor in the CA's
 * registry ({@code CA\Security}, {@link CaRegistrySettings#security()}), not in the directory. A new enterprise CA
 * gives Domain Admins and Enterprise Admins "Manage CA" and "Issue and Manage Certificates", and Authenticated Users
 * "Request Certificates" ({@link CaRegistrySettings#DEFAULT_SECURITY}).
 *
 * <pre>
 * O:BAG:DUD:(A;;0x3;;;DA)(A;;0x3;;;EA)(A;;0x200;;;AU)   0x1 Manage CA, 0x2 Issue and Manage Certificates, 0x200 Request Certificates
 *
 * security.check(token of CONTOSO\alice, Permission.MANAGE_CERTIFICATES, "approve requests")
 *     → DENY 0x80070005 E_ACCESSDENIED: CONTOSO\alice may not approve requests on Contoso-CA: that needs the
 *       'Issue and Manage Certificates' permission on the CA ...
 * security.mayEnroll(token of CONTOSO\alice)      → PROCEED: Authenticated Users may Request Certificates
 * CaSecurity.allow(sddl, sidOfAlice, Permission.MANAGE_CERTIFICATES, domainSid)
 *     → ...(A;;0x2;;;S-1-5-21-...-1105)            alice is an officer now (certutil / Certipy's "ca -add-officer")
 * </pre>
 *
 * <p>The check compares the SIDs in the DC-signed token with the descriptor's trustees, as Windows does,
 * never group names: a group anyone may create in another OU can be called "Enterprise Admins", but only the
 * domain's own has RID 519. A Deny entry for a permission wins over every Allow.
 *
 * <p>Why this tab matters (ESC7): whoever holds "Manage CA" may change it, and so make himself an officer
 * ("Issue and Manage Certificates"); an officer may resubmit a request the policy module denied, and a resubmitted
 * request is not checked again against the template's Enroll permission nor the CA's Request Certificates
 * ({@link IssuanceFacts.Submission#APPROVED}): a Domain User who holds Manage CA gets a certificate of any template
 * the CA issues, such as SubCA.
 */
public final class CaSecurity {

    /** The permissions of the CA's Security tab, with their access mask bits ({@code certadm.h}'s CA_ACCESS_*). */
    public enum Permission {
        MANAGE_CA("Manage CA", 0x1),
        MANAGE_CERTIFICATES("Issue and Manage Certificates", 0x2),
        READ("Read", 0x100),
        REQUEST_CERTIFICATES("Request Certificates", 0x200);

        private final String displayName;
        private final int mask;

        Permission(String displayName, int mask) {
            this.displayName = displayName;
            this.mask = mask;
        }

        /** As the Security tab lists it. */
        public String displayName() {
            return displayName;
        }

        public int mask() {
            return mask;
        }

        /**
         * A permission by its Security tab name ("Issue and Manage Certificates"), its enum name, or the role Certipy
         * and the console's Help use: {@code officer}, {@code manager} (Manage CA), {@code enroll}, {@code read}.
         */
        public static Permission parse(String text) {
            String key = text.strip().toLowerCase(Locale.ROOT).replace('-', ' ').replace('_', ' ');
            for (Permission p : values()) {
                if (p.displayName.toLowerCase(Locale.ROOT).equals(key) || p.name().toLowerCase(Locale.ROOT).replace('_', ' ').equals(key)) {
                    return p;
                }
            }
            return switch (key) {
                case "officer", "officers", "manage certificates" -> MANAGE_CERTIFICATES;
                case "manager", "managers", "admin", "administrator" -> MANAGE_CA;
                case "enroll", "request", "enrollees" -> REQUEST_CERTIFICATES;
                default -> throw new IllegalArgumentException("no CA permission is called '" + text + "': the Security tab has "
                        + "'Manage CA' (manager), 'Issue and Manage Certificates' (officer), 'Request Certificates' (enroll) and 'Read'");
            };
        }
    }

    private final String caName;
    private final Supplier<SecurityDescriptor> descriptor;
    private final Function<SecurityIdentifier, String> names;

    /** {@code descriptor} is read at each check: the CA's Security changes while it runs. Trustees are named by SID. */
    public CaSecurity(String caName, Supplier<SecurityDescriptor> descriptor) {
        this(caName, descriptor, WellKnownNames::of);
    }

    /** With {@code names} naming the trustees in refusals ({@code CONTOSO\alice}), as the Security tab lists them. */
    public CaSecurity(String caName, Supplier<SecurityDescriptor> descriptor, Function<SecurityIdentifier, String> names) {
        this.caName = Objects.requireNonNull(caName, "caName");
        this.descriptor = Objects.requireNonNull(descriptor, "descriptor");
        this.names = Objects.requireNonNull(names, "names");
    }

    /** A new enterprise CA's security ({@link CaRegistrySettings#DEFAULT_SECURITY}) in the domain whose SID is {@code domainSid}. */
    public static CaSecurity byDefault(String caName, SecurityIdentifier domainSid) {
        SecurityDescriptor parsed = SecurityDescriptor.parse(CaRegistrySettings.DEFAULT_SECURITY, domainSid);
        return new CaSecurity(caName, () -> parsed);
    }

    /**
     * Whether {@code caller} may do {@code operation} (as a sentence fragment: "approve requests"), which
     * needs {@code needed}: {@link Decision#proceed()}, or a denial with {@code E_ACCESSDENIED} naming the
     * account, the permission, who holds it and the groups in its token.
     */
    public Decision check(LogonToken caller, Permission needed, String operation) {
        SecurityDescriptor sd = descriptor.get();
        if (sd.grants(caller.sids(), needed.mask)) {
            return Decision.proceed();
        }
        return Decision.deny(WindowsError.E_ACCESSDENIED, caller.account() + " may not " + operation + " on " + caName
                        + ": that needs the '" + needed.displayName + "' permission on the CA, which " + holders(sd, needed)
                        + (deniedByEntry(sd, caller, needed) ? " (and a Deny entry for a group in its token refuses it)" : "")
                        + "; groups in its token: " + caller.groupNames(),
                "have a holder of 'Manage CA' allow '" + needed.displayName + "' to " + caller.account() + " (or a group it is in) on "
                        + caName + "'s Security tab (pkilab ca security-add " + roleWord(needed) + " ACCOUNT), or use an account that holds "
                        + "it (Domain Admins hold it by default), and log on again");
    }

    /**
     * The CA's own check before a request reaches the policy module: the requester holds "Request Certificates"
     * ({@code CA_ACCESS_ENROLL}); {@code CERTSRV_E_ENROLL_DENIED} names the account and who holds it otherwise.
     */
    public Decision mayEnroll(LogonToken requester) {
        SecurityDescriptor sd = descriptor.get();
        if (sd.grants(requester.sids(), Permission.REQUEST_CERTIFICATES.mask)) {
            return Decision.proceed();
        }
        return Decision.deny(WindowsError.CERTSRV_E_ENROLL_DENIED, requester.account() + " may not request certificates from "
                        + caName + ": the CA's Security tab allows 'Request Certificates' to " + holders(sd, Permission.REQUEST_CERTIFICATES)
                        + (deniedByEntry(sd, requester, Permission.REQUEST_CERTIFICATES) ? ", and a Deny entry for a group in its token refuses it" : "")
                        + "; groups in its token: " + requester.groupNames(),
                "on " + caName + "'s Security tab allow 'Request Certificates' to a group " + requester.account()
                        + " is in (by default Authenticated Users): pkilab ca security-add enroll 'Authenticated Users'");
    }

    /** The descriptor in force now. */
    public SecurityDescriptor descriptor() {
        return descriptor.get();
    }

    /**
     * {@code sddl} with {@code permission} allowed to {@code trustee} (its Allow entry widened, or one added), as ticking
     * "Allow" on the Security tab does; a Deny entry of that permission for the trustee is cleared.
     */
    public static String allow(String sddl, SecurityIdentifier trustee, Permission permission, SecurityIdentifier domainSid) {
        SecurityDescriptor sd = SecurityDescriptor.parse(sddl, domainSid);
        List<AccessControlEntry> entries = new ArrayList<>();
        boolean added = false;
        for (AccessControlEntry e : sd.entries()) {
            if (e.trustee().equals(trustee) && e.objectType() == null && e.appliesToObject()) {
                if (!e.allow()) {
                    int rest = e.mask() & ~permission.mask;
                    if (rest != 0) {
                        entries.add(e.withMask(rest));
                    }
                    continue;
                }
                if (!added) {
                    entries.add(e.withMask(e.mask() | permission.mask));
                    added = true;
                    continue;
                }
            }
            entries.add(e);
        }
        if (!added) {
            entries.add(AccessControlEntry.of(true, permission.mask, trustee));
        }
        return render(sd, entries, domainSid);
    }

    /** {@code sddl} with {@code permission} taken from {@code trustee}'s Allow entries (an entry left with no bit goes). */
    public static String remove(String sddl, SecurityIdentifier trustee, Permission permission, SecurityIdentifier domainSid) {
        SecurityDescriptor sd = SecurityDescriptor.parse(sddl, domainSid);
        List<AccessControlEntry> entries = new ArrayList<>();
        for (AccessControlEntry e : sd.entries()) {
            if (e.allow() && e.trustee().equals(trustee) && e.objectType() == null) {
                int rest = e.mask() & ~permission.mask;
                if (rest != 0) {
                    entries.add(e.withMask(rest));
                }
                continue;
            }
            entries.add(e);
        }
        return render(sd, entries, domainSid);
    }

    /** The permissions {@code trustee} is allowed by its own entries, as the Security tab ticks them. */
    public static List<Permission> allowed(SecurityDescriptor sd, SecurityIdentifier trustee) {
        int mask = 0;
        for (AccessControlEntry e : sd.entries()) {
            if (e.allow() && e.trustee().equals(trustee) && e.objectType() == null) {
                mask |= e.mask();
            }
        }
        List<Permission> out = new ArrayList<>();
        for (Permission p : Permission.values()) {
            if ((mask & p.mask) != 0) {
                out.add(p);
            }
        }
        return out;
    }

    /** SDDL with CA_ACCESS masks in hex, as {@code certutil -getreg CA\Security} shows them. */
    private static String render(SecurityDescriptor sd, List<AccessControlEntry> entries, SecurityIdentifier domainSid) {
        StringBuilder text = new StringBuilder();
        if (sd.owner() != null) {
            text.append("O:").append(alias(sd.owner(), domainSid));
        }
        if (sd.group() != null) {
            text.append("G:").append(alias(sd.group(), domainSid));
        }
        text.append("D:");
        for (AccessControlEntry e : entries) {
            // an object entry keeps its GUIDs: written as a plain A/D it would widen to every object type
            text.append('(').append(e.isObjectAce() ? "O" : "").append(e.allow() ? "A" : "D").append(';').append(e.flags()).append(';')
                    .append(String.format(Locale.ROOT, "0x%x", e.mask())).append(';')
                    .append(e.objectType() == null ? "" : e.objectType()).append(';')
                    .append(e.inheritedObjectType() == null ? "" : e.inheritedObjectType()).append(';')
                    .append(alias(e.trustee(), domainSid)).append(')');
        }
        return text.toString();
    }

    /** The SDDL alias of a SID ({@code DA}, {@code AU}) or the SID itself, as SecurityDescriptor writes it. */
    private static String alias(SecurityIdentifier sid, SecurityIdentifier domainSid) {
        String one = new SecurityDescriptor(null, null, "", List.of(AccessControlEntry.of(true, 0x1, sid))).toSddl(domainSid);
        return one.substring(one.lastIndexOf(';') + 1, one.length() - 1);
    }

    private String holders(SecurityDescriptor sd, Permission needed) {
        List<String> holders = new ArrayList<>();
        for (AccessControlEntry e : sd.entries()) {
            if (e.allow() && e.objectType() == null && (e.mask() & needed.mask) != 0) {
                holders.add(names.apply(e.trustee()));
            }
        }
        return holders.isEmpty() ? "nobody holds" : "only " + String.join(", ", holders) + (holders.size() == 1 ? " holds" : " hold");
    }

    private static boolean deniedByEntry(SecurityDescriptor sd, LogonToken caller, Permission needed) {
        return sd.entries().stream().anyMatch(e -> !e.allow() && (e.mask() & needed.mask) != 0 && caller.sids().contains(e.trustee()));
    }

    private static String roleWord(Permission p) {
        return switch (p) {
            case MANAGE_CA -> "manager";
            case MANAGE_CERTIFICATES -> "officer";
            case REQUEST_CERTIFICATES -> "enroll";
            case READ -> "read";
        };
    }

    /** Names for the trustees a CA's Security tab usually lists; other SIDs as they are. */
    private static final class WellKnownNames {
        static String of(SecurityIdentifier sid) {
            if (sid.equals(SecurityIdentifier.AUTHENTICATED_USERS)) {
                return "Authenticated Users";
            }
            if (sid.equals(SecurityIdentifier.EVERYONE)) {
                return "Everyone";
            }
            if (sid.equals(SecurityIdentifier.BUILTIN_ADMINISTRATORS)) {
                return "Administrators";
            }
            if (sid.toString().split("-").length != 8) {
                return sid.toString();
            }
            return switch (sid.rid()) {
                case org.pkilab.directory.model.RelativeIds.DOMAIN_ADMINS -> "Domain Admins";
                case org.pkilab.directory.model.RelativeIds.ENTERPRISE_ADMINS -> "Enterprise Admins";
                case org.pkilab.directory.model.RelativeIds.DOMAIN_USERS -> "Domain Users";
                default -> sid.toString();
            };
        }
    }
}
