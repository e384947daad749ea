package org.pkilab.console;

import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchResultEntry;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.DomainNames;

import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The Certificate Templates console (certtmpl.msc): every template under
 * {@code CN=Certificate Templates,CN=Public Key Services,CN=Services,CN=Configuration} with the console's columns
 * (Template Display Name, Schema Version, Version, Intended Purposes), and a template's Properties dialog, one tab per
 * page ({@code /templates/template?name=WebServer&tab=security}), each value shown beside the attribute that holds it
 * ({@link TemplateTabs}). The Security tab ({@link TemplateSecurityTab}) adds what Windows hides behind Advanced,
 * Effective Access: each account's rights resolved through nested groups, with the entry that decided them.
 *
 * <p>The view reads as the signed-in account ({@code session.directory()}, {@code session.ldap()}): Authenticated Users
 * may read templates, so every account sees the list. It changes nothing: {@code pkilab template} and the scenario
 * verbs change templates.
 */
final class TemplatesView implements ConsoleView {

    @Override
    public String prefix() {
        return "/templates";
    }

    @Override
    public String title() {
        return "Certificate Templates";
    }

    @Override
    public ConsoleAnswer answer(ConsoleRequest request) {
        if (request.post()) {
            throw new ConsoleAnswer.Refused(409, "Read-only", "The Certificate Templates view shows templates and changes none: change one with "
                    + "'pkilab template' or a scenario step (allow, deny, set subject name ...).");
        }
        ConsoleSession session = request.session();
        List<CertificateTemplate> all = session.directory().templates().all().stream()
                .sorted(Comparator.comparing(CertificateTemplate::displayName, String.CASE_INSENSITIVE_ORDER)).toList();
        try {
            return switch (request.path()) {
                case "/templates" -> list(session, all);
                case "/templates/template" -> template(request, all);
                default -> throw new ConsoleAnswer.Refused(404, "Not found", "The Certificate Templates view has no page " + request.path()
                        + ": open /templates.");
            };
        } catch (LDAPException e) {
            boolean denied = e.getResultCode() == ResultCode.INSUFFICIENT_ACCESS_RIGHTS;
            throw new ConsoleAnswer.Refused(denied ? 403 : 409, "The domain controller refused", "Reading " + request.path() + " as "
                    + session.account + ": LDAP " + e.getResultCode().intValue() + " " + e.getResultCode().getName() + " " + e.getDiagnosticMessage()
                    + (denied ? " (the account lacks Read on an object this page shows)" : ""));
        }
    }

    private ConsoleAnswer list(ConsoleSession session, List<CertificateTemplate> all) {
        String body = "<p>The templates of " + Html.text(session.directory().names().dnsName()) + " that <strong>" + Html.text(session.account)
                + "</strong> may read, from <code>" + Html.text(session.directory().names().certificateTemplates()) + "</code>. "
                + "A CA issues only those on its Certificate Templates to Issue list.</p>"
                + Html.table("Certificate Templates (" + all.size() + ")", List.of("Template Display Name", "Schema Version", "Version", "Intended Purposes"),
                all, t -> List.of(Html.link(href(t.name(), null), t.displayName()), Html.text(t.schemaVersion()),
                        Html.text(t.revision() + "." + t.minorRevision()), Html.text(intendedPurposes(t).isEmpty() ? "<All>" : TemplateTabs.purposes(intendedPurposes(t)))));
        return ConsoleAnswer.Page.of("Certificate Templates", prefix(), body, "directory");
    }

