package org.pkilab.directory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.TemplateCompatibility;
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
        // the name as it is for the parent, first for the group in it and last for the member: a leading space or '#' and a
        // trailing space each stand where RFC 4514 treats them specially in at least two roles
        String parentName = name;
        String innerName = name + " Kiosks";
        String parentDn = admin.usersAndComputers().createGroup(parentName);
        String innerDn = admin.usersAndComputers().createGroup(innerName);
        String member = admin.usersAndComputers().createUser("Kiosk " + name, PASSWORD);
        admin.usersAndComputers().addMember(innerDn, member);
        admin.usersAndComputers().addMember(parentDn, innerDn);

        CertificateTemplate denied = admin.templates().duplicate("User", "Denied Template", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        admin.security().allow(denied.name(), "Domain Users", AccessRight.READ, AccessRight.ENROLL, AccessRight.AUTOENROLL);
        admin.security().deny(denied.name(), parentDn, AccessRight.ENROLL, AccessRight.AUTOENROLL);
        CertificateTemplate allowed = admin.templates().duplicate("User", "Allowed Template", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
        admin.security().allow(allowed.name(), parentDn, AccessRight.READ, AccessRight.ENROLL);

        LogonToken token = DomainLogon.logon("127.0.0.1", dc.ldapPort(), member, PASSWORD).token();
        Set<SecurityIdentifier> sids = token.sids();
        SecurityIdentifier inner = admin.usersAndComputers().sidOf(innerDn);
        SecurityIdentifier parent = admin.usersAndComputers().sidOf(parentDn);
        assertTrue(sids.contains(inner), "direct group missing from " + token.groupNames());
        assertTrue(sids.contains(parent), "nested parent group missing from " + token.groupNames());

        SecurityDescriptor.AccessCheck enroll = admin.security().descriptor(denied.name()).check(sids, AccessRight.ENROLL);
        assertFalse(enroll.granted(), "Deny Enroll on '" + parentName + "' was bypassed");
        assertEquals(parent, enroll.decidedBy());
        assertFalse(admin.security().descriptor(denied.name()).check(sids, AccessRight.AUTOENROLL).granted(), "Deny Autoenroll bypassed");
        assertTrue(admin.security().descriptor(allowed.name()).check(sids, AccessRight.ENROLL).granted(),
                "Allow Enroll through '" + parentName + "' was lost");
    }
}
