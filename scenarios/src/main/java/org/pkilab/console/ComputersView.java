package org.pkilab.console;

import com.unboundid.ldap.sdk.SearchResultEntry;
import org.pkilab.directory.model.GroupPolicy;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.host.CertificateStore;
import org.pkilab.host.DomainComputer;
import org.pkilab.host.EventLog;
import org.pkilab.host.MacComputer;
import org.pkilab.host.StoredCertificate;
import org.pkilab.iis.IisServer;
import org.pkilab.lab.Lab;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Each computer of the lab as an administrator meets it at the machine: the Certificates snap-in on
 * {@code Certificates (Local Computer)} (Personal, Trusted Root Certification Authorities, Certificate Enrollment
 * Requests), IIS Manager's site bindings and SSL Settings, Event Viewer's Application log with the autoenrollment
 * events Windows writes (19 issued, 20 renewed, 13 failed, 15 pending, 64 removed), and {@code whoami /groups} of the
 * computer account: the groups its logon token holds since its last restart beside the ones the DC would put in a
 * token now. When they differ, the computer still acts with the old ones: the guide's "restart the member server".
 *
 * <pre>
 * /hosts                                        the computers: name, FQDN, role, started or not, LocalMachine\My, IIS site
 * /hosts/host?name=IIS01&amp;tab=certificates      its stores (tab iis, events, token: the other consoles)
 * /hosts/certificate?name=IIS01&amp;store=My&amp;thumbprint=...   the certificate dialog ({@link CertificateDialog})
 * POST /hosts/restart     name                  a new logon, Group Policy and autoenrollment (Domain Admins only)
 * POST /hosts/refresh-crl name                  certutil -urlcache CRL delete (Domain Admins only)
 * </pre>
 *
 * <p>The computers are in-process objects of the lab, read as they are; viewing one never starts it: a computer no
 * scenario step used yet shows "not started yet". Restarting a computer needs administrator rights on it, which the
 * lab's computers give to Domain Admins (as joining a domain puts that group in the local Administrators group); an
 * account without them sees no button, and its forged request is refused and changes nothing.
 */
final class ComputersView implements ConsoleView {

    static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("M/d/yyyy h:mm:ss a", Locale.US).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("M/d/yyyy", Locale.US).withZone(ZoneOffset.UTC);
    private static final List<String> TABS = List.of("certificates", "iis", "events", "token");

    @Override
    public String prefix() {
        return "/hosts";
    }

    @Override
    public String title() {
        return "Computers";
    }

    @Override
    public ConsoleAnswer answer(ConsoleRequest request) throws Exception {
        Lab lab = request.context().lab();
        if (request.post()) {
            return act(request, lab);
        }
        if (!request.path().equals("/hosts") && !request.path().equals("/hosts/")) {
            mayOpen(request.session(), request.required("name").toUpperCase(Locale.ROOT));
        }
        return switch (request.path()) {
            case "/hosts", "/hosts/" -> list(lab);
            case "/hosts/host" -> host(request, lab);
            case "/hosts/certificate" -> CertificateDialog.page(request, lab, running(lab, request.required("name"), "certificate dialog"));
            default -> throw new ConsoleAnswer.Refused(404, "Not found", "The Computers console has no page " + request.path()
                    + ": it has /hosts, /hosts/host?name=PC01 and /hosts/certificate?name=PC01&store=My&thumbprint=...");
        };
    }

    /**
     * Opening another computer's Certificates snap-in, Event Viewer or IIS Manager needs administrator rights on it, as
     * on Windows (the lab's computers give them to Domain Admins); the list of computers is what the directory shows anyone.
     */
    private static void mayOpen(ConsoleSession session, String name) {
        if (!session.administrator()) {
            throw new ConsoleAnswer.Refused(403, "Access is denied", session.account + " may not open " + name + "'s certificate stores, event "
                    + "log, IIS bindings or logon token: connecting the Certificates snap-in, Event Viewer or IIS Manager to another "
                    + "computer needs administrator rights on it, which the lab's computers give to Domain Admins (in their local "
                    + "Administrators group); this account's token holds neither. Sign in as a member of Domain Admins.");
        }
    }

    // ---- actions ------------------------------------------------------------------------------------

