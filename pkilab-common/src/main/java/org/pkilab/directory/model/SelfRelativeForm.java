package org.pkilab.directory.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A {@link SecurityDescriptor} in AD's binary self-relative form ([MS-DTYP] 2.4.6 {@code SECURITY_DESCRIPTOR_RELATIVE}),
 * the value of {@code nTSecurityDescriptor} that {@code ldapsearch}, ldap3, impacket's {@code SR_SECURITY_DESCRIPTOR}
 * and samba-tool read and write. "Self-relative" because every part is found by its offset from the start of the
 * value, so the descriptor is one contiguous run of bytes, unlike the "absolute" form Windows keeps in memory with
 * pointers.
 *
 * <p>The binary form, as Windows lays it out: a 20-byte header (revision 1, control flags such as
 * {@code SE_DACL_PRESENT} 0x0004, {@code SE_DACL_AUTO_INHERITED} 0x0400, {@code SE_DACL_PROTECTED} 0x1000 and
 * {@code SE_SELF_RELATIVE} 0x8000, then the offsets of owner, group, SACL and DACL), the DACL (an {@code ACL}
 * header and its ACEs in order), the owner SID and the group SID. Parts the SD flags control left out
 * ({@link SecurityDescriptor#selected(int)}) have offset 0. The lab keeps no SACL (no auditing): one read is dropped.
 * Everything is little-endian except a SID's 6-byte identifier authority; a GUID in an object ACE is stored with
 * Data1, Data2 and Data3 little-endian, so {@code 0e10c968-78fb-11d2-90d4-00c04f79dc55} starts {@code 68 c9 10 0e}.
 *
 * <p>{@code D:(A;;RC;;;AU)}, Authenticated Users allowed Read Permissions, is 48 bytes:
 * <pre>
 * 01 00 04 80  00000000 00000000 00000000 14000000   header: revision 1, control 0x8004, no owner, group or SACL, DACL at 20
 * 02 00 1c 00  01 00 00 00                            ACL: revision 2, 28 bytes, 1 ACE
 * 00 00 14 00  00 00 02 00                            ACE: ACCESS_ALLOWED_ACE_TYPE, no flags, 20 bytes, mask 0x20000 (RC)
 * 01 01 00 00 00 00 00 05 0b 00 00 00                 the ACE's SID: S-1-5-11
 * </pre>
 *
 * <p>Reading checks every offset and size against the value before following it, so a value a client writes can
 * only be refused, naming the offset, never read past its end.
 */
final class SelfRelativeForm {

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

    private SelfRelativeForm() {
    }

    /** Whether {@code value} is in the binary form (revision 1, Sbz1 0) rather than SDDL text (which starts with a letter). */
    static boolean isSelfRelative(byte[] value) {
        return value != null && value.length >= 2 && value[0] == 1 && value[1] == 0;
    }

    /** The binary self-relative form of every part {@code sd} holds. */
    static byte[] write(SecurityDescriptor sd) {
        SecurityIdentifier owner = sd.owner();
        SecurityIdentifier group = sd.group();
        boolean daclPresent = sd.hasDacl();
        java.io.ByteArrayOutputStream dacl = new java.io.ByteArrayOutputStream();
        if (daclPresent) {
            writeAcl(dacl, sd.entries());
        }
        byte[] ownerBytes = owner == null ? new byte[0] : owner.toBytes();
        byte[] groupBytes = group == null ? new byte[0] : group.toBytes();
        int control = SE_SELF_RELATIVE | (daclPresent ? SE_DACL_PRESENT | daclControl(sd.daclFlags()) : 0);
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

    private static void writeAcl(java.io.ByteArrayOutputStream acl, List<AccessControlEntry> entries) {
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
     * Reads the binary self-relative form; {@link SecurityDescriptor#fromBinary(byte[])} says what it keeps.
     *
     * @throws IllegalArgumentException naming the offset and what is wrong
     */
    static SecurityDescriptor read(byte[] value) {
        try {
            return readBinary(value);
        } catch (IndexOutOfBoundsException e) {
            // readBinary checks every bound; should one have been missed, the caller still gets a refusal, not a crash
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

    static int daclControl(String daclFlags) {
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

    static int aceFlags(String letters) {
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
    static byte[] guidBytes(String guid) {
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
}
