package org.pkilab.audit;

import org.pkilab.audit.AuditSnapshot.PkiObject;
import org.pkilab.audit.AuditSnapshot.PkiObjectKind;
import org.pkilab.directory.model.AccessControlEntry;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.SecurityDescriptor;

import java.util.List;

/**
 * ESC5: write access to the PKI's own objects. Whoever may write {@code CN=Public Key Services} and its containers
 * (Certificate Templates, Enrollment Services, Certification Authorities, AIA, CDP, OID), {@code NTAuthCertificates}
 * (which CAs the DCs trust for logon), an enrollment service ({@code certificateTemplates}: what the CA issues) or the
 * CA's computer object (resource-based delegation, shadow credentials: the CA host) controls the PKI.
 *
 * <p>Found on each such object when its one condition holds: a low-privileged principal, Deny applied, owns it or
 * holds on the whole object Write Property, Write DACL, Write Owner, or (on containers) Create Child. For these objects
 * Cert Publishers and the CA's own computer account are privileged: AD lets them publish there by design.
 */
final class Esc5Check extends Check {

    @Override
    EscClass escClass() {
        return EscClass.ESC5;
    }

    @Override
    List<Evaluation> evaluate(AuditContext ctx) {
        return ctx.snapshot().pkiObjects().stream().map(o -> evaluate(ctx, o)).toList();
    }

    private Evaluation evaluate(AuditContext ctx, PkiObject o) {
        SecurityDescriptor sd = o.securityDescriptor();
        boolean container = o.kind() == PkiObjectKind.CONTAINER;
        AuditContext.Holders who = ctx.holders(AuditContext.trustees(sd), AuditContext.Scope.PKI_OBJECTS,
                token -> Esc4Check.canWriteObject(sd, token) || (container && sd.grants(token, AccessControlEntry.CREATE_CHILD)));
        Condition write = new Condition("a low-privileged principal may write the object (owner, Write, Full Control, Write DACL, "
                + "Write Owner" + (container ? ", Create Child" : "") + ")", !who.isEmpty(), Esc4Check.writeRights(ctx, sd, who));
        boolean computer = o.kind() == PkiObjectKind.CA_COMPUTER;
        String tool = computer ? "Active Directory Users and Computers (Advanced Features) > " + o.dn()
                : "Active Directory Sites and Services (View > Show Services Node) > Services > Public Key Services > " + o.dn();
        return decide(computer ? Finding.ObjectKind.ACCOUNT : Finding.ObjectKind.CONTAINER, o.dn(), kindLabel(o.kind()) + " " + o.dn(),
                List.of(write), who, impact(o.kind()),
                tool + " > Properties > Security tab: clear Write, Full Control (and under Advanced: Create all child objects, "
                        + "Modify permissions, Modify owner) for the principals listed",
                "");
    }

    private static String kindLabel(PkiObjectKind kind) {
        return switch (kind) {
            case CONTAINER -> "PKI container";
            case NTAUTH_CERTIFICATES -> "NTAuthCertificates";
            case ENROLLMENT_SERVICE -> "enrollment service";
            case CERTIFICATION_AUTHORITY -> "certification authority object";
            case CA_COMPUTER -> "CA computer object";
        };
    }

    private static String impact(PkiObjectKind kind) {
        return switch (kind) {
            case CONTAINER -> "Any of them can add or change templates, CAs or issuance policies the forest trusts.";
            case NTAUTH_CERTIFICATES -> "Any of them can add a CA of their own to NTAuthCertificates and log on with certificates it forges.";
            case ENROLLMENT_SERVICE -> "Any of them can make the CA issue any template, a vulnerable one included.";
            case CERTIFICATION_AUTHORITY -> "Any of them can publish a root the forest's computers trust.";
            case CA_COMPUTER -> "Any of them can take over the CA's host (resource-based delegation, shadow credentials) and with it the CA's key.";
        };
    }

    @Override
    Explanation explain(AuditContext ctx, CertificateTemplate template) {
        long found = evaluate(ctx).stream().filter(Evaluation::applies).count();
        return Explanation.notChecked(escClass(), TemplateFacts.label(template), "ESC5 is about the PKI containers, NTAuthCertificates, "
                + "the enrollment services and the CA's computer object, not a template (" + found + " finding(s) there)");
    }
}
