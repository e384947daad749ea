package org.pkilab.audit;

import org.pkilab.audit.AuditSnapshot.EnrollmentEndpoint;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.SecurityIdentifier;

import java.util.List;
import java.util.Locale;

/**
 * ESC8: NTLM relay to an HTTP enrollment endpoint (the CA's {@code /certsrv} web enrollment, CES). A coerced computer's
 * NTLM authentication, relayed to an endpoint that takes NTLM over plain HTTP, or over HTTPS without Extended Protection
 * for Authentication, enrolls in that computer's name. The lab's CA enrolls over EST on HTTPS with client certificates
 * or a user name and password, and serves no NTLM: in the lab this class is "not found", and says so.
 *
 * <p>Found on an endpoint when every condition holds:
 * <ol>
 *   <li>it accepts NTLM (Windows integrated authentication: {@code NTLM} or {@code Negotiate});</li>
 *   <li>it is plain HTTP, or HTTPS without Extended Protection.</li>
 * </ol>
 */
final class Esc8Check extends Check {

    @Override
    EscClass escClass() {
        return EscClass.ESC8;
    }

    @Override
    List<Evaluation> evaluate(AuditContext ctx) {
        return ctx.snapshot().endpoints().stream().map(e -> evaluate(ctx, e)).toList();
    }

    private Evaluation evaluate(AuditContext ctx, EnrollmentEndpoint e) {
        boolean ntlm = e.authentication().stream().anyMatch(a -> a.equalsIgnoreCase("NTLM") || a.equalsIgnoreCase("Negotiate"));
        boolean http = e.url().toLowerCase(Locale.ROOT).startsWith("http://");
        Condition auth = new Condition("accepts NTLM (Windows integrated authentication)", ntlm, "authentication = " + e.authentication());
        Condition channel = new Condition("plain HTTP, or HTTPS without Extended Protection", http || !e.extendedProtection(),
                http ? "http://" : "https://, Extended Protection " + (e.extendedProtection() ? "required" : "off"));
        return decide(Finding.ObjectKind.ENDPOINT, e.url(), "endpoint " + e.url() + " of " + e.ca(), List.of(auth, channel),
                new AuditContext.Holders(List.of(ctx.nameOf(SecurityIdentifier.AUTHENTICATED_USERS)), List.of(), List.of()),
                "Anyone who can coerce a computer's NTLM authentication can relay it to " + e.url() + " and enroll in that computer's name.",
                "IIS Manager > Default Web Site > CertSrv > Authentication: disable Windows Authentication on HTTP; require SSL and "
                        + "set Extended Protection to Required",
                "");
    }

    @Override
    Explanation explain(AuditContext ctx, CertificateTemplate template) {
        long found = evaluate(ctx).stream().filter(Evaluation::applies).count();
        return Explanation.notChecked(escClass(), TemplateFacts.label(template), "ESC8 is about the enrollment endpoints ("
                + ctx.snapshot().endpoints().stream().map(EnrollmentEndpoint::url).toList() + "), not a template: " + found + " finding(s)");
    }

    /** Why ESC8 has nothing to check when the lab lists no endpoint. */
    static String noEndpoints() {
        return "no enrollment endpoint is published (msPKI-Enrollment-Servers is empty) and the lab serves no HTTP web enrollment";
    }
}
