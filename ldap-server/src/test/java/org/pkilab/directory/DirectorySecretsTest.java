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
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.DirectoryAdmin.TemplateCompatibility;
import org.pkilab.directory.model.AccessRight;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        admin.createComputer("IIS01", "iis01.contoso.com", PASSWORD);
        admin.duplicateTemplate("Web Server", WEB_TEMPLATE, TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        admin.allow(WEB_TEMPLATE, "IIS01$", AccessRight.WRITE);
        String template = dc.names().template(admin.template(WEB_TEMPLATE).name());
        String before = admin.security(WEB_TEMPLATE).toString();
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
        assertEquals(before, admin.security(WEB_TEMPLATE).toString(), "the security of " + WEB_TEMPLATE + " changed");
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
        admin.createUser("alice", PASSWORD);
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
                int found;
                try {
                    found = alice.search(dc.names().domain(), SearchScope.SUB, filter).getEntryCount();
                } catch (LDAPException e) {
                    found = e.getResultCode() == ResultCode.SUCCESS ? 1 : 0;
                }
                if (found != 0) {
                    answered.add(filter);
                }
            }
            assertEquals(List.of(), answered, "alice learned something about Administrator's password from these filters");
            assertEquals(1, alice.search(dc.names().domain(), SearchScope.SUB, "(|(cn=Administrator)(userPassword=*))").getEntryCount(),
                    "an OR still matches Administrator by its cn, and nobody by a password");
            assertEquals(1, alice.search(administrator, SearchScope.BASE, "(cn=Administrator)").getEntryCount(),
                    "alice still reads Administrator");
        }
    }
}
