package org.pkilab.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import org.pkilab.admin.CaAdminClient;
import org.pkilab.host.NetworkDevice;
import org.pkilab.host.StoredCertificate;
import org.pkilab.lab.Lab;

import java.util.List;
import java.util.Locale;

/**
 * The steps of a network device, which is not joined to the domain: its administrator installs the enterprise root,
 * and it enrolls over a protocol made for devices with a credential an administrator gives it. The CA judges the
 * account behind the credential against the template as it judges a domain member, so a lesson shows the same
 * refusal ({@code CERTSRV_E_TEMPLATE_DENIED}) over each protocol.
 *
 * <pre>
 * - trust root on device: RTR01
 * - enroll device: {device: RTR01, protocol: est, template: WebServer, account: svc-web, dns: [rtr01.contoso.com]}
 * - enroll device: {device: RTR01, protocol: scep}                       # NDES chooses the template, CA01$ is the requester
 * - enroll device: {device: WEB01, protocol: acme, template: WebServer, account: svc-web}
 * - enroll device: {device: PLC01, protocol: cmp, template: WebServer, account: svc-plc}
 * </pre>
 *
 * <p>The administrator's part comes first in the same step, as the narration says: a one-time challenge password from
 * NDES's {@code mscep_admin} page for SCEP, an external account binding for {@code account} for ACME
 * ({@code pkilab acme eab}), a shared secret for {@code account} for CMP ({@code pkilab cmp secret}); EST sends the
 * account's password. ACME's {@code http-01} is answered on the loopback port of {@code CA\AcmeHttpPort}; while that is
 * still port 80, the step first sets it to a free port, as a lab cannot count on port 80.
 */
final class DeviceSteps {

    /** The protocols {@code enroll device} speaks, as the step names them. */
    static final List<String> PROTOCOLS = List.of("est", "scep", "acme", "cmp");

    private final Lab lab;
    private final CertificationAuthoritySteps certificationAuthority;

    /** @param certificationAuthority whose console, as the Administrator, issues the credentials */
    DeviceSteps(Lab lab, CertificationAuthoritySteps certificationAuthority) {
        this.lab = lab;
        this.certificationAuthority = certificationAuthority;
    }

    void execute(Scenario.Step s, List<String> say) {
        NetworkDevice device = lab.device(s.text("device"));
        switch (s.verb()) {
            case TRUST_ROOT_ON_DEVICE -> {
                device.trustRoot(lab.ca().certificate());
                say.add(s.text("device") + " trusts " + lab.ca().certificate().getSubjectX500Principal().getName());
            }
            case ENROLL_DEVICE -> {
                String protocol = s.text("protocol") == null ? "est" : s.text("protocol").toLowerCase(Locale.ROOT);
                List<String> dns = s.list("dns").isEmpty() ? List.of(device.hostName()) : s.list("dns");
                String commonName = s.text("common name") == null ? dns.get(0) : s.text("common name");
                StoredCertificate issued = switch (protocol) {
                    case "est" -> device.enrollEst(lab.ca().estBaseUrl(), template(s), account(s, "EST sends an account's password"),
                            lab.password(), commonName, dns);
                    case "scep" -> {
                        String password = console().scepChallengePassword();
                        say.add(administrator() + " got a one-time challenge password from " + lab.ca().ndesAdminUrl() + " for "
                                + s.text("device"));
                        yield device.enrollScep(lab.ca().scepUrl(), password, commonName);
                    }
                    case "acme" -> {
                        String template = required(template(s), "the ACME directory is the template's, /acme/<template>/directory");
                        JsonNode key = console().acmeExternalAccountKey(account(s, "the external account binding stands for that account"));
                        say.add(administrator() + " issued an external account binding for " + key.path("account").asText()
                                + " (pkilab acme eab): key id " + key.path("keyId").asText());
                        // while CA\AcmeHttpPort is still 80, which a lab cannot count on, the device listens on a free port first
                        // and the administrator points the CA at it: no port is picked and freed for someone else to take
                        int port = console().registry().acmeHttpPort();
                        yield device.enrollAcme(lab.ca().acmeDirectoryUrl(template), key.path("keyId").asText(), key.path("hmacKey").asText(),
                                port == 80 ? 0 : port, bound -> pointCaAt(bound, port, say), dns);
                    }
                    case "cmp" -> {
                        String template = required(template(s), "the CMP path names the template, /.well-known/cmp/p/<template>");
                        JsonNode secret = console().issueCmpSecret(account(s, "the shared secret stands for that account"));
                        say.add(administrator() + " issued a CMP shared secret for " + secret.path("account").asText()
                                + " (pkilab cmp secret): reference " + secret.path("reference").asText());
                        yield device.enrollCmp(lab.ca().cmpUrl(), template, secret.path("reference").asText(), secret.path("secret").asText(),
                                commonName, dns);
                    }
                    default -> throw new IllegalArgumentException("protocol '" + s.text("protocol") + "' is not one 'enroll device' speaks: use "
                            + String.join(", ", PROTOCOLS));
                };
                say.add(s.text("device") + " enrolled over " + protocol.toUpperCase(Locale.ROOT) + "; its " + device.store().name() + " now holds:");
                ComputerSteps.describe(issued, say);
            }
            default -> throw new IllegalArgumentException("'" + s.verb().text() + "' is not done on a network device");
        }
    }

    /** The step's template by its name (a display name is looked up), or null for none. */
    private String template(Scenario.Step s) {
        return s.text("template") == null ? null : lab.admin().templates().get(s.text("template")).name();
    }

    /** The Certification Authority console and NDES's admin page, as the Administrator, over HTTPS to the CA. */
    private CaAdminClient console() {
        return certificationAuthority.console(CertificationAuthoritySteps.ADMINISTRATOR);
    }

    private String administrator() {
        return lab.dc().names().defaultNetbiosName() + "\\Administrator";
    }

    /** Sets {@code CA\AcmeHttpPort} to the port the device listens on, when it differs from the one the CA has. */
    private void pointCaAt(int listening, int configured, List<String> say) {
        if (listening == configured) {
            return;
        }
        console().setRegistry("CA\\AcmeHttpPort", Integer.toString(listening));
        say.add(administrator() + " set CA\\AcmeHttpPort to " + listening + ": the CA fetches http-01 answers from 127.0.0.1:" + listening
                + ", the lab's stand-in for port 80");
    }

    private static String required(String value, String why) {
        if (value == null) {
            throw new IllegalArgumentException("'enroll device' over this protocol needs 'template': " + why);
        }
        return value;
    }

    private static String account(Scenario.Step s, String why) {
        if (s.text("account") == null) {
            throw new IllegalArgumentException("'enroll device' over " + s.text("protocol") + " needs 'account': " + why);
        }
        return s.text("account");
    }
}
