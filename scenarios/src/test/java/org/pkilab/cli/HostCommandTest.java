package org.pkilab.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.lab.Lab;
import org.pkilab.lab.LabControl;
import org.pkilab.lab.LabSpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code pkilab host ...} against a running lab's console, as a second terminal beside {@code pkilab up} uses it. */
class HostCommandTest {

    private static Lab lab;
    private static LabControl control;

    @BeforeAll
    static void start() {
        lab = Lab.start(LabSpec.builder().iis("IIS01", "server1.internal.contoso.com").client("PC01").mac("MAC01").build());
        control = LabControl.start(lab, 0);
    }

    @AfterAll
    static void stop() {
        control.close();
        lab.close();
    }

    private static Cli.Result host(String... args) {
        String[] all = new String[args.length + 5];
        all[0] = "host";
        System.arraycopy(args, 0, all, 1, args.length);
        System.arraycopy(new String[]{"--control", control.url(), "--token", control.token()}, 0, all, args.length + 1, 4);
        return Cli.pkilab(all);
    }

    @Test
    void listRequestAndCertificatesShowWhatTheSnapInWould() {
        Cli.Result list = host("list");
        assertEquals(0, list.exit(), list.err());
        assertTrue(list.out().contains("IIS01    iis01.contoso.com (iis)"), list.out());
        assertTrue(list.out().contains("PC01     pc01.contoso.com (client)"), list.out());

        Cli.Result request = host("request", "PC01", "Machine");
        assertEquals(0, request.exit(), request.err());
        assertTrue(request.out().contains("Certificate Template: Computer"), request.out());
        String thumbprint = request.out().replaceAll("(?s).*Thumbprint: ([0-9A-F]{40}).*", "$1");
        Cli.Result store = host("certificates", "PC01");
        assertTrue(store.out().contains(thumbprint), store.out());
    }

    @Test
    void refusalsSayWhyAndChangeNothing(@TempDir Path dir) {
        int before = lab.computer("IIS01").personal().certificates().size();
        Cli.Result denied = host("request", "IIS01", "WebServer", "--dns", "server1.internal.contoso.com");
        assertEquals(1, denied.exit());
        assertTrue(denied.err().contains("CERTSRV_E_TEMPLATE_DENIED") && denied.err().contains("IIS01$"), denied.err());
        assertEquals(before, lab.computer("IIS01").personal().certificates().size());

        Cli.Result unknown = host("restart", "NOPE");
        assertEquals(1, unknown.exit());
        assertTrue(unknown.err().contains("no computer NOPE in this lab; it has IIS01, PC01, MAC01"), unknown.err());

        String thumbprint = host("request", "IIS01", "Machine").out().replaceAll("(?s).*Thumbprint: ([0-9A-F]{40}).*", "$1");
        Path pfx = dir.resolve("iis01.pfx");
        Cli.Result export = host("export", "IIS01", thumbprint, "--file", pfx.toString(), "--password", "Str0ng-Passw0rd!");
        assertEquals(1, export.exit());
        assertTrue(export.err().contains("NTE_BAD_KEY_STATE") && export.err().contains("Allow private key to be exported"), export.err());
        assertFalse(Files.exists(pfx), "no file is written for a refused export");
    }

    @Test
    void aMacIsListedWithItsKeychainAndSaysWhatItIsNot() {
        Cli.Result list = host("list");
        assertEquals(0, list.exit(), list.toString());
        assertTrue(list.out().contains("MAC01    mac01.contoso.com (mac, not joined to the domain), 0 certificate(s) in the System keychain"),
                list.out());
        Cli.Result keychain = host("certificates", "MAC01");
        assertEquals(0, keychain.exit(), keychain.toString());
        assertTrue(keychain.out().contains("System keychain of MAC01 is empty"), keychain.out());
        Cli.Result restart = host("restart", "MAC01");
        assertEquals(1, restart.exit(), restart.toString());
        assertTrue(restart.err().contains("MAC01 is a Mac, not a Windows computer joined to the domain"), restart.err());
    }

