package org.pkilab.scenario;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.cli.Cli;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A network device in a scenario ({@code role: device}): not joined to the domain, it trusts the enterprise root once its
 * administrator installs it and enrolls with an account's credential, which the CA judges against the template as it
 * judges a domain member: an account without Enroll is refused with {@code CERTSRV_E_TEMPLATE_DENIED}.
 */
class DeviceStepsTest {

    private static Cli.Result run;

    @BeforeAll
    static void runTheScenario(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("device.yaml");
        Files.writeString(file, String.join("\n",
                "name: device-enrolls",                                                                            // 1
                "title: A router enrolls over EST with a service account",
                "lab: {computers: [{name: RTR01, role: device, dns: [rtr01.contoso.com]}], users: [svc-rtr, bob]}",
                "steps:",
                "  - duplicate template: {template: Web Server, name: Lab Router}",                                // 5
                "  - allow: {template: Lab Router, principal: svc-rtr, rights: [Read, Enroll]}",
                "  - issue template: Lab Router",
                "  - enroll device: {device: RTR01, protocol: est, template: Lab Router, account: svc-rtr}",
                "    expect: {error: CERT_E_UNTRUSTEDROOT}",
                "  - trust root on device: RTR01",                                                                 // 10
                "  - enroll device: {device: RTR01, protocol: est, template: Lab Router, account: svc-rtr, dns: [rtr01.contoso.com]}",
                "  - enroll device: {device: RTR01, template: Lab Router, account: bob}",
                "    expect: {error: CERTSRV_E_TEMPLATE_DENIED}",
                ""));
        run = Cli.pkilab("run", file.toString());
    }

    /** The narration of the step on {@code line}, up to the next step. */
    private static String step(int line) {
        String out = run.out();
        int start = out.indexOf("[device.yaml:" + line + "]");
        assertTrue(start >= 0, "no step at line " + line + ": " + run);
        int next = out.indexOf("  [device.yaml:", start + 1);
        return out.substring(out.lastIndexOf('\n', start) + 1, next < 0 ? out.length() : out.lastIndexOf('\n', next));
    }

    @Test
    void everyStepComesOutAsTheScenarioExpects() {
        assertEquals(0, run.exit(), run.toString());
    }

    @Test
    void theDeviceRefusesTheCaUntilItsAdministratorInstallsTheRoot() {
        assertTrue(step(8).contains("CERT_E_UNTRUSTEDROOT") && step(8).contains("the Trusted roots store is empty: an administrator must install "
                + "the enterprise root CA on rtr01.contoso.com, which is not joined to the domain (the scenario step 'trust root on device')"), step(8));
    }

    @Test
    void theCertificateGoesToTheDevicesOwnStore() {
        String issued = step(11);
        assertTrue(issued.contains("RTR01 enrolled over EST; its Device certificates now holds:"), issued);
        assertTrue(issued.contains("SAN: rtr01.contoso.com") && issued.contains("Server Authentication"), issued);
    }

    @Test
    void anAccountWithoutEnrollIsRefusedWithTheAdCsCode() {
        String refused = step(12);
        assertTrue(refused.contains("0x80094012") && refused.contains("CONTOSO\\bob"), refused);
    }

    @Test
    void aStepNamingAComputerThatIsNoDeviceOrAProtocolTheStepDoesNotSpeakIsRefusedBeforeTheLabStarts(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("wrong.yaml");
        Files.writeString(file, String.join("\n",
                "title: wrong device steps",
                "lab: {computers: [{name: PC01}, {name: RTR01, role: device}]}",
                "steps:",
                "  - trust root on device: PC01",
                "  - enroll device: {device: RTR01, protocol: telnet, account: Administrator}",
                ""));
        Cli.Result wrong = Cli.pkilab("run", file.toString());
        assertEquals(2, wrong.exit(), wrong.toString());
        assertTrue(wrong.err().contains("wrong.yaml:4: device 'PC01' is not a network device"), wrong.err());
        assertTrue(wrong.err().contains("wrong.yaml:5: protocol 'telnet' is not one 'enroll device' speaks: use est"), wrong.err());
    }
}
