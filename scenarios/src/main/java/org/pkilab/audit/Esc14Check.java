package org.pkilab.audit;

import org.pkilab.audit.AuditSnapshot.Principal;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.SecurityIdentifier;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * ESC14 (Jonas Bülow Knudsen, 2024): explicit certificate mappings in {@code altSecurityIdentities}. Two ways, each
 * evaluated per account:
 *
 * <p><b>Write access.</b> A low-privileged principal that may write another account's {@code altSecurityIdentities}
 * adds a strong mapping of a certificate it holds ({@code X509:<I>issuer<SR>serial}) and logs on as that account.
 * Found when every condition holds:
 * <ol>
 *   <li>a low-privileged principal other than the account, Deny applied, owns it or holds Write DACL, Write Owner, or
 *       Write Property on the object or on {@code altSecurityIdentities};</li>
 *   <li>that principal may enroll in a published client-authentication template without manager approval or
 *       authorized signatures (to get the certificate it maps).</li>
 * </ol>
 *
 * <p><b>Weak mapping.</b> An account's {@code altSecurityIdentities} holds a weak form, {@code X509:<I>..<S>..}
 * (issuer and subject), {@code X509:<S>..} (subject only) or {@code X509:<RFC822>..} (e-mail): a certificate whose
 * subject or e-mail matches logs on as the account. Found when every condition holds:
 * <ol>
 *   <li>the account has a weak mapping (strong forms: {@code <I>..<SR>}, {@code <SKI>}, {@code <SHA1-PUKEY>});</li>
 *   <li>the DC accepts weak explicit mappings: {@code StrongCertificateBindingEnforcement} below 2;</li>
 *   <li>a low-privileged principal may enroll in a published client-authentication template without approval or
 *       signatures (to get a certificate with that subject or e-mail).</li>
 * </ol>
 * The lab does not check that the attacker can make the subject match (a template that takes the e-mail from the
 * directory and a writable {@code mail}, or an enrollee-supplied subject): the finding names the mapping to look at.
 */
final class Esc14Check extends Check {

    @Override
    EscClass escClass() {
        return EscClass.ESC14;
    }

    static boolean weak(String mapping) {
        String v = mapping.toUpperCase(Locale.ROOT);
        if (!v.startsWith("X509:")) {
            return false;
        }
        if (v.contains("<SR>") || v.contains("<SKI>") || v.contains("<SHA1-PUKEY>")) {
            return false;
        }
        return v.contains("<S>") || v.contains("<RFC822>") || v.contains("<I>");
    }

    @Override
    List<Evaluation> evaluate(AuditContext ctx) {
        List<Evaluation> all = new ArrayList<>();
        List<CaCheck.Usable> usable = new ArrayList<>();
        for (AuditSnapshot.EnterpriseCa ca : ctx.snapshot().cas()) {
            usable.addAll(CaCheck.usableTemplates(ctx, ca, null));
        }
        for (Principal p : ctx.snapshot().principals()) {
            if (p.isAccount()) {
                all.add(writeAccess(ctx, p, usable));
                if (!p.altSecurityIdentities().isEmpty()) {
                    all.add(weakMapping(ctx, p, usable));
                }
            }
        }
        return all;
    }

    private Evaluation writeAccess(AuditContext ctx, Principal target, List<CaCheck.Usable> usable) {
        SecurityDescriptor sd = target.securityDescriptor();
        Set<SecurityIdentifier> candidates = AuditContext.trustees(sd);
        candidates.remove(AuditContext.SELF);
        candidates.add(target.sid());
        AuditContext.Holders none = new AuditContext.Holders(List.of(), List.of(), List.of());
        boolean worthChecking = ctx.accountWrites().mayGrantWrite(sd);
        AuditContext.Holders writers = !worthChecking ? none : ctx.holders(candidates, AuditContext.Scope.ENROLLMENT,
                token -> !token.contains(target.sid()) && AccountWriteAccess.canWriteProperty(sd, token, AccountWriteAccess.ALT_SECURITY_IDENTITIES_GUIDS));
        AuditContext.Holders able = writers.isEmpty() ? none : ctx.holders(candidates, AuditContext.Scope.ENROLLMENT,
                token -> !token.contains(target.sid()) && AccountWriteAccess.canWriteProperty(sd, token, AccountWriteAccess.ALT_SECURITY_IDENTITIES_GUIDS)
                        && usable.stream().anyMatch(u -> ctx.canEnroll(u.template(), token)));
        String name = ctx.nameOf(target.sid());
        Condition write = new Condition("a low-privileged principal may write altSecurityIdentities of " + name, !writers.isEmpty(),
                sd == null ? "security descriptor not read" : writers.describe());
        Condition enroll = new Condition("that principal may enroll in a client-authentication template (published, no approval, no "
                + "signatures)", !able.isEmpty(), able.isEmpty() ? "none of them" : able.describe() + " through "
                + usable.stream().map(u -> u.template().name()).distinct().toList());
        boolean privileged = ctx.privileged(ctx.token(target), AuditContext.Scope.ENROLLMENT);
        return decide(Finding.ObjectKind.ACCOUNT, target.name(), "account " + name + " (write access to altSecurityIdentities)",
                List.of(write, enroll), able,
                "Any of them can map a certificate of their own to " + name + " and log on as " + name + ".",
                "Active Directory Users and Computers (Advanced Features) > " + target.name() + " > Properties > Security > Advanced: "
                        + "remove Write altSecurityIdentities (and Write all properties, Full Control) for the principals listed",
                "", privileged ? Severity.CRITICAL : Severity.HIGH);
    }

    private Evaluation weakMapping(AuditContext ctx, Principal target, List<CaCheck.Usable> usable) {
        List<String> weakValues = target.altSecurityIdentities().stream().filter(Esc14Check::weak).toList();
        String name = ctx.nameOf(target.sid());
        int enforcement = ctx.snapshot().mapping().strongCertificateBindingEnforcement();
        AuditContext.Holders who = AuditContext.Holders.merge(usable.stream().map(CaCheck.Usable::enrollers).toList());
        Condition mapping = new Condition("altSecurityIdentities of " + name + " holds a weak mapping (X509:<I><S>, X509:<S>, X509:<RFC822>)",
                !weakValues.isEmpty(), "altSecurityIdentities = " + target.altSecurityIdentities());
        Condition dc = new Condition("the DC accepts weak explicit mappings (StrongCertificateBindingEnforcement < 2)", enforcement < 2,
                ctx.snapshot().mapping().describe());
        Condition enroll = new Condition("a low-privileged principal may enroll in a client-authentication template (published, no "
                + "approval, no signatures)", !usable.isEmpty(), who.describe());
        return decide(Finding.ObjectKind.ACCOUNT, target.name(), "account " + name + " (weak explicit mapping)", List.of(mapping, dc, enroll), who,
                "Whoever gets a certificate whose subject or e-mail matches " + weakValues + " logs on as " + name + ".",
                "Active Directory Users and Computers (Advanced Features) > " + target.name() + " > Attribute Editor > altSecurityIdentities: "
                        + "replace the weak mapping with X509:<I>issuer<SR>serial or X509:<SKI>...; and on the DC "
                        + "StrongCertificateBindingEnforcement = 2",
                dcMappingCommand(ctx.snapshot().mapping(), false));
    }

    @Override
    Explanation explain(AuditContext ctx, CertificateTemplate template) {
        long found = evaluate(ctx).stream().filter(Evaluation::applies).count();
        return Explanation.notChecked(escClass(), TemplateFacts.label(template), "ESC14 is about accounts' altSecurityIdentities, not a "
                + "template: " + found + " finding(s)");
    }
}