    /** A template PC01 may enroll for whose requests wait for a certificate manager, as the guide's approval lessons make one. */
    private static String approvalTemplate(String name) {
        lab.admin().templates().duplicate("Computer", name, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        lab.admin().templates().setRequiresApproval(name, true);
        lab.ca().issueTemplate(name);
        return name;
    }

    private static long pendingId(Cli.Result result) {
        Matcher m = Pattern.compile("request (\\d+) waits").matcher(result.err());
        assertTrue(m.find(), "no pending request id in: " + result);
        return Long.parseLong(m.group(1));
    }

    private static long pendingAtCa(String template) {
        return lab.ca().pending().stream().filter(r -> r.template().equalsIgnoreCase(template.replace(" ", ""))).count();
    }

    @Test
    void retrieveFetchesAnApprovedRequestById() {
        String template = approvalTemplate("Approved Computer");
        Cli.Result pending = host("request", "PC01", template);
        assertEquals(1, pending.exit(), pending.toString());
        long id = pendingId(pending);
        assertTrue(pending.err().contains("pkilab host retrieve PC01 " + id), pending.err());
        Cli.Result listed = host("pending", "PC01");
        assertTrue(listed.out().contains("request " + id + "   Certificate Template: " + template), listed.out());

        Cli.Result early = host("retrieve", "PC01", Long.toString(id));
        assertEquals(1, early.exit(), early.toString());
        assertTrue(early.err().contains("request " + id + " is still pending"), early.err());

        lab.ca().approve(id, "CONTOSO\\Administrator");
        Cli.Result retrieved = host("retrieve", "PC01", Long.toString(id));
        assertEquals(0, retrieved.exit(), retrieved.toString());
        assertTrue(retrieved.out().contains("Certificate Template: " + template), retrieved.out());
        String thumbprint = retrieved.out().replaceAll("(?s).*Thumbprint: ([0-9A-F]{40}).*", "$1");
        assertTrue(host("certificates", "PC01").out().contains(thumbprint), "the retrieved certificate is in LocalMachine\\My");

        Cli.Result again = host("retrieve", "PC01", Long.toString(id));
        assertEquals(1, again.exit(), again.toString());
        assertTrue(again.err().contains("PC01 has no pending request " + id), again.err());
    }

    @Test
    void theSameRequestAgainFindsItsPendingOneInsteadOfMakingANewOne() {
        String template = approvalTemplate("Held Computer");
        long id = pendingId(host("request", "PC01", template));
        Cli.Result again = host("request", "PC01", template);
        assertEquals(1, again.exit(), again.toString());
        assertEquals(id, pendingId(again), "the same request finds its pending one");
        assertEquals(1, pendingAtCa(template), "one pending request at the CA, not two");

        lab.ca().approve(id, "CONTOSO\\Administrator");
        Cli.Result issued = host("request", "PC01", template);
        assertEquals(0, issued.exit(), issued.toString());
        assertTrue(issued.out().contains("Certificate Template: " + template), issued.out());
        assertEquals(0, pendingAtCa(template));
    }

    @Test
    void anImportedPfxShowsItsTemplateByNameAndIsExportedAgainOnlyWhenMarkedExportable(@TempDir Path dir) {
        lab.admin().templates().duplicate("Computer", "Exportable Computer", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        lab.admin().templates().setExportableKey("Exportable Computer", true);
        lab.ca().issueTemplate("Exportable Computer");
        String thumbprint = host("request", "PC01", "Exportable Computer").out().replaceAll("(?s).*Thumbprint: ([0-9A-F]{40}).*", "$1");
        Path pfx = dir.resolve("pc01.pfx");
        assertEquals(0, host("export", "PC01", thumbprint, "--file", pfx.toString(), "--password", "Str0ng-Passw0rd!").exit());

        Cli.Result imported = host("import", "IIS01", pfx.toString(), "--password", "Str0ng-Passw0rd!");
        assertEquals(0, imported.exit(), imported.toString());
        assertTrue(imported.out().contains("Certificate Template: Exportable Computer") && imported.out().contains("imported from a PFX"),
                "the template by the name the snap-in shows: " + imported.out());
        Cli.Result again = host("export", "IIS01", thumbprint, "--file", dir.resolve("again.pfx").toString(), "--password", "Str0ng-Passw0rd!");
        assertEquals(1, again.exit(), again.toString());
        assertTrue(again.err().contains("without 'Mark this key as exportable'") && !again.err().contains("Allow private key"), again.err());
        assertFalse(Files.exists(dir.resolve("again.pfx")));

        Cli.Result marked = host("import", "IIS01", pfx.toString(), "--password", "Str0ng-Passw0rd!", "--exportable");
        assertEquals(0, marked.exit(), marked.toString());
        assertEquals(0, host("export", "IIS01", thumbprint, "--file", dir.resolve("again.pfx").toString(), "--password", "Str0ng-Passw0rd!")
                .exit());
    }

    @Test
    void theConsoleNeitherWritesNorReadsAFileItsCallerNames(@TempDir Path dir) throws Exception {
        lab.admin().templates().duplicate("Computer", "Console Export", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        lab.admin().templates().setExportableKey("Console Export", true);
        lab.ca().issueTemplate("Console Export");
        String thumbprint = host("request", "PC01", "Console Export").out().replaceAll("(?s).*Thumbprint: ([0-9A-F]{40}).*", "$1");
        Path elsewhere = dir.resolve("written-by-the-lab.pfx");
        java.net.http.HttpResponse<String> export = console("/hosts/PC01/export", "{\"thumbprint\":\"" + thumbprint
                + "\",\"password\":\"Str0ng-Passw0rd!\",\"file\":\"" + elsewhere + "\"}");
        assertEquals(200, export.statusCode(), export.body());
        assertFalse(Files.exists(elsewhere), "the console wrote a file its caller named, as the lab's account");
        assertTrue(export.body().contains("\"pfx\":\"MII"), "the PFX comes back in the answer: " + export.body());

        Path secret = Files.writeString(dir.resolve("secret.txt"), "not a PFX");
        java.net.http.HttpResponse<String> read = console("/hosts/IIS01/import", "{\"file\":\"" + secret + "\",\"password\":\"x\"}");
        assertEquals(400, read.statusCode(), "an import naming a file instead of carrying one: " + read.body());
        assertFalse(read.body().contains(secret.getFileName().toString()), "nothing of the named file is read: " + read.body());
    }

    private static java.net.http.HttpResponse<String> console(String path, String json) throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(control.url() + path))
                .header("Authorization", "Bearer " + control.token()).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(json)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aUserEnrollsIntoCurrentUserMyOnceTheirEmailIsSet() {
        lab.admin().usersAndComputers().createUser("alice", lab.password());
        Cli.Result noMail = host("request", "PC01", "User", "--user", "alice");
        assertEquals(1, noMail.exit(), noMail.toString());
        assertTrue(noMail.err().contains("CERTSRV_E_SUBJECT_EMAIL_REQUIRED"), noMail.err());

        String[] directory = {"--ldap", lab.dc().ldapUrl(), "--user", "Administrator", "--password", lab.password()};
        Cli.Result bad = Cli.pkilab(concat(new String[]{"user", "set", "alice", "--email", "alice at contoso"}, directory));
        assertEquals(2, bad.exit(), bad.toString());
        assertTrue(bad.err().contains("'alice at contoso' is not an e-mail address"), bad.err());
        Cli.Result set = Cli.pkilab(concat(new String[]{"user", "set", "alice", "--email", "alice@contoso.com"}, directory));
        assertEquals(0, set.exit(), set.toString());

        Cli.Result issued = host("request", "PC01", "User", "--user", "alice");
        assertEquals(0, issued.exit(), issued.toString());
        assertTrue(issued.out().contains("as alice into CurrentUser\\My") && issued.out().contains("Certificate Template: User"), issued.out());
        String thumbprint = issued.out().replaceAll("(?s).*Thumbprint: ([0-9A-F]{40}).*", "$1");
        Cli.Result store = host("certificates", "PC01", "--user", "alice");
        assertEquals(0, store.exit(), store.toString());
        assertTrue(store.out().startsWith("CurrentUser\\My of PC01 holds:") && store.out().contains(thumbprint), store.out());
        assertFalse(host("certificates", "PC01").out().contains(thumbprint), "not in LocalMachine\\My");

        Cli.Result wrong = host("certificates", "PC01", "--user", "alice", "--user-password", "Wrong-Passw0rd!");
        assertEquals(1, wrong.exit(), wrong.toString());
        assertTrue(wrong.err().contains("alice could not log on at PC01") && wrong.err().contains("--user-password"), wrong.err());
    }

    @Test
    void aComputerCreatedInTheDomainBecomesAHostToActOn() {
        String[] directory = {"--ldap", lab.dc().ldapUrl(), "--user", "Administrator", "--password", lab.password()};
        assertEquals(0, Cli.pkilab(concat(new String[]{"computer", "create", "PC07", "--machine-password", "Machine-Passw0rd!"}, directory)).exit());
        Cli.Result notYet = host("request", "PC07", "Machine");
        assertEquals(1, notYet.exit(), notYet.toString());
        assertTrue(notYet.err().contains("no computer PC07 in this lab"), notYet.err());

        Cli.Result wrong = host("add", "PC07");
        assertEquals(1, wrong.exit(), wrong.toString());
        assertTrue(wrong.err().contains("PC07 cannot log on to the domain with that machine password")
                && wrong.err().contains("--machine-password"), wrong.err());
        Cli.Result added = host("add", "PC07", "--machine-password", "Machine-Passw0rd!");
        assertEquals(0, added.exit(), added.toString());
        assertTrue(added.out().contains("PC07     pc07.contoso.com (client)"), added.out());
        Cli.Result request = host("request", "PC07", "Machine");
        assertEquals(0, request.exit(), request.toString());
        assertTrue(host("list").out().contains("PC07     pc07.contoso.com (client)"));

        Cli.Result again = host("add", "PC07", "--machine-password", "Machine-Passw0rd!");
        assertEquals(1, again.exit(), again.toString());
        assertTrue(again.err().contains("PC07 is already a computer of this lab"), again.err());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    void aWrongTokenOrNoLabIsACleanError() {
        Cli.Result guess = Cli.pkilab("host", "list", "--control", control.url(), "--token", "guess");
        assertEquals(1, guess.exit());
        assertTrue(guess.err().contains("needs the token 'pkilab up' printed"), guess.err());
        Cli.Result none = Cli.pkilab("host", "list", "--control", "", "--token", "");
        assertEquals(2, none.exit());
        assertTrue(none.err().contains("which lab?"), none.err());
    }
}
