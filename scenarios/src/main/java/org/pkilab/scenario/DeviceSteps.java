package org.pkilab.scenario;

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
 * </pre>
 */
final class DeviceSteps {

    /** The protocols {@code enroll device} speaks, as the step names them. */
    static final List<String> PROTOCOLS = List.of("est");

    private final Lab lab;

    DeviceSteps(Lab lab) {
        this.lab = lab;
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

    private static String account(Scenario.Step s, String why) {
        if (s.text("account") == null) {
            throw new IllegalArgumentException("'enroll device' over " + s.text("protocol") + " needs 'account': " + why);
        }
        return s.text("account");
    }
}
