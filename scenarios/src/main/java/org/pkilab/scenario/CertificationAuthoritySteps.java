package org.pkilab.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import org.pkilab.admin.CaAdminClient;
import org.pkilab.ca.CaSecurity;
import org.pkilab.ca.RevocationReason;
import org.pkilab.host.DomainComputer;
import org.pkilab.host.StoredCertificate;
import org.pkilab.lab.Lab;

import java.util.ArrayList;
import java.util.List;

/**
 * The steps a certificate manager takes in the Certification Authority console: Certificate Templates to
 * Issue, Pending Requests (Issue, Deny) and Issued Certificates (Revoke). As {@code certutil} and the console
 * reach a Windows CA over {@code ICertAdmin}, each step goes to the CA's administration interface over HTTPS
 * with the {@link CaAdminClient} that {@code pkilab ca ...} uses, logged on as the step's {@code as} account
 * (the domain's Administrator when unset). The CA checks its own Security tab, so a step run as an account
 * without "Issue and Manage Certificates" (or "Manage CA" for the templates to issue) fails as the CLI does:
 *
 * <pre>
 * - approve pending: {host: PC01, as: alice}
 *   expect: {error: E_ACCESSDENIED}          # 0x80070005: CONTOSO\alice may not approve requests on CONTOSO-CA
 * </pre>
 */
final class CertificationAuthoritySteps {

    /** The account a step acts as when it names none: the forest's Administrator, a Domain Admin. */
    static final String ADMINISTRATOR = "Administrator";

    private final Lab lab;
    private final ComputerSteps computers;

    CertificationAuthoritySteps(Lab lab, ComputerSteps computers) {
        this.lab = lab;
        this.computers = computers;
    }

    void execute(Scenario.Step s, List<String> say) {
        String account = s.text("as") == null ? ADMINISTRATOR : s.text("as");
        String who = lab.dc().config().netbiosName() + "\\" + account;
        switch (s.verb()) {
            case ISSUE_TEMPLATE -> say.add(issues(console(account).issueTemplate(s.text("name"))));
            case STOP_ISSUING -> say.add(issues(console(account).removeTemplate(s.text("name"))));
            case APPROVE_PENDING, DENY_PENDING -> {
                DomainComputer computer = lab.computer(s.text("host"));
                if (computer.pendingRequests().isEmpty()) {
                    throw new IllegalStateException(computer.name() + " has no pending request");
                }
                CaAdminClient ca = console(account);
                for (long id : computer.pendingRequests()) {
                    if (s.verb() == Verb.APPROVE_PENDING) {
                        JsonNode row = ca.approve(id);
                        if (!"ISSUED".equals(row.path("status").asText())) {
                            // resubmitted, the request went through the template's checks again and one refused it
                            throw new IllegalStateException("request " + id + " resubmitted by " + who + " was not issued: "
                                    + row.path("dispositionCode").asText() + " " + row.path("disposition").asText());
                        }
                        say.add("request " + id + " issued by " + who);
                    } else {
                        ca.deny(id);
                        say.add("request " + id + " denied by " + who);
                    }
                }
            }
            case REVOKE -> {
                DomainComputer computer = lab.computer(s.text("host"));
                StoredCertificate certificate = s.text("user") == null ? computers.certificate(computer, s.text("template"))
                        : computers.userCertificate(computer, s.text("user"), s.text("template"));
                RevocationReason reason = s.text("reason") == null ? RevocationReason.UNSPECIFIED : RevocationReason.parse(s.text("reason"));
                String serial = certificate.certificate().getSerialNumber().toString(16);
                console(account).revoke(serial, reason);
                say.add("revoked " + serial + " (" + reason.rfcName() + "); new CRL at " + lab.ca().crlUrl());
            }
            case RESUBMIT_REQUEST -> resubmit(s, account, say);
            case ALLOW_ON_CA, REMOVE_PERMISSION_ON_CA -> {
                CaAdminClient ca = console(account);
                JsonNode after = null;
                for (String right : s.list("rights")) {
                    String role = switch (CaSecurity.Permission.parse(right)) {
                        case MANAGE_CA -> "manager";
                        case MANAGE_CERTIFICATES -> "officer";
                        case REQUEST_CERTIFICATES -> "enroll";
                        case READ -> "read";
                    };
                    after = s.verb() == Verb.ALLOW_ON_CA ? ca.allow(role, s.text("principal")) : ca.disallow(role, s.text("principal"));
                }
                say.add("Security tab of " + lab.ca().name() + " (as " + who + "):");
                after.path("entries").forEach(e -> say.add("  " + e.path("type").asText() + " " + e.path("trustee").asText() + ": "
                        + String.join(", ", java.util.stream.StreamSupport.stream(e.path("permissions").spliterator(), false)
                        .map(JsonNode::asText).toList())));
            }
            default -> throw new IllegalArgumentException("'" + s.verb().text() + "' is not done in the Certification Authority console");
        }
    }

    /**
     * An officer resubmits the newest failed request of {@code user} for the template ({@code certutil -resubmit}); the
     * user then fetches the certificate on the computer that holds the request's key ({@code certreq -retrieve}).
     */
    private void resubmit(Scenario.Step s, String account, List<String> say) {
        CaAdminClient ca = console(account);
        String template = lab.admin().templates().get(s.text("template")).name();
        String requester = lab.dc().config().netbiosName() + "\\" + s.text("user");
        long id = -1;
        long after = 0;
        while (true) {
            JsonNode page = ca.requests("failed", after, 1000);
            if (page.size() == 0) {
                break;
            }
            for (JsonNode row : page) {
                if (row.path("requester").asText().equalsIgnoreCase(requester) && row.path("template").asText().equalsIgnoreCase(template)) {
                    id = row.path("requestId").asLong();
                }
                after = row.path("requestId").asLong();
            }
        }
        if (id < 0) {
            throw new IllegalStateException("the Failed Requests folder of " + lab.ca().name() + " holds no request of " + requester + " for "
                    + s.text("template"));
        }
        JsonNode row = ca.resubmit(id);
        say.add("request " + id + " resubmitted by " + lab.dc().config().netbiosName() + "\\" + account + ": " + row.path("status").asText()
                + " " + row.path("dispositionCode").asText() + " " + row.path("disposition").asText());
        if (!"ISSUED".equals(row.path("status").asText())) {
            throw new IllegalStateException("request " + id + " resubmitted was not issued: " + row.path("dispositionCode").asText() + " "
                    + row.path("disposition").asText());
        }
        StoredCertificate issued = computers.retrieve(lab.computer(s.text("host")), s.text("user"), id);
        say.add("certreq -retrieve " + id + " as " + s.text("user") + ": CurrentUser\\My now holds:");
        ComputerSteps.describe(issued, say);
    }

    /** The console opened as {@code account}, with the lab's password for every account, over HTTPS to the CA. */
    CaAdminClient console(String account) {
        String dn = account.equalsIgnoreCase(ADMINISTRATOR) ? lab.dc().administratorDn() : lab.admin().usersAndComputers().dnOf(account);
        return CaAdminClient.connect(lab.admin(), lab.ca().name(), "127.0.0.1", dn, lab.password());
    }

    /** "CONTOSO-CA now issues [...]", from the CA's answer. */
    private static String issues(JsonNode answer) {
        List<String> templates = new ArrayList<>();
        answer.path("templates").forEach(t -> templates.add(t.asText()));
        return answer.path("ca").asText() + " now issues " + templates;
    }
}
