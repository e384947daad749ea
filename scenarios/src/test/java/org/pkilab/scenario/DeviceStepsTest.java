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
 * administrator installs it and enrolls with an account's credential over EST, CMP, ACME or SCEP, which the CA judges
 * against the template as it judges a domain member: an account without Enroll is refused with
 * {@code CERTSRV_E_TEMPLATE_DENIED} over each; over SCEP the account is NDES's, the CA host's.
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
                "  - enroll device: {device: RTR01, protocol: cmp, template: Lab Router, account: svc-rtr}",                  // 14
                "  - enroll device: {device: RTR01, protocol: cmp, template: Lab Router, account: bob}",
                "    expect: {error: CERTSRV_E_TEMPLATE_DENIED}",
                "  - enroll device: {device: RTR01, protocol: acme, template: Lab Router, account: svc-rtr}",
                "  - enroll device: {device: RTR01, protocol: acme, template: Lab Router, account: bob}",
                "    expect: {error: CERTSRV_E_TEMPLATE_DENIED}",                                                            // 19
                "  - issue template: IPSec (Offline request)",
                "  - enroll device: {device: RTR01, protocol: scep}",                                                        // 21
                "    expect: {error: CERTSRV_E_TEMPLATE_DENIED}",
                "  - allow: {template: IPSec (Offline request), principal: CA01$, rights: [Enroll]}",
                "  - enroll device: {device: RTR01, protocol: scep}",                                                        // 24
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
    void overCmpTheAdministratorIssuesASecretForTheAccountAndTheCaJudgesThatAccount() {
        String issued = step(14);
        assertTrue(issued.contains("CONTOSO\\Administrator issued a CMP shared secret for CONTOSO\\svc-rtr")
                && issued.contains("RTR01 enrolled over CMP; its Device certificates now holds:"), issued);
        assertTrue(step(15).contains("0x80094012") && step(15).contains("CONTOSO\\bob"), step(15));
    }

    @Test
    void overAcmeTheDeviceAnswersHttp01WithTheBindingTheAdministratorIssued() {
        String issued = step(17);
        assertTrue(issued.contains("issued an external account binding for CONTOSO\\svc-rtr")
                && issued.contains("set CA\\AcmeHttpPort to ") && issued.contains("RTR01 enrolled over ACME"), issued);
        assertTrue(issued.contains("SAN: rtr01.contoso.com"), issued);
        assertTrue(step(18).contains("0x80094012") && step(18).contains("CONTOSO\\bob"), step(18));
    }

    @Test
    void overScepNdesSubmitsAsItsServiceAccountWhichNeedsEnrollOnItsTemplate() {
        assertTrue(step(21).contains("0x80094012") && step(21).contains("CONTOSO\\CA01$"), step(21));
        String issued = step(24);
        assertTrue(issued.contains("got a one-time challenge password from https://") && issued.contains("RTR01 enrolled over SCEP"), issued);
        assertTrue(issued.contains("Intended Purposes: IP security IKE intermediate   Certificate Template: IPSECIntermediateOffline"), issued);
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
        assertTrue(wrong.err().contains("wrong.yaml:5: protocol 'telnet' is not one 'enroll device' speaks: use est, scep, acme, cmp"),
                wrong.err());
    }
}
