package org.pkilab.testing;

import org.pkilab.ca.CertificationAuthority;
import org.pkilab.ca.CertificationAuthorityConfig;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.DomainControllerConfig;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.pki.LabClock;

/**
 * A temporary lab for tests: a domain controller and an enterprise CA on one {@link LabClock}, and an
 * Administrator connection. Closing it stops everything in reverse order.
 */
public final class TestLab implements AutoCloseable {

    public static final String PASSWORD = "Lab-Passw0rd!";

    private final LabClock clock = new LabClock();
    private final DomainController dc;
    private final CertificationAuthority ca;
    private final DirectoryAdmin admin;

    private TestLab() {
        dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).clock(clock).build());
        try {
            ca = CertificationAuthority.start(CertificationAuthorityConfig.builder(dc.names())
                    .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD).clock(clock).build());
        } catch (RuntimeException e) {
            dc.close();
            throw e;
        }
        admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD);
    }

    public static TestLab start() {
        return new TestLab();
    }

    public LabClock clock() {
        return clock;
    }

    public DomainController dc() {
        return dc;
    }

    public CertificationAuthority ca() {
        return ca;
    }

    public DirectoryAdmin admin() {
        return admin;
    }

    @Override
    public void close() {
        admin.close();
        ca.close();
        dc.close();
    }
}