    private static ConsoleAnswer act(ConsoleRequest request, Lab lab) {
        ConsoleSession session = request.session();
        String name = request.required("name").toUpperCase(Locale.ROOT);
        String what = switch (request.path()) {
            case "/hosts/restart" -> "restart " + name;
            case "/hosts/refresh-crl" -> "delete the CRLs " + name + " cached (certutil -urlcache CRL delete)";
            default -> throw new ConsoleAnswer.Refused(404, "Not found", "The Computers console has no action " + request.path()
                    + ": it has /hosts/restart and /hosts/refresh-crl");
        };
        if (!session.administrator()) {
            throw new ConsoleAnswer.Refused(403, "Refused", session.account + " may not " + what + ": that needs administrator rights on "
                    + name + ", which the lab's computers give to Domain Admins (in their local Administrators group); this account's "
                    + "token holds neither. Sign in as a member of Domain Admins, or have one add " + session.account
                    + " to Domain Admins and sign in again. Nothing was changed.");
        }
        if (lab.macNames().contains(name)) {
            throw new ConsoleAnswer.Refused(409, "Not on a Mac", name + " is a Mac, not joined to the domain: it has no logon, Group Policy or "
                    + "autoenrollment to restart, and no Windows CRL cache. Nothing was changed.");
        }
        known(lab, name);
        if (request.path().equals("/hosts/restart")) {
            boolean wasRunning = lab.booted(name);
            // lab.computer() boots a computer on first use: only a running one is asked for its log before the restart
            int before = wasRunning ? lab.computer(name).eventLog().events().size() : 0;
            DomainComputer computer = lab.restart(name);
            int added = computer.eventLog().events().size() - before;
            LogonToken token = computer.token();
            return ConsoleAnswer.Redirect.to(hostPath(name, "events"), name + (wasRunning ? " restarted" : " started") + ": it logged on to "
                    + token.logonServer() + " at " + WHEN.format(token.issuedAt()) + " UTC with " + token.groups().size() + " groups in its token, "
                    + "applied Group Policy (AEPolicy " + computer.autoEnrollmentPolicy() + ") and ran autoenrollment; "
                    + (added == 0 ? "the event log has no new event." : "the event log has " + added + " new event" + (added == 1 ? "." : "s.")));
        }
        DomainComputer computer = running(lab, name, "CRL cache");
        int forgotten = computer.crlCache().clear();
        String thumbprint = request.parameter("thumbprint");
        String back = thumbprint == null ? hostPath(name, "certificates") : "/hosts/certificate?name=" + Html.query(name) + "&store="
                + Html.query(request.parameter("store") == null ? "My" : request.parameter("store")) + "&thumbprint=" + Html.query(thumbprint) + "&tab=path";
        return ConsoleAnswer.Redirect.to(back, "certutil -urlcache CRL delete on " + name + ": " + forgotten + " cached CRL"
                + (forgotten == 1 ? "" : "s") + " deleted; the next check of a certificate fetches its CRL from the CDP again.");
    }

    // ---- the list -----------------------------------------------------------------------------------

    private ConsoleAnswer list(Lab lab) {
        record Row(String name, String fqdn, String role, String state, String certificates, String site) {
        }
        List<Row> rows = new ArrayList<>();
        for (String name : lab.computerNames().stream().sorted().toList()) {
            if (!lab.booted(name)) {
                rows.add(new Row(name, "", "", "not started yet", "", ""));
                continue;
            }
            DomainComputer c = lab.computer(name);
            rows.add(new Row(name, c.fqdn(), role(c), "running since " + WHEN.format(c.token().issuedAt()) + " UTC",
                    Integer.toString(c.personal().certificates().size()), c instanceof IisServer iis ? site(iis) : ""));
        }
        for (String name : lab.macNames().stream().sorted().toList()) {
            MacComputer mac = lab.mac(name);
            rows.add(new Row(name, mac.hostName(), "Mac (not joined to the domain)", "running",
                    mac.keychain().certificates().size() + " (" + mac.keychain().name() + ")", ""));
        }
        String body = "<p>The lab's computers, as an administrator finds them at each machine. A computer starts when a step first uses it "
                + "(or when an administrator starts it here); until then it has no logon token and no stores.</p>"
                + Html.table("Computers of the lab", List.of("Name", "FQDN", "Role", "State", "Certificates in LocalMachine\\My", "IIS sites"), rows,
                r -> List.of(Html.link(hostPath(r.name(), "certificates"), r.name()), Html.text(r.fqdn()), Html.text(r.role()),
                        Html.text(r.state()), Html.text(r.certificates()), Html.text(r.site())));
        return ConsoleAnswer.Page.of("Computers", "/hosts", body, "hosts", "ca", "clock");
    }