    private ConsoleAnswer template(ConsoleRequest request, List<CertificateTemplate> all) throws LDAPException {
        String name = request.required("name");
        CertificateTemplate t = all.stream().filter(x -> x.name().equalsIgnoreCase(name) || x.displayName().equalsIgnoreCase(name))
                .findFirst().orElseThrow(() -> notFound(request.session(), name, all));
        String tab = TemplateTabs.TABS.stream().filter(x -> x[1].equalsIgnoreCase(String.valueOf(request.parameter("tab"))))
                .map(x -> x[1]).findFirst().orElse("general");
        ConsoleSession session = request.session();
        DomainNames names = session.directory().names();
        Map<String, String> policies = new HashMap<>();
        Function<String, String> policyName = oid -> policies.computeIfAbsent(oid, o -> issuancePolicyName(session, names, o));
        Function<String, String> displayName = n -> all.stream().filter(x -> x.name().equalsIgnoreCase(n)).map(CertificateTemplate::displayName)
                .findFirst().orElse(n + " (no such template)");
        String content = switch (tab) {
            case "compatibility" -> TemplateTabs.compatibility(t);
            case "request-handling" -> TemplateTabs.requestHandling(t);
            case "cryptography" -> TemplateTabs.cryptography(t);
            case "subject-name" -> TemplateTabs.subjectName(t);
            case "issuance-requirements" -> TemplateTabs.issuanceRequirements(t, policyName);
            case "superseded" -> TemplateTabs.superseded(t, displayName);
            case "extensions" -> TemplateTabs.extensions(t, policyName);
            case "security" -> new TemplateSecurityTab(session).render(t, request.parameter("account"));
            default -> TemplateTabs.general(t);
        };
        String label = TemplateTabs.TABS.stream().filter(x -> x[1].equals(tab)).findFirst().orElseThrow()[0];
        String body = "<p><a href=\"/templates\">Certificate Templates</a> › " + Html.text(t.displayName()) + " <span class=\"kind\">(" + Html.text(t.name())
                + ", schema " + t.schemaVersion() + ")</span></p>"
                + Html.tabs("Properties of " + t.displayName(), TemplateTabs.TABS.stream().map(x -> new String[] {x[0], href(t.name(), x[1])}).toList(), label)
                + "<section class=\"template-tab\" aria-label=\"" + Html.text(label) + "\"><h2>" + Html.text(label) + "</h2>" + content + "</section>";
        return ConsoleAnswer.Page.of(t.displayName() + " Properties", prefix(), body, "directory");
    }

    /** The 404 of a template name nobody has: it names the name and the closest ones, as a typo usually is. */
    private static ConsoleAnswer.Refused notFound(ConsoleSession session, String name, List<CertificateTemplate> all) {
        String key = name.toLowerCase(Locale.ROOT);
        List<String> nearest = all.stream().sorted(Comparator.comparingInt((CertificateTemplate t) -> Math.min(distance(key, t.name().toLowerCase(Locale.ROOT)),
                        distance(key, t.displayName().toLowerCase(Locale.ROOT)))))
                .limit(3).map(t -> t.displayName() + " (" + t.name() + ")").toList();
        return new ConsoleAnswer.Refused(404, "No such template", "There is no certificate template named '" + name + "' in "
                + session.directory().names().certificateTemplates() + " that " + session.account + " may read."
                + (nearest.isEmpty() ? "" : " The nearest names: " + String.join(", ", nearest) + "."));
    }

    /** Levenshtein distance: how many letters to change, add or remove. */
    static int distance(String a, String b) {
        int[] row = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            row[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int above = row[j];
                row[j] = Math.min(Math.min(row[j] + 1, row[j - 1] + 1), diagonal + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.length()];
    }

    /**
     * What certtmpl.msc lists as Intended Purposes: the application policies of a schema 2+ template, the EKUs of a version 1 one;
     * none at all is "&lt;All&gt;", since a certificate without EKU serves every purpose.
     */
    private static List<String> intendedPurposes(CertificateTemplate t) {
        return t.schemaVersion() >= 2 && !t.applicationPolicies().isEmpty() ? t.applicationPolicies() : t.extendedKeyUsages();
    }

    /** An issuance policy's display name from its {@code msPKI-Enterprise-Oid} object under {@code CN=OID}, with its OID. */
    private static String issuancePolicyName(ConsoleSession session, DomainNames names, String oid) {
        try {
            List<SearchResultEntry> found = session.ldap().search(names.oid(), com.unboundid.ldap.sdk.SearchScope.ONE,
                    Filter.createEqualityFilter("msPKI-Cert-Template-OID", oid), "displayName", "msDS-OIDToGroupLink").getSearchEntries();
            if (found.isEmpty()) {
                return oid;
            }
            SearchResultEntry e = found.get(0);
            return e.getAttributeValue("displayName") + " (" + oid + ")" + (e.hasAttribute("msDS-OIDToGroupLink")
                    ? " linked to group " + e.getAttributeValue("msDS-OIDToGroupLink") : "");
        } catch (LDAPException e) {
            return oid + " (its name could not be read: " + e.getResultCode() + ")";
        }
    }

    static String href(String template, String tab) {
        return "/templates/template?name=" + Html.query(template) + (tab == null ? "" : "&tab=" + Html.query(tab));
    }
}
