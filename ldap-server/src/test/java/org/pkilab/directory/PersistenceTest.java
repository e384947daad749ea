package org.pkilab.directory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.CertificateMappingSettings;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.RelativeIds;
import org.pkilab.directory.model.SecurityIdentifier;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PersistenceTest {

    @Test
    void everyEntryIsStillThereAfterRestartOnTheSameDataFolder(@TempDir Path data) {
        DomainControllerConfig config = DomainControllerConfig.builder().dataDirectory(data).build();
        SecurityIdentifier domainSid;
        String password;
        int entries;
        try (DomainController dc = DomainController.start(config);
             DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(),
                     dc.administratorPassword())) {
            domainSid = dc.domainSid();
            password = dc.administratorPassword();
            admin.usersAndComputers().createGroup("ConfigMgr IIS Servers");
            admin.templates().duplicate("Web Server", "ConfigMgr Web Server Certificate", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
            admin.security().allow("ConfigMgr Web Server Certificate", "ConfigMgr IIS Servers", AccessRight.ENROLL);
            entries = dc.snapshot().size();
        }
        try (DomainController dc = DomainController.start(config);
             DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), password)) {
            assertEquals(domainSid, dc.domainSid(), "a restart must not create a new forest");
            assertEquals(password, dc.administratorPassword(), "the generated Administrator password is kept");
            assertEquals(entries, dc.snapshot().size());
            assertTrue(admin.templates().get("ConfigMgr Web Server Certificate").securityDescriptor()
                    .rightsOf(admin.usersAndComputers().sidOf("ConfigMgr IIS Servers"), true).contains(AccessRight.ENROLL));
        }
    }

    @Test
    void aForestMadeBeforeKerberosAuthenticationHasTheTemplateAfterRestart(@TempDir Path data) throws Exception {
        DomainControllerConfig config = DomainControllerConfig.builder().dataDirectory(data).build();
        String password;
        try (DomainController dc = DomainController.start(config)) {
            password = dc.administratorPassword();
            // what a forest made by a lab from before the template was a default looks like
            dc.systemSession().delete(new org.apache.directory.api.ldap.model.name.Dn(dc.names().template("KerberosAuthentication")));
        }
        try (DomainController dc = DomainController.start(config);
             DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), password)) {
            CertificateTemplate kerberos = admin.templates().get("Kerberos Authentication");
            assertEquals(0x08400000, kerberos.certificateNameFlags(), "DNS name and domain DNS name in the SAN");
            assertTrue(kerberos.securityDescriptor().rightsOf(dc.domainSid().withRid(RelativeIds.DOMAIN_CONTROLLERS), true)
                    .containsAll(java.util.List.of(AccessRight.ENROLL, AccessRight.AUTOENROLL)), "Domain Controllers autoenroll");
        }
    }

    @Test
    void restartedOnTheSameDataFolderTheDomainControllerListensOnTheSamePorts(@TempDir Path data) throws Exception {
        DomainControllerConfig config = DomainControllerConfig.builder().dataDirectory(data).build();
        int ldap;
        int ldaps;
        try (DomainController dc = DomainController.start(config)) {
            ldap = dc.ldapPort();
            ldaps = dc.ldapsPort();
        }
        try (DomainController dc = DomainController.start(config)) {
            assertEquals(ldap, dc.ldapPort(), "the LDAP URL printed before the restart still works");
            assertEquals(ldaps, dc.ldapsPort(), "and the LDAPS one");
        }
        try (java.net.ServerSocket taken = new java.net.ServerSocket(ldap, 1, java.net.InetAddress.getLoopbackAddress())) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> DomainController.start(config).close());
            assertTrue(e.getMessage().contains("LDAP port " + ldap) && e.getMessage().contains("ports.properties"), e.getMessage());
        }
    }

    @Test
    void certificateMappingSetAtRunTimeIsKeptAcrossARestart(@TempDir Path data) throws Exception {
        DomainControllerConfig config = DomainControllerConfig.builder().dataDirectory(data).build();
        try (DomainController dc = DomainController.start(config)) {
            assertEquals(CertificateMappingSettings.WINDOWS_DEFAULT, dc.certificateMapping(), "a new lab's DC01");
            dc.certificateMapping(new CertificateMappingSettings(1, 0x1C));
        }
        try (DomainController dc = DomainController.start(config)) {
            assertEquals(new CertificateMappingSettings(1, 0x1C), dc.certificateMapping(), "DC01 after a restart keeps what was set");
        }
        Files.writeString(data.resolve("dc").resolve(CertificateMappingFile.FILE), "StrongCertificateBindingEnforcement=3\n");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> DomainController.start(config).close());
        assertTrue(e.getMessage().contains(CertificateMappingFile.FILE) && e.getMessage().contains("not 3"), e.getMessage());
    }

    @Test
    void aForestWhoseFirstStartWasCutShortIsMadeAgain(@TempDir Path data) throws Exception {
        DomainControllerConfig config = DomainControllerConfig.builder().dataDirectory(data).build();
        SecurityIdentifier cutShort;
        int entries;
        try (DomainController dc = DomainController.start(config)) {
            cutShort = dc.domainSid();
            entries = dc.snapshot().size();
        }
        // what a kill (or Ctrl-C) after the forest's entries and before its password was kept leaves behind
        Files.delete(data.resolve("dc").resolve("lab.properties"));
        try (DomainController dc = DomainController.start(config);
             DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(),
                     dc.administratorPassword())) {
            assertFalse(cutShort.equals(dc.domainSid()), "a new forest, not the one nobody knows the password of");
            assertEquals(entries, dc.snapshot().size(), "the new forest is whole");
            assertEquals("Web Server", admin.templates().get("WebServer").displayName());
        }
        try (DomainController dc = DomainController.start(config)) {
            assertTrue(Files.exists(data.resolve("dc").resolve("lab.properties")), "the new forest's password is kept");
        }
    }

    @Test
    void accountsMadeAfterARestartGetTheNextRidsNotOnesAlreadyGiven(@TempDir Path data) {
        DomainControllerConfig config = DomainControllerConfig.builder().dataDirectory(data).build();
        SecurityIdentifier before;
        String password;
        try (DomainController dc = DomainController.start(config);
             DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(),
                     dc.administratorPassword())) {
            password = dc.administratorPassword();
            before = admin.usersAndComputers().sidOf(admin.usersAndComputers().createGroup("Lab Before Restart"));
        }
        try (DomainController dc = DomainController.start(config);
             DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), password)) {
            SecurityIdentifier after = admin.usersAndComputers().sidOf(admin.usersAndComputers().createGroup("Lab After Restart"));
            assertEquals(before.rid() + 1, after.rid(), "the DC gave back its RID pool's unused RIDs when it stopped");
        }
    }

    @Test
    void aTemporaryLabLeavesNothingBehind() {
        Path folder;
        try (DomainController dc = DomainController.start(DomainControllerConfig.builder().build())) {
            folder = dc.dataDirectory();
            assertTrue(Files.isDirectory(folder));
        }
        assertFalse(Files.exists(folder), folder + " still exists");
    }

    @Test
    void aDomainControllerCannotBeRestartedAfterClose() {
        DomainController dc = DomainController.start(DomainControllerConfig.builder().domainName("fabrikam.com").build());
        assertEquals("DC=fabrikam,DC=com", dc.names().domain());
        dc.close();
        dc.close();
        assertThrows(IllegalStateException.class, dc::start);
        assertThrows(IllegalStateException.class, dc::ldapPort);
    }

    @Test
    void badConfigurationIsRefusedBeforeAnythingStarts() {
        assertThrows(IllegalArgumentException.class, () -> DomainControllerConfig.builder().domainName("contoso").build());
        assertThrows(IllegalArgumentException.class, () -> DomainControllerConfig.builder().ldapPort(70000).build());
        assertThrows(IllegalArgumentException.class, () -> DomainControllerConfig.builder().administratorPassword("short").build());
        assertThrows(IllegalArgumentException.class, () -> DomainControllerConfig.builder().netbiosName("WAY-TOO-LONG-NETBIOS").build());
    }
}
