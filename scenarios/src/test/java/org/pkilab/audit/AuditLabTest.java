package org.pkilab.audit;

import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.pkilab.admin.CaAdminClient;
import org.pkilab.cli.Cli;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.CertificateMappingSettings;
import org.pkilab.directory.model.AccessControlEntry;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.DomainNames;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.directory.model.TemplateFlags;
import org.pkilab.lab.Lab;
import org.pkilab.lab.LabControl;
import org.pkilab.lab.LabSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The audit of a running lab in which an administrator made, by mistake, every misconfiguration the lab can show: in
 * the directory (ESC1, 2, 3, 4, 5, 9's template, 13, 14, 15, and a UPN others may write), in the CA's registry (ESC6,
 * ESC7's Manage CA, ESC11, ESC16) and in the DC's (weak certificate mapping, for ESC9, 10 and 16). Read over LDAP alone,
 * with the registries assumed at their defaults, the audit lists exactly the directory's classes; {@code pkilab audit
 * --format json}, which reads the CA's registry over its administration interface and the DC's through the lab's
 * console, lists exactly every class (ESC8 and ESC12 not found, with the reason), SARIF the same rules; and the command
 * each finding names, run as given, clears it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuditLabTest {

    private static final String POLICY_OID = "1.3.6.1.4.1.311.21.8.7.7.7.401";
    private static final String UPN = "28630ebb-41d5-11d1-a9c1-0000f80367c1";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Lab lab;
    private static LabControl control;

    @BeforeAll
    static void startLab() throws Exception {
        lab = Lab.start(LabSpec.builder().user("alice").user("mallory").build());
        DirectoryAdmin admin = lab.admin();
        DomainNames names = lab.dc().names();

        String esc1 = duplicate("User", "Lab ESC1");
        admin.templates().setSubjectNameFlags(esc1, TemplateFlags.CertificateName.ENROLLEE_SUPPLIES_SUBJECT);

        String esc2 = duplicate("User", "Lab ESC2");
        admin.templates().update(esc2, b -> b.extendedKeyUsages(List.of()).applicationPolicies(List.of()));

        String agent = duplicate("User", "Lab Agent");
        admin.templates().setExtendedKeyUsages(agent, List.of("1.3.6.1.4.1.311.20.2.1"));

        String writable = admin.templates().duplicate("Web Server", "Lab Writable", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE).name();
        admin.security().allow(writable, "Domain Users", AccessRight.WRITE);
        lab.ca().issueTemplate(writable);

        String enrollmentService = DomainNames.child(lab.ca().config().caName(), names.enrollmentServices());
        admin.security().allow(enrollmentService, "Domain Users", AccessRight.WRITE);

        String esc13 = duplicate("User", "Lab ESC13");
        // a universal group without members, as the DC honours a link to no other
        String group = admin.usersAndComputers().createGroup("Lab Policy Holders",
                org.pkilab.directory.client.UsersAndComputers.GroupScope.UNIVERSAL, null);
        try (LDAPConnection ldap = new LDAPConnection("127.0.0.1", lab.dc().ldapPort(), lab.dc().administratorDn(), lab.password())) {
            ldap.add(DomainNames.child("401.LABPOLICY", names.oid()), List.of(new Attribute("objectClass", "top", "msPKI-Enterprise-Oid"),
                    new Attribute("cn", "401.LABPOLICY"), new Attribute("displayName", "Lab High Assurance"), new Attribute("flags", "2"),
                    new Attribute("msPKI-Cert-Template-OID", POLICY_OID), new Attribute("msDS-OIDToGroupLink", group)));
            ldap.modify(names.template(esc13), new Modification(ModificationType.REPLACE, "msPKI-Certificate-Policy", POLICY_OID));

            // mallory may write alice's altSecurityIdentities (ESC14)
            String alice = admin.usersAndComputers().dnOf("alice");
            SecurityDescriptor before = admin.security().descriptor(alice);
            List<AccessControlEntry> entries = new ArrayList<>(before.entries());
            entries.add(new AccessControlEntry(true, AccessControlEntry.WRITE_PROPERTY, "00fbf30c-91fe-11d1-aebc-0000f80367c1", "",
                    admin.usersAndComputers().sidOf("mallory")));
            // and alice's userPrincipalName (ESC9, 10, 16: mallory renames alice to Administrator before alice enrolls)
            entries.add(new AccessControlEntry(true, AccessControlEntry.WRITE_PROPERTY, UPN, "", admin.usersAndComputers().sidOf("mallory")));
            SecurityDescriptor after = new SecurityDescriptor(before.owner(), before.group(), "", entries);
            ldap.modify(alice, new Modification(ModificationType.REPLACE, "nTSecurityDescriptor", after.toBinary()));
        }

        // ESC15: the built-in Web Server (schema 1, "Supply in the request") opened to Domain Users
        admin.security().allow("WebServer", "Domain Users", AccessRight.ENROLL);

        // ESC9: certificates of this template carry no SID
        String esc9 = duplicate("User", "Lab ESC9");
        admin.templates().setNoSecurityExtension(esc9, true);

        // the CA's registry, as certutil -setreg and the Security tab change it: ESC6, ESC11, ESC16, and ESC7 for mallory
        CaAdminClient ca = CaAdminClient.connect(admin, lab.ca().name(), "127.0.0.1", lab.dc().administratorDn(), lab.password());
        ca.setRegistry("policy\\EditFlags", "+EDITF_ATTRIBUTESUBJECTALTNAME2");
        ca.setRegistry("CA\\InterfaceFlags", "-IF_ENFORCEENCRYPTICERTREQUEST");
        ca.setRegistry("policy\\DisableExtensionList", "+1.3.6.1.4.1.311.25.2");
        ca.addManager("mallory");

        // the DC's registry: no strong-mapping check (ESC10; and ESC9, ESC16 through their weak-mapping condition)
        lab.dc().certificateMapping(CertificateMappingSettings.WINDOWS_DEFAULT.withEnforcement(0));
        control = LabControl.start(lab, 0);
    }

    /** A copy of {@code source} that Domain Users may enroll in, issued by the CA. */
    private static String duplicate(String source, String displayName) {
        String name = lab.admin().templates().duplicate(source, displayName, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE).name();
        lab.admin().security().allow(name, "Domain Users", AccessRight.READ, AccessRight.ENROLL);
        lab.ca().issueTemplate(name);
        return name;
    }

    @AfterAll
    static void stopLab() {
        if (control != null) {
            control.close();
        }
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    @Order(1)
    void everyDirectoryMisconfigurationIsFoundAndNothingElse() {
        // the directory alone: the CA's and the DC's registry taken as a new CA's and a patched DC's
        AuditReport report = Audit.run(DirectoryAuditLoader.load(lab, DirectoryAuditLoader.CA_DEFAULTS, DirectoryAuditLoader.MAPPING_DEFAULT));
        Set<String> found = new TreeSet<>();
        report.findings().forEach(f -> found.add(f.escClass() + " " + f.object()));
        String enrollmentService = DomainNames.child(lab.ca().config().caName(), lab.dc().names().enrollmentServices());
        assertEquals(new TreeSet<>(List.of("ESC1 LabESC1", "ESC2 LabESC2", "ESC3 LabAgent", "ESC4 LabWritable", "ESC5 " + enrollmentService,
                "ESC13 LabESC13", "ESC14 alice", "ESC15 WebServer")), found, AuditOutput.table(report));
        Finding esc13 = report.of(EscClass.ESC13).get(0);
        assertTrue(esc13.values().values().stream().anyMatch(v -> v.contains("CONTOSO\\Lab Policy Holders")), esc13.values().toString());
        Finding esc14 = report.of(EscClass.ESC14).get(0);
        assertEquals(List.of("CONTOSO\\mallory"), esc14.accounts());
        Finding esc1 = report.of(EscClass.ESC1).get(0);
        assertTrue(esc1.accounts().containsAll(List.of("CONTOSO\\alice", "CONTOSO\\mallory")), esc1.accounts().toString());
    }

    private static Cli.Result pkilab(List<String> args) {
        return Cli.pkilab(args.toArray(new String[0]));
    }

    private static Cli.Result audit(String format) {
        return pkilab(List.of("audit", "--format", format, "--ldap", lab.dc().ldapUrl(), "--user", "Administrator", "--password",
                lab.password(), "--control", control.url(), "--token", control.token()));
    }

    private static List<String> texts(JsonNode array, String field) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(field == null ? n.asText() : n.path(field).asText()));
        return out;
    }

    @Test
    @Order(2)
    void pkilabAuditJsonListsExactlyEveryClassTheLabShowsAndEachFixCommandClearsIt() throws Exception {
        String caName = lab.ca().name();
        String dc = lab.dc().fqdn();
        String enrollmentService = DomainNames.child(lab.ca().config().caName(), lab.dc().names().enrollmentServices());
        Cli.Result json = audit("json");
        assertEquals(1, json.exit(), json.toString());
        JsonNode report = JSON.readTree(json.out());
        Set<String> found = new TreeSet<>();
        report.path("findings").forEach(f -> found.add(f.path("class").asText() + " " + f.path("object").asText()));
        assertEquals(new TreeSet<>(List.of("ESC1 LabESC1", "ESC2 LabESC2", "ESC3 LabAgent", "ESC4 LabWritable", "ESC5 " + enrollmentService,
                "ESC6 " + caName, "ESC7 " + caName, "ESC9 LabESC9", "ESC10 " + dc, "ESC11 " + caName, "ESC13 LabESC13", "ESC14 alice",
                "ESC15 WebServer", "ESC16 " + caName)), found, json.out());
        assertTrue(report.path("notFound").path("ESC8").asText().contains("NTLM"), report.path("notFound").toString());
        assertTrue(report.path("notFound").path("ESC12").asText().contains("YubiHSM2"), report.path("notFound").toString());
        List<String> assumptions = texts(report.path("assumptions"), null);
        assertTrue(assumptions.stream().noneMatch(a -> a.contains("registry settings of") || a.contains("certificate-mapping")),
                "the CA's and the DC's registries are read, not assumed: " + assumptions);

        Cli.Result sarif = audit("sarif");
        assertEquals(1, sarif.exit(), sarif.toString());
        List<String> ruleIds = texts(JSON.readTree(sarif.out()).path("runs").get(0).path("results"), "ruleId");
        List<String> classes = texts(report.path("findings"), "class");
        assertEquals(classes.stream().sorted().toList(), ruleIds.stream().sorted().toList(), sarif.out());

        // each finding's command, run as printed (with the connection options), fixes it
        List<String> unfixable = new ArrayList<>();
        for (JsonNode f : report.path("findings")) {
            String command = f.path("command").asText();
            if (command.isEmpty()) {
                unfixable.add(f.path("class").asText() + " " + f.path("object").asText());
                continue;
            }
            for (String one : command.split(" && ")) {
                List<String> args = new ArrayList<>(words(one));
                assertEquals("pkilab", args.remove(0), one);
                args.addAll(args.get(0).equals("dc") ? List.of("--control", control.url(), "--token", control.token())
                        : List.of("--ldap", lab.dc().ldapUrl(), "--user", "Administrator", "--password", lab.password()));
                Cli.Result fix = pkilab(args);
                assertEquals(0, fix.exit(), f.path("class").asText() + " fix '" + one + "': " + fix);
            }
        }
        Cli.Result after = audit("json");
        Set<String> left = new TreeSet<>();
        JSON.readTree(after.out()).path("findings").forEach(f -> left.add(f.path("class").asText() + " " + f.path("object").asText()));
        assertEquals(new TreeSet<>(unfixable), left, "only the findings without a command are left: " + after.out());
    }

    /** A command line split as a POSIX shell splits it: words, and double-quoted words with \\" inside. */
    private static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean quoted = false;
        boolean any = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted && c == '\\' && i + 1 < line.length() && "\"\\$`".indexOf(line.charAt(i + 1)) >= 0) {
                word.append(line.charAt(++i));
            } else if (c == '"') {
                quoted = !quoted;
                any = true;
            } else if (c == ' ' && !quoted) {
                if (any || word.length() > 0) {
                    words.add(word.toString());
                }
                word.setLength(0);
                any = false;
            } else {
                word.append(c);
            }
        }
        if (any || word.length() > 0) {
            words.add(word.toString());
        }
        return words;
    }
}
