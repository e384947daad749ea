package org.pkilab.audit;

import org.pkilab.audit.AuditSnapshot.EnterpriseCa;
import org.pkilab.directory.model.AccessControlEntry;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.SecurityDescriptor;

import java.util.ArrayList;
import java.util.List;

/**
 * ESC7: a low-privileged principal holds Manage CA ({@code CA_ACCESS_ADMIN} 0x1) or Issue and Manage Certificates
 * ({@code CA_ACCESS_OFFICER} 0x2) in the CA's Security ({@code CA\Security}). A Manage CA holder makes itself an officer
 * and enables templates; an officer issues its own failed request (certutil -resubmit), for instance one for the
 * SubCA template naming Administrator.
 *
 * <p>Found on a CA when its one condition holds: a low-privileged principal's token, Deny applied, is granted Manage
 * CA or Issue and Manage Certificates by the CA's Security. Templates do not matter.
 */
final class Esc7Check extends CaCheck {

    @Override
    EscClass escClass() {
        return EscClass.ESC7;
    }

    @Override
    Evaluation evaluate(AuditContext ctx, EnterpriseCa ca, CertificateTemplate only) {
        SecurityDescriptor sd = ctx.caSecurity(ca);
        AuditContext.Holders who = ctx.holders(AuditContext.trustees(sd), AuditContext.Scope.ENROLLMENT,
                token -> sd.grants(token, AuditContext.CA_MANAGE_CA) || sd.grants(token, AuditContext.CA_MANAGE_CERTIFICATES));
        List<String> entries = new ArrayList<>();
        for (AccessControlEntry e : sd.entries()) {
            if ((e.mask() & (AuditContext.CA_MANAGE_CA | AuditContext.CA_MANAGE_CERTIFICATES)) != 0) {
                entries.add((e.allow() ? "allow " : "deny ") + ctx.nameOf(e.trustee()) + ((e.mask() & 1) != 0 ? " Manage CA" : "")
                        + ((e.mask() & 2) != 0 ? " Issue and Manage Certificates" : ""));
            }
        }
        Condition right = new Condition("a low-privileged principal holds Manage CA or Issue and Manage Certificates", !who.isEmpty(),
                (who.isEmpty() ? "none" : who.describe()) + "; CA\\Security: " + String.join(", ", entries));
        List<String> commands = new ArrayList<>();
        for (String holder : who.isEmpty() ? List.of("PRINCIPAL") : concat(who.groups(), who.accounts())) {
            String account = holder.contains("\\") ? holder.substring(holder.indexOf('\\') + 1) : holder;
            int held = 0;
            for (AccessControlEntry e : sd.entries()) {
                if (e.allow() && ctx.nameOf(e.trustee()).equalsIgnoreCase(holder)) {
                    held |= e.mask();
                }
            }
            // a holder through a group or nesting has no entry of its own: its group is listed and cleared
            if ((held & AuditContext.CA_MANAGE_CA) != 0 || who.isEmpty()) {
                commands.add("pkilab ca remove-manager " + arg(account) + caOption(ctx, ca));
            }
            if ((held & AuditContext.CA_MANAGE_CERTIFICATES) != 0 || who.isEmpty()) {
                commands.add("pkilab ca remove-officer " + arg(account) + caOption(ctx, ca));
            }
        }
        return decide(Finding.ObjectKind.CA, ca.name(), label(ca), List.of(right), who,
                "Any of them can make itself a certificate manager of " + ca.name() + " and issue its own failed request for a "
                        + "certificate naming Administrator.",
                "Certification Authority console (certsrv.msc) > " + ca.name() + " > Properties > Security tab: clear 'Manage CA' "
                        + "and 'Issue and Manage Certificates' for the principals listed",
                String.join(" && ", commands));
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
