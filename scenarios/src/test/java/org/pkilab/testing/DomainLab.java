package org.pkilab.testing;

import org.pkilab.ca.CertificationAuthority;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.host.DomainComputerConfig;
import org.pkilab.host.LabNetwork;
import org.pkilab.pki.LabClock;

/**
 * A {@link TestLab} with the network its computers share: the DC's and the CA's names resolve on it, as
 * they do for every host of a real lab, and {@link #computer} configures a computer of the domain.
 */
public final class DomainLab implements AutoCloseable {

    private final TestLab lab;
    private final LabNetwork network = new LabNetwork();

    private DomainLab(TestLab lab) {
        this.lab = lab;
        network.register(lab.ca().config().fqdn(), lab.dc().fqdn());
    }

    public static DomainLab start() {
        return new DomainLab(TestLab.start());
    }

    /** A computer of this domain on this lab's clock and network, with its machine password {@link TestLab#PASSWORD}. */
    public DomainComputerConfig computer(String name, String... extraDnsNames) {
        return DomainComputerConfig.builder(name).domain(dc().names(), "127.0.0.1", dc().ldapPort()).machinePassword(TestLab.PASSWORD)
                .dnsNames(extraDnsNames).clock(clock()).network(network).build();
    }

    public LabNetwork network() {
        return network;
    }

    public LabClock clock() {
        return lab.clock();
    }

    public DomainController dc() {
        return lab.dc();
    }

    public CertificationAuthority ca() {
        return lab.ca();
    }

    public DirectoryAdmin admin() {
        return lab.admin();
    }

    @Override
    public void close() {
        lab.close();
    }
}
