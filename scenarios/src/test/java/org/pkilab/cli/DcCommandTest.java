package org.pkilab.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.model.CertificateMappingSettings;
import org.pkilab.lab.Lab;
import org.pkilab.lab.LabControl;
import org.pkilab.lab.LabSpec;

import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code pkilab dc getreg / setreg} against a running lab, found through its data folder's control file as
 * {@code pkilab host --data} finds it: the DC's certificate-mapping registry values shown and changed as {@code reg
 * query} / {@code reg add} would, and bad names or data refused with nothing changed.
 */
class DcCommandTest {

    private static Lab lab;
    private static LabControl control;
    @TempDir
    static Path data;

    @BeforeAll
    static void start() throws Exception {
        lab = Lab.start(LabSpec.builder().build());
        control = LabControl.start(lab, 0);
        Properties props = new Properties();
        props.setProperty("url", control.url());
        props.setProperty("token", control.token());
        try (Writer w = Files.newBufferedWriter(data.resolve(LabControlClient.CONTROL_FILE))) {
            props.store(w, "test");
        }
    }

    @AfterAll
    static void stop() {
        if (control != null) {
            control.close();
        }
        if (lab != null) {
            lab.close();
        }
    }

    @AfterEach
    void windowsDefaults() {
        lab.dc().certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT);
    }

    private static Cli.Result dc(String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "dc";
        System.arraycopy(args, 0, all, 1, args.length);
        all[args.length + 1] = "--data";
        all[args.length + 2] = data.toString();
        return Cli.pkilab(all);
    }

    @Test
    void getregShowsBothValuesWithTheirMeaning() {
        Cli.Result shown = dc("getreg");
        assertEquals(0, shown.exit(), shown.toString());
        assertTrue(shown.out().contains("HKLM\\SYSTEM\\CurrentControlSet\\Services\\Kdc\n"
                + "    StrongCertificateBindingEnforcement    REG_DWORD    0x2    (Full Enforcement)"), shown.out());
        assertTrue(shown.out().contains("HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\Schannel\n"
                + "    CertificateMappingMethods    REG_DWORD    0x18    (S4U2SELF, S4U2SELF_EXPLICIT)"), shown.out());

        Cli.Result one = dc("getreg", "certificatemappingmethods");
        assertEquals(0, one.exit(), one.toString());
        assertTrue(one.out().contains("CertificateMappingMethods") && !one.out().contains("StrongCertificateBindingEnforcement"), one.out());
    }

    @Test
    void setregChangesTheDcAndShowsOldAndNewValue() {
        Cli.Result weak = dc("setreg", "StrongCertificateBindingEnforcement", "0");
        assertEquals(0, weak.exit(), weak.toString());
        assertEquals(0, lab.dc().certificateMapping().strongCertificateBindingEnforcement(), weak.out());
        assertTrue(weak.out().contains("Old Value:\n    StrongCertificateBindingEnforcement    REG_DWORD    0x2    (Full Enforcement)"), weak.out());
        assertTrue(weak.out().contains("New Value:\n    StrongCertificateBindingEnforcement    REG_DWORD    0x0    (Disabled)"), weak.out());

        Cli.Result upn = dc("setreg", "CertificateMappingMethods", "0x1C");
        assertEquals(0, upn.exit(), upn.toString());
        assertEquals(new CertificateMappingSettings(0, 0x1c), lab.dc().certificateMapping());
        assertTrue(upn.out().contains("0x1c    (UPN, S4U2SELF, S4U2SELF_EXPLICIT)"), upn.out());

        Cli.Result decimal = dc("setreg", "CertificateMappingMethods", "24");
        assertEquals(0, decimal.exit(), decimal.toString());
        assertEquals(0x18, lab.dc().certificateMapping().certificateMappingMethods());
    }

    @Test
    void badNameOrDataIsRefusedAndChangesNothing() throws Exception {
        lab.dc().certificateMapping(new CertificateMappingSettings(1, 0x18));

        Cli.Result misspelt = dc("setreg", "StrongCertificateBindingEnforcment", "2");
        assertEquals(2, misspelt.exit(), misspelt.toString());
        assertTrue(misspelt.err().contains("no registry value 'StrongCertificateBindingEnforcment'")
                && misspelt.err().contains("did you mean 'StrongCertificateBindingEnforcement'?"), misspelt.err());

        Cli.Result range = dc("setreg", "StrongCertificateBindingEnforcement", "3");
        assertEquals(2, range.exit(), range.toString());
        assertTrue(range.err().contains("StrongCertificateBindingEnforcement is 0 (Disabled), 1 (Compatibility) or 2 (Full Enforcement), not 3"),
                range.err());

        Cli.Result methods = dc("setreg", "CertificateMappingMethods", "0x20");
        assertEquals(2, methods.exit(), methods.toString());
        assertTrue(methods.err().contains("CertificateMappingMethods is a sum of 0x1, 0x2, 0x4, 0x8 and 0x10 (0 to 0x1F), not 0x20"),
                methods.err());

        Cli.Result word = dc("setreg", "CertificateMappingMethods", "upn");
        assertEquals(2, word.exit(), word.toString());
        assertTrue(word.err().contains("give a number in decimal (2) or hex (0x18), not 'upn'"), word.err());

        // the console refuses it too, whoever sends it
        HttpResponse<String> raw = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(control.url() + "/dc/registry"))
                .header("Authorization", "Bearer " + control.token())
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"StrongCertificateBindingEnforcement\",\"data\":\"7\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, raw.statusCode(), raw.body());
        assertTrue(raw.body().contains("not 7"), raw.body());

        assertEquals(new CertificateMappingSettings(1, 0x18), lab.dc().certificateMapping(), "nothing changed on the DC");
    }

    @Test
    void aFolderWithoutARunningLabSaysSo(@TempDir Path empty) {
        Cli.Result none = Cli.pkilab("dc", "getreg", "--data", empty.toString());
        assertEquals(1, none.exit(), none.toString());
        assertTrue(none.err().contains("no running lab on " + empty.toAbsolutePath()), none.err());

        Cli.Result which = Cli.pkilab("dc", "getreg", "--control", "", "--token", "");
        assertEquals(2, which.exit(), which.toString());
        assertTrue(which.err().contains("which lab?"), which.err());
    }

    @Test
    void helpNamesTheValuesAndTheFixes() {
        Cli.Result help = Cli.pkilab("dc", "setreg", "--help");
        assertEquals(0, help.exit(), help.toString());
        assertTrue(help.out().contains("pkilab dc setreg StrongCertificateBindingEnforcement 2")
                && help.out().contains("pkilab dc setreg CertificateMappingMethods 0x18"), help.out());
        Cli.Result getreg = Cli.pkilab("dc", "getreg", "--help");
        assertEquals(0, getreg.exit(), getreg.toString());
        assertTrue(getreg.out().contains("reg query on the DC"), getreg.out());
    }
}
