package org.pkilab.audit;

import java.util.List;

/**
 * Why a class does or does not apply to one object, condition by condition: what {@code pkilab audit --explain TEMPLATE}
 * prints for every class.
 *
 * <pre>
 * ESC1 on template 'Web Server' (WebServer): does not apply
 *   [true]  published: issued by Contoso-CA
 *   [false] a low-privileged principal may enroll: Enroll held only by CONTOSO\Domain Admins, CONTOSO\Enterprise Admins
 *   [true]  enrollee supplies subject: msPKI-Certificate-Name-Flag = 0x1 (CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT)
 *   [false] client authentication: pKIExtendedKeyUsage = [1.3.6.1.5.5.7.3.1 Server Authentication]
 * </pre>
 *
 * @param escClass   the class
 * @param object     what the conditions were checked on ({@code template 'Web Server'}, {@code CA Contoso-CA}, ...)
 * @param applies    whether every condition holds: then there is a finding
 * @param conditions the conditions in the order the class defines them; empty when the class is not about this object
 * @param note       why the class is not checked on this object, or a remark; empty otherwise
 */
public record Explanation(EscClass escClass, String object, boolean applies, List<Condition> conditions, String note) {

    public Explanation {
        conditions = List.copyOf(conditions);
        note = note == null ? "" : note;
    }

    /** An explanation whose class is decided on another object or not at all: no conditions, a note saying why. */
    public static Explanation notChecked(EscClass escClass, String object, String note) {
        return new Explanation(escClass, object, false, List.of(), note);
    }
}
