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
 * never read back nor matched by a filter; Who-Am-I answers AD's {@code u:CONTOSO\name}. What an attacker sends
 * ({@link NtlmClient}: a replayed or changed AUTHENTICATE message, a changed sealed message) is refused with data 52e
 * on a connection left anonymous, or ends its connection; a refusal never tells whether the account exists.
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
        assertEquals(ResultCode.SUCCESS, bind(dc, "CONTOSO\\bob", "Bob-Passw0rd-2"), "simple bind with the password set by unicodePwd");
        assertEquals(ResultCode.INVALID_CREDENTIALS, bind(dc, "CONTOSO\\bob", PASSWORD), "simple bind with bob's old password");
        try (LDAPConnection ldaps = new LDAPConnection(new SSLUtil(new TrustAllTrustManager()).createSSLSocketFactory(),
                "127.0.0.1", dc.ldapsPort(), dc.administratorDn(), PASSWORD)) {
            // AD's change form: delete the old value, add the new
            ldaps.modify(bob, new Modification(ModificationType.DELETE, "unicodePwd", "\"Bob-Passw0rd-2\"".getBytes(StandardCharsets.UTF_16LE)),
                    new Modification(ModificationType.ADD, "unicodePwd", "\"Bob-Passw0rd-3\"".getBytes(StandardCharsets.UTF_16LE)));
        }
        assertEquals(ResultCode.SUCCESS, bind(dc, "CONTOSO\\bob", "Bob-Passw0rd-3"), "simple bind after the change by delete and add");
        try (LDAPConnection ldaps = new LDAPConnection(new SSLUtil(new TrustAllTrustManager()).createSSLSocketFactory(),
                "127.0.0.1", dc.ldapsPort(), dc.administratorDn(), PASSWORD)) {
            ldaps.modify(bob, set);
        }
        Result r = python("ntlmbinds.py", "127.0.0.1", String.valueOf(dc.ldapPort()), dc.names().domain(), "Bob-Passw0rd-2", "CONTOSO\\bob");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().startsWith("ldap3 0 CONTOSO\\bob u:CONTOSO\\bob 1\nimpacket 0 CONTOSO\\bob " + bob + "\n"),
                "NTLM binds as bob with the password set by unicodePwd: " + r.out());
    }

    @Test
    void ntlmV1ResponseIsRefusedWithAdsTextAndWhy() throws Exception {
        try (NtlmClient.Connection c = NtlmClient.connect(dc.ldapPort())) {
            NtlmClient.Response challenge = c.sicily(0x8A, "NTLM", new NtlmClient("CONTOSO", "Administrator", PASSWORD)
                    .negotiate(0xA0088205)); // Unicode, NTLM, ESS, 128, 56
            assertEquals(0, challenge.resultCode(), challenge.message());
            assertEquals(2, challenge.matchedDn()[8], "DC01 answers sicilyNegotiate with an NTLM CHALLENGE message");
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
            NtlmClient.Response refused = c.sicily(0x8B, "", authenticate.array());
            assertEquals(49, refused.resultCode(), refused.message());
            assertTrue(refused.message().startsWith(SystemAccountGuard.LOGON_FAILURE), refused.message());
            assertTrue(refused.message().contains("NTLMv1"), "DC01's refusal of NTLMv1 says why: " + refused.message());
        }
    }

    /** Asserts a refused bind as AD answers it, and that the connection it was made on is left anonymous. */
    private static void assertRefusedAndAnonymous(NtlmClient.Connection c, NtlmClient.Response refused, String what) throws Exception {
        assertEquals(49, refused.resultCode(), what + ": DC01 answered " + refused.message());
        assertTrue(refused.message().startsWith(SystemAccountGuard.LOGON_FAILURE), what + ": " + refused.message());
        assertEquals("", c.whoAmI(), what + ": DC01 left the connection bound");
    }

    @Test
    void anAuthenticateMessageReplayedOnAnotherConnectionIsRefused() throws Exception {
        NtlmClient administrator = new NtlmClient("CONTOSO", "Administrator", PASSWORD);
        byte[] seen;
        try (NtlmClient.Connection first = NtlmClient.connect(dc.ldapPort())) {
            NtlmClient.Response challenge = first.sicily(0x8A, "NTLM", administrator.negotiate(NtlmClient.FLAGS));
            seen = administrator.authenticate(challenge.matchedDn(), true);
            assertEquals(0, first.sicily(0x8B, "", seen).resultCode(), "Administrator's own Sicily bind to DC01");
            assertEquals("u:CONTOSO\\Administrator", first.whoAmI());
        }
        try (NtlmClient.Connection other = NtlmClient.connect(dc.ldapPort())) {
            other.sicily(0x8A, "NTLM", new NtlmClient("CONTOSO", "Administrator", "unknown").negotiate(NtlmClient.FLAGS));
            assertRefusedAndAnonymous(other, other.sicily(0x8B, "", seen),
                    "Administrator's AUTHENTICATE message, seen on the wire and replayed on another connection");
        }
        assertEquals(ResultCode.SUCCESS, bind(dc, "CONTOSO\\Administrator", PASSWORD), "DC01 still serves other connections");
    }

    @Test
    void anAuthenticateMessageReplayedAfterAFreshChallengeIsRefusedAndTheConnectionIsLeftAnonymous() throws Exception {
        NtlmClient administrator = new NtlmClient("CONTOSO", "Administrator", PASSWORD);
        try (NtlmClient.Connection c = NtlmClient.connect(dc.ldapPort())) {
            NtlmClient.Response challenge = c.sicily(0x8A, "NTLM", administrator.negotiate(NtlmClient.FLAGS));
            byte[] seen = administrator.authenticate(challenge.matchedDn(), true);
            assertEquals(0, c.sicily(0x8B, "", seen).resultCode(), "Administrator's own Sicily bind to DC01");
            assertRefusedAndAnonymous(c, c.sicily(0x8B, "", seen), "the same AUTHENTICATE message sent again");
            c.sicily(0x8A, "NTLM", administrator.negotiate(NtlmClient.FLAGS));
            assertRefusedAndAnonymous(c, c.sicily(0x8B, "", seen), "the AUTHENTICATE message replayed after a fresh CHALLENGE");
        }
    }

    @Test
    void anEmptyUserNameIsRefused() throws Exception {
        try (NtlmClient.Connection c = NtlmClient.connect(dc.ldapPort())) {
            assertEquals(0, c.simpleBind(dc.administratorDn(), PASSWORD).resultCode());
            assertRefusedAndAnonymous(c, c.sicilyBind(new NtlmClient("CONTOSO", "", "")), "an NTLM logon with no user name");
        }
    }

    @Test
    void aSicilyResponseWithNoNegotiateBeforeItIsRefused() throws Exception {
        NtlmClient administrator = new NtlmClient("CONTOSO", "Administrator", PASSWORD);
        byte[] seen;
        try (NtlmClient.Connection first = NtlmClient.connect(dc.ldapPort())) {
            NtlmClient.Response challenge = first.sicily(0x8A, "NTLM", administrator.negotiate(NtlmClient.FLAGS));
            seen = administrator.authenticate(challenge.matchedDn(), true);
        }
        try (NtlmClient.Connection c = NtlmClient.connect(dc.ldapPort())) {
            assertEquals(0, c.simpleBind(dc.administratorDn(), PASSWORD).resultCode());
            assertRefusedAndAnonymous(c, c.sicily(0x8B, "", seen), "a sicilyResponse with no sicilyNegotiate on its connection");
        }
    }

    @Test
    void aChangedMicIsRefused() throws Exception {
        NtlmClient administrator = new NtlmClient("CONTOSO", "Administrator", PASSWORD);
        try (NtlmClient.Connection c = NtlmClient.connect(dc.ldapPort())) {
            NtlmClient.Response challenge = c.sicily(0x8A, "NTLM", administrator.negotiate(NtlmClient.FLAGS));
            byte[] changed = administrator.authenticate(challenge.matchedDn(), true);
            changed[72] ^= 1;
            assertRefusedAndAnonymous(c, c.sicily(0x8B, "", changed), "Administrator's AUTHENTICATE message with its MIC changed");
        }
    }

    @Test
    void aChangedSealedMessageEndsItsConnectionAndTheDcServesOthers() throws Exception {
        try (NtlmClient.Connection c = NtlmClient.connect(dc.ldapPort())) {
            NtlmClient.Response bound = c.spnegoBind(new NtlmClient("CONTOSO", "Administrator", PASSWORD), true);
            assertEquals(0, bound.resultCode(), "a sealed GSS-SPNEGO bind to DC01: " + bound.message());
            assertEquals("u:CONTOSO\\Administrator", c.whoAmI(), "Who-Am-I, sealed");
            c.tamper = frame -> {
                frame[frame.length - 1] ^= 1;
                return frame;
            };
            assertThrows(java.io.IOException.class, c::whoAmI, "DC01 answered a sealed message changed on the way");
        }
        assertEquals(ResultCode.SUCCESS, bind(dc, "CONTOSO\\Administrator", PASSWORD), "DC01 still serves other connections");
    }

    @Test
    void aSecondSealedBindOnASealedConnectionTakesItsNewKeys() throws Exception {
        try (NtlmClient.Connection c = NtlmClient.connect(dc.ldapPort())) {
            assertEquals(0, c.spnegoBind(new NtlmClient("CONTOSO", "Administrator", PASSWORD), true).resultCode());
            assertEquals("u:CONTOSO\\Administrator", c.whoAmI(), "Who-Am-I after the first sealed bind");
            NtlmClient.Response again = c.spnegoBind(new NtlmClient("CONTOSO", "IIS01$", PASSWORD), true);
            assertEquals(0, again.resultCode(), "a second sealed GSS-SPNEGO bind on DC01's sealed connection: " + again.message());
            assertEquals("u:CONTOSO\\IIS01$", c.whoAmI(), "Who-Am-I, sealed with the second bind's keys");
            assertEquals(0, c.simpleBind("CONTOSO\\Administrator", PASSWORD).resultCode(), "a simple bind on the sealed connection");
            assertEquals("u:CONTOSO\\Administrator", c.whoAmI(), "Who-Am-I after the simple bind, still sealed");
            assertEquals(0, c.sicilyBind(new NtlmClient("CONTOSO", "IIS01$", PASSWORD)).resultCode(), "a Sicily bind on the sealed connection");
            assertEquals("u:CONTOSO\\IIS01$", c.whoAmI(), "Who-Am-I after the Sicily bind, still sealed");
            assertRefusedAndAnonymous(c, c.spnegoBind(new NtlmClient("CONTOSO", "Administrator", "not-the-password"), true),
                    "a sealed GSS-SPNEGO bind with a wrong password on the sealed connection");
        }
    }

    @Test
    void signingAndSealingAreAgreedOnlyWithExtendedSessionSecurity() throws Exception {
        try (NtlmClient.Connection c = NtlmClient.connect(dc.ldapPort())) {
            int withoutEss = (NtlmClient.FLAGS | NtlmClient.SIGN_AND_SEAL) & ~NtlmAuthenticator.NEGOTIATE_EXTENDED_SESSIONSECURITY;
            NtlmClient.Response challenge = c.sasl(NtlmClient.negTokenInit(new NtlmClient("CONTOSO", "Administrator", PASSWORD)
                    .negotiate(withoutEss)));
            assertEquals(14, challenge.resultCode(), challenge.message());
            byte[] message = NtlmClient.ntlmMessage(challenge.value());
            int flags = NtlmAuthenticator.int32(message, 20);
            assertEquals(0, flags & NtlmClient.SIGN_AND_SEAL, "DC01 agreed to sign or seal without extended session security,"
                    + " which its session security (MS-NLMP 3.4, ESS only) cannot do: flags 0x" + Integer.toHexString(flags));
        }
    }

    @Test
    void aSealedMessageOverMaxReceiveBufferEndsItsConnection() throws Exception {
        try (NtlmClient.Connection c = NtlmClient.connect(dc.ldapPort())) {
            assertEquals(0, c.spnegoBind(new NtlmClient("CONTOSO", "Administrator", PASSWORD), true).resultCode());
            int maxReceiveBuffer = LdapQueryPolicy.DEFAULT.maxReceiveBuffer();
            c.sendRaw(ByteBuffer.allocate(4).putInt(maxReceiveBuffer + NtlmSealing.SIGNATURE_LENGTH + 1).array());
            assertTrue(c.ended(), "DC01 waited for a sealed message over MaxReceiveBuffer (" + maxReceiveBuffer + " bytes)");
        }
    }

    private static int ntlmBind(String user, String password) throws Exception {
        try (NtlmClient.Connection c = NtlmClient.connect(dc.ldapPort())) {
            return c.sicilyBind(new NtlmClient("CONTOSO", user, password)).resultCode();
        }
    }

    @Test
    void removingThePasswordEndsNtlmLogonsAsItEndsSimpleBinds() throws Exception {
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            admin.usersAndComputers().createUser("dave", PASSWORD);
        }
        assertEquals(0, ntlmBind("dave", PASSWORD), "dave's NTLM bind before his password is removed");
        try (LDAPConnection administrator = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            administrator.modify(dc.names().user("dave"), new Modification(ModificationType.DELETE, "userPassword"));
        }
        assertEquals(ResultCode.INVALID_CREDENTIALS, bind(dc, "CONTOSO\\dave", PASSWORD), "dave's simple bind, his password removed");
        assertEquals(49, ntlmBind("dave", PASSWORD), "DC01 took dave's NTLM bind with the password removed from his account");
    }

    @Test
    void aSecondPasswordAddedOrWrittenBesideTheFirstIsRefusedAndChangesNothing() throws Exception {
        String erin = dc.names().user("erin");
        try (DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            admin.usersAndComputers().createUser("erin", PASSWORD);
        }
        try (LDAPConnection administrator = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            LDAPException added = assertThrows(LDAPException.class, () -> administrator.modify(erin,
                    new Modification(ModificationType.ADD, "userPassword", "Erin-Other-1")), "DC01 took a second password for erin");
            assertEquals(ResultCode.ATTRIBUTE_OR_VALUE_EXISTS, added.getResultCode(), added.getMessage());
            assertTrue(added.getDiagnosticMessage().contains("ATT_OR_VALUE_EXISTS"), added.getDiagnosticMessage());
            LDAPException two = assertThrows(LDAPException.class, () -> administrator.modify(erin,
                    new Modification(ModificationType.REPLACE, "userPassword", "Erin-One-1", "Erin-Two-2")),
                    "DC01 took two passwords at once for erin");
            assertEquals(ResultCode.UNWILLING_TO_PERFORM, two.getResultCode(), two.getMessage());
            assertTrue(two.getDiagnosticMessage().contains("WILL_NOT_PERFORM"), two.getDiagnosticMessage());
        }
        assertEquals(ResultCode.SUCCESS, bind(dc, "CONTOSO\\erin", PASSWORD), "erin's simple bind with her own password");
        assertEquals(0, ntlmBind("erin", PASSWORD), "erin's NTLM bind with her own password");
        for (String refused : List.of("Erin-Other-1", "Erin-One-1", "Erin-Two-2")) {
            assertEquals(ResultCode.INVALID_CREDENTIALS, bind(dc, "CONTOSO\\erin", refused), "erin's simple bind with " + refused);
            assertEquals(49, ntlmBind("erin", refused), "erin's NTLM bind with " + refused);
        }
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
    void anAccountKeptWithoutAnNtHashIsRefusedAsAStrangerIsUntilItsPasswordIsSetAgain(@TempDir Path data) throws Exception {
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
                    "Carol-Passw0rd-1", "CONTOSO\\carol", "CONTOSO\\nobody");
            // a stranger must not learn that carol exists: her refusal is the one a name no account has gets
            assertTrue(r.out().startsWith("ldap3 49 CONTOSO\\carol " + SystemAccountGuard.LOGON_FAILURE + "\n"),
                    "DC01's NTLM refusal of carol, kept without an NT hash, must be AD's plain data 52e: " + r);
            assertTrue(r.out().contains("\nldap3 49 CONTOSO\\nobody " + SystemAccountGuard.LOGON_FAILURE + "\n"),
                    "DC01's NTLM refusal of a name no account has: " + r);
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
