package org.pkilab.cli;

import org.pkilab.ca.CertificationAuthority;
import org.pkilab.ca.CertificationAuthorityConfig;
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
        description = "Start a lasting lab (domain controller, enterprise CA with EST, CRL/AIA web server) and print "
                + "its endpoints. Stops on Ctrl-C or SIGTERM.")
final class UpCommand implements Callable<Integer> {

    @Option(names = "--data", paramLabel = "DIR", description = "Data folder, kept across restarts (default: a temporary folder deleted on exit).")
    Path data;

    @Option(names = "--domain", paramLabel = "NAME", defaultValue = "contoso.com", description = "Domain DNS name (default: ${DEFAULT-VALUE}).")
    String domain;

    @Option(names = "--ldap-port", paramLabel = "N", defaultValue = "0", description = "LDAP port on 127.0.0.1 (default: any free port).")
    int ldapPort;

    @Option(names = "--ldaps-port", paramLabel = "N", defaultValue = "0", description = "LDAPS port on 127.0.0.1 (default: any free port).")
    int ldapsPort;

    @Option(names = "--https-port", paramLabel = "N", defaultValue = "0", description = "EST (HTTPS) port of the CA (default: any free port).")
    int httpsPort;

    @Option(names = "--http-port", paramLabel = "N", defaultValue = "0", description = "CRL/AIA (HTTP) port of the CA (default: any free port).")
    int httpPort;

    @Option(names = "--admin-password", paramLabel = "PW", description = "Administrator password for a new forest (default: generated and printed).")
    String adminPassword;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        DomainControllerConfig config;
        try {
            config = DomainControllerConfig.builder().domainName(domain).dataDirectory(data == null ? null : data.resolve("dc"))
                    .ldapPort(ldapPort).ldapsPort(ldapsPort).administratorPassword(adminPassword).build();
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        out.println("Starting domain controller " + config.hostName() + "." + config.domainName()
                + (data == null ? " (temporary lab)" : " on " + data.toAbsolutePath()) + " ...");
        out.flush();
        DomainController dc = DomainController.start(config);
        CertificationAuthority ca;
        try {
            out.println("Starting enterprise CA ...");
            out.flush();
            ca = CertificationAuthority.start(CertificationAuthorityConfig.builder(dc.names())
                    .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), dc.administratorPassword())
                    .dataDirectory(data == null ? null : data.resolve("ca")).httpsPort(httpsPort).httpPort(httpPort).build());
        } catch (RuntimeException e) {
            dc.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            ca.close();
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
        out.println("CA            " + ca.name() + " on " + ca.config().fqdn() + " (issues " + String.join(", ", ca.templatesToIssue()) + ")");
        out.println("EST           " + ca.estBaseUrl() + "/<template>/simpleenroll");
        out.println("CRL (CDP)     " + ca.crlUrl() + "   delta " + ca.deltaCrlUrl());
        out.println("CA cert (AIA) " + ca.caIssuersUrl());
        out.println("Names         " + ca.config().fqdn() + " and " + dc.fqdn() + " are lab names for 127.0.0.1: "
                + "curl --resolve " + ca.config().fqdn() + ":" + ca.httpsPort() + ":127.0.0.1 ...");
        out.println("Data          " + (data == null ? dc.dataDirectory() + " and " + ca.dataDirectory() + " (temporary)" : data.toAbsolutePath()));
        out.println();
        out.println("Try:  ldapsearch -x -H " + dc.ldapUrl() + " -D '" + dc.administratorDn() + "' -w '"
                + dc.administratorPassword() + "' -b '" + dc.names().certificateTemplates()
                + "' '(objectClass=pKICertificateTemplate)' cn displayName msPKI-Certificate-Name-Flag");
        out.println();
        out.println("Press Ctrl-C to stop.");
        out.flush();
        stopped.await();
        return 0;
    }
}
