package org.pkilab.directory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.DirectoryAdmin.TemplateCompatibility;
import org.pkilab.directory.model.AccessRight;
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
            admin.createGroup("ConfigMgr IIS Servers");
            admin.duplicateTemplate("Web Server", "ConfigMgr Web Server Certificate", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
            admin.allow("ConfigMgr Web Server Certificate", "ConfigMgr IIS Servers", AccessRight.ENROLL);
            entries = dc.snapshot().size();
        }
        try (DomainController dc = DomainController.start(config);
             DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), password)) {
            assertEquals(domainSid, dc.domainSid(), "a restart must not create a new forest");
            assertEquals(password, dc.administratorPassword(), "the generated Administrator password is kept");
            assertEquals(entries, dc.snapshot().size());
            assertTrue(admin.template("ConfigMgr Web Server Certificate").securityDescriptor()
                    .rightsOf(admin.sidOf("ConfigMgr IIS Servers"), true).contains(AccessRight.ENROLL));
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
            before = admin.sidOf(admin.createGroup("Lab Before Restart"));
        }
        try (DomainController dc = DomainController.start(config);
             DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), password)) {
            SecurityIdentifier after = admin.sidOf(admin.createGroup("Lab After Restart"));
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
