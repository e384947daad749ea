package org.pkilab.console;

import com.fasterxml.jackson.databind.JsonNode;
import org.pkilab.admin.CaAdminClient;
import org.pkilab.ca.RevocationReason;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.SecurityIdentifier;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The Certification Authority console (certsrv.msc): the folders Revoked Certificates, Issued Certificates, Pending
 * Requests and Failed Requests with the console's columns and each request's disposition, and Certificate Templates
 * (the templates this CA issues). The actions an administrator takes there: Issue or Deny a pending request, Revoke
 * a certificate with a reason, Publish a CRL, add or remove a Certificate Template to Issue.
 *
 * <p>All of it goes through the CA's administration interface as the signed-in account ({@code pkilab ca}'s client),
 * so the CA's own Security tab decides: listing and issuing need Issue and Manage Certificates, templates and CRLs
 * Manage CA, and a refusal is the CA's {@code 0x80070005 E_ACCESSDENIED} with its explanation. The console reads the
 * Security tab (any account may) only to hide the buttons an account could not use.
 */
final class CertificationAuthorityView implements ConsoleView {

    private static final int OFFICER = 0x2;
    private static final int MANAGER = 0x1;
    private static final List<String[]> FOLDERS = List.of(new String[] {"revoked", "Revoked Certificates"}, new String[] {"issued", "Issued Certificates"},
            new String[] {"pending", "Pending Requests"}, new String[] {"failed", "Failed Requests"}, new String[] {"templates", "Certificate Templates"});
    private static final int PAGE = 500;

    @Override
    public String prefix() {
        return "/ca";
    }

    @Override
    public String title() {
        return "Certification Authority";
    }

    @Override
    public ConsoleAnswer answer(ConsoleRequest request) {
        ConsoleSession session = request.session();
        CaAdminClient ca = session.ca();
        if (request.post()) {
            return act(request, ca);
        }
        String folder = request.parameter("folder") == null ? "issued" : request.parameter("folder").toLowerCase(Locale.ROOT);
        String[] shown = FOLDERS.stream().filter(f -> f[0].equals(folder)).findFirst().orElse(FOLDERS.get(1));
        Roles roles = roles(session, ca);
        List<String[]> tabs = FOLDERS.stream().map(f -> new String[] {f[1], "/ca?folder=" + f[0]}).toList();
        StringBuilder body = new StringBuilder("<p>").append(Html.text(ca.caName())).append(" &middot; ").append(Html.text(roles.describe(session)))
                .append("</p>").append(Html.tabs(ca.caName(), tabs, shown[1]));
        if (roles.manager) {
            body.append("<div class=\"controls\">").append(Html.form("/ca/crl", session.csrf, "", "Publish CRL")).append("</div>");
        }
        try {
            body.append(shown[0].equals("templates") ? templates(request, ca, roles) : folder(request, ca, shown, roles));
        } catch (CaAdminClient.CaAdminException e) {
            body.append(Html.message("error", e.getMessage()));
        }
        return ConsoleAnswer.Page.of("Certification Authority", prefix(), body.toString(), "ca");
    }

