package org.pkilab.console;

import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.host.CertificateStore;
import org.pkilab.host.DomainComputer;
import org.pkilab.host.EventLog;
import org.pkilab.host.StoredCertificate;
import org.pkilab.iis.IisServer;
import java.util.ArrayList;
import java.util.List;

/**
 * The tabs of one computer in the Computers console: Certificates (Local Computer) as the Certificates snap-in lists
 * its stores, IIS Manager's site bindings and SSL Settings, Event Viewer's Application log, and the logon token held
 * since the last restart beside the one the DC would give now.
 */
final class ComputerTabs {

    private ComputerTabs() {
    }

    static String certificates(DomainComputer computer) {
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
                        Html.text(ComputersView.DATE.format(c.notAfter())),
                        Html.text(String.join(", ", c.intendedPurposes())),
                        Html.text(c.certificateTemplate() == null ? "" : c.certificateTemplate())));
    }

    static String iis(DomainComputer computer) {
        if (!(computer instanceof IisServer iis)) {
            return "<p>" + Html.text(computer.name()) + " does not run IIS: it is a " + ComputersView.role(computer) + ". IIS Manager is on the lab's IIS servers "
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

    static String events(DomainComputer computer) {
        List<EventLog.Event> events = new ArrayList<>(computer.eventLog().events());
        java.util.Collections.reverse(events);
        return "<h2>Event Viewer: Windows Logs &gt; Application</h2><p>Autoenrollment writes under its source with Windows' event ids: "
                + "19 a certificate was received, 20 renewed, 15 the request is pending, 13 enrollment failed, 64 a certificate was removed or "
                + "replaced, 6 autoenrollment could not run. Newest first.</p>"
                + Html.table("Application log of " + computer.name() + " (" + events.size() + " events)", List.of("Level", "Date and Time", "Source", "Event ID", "Message"),
                events, e -> List.of("<span class=\"" + level(e.level()) + "\">" + Html.text(e.level()) + "</span>",
                        Html.text(ComputersView.WHEN.format(e.time())), Html.text(e.source()), Html.text(e.id()), Html.text(e.message())));
    }

    static String token(DomainComputer computer, ConsoleSession session) throws Exception {
        LogonToken token = computer.token();
        StringBuilder out = new StringBuilder("<h2>Logon token of ").append(Html.text(token.account())).append(" (whoami /groups)</h2>")
                .append(Html.fields(List.of(
                        new String[] {"Account", Html.text(token.account() + " (" + token.sid() + ")")},
                        new String[] {"Logged on", Html.text(ComputersView.WHEN.format(token.issuedAt()) + " UTC at " + token.logonServer())},
                        new String[] {"Expires", Html.text(ComputersView.WHEN.format(token.expiresAt()) + " UTC: then the computer logs on again, as Windows renews "
                                + "its ticket")})));
        TokenChange change = TokenChange.of(session.ldap(), computer.accountDn(), token);
        List<SecurityIdentifier> now = change.now();
        String heldTable = Html.table("Groups in the token it holds since its last restart", List.of("Group", "SID"), token.groups(),
                g -> List.of(Html.text(g.name()), "<code>" + Html.text(g.sid()) + "</code>"));
        if (now.isEmpty()) {
            out.append(Html.message("info", "The directory did not show " + session.account + " the tokenGroups of " + token.account()
                    + " (read as this account), so the console cannot say what a new logon would hold."));
            return out.append(heldTable).toString();
        }
        List<SecurityIdentifier> gained = change.gained();
        List<SecurityIdentifier> lost = change.lost();
        var names = session.directory().usersAndComputers();
        if (change.unchanged()) {
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
