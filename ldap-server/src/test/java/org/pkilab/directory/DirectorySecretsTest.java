package org.pkilab.directory;

import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchScope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.directory.model.AccessRight;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.stream.Stream;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What the DC keeps from callers who may read or write some of it: passwords, and the rights on a descriptor. */
class DirectorySecretsTest {

    private static final String PASSWORD = "Lab-Passw0rd!";
    private static final String WEB_TEMPLATE = "ConfigMgr Web Server Certificate";
    private static DomainController dc;
    private static DirectorySnapshot fresh;
    private DirectoryAdmin admin;

    @BeforeAll
    static void startDomainController() {
        dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
        fresh = dc.snapshot();
    }

    @AfterAll
    static void stopDomainController() {
        dc.close();
    }

    @BeforeEach
    void connectAsAdministrator() {
        admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD);
    }

    @AfterEach
    void resetDirectory() {
        admin.close();
        dc.restore(fresh);
    }

    private LDAPConnection bind(String dn) throws LDAPException {
        return new LDAPConnection("127.0.0.1", dc.ldapPort(), dn, PASSWORD);
    }

    @Test
    void writeOnATemplateDoesNotChangeItsSecurityUnderAnySpellingOfTheDescriptor() throws LDAPException {
        admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", PASSWORD);
        admin.templates().duplicate("Web Server", WEB_TEMPLATE, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        admin.security().allow(WEB_TEMPLATE, "IIS01$", AccessRight.WRITE);
        String template = dc.names().template(admin.templates().get(WEB_TEMPLATE).name());
        String before = admin.security().descriptor(WEB_TEMPLATE).toString();
        List<String> granted = new ArrayList<>();
        try (LDAPConnection iis01 = bind(dc.names().computer("IIS01"))) {
            for (String spelling : List.of("nTSecurityDescriptor", "1.2.840.113556.1.2.281", "ntsecuritydescriptor;binary",
                    "NTSECURITYDESCRIPTOR", "1.2.840.113556.1.2.281;binary")) {
                try {
                    iis01.modify(template, new Modification(ModificationType.REPLACE, spelling, "O:DAG:DAD:(A;;GA;;;WD)"));
                    granted.add(spelling);
                } catch (LDAPException e) {
                    assertEquals(ResultCode.INSUFFICIENT_ACCESS_RIGHTS, e.getResultCode(), "IIS01$ writing '" + spelling + "' on "
                            + WEB_TEMPLATE + ": " + e.getDiagnosticMessage());
                    assertTrue(e.getDiagnosticMessage().contains("CONTOSO\\IIS01$"), e.getDiagnosticMessage());
                }
            }
        }
        assertEquals(List.of(), granted, "IIS01$ holds Write but not Write permissions (WRITE_DAC) on " + WEB_TEMPLATE
                + ", yet replaced its descriptor as");
        assertEquals(before, admin.security().descriptor(WEB_TEMPLATE).toString(), "the security of " + WEB_TEMPLATE + " changed");
    }

    @Test
    void anAccountNameAnotherObjectHoldsIsRefusedOnAddAndOnModify() throws LDAPException {
        String impostors = "OU=Impostors," + dc.names().domain();
        try (LDAPConnection administrator = bind(dc.administratorDn())) {
            administrator.add(impostors, new com.unboundid.ldap.sdk.Attribute("objectClass", "top", "organizationalUnit"));
            for (String name : List.of("Enterprise Admins", "enterprise admins", "Administrator", "DOMAIN ADMINS")) {
                LDAPException refused = assertThrows(LDAPException.class, () -> administrator.add("CN=" + name + "," + impostors,
                        new com.unboundid.ldap.sdk.Attribute("objectClass", "top", "group"),
                        new com.unboundid.ldap.sdk.Attribute("groupType", "-2147483640"),
                        new com.unboundid.ldap.sdk.Attribute("sAMAccountName", name)), "a second '" + name + "' in OU=Impostors");
                assertEquals(ResultCode.ENTRY_ALREADY_EXISTS, refused.getResultCode(), "adding a second '" + name + "': "
                        + refused.getDiagnosticMessage());
                assertTrue(refused.getDiagnosticMessage().contains("00000524") && refused.getDiagnosticMessage().contains(name),
                        refused.getDiagnosticMessage());
            }
            administrator.add("CN=Helpers," + impostors, new com.unboundid.ldap.sdk.Attribute("objectClass", "top", "group"),
                    new com.unboundid.ldap.sdk.Attribute("groupType", "-2147483640"),
                    new com.unboundid.ldap.sdk.Attribute("sAMAccountName", "Helpers"));
            LDAPException renamed = assertThrows(LDAPException.class, () -> administrator.modify("CN=Helpers," + impostors,
                    new Modification(ModificationType.REPLACE, "sAMAccountName", "Enterprise Admins")));
            assertEquals(ResultCode.ENTRY_ALREADY_EXISTS, renamed.getResultCode(), renamed.getDiagnosticMessage());
            administrator.modify("CN=Helpers," + impostors, new Modification(ModificationType.REPLACE, "sAMAccountName", "Helpers2"));
            assertEquals(1, administrator.search(dc.names().domain(), SearchScope.SUB, "(sAMAccountName=Enterprise Admins)").getEntryCount(),
                    "only the domain's own Enterprise Admins holds the name");
        }
    }

    @Test
    void aSearchFilterNeverTellsWhetherAGuessIsThePassword() throws LDAPException {
        admin.usersAndComputers().createUser("alice", PASSWORD);
        String administrator = dc.administratorDn();
        List<String> answered = new ArrayList<>();
        try (LDAPConnection alice = bind(dc.names().user("alice"))) {
            for (String filter : List.of("(&(cn=Administrator)(userPassword=" + PASSWORD + "))",
                    "(&(cn=Administrator)(!(userPassword=wrong-guess)))",
                    "(&(cn=Administrator)(!(!(userPassword=" + PASSWORD + "))))",
                    "(&(cn=Administrator)(userPassword=*))",
                    "(&(cn=Administrator)(!(userPassword=*)))",
                    "(&(cn=Administrator)(userPassword=Lab*))",
                    "(&(cn=Administrator)(!(userPassword=Lab*)))",
                    "(&(cn=Administrator)(userPassword>=A))",
                    "(&(cn=Administrator)(userPassword<=z))",
                    "(&(cn=Administrator)(!(userPassword<=A)))",
                    "(&(cn=Administrator)(2.5.4.35=" + PASSWORD + "))",
                    "(&(cn=Administrator)(USERPASSWORD;binary=" + PASSWORD + "))",
                    "(&(cn=Administrator)(userPassword:=" + PASSWORD + "))",
                    "(&(cn=Administrator)(|(userPassword=" + PASSWORD + ")(cn=nobody)))",
                    "(&(cn=Administrator)(!(&(userPassword=wrong-guess)(cn=Administrator))))")) {
                try {
                    int found = alice.search(dc.names().domain(), SearchScope.SUB, filter).getEntryCount();
                    if (found != 0) {
                        answered.add(filter + ": " + found + " entries");
                    }
                } catch (LDAPException e) {
                    // an error only for some filters is an answer too, and says nothing of why
                    answered.add(filter + ": " + e.getResultCode() + " " + e.getDiagnosticMessage());
                }
            }
            assertEquals(List.of(), answered, "alice learned something about Administrator's password from these filters");
            assertEquals(1, alice.search(dc.names().domain(), SearchScope.SUB, "(|(cn=Administrator)(userPassword=*))").getEntryCount(),
                    "an OR still matches Administrator by its cn, and nobody by a password");
            assertEquals(1, alice.search(administrator, SearchScope.BASE, "(cn=Administrator)").getEntryCount(),
                    "alice still reads Administrator");
        }
    }

    /** Every file under {@code folder} with its text, and the text of its bytes read as Latin-1 (so any byte matches). */
    private static java.util.Map<Path, String> files(Path folder) throws IOException {
        java.util.Map<Path, String> texts = new java.util.TreeMap<>();
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.filter(Files::isRegularFile).toList()) {
                texts.put(folder.relativize(path), new String(Files.readAllBytes(path), StandardCharsets.ISO_8859_1));
            }
        }
        return texts;
    }

    private static List<String> holding(java.util.Map<Path, String> files, String password) {
        String base64 = Base64.getEncoder().encodeToString(password.getBytes(StandardCharsets.UTF_8));
        return files.entrySet().stream().filter(f -> f.getValue().contains(password) || f.getValue().contains(base64)
                || f.getValue().contains(base64.substring(0, base64.length() - 4))).map(f -> f.getKey().toString()).toList();
    }

    private static boolean binds(DomainController on, String dn, String password) {
        try (LDAPConnection ignored = new LDAPConnection("127.0.0.1", on.ldapPort(), dn, password)) {
            return true;
        } catch (LDAPException e) {
            assertEquals(ResultCode.INVALID_CREDENTIALS, e.getResultCode(), "bind as " + dn + ": " + e.getMessage());
            return false;
        }
    }

    @Test
    void theDcKeepsPasswordVerifiersNeverThePasswords(@TempDir Path data) throws Exception {
        String first = "First-Passw0rd!";
        String second = "Second-Passw0rd!";
        DomainControllerConfig config = DomainControllerConfig.builder().dataDirectory(data).administratorPassword(PASSWORD).build();
        String alice;
        String verifier;
        try (DomainController lasting = DomainController.start(config);
             DirectoryAdmin directory = DirectoryAdmin.connect("127.0.0.1", lasting.ldapPort(), lasting.names(), lasting.administratorDn(), PASSWORD)) {
            alice = directory.usersAndComputers().createUser("alice", first);
            try (LDAPConnection administrator = new LDAPConnection("127.0.0.1", lasting.ldapPort(), lasting.administratorDn(), PASSWORD)) {
                administrator.modify(alice, new Modification(ModificationType.REPLACE, "userPassword", second));
            }
            assertTrue(binds(lasting, alice, second), "alice binds with her new password");
            verifier = new String(lasting.snapshot().entries().values().stream().filter(e -> e.getDn().getName().equalsIgnoreCase(alice))
                    .findFirst().orElseThrow().get("userPassword").getBytes(), StandardCharsets.UTF_8);
            assertTrue(verifier.startsWith("{SSHA256}"), "the snapshot holds alice's verifier, not her password: " + verifier);
            assertEquals(List.of(), holding(files(data), PASSWORD), "files holding Administrator's password");
        }
        java.util.Map<Path, String> kept = files(data);
        assertEquals(List.of(), holding(kept, first), "files holding alice's first password");
        assertEquals(List.of(), holding(kept, second), "files holding alice's password");
        assertEquals(List.of(), holding(kept.entrySet().stream().filter(f -> !f.getKey().toString().endsWith("lab.properties"))
                .collect(java.util.stream.Collectors.toMap(java.util.Map.Entry::getKey, java.util.Map.Entry::getValue)), PASSWORD),
                "files besides lab.properties holding Administrator's password");
        try (DomainController again = DomainController.start(config)) {
            assertTrue(binds(again, alice, second), "after a restart alice binds with her password");
            assertTrue(!binds(again, alice, first), "her first password no longer binds");
            assertTrue(!binds(again, alice, verifier), "the verifier is not a password");
        }
    }

    @Test
    void aPasswordKeptByALabFromBeforeBecomesAVerifierAtStart(@TempDir Path data) throws Exception {
        DomainControllerConfig config = DomainControllerConfig.builder().dataDirectory(data).administratorPassword(PASSWORD).build();
        String alice;
        try (DomainController lasting = DomainController.start(config);
             DirectoryAdmin directory = DirectoryAdmin.connect("127.0.0.1", lasting.ldapPort(), lasting.names(), lasting.administratorDn(), PASSWORD)) {
            alice = directory.usersAndComputers().createUser("alice", "Old-Lab-Passw0rd!");
        }
        DomainController.start(config).close(); // a start writes the journal into entries.ldif
        // a lab from before kept passwords as they were written: put one back into the kept directory
        Path entries;
        try (Stream<Path> paths = Files.walk(data)) {
            entries = paths.filter(p -> p.getFileName().toString().equals(DirectoryStore.ENTRIES)).findFirst().orElseThrow();
        }
        String text = Files.readString(entries, StandardCharsets.UTF_8);
        String plain = "userPassword:: " + Base64.getEncoder().encodeToString("Old-Lab-Passw0rd!".getBytes(StandardCharsets.UTF_8));
        String rewritten = java.util.regex.Pattern.compile("(dn: (?i:" + java.util.regex.Pattern.quote(alice) + ")\\n(?:[^\\n]+\\n)*?)(?i:userPassword):: [^\\n]+(\\n [^\\n]+)*")
                .matcher(text).replaceFirst("$1" + java.util.regex.Matcher.quoteReplacement(plain));
        assertTrue(rewritten.contains(plain), "alice's kept password was put back as it was written");
        // and in the file's format of then: no version on its first line, no count and checksum on its last
        rewritten = rewritten.replaceFirst("^# pkilab directory 2,", "# pkilab directory,").replaceFirst("# end of directory: [^\\n]*\\n\\z", "");
        assertTrue(rewritten.startsWith("# pkilab directory, journal sequence") && !rewritten.contains("# end of directory"), rewritten);
        Files.writeString(entries, rewritten, StandardCharsets.UTF_8);
        try (DomainController again = DomainController.start(config)) {
            assertTrue(binds(again, alice, "Old-Lab-Passw0rd!"), "alice binds with the password a lab from before kept");
        }
        assertEquals(List.of(), holding(files(data), "Old-Lab-Passw0rd!"), "files still holding alice's password after a start");
    }

    @Test
    void theDcsDataIsReadableByTheLabsAccountOnly(@TempDir Path data) throws Exception {
        assumeTrue(Files.getFileStore(data).supportsFileAttributeView(java.nio.file.attribute.PosixFileAttributeView.class), "POSIX file modes");
        Path folder = data.resolve("dc");
        DomainControllerConfig config = DomainControllerConfig.builder().dataDirectory(folder).administratorPassword(PASSWORD).build();
        try (DomainController lasting = DomainController.start(config)) {
            assertEquals(List.of(), notOwnerOnly(folder), "after the first start");
        }
        // a folder kept by a lab from before: readable by everyone
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.toList()) {
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(Files.isDirectory(path) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
        try (DomainController again = DomainController.start(config)) {
            assertEquals(List.of(), notOwnerOnly(folder), "after a start on a folder everyone could read");
        }
    }

    /** The files not 0600 and folders not 0700 under {@code folder} (itself included), with their modes. */
    static List<String> notOwnerOnly(Path folder) throws IOException {
        try (Stream<Path> paths = Files.walk(folder)) {
            return paths.filter(p -> !Files.isSymbolicLink(p)).map(p -> {
                try {
                    String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
                    return mode.equals(Files.isDirectory(p) ? "rwx------" : "rw-------") ? null : folder.relativize(p) + " " + mode;
                } catch (IOException e) {
                    return null;
                }
            }).filter(java.util.Objects::nonNull).toList();
        }
    }
}