    private String folder(ConsoleRequest request, CaAdminClient ca, String[] folder, Roles roles) {
        List<JsonNode> rows = new ArrayList<>();
        ca.requests(folder[0], 0, PAGE).forEach(rows::add);
        ConsoleSession session = request.session();
        List<String> headers = new ArrayList<>(List.of("Request ID", "Requester Name", "Certificate Template", "Issued Common Name"));
        switch (folder[0]) {
            case "issued" -> headers.addAll(List.of("Serial Number", "Certificate Expiration Date"));
            case "revoked" -> headers.addAll(List.of("Serial Number", "Revocation Date", "Revocation Reason"));
            case "pending" -> headers.addAll(List.of("Request Submission Date"));
            default -> headers.addAll(List.of("Request Status Code"));
        }
        headers.add("Request Disposition Message");
        boolean actions = roles.officer && (folder[0].equals("issued") || folder[0].equals("pending"));
        if (actions) {
            headers.add("Actions");
        }
        return Html.table(folder[1] + " (" + rows.size() + (rows.size() == PAGE ? " shown, the first " + PAGE : "") + ")", headers, rows, r -> {
            List<String> cells = new ArrayList<>(List.of(Html.text(r.path("requestId").asText()), Html.text(text(r, "requester")),
                    Html.text(text(r, "template")), Html.text(text(r, "subject"))));
            switch (folder[0]) {
                case "issued" -> cells.addAll(List.of("<code>" + Html.text(text(r, "serial")) + "</code>", Html.text(date(r, "notAfter"))));
                case "revoked" -> cells.addAll(List.of("<code>" + Html.text(text(r, "serial")) + "</code>", Html.text(date(r, "revoked")),
                        Html.text(text(r, "revocationReason"))));
                case "pending" -> cells.add(Html.text(date(r, "submitted")));
                default -> cells.add("<code>" + Html.text(text(r, "dispositionCode")) + "</code>");
            }
            cells.add(Html.text(text(r, "disposition")));
            if (actions) {
                String id = r.path("requestId").asText();
                cells.add(folder[0].equals("pending")
                        ? Html.form("/ca/issue", session.csrf, Html.hidden("id", id), "Issue request " + id)
                                + Html.form("/ca/deny", session.csrf, Html.hidden("id", id), "Deny request " + id)
                        : revokeForm(session, id, text(r, "serial")));
            }
            return cells;
        });
    }

    /** The reasons certsrv.msc's Revoke Certificate dialog offers, as it names them (RFC 5280's name is what the CA records). */
    private static final List<String[]> REVOKE_REASONS = List.of(
            new String[] {RevocationReason.UNSPECIFIED.rfcName(), "Unspecified"},
            new String[] {RevocationReason.KEY_COMPROMISE.rfcName(), "Key Compromise"},
            new String[] {RevocationReason.CA_COMPROMISE.rfcName(), "CA Compromise"},
            new String[] {RevocationReason.AFFILIATION_CHANGED.rfcName(), "Change of Affiliation"},
            new String[] {RevocationReason.SUPERSEDED.rfcName(), "Superseded"},
            new String[] {RevocationReason.CESSATION_OF_OPERATION.rfcName(), "Cease of Operation"},
            new String[] {RevocationReason.CERTIFICATE_HOLD.rfcName(), "Certificate Hold"});

    private static String revokeForm(ConsoleSession session, String id, String serial) {
        return Html.form("/ca/revoke", session.csrf, Html.hidden("serial", serial)
                + Html.select("reason-" + id, "Reason code for request " + id, REVOKE_REASONS, RevocationReason.UNSPECIFIED.rfcName()), "Revoke request " + id);
    }

    private String templates(ConsoleRequest request, CaAdminClient ca, Roles roles) {
        ConsoleSession session = request.session();
        List<String> issued = new ArrayList<>();
        ca.templates().path("templates").forEach(t -> issued.add(t.asText()));
        StringBuilder out = new StringBuilder(Html.table("Certificate Templates to Issue", roles.manager ? List.of("Name", "Actions") : List.of("Name"), issued,
                t -> roles.manager ? List.of(Html.text(t), Html.form("/ca/templates/remove", session.csrf, Html.hidden("template", t), "Remove " + t))
                        : List.of(Html.text(t))));
        if (roles.manager) {
            List<String[]> available = new ArrayList<>();
            for (var t : session.directory().templates().all()) {
                if (issued.stream().noneMatch(i -> i.equalsIgnoreCase(t.name()))) {
                    available.add(new String[] {t.name(), t.displayName()});
                }
            }
            out.append("<h2>Certificate Template to Issue</h2>");
            out.append(available.isEmpty() ? "<p>This CA issues every template in the directory.</p>"
                    : Html.form("/ca/templates/add", session.csrf, Html.select("template", "Template", available, available.get(0)[0]), "Enable template"));
        }
        return out.toString();
    }