    // ---- one computer ---------------------------------------------------------------------------------

    private ConsoleAnswer host(ConsoleRequest request, Lab lab) throws Exception {
        String name = request.required("name").toUpperCase(Locale.ROOT);
        if (lab.macNames().contains(name)) {
            return mac(lab.mac(name), name);
        }
        known(lab, name);
        ConsoleSession session = request.session();
        StringBuilder body = new StringBuilder();
        if (!lab.booted(name)) {
            body.append(Html.message("info", name + " is not started yet: no step of the scenario has used it, so it has no logon token, "
                    + "no Group Policy and nothing in its stores. Starting it logs it on, applies Group Policy and runs autoenrollment."));
            if (session.administrator()) {
                body.append(Html.form("/hosts/restart", session.csrf, Html.hidden("name", name), "Start"));
            }
            return ConsoleAnswer.Page.of(name, "/hosts", body.toString(), "hosts");
        }
        DomainComputer computer = lab.computer(name);
        String tab = request.parameter("tab") == null ? "certificates" : request.parameter("tab").toLowerCase(Locale.ROOT);
        if (!TABS.contains(tab)) {
            throw new ConsoleAnswer.Refused(404, "Not found", name + " has no tab '" + tab + "': its tabs are " + String.join(", ", TABS) + ".");
        }
        LogonToken token = computer.token();
        body.append(Html.fields(List.of(
                new String[] {"FQDN", Html.text(computer.fqdn())},
                new String[] {"DNS names", Html.text(String.join(", ", computer.config().dnsNames()))},
                new String[] {"Role", Html.text(role(computer))},
                new String[] {"Last restart", Html.text(WHEN.format(token.issuedAt()) + " UTC (logon server " + token.logonServer() + ")")},
                new String[] {"Autoenrollment policy", Html.text(aePolicy(computer.autoEnrollmentPolicy()))})));
        if (session.administrator()) {
            body.append("<div class=\"controls\" role=\"group\" aria-label=\"Actions on ").append(Html.text(name)).append("\">")
                    .append(Html.form("/hosts/restart", session.csrf, Html.hidden("name", name), "Restart"))
                    .append(Html.form("/hosts/refresh-crl", session.csrf, Html.hidden("name", name), "Delete cached CRLs"))
                    .append("</div>");
        }
        body.append(Html.tabs(name + " consoles", List.of(
                new String[] {"Certificates", hostPath(name, "certificates")}, new String[] {"IIS", hostPath(name, "iis")},
                new String[] {"Event Viewer", hostPath(name, "events")}, new String[] {"Logon token", hostPath(name, "token")}),
                switch (tab) {
                    case "iis" -> "IIS";
                    case "events" -> "Event Viewer";
                    case "token" -> "Logon token";
                    default -> "Certificates";
                }));
        body.append(switch (tab) {
            case "iis" -> iis(computer);
            case "events" -> events(computer);
            case "token" -> token(computer, session);
            default -> certificates(computer);
        });
        return ConsoleAnswer.Page.of(name, "/hosts", body.toString(), "hosts", "ca", "directory", "clock");
    }

    private static String certificates(DomainComputer computer) {
        String name = computer.name();
        return "<h2>Certificates (Local Computer)</h2>"
                + store(name, "My", "Personal > Certificates (LocalMachine\\My)", computer.personal())
                + store(name, "Root", "Trusted Root Certification Authorities > Certificates (LocalMachine\\Root)", computer.trustedRoots())
                + Html.table("Certificate Enrollment Requests (waiting for a certificate manager)", List.of("Request ID", "Certificate Template", "Store"),
                computer.pendingEnrollments(), p -> List.of(Html.text(p.requestId()), Html.text(p.template()), Html.text(p.store())))
                + "<p>A pending request is fetched by autoenrollment at its next run (a restart, or every 8 hours) once a certificate manager "
                + "issued it, when Group Policy's AEPolicy has 0x4 (the box \"Renew expired certificates, update pending certificates, and "
                + "remove revoked certificates\"); by hand, <code>certreq -retrieve ID</code> (<code>pkilab host retrieve " + Html.text(name) + " ID</code>).</p>";
    }

