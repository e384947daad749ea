package org.pkilab.cli.admin;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.cli.Cli;
import org.pkilab.enrollment.AcmeClient;
import org.pkilab.enrollment.EnrollmentException;
import org.pkilab.lab.Lab;
import org.pkilab.lab.LabSpec;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code pkilab acme eab} and the CA's ACME registry values, run as an administrator runs them: through picocli
 * against a running lab, then used as an ACME client uses them.
 */
class AcmeVerbsTest {

    private static final String USER_PASSWORD = "Mallory-Passw0rd!";
    private static final Pattern KEY = Pattern.compile("Key id: +(\\S+)\\s+HMAC key: +(\\S+)");
    private static Lab lab;

    @BeforeAll
    static void startLab() {
        lab = Lab.start(LabSpec.builder().build());
        lab.admin().usersAndComputers().createUser("mallory", USER_PASSWORD);
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

    private static AcmeClient client(String keyId, String hmacKey) throws Exception {
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(256);
        KeyPair key = ec.generateKeyPair();
        AcmeClient.Builder builder = AcmeClient.builder("https://127.0.0.1:" + lab.ca().httpsPort() + "/acme/WebServer/directory")
                .trust(lab.ca().certificate(), lab.ca().config().fqdn()).accountKey(key);
        return (keyId == null ? builder : builder.externalAccountBinding(keyId, hmacKey)).build();
    }

    @Test
    void eabPrintsAKeyThatMakesOneAcmeAccountBoundToTheAccount() throws Exception {
        Cli.Result issued = as("Administrator", lab.password(), "acme", "eab", "mallory", "--template", "WebServer");
        assertEquals(0, issued.exit(), issued.toString());
        assertTrue(issued.out().contains("External account binding for CONTOSO\\mallory") && issued.out().contains(
                lab.ca().acmeDirectoryUrl("WebServer")), issued.out());
        Matcher key = KEY.matcher(issued.out());
        assertTrue(key.find(), issued.out());
        String account = client(key.group(1), key.group(2)).accountUrl();
        assertTrue(account.contains("/acme/WebServer/acct/"), account);
        EnrollmentException again = assertThrows(EnrollmentException.class, () -> client(key.group(1), key.group(2)).accountUrl());
        assertTrue(again.getMessage().contains("used already") && !again.getMessage().contains("mallory"),
                "a used key's refusal names no account: " + again.getMessage());
        EnrollmentException none = assertThrows(EnrollmentException.class, () -> client(null, null).accountUrl());
        assertTrue(none.getMessage().contains("externalAccountRequired") && none.getMessage().contains("pkilab acme eab"), none.getMessage());
    }

    @Test
    void eabNeedsManageCaAndAnAccountThatExists() {
        Cli.Result refused = as("mallory", USER_PASSWORD, "acme", "eab", "mallory");
        assertEquals(1, refused.exit(), refused.toString());
        assertTrue(refused.err().contains("E_ACCESSDENIED") && refused.err().contains("'Manage CA'"), refused.toString());
        Cli.Result nobody = as("Administrator", lab.password(), "acme", "eab", "nosuchuser");
        assertEquals(1, nobody.exit(), nobody.toString());
        assertTrue(nobody.err().contains("ERROR_LOGON_FAILURE") && nobody.err().contains("nosuchuser"), nobody.toString());
    }

    @Test
    void setregAcmeHttpPortSetsWhereHttp01IsCheckedAndRefusesANonPort() {
        try {
            Cli.Result set = as("Administrator", lab.password(), "ca", "setreg", "CA\\AcmeHttpPort", "5002");
            assertEquals(0, set.exit(), set.toString());
            assertTrue(set.out().contains("AcmeHttpPort REG_DWORD = 5002"), set.out());
            assertEquals(5002, lab.ca().registrySettings().acmeHttpPort());
            Cli.Result bad = as("Administrator", lab.password(), "ca", "setreg", "CA\\AcmeTlsAlpnPort", "70000");
            assertEquals(2, bad.exit(), bad.toString());
            assertTrue(bad.err().contains("not a TCP port") || bad.err().contains("not a port"), bad.toString());
            assertEquals(443, lab.ca().registrySettings().acmeTlsAlpnPort(), "a refused change changes nothing");
        } finally {
            as("Administrator", lab.password(), "ca", "setreg", "CA\\AcmeHttpPort", "80");
        }
    }
}
