package org.pkilab.directory.model;

import java.util.Locale;

/**
 * The permissions the Security tab of a certificate template (or a GPO's delegation) shows as
 * checkboxes, and the access mask or extended right each one stands for in the object's DACL.
 *
 * <p>Enroll and Autoenroll are extended rights ("control access", {@code CR}) named by a GUID
 * ([MS-CRTD] 2.5.2): an object ACE {@code (OA;;CR;0e10c968-78fb-11d2-90d4-00c04f79dc55;;DC)} lets Domain
 * Computers enroll. An ACE with {@code CR} and no GUID grants every extended right, which is why Full
 * Control implies Enroll and Autoenroll.
 */
public enum AccessRight {
    /** "Read": list, read properties, read permissions ({@code LCRPLORC}). */
    READ(null),
    /** "Write": write properties ({@code WP}). */
    WRITE(null),
    /** "Enroll": the Certificate-Enrollment extended right. */
    ENROLL("0e10c968-78fb-11d2-90d4-00c04f79dc55"),
    /** "Autoenroll": the Certificate-AutoEnrollment extended right. */
    AUTOENROLL("a05b8cc2-17bc-4802-a710-e7c15ab866a2"),
    /** "Full Control": every standard right and every extended right ({@code CCDCLCSWRPWPDTLOCRSDRCWDWO}). */
    FULL_CONTROL(null),
    /** "Apply group policy" on a GPO: the Apply-Group-Policy extended right (security filtering). */
    APPLY_GROUP_POLICY("edacfd8f-ffb3-11d1-b41d-00a0c968f939");

    private final String extendedRightGuid;

    AccessRight(String extendedRightGuid) {
        this.extendedRightGuid = extendedRightGuid;
    }

    /** The extended right's GUID, or null for a right carried by the access mask alone. */
    public String extendedRightGuid() {
        return extendedRightGuid;
    }

    /** The name the Security tab shows: "Read", "Write", "Enroll", "Autoenroll", "Full Control". */
    public String displayName() {
        return switch (this) {
            case READ -> "Read";
            case WRITE -> "Write";
            case ENROLL -> "Enroll";
            case AUTOENROLL -> "Autoenroll";
            case FULL_CONTROL -> "Full Control";
            case APPLY_GROUP_POLICY -> "Apply group policy";
        };
    }

    /** Accepts the display name or the constant name, in any case: "Full Control", "full_control", "enroll". */
    public static AccessRight parse(String text) {
        String key = text == null ? "" : text.trim().replace(' ', '_').toUpperCase(Locale.ROOT);
        for (AccessRight right : values()) {
            if (right.name().equals(key)) {
                return right;
            }
        }
        throw new IllegalArgumentException("unknown permission '" + text
                + "'; expected one of Read, Write, Enroll, Autoenroll, Full Control, Apply group policy");
    }
}
