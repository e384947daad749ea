package org.pkilab.audit;

import org.pkilab.directory.model.AccessControlEntry;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.SecurityIdentifier;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * ESC4: a low-privileged principal may rewrite a published template, and so makes it an ESC1 template (ticks "Supply in
 * the request", adds Client Authentication, grants itself Enroll), enrolls, and puts it back. Approval and signature
 * settings do not protect a template its attacker may rewrite, so they are not conditions here.
 *
 * <p>Found on a template when every condition holds:
 * <ol>
 *   <li>a CA publishes it (an unpublished template is issued by nobody, however it is rewritten);</li>
 *   <li>a low-privileged principal, Deny applied, owns it or holds on the whole object Write Property (Write, Full
 *       Control, GenericWrite), Write DACL or Write Owner.</li>
 * </ol>
 * Write Property limited to one attribute ({@code (OA;;WP;<attribute GUID>;;...)}) is not counted.
 */
final class Esc4Check extends TemplateCheck {

    @Override
    EscClass escClass() {
        return EscClass.ESC4;
    }

    static boolean canWriteObject(SecurityDescriptor sd, Set<SecurityIdentifier> token) {
        return sd != null && ((sd.owner() != null && token.contains(sd.owner())) || sd.grants(token, AccessControlEntry.WRITE_PROPERTY)
                || sd.grants(token, AccessControlEntry.WRITE_DAC) || sd.grants(token, AccessControlEntry.WRITE_OWNER));
    }

    static String writeRights(AuditContext ctx, SecurityDescriptor sd, AuditContext.Holders who) {
        List<String> parts = new ArrayList<>();
        if (sd.owner() != null) {
            parts.add("owner " + ctx.nameOf(sd.owner()));
        }
        for (AccessControlEntry e : sd.entries()) {
            int writes = e.mask() & (AccessControlEntry.WRITE_PROPERTY | AccessControlEntry.WRITE_DAC | AccessControlEntry.WRITE_OWNER
                    | AccessControlEntry.CREATE_CHILD);
            if (e.allow() && e.objectType() == null && e.appliesToObject() && writes != 0) {
                parts.add(ctx.nameOf(e.trustee()) + " 0x" + Integer.toHexString(e.mask()));
            }
        }
        return who.describe() + " (" + String.join(", ", parts) + ")";
    }

    @Override
    Evaluation evaluate(AuditContext ctx, CertificateTemplate t) {
        SecurityDescriptor sd = t.securityDescriptor();
        AuditContext.Holders writers = ctx.holders(AuditContext.trustees(sd), AuditContext.Scope.ENROLLMENT, token -> canWriteObject(sd, token));
        Condition write = new Condition("a low-privileged principal may write the template (owner, Write, Full Control, Write DACL, Write Owner)",
                !writers.isEmpty(), sd == null ? "security descriptor not read" : writeRights(ctx, sd, writers));
        String first = writers.groups().isEmpty() ? (writers.accounts().isEmpty() ? "PRINCIPAL" : writers.accounts().get(0)) : writers.groups().get(0);
        String name = first.contains("\\") ? first.substring(first.indexOf('\\') + 1) : first;
        return decide(Finding.ObjectKind.TEMPLATE, t.name(), TemplateFacts.label(t), List.of(ctx.published(t), write), writers,
                "Any of them can rewrite the template into an ESC1 template, enroll as Administrator, and put it back.",
                console(t) + "Security tab: clear Write and Full Control for the principals listed (Advanced: Write permissions, "
                        + "Change owner; make Enterprise Admins the owner)",
                "pkilab template revoke-right " + arg(t.name()) + " " + arg(name) + " Write Full-Control");
    }
}
