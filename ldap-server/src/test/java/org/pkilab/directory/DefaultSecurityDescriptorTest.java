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

    /** AD's SD flags control (1.2.840.113556.1.4.801) asking for the DACL alone, as impacket's dacledit sends it. */
    private static final com.unboundid.ldap.sdk.Control DACL_ONLY = new com.unboundid.ldap.sdk.Control("1.2.840.113556.1.4.801", true,
            new com.unboundid.asn1.ASN1OctetString(new byte[]{0x30, 0x03, 0x02, 0x01, 0x04}));

    @Test
    void daclEditOfTheDefaultWithTheSdFlagsControlWorks() throws Exception {
        String group = admin.usersAndComputers().dnOf("Domain Computers"); // provisioned without a descriptor of its own
        SecurityIdentifier mallory = admin.usersAndComputers().sidOf("mallory");
        try (LDAPConnection ldap = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            com.unboundid.ldap.sdk.SearchRequest read = new com.unboundid.ldap.sdk.SearchRequest(group,
                    com.unboundid.ldap.sdk.SearchScope.BASE, "(objectClass=*)", "nTSecurityDescriptor");
            read.addControl(DACL_ONLY);
            byte[] shown = ldap.searchForEntry(read).getAttributeValueBytes("nTSecurityDescriptor");
            byte[] edited = SecurityDescriptor.fromBinary(shown).allow(mallory, AccessRight.WRITE).toBinary();
            com.unboundid.ldap.sdk.ModifyRequest edit = new com.unboundid.ldap.sdk.ModifyRequest(group,
                    new Modification(ModificationType.DELETE, "nTSecurityDescriptor", shown),
                    new Modification(ModificationType.ADD, "nTSecurityDescriptor", edited));
            edit.addControl(DACL_ONLY);
            assertEquals(ResultCode.SUCCESS, ldap.modify(edit).getResultCode(), "dacledit's write of Domain Computers' default DACL");
        }
        String malloryDn = admin.usersAndComputers().dnOf("mallory");
        try (LDAPConnection asMallory = new LDAPConnection("127.0.0.1", dc.ldapPort(), malloryDn, PASSWORD)) {
            asMallory.modify(group, new Modification(ModificationType.REPLACE, "description", "written by mallory"));
        }
    }

    @Test
    void anAnonymousDeleteOfTheDefaultDoesNotTellWhetherTheObjectExists() throws Exception {
        String holder = admin.usersAndComputers().dnOf("Schema Admins"); // provisioned without a descriptor of its own
        byte[] shown;
        try (LDAPConnection ldap = new LDAPConnection("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD)) {
            shown = ldap.getEntry(holder, "nTSecurityDescriptor").getAttributeValueBytes("nTSecurityDescriptor");
        }
        try (LDAPConnection anonymous = new LDAPConnection("127.0.0.1", dc.ldapPort())) {
            ResultCode[] answers = new ResultCode[2];
            String[] dns = {holder, "CN=No Such Group," + dc.names().users()};
            for (int i = 0; i < dns.length; i++) {
                String dn = dns[i];
                answers[i] = assertThrows(LDAPException.class, () -> anonymous.modify(dn,
                        new Modification(ModificationType.DELETE, "nTSecurityDescriptor", shown)), "anonymous modify of " + dn)
                        .getResultCode();
            }
            assertEquals(ResultCode.OPERATIONS_ERROR, answers[0], "an anonymous modify is refused as AD refuses it (000004DC)");
            assertEquals(answers[0], answers[1], "an existing and a missing object answer an anonymous modify alike");
        }
    }

    @Test
    void theRootDseShowsNoDescriptor() throws Exception {
        try (LDAPConnection anonymous = new LDAPConnection("127.0.0.1", dc.ldapPort())) {
            SearchResultEntry root = anonymous.getEntry("", "nTSecurityDescriptor");
            assertNotNull(root, "the root DSE answers an anonymous read");
            assertEquals(null, root.getAttribute("nTSecurityDescriptor"), "AD's root DSE has no security descriptor");
        }
        try (LDAPConnection bound = new LDAPConnection("127.0.0.1", dc.ldapPort(), admin.usersAndComputers().dnOf("mallory"), PASSWORD)) {
            assertEquals(null, bound.getEntry("", "nTSecurityDescriptor").getAttribute("nTSecurityDescriptor"),
                    "AD's root DSE has no security descriptor, for a bound reader either");
        }
    }
}
