package org.pkilab.console;

import org.pkilab.directory.model.GroupPolicy;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.host.DomainComputer;
import org.pkilab.host.MacComputer;
import org.pkilab.host.UnjoinedComputer;
import org.pkilab.iis.IisServer;
import org.pkilab.lab.Lab;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

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
 * POST /hosts/refresh-ocsp name                 certutil -urlcache OCSP delete (Domain Admins only)
 * </pre>
 *
 * <p>The computers are in-process objects of the lab, read as they are; viewing one never starts it: a computer no
 * scenario step used yet shows "not started yet". Restarting a computer needs administrator rights on it, which the
 * lab's computers give to Domain Admins (as joining a domain puts that group in the local Administrators group); an
 * account without them sees no button, and its forged request is refused and changes nothing.
 */
final class ComputersView implements ConsoleView {

    static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("M/d/yyyy h:mm:ss a", Locale.US).withZone(ZoneOffset.UTC);
    static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("M/d/yyyy", Locale.US).withZone(ZoneOffset.UTC);
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
            case "/hosts/refresh-ocsp" -> "delete the OCSP answers " + name + " cached (certutil -urlcache OCSP delete)";
            default -> throw new ConsoleAnswer.Refused(404, "Not found", "The Computers console has no action " + request.path()
                    + ": it has /hosts/restart, /hosts/refresh-crl and /hosts/refresh-ocsp");
        };
        if (!session.administrator()) {
            throw new ConsoleAnswer.Refused(403, "Refused", session.account + " may not " + what + ": that needs administrator rights on "
                    + name + ", which the lab's computers give to Domain Admins (in their local Administrators group); this account's "
                    + "token holds neither. Sign in as a member of Domain Admins, or have one add " + session.account
                    + " to Domain Admins and sign in again. Nothing was changed.");
        }
        if (lab.unjoinedNames().contains(name)) {
            String kind = lab.unjoined(name).kind();
            throw new ConsoleAnswer.Refused(409, "Not on a " + kind, name + " is a " + kind + ", not joined to the domain: it has no logon, Group "
                    + "Policy or autoenrollment to restart, and no Windows CRL or OCSP cache. Nothing was changed.");
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
        if (request.path().equals("/hosts/refresh-ocsp")) {
            int forgotten = running(lab, name, "OCSP cache").ocspCache().clear();
            return ConsoleAnswer.Redirect.to(hostPath(name, "certificates"), "certutil -urlcache OCSP delete on " + name + ": " + forgotten
                    + " cached OCSP answer" + (forgotten == 1 ? "" : "s") + " deleted; the next check of a certificate that names the Online "
                    + "Responder asks it again.");
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
        for (String name : lab.unjoinedNames().stream().sorted().toList()) {
            UnjoinedComputer machine = lab.unjoined(name);
            rows.add(new Row(name, machine.hostName(), machine.kind() + " (not joined to the domain)", "running",
                    machine.store().certificates().size() + " (" + machine.store().name() + ")", ""));
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
        if (lab.unjoinedNames().contains(name)) {
            return unjoined(lab.unjoined(name), name);
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
                    .append(Html.form("/hosts/refresh-ocsp", session.csrf, Html.hidden("name", name), "Delete cached OCSP answers"))
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
            case "iis" -> ComputerTabs.iis(computer);
            case "events" -> ComputerTabs.events(computer);
            case "token" -> ComputerTabs.token(computer, session);
            default -> ComputerTabs.certificates(computer);
        });
        return ConsoleAnswer.Page.of(name, "/hosts", body.toString(), "hosts", "ca", "directory", "clock");
    }

    private static ConsoleAnswer unjoined(UnjoinedComputer machine, String name) {
        boolean mac = machine instanceof MacComputer;
        String body = Html.fields(List.of(new String[] {"Host name", Html.text(machine.hostName())},
                new String[] {"Role", Html.text((mac ? "Mac" : "Network device") + ": not joined to the domain, no logon token, Group Policy or "
                        + "autoenrollment")}))
                + (mac ? "<p>An administrator enrolls a Mac with their own account; Keychain Access shows the certificate in its System keychain.</p>"
                : "<p>A network device enrolls over SCEP, ACME, CMP or EST with a credential an administrator gives it; the CA judges the "
                + "account behind the credential against the template.</p>")
                + Html.table((mac ? "Keychain Access: " : "") + machine.store().name(), List.of("Issued To", "Issued By", "Expiration Date",
                "Intended Purposes", "Certificate Template"), machine.store().certificates(), c -> List.of(Html.text(c.issuedTo()),
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
            all.addAll(lab.unjoinedNames());
            throw new ConsoleAnswer.Refused(404, "No such computer", "There is no computer " + name + " in this lab; it has "
                    + String.join(", ", all.stream().sorted().toList()) + ".");
        }
    }

    /** The computer, which must be running: a dialog does not start it. */
    static DomainComputer running(Lab lab, String name, String what) {
        String key = name.toUpperCase(Locale.ROOT);
        if (lab.unjoinedNames().contains(key)) {
            UnjoinedComputer machine = lab.unjoined(key);
            throw new ConsoleAnswer.Refused(404, "Not on a " + machine.kind(), key + " is a " + machine.kind() + ": the console lists its "
                    + machine.store().name() + " on its page; it has no Windows " + what + ".");
        }
        known(lab, key);
        if (!lab.booted(key)) {
            throw new ConsoleAnswer.Refused(409, "Not started", key + " is not started yet, so it has no " + what + ": start it on its page first.");
        }
        return lab.computer(key);
    }

    static String role(DomainComputer computer) {
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

}
