package org.pkilab.directory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.DirectoryAdmin.TemplateCompatibility;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.SecurityIdentifier;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nested group membership resolves by identity, whatever the names: every RFC 4514 special character in the
 * name of the member, of the group it is in, of the group that group is in, and of the Allow and Deny
 * principals. A name that lost its parent groups would lose a Deny (a bypass) and an Allow (a refusal).
 */
class NestedMembershipNamesTest {

    private static final String PASSWORD = "Lab-Passw0rd!";
    private static DomainController dc;
    private static DirectorySnapshot fresh;
    private DirectoryAdmin admin;

    @BeforeAll
    static void start() {
        dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
        fresh = dc.snapshot();
    }

    @AfterAll
    static void stop() {
        dc.close();
    }

    @BeforeEach
    void connect() {
        admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD);
    }

    @AfterEach
    void reset() {
        admin.close();
        dc.restore(fresh);
    }

    @ParameterizedTest(name = "[{index}] ''{0}''")
    @ValueSource(strings = {"Kiosks \\ Annex", "Web, Servers", "a+b", "\"Quoted\"", "<Lab>", "x;y", "k=v", "#Hash",
            " Leading", "Trailing ", "Kiosk\\", "Café Straße", "日本 キオスク", "\\#\\,", "a\\2cb"})
    void aDenyAndAnAllowReachMembersOfNestedGroupsWhateverTheirNames(String name) {
        admin.createGroup("Parent " + name);
        admin.createGroup("Kiosks " + name);
        String member = admin.createUser("Kiosk " + name, PASSWORD);
        admin.addMember("Kiosks " + name, member);
        admin.addMember("Parent " + name, admin.dnOf("Kiosks " + name));

        CertificateTemplate denied = admin.duplicateTemplate("User", "Denied Template", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        admin.allow(denied.name(), "Domain Users", AccessRight.READ, AccessRight.ENROLL, AccessRight.AUTOENROLL);
        admin.deny(denied.name(), admin.dnOf("Parent " + name), AccessRight.ENROLL, AccessRight.AUTOENROLL);
        CertificateTemplate allowed = admin.duplicateTemplate("User", "Allowed Template", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        admin.allow(allowed.name(), admin.dnOf("Parent " + name), AccessRight.READ, AccessRight.ENROLL);

        LogonToken token = DomainLogon.logon("127.0.0.1", dc.ldapPort(), member, PASSWORD).token();
        Set<SecurityIdentifier> sids = token.sids();
        SecurityIdentifier inner = admin.sidOf(admin.dnOf("Kiosks " + name));
        SecurityIdentifier parent = admin.sidOf(admin.dnOf("Parent " + name));
        assertTrue(sids.contains(inner), "direct group missing from " + token.groupNames());
        assertTrue(sids.contains(parent), "nested parent group missing from " + token.groupNames());

        SecurityDescriptor.AccessCheck enroll = admin.security(denied.name()).check(sids, AccessRight.ENROLL);
        assertFalse(enroll.granted(), "Deny Enroll on 'Parent " + name + "' was bypassed");
        assertEquals(parent, enroll.decidedBy());
        assertFalse(admin.security(denied.name()).check(sids, AccessRight.AUTOENROLL).granted(), "Deny Autoenroll bypassed");
        assertTrue(admin.security(allowed.name()).check(sids, AccessRight.ENROLL).granted(),
                "Allow Enroll through 'Parent " + name + "' was lost");
    }
}