    private ConsoleAnswer act(ConsoleRequest request, CaAdminClient ca) {
        String back;
        String message;
        switch (request.path()) {
            case "/ca/issue" -> {
                JsonNode row = ca.approve(id(request));
                back = "/ca?folder=" + (row.path("status").asText().equals("ISSUED") ? "issued" : "failed");
                message = "Request " + row.path("requestId").asText() + ": " + text(row, "disposition") + " (" + text(row, "status") + ")";
            }
            case "/ca/deny" -> {
                JsonNode row = ca.deny(id(request));
                back = "/ca?folder=failed";
                message = "Request " + row.path("requestId").asText() + ": " + text(row, "disposition");
            }
            case "/ca/revoke" -> {
                String serial = request.required("serial");
                String reasonText = request.parameters().entrySet().stream().filter(e -> e.getKey().startsWith("reason")).map(java.util.Map.Entry::getValue)
                        .findFirst().orElse("unspecified");
                RevocationReason reason;
                try {
                    reason = RevocationReason.parse(reasonText);
                } catch (IllegalArgumentException e) {
                    throw new ConsoleAnswer.Refused(400, "Bad reason", e.getMessage());
                }
                JsonNode row = ca.revoke(serial, reason);
                back = "/ca?folder=revoked";
                message = "Certificate " + serial + " revoked (" + reason.rfcName() + "): " + text(row, "disposition")
                        + ". Computers see it once the CA publishes a new CRL (Publish CRL) and their cached CRL is renewed.";
            }
            case "/ca/crl" -> {
                JsonNode crl = ca.publishCrl();
                back = "/ca?folder=revoked";
                message = "Published a new CRL at " + text(crl, "crl") + " with " + crl.path("entries").asInt() + " revoked certificate(s); next update "
                        + text(crl, "nextUpdate") + ".";
            }
            case "/ca/templates/add" -> {
                String template = request.required("template");
                ca.issueTemplate(template);
                back = "/ca?folder=templates";
                message = template + " is a Certificate Template to Issue now.";
            }
            case "/ca/templates/remove" -> {
                String template = request.required("template");
                ca.removeTemplate(template);
                back = "/ca?folder=templates";
                message = ca.caName() + " no longer issues " + template + ".";
            }
            default -> throw new ConsoleAnswer.Refused(404, "Not found", "The Certification Authority console has no action " + request.path() + ".");
        }
        return ConsoleAnswer.Redirect.to(back, message);
    }

    private static long id(ConsoleRequest request) {
        return request.number("id");
    }

    /** What the CA's Security tab gives the account: it decides which buttons the console shows (the CA still checks each). */
    private record Roles(boolean officer, boolean manager) {
        String describe(ConsoleSession session) {
            if (officer && manager) {
                return session.account + " holds Manage CA and Issue and Manage Certificates on this CA.";
            }
            if (officer) {
                return session.account + " is a certificate manager (Issue and Manage Certificates) on this CA.";
            }
            if (manager) {
                return session.account + " holds Manage CA on this CA.";
            }
            return session.account + " holds neither Manage CA nor Issue and Manage Certificates on this CA: it can look, not act.";
        }
    }

    private static Roles roles(ConsoleSession session, CaAdminClient ca) {
        try {
            JsonNode security = ca.security();
            SecurityDescriptor sd = SecurityDescriptor.parse(security.path("security").asText(), session.directory().domainSid());
            Set<SecurityIdentifier> sids = new HashSet<>(session.tokenGroups);
            sids.add(session.sid);
            sids.add(SecurityIdentifier.AUTHENTICATED_USERS);
            sids.add(SecurityIdentifier.EVERYONE);
            return new Roles(sd.grants(sids, OFFICER), sd.grants(sids, MANAGER));
        } catch (RuntimeException e) {
            return new Roles(false, false);
        }
    }

    private static String text(JsonNode row, String field) {
        JsonNode v = row.path(field);
        return v.isMissingNode() || v.isNull() ? "" : v.asText();
    }

    private static String date(JsonNode row, String field) {
        String v = text(row, field);
        return v.length() >= 16 ? v.substring(0, 16).replace('T', ' ') : v;
    }
}