    /** A store as the snap-in lists it; {@code storeName} is what the certificate dialog's link names it by. */
    static String store(String host, String storeName, String caption, CertificateStore store) {
        return Html.table(caption, List.of("Issued To", "Issued By", "Expiration Date", "Intended Purposes", "Certificate Template"),
                store.certificates(), c -> List.of(
                        Html.link(CertificateDialog.path(host, storeName, c.thumbprint(), "general"), c.issuedTo()),
                        Html.text(CertificateDialog.commonName(c.certificate().getIssuerX500Principal().getName())),
                        Html.text(DATE.format(c.notAfter())),
                        Html.text(String.join(", ", c.intendedPurposes())),
                        Html.text(c.certificateTemplate() == null ? "" : c.certificateTemplate())));
    }

    private static String iis(DomainComputer computer) {
        if (!(computer instanceof IisServer iis)) {
            return "<p>" + Html.text(computer.name()) + " does not run IIS: it is a " + role(computer) + ". IIS Manager is on the lab's IIS servers "
                    + "(role iis in the scenario).</p>";
        }
        String bound = iis.boundThumbprint();
        record Binding(String type, String host, String port, String ip, String certificate) {
        }
        List<Binding> bindings = new ArrayList<>();
        if (bound != null) {
            String port;
            try {
                port = Integer.toString(iis.httpsPort());
            } catch (IllegalStateException e) {
                port = "(the site is stopped)";
            }
            StoredCertificate certificate = iis.personal().byThumbprint(bound).orElse(null);
            String shown = certificate == null ? Html.text(bound + " (no longer in LocalMachine\\My: the site cannot start with it)")
                    : Html.link(CertificateDialog.path(iis.name(), "My", bound, "general"), certificate.issuedTo() + " (" + certificate.certificateTemplate() + ")")
                    + " <code>" + Html.text(bound) + "</code>";
            bindings.add(new Binding("https", "", port, "*", shown));
        }
        StringBuilder out = new StringBuilder("<h2>IIS Manager: Default Web Site</h2>");
        out.append(Html.table("Site Bindings of Default Web Site", List.of("Type", "Host Name", "Port", "IP Address", "SSL certificate (thumbprint)"),
                bindings, b -> List.of(Html.text(b.type()), Html.text(b.host()), Html.text(b.port()), Html.text(b.ip()), b.certificate())));
        if (bound == null) {
            out.append("<p>No https binding yet: in IIS Manager, Default Web Site, Edit Bindings, Add, https, and select a certificate from "
                    + "LocalMachine\\My (the scenario step <code>bind https</code>).</p>");
        }
        out.append("<p>The binding has no host name: the site answers every name it is reached by, with the one certificate; clients check "
                + "that the name they used is in it (" + Html.text(String.join(", ", iis.config().dnsNames())) + ").</p>");
        String clients = switch (iis.sslSettings()) {
            case IGNORE -> "Ignore";
            case ACCEPT -> "Accept";
            case REQUIRE -> "Require";
        };
        out.append("<h2>SSL Settings</h2>").append(Html.fields(List.of(
                new String[] {"Require SSL", Html.text(bound == null ? "(no https binding)" : "Yes: the site is served over https only")},
                new String[] {"Client certificates", Html.text(clients)})));
        List<String> refused = last(iis.clientCertificateRejections(), 10);
        out.append(Html.table("Client certificates the site refused (System log, Schannel), latest last", List.of("Reason"), refused,
                r -> List.of(Html.text(r))));
        List<String> callers = last(iis.managementPointCallers(), 10);
        if (!callers.isEmpty()) {
            out.append(Html.table("Management point: its latest clients (MP log), latest last", List.of("Client (certificate template)"), callers,
                    c -> List.of(Html.text(c))));
        }
        return out.toString();
    }

