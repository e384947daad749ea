package org.pkilab.directory.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
 * since labs made before the binary form kept the text.
 *
 * <p>The binary form, as Windows lays it out: a 20-byte header (revision 1, control flags such as
 * {@code SE_DACL_PRESENT} 0x0004, {@code SE_DACL_AUTO_INHERITED} 0x0400, {@code SE_DACL_PROTECTED} 0x1000 and
 * {@code SE_SELF_RELATIVE} 0x8000, then the offsets of owner, group, SACL and DACL), the DACL (an {@code ACL}
 * header and its ACEs in order), the owner SID and the group SID. Parts the SD flags control left out
 * ({@link #selected(int)}) have offset 0. The lab keeps no SACL (no auditing): one read is dropped.
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

    private static final int SE_DACL_PRESENT = 0x0004;
    private static final int SE_SACL_PRESENT = 0x0010;
    private static final int SE_DACL_AUTO_INHERIT_REQ = 0x0100;
    private static final int SE_DACL_AUTO_INHERITED = 0x0400;
    private static final int SE_DACL_PROTECTED = 0x1000;
    private static final int SE_SELF_RELATIVE = 0x8000;
    private static final int ACL_REVISION = 2;
    private static final int ACL_REVISION_DS = 4;
    private static final int ACCESS_ALLOWED_ACE_TYPE = 0;
    private static final int ACCESS_DENIED_ACE_TYPE = 1;
    private static final int ACCESS_ALLOWED_OBJECT_ACE_TYPE = 5;
    private static final int ACCESS_DENIED_OBJECT_ACE_TYPE = 6;
    private static final int ACE_OBJECT_TYPE_PRESENT = 0x1;
    private static final int ACE_INHERITED_OBJECT_TYPE_PRESENT = 0x2;
    /** SDDL's ACE flag letters and their bits ([MS-DTYP] 2.4.4.1), in the order Windows writes them. */
    private static final Map<String, Integer> ACE_FLAGS = new LinkedHashMap<>();

    static {
        ACE_FLAGS.put("OI", 0x01);
        ACE_FLAGS.put("CI", 0x02);
        ACE_FLAGS.put("NP", 0x04);
        ACE_FLAGS.put("IO", 0x08);
        ACE_FLAGS.put("ID", 0x10);
        ACE_FLAGS.put("SA", 0x40);
        ACE_FLAGS.put("FA", 0x80);
    }

    private final SecurityIdentifier owner;
    private final SecurityIdentifier group;
    private final String daclFlags;
    private final List<AccessControlEntry> entries;
    private final boolean daclPresent;

    public SecurityDescriptor(SecurityIdentifier owner, SecurityIdentifier group, String daclFlags,
                              List<AccessControlEntry> entries) {
        this(owner, group, daclFlags, entries, true);
    }

    private SecurityDescriptor(SecurityIdentifier owner, SecurityIdentifier group, String daclFlags,
                               List<AccessControlEntry> entries, boolean daclPresent) {
        this.owner = owner;
        this.group = group;
        this.daclFlags = daclFlags == null ? "" : daclFlags;
        this.entries = List.copyOf(entries);
        this.daclPresent = daclPresent;
        daclControl(this.daclFlags);
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
        return value != null && value.length >= 2 && value[0] == 1 && value[1] == 0;
    }

    /** The binary self-relative form ([MS-DTYP] 2.4.6) of every part this descriptor holds. */
    public byte[] toBinary() {
        java.io.ByteArrayOutputStream dacl = new java.io.ByteArrayOutputStream();
        if (daclPresent) {
            writeAcl(dacl);
        }
        byte[] ownerBytes = owner == null ? new byte[0] : owner.toBytes();
        byte[] groupBytes = group == null ? new byte[0] : group.toBytes();
        int control = SE_SELF_RELATIVE | (daclPresent ? SE_DACL_PRESENT | daclControl(daclFlags) : 0);
        int offset = 20;
        int daclOffset = daclPresent ? offset : 0;
        offset += dacl.size();
        int ownerOffset = owner == null ? 0 : offset;
        offset += ownerBytes.length;
        int groupOffset = group == null ? 0 : offset;
        offset += groupBytes.length;
        ByteBuffer out = ByteBuffer.allocate(offset).order(ByteOrder.LITTLE_ENDIAN);
        out.put((byte) 1).put((byte) 0).putShort((short) control)
                .putInt(ownerOffset).putInt(groupOffset).putInt(0).putInt(daclOffset)
                .put(dacl.toByteArray()).put(ownerBytes).put(groupBytes);
        return out.array();
    }

    private void writeAcl(java.io.ByteArrayOutputStream acl) {
        java.io.ByteArrayOutputStream aces = new java.io.ByteArrayOutputStream();
        boolean objectAces = false;
        for (AccessControlEntry entry : entries) {
            byte[] ace = aceBytes(entry);
            aces.write(ace, 0, ace.length);
            objectAces |= entry.isObjectAce();
        }
        ByteBuffer header = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        header.put((byte) (objectAces ? ACL_REVISION_DS : ACL_REVISION)).put((byte) 0)
                .putShort((short) (8 + aces.size())).putShort((short) entries.size()).putShort((short) 0);
        acl.write(header.array(), 0, 8);
        acl.write(aces.toByteArray(), 0, aces.size());
    }

    private static byte[] aceBytes(AccessControlEntry entry) {
        byte[] sid = entry.trustee().toBytes();
        boolean object = entry.isObjectAce();
        int size = 8 + (object ? 4 : 0) + (entry.objectType() != null ? 16 : 0)
                + (entry.inheritedObjectType() != null ? 16 : 0) + sid.length;
        ByteBuffer ace = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        int type = object ? (entry.allow() ? ACCESS_ALLOWED_OBJECT_ACE_TYPE : ACCESS_DENIED_OBJECT_ACE_TYPE)
                : (entry.allow() ? ACCESS_ALLOWED_ACE_TYPE : ACCESS_DENIED_ACE_TYPE);
        ace.put((byte) type).put((byte) aceFlags(entry.flags())).putShort((short) size).putInt(entry.mask());
        if (object) {
            ace.putInt((entry.objectType() != null ? ACE_OBJECT_TYPE_PRESENT : 0)
                    | (entry.inheritedObjectType() != null ? ACE_INHERITED_OBJECT_TYPE_PRESENT : 0));
            if (entry.objectType() != null) {
                ace.put(guidBytes(entry.objectType()));
            }
            if (entry.inheritedObjectType() != null) {
                ace.put(guidBytes(entry.inheritedObjectType()));
            }
        }
        return ace.put(sid).array();
    }

    /**
     * Reads the binary self-relative form. The SACL, if any, is skipped (the lab keeps none); ACEs keep their
     * order, flags, masks and GUIDs exactly. Every offset and size is checked against the value before it is
     * followed, so a value a client writes can only be refused, never read past its end.
     *
     * @throws IllegalArgumentException naming the offset and what is wrong, for anything else
     */
    public static SecurityDescriptor fromBinary(byte[] value) {
        try {
            return readBinary(value);
        } catch (IndexOutOfBoundsException e) {
            // every bound is checked above; should one have been missed, the caller still gets a refusal, not a crash
            throw new IllegalArgumentException("security descriptor of " + value.length + " bytes is malformed: a part "
                    + "runs past its end (" + e.getMessage() + ")", e);
        }
    }

    private static SecurityDescriptor readBinary(byte[] value) {
        if (value == null || value.length < 20) {
            throw new IllegalArgumentException("not a security descriptor: " + (value == null ? "null" : value.length
                    + " bytes end before offset 20, the end of a self-relative descriptor's header"));
        }
        ByteBuffer in = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        if (in.get(0) != 1 || in.get(1) != 0) {
            throw new IllegalArgumentException("not a security descriptor: revision " + in.get(0) + ", Sbz1 " + in.get(1)
                    + " at offset 0 (expected 1 and 0)");
        }
        int control = in.getShort(2) & 0xFFFF;
        if ((control & SE_SELF_RELATIVE) == 0) {
            throw new IllegalArgumentException("security descriptor is not self-relative (control 0x"
                    + Integer.toHexString(control) + " at offset 2 lacks SE_SELF_RELATIVE 0x8000)");
        }
        SecurityIdentifier owner = sidAt(value, value.length, in.getInt(4), "owner");
        SecurityIdentifier group = sidAt(value, value.length, in.getInt(8), "group");
        int daclOffset = in.getInt(16);
        boolean daclPresent = (control & SE_DACL_PRESENT) != 0 && daclOffset != 0;
        List<AccessControlEntry> entries = daclPresent ? readAcl(value, daclOffset) : List.of();
        StringBuilder flags = new StringBuilder();
        if ((control & SE_DACL_PROTECTED) != 0) {
            flags.append('P');
        }
        if ((control & SE_DACL_AUTO_INHERIT_REQ) != 0) {
            flags.append("AR");
        }
        if ((control & SE_DACL_AUTO_INHERITED) != 0) {
            flags.append("AI");
        }
        return new SecurityDescriptor(owner, group, daclPresent ? flags.toString() : "", entries, daclPresent);
    }

    /**
     * The SID at {@code offset}, which must lie within {@code value[20..end)}; 0 means none. Offsets are compared
     * by subtraction from the end, never by adding to them: an offset near 2^31 must not wrap round.
     */
    private static SecurityIdentifier sidAt(byte[] value, int end, int offset, String part) {
        if (offset == 0) {
            return null;
        }
        if (offset < 20 || offset > end - 8) {
            throw new IllegalArgumentException("security descriptor's " + part + " offset " + Integer.toUnsignedString(offset)
                    + " lies outside its " + end + " bytes");
        }
        int length = 8 + 4 * (value[offset + 1] & 0xFF);
        if (length > end - offset) {
            throw new IllegalArgumentException("security descriptor's " + part + " SID at offset " + offset + " claims "
                    + length + " bytes; it must end by offset " + end);
        }
        try {
            return SecurityIdentifier.fromBytes(java.util.Arrays.copyOfRange(value, offset, offset + length));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("security descriptor's " + part + " SID at offset " + offset + ": " + e.getMessage(), e);
        }
    }

    private static List<AccessControlEntry> readAcl(byte[] value, int offset) {
        if (offset < 20 || offset > value.length - 8) {
            throw new IllegalArgumentException("DACL offset " + Integer.toUnsignedString(offset) + " lies outside the descriptor's "
                    + value.length + " bytes");
        }
        ByteBuffer in = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        int aclSize = in.getShort(offset + 2) & 0xFFFF;
        int count = in.getShort(offset + 4) & 0xFFFF;
        if (aclSize < 8 || aclSize > value.length - offset) {
            throw new IllegalArgumentException("DACL at offset " + offset + " claims " + aclSize + " bytes; "
                    + (aclSize < 8 ? "its header alone takes 8" : "the descriptor ends first, at offset " + value.length));
        }
        int end = offset + aclSize;
        List<AccessControlEntry> entries = new ArrayList<>(Math.min(count, aclSize / 16));
        int at = offset + 8;
        for (int i = 0; i < count; i++) {
            if (at > end - 8) {
                throw new IllegalArgumentException("DACL at offset " + offset + " claims " + count + " ACEs; ACE " + i
                        + " at offset " + at + " lies past its end, offset " + end);
            }
            int type = value[at] & 0xFF;
            int aceFlags = value[at + 1] & 0xFF;
            int size = in.getShort(at + 2) & 0xFFFF;
            if (size < 16 || size > end - at) {
                throw new IllegalArgumentException("ACE " + i + " at offset " + at + " has a bad size " + size + " (at least 16, "
                        + "and the DACL ends at offset " + end + ")");
            }
            int aceEnd = at + size;
            int mask = in.getInt(at + 4);
            boolean allow;
            String objectType = null;
            String inheritedObjectType = null;
            int sidAt = at + 8;
            switch (type) {
                case ACCESS_ALLOWED_ACE_TYPE, ACCESS_DENIED_ACE_TYPE -> allow = type == ACCESS_ALLOWED_ACE_TYPE;
                case ACCESS_ALLOWED_OBJECT_ACE_TYPE, ACCESS_DENIED_OBJECT_ACE_TYPE -> {
                    allow = type == ACCESS_ALLOWED_OBJECT_ACE_TYPE;
                    int present = in.getInt(at + 8);
                    sidAt = at + 12;
                    if ((present & ACE_OBJECT_TYPE_PRESENT) != 0) {
                        objectType = guidText(value, guidAt(sidAt, aceEnd, i, at, "ObjectType"));
                        sidAt += 16;
                    }
                    if ((present & ACE_INHERITED_OBJECT_TYPE_PRESENT) != 0) {
                        inheritedObjectType = guidText(value, guidAt(sidAt, aceEnd, i, at, "InheritedObjectType"));
                        sidAt += 16;
                    }
                }
                default -> throw new IllegalArgumentException("ACE " + i + " at offset " + at + " is of type " + type
                        + "; the lab reads access-allowed and access-denied ACEs (0, 1) and their object forms (5, 6), "
                        + "what AD's DACLs hold");
            }
            if (sidAt > aceEnd - 8) {
                throw new IllegalArgumentException("ACE " + i + " at offset " + at + " is too short for its SID at offset "
                        + sidAt + ": it ends at offset " + aceEnd);
            }
            SecurityIdentifier trustee = sidAt(value, aceEnd, sidAt, "ACE " + i + " trustee");
            entries.add(new AccessControlEntry(allow, mask, objectType, inheritedObjectType, aceFlagLetters(aceFlags, i, at), trustee));
            at = aceEnd;
        }
        return entries;
    }

    /** Where an object ACE's GUID starts, once it is known to end inside the ACE. */
    private static int guidAt(int guidAt, int aceEnd, int ace, int aceAt, String field) {
        if (guidAt > aceEnd - 16) {
            throw new IllegalArgumentException("ACE " + ace + " at offset " + aceAt + " is too short for its " + field
                    + " GUID at offset " + guidAt + ": it ends at offset " + aceEnd);
        }
        return guidAt;
    }

    private static int daclControl(String daclFlags) {
        int control = 0;
        String rest = daclFlags;
        while (!rest.isEmpty()) {
            if (rest.startsWith("P")) {
                control |= SE_DACL_PROTECTED;
                rest = rest.substring(1);
            } else if (rest.startsWith("AR")) {
                control |= SE_DACL_AUTO_INHERIT_REQ;
                rest = rest.substring(2);
            } else if (rest.startsWith("AI")) {
                control |= SE_DACL_AUTO_INHERITED;
                rest = rest.substring(2);
            } else {
                throw new IllegalArgumentException("unknown DACL flag in '" + daclFlags + "' (SDDL knows P, AR, AI)");
            }
        }
        return control;
    }

    private static int aceFlags(String letters) {
        if (letters.length() % 2 != 0) {
            throw new IllegalArgumentException("bad ACE flags '" + letters + "'");
        }
        int bits = 0;
        for (int i = 0; i < letters.length(); i += 2) {
            Integer bit = ACE_FLAGS.get(letters.substring(i, i + 2));
            if (bit == null) {
                throw new IllegalArgumentException("unknown ACE flag '" + letters.substring(i, i + 2) + "' in '" + letters
                        + "' (SDDL knows " + String.join(", ", ACE_FLAGS.keySet()) + ")");
            }
            bits |= bit;
        }
        return bits;
    }

    private static String aceFlagLetters(int bits, int ace, int at) {
        StringBuilder letters = new StringBuilder();
        int rest = bits;
        for (Map.Entry<String, Integer> flag : ACE_FLAGS.entrySet()) {
            if ((bits & flag.getValue()) != 0) {
                letters.append(flag.getKey());
                rest &= ~flag.getValue();
            }
        }
        if (rest != 0) {
            throw new IllegalArgumentException("ACE " + ace + " at offset " + at + " has undefined flag bits 0x"
                    + Integer.toHexString(rest));
        }
        return letters.toString();
    }

    /** A GUID's 16 bytes as Windows stores them: Data1, Data2, Data3 little-endian, Data4 as written. */
    private static byte[] guidBytes(String guid) {
        java.util.UUID uuid;
        try {
            uuid = java.util.UUID.fromString(guid);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a GUID: " + guid);
        }
        ByteBuffer big = ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits());
        byte[] b = big.array();
        return new byte[] {b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]};
    }

    private static String guidText(byte[] v, int at) {
        return String.format(Locale.ROOT, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                v[at + 3], v[at + 2], v[at + 1], v[at], v[at + 5], v[at + 4], v[at + 7], v[at + 6],
                v[at + 8], v[at + 9], v[at + 10], v[at + 11], v[at + 12], v[at + 13], v[at + 14], v[at + 15]);
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
            aceFlags(f[1]);
            if (!f[3].isEmpty()) {
                guidBytes(f[3]);
            }
            if (!f[4].isEmpty()) {
                guidBytes(f[4]);
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
