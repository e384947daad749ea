package org.pkilab.directory;

import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchResultEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.SecurityIdentifier;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every object in AD has a security descriptor. The lab's forest stores one only where it differs from the domain
 * default, so an object without its own reads as holding that default, which is what its access checks use, and the
 * Security tab's delete-old/add-new edit of it works, as on AD; it still needs Write DAC.
 */
class DefaultSecurityDescriptorTest {

    private static final String PASSWORD = "Lab-Passw0rd!";
    private static DomainController dc;
    private static DirectoryAdmin admin;

    @BeforeAll
    static void start() {
        dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
        admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD);
        admin.usersAndComputers().createUser("mallory", PASSWORD);
        admin.usersAndComputers().createGroup("Tier0 Operators");
    }

    @AfterAll
    static void stop() {
        if (admin != null) {
            admin.close();
        }
        if (dc != null) {
            dc.close();
        }
    }

    @Test
    void anObjectWithoutItsOwnDescriptorReadsAsTheDefaultThatGovernsIt() throws Exception {
        String domainAdmins = admin.usersAndComputers().dnOf("Domain Admins");
        try (LDAPConnection ldap = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            SearchResultEntry entry = ldap.getEntry(domainAdmins, "nTSecurityDescriptor");
            byte[] value = entry.getAttributeValueBytes("nTSecurityDescriptor");
            assertNotNull(value, "Domain Admins shows a descriptor when asked for it");
            SecurityDescriptor sd = SecurityDescriptor.fromBinary(value);
            SecurityIdentifier authenticatedUsers = SecurityIdentifier.parse("S-1-5-11");
            assertEquals(Set.of(AccessRight.READ), sd.rightsOf(authenticatedUsers, true), "Authenticated Users read: " + sd);
            assertTrue(sd.rightsOf(admin.domainSid().withRid(512), true).contains(AccessRight.FULL_CONTROL), sd.toString());
            SearchResultEntry plain = ldap.getEntry(domainAdmins, "cn");
            assertEquals(null, plain.getAttribute("nTSecurityDescriptor"), "returned only when asked for, as AD does");
        }
    }

    @Test
    void theSecurityTabEditsTheDefaultAndTheDcEnforcesTheNewEntry() throws Exception {
        String domainAdmins = admin.usersAndComputers().dnOf("Domain Admins");
        String mallory = admin.usersAndComputers().dnOf("mallory");
        try (LDAPConnection asMallory = new LDAPConnection("127.0.0.1", dc.ldapPort(), mallory, PASSWORD)) {
            LDAPException refused = assertThrows(LDAPException.class, () -> asMallory.modify(domainAdmins,
                    new Modification(ModificationType.ADD, "member", mallory)));
            assertEquals(ResultCode.INSUFFICIENT_ACCESS_RIGHTS, refused.getResultCode());
            byte[] shown = asMallory.getEntry(domainAdmins, "nTSecurityDescriptor").getAttributeValueBytes("nTSecurityDescriptor");
            byte[] forged = SecurityDescriptor.fromBinary(shown)
                    .allow(admin.usersAndComputers().sidOf("mallory"), AccessRight.FULL_CONTROL).toBinary();
            LDAPException noWriteDac = assertThrows(LDAPException.class, () -> asMallory.modify(domainAdmins,
                    new Modification(ModificationType.DELETE, "nTSecurityDescriptor", shown),
                    new Modification(ModificationType.ADD, "nTSecurityDescriptor", forged)));
            assertEquals(ResultCode.INSUFFICIENT_ACCESS_RIGHTS, noWriteDac.getResultCode(),
                    "deleting the default shown does not let a user without Write DAC write a descriptor: " + noWriteDac.getMessage());

            admin.security().allow(domainAdmins, "mallory", AccessRight.WRITE);
            asMallory.modify(domainAdmins, new Modification(ModificationType.ADD, "member", mallory));
            assertTrue(admin.usersAndComputers().members("Domain Admins").contains(mallory));
            admin.usersAndComputers().removeMember("Domain Admins", "mallory");
        }
    }
}
