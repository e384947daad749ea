package org.pkilab.cli.admin;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.cli.Cli;
import org.pkilab.enrollment.CmpClient;
import org.pkilab.enrollment.EnrollmentException;
import org.pkilab.lab.Lab;
import org.pkilab.lab.LabSpec;
import org.pkilab.windows.WindowsError;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code pkilab cmp secret ACCOUNT} as an administrator runs it: the secret it prints enrolls over CMP as that account,
 * a new one replaces it, and an account without Manage CA gets {@code E_ACCESSDENIED}.
 */
class CmpSecretVerbTest {

    private static final String USER_PASSWORD = "Mallory-Passw0rd!";
    private static Lab lab;

    @BeforeAll
    static void startLab() {
        lab = Lab.start(LabSpec.builder().build());
        lab.admin().usersAndComputers().createUser("mallory", USER_PASSWORD);
        // a device that enrolls over CMP alone: Domain Computers may enroll for Computer (Machine)
        lab.admin().usersAndComputers().createComputer("DEV01", "dev01.contoso.com", lab.password());
    }

    @AfterAll
    static void stopLab() {
        if (lab != null) {
            lab.close();
        }
    }

    private static Cli.Result as(String user, String password, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--ldap", lab.dc().ldapUrl(), "--user", user, "--password", password));
        return Cli.pkilab(all.toArray(new String[0]));
    }

    private static String field(Cli.Result run, String name) {
        return run.out().replaceAll("(?s).*\\n  " + name + " +(\\S+)\\n.*", "$1");
    }

    private static KeyPair rsa() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }

    private static CmpClient client(String reference, String secret) {
        String url = "http://127.0.0.1:" + lab.ca().httpPort() + "/.well-known/cmp";
        return CmpClient.withSecret(url, lab.ca().certificate(), reference, secret);
    }

    @Test
    void theSecretItPrintsEnrollsAsTheAccountAndANewOneReplacesIt() throws Exception {
        Cli.Result issued = as("Administrator", lab.password(), "cmp", "secret", "DEV01$");
        assertEquals(0, issued.exit(), issued.toString());
        assertTrue(issued.out().contains("CMP secret for CONTOSO\\DEV01$ at " + lab.ca().name()), issued.out());
        assertTrue(issued.out().contains("openssl cmp -cmd ir -server " + lab.ca().config().fqdn() + ":" + lab.ca().httpPort()
                + " -path /.well-known/cmp/p/<template>"), "the openssl command to paste: " + issued.out());
        String reference = field(issued, "reference");
        String secret = field(issued, "secret");

        X509Certificate certificate = client(reference, secret).enroll("Machine", rsa(), "");
        assertEquals("CONTOSO\\DEV01$", lab.ca().bySerial(certificate.getSerialNumber()).orElseThrow().requester(),
                "the requester of the CMP enrollment with DEV01's secret");

        Cli.Result again = as("Administrator", lab.password(), "cmp", "secret", "CONTOSO\\DEV01$");
        assertEquals(0, again.exit(), again.toString());
        EnrollmentException replaced = assertThrows(EnrollmentException.class, () -> client(reference, secret).enroll("Machine", rsa(), ""));
        assertEquals(WindowsError.ERROR_LOGON_FAILURE, replaced.error(), "the secret DEV01$ had before: " + replaced.getMessage());
        client(field(again, "reference"), field(again, "secret")).enroll("Machine", rsa(), "");
    }

    @Test
    void anAccountWithoutManageCaCannotIssueSecrets() {
        Cli.Result refused = as("mallory", USER_PASSWORD, "cmp", "secret", "DEV01$");
        assertEquals(1, refused.exit(), refused.toString());
        assertTrue(refused.err().contains("0x80070005") && refused.err().contains("Manage CA"), "mallory without Manage CA: " + refused.err());
    }

    @Test
    void aNameThatIsNoAccountIsRefusedWithNoneMapped() {
        Cli.Result refused = as("Administrator", lab.password(), "cmp", "secret", "nobody-here");
        assertEquals(1, refused.exit(), refused.toString());
        assertTrue(refused.err().contains("ERROR_NONE_MAPPED") && refused.err().contains("nobody-here"), refused.err());
    }

    @Test
    void removeEndsEnrollmentWithTheSecretAndSaysWhenThereIsNone() throws Exception {
        lab.admin().usersAndComputers().createComputer("DEV02", "dev02.contoso.com", lab.password());
        Cli.Result issued = as("Administrator", lab.password(), "cmp", "secret", "DEV02$");
        assertEquals(0, issued.exit(), issued.toString());
        String reference = field(issued, "reference");
        String secret = field(issued, "secret");

        Cli.Result removed = as("Administrator", lab.password(), "cmp", "secret", "--remove", "DEV02$");
        assertEquals(0, removed.exit(), removed.toString());
        assertTrue(removed.out().contains("Removed the CMP secret of DEV02$"), removed.out());
        EnrollmentException refused = assertThrows(EnrollmentException.class, () -> client(reference, secret).enroll("Machine", rsa(), ""));
        assertEquals(WindowsError.ERROR_LOGON_FAILURE, refused.error(), "DEV02's removed secret: " + refused.getMessage());

        Cli.Result none = as("Administrator", lab.password(), "cmp", "secret", "--remove", "DEV02$");
        assertEquals(1, none.exit(), none.toString());
        assertTrue(none.err().contains("E_INVALIDARG") && none.err().contains("has no CMP secret"), none.err());
    }
}
