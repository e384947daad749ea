package org.pkilab.directory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * NTLM binds as AD's tools make them: the Sicily bind of python3-ldap3 and impacket, checked with NTLMv2 against the
 * NT hash the DC keeps in unicodePwd, for a user and a machine account; a wrong password answers 49 with data 52e.
 */
class NtlmBindTest {

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

    private static Result python(String resource, String... arguments) throws Exception {
        Path script = Files.createTempFile("ntlm", ".py");
        try (InputStream in = NtlmBindTest.class.getResourceAsStream(resource)) {
            Files.write(script, in.readAllBytes());
        }
        List<String> command = new java.util.ArrayList<>(List.of("/usr/bin/python3", script.toString()));
        command.addAll(List.of(arguments));
        try {
            return ExternalTool.run(null, Map.of(), null, command.toArray(String[]::new));
        } finally {
            Files.delete(script);
        }
    }

    @Test
    void ldap3AndImpacketBindWithNtlmAsUserAndMachine() throws Exception {
        Result r = python("ntlmbinds.py", "127.0.0.1", String.valueOf(dc.ldapPort()), dc.names().domain(), PASSWORD,
                "CONTOSO\\Administrator", "CONTOSO\\IIS01$");
        assertEquals(0, r.exit(), "NTLM binds to DC01 with ldap3 and impacket (python3-ldap3, python3-impacket installed?): " + r);
        String administrator = dc.administratorDn();
        String iis01 = dc.names().computer("IIS01");
        String bad = SystemAccountGuard.LOGON_FAILURE;
        assertEquals("ldap3 0 CONTOSO\\Administrator u:CONTOSO\\Administrator 1\n"
                        + "impacket 0 CONTOSO\\Administrator " + administrator + "\n"
                        + "ldap3 0 CONTOSO\\IIS01$ u:CONTOSO\\IIS01$ 1\n"
                        + "impacket 0 CONTOSO\\IIS01$ " + iis01 + "\n"
                        + "ldap3 49 CONTOSO\\Administrator " + bad + "\n"
                        + "impacket 49 CONTOSO\\Administrator Error in bindRequest -> invalidCredentials: " + bad + "\n",
                r.out(), "NTLM binds to DC01: each tool, its result code, the name, and what the bound connection saw");
    }
}
