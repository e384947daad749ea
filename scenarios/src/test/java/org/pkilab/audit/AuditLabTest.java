package org.pkilab.audit;

import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.AccessControlEntry;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.DomainNames;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.directory.model.TemplateFlags;
import org.pkilab.lab.Lab;
import org.pkilab.lab.LabSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The audit of a running lab in which an administrator made, by mistake, every misconfiguration the directory alone
 * holds (ESC1, 2, 3, 4, 5, 13, 14, 15): the loader reads them over LDAP and the audit lists exactly those findings.
 * The classes whose settings live in the CA's or the DC's registry (ESC6, 7, 9, 10, 11, 16) need those read through
 * the CA's and the lab's administration interfaces, and are covered by {@link AuditConditionsTest} until then.
 */
class AuditLabTest {

    private static final String POLICY_OID = "1.3.6.1.4.1.311.21.8.7.7.7.401";
    private static Lab lab;

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
        String group = admin.usersAndComputers().createGroup("Lab Policy Holders");
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
            SecurityDescriptor after = new SecurityDescriptor(before.owner(), before.group(), "", entries);
            ldap.modify(alice, new Modification(ModificationType.REPLACE, "nTSecurityDescriptor", after.toBinary()));
        }

        // ESC15: the built-in Web Server (schema 1, "Supply in the request") opened to Domain Users
        admin.security().allow("WebServer", "Domain Users", AccessRight.ENROLL);
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
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void everyDirectoryMisconfigurationIsFoundAndNothingElse() {
        AuditReport report = Audit.run(DirectoryAuditLoader.load(lab));
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
}
