package org.pkilab.directory;

import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import com.unboundid.ldap.sdk.ResultCode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Simple binds by the names AD takes (MS-ADTS 5.1.1.1.1): besides a DN, the user principal name
 * ({@code administrator@contoso.com}, or the implicit {@code sAMAccountName@dnsDomain}) and the down-level
 * logon name ({@code CONTOSO\Administrator}, {@code CONTOSO\IIS01$}), in any letter case, for users and
 * machine accounts alike; a wrong password or a name no account holds answers 49 the same way.
 */
class AdBindNamesTest {

    private static final String PASSWORD = "Lab-Passw0rd!";
    private static DomainController dc;

    @BeforeAll
    static void start() {
        dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", PASSWORD);
        }
    }

    @AfterAll
    static void stop() {
        if (dc != null) {
            dc.close();
        }
    }

    private static ResultCode bind(String name, String password) {
        try (LDAPConnection c = new LDAPConnection("127.0.0.1", dc.ldapPort())) {
            return c.bind(name, password).getResultCode();
        } catch (LDAPException e) {
            return e.getResultCode();
        }
    }

    @Test
    void administratorBindsByUpnAndDownLevelNameInAnyCase() {
        for (String name : List.of("administrator@contoso.com", "Administrator@CONTOSO.COM", "CONTOSO\\Administrator",
                "contoso\\administrator", "Contoso\\ADMINISTRATOR")) {
            assertEquals(ResultCode.SUCCESS, bind(name, PASSWORD), "DC01 refused a simple bind as '" + name + "'");
        }
    }

    @Test
    void machineAccountBindsByDownLevelNameAndImplicitUpn() {
        for (String name : List.of("CONTOSO\\IIS01$", "contoso\\iis01$", "IIS01$@contoso.com")) {
            assertEquals(ResultCode.SUCCESS, bind(name, PASSWORD), "DC01 refused a simple bind as '" + name + "'");
        }
    }

    @Test
    void wrongPasswordAndUnknownNameBothAnswer49Alike() throws LDAPException {
        LDAPException wrong = bindFailure("CONTOSO\\Administrator", "not-the-password");
        LDAPException unknown = bindFailure("CONTOSO\\Nobody", PASSWORD);
        LDAPException unknownUpn = bindFailure("nobody@contoso.com", PASSWORD);
        LDAPException otherDomain = bindFailure("FABRIKAM\\Administrator", PASSWORD);
        LDAPException unknownDn = bindFailure("CN=Nobody,CN=Users,DC=contoso,DC=com", PASSWORD);
        for (LDAPException e : List.of(wrong, unknown, unknownUpn, otherDomain, unknownDn)) {
            assertEquals(ResultCode.INVALID_CREDENTIALS, e.getResultCode(), e.getMessage());
            assertTrue(e.getDiagnosticMessage().contains("AcceptSecurityContext error, data 52e"), "bind as DC01 answers it: " + e.getDiagnosticMessage());
        }
        assertEquals(wrong.getDiagnosticMessage(), unknown.getDiagnosticMessage(),
                "an unknown name must answer as a wrong password does, never telling whether the account exists");
        assertEquals(wrong.getDiagnosticMessage(), unknownDn.getDiagnosticMessage(), "an unknown DN must answer as a wrong password does");
    }

    private static LDAPException bindFailure(String name, String password) {
        return assertThrows(LDAPException.class, () -> {
            try (LDAPConnection c = new LDAPConnection("127.0.0.1", dc.ldapPort())) {
                c.bind(name, password);
            }
        }, "DC01 accepted a bind as '" + name + "'");
    }

    @Test
    void aBindByDownLevelNameIsJudgedAsThatAccount() throws LDAPException {
        String template = dc.names().template("WebServer");
        try (LDAPConnection machine = new LDAPConnection("127.0.0.1", dc.ldapPort(), "contoso\\iis01$", PASSWORD)) {
            LDAPException denied = assertThrows(LDAPException.class, () -> machine.modify(template,
                    new Modification(ModificationType.REPLACE, "msPKI-Minimal-Key-Size", "512")));
            assertEquals(ResultCode.INSUFFICIENT_ACCESS_RIGHTS, denied.getResultCode());
            assertTrue(denied.getDiagnosticMessage().contains("CONTOSO\\IIS01$"), denied.getDiagnosticMessage());
        }
        try (LDAPConnection administrator = new LDAPConnection("127.0.0.1", dc.ldapPort(), "administrator@contoso.com", PASSWORD)) {
            administrator.modify(template, new Modification(ModificationType.REPLACE, "msPKI-Minimal-Key-Size", "2048"));
        }
        DomainLogon.Session logon = DomainLogon.logon("127.0.0.1", dc.ldapPort(), "CONTOSO\\IIS01$", PASSWORD);
        assertEquals(dc.names().computer("IIS01").toLowerCase(), logon.token().distinguishedName().toLowerCase(),
                "the logon token of a bind as CONTOSO\\IIS01$ names IIS01's account: " + logon.token());
    }

    @Test
    void ldapsearchBindsByUpnAndDownLevelName() throws Exception {
        for (String name : List.of("Administrator@contoso.com", "CONTOSO\\Administrator", "contoso\\IIS01$")) {
            Result r = ExternalTool.run(null, Map.of(), null, "ldapsearch", "-LLL", "-x", "-H", dc.ldapUrl(), "-D", name,
                    "-w", PASSWORD, "-b", dc.names().template("WebServer"), "-s", "base", "displayName");
            assertEquals(0, r.exit(), "ldapsearch -D '" + name + "' against DC01: " + r);
            assertTrue(r.out().contains("displayName: Web Server"), r.out());
        }
        Result wrong = ExternalTool.run(null, Map.of(), null, "ldapsearch", "-LLL", "-x", "-H", dc.ldapUrl(), "-D",
                "CONTOSO\\Administrator", "-w", "not-the-password", "-b", "", "-s", "base");
        assertEquals(49, wrong.exit(), "ldapsearch with a wrong password: " + wrong);
    }

    @Test
    void python3Ldap3BindsByDownLevelNameAndUpn() throws Exception {
        Path script = Files.createTempFile("bindnames", ".py");
        try (InputStream in = AdBindNamesTest.class.getResourceAsStream("bindnames.py")) {
            Files.write(script, in.readAllBytes());
        }
        List<String> command = new ArrayList<>(List.of("/usr/bin/python3", script.toString(), "127.0.0.1",
                String.valueOf(dc.ldapPort()), PASSWORD, "CONTOSO\\Administrator", "administrator@contoso.com",
                "CONTOSO\\IIS01$", "CONTOSO\\Nobody"));
        Result r = ExternalTool.run(null, Map.of(), null, command.toArray(String[]::new));
        Files.delete(script);
        assertEquals(0, r.exit(), "ldap3 binding to DC01 (python3-ldap3 installed?): " + r);
        assertEquals("0 CONTOSO\\Administrator\n0 administrator@contoso.com\n0 CONTOSO\\IIS01$\n49 CONTOSO\\Nobody\n", r.out(),
                "ldap3's simple binds to DC01 by name, with their result codes");
    }
}
