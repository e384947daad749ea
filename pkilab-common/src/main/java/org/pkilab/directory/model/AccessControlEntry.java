package org.pkilab.directory.model;

import java.util.Locale;

/**
 * One access-control entry of a DACL, in the shape SDDL writes it:
 * {@code (OA;;CR;0e10c968-78fb-11d2-90d4-00c04f79dc55;;S-1-5-21-1-2-3-1104)} allows the account or group
 * with that SID the Enroll extended right.
 *
 * <p>In the binary form AD stores ([MS-DTYP] 2.4.4) the same entry is an {@code ACCESS_ALLOWED_OBJECT_ACE}
 * (type 5; 6 for deny) whose {@code ObjectType} GUID is written with its first three fields little-endian;
 * an entry without GUIDs is an {@code ACCESS_ALLOWED_ACE} (type 0; 1 for deny).
 *
 * @param allow true for an allow ACE ({@code A}/{@code OA}), false for a deny ACE ({@code D}/{@code OD})
 * @param mask the access mask ([MS-ADTS] 5.1.3.2), generic rights already mapped to directory rights
 * @param objectType the extended right or property-set GUID of an object ACE, lower case; null otherwise
 * @param inheritedObjectType the class of the child objects an inheritable object ACE applies to, lower case;
 *                            null for an entry that names none
 * @param flags the ACE flags as SDDL letters ({@code CI}, {@code IO}, {@code ID}, ...), in SDDL's order
 * @param trustee who the entry is about
 */
public record AccessControlEntry(boolean allow, int mask, String objectType, String inheritedObjectType, String flags,
                                 SecurityIdentifier trustee) {

    public static final int CREATE_CHILD = 0x1;
    public static final int DELETE_CHILD = 0x2;
    public static final int LIST_CHILDREN = 0x4;
    public static final int SELF_WRITE = 0x8;
    public static final int READ_PROPERTY = 0x10;
    public static final int WRITE_PROPERTY = 0x20;
    public static final int DELETE_TREE = 0x40;
    public static final int LIST_OBJECT = 0x80;
    public static final int CONTROL_ACCESS = 0x100;
    public static final int DELETE = 0x10000;
    public static final int READ_CONTROL = 0x20000;
    public static final int WRITE_DAC = 0x40000;
    public static final int WRITE_OWNER = 0x80000;

    /** What the Read checkbox writes: {@code LCRPLORC}. */
    public static final int READ_MASK = LIST_CHILDREN | READ_PROPERTY | LIST_OBJECT | READ_CONTROL;
    /** What the Write checkbox writes: {@code SWWP}. */
    public static final int WRITE_MASK = SELF_WRITE | WRITE_PROPERTY;
    /** Every standard and directory right: {@code CCDCLCSWRPWPDTLOCRSDRCWDWO}. */
    public static final int FULL_CONTROL_MASK = 0xF01FF;

    public AccessControlEntry {
        if (trustee == null) {
            throw new IllegalArgumentException("an ACE needs a trustee");
        }
        objectType = objectType == null || objectType.isEmpty() ? null : objectType.toLowerCase(Locale.ROOT);
        inheritedObjectType = inheritedObjectType == null || inheritedObjectType.isEmpty() ? null
                : inheritedObjectType.toLowerCase(Locale.ROOT);
        flags = flags == null ? "" : flags;
    }

    /** An entry that names no class of child objects, as the Security tab writes them. */
    public AccessControlEntry(boolean allow, int mask, String objectType, String flags, SecurityIdentifier trustee) {
        this(allow, mask, objectType, null, flags, trustee);
    }

    /** Whether the entry is an object ACE (SDDL {@code OA}/{@code OD}): it names an object type or an inherited one. */
    public boolean isObjectAce() {
        return objectType != null || inheritedObjectType != null;
    }

    public static AccessControlEntry of(boolean allow, int mask, SecurityIdentifier trustee) {
        return new AccessControlEntry(allow, mask, null, "", trustee);
    }

    public static AccessControlEntry extendedRight(boolean allow, AccessRight right, SecurityIdentifier trustee) {
        return new AccessControlEntry(allow, CONTROL_ACCESS, right.extendedRightGuid(), "", trustee);
    }

    /**
     * Whether the entry takes part in access checks on the object whose DACL holds it. An inherit-only entry
     * ({@code IO}, {@code INHERIT_ONLY_ACE} 0x08) is there only for children to inherit: [MS-DTYP] 2.5.3.2's access
     * check skips it, so {@code (A;CIIO;WP;;;DU)} on a template gives Domain Users nothing on the template. An entry
     * naming an inherited object type ({@code (OA;CI;WP;;bf967aba-...;DU)}, "Descendant User objects") applies to
     * objects of that class; AD marks it inherit-only on an object of any other class when the descriptor is written.
     * The lab propagates nothing to children and does not compare classes: such an entry applies to no object here.
     */
    public boolean appliesToObject() {
        if (inheritedObjectType != null) {
            return false;
        }
        for (int i = 0; i + 1 < flags.length(); i += 2) {
            if (flags.startsWith("IO", i)) {
                return false;
            }
        }
        return true;
    }

    /** Whether this entry, on its own, carries {@code right} on the object whose DACL holds it. */
    public boolean carries(AccessRight right) {
        if (!appliesToObject()) {
            return false;
        }
        return switch (right) {
            case READ -> objectType == null && (mask & READ_PROPERTY) != 0;
            case WRITE -> objectType == null && (mask & WRITE_PROPERTY) != 0;
            case FULL_CONTROL -> objectType == null && (mask & FULL_CONTROL_MASK) == FULL_CONTROL_MASK;
            case ENROLL, AUTOENROLL, APPLY_GROUP_POLICY -> (mask & CONTROL_ACCESS) != 0
                    && (objectType == null || objectType.equals(right.extendedRightGuid()));
        };
    }

    public AccessControlEntry withMask(int newMask) {
        return new AccessControlEntry(allow, newMask, objectType, inheritedObjectType, flags, trustee);
    }
}
