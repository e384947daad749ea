package org.pkilab.directory.model;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An object's security descriptor: its owner, its group and its discretionary ACL, the list the Security tab
 * edits. The directory keeps it in {@code nTSecurityDescriptor} in AD's binary self-relative form
 * ([MS-DTYP] 2.4.6 {@code SECURITY_DESCRIPTOR_RELATIVE}, {@link #toBinary()}), what {@code ldapsearch},
 * ldap3 and impacket read; the lab shows it as SDDL ({@code O:EAG:EAD:PAI(A;;LCRPLORC;;;AU)(OA;;CR;0e10c968-...;;DC)}),
 * the form {@code dsacls} and {@code Get-Acl} print. {@link #decode(byte[], SecurityIdentifier)} reads either,
 * since labs made before the binary form kept the text. The binary layout, and the bounds checks that refuse a
 * malformed value, are in the package's {@code SelfRelativeForm}.
 *
 * <p>Access is checked as Windows does for a canonical DACL: a deny entry for any SID in the
 * caller's token wins over every allow entry; otherwise one matching allow entry grants the right. Entries
 * kept only for children to inherit ({@code CIIO}) are skipped, as [MS-DTYP] 2.5.3.2 skips {@code INHERIT_ONLY_ACE}.
 *
 * <pre>{@code
 * SecurityDescriptor sd = SecurityDescriptor.parse("O:DAG:DAD:(A;;LCRPLORC;;;AU)(OA;;CR;"
 *         + AccessRight.ENROLL.extendedRightGuid() + ";;DC)", domainSid);
 * sd.check(token.sids(), AccessRight.ENROLL).granted();  // true for a computer's token
 * sd = sd.deny(domainComputers, AccessRight.ENROLL);      // ticks "Deny" for Enroll
 * }</pre>
 */
public final class SecurityDescriptor {

    /** SDDL's two-letter rights, in the order Windows writes them. */
    private static final Map<String, Integer> RIGHTS = new LinkedHashMap<>();
    private static final Map<String, Integer> GENERIC = Map.of(
            "GA", AccessControlEntry.FULL_CONTROL_MASK,
            "GR", AccessControlEntry.READ_MASK,
            "GW", AccessControlEntry.READ_CONTROL | AccessControlEntry.WRITE_MASK,
            "GX", AccessControlEntry.READ_CONTROL | AccessControlEntry.LIST_CHILDREN);
    private static final Pattern ACE = Pattern.compile("\\(([^()]*)\\)");

    static {
        RIGHTS.put("CC", AccessControlEntry.CREATE_CHILD);
        RIGHTS.put("DC", AccessControlEntry.DELETE_CHILD);
        RIGHTS.put("LC", AccessControlEntry.LIST_CHILDREN);
        RIGHTS.put("SW", AccessControlEntry.SELF_WRITE);
        RIGHTS.put("RP", AccessControlEntry.READ_PROPERTY);
        RIGHTS.put("WP", AccessControlEntry.WRITE_PROPERTY);
        RIGHTS.put("DT", AccessControlEntry.DELETE_TREE);
        RIGHTS.put("LO", AccessControlEntry.LIST_OBJECT);
        RIGHTS.put("CR", AccessControlEntry.CONTROL_ACCESS);
        RIGHTS.put("SD", AccessControlEntry.DELETE);
        RIGHTS.put("RC", AccessControlEntry.READ_CONTROL);
        RIGHTS.put("WD", AccessControlEntry.WRITE_DAC);
        RIGHTS.put("WO", AccessControlEntry.WRITE_OWNER);
    }

    /** {@code OWNER_SECURITY_INFORMATION}: the owner, in the SD flags control and {@link #selected(int)}. */
    public static final int OWNER = 0x1;
    /** {@code GROUP_SECURITY_INFORMATION}: the primary group. */
    public static final int GROUP = 0x2;
    /** {@code DACL_SECURITY_INFORMATION}: the discretionary ACL. */
    public static final int DACL = 0x4;
    /** {@code SACL_SECURITY_INFORMATION}: the system (audit) ACL, which the lab does not keep. */
    public static final int SACL = 0x8;

    private final SecurityIdentifier owner;
    private final SecurityIdentifier group;
    private final String daclFlags;
    private final List<AccessControlEntry> entries;
    private final boolean daclPresent;

    public SecurityDescriptor(SecurityIdentifier owner, SecurityIdentifier group, String daclFlags,
                              List<AccessControlEntry> entries) {
        this(owner, group, daclFlags, entries, true);
    }

    SecurityDescriptor(SecurityIdentifier owner, SecurityIdentifier group, String daclFlags,
                       List<AccessControlEntry> entries, boolean daclPresent) {
        this.owner = owner;
        this.group = group;
        this.daclFlags = daclFlags == null ? "" : daclFlags;
        this.entries = List.copyOf(entries);
        this.daclPresent = daclPresent;
        SelfRelativeForm.daclControl(this.daclFlags);
    }

    public SecurityIdentifier owner() {
        return owner;
    }

    public SecurityIdentifier group() {
        return group;
    }

    public List<AccessControlEntry> entries() {
        return entries;
    }

    /** The DACL's SDDL flags ({@code P}, {@code AR}, {@code AI}), which the binary form keeps as control bits. */
    String daclFlags() {
        return daclFlags;
    }

    /** Whether the descriptor carries a DACL: false for one read or written with the SD flags control leaving it out. */
    public boolean hasDacl() {
        return daclPresent;
    }

    /** The outcome of an access check, naming the SID whose entry decided it. */
    public record AccessCheck(AccessRight right, boolean granted, boolean explicitlyDenied, SecurityIdentifier decidedBy) {
    }

    /** Checks {@code right} for a caller whose token holds {@code tokenSids}. */
    public AccessCheck check(Set<SecurityIdentifier> tokenSids, AccessRight right) {
        for (AccessControlEntry entry : entries) {
            if (!entry.allow() && tokenSids.contains(entry.trustee()) && entry.carries(right)) {
                return new AccessCheck(right, false, true, entry.trustee());
            }
        }
        for (AccessControlEntry entry : entries) {
            if (entry.allow() && tokenSids.contains(entry.trustee()) && entry.carries(right)) {
                return new AccessCheck(right, true, false, entry.trustee());
            }
        }
        return new AccessCheck(right, false, false, null);
    }

    /**
     * Whether every bit of {@code mask} is allowed to the token's SIDs and none is denied, by the entries
     * that apply to the whole object (no object type, not inherit-only: {@link AccessControlEntry#appliesToObject()}):
     * the check for generic rights such as Write Property, Write DAC, or a CA's Manage CA.
     */
    public boolean grants(Set<SecurityIdentifier> tokenSids, int mask) {
        int allowed = 0;
        for (AccessControlEntry entry : entries) {
            if (entry.objectType() != null || !entry.appliesToObject() || !tokenSids.contains(entry.trustee())) {
                continue;
            }
            if (!entry.allow() && (entry.mask() & mask) != 0) {
                return false;
            }
            if (entry.allow()) {
                allowed |= entry.mask();
            }
        }
        return (allowed & mask) == mask;
    }

    /**
     * The boxes ticked under "Allow" (or "Deny") for one principal, as the Security tab shows them: entries that
     * apply only to children (inherit-only) tick none, as they show only under "Advanced".
     */
    public Set<AccessRight> rightsOf(SecurityIdentifier trustee, boolean allow) {
        Set<AccessRight> rights = EnumSet.noneOf(AccessRight.class);
        for (AccessControlEntry entry : entries) {
            if (entry.allow() == allow && entry.trustee().equals(trustee)) {
                for (AccessRight right : AccessRight.values()) {
                    if (entry.carries(right)) {
                        rights.add(right);
                    }
                }
            }
        }
        return rights;
    }

    /** The principals the Security tab lists, in the order their entries appear. */
    public List<SecurityIdentifier> trustees() {
        return entries.stream().map(AccessControlEntry::trustee).distinct().toList();
    }

    /** Ticks "Allow" for {@code right}; as in the Security tab this clears the same "Deny" box. */
    public SecurityDescriptor allow(SecurityIdentifier trustee, AccessRight right) {
        return tick(trustee, right, true);
    }

    /** Ticks "Deny" for {@code right}; as in the Security tab this clears the same "Allow" box. */
    public SecurityDescriptor deny(SecurityIdentifier trustee, AccessRight right) {
        return tick(trustee, right, false);
    }

    /** Clears the "Allow" box of {@code right} (Full Control cleared leaves the other boxes ticked). */
    public SecurityDescriptor clearAllow(SecurityIdentifier trustee, AccessRight right) {
        return clear(trustee, right, true);
    }

    /** Clears the "Deny" box of {@code right}. */
    public SecurityDescriptor clearDeny(SecurityIdentifier trustee, AccessRight right) {
        return clear(trustee, right, false);
    }

    /** Removes a principal from the list altogether (the Security tab's "Remove"). */
    public SecurityDescriptor remove(SecurityIdentifier trustee) {
        return with(entries.stream().filter(e -> !e.trustee().equals(trustee)).toList());
    }

    private SecurityDescriptor tick(SecurityIdentifier trustee, AccessRight right, boolean allow) {
        SecurityDescriptor cleared = clear(trustee, right, !allow);
        if (cleared.rightsOf(trustee, allow).contains(right)) {
            return cleared;
        }
        List<AccessControlEntry> result = new ArrayList<>(cleared.entries);
        AccessControlEntry added = switch (right) {
            case READ -> AccessControlEntry.of(allow, AccessControlEntry.READ_MASK, trustee);
            case WRITE -> AccessControlEntry.of(allow, AccessControlEntry.WRITE_MASK, trustee);
            case FULL_CONTROL -> AccessControlEntry.of(allow, AccessControlEntry.FULL_CONTROL_MASK, trustee);
            case ENROLL, AUTOENROLL, APPLY_GROUP_POLICY -> AccessControlEntry.extendedRight(allow, right, trustee);
        };
        // canonical order: explicit deny entries before allow entries
        int at = allow ? result.size() : (int) result.stream().filter(e -> !e.allow()).count();
        result.add(at, added);
        return cleared.with(result);
    }

    private SecurityDescriptor clear(SecurityIdentifier trustee, AccessRight right, boolean allow) {
        List<AccessControlEntry> result = new ArrayList<>();
        for (AccessControlEntry entry : entries) {
            if (entry.allow() != allow || !entry.trustee().equals(trustee) || !entry.carries(right)) {
                result.add(entry);
                continue;
            }
            int mask = entry.mask();
            switch (right) {
                case READ -> mask &= ~(AccessControlEntry.READ_MASK);
                case WRITE -> mask &= ~(AccessControlEntry.WRITE_MASK | AccessControlEntry.CREATE_CHILD
                        | AccessControlEntry.DELETE_CHILD | AccessControlEntry.DELETE_TREE | AccessControlEntry.DELETE
                        | AccessControlEntry.WRITE_DAC | AccessControlEntry.WRITE_OWNER);
                case FULL_CONTROL -> mask &= AccessControlEntry.READ_MASK | AccessControlEntry.WRITE_MASK
                        | AccessControlEntry.CONTROL_ACCESS;
                case ENROLL, AUTOENROLL, APPLY_GROUP_POLICY -> mask &= ~AccessControlEntry.CONTROL_ACCESS;
            }
            if (mask != 0) {
                result.add(entry.withMask(mask));
            }
            // an entry granting every extended right loses only the one cleared: keep the others explicit
            if (entry.objectType() == null && (entry.mask() & AccessControlEntry.CONTROL_ACCESS) != 0
                    && (mask & AccessControlEntry.CONTROL_ACCESS) == 0) {
                for (AccessRight other : List.of(AccessRight.ENROLL, AccessRight.AUTOENROLL)) {
                    if (other != right) {
                        result.add(AccessControlEntry.extendedRight(allow, other, trustee));
                    }
                }
            }
        }
        return with(result);
    }

    private SecurityDescriptor with(List<AccessControlEntry> newEntries) {
        return new SecurityDescriptor(owner, group, daclFlags, newEntries, true);
    }

    /** The same descriptor owned by {@code newOwner}. */
    public SecurityDescriptor withOwner(SecurityIdentifier newOwner) {
        return new SecurityDescriptor(newOwner, group, daclFlags, entries, daclPresent);
    }

    /**
     * Only the parts {@code parts} names ({@link #OWNER} | {@link #GROUP} | {@link #DACL}): what a read with the
     * SD flags control returns. {@code selected(OWNER).toBinary()} holds the owner and nothing else.
     */
    public SecurityDescriptor selected(int parts) {
        boolean dacl = (parts & DACL) != 0 && daclPresent;
        return new SecurityDescriptor((parts & OWNER) != 0 ? owner : null, (parts & GROUP) != 0 ? group : null,
                dacl ? daclFlags : "", dacl ? entries : List.of(), dacl);
    }

    /**
     * This descriptor with the parts {@code parts} names taken from {@code written}, where {@code written} holds
     * them: how AD applies a write of {@code nTSecurityDescriptor} under the SD flags control (and, without it,
     * keeps the owner of a written descriptor that names none). {@code samba-tool dsacl set} and impacket's
     * {@code dacledit} read and write the DACL alone this way.
     */
    public SecurityDescriptor replacing(SecurityDescriptor written, int parts) {
        boolean dacl = (parts & DACL) != 0 && written.daclPresent;
        return new SecurityDescriptor((parts & OWNER) != 0 && written.owner != null ? written.owner : owner,
                (parts & GROUP) != 0 && written.group != null ? written.group : group,
                dacl ? written.daclFlags : daclFlags, dacl ? written.entries : entries, dacl || daclPresent);
    }

    /**
     * Reads a stored {@code nTSecurityDescriptor} value: the binary self-relative form, or the SDDL text the lab's
     * stores held before it used the binary form (aliases resolved against {@code domainSid}).
     *
     * @throws IllegalArgumentException naming what is wrong, when the value is neither
     */
    public static SecurityDescriptor decode(byte[] value, SecurityIdentifier domainSid) {
        if (value == null || value.length == 0) {
            throw new IllegalArgumentException("empty security descriptor");
        }
        return isBinary(value) ? fromBinary(value) : parse(new String(value, java.nio.charset.StandardCharsets.UTF_8), domainSid);
    }

    /** Whether {@code value} is in the binary form (revision 1, Sbz1 0) rather than SDDL text (which starts with a letter). */
    public static boolean isBinary(byte[] value) {
        return SelfRelativeForm.isSelfRelative(value);
    }

    /** The binary self-relative form ([MS-DTYP] 2.4.6) of every part this descriptor holds. */
    public byte[] toBinary() {
        return SelfRelativeForm.write(this);
    }

    /**
     * Reads the binary self-relative form. The SACL, if any, is skipped (the lab keeps none); ACEs keep their
     * order, flags, masks and GUIDs exactly. Every offset and size is checked against the value before it is
     * followed, so a value a client writes can only be refused, never read past its end.
     *
     * @throws IllegalArgumentException naming the offset and what is wrong, for anything else
     */
    public static SecurityDescriptor fromBinary(byte[] value) {
        return SelfRelativeForm.read(value);
    }

    /**
     * Parses SDDL. Domain-relative aliases ({@code DA}, {@code DU}, {@code DC}, {@code EA}, ...) resolve
     * against {@code domainSid}; the SACL, if any, is ignored.
     */
    public static SecurityDescriptor parse(String sddl, SecurityIdentifier domainSid) {
        if (sddl == null || sddl.isBlank()) {
            throw new IllegalArgumentException("empty security descriptor");
        }
        String text = sddl.replaceAll("\\s", "");
        int sacl = text.indexOf("S:");
        String withoutSacl = sacl >= 0 && text.indexOf("D:") < sacl ? text.substring(0, sacl) : text;
        SecurityIdentifier owner = null;
        SecurityIdentifier group = null;
        Matcher o = Pattern.compile("O:([A-Z]{2}|S-[0-9-]+)").matcher(withoutSacl);
        if (o.find()) {
            owner = sid(o.group(1), domainSid);
        }
        Matcher g = Pattern.compile("G:([A-Z]{2}|S-[0-9-]+)").matcher(withoutSacl);
        if (g.find()) {
            group = sid(g.group(1), domainSid);
        }
        int d = withoutSacl.indexOf("D:");
        if (d < 0) {
            throw new IllegalArgumentException("security descriptor without a DACL (no 'D:'): " + sddl);
        }
        String dacl = withoutSacl.substring(d + 2);
        int firstAce = dacl.indexOf('(');
        String flags = firstAce < 0 ? dacl : dacl.substring(0, firstAce);
        List<AccessControlEntry> entries = new ArrayList<>();
        Matcher ace = ACE.matcher(firstAce < 0 ? "" : dacl.substring(firstAce));
        while (ace.find()) {
            entries.add(parseAce(ace.group(1), domainSid, sddl));
        }
        return new SecurityDescriptor(owner, group, flags, entries);
    }

    private static AccessControlEntry parseAce(String text, SecurityIdentifier domainSid, String sddl) {
        String[] f = text.split(";", -1);
        if (f.length != 6) {
            throw new IllegalArgumentException("ACE needs 6 fields (type;flags;rights;object;inherit;sid): (" + text + ") in " + sddl);
        }
        boolean allow = switch (f[0]) {
            case "A", "OA" -> true;
            case "D", "OD" -> false;
            default -> throw new IllegalArgumentException("unsupported ACE type '" + f[0] + "' in (" + text + ")");
        };
        try {
            SelfRelativeForm.aceFlags(f[1]);
            if (!f[3].isEmpty()) {
                SelfRelativeForm.guidBytes(f[3]);
            }
            if (!f[4].isEmpty()) {
                SelfRelativeForm.guidBytes(f[4]);
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " in (" + text + ")", e);
        }
        return new AccessControlEntry(allow, parseRights(f[2], text), f[3], f[4], f[1], sid(f[5], domainSid));
    }

    private static int parseRights(String rights, String ace) {
        if (rights.startsWith("0x") || rights.startsWith("0X")) {
            return (int) Long.parseLong(rights.substring(2), 16);
        }
        if (rights.length() % 2 != 0) {
            throw new IllegalArgumentException("bad rights '" + rights + "' in (" + ace + ")");
        }
        int mask = 0;
        for (int i = 0; i < rights.length(); i += 2) {
            String code = rights.substring(i, i + 2);
            Integer bit = RIGHTS.containsKey(code) ? RIGHTS.get(code) : GENERIC.get(code);
            if (bit == null) {
                throw new IllegalArgumentException("unknown right '" + code + "' in (" + ace + ")");
            }
            mask |= bit;
        }
        return mask;
    }

    /** Renders SDDL, writing well-known SIDs with their aliases as Windows does. */
    public String toSddl(SecurityIdentifier domainSid) {
        StringBuilder text = new StringBuilder();
        if (owner != null) {
            text.append("O:").append(alias(owner, domainSid));
        }
        if (group != null) {
            text.append("G:").append(alias(group, domainSid));
        }
        if (!daclPresent) {
            return text.toString();
        }
        text.append("D:").append(daclFlags);
        for (AccessControlEntry e : entries) {
            text.append('(').append(e.isObjectAce() ? "O" : "").append(e.allow() ? "A" : "D").append(';')
                    .append(e.flags()).append(';').append(rights(e.mask())).append(';')
                    .append(e.objectType() == null ? "" : e.objectType()).append(';')
                    .append(e.inheritedObjectType() == null ? "" : e.inheritedObjectType()).append(';')
                    .append(alias(e.trustee(), domainSid)).append(')');
        }
        return text.toString();
    }

    private static String rights(int mask) {
        StringBuilder text = new StringBuilder();
        int rest = mask;
        for (Map.Entry<String, Integer> right : RIGHTS.entrySet()) {
            if ((mask & right.getValue()) != 0) {
                text.append(right.getKey());
                rest &= ~right.getValue();
            }
        }
        return rest == 0 ? text.toString() : String.format(Locale.ROOT, "0x%x", mask);
    }

    private static final Map<String, Integer> DOMAIN_ALIASES = Map.of(
            "LA", RelativeIds.ADMINISTRATOR, "DA", RelativeIds.DOMAIN_ADMINS, "DU", RelativeIds.DOMAIN_USERS,
            "DC", RelativeIds.DOMAIN_COMPUTERS, "DD", RelativeIds.DOMAIN_CONTROLLERS, "CA", RelativeIds.CERT_PUBLISHERS,
            "SA", RelativeIds.SCHEMA_ADMINS, "EA", RelativeIds.ENTERPRISE_ADMINS);
    private static final Map<String, SecurityIdentifier> FIXED_ALIASES = Map.of(
            "AU", SecurityIdentifier.AUTHENTICATED_USERS, "WD", SecurityIdentifier.EVERYONE,
            "SY", SecurityIdentifier.LOCAL_SYSTEM, "ED", SecurityIdentifier.ENTERPRISE_DOMAIN_CONTROLLERS,
            "BA", SecurityIdentifier.BUILTIN_ADMINISTRATORS);

    private static SecurityIdentifier sid(String text, SecurityIdentifier domainSid) {
        if (FIXED_ALIASES.containsKey(text)) {
            return FIXED_ALIASES.get(text);
        }
        if (DOMAIN_ALIASES.containsKey(text)) {
            return domainSid.withRid(DOMAIN_ALIASES.get(text));
        }
        return SecurityIdentifier.parse(text);
    }

    private static String alias(SecurityIdentifier sid, SecurityIdentifier domainSid) {
        for (Map.Entry<String, SecurityIdentifier> fixed : FIXED_ALIASES.entrySet()) {
            if (fixed.getValue().equals(sid)) {
                return fixed.getKey();
            }
        }
        if (sid.isInDomain(domainSid)) {
            for (Map.Entry<String, Integer> alias : DOMAIN_ALIASES.entrySet()) {
                if (alias.getValue() == sid.rid()) {
                    return alias.getKey();
                }
            }
        }
        return sid.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SecurityDescriptor other && java.util.Objects.equals(owner, other.owner)
                && java.util.Objects.equals(group, other.group) && daclFlags.equals(other.daclFlags)
                && daclPresent == other.daclPresent && entries.equals(other.entries);
    }

    @Override
    public int hashCode() {
        return entries.hashCode();
    }

    @Override
    public String toString() {
        return "SecurityDescriptor" + entries;
    }
}
