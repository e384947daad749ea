package org.pkilab.ca;

import org.pkilab.directory.DomainController;
import org.pkilab.directory.DomainControllerConfig;
import org.pkilab.directory.client.DirectoryAdmin;

import java.time.Clock;

/**
 * A domain controller and an enterprise CA on loopback ports, as the CA's tests start them: the forest contoso.com,
 * whose Administrator's password is {@value #PASSWORD} (every account a test makes takes it too), and the CA reading
 * the directory as the Administrator.
 *
 * <pre>{@code
 * forest = TestForest.start();
 * try (DirectoryAdmin admin = forest.admin()) {
 *     admin.usersAndComputers().createComputer("IIS01", "iis01.contoso.com", TestForest.PASSWORD);
 * }
 * forest.ca().issueTemplate("WebServer");
 * forest.close();   // @AfterAll
 * }</pre>
 */
record TestForest(DomainController dc, CertificationAuthority ca) implements AutoCloseable {

    static final String PASSWORD = "Lab-Passw0rd!";

    static TestForest start() {
        return start(null);
    }

    /** With {@code clock} (null: the system's) for both, as a test that moves time needs. */
    static TestForest start(Clock clock) {
        DomainControllerConfig.Builder dcConfig = DomainControllerConfig.builder().administratorPassword(PASSWORD);
        DomainController dc = DomainController.start(clock == null ? dcConfig.build() : dcConfig.clock(clock).build());
        CertificationAuthorityConfig.Builder caConfig = CertificationAuthorityConfig.builder(dc.names())
                .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), PASSWORD);
        try {
            return new TestForest(dc, CertificationAuthority.start(clock == null ? caConfig.build() : caConfig.clock(clock).build()));
        } catch (RuntimeException e) {
            dc.close();
            throw e;
        }
    }

    /** The directory as the Administrator, for a test's own setup; the caller closes it. */
    DirectoryAdmin admin() {
        return DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD);
    }

    @Override
    public void close() {
        ca.close();
        dc.close();
    }
}
