package org.pkilab.directory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;

import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import com.unboundid.ldap.sdk.extensions.WhoAmIExtendedRequest;
import com.unboundid.ldap.sdk.extensions.WhoAmIExtendedResult;
import com.unboundid.util.ssl.SSLUtil;
import com.unboundid.util.ssl.TrustAllTrustManager;

import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NTLM binds as AD's tools make them: the Sicily bind of python3-ldap3 and impacket, checked with NTLMv2 against the
 * NT hash the DC keeps in unicodePwd, for a user and a machine account; a wrong password answers 49 with data 52e,
 * an NTLMv1 response 49 saying why. unicodePwd is written as AD takes it (quoted UTF-16LE, over TLS only) and is
 * never read back nor matched by a filter; Who-Am-I answers AD's {@code u:CONTOSO\name}.
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
        return python(Map.of(), resource, arguments);
    }

    private static Result python(Map<String, String> environment, String resource, String... arguments) throws Exception {
        Path script = Files.createTempFile("ntlm", ".py");
        try (InputStream in = NtlmBindTest.class.getResourceAsStream(resource)) {
            Files.write(script, in.readAllBytes());
        }
        List<String> command = new java.util.ArrayList<>(List.of("/usr/bin/python3", script.toString()));
        command.addAll(List.of(arguments));
        try {
            return ExternalTool.run(null, environment, null, command.toArray(String[]::new));
        } finally {
            Files.delete(script);
        }
    }

    @Test
    void whoAmIAnswersTheDownLevelNameAfterASimpleBindAsAdDoes() throws Exception {
        try (LDAPConnection c = new LDAPConnection("127.0.0.1", dc.ldapPort(), "administrator@contoso.com", PASSWORD)) {
            WhoAmIExtendedResult me = (WhoAmIExtendedResult) c.processExtendedOperation(new WhoAmIExtendedRequest());
            assertEquals("u:CONTOSO\\Administrator", me.getAuthorizationID(), "DC01's Who-Am-I after a bind by UPN");
        }
    }

    @Test
    void unicodePwdIsWrittenOnlyOverTlsAndThenSetsThePasswordForBothBinds() throws Exception {
        String bob = dc.names().user("bob");
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            admin.usersAndComputers().createUser("bob", PASSWORD);
        }
        byte[] quoted = "\"Bob-Passw0rd-2\"".getBytes(StandardCharsets.UTF_16LE);
        Modification set = new Modification(ModificationType.REPLACE, "unicodePwd", quoted);
        try (LDAPConnection plain = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            LDAPException refused = assertThrows(LDAPException.class, () -> plain.modify(bob, set),
                    "DC01 took a unicodePwd write over plain LDAP");
            assertEquals(ResultCode.UNWILLING_TO_PERFORM, refused.getResultCode(), refused.getMessage());
            assertTrue(refused.getDiagnosticMessage().contains("0000001F: SvcErr: DSID-"), refused.getDiagnosticMessage());
            assertTrue(refused.getDiagnosticMessage().contains("problem 5003 (WILL_NOT_PERFORM)"), refused.getDiagnosticMessage());
        }
        try (LDAPConnection ldaps = new LDAPConnection(new SSLUtil(new TrustAllTrustManager()).createSSLSocketFactory(),
                "127.0.0.1", dc.ldapsPort(), dc.administratorDn(), PASSWORD)) {
            ldaps.modify(bob, set);
            SearchResultEntry read = ldaps.getEntry(bob, "*", "unicodePwd", "userPassword");
            assertNull(read.getAttribute("unicodePwd"), "DC01 returned bob's unicodePwd: " + read.toLDIFString());
            assertEquals(0, ldaps.search(dc.names().domain(), SearchScope.SUB, "(unicodePwd=*)").getEntryCount(),
                    "a filter on unicodePwd must match nothing on DC01");
        }
        assertEquals(ResultCode.SUCCESS, simpleBind("CONTOSO\\bob", "Bob-Passw0rd-2"), "simple bind with the password set by unicodePwd");
        assertEquals(ResultCode.INVALID_CREDENTIALS, simpleBind("CONTOSO\\bob", PASSWORD), "simple bind with bob's old password");
        try (LDAPConnection ldaps = new LDAPConnection(new SSLUtil(new TrustAllTrustManager()).createSSLSocketFactory(),
                "127.0.0.1", dc.ldapsPort(), dc.administratorDn(), PASSWORD)) {
            // AD's change form: delete the old value, add the new
            ldaps.modify(bob, new Modification(ModificationType.DELETE, "unicodePwd", "\"Bob-Passw0rd-2\"".getBytes(StandardCharsets.UTF_16LE)),
                    new Modification(ModificationType.ADD, "unicodePwd", "\"Bob-Passw0rd-3\"".getBytes(StandardCharsets.UTF_16LE)));
        }
        assertEquals(ResultCode.SUCCESS, simpleBind("CONTOSO\\bob", "Bob-Passw0rd-3"), "simple bind after the change by delete and add");
        try (LDAPConnection ldaps = new LDAPConnection(new SSLUtil(new TrustAllTrustManager()).createSSLSocketFactory(),
                "127.0.0.1", dc.ldapsPort(), dc.administratorDn(), PASSWORD)) {
            ldaps.modify(bob, set);
        }
        Result r = python("ntlmbinds.py", "127.0.0.1", String.valueOf(dc.ldapPort()), dc.names().domain(), "Bob-Passw0rd-2", "CONTOSO\\bob");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().startsWith("ldap3 0 CONTOSO\\bob u:CONTOSO\\bob 1\nimpacket 0 CONTOSO\\bob " + bob + "\n"),
                "NTLM binds as bob with the password set by unicodePwd: " + r.out());
    }

    private static ResultCode simpleBind(String name, String password) {
        try (LDAPConnection c = new LDAPConnection("127.0.0.1", dc.ldapPort())) {
            return c.bind(name, password).getResultCode();
        } catch (LDAPException e) {
            return e.getResultCode();
        }
    }

    @Test
    void ntlmV1ResponseIsRefusedWithAdsTextAndWhy() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", dc.ldapPort())) {
            socket.setSoTimeout(10_000);
            byte[] negotiate = ntlm(1, new byte[]{(byte) 0x05, (byte) 0x82, 0x08, (byte) 0xA0}); // Unicode, NTLM, ESS, 128, 56
            Sicily challenge = sicily(socket, 1, 0x8A, "NTLM", negotiate);
            assertEquals(0, challenge.resultCode(), challenge.message());
            assertEquals(2, challenge.serverCreds()[8], "DC01 answers sicilyNegotiate with an NTLM CHALLENGE message");
            byte[] user = "Administrator".getBytes(StandardCharsets.UTF_16LE);
            byte[] domain = "CONTOSO".getBytes(StandardCharsets.UTF_16LE);
            byte[] v1 = new byte[24];
            ByteBuffer authenticate = ByteBuffer.allocate(88 + v1.length + domain.length + user.length).order(ByteOrder.LITTLE_ENDIAN);
            authenticate.put("NTLMSSP\0".getBytes(StandardCharsets.US_ASCII)).putInt(3);
            authenticate.putShort((short) 0).putShort((short) 0).putInt(88);                      // LM
            authenticate.putShort((short) 24).putShort((short) 24).putInt(88);                    // NT: 24 bytes, NTLMv1
            authenticate.putShort((short) domain.length).putShort((short) domain.length).putInt(112);
            authenticate.putShort((short) user.length).putShort((short) user.length).putInt(112 + domain.length);
            authenticate.putShort((short) 0).putShort((short) 0).putInt(88);                      // workstation
            authenticate.putShort((short) 0).putShort((short) 0).putInt(88);                      // session key
            authenticate.putInt(0xA0088205).put(new byte[24]).put(v1).put(domain).put(user);
            Sicily refused = sicily(socket, 2, 0x8B, "", authenticate.array());
            assertEquals(49, refused.resultCode(), refused.message());
            assertTrue(refused.message().startsWith(SystemAccountGuard.LOGON_FAILURE), refused.message());
            assertTrue(refused.message().contains("NTLMv1"), "DC01's refusal of NTLMv1 says why: " + refused.message());
        }
    }

    private record Sicily(int resultCode, byte[] serverCreds, String message) {
    }

    /** Sends one Sicily bind and reads the BindResponse (short BER lengths: the messages here are small). */
    private static Sicily sicily(Socket socket, int messageId, int tag, String name, byte[] credentials) throws Exception {
        byte[] bind = LdapRequestGuard.Ber.tlv(0x60, LdapRequestGuard.Ber.integer(3),
                LdapRequestGuard.Ber.tlv(0x04, name.getBytes(StandardCharsets.UTF_8)), LdapRequestGuard.Ber.tlv(tag, credentials));
        socket.getOutputStream().write(LdapRequestGuard.Ber.tlv(0x30, LdapRequestGuard.Ber.integer(messageId), bind));
        java.io.DataInputStream in = new java.io.DataInputStream(socket.getInputStream());
        in.readUnsignedByte();
        int first = in.readUnsignedByte();
        int length = first < 0x80 ? first : 0;
        for (int i = 0; i < (first < 0x80 ? 0 : first & 0x7F); i++) {
            length = (length << 8) | in.readUnsignedByte();
        }
        byte[] pdu = new byte[length];
        in.readFully(pdu);
        byte[] whole = LdapRequestGuard.Ber.tlv(0x30, pdu);
        LdapMessageShape.Element message = LdapMessageShape.Element.at(whole, 0, whole.length);
        LdapMessageShape.Element id = LdapMessageShape.Element.at(whole, message.contentStart(), message.end());
        LdapMessageShape.Element response = LdapMessageShape.Element.at(whole, id.end(), message.end());
        LdapMessageShape.Element code = LdapMessageShape.Element.at(whole, response.contentStart(), response.end());
        LdapMessageShape.Element matched = LdapMessageShape.Element.at(whole, code.end(), response.end());
        LdapMessageShape.Element text = LdapMessageShape.Element.at(whole, matched.end(), response.end());
        return new Sicily(whole[code.contentStart()] & 0xFF, java.util.Arrays.copyOfRange(whole, matched.contentStart(), matched.end()),
                new String(whole, text.contentStart(), text.length(), StandardCharsets.UTF_8));
    }

    private static byte[] ntlm(int type, byte[] flags) {
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).put("NTLMSSP\0".getBytes(StandardCharsets.US_ASCII))
                .putInt(type).put(flags).array();
    }

    @Test
    void sambaToolReadsTheDirectoryOverGssSpnegoNtlm() throws Exception {
        Result r = ExternalTool.run(null, Map.of(), null, "samba-tool", "user", "show", "Administrator", "-H", dc.ldapUrl(),
                "-U", "CONTOSO\\Administrator%" + PASSWORD);
        assertEquals(0, r.exit(), "samba-tool user show over NTLM against DC01 (samba-common-bin installed?): " + r);
        assertTrue(r.out().contains("dn: " + dc.administratorDn()) && r.out().contains("sAMAccountName: Administrator"),
                "samba-tool user show Administrator, bound with NTLM and sealed as samba-tool does over ldap://: " + r.out());
        Result wrong = ExternalTool.run(null, Map.of(), null, "samba-tool", "user", "show", "Administrator", "-H", dc.ldapUrl(),
                "-U", "CONTOSO\\Administrator%not-the-password");
        assertTrue(wrong.exit() != 0 && (wrong.out() + wrong.err()).contains("AcceptSecurityContext error, data 52e"),
                "samba-tool with a wrong password must be refused with a logon failure by DC01: " + wrong);
    }

    @Test
    void anAccountKeptWithoutAnNtHashIsToldToSetItsPasswordAgain(@TempDir Path data) throws Exception {
        DomainControllerConfig config = DomainControllerConfig.builder().dataDirectory(data).administratorPassword(PASSWORD).build();
        try (DomainController lasting = DomainController.start(config);
             DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", lasting.ldapPort(), lasting.names(), lasting.administratorDn(), PASSWORD)) {
            admin.usersAndComputers().createUser("carol", "Carol-Passw0rd-1");
        }
        DomainController.start(config).close(); // a start writes the journal into entries.ldif
        // a lab kept before the DC kept NT hashes: its accounts have a userPassword verifier and no unicodePwd
        Path entries;
        try (java.util.stream.Stream<Path> paths = Files.walk(data)) {
            entries = paths.filter(p -> p.getFileName().toString().equals(DirectoryStore.ENTRIES)).findFirst().orElseThrow();
        }
        String text = Files.readString(entries, StandardCharsets.UTF_8);
        String without = text.replaceAll("(?im)^unicodePwd:: [^\\n]*\\n(?: [^\\n]*\\n)*", "");
        assertTrue(without.length() < text.length(), "the kept directory held NT hashes to take out");
        // in the file's format of then: no version on its first line, no count and checksum on its last
        Files.writeString(entries, without.replaceFirst("^# pkilab directory 2,", "# pkilab directory,")
                .replaceFirst("# end of directory: [^\\n]*\\n\\z", ""), StandardCharsets.UTF_8);
        try (DomainController again = DomainController.start(config)) {
            assertEquals(ResultCode.SUCCESS, bind(again, "CONTOSO\\carol", "Carol-Passw0rd-1"), "carol's simple bind still works");
            Result r = python("ntlmbinds.py", "127.0.0.1", String.valueOf(again.ldapPort()), again.names().domain(),
                    "Carol-Passw0rd-1", "CONTOSO\\carol");
            assertTrue(r.out().startsWith("ldap3 49 CONTOSO\\carol " + SystemAccountGuard.LOGON_FAILURE + " | CONTOSO\\carol has no NT hash"),
                    "the NTLM refusal of an account kept without an NT hash says why: " + r);
            try (LDAPConnection administrator = new LDAPConnection("127.0.0.1", again.ldapPort(), again.administratorDn(), PASSWORD)) {
                administrator.modify(again.names().user("carol"), new Modification(ModificationType.REPLACE, "userPassword", "Carol-Passw0rd-2"));
            }
            Result after = python("ntlmbinds.py", "127.0.0.1", String.valueOf(again.ldapPort()), again.names().domain(),
                    "Carol-Passw0rd-2", "CONTOSO\\carol");
            assertTrue(after.out().startsWith("ldap3 0 CONTOSO\\carol u:CONTOSO\\carol"), "NTLM after the password is set again: " + after);
        }
    }

    private static ResultCode bind(DomainController on, String name, String password) {
        try (LDAPConnection c = new LDAPConnection("127.0.0.1", on.ldapPort())) {
            return c.bind(name, password).getResultCode();
        } catch (LDAPException e) {
            return e.getResultCode();
        }
    }

    @Test
    void ldap3AndImpacketBindWithNtlmAsUserAndMachine() throws Exception {
        Result r = python(Map.of("PKILAB_TEMPLATE", dc.names().template("WebServer")), "ntlmbinds.py", "127.0.0.1",
                String.valueOf(dc.ldapPort()), dc.names().domain(), PASSWORD, "CONTOSO\\Administrator", "CONTOSO\\IIS01$",
                "contoso.com\\administrator", "\\Administrator");
        assertEquals(0, r.exit(), "NTLM binds to DC01 with ldap3 and impacket (python3-ldap3, python3-impacket installed?): " + r);
        String administrator = dc.administratorDn();
        String iis01 = dc.names().computer("IIS01");
        String bad = SystemAccountGuard.LOGON_FAILURE;
        // the template write: Administrator (Domain Admins) may (0), IIS01$ may not (50), as after a simple bind
        assertEquals("ldap3 0 CONTOSO\\Administrator u:CONTOSO\\Administrator 1 0\n"
                        + "impacket 0 CONTOSO\\Administrator " + administrator + "\n"
                        + "ldap3 0 CONTOSO\\IIS01$ u:CONTOSO\\IIS01$ 1 50\n"
                        + "impacket 0 CONTOSO\\IIS01$ " + iis01 + "\n"
                        + "ldap3 0 contoso.com\\administrator u:CONTOSO\\Administrator 1 0\n"
                        + "impacket 0 contoso.com\\administrator " + administrator + "\n"
                        + "ldap3 0 \\Administrator u:CONTOSO\\Administrator 1 0\n"
                        + "impacket 0 \\Administrator " + administrator + "\n"
                        + "ldap3 49 CONTOSO\\Administrator " + bad + "\n"
                        + "impacket 49 CONTOSO\\Administrator Error in bindRequest -> invalidCredentials: " + bad + "\n",
                r.out(), "NTLM binds to DC01: each tool, its result code, the name, and what the bound connection saw");
    }
}
