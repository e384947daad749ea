package org.pkilab.console;

import com.unboundid.ldap.sdk.LDAPException;
import org.pkilab.audit.Audit;
import org.pkilab.audit.AuditReport;
import org.pkilab.audit.DirectoryAuditLoader;
import org.pkilab.audit.Finding;
import org.pkilab.directory.client.DirectoryException;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.SecurityIdentifier;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A template's Security tab: the principals of its DACL with Allow and Deny per right, as the tab shows them; the
 * descriptor as SDDL; Effective Access ({@link EffectiveRights}) for every principal of the ACL and every account that
 * holds one of its groups, and for any account typed into the form; and what {@code pkilab audit} finds on the template.
 *
 * <pre>
 * Group or user names        Full Control  Read   Write  Enroll  Autoenroll
 * CONTOSO\Domain Admins      Allow         Allow  Allow  Allow   -
 * CONTOSO\Outer              -             -      -      Deny    -
 * </pre>
 */
final class TemplateSecurityTab {

    private static final List<AccessRight> COLUMNS = List.of(AccessRight.FULL_CONTROL, AccessRight.READ, AccessRight.WRITE, AccessRight.ENROLL,
            AccessRight.AUTOENROLL);

    private final ConsoleSession session;

    TemplateSecurityTab(ConsoleSession session) {
        this.session = session;
    }

    String render(CertificateTemplate t, String typedAccount) throws LDAPException {
        SecurityDescriptor sd = session.directory().security().descriptor(t.name());
        EffectiveRights rights = new EffectiveRights(session.ldap(), session.directory().names(), session.directory().domainSid(),
                session.directory().usersAndComputers());
        StringBuilder out = new StringBuilder();
        out.append("<p>The template object's <code>nTSecurityDescriptor</code>. Owner: <strong>").append(Html.text(rights.nameOf(sd.owner())))
                .append("</strong>. The CA checks Enroll (and the client Autoenroll) against the requester's logon token; the DC checks Read and "
                        + "Write on every LDAP read and write.</p>");
        List<SecurityIdentifier> trustees = sd.trustees();
        out.append(Html.table("Permissions for " + t.displayName(), List.of("Group or user names", "Full Control", "Read", "Write", "Enroll", "Autoenroll"),
                trustees, sid -> {
                    Set<AccessRight> allow = sd.rightsOf(sid, true);
                    Set<AccessRight> deny = sd.rightsOf(sid, false);
                    List<String> cells = new ArrayList<>(List.of(Html.text(rights.nameOf(sid))));
                    for (AccessRight r : COLUMNS) {
                        List<String> marks = new ArrayList<>();
                        if (allow.contains(r)) {
                            marks.add("<span class=\"allow\">Allow</span>");
                        }
                        if (deny.contains(r)) {
                            marks.add("<span class=\"deny\">Deny</span>");
                        }
                        cells.add(String.join(" ", marks));
                    }
                    return cells;
                }));
        out.append("<details><summary>The descriptor as SDDL (what dsacls and Get-Acl print)</summary><p><code class=\"sddl\">")
                .append(Html.text(sd.toSddl(session.directory().domainSid()))).append("</code></p></details>");

        out.append("<h3 id=\"effective\">Effective access</h3><p>Each right resolved as Windows resolves it: a Deny entry naming any SID in the "
                + "account's token wins over every Allow entry (Windows sorts explicit Deny entries first; the lab keeps no inherited entries). "
                + "Autoenrollment needs Enroll as well as Autoenroll. The token is the one a logon would get now (<code>tokenGroups</code>, nesting "
                + "resolved by the DC); a computer that has not restarted since its groups changed still enrolls with its old token.</p>");
        out.append("<form method=\"get\" action=\"/templates/template\" class=\"lookup\">").append(Html.hidden("name", t.name()))
                .append(Html.hidden("tab", "security")).append(Html.input("account", "Check effective access for account",
                        typedAccount == null ? "" : typedAccount)).append(" <button type=\"submit\">Check</button></form>");
        if (typedAccount != null && !typedAccount.isBlank()) {
            Optional<EffectiveRights.Row> row = rights.forTyped(sd, typedAccount);
            if (row.isEmpty()) {
                out.append(Html.message("error", "No account, group or computer named '" + typedAccount + "' in "
                        + session.directory().names().dnsName() + " that " + session.account + " may read: type a user logon name (bob), a "
                        + "computer's name (IIS01), a group's name or DOMAIN\\name."));
            } else {
                out.append(effective("Effective access of " + row.get().account().name() + " on " + t.displayName(), List.of(row.get())));
            }
        }
        out.append(effective("Effective access on " + t.displayName() + ": the ACL's principals and their members", rights.forAcl(sd)));
        out.append(findings(t));
        return out.toString();
    }

    private static String effective(String caption, List<EffectiveRights.Row> rows) {
        List<String> headers = new ArrayList<>(List.of("Account", "Kind"));
        EffectiveRights.RIGHTS.forEach(r -> headers.add(r.displayName()));
        return "<div class=\"effective\">" + Html.table(caption, headers, rows, row -> {
            List<String> cells = new ArrayList<>(List.of(Html.text(row.account().name()), "<span class=\"kind\">" + Html.text(row.account().kind()) + "</span>"));
            for (EffectiveRights.Decision d : row.decisions()) {
                String css = switch (d.verdict()) {
                    case "Allow" -> "allow";
                    case "Deny" -> "deny";
                    default -> "none";
                };
                cells.add("<span class=\"" + css + "\">" + Html.text(d.verdict()) + "</span> — <span class=\"because\">" + Html.text(d.because())
                        + "</span>");
            }
            return cells;
        }) + "</div>";
    }

    /** The audit's findings on this template, read as the signed-in account (the CA's registry assumed at its defaults). */
    private String findings(CertificateTemplate t) {
        StringBuilder out = new StringBuilder("<h3>Audit findings</h3>");
        AuditReport report;
        try {
            report = Audit.run(DirectoryAuditLoader.load(session.ldap(), session.directory().names(), DirectoryAuditLoader.CA_DEFAULTS,
                    DirectoryAuditLoader.MAPPING_DEFAULT));
        } catch (DirectoryException | IllegalArgumentException | IllegalStateException e) {
            return out.append(Html.message("info", "The audit could not read the forest as " + session.account + ": " + e.getMessage())).toString();
        }
        List<Finding> mine = report.findings().stream().filter(f -> f.kind() == Finding.ObjectKind.TEMPLATE
                && (f.object().equalsIgnoreCase(t.name()) || f.object().equalsIgnoreCase(t.displayName()))).toList();
        out.append("<p>What <code>pkilab audit</code> finds on this template (ESC1-ESC16), read as ").append(Html.text(session.account)).append(".</p>");
        return out.append(Html.table("Audit findings on " + t.displayName(), List.of("ESC", "Finding", "Who can exploit it", "Fix"), mine,
                f -> List.of("<strong>" + Html.text(f.escClass().name()) + "</strong> <span class=\"kind\">" + Html.text(f.severity()) + "</span>",
                        Html.text(f.escClass().title()) + "<br>" + Html.text(f.impact()),
                        Html.text(f.principals().isEmpty() ? "(nobody low-privileged)" : String.join(", ", f.principals())),
                        Html.text(f.fix()) + (f.command().isEmpty() ? "" : "<br><code>" + Html.text(f.command()) + "</code>")))).toString();
    }
}