    private static String events(DomainComputer computer) {
        List<EventLog.Event> events = new ArrayList<>(computer.eventLog().events());
        java.util.Collections.reverse(events);
        return "<h2>Event Viewer: Windows Logs &gt; Application</h2><p>Autoenrollment writes under its source with Windows' event ids: "
                + "19 a certificate was received, 20 renewed, 15 the request is pending, 13 enrollment failed, 64 a certificate was removed or "
                + "replaced, 6 autoenrollment could not run. Newest first.</p>"
                + Html.table("Application log of " + computer.name() + " (" + events.size() + " events)", List.of("Level", "Date and Time", "Source", "Event ID", "Message"),
                events, e -> List.of("<span class=\"" + level(e.level()) + "\">" + Html.text(e.level()) + "</span>",
                        Html.text(WHEN.format(e.time())), Html.text(e.source()), Html.text(e.id()), Html.text(e.message())));
    }

    private static String token(DomainComputer computer, ConsoleSession session) throws Exception {
        LogonToken token = computer.token();
        StringBuilder out = new StringBuilder("<h2>Logon token of ").append(Html.text(token.account())).append(" (whoami /groups)</h2>")
                .append(Html.fields(List.of(
                        new String[] {"Account", Html.text(token.account() + " (" + token.sid() + ")")},
                        new String[] {"Logged on", Html.text(WHEN.format(token.issuedAt()) + " UTC at " + token.logonServer())},
                        new String[] {"Expires", Html.text(WHEN.format(token.expiresAt()) + " UTC: then the computer logs on again, as Windows renews "
                                + "its ticket")})));
        Set<SecurityIdentifier> held = new LinkedHashSet<>();
        token.groups().forEach(g -> held.add(g.sid()));
        SearchResultEntry entry = session.ldap().getEntry(computer.accountDn(), "tokenGroups");
        List<SecurityIdentifier> now = new ArrayList<>();
        if (entry != null && entry.hasAttribute("tokenGroups")) {
            for (byte[] sid : entry.getAttributeValueByteArrays("tokenGroups")) {
                now.add(SecurityIdentifier.fromBytes(sid));
            }
        }
        String heldTable = Html.table("Groups in the token it holds since its last restart", List.of("Group", "SID"), token.groups(),
                g -> List.of(Html.text(g.name()), "<code>" + Html.text(g.sid()) + "</code>"));
        if (now.isEmpty()) {
            out.append(Html.message("info", "The directory did not show " + session.account + " the tokenGroups of " + token.account()
                    + " (read as this account), so the console cannot say what a new logon would hold."));
            return out.append(heldTable).toString();
        }
        // tokenGroups leaves out what a token holds by being a logon (Everyone, Authenticated Users)
        Set<SecurityIdentifier> logonOnly = Set.of(SecurityIdentifier.EVERYONE, SecurityIdentifier.AUTHENTICATED_USERS, token.sid());
        List<SecurityIdentifier> gained = now.stream().filter(s -> !held.contains(s)).toList();
        List<SecurityIdentifier> lost = held.stream().filter(s -> !logonOnly.contains(s) && !now.contains(s)).toList();
        var names = session.directory().usersAndComputers();
        if (gained.isEmpty() && lost.isEmpty()) {
            out.append(Html.message("ok", computer.name() + " holds the groups the directory gives it now: a restart would change nothing in its token."));
        } else {
            StringBuilder says = new StringBuilder(computer.name() + "'s token is older than its group memberships: it still acts with the groups "
                    + "it had at its last restart. After a restart it would hold");
            if (!gained.isEmpty()) {
                says.append(" ").append(String.join(", ", gained.stream().map(names::nameOf).toList())).append(" in addition");
            }
            if (!lost.isEmpty()) {
                says.append(gained.isEmpty() ? "" : ", and").append(" no longer ").append(String.join(", ", lost.stream().map(names::nameOf).toList()));
            }
            says.append(". Templates and CA permissions granted to those groups count for it only then (or once its token expires after 10 hours).");
            out.append(Html.message("info", says.toString()));
        }
        out.append(heldTable).append(Html.table("Groups the directory puts in its token now (tokenGroups, read as " + session.account + ")",
                List.of("Group", "SID"), now, s -> List.of(Html.text(names.nameOf(s)), "<code>" + Html.text(s) + "</code>")));
        return out.toString();
    }

