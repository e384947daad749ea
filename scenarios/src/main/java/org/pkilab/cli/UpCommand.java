package org.pkilab.cli;

import org.pkilab.directory.DomainController;
import org.pkilab.directory.DomainControllerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code pkilab up}: starts a lasting lab on a data folder, prints its endpoints and the
 * Administrator's credentials, and runs until Ctrl-C or SIGTERM. Started again on the same folder it
 * comes back with everything it had.
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Start a lasting lab (so far: the domain controller) and print its endpoints. Stops on Ctrl-C.")
final class UpCommand implements Callable<Integer> {

    @Option(names = "--data", paramLabel = "DIR", description = "Data folder, kept across restarts (default: a temporary folder deleted on exit).")
    Path data;

    @Option(names = "--domain", paramLabel = "NAME", defaultValue = "contoso.com", description = "Domain DNS name (default: ${DEFAULT-VALUE}).")
    String domain;

    @Option(names = "--ldap-port", paramLabel = "N", defaultValue = "0", description = "LDAP port on 127.0.0.1 (default: any free port).")
    int ldapPort;

    @Option(names = "--ldaps-port", paramLabel = "N", defaultValue = "0", description = "LDAPS port on 127.0.0.1 (default: any free port).")
    int ldapsPort;

    @Option(names = "--admin-password", paramLabel = "PW", description = "Administrator password for a new forest (default: generated and printed).")
    String adminPassword;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        DomainControllerConfig config;
        try {
            config = DomainControllerConfig.builder().domainName(domain).dataDirectory(data).ldapPort(ldapPort)
                    .ldapsPort(ldapsPort).administratorPassword(adminPassword).build();
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        out.println("Starting domain controller " + config.hostName() + "." + config.domainName()
                + (data == null ? " (temporary lab)" : " on " + data.toAbsolutePath()) + " ...");
        out.flush();
        DomainController dc = DomainController.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dc.close();
            stopped.countDown();
        }, "pkilab-shutdown"));
        out.println();
        out.println("Domain        " + dc.domainName() + " (" + dc.names().domain() + ", NetBIOS " + config.netbiosName() + ")");
        out.println("Domain SID    " + dc.domainSid());
        out.println("LDAP          " + dc.ldapUrl());
        out.println("LDAPS         " + dc.ldapsUrl() + "  (StartTLS on the LDAP port too; certificate CN=" + dc.fqdn() + ")");
        out.println("Administrator " + dc.administratorDn());
        out.println("Password      " + dc.administratorPassword());
        out.println("Data          " + dc.dataDirectory());
        out.println();
        out.println("Try:  ldapsearch -x -H " + dc.ldapUrl() + " -D '" + dc.administratorDn() + "' -w '"
                + dc.administratorPassword() + "' -b '" + dc.names().certificateTemplates()
                + "' '(objectClass=pKICertificateTemplate)' cn displayName msPKI-Certificate-Name-Flag");
        out.println();
        out.println("Started in " + dc.startupTimings().totalMillis() + " ms. Press Ctrl-C to stop.");
        out.flush();
        stopped.await();
        return 0;
    }
}
