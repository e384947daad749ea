package org.pkilab.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import org.pkilab.admin.CaAdminClient;
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
                StoredCertificate certificate = computers.certificate(computer, s.text("template"));
                RevocationReason reason = s.text("reason") == null ? RevocationReason.UNSPECIFIED : RevocationReason.parse(s.text("reason"));
                String serial = certificate.certificate().getSerialNumber().toString(16);
                console(account).revoke(serial, reason);
                say.add("revoked " + serial + " (" + reason.rfcName() + "); new CRL at " + lab.ca().crlUrl());
            }
            default -> throw new IllegalArgumentException("'" + s.verb().text() + "' is not done in the Certification Authority console");
        }
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