    private static ConsoleAnswer mac(MacComputer mac, String name) {
        String body = Html.fields(List.of(new String[] {"Host name", Html.text(mac.hostName())},
                new String[] {"Role", Html.text("Mac: not joined to the domain, no logon token, Group Policy or autoenrollment")}))
                + "<p>An administrator enrolls a Mac with their own account; Keychain Access shows the certificate in its System keychain.</p>"
                + Html.table("Keychain Access: " + mac.keychain().name(), List.of("Issued To", "Issued By", "Expiration Date", "Intended Purposes",
                "Certificate Template"), mac.keychain().certificates(), c -> List.of(Html.text(c.issuedTo()),
                Html.text(CertificateDialog.commonName(c.certificate().getIssuerX500Principal().getName())), Html.text(DATE.format(c.notAfter())),
                Html.text(String.join(", ", c.intendedPurposes())), Html.text(c.certificateTemplate() == null ? "" : c.certificateTemplate())));
        return ConsoleAnswer.Page.of(name, "/hosts", body, "hosts");
    }

    // ---- helpers --------------------------------------------------------------------------------------

    static String hostPath(String name, String tab) {
        return "/hosts/host?name=" + Html.query(name) + "&tab=" + Html.query(tab);
    }

    private static void known(Lab lab, String name) {
        if (!lab.computerNames().contains(name)) {
            List<String> all = new ArrayList<>(lab.computerNames());
            all.addAll(lab.macNames());
            throw new ConsoleAnswer.Refused(404, "No such computer", "There is no computer " + name + " in this lab; it has "
                    + String.join(", ", all.stream().sorted().toList()) + ".");
        }
    }

    /** The computer, which must be running: a dialog does not start it. */
    static DomainComputer running(Lab lab, String name, String what) {
        String key = name.toUpperCase(Locale.ROOT);
        if (lab.macNames().contains(key)) {
            throw new ConsoleAnswer.Refused(404, "Not on a Mac", key + " is a Mac: the console lists its System keychain on its page; it has no "
                    + "Windows " + what + ".");
        }
        known(lab, key);
        if (!lab.booted(key)) {
            throw new ConsoleAnswer.Refused(409, "Not started", key + " is not started yet, so it has no " + what + ": start it on its page first.");
        }
        return lab.computer(key);
    }

    private static String role(DomainComputer computer) {
        return computer instanceof IisServer ? "member server with IIS" : "client computer";
    }

    private static String site(IisServer iis) {
        if (iis.boundThumbprint() == null) {
            return "Default Web Site (no https binding)";
        }
        try {
            return "Default Web Site: https on port " + iis.httpsPort() + ", client certificates " + iis.sslSettings().name().toLowerCase(Locale.ROOT);
        } catch (IllegalStateException e) {
            return "Default Web Site: stopped";
        }
    }

    private static String aePolicy(int value) {
        if (value == 0) {
            return "0: no Group Policy enables autoenrollment for this computer (Certificate Services Client - Auto-Enrollment not configured)";
        }
        List<String> parts = new ArrayList<>();
        if ((value & GroupPolicy.ENABLE_TEMPLATE_CHECK) != 0) {
            parts.add("enroll and renew by templates (0x1)");
        }
        if ((value & GroupPolicy.ENABLE_MY_STORE_MANAGEMENT) != 0) {
            parts.add("remove revoked certificates (0x2)");
        }
        if ((value & GroupPolicy.ENABLE_PENDING_FETCH) != 0) {
            parts.add("fetch pending requests (0x4)");
        }
        return value + ": " + (parts.isEmpty() ? "enabled, nothing selected" : String.join(", ", parts));
    }

    private static String level(String level) {
        return switch (level) {
            case "Error" -> "bad";
            case "Warning" -> "warn";
            default -> "ok";
        };
    }

    private static <T> List<T> last(List<T> all, int n) {
        return all.subList(Math.max(0, all.size() - n), all.size());
    }
}
