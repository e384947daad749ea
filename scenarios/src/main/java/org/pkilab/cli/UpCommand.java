package org.pkilab.cli;

import org.pkilab.ca.CertificationAuthority;
import org.pkilab.console.ClassroomConsole;
import org.pkilab.directory.DomainController;
import org.pkilab.host.DomainComputer;
import org.pkilab.host.UnjoinedComputer;
import org.pkilab.iis.IisServer;
import org.pkilab.lab.Lab;
import org.pkilab.lab.LabControl;
import org.pkilab.lab.LabSpec;
import org.pkilab.pki.Folders;
import org.pkilab.pki.KeyFiles;
import org.pkilab.scenario.Narration;
import org.pkilab.scenario.Scenario;
import org.pkilab.scenario.ScenarioRunner;
import org.pkilab.scenario.StepResult;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code pkilab up}: starts a lasting lab on a data folder (the domain controller, the enterprise CA with
 * its EST and CRL/AIA web servers, and with {@code --scenario} that scenario's computers, the scenario
 * applied once), prints every endpoint and the Administrator's credentials, and runs until Ctrl-C or
 * SIGTERM. Started again on the same folder it comes back with everything it had: the directory, the
 * CA's database, each computer's certificate stores and IIS bindings.
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Start a lasting lab (domain controller, enterprise CA with EST, CRL/AIA web server, and a scenario's "
                + "computers) and print its endpoints. Stops on Ctrl-C or SIGTERM.")
final class UpCommand implements Callable<Integer> {

    private static final String APPLIED = "scenario.applied";
    /** How far the scenario's first application got: a lab killed part-way goes on from there, not from the start. */
    private static final String PROGRESS = "scenario.progress";

    @Option(names = "--data", paramLabel = "DIR", description = "Data folder, kept across restarts (default: a temporary folder deleted on exit).")
    Path data;

    @Option(names = "--domain", paramLabel = "NAME", description = "Domain DNS name (default: the scenario's, else contoso.com).")
    String domain;

    @Option(names = "--scenario", paramLabel = "NAME|FILE", description = "Start this scenario's computers and apply its steps "
            + "(once: a lab started again on its data folder keeps what the scenario did).")
    String scenario;

    @Option(names = "--ldap-port", paramLabel = "N", defaultValue = "0", description = "LDAP port on 127.0.0.1 (default: any free port).")
    int ldapPort;

    @Option(names = "--ldaps-port", paramLabel = "N", defaultValue = "0", description = "LDAPS port on 127.0.0.1 (default: any free port).")
    int ldapsPort;

    @Option(names = "--https-port", paramLabel = "N", defaultValue = "0", description = "EST (HTTPS) port of the CA (default: any free port).")
    int httpsPort;

    @Option(names = "--http-port", paramLabel = "N", defaultValue = "0", description = "CRL/AIA (HTTP) port of the CA (default: any free port).")
    int httpPort;

    @Option(names = "--console-port", paramLabel = "N", defaultValue = "0", description = "Classroom console (HTTP on 127.0.0.1) port "
            + "(default: any free port).")
    int consolePort;

    @Option(names = "--admin-password", paramLabel = "PW", description = "Administrator password for a new forest (default: generated and printed).")
    String adminPassword;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Scenario parsed = null;
        if (scenario != null) {
            parsed = RunCommand.loadOrExplain(scenario, err);
            if (parsed == null) {
                return 2;
            }
            parsed.notes().forEach(note -> out.println("Note: " + note));
        }
        LabSpec declared = parsed == null ? LabSpec.builder().build() : parsed.lab();
        LabSpec labSpec = new LabSpec(domain == null ? declared.domain() : domain, adminPassword, declared.hosts(), declared.users());
        out.println("Starting the lab" + (data == null ? " (temporary)" : " on " + data.toAbsolutePath()) + ": domain controller, "
                + "enterprise CA" + (labSpec.hosts().isEmpty() ? "" : ", " + labSpec.hosts().size() + " computer(s)") + " ...");
        out.flush();
        boolean existed = data != null && Files.exists(data);
        DataFolderLock lock;
        try {
            lock = data == null ? null : DataFolderLock.take(data);
        } catch (LabControlClient.Failure e) {
            err.println("pkilab: " + e.getMessage());
            return 1;
        }
        // a folder this start makes is removed again if the lab does not come up: nothing half-made is left to start from.
        // Judged once the folder is ours, so no other 'pkilab up' can take it between the judgement and the removal
        boolean fresh = data == null || isNew(data);
        Lab lab;
        LabControl control;
        ClassroomConsole classroom;
        try {
            lab = Lab.start(labSpec, new Lab.Site(data, ldapPort, ldapsPort, httpsPort, httpPort));
            try {
                control = LabControl.start(lab, 0);
            } catch (RuntimeException e) {
                lab.close();
                throw e;
            }
            try {
                classroom = ClassroomConsole.start(lab, null, consolePort);
            } catch (RuntimeException e) {
                control.close();
                lab.close();
                throw e;
            }
        } catch (RuntimeException e) {
            if (data != null && fresh) {
                Folders.deleteTree(data);
                if (existed) {
                    Files.createDirectories(data);
                }
            }
            if (lock != null) {
                lock.close();
            }
            if (e instanceof IllegalArgumentException) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            String why = String.valueOf(e.getMessage());
            err.println("pkilab: the lab did not start: " + why + (why.contains("in use") ? " (pkilab up "
                    + "--ldap-port, --ldaps-port, --https-port, --http-port; 0: any free port)" : "")
                    + (data != null && fresh ? "; nothing was kept in " + data.toAbsolutePath() : ""));
            return 1;
        }
        Path controlFile = data == null ? null : data.resolve(LabControlClient.CONTROL_FILE);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            classroom.close();
            control.close();
            lab.close();
            if (lock != null) {
                lock.close();
            }
            if (controlFile != null) {
                try {
                    Files.deleteIfExists(controlFile);
                } catch (java.io.IOException e) {
                    // a stale console file names a port nobody answers on; 'pkilab host' says so
                }
            }
            stopped.countDown();
        }, "pkilab-shutdown"));
        if (controlFile != null) {
            Properties console = new Properties();
            console.setProperty("url", control.url());
            console.setProperty("token", control.token());
            KeyFiles.storeProperties(controlFile, console, "PKI Lab: the console of the running lab's computers, for 'pkilab host --data "
                    + data + "'");
        }
        try {
            if (parsed != null) {
                apply(parsed, lab, out);
            }
            for (String name : lab.computerNames()) {
                lab.computer(name);
            }
        } catch (RuntimeException e) {
            err.println("pkilab: " + e.getMessage());
            err.flush();
        }
        endpoints(lab, out);
        // the console answers only with its token: say where it is, or print it when there is no folder to keep it in
        out.println("Host console  pkilab host list|certificates|request|..., pkilab clock show|advance " + (data != null ? "--data " + data
                : "--control " + control.url() + " --token " + control.token()));
        out.println("              (" + control.url() + " answers requests that carry 'Authorization: Bearer <token>'"
                + (data != null ? ", the token in " + data.resolve(LabControlClient.CONTROL_FILE) : "") + ")");
        out.println("Classroom    " + classroom.url() + "  (sign in as " + lab.dc().names().defaultNetbiosName() + "\\Administrator, or once "
                + "without a password: " + classroom.oneTimeLink() + ")");
        out.println();
        out.println("Press Ctrl-C to stop.");
        out.flush();
        stopped.await();
        return 0;
    }

    /**
     * Runs the scenario's steps the first time the lab starts on its data folder; a later start finds their
     * result kept. A start after one that was cut off part-way (killed, or the machine stopped) goes on
     * after the last step it finished: the lab kept what those steps did, and doing them again would find
     * their groups and templates already there.
     */
    private void apply(Scenario parsed, Lab lab, PrintWriter out) throws Exception {
        Path marker = data == null ? null : data.resolve(APPLIED);
        if (marker != null && Files.exists(marker)) {
            out.println("Scenario " + parsed.name() + " was applied when this lab was made (" + Files.readString(marker).trim()
                    + "); its result is kept.");
            out.flush();
            return;
        }
        Path progress = data == null ? null : data.resolve(PROGRESS);
        int total = parsed.steps().size();
        int done = stepsDone(progress, parsed, out);
        if (done == 0) {
            out.println("Applying scenario " + parsed.name() + ": " + parsed.title());
        } else {
            out.println("Scenario " + parsed.name() + " was cut off after step " + done + " of " + total + " the last time this lab ran "
                    + "(it was not stopped with Ctrl-C): the lab kept what steps 1 to " + done + " did; going on from step " + (done + 1)
                    + ". If step " + (done + 1) + " finds what it makes already there, it had been partly done.");
        }
        out.flush();
        Path files = data == null ? Files.createTempDirectory("pkilab-up-") : Files.createDirectories(data.resolve("files"));
        int[] number = {done};
        List<StepResult> results = new ScenarioRunner(lab, files).run(parsed, done, r -> {
            number[0]++;
            // kept before the step is told: a step the user saw finish is never done again
            keepProgress(progress, parsed, number[0]);
            Narration.narrate(out, number[0], r);
        });
        if (data == null) {
            Folders.deleteTree(files);
        }
        long failed = results.stream().filter(r -> !r.asExpected()).count();
        out.println(parsed.name() + ": " + (done == 0 ? results.size() + " steps" : "steps " + (done + 1) + " to " + total)
                + ", " + (failed == 0 ? "every expectation held" : failed + " did not go as expected; the lab stays up as it is"));
        out.flush();
        if (marker != null) {
            KeyFiles.writeAtomically(marker, (parsed.name() + " at " + lab.clock().instant() + "\n").getBytes(StandardCharsets.UTF_8));
            Files.deleteIfExists(progress);
        }
    }

    /** No folder yet, or an empty one: a lab started on it makes everything in it. */
    /** Whether the folder holds nothing but the lock this start took. */
    private static boolean isNew(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return true;
        }
        try (var entries = Files.list(folder)) {
            return entries.allMatch(entry -> entry.getFileName().toString().equals(DataFolderLock.FILE));
        }
    }

    private static void keepProgress(Path progress, Scenario parsed, int stepsDone) {
        if (progress == null) {
            return;
        }
        Properties state = new Properties();
        state.setProperty("scenario", parsed.name());
        state.setProperty("steps.done", Integer.toString(stepsDone));
        try {
            KeyFiles.storeProperties(progress, state, "PKI Lab: how far 'pkilab up --scenario' got in applying the scenario");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the scenario's progress in " + progress, e);
        }
    }

    /** The steps of {@code parsed} that a start cut off part-way finished; 0 when none did, or when it applied another scenario. */
    private static int stepsDone(Path progress, Scenario parsed, PrintWriter out) throws IOException {
        if (progress == null || !Files.exists(progress)) {
            return 0;
        }
        Properties state = KeyFiles.loadProperties(progress);
        String scenario = state.getProperty("scenario", "");
        if (!scenario.equals(parsed.name())) {
            out.println("This lab's data folder was part-way through applying scenario '" + scenario + "', not " + parsed.name()
                    + "; what that did is kept, and " + parsed.name() + " is applied from its first step.");
            return 0;
        }
        try {
            int done = Integer.parseInt(state.getProperty("steps.done", ""));
            return done >= 0 && done <= parsed.steps().size() ? done : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The enterprise root as PEM in the data folder, for curl --cacert and openssl; null for a temporary lab. */
    private Path rootPem(Lab lab) {
        if (data == null) {
            return null;
        }
        Path file = data.resolve("ca.pem");
        try {
            KeyFiles.writeAtomically(file, KeyFiles.pem(lab.ca().certificate()).getBytes(StandardCharsets.US_ASCII));
            return file;
        } catch (IOException | java.security.GeneralSecurityException e) {
            return null;
        }
    }

    private void endpoints(Lab lab, PrintWriter out) {
        DomainController dc = lab.dc();
        CertificationAuthority ca = lab.ca();
        out.println();
        out.println("Domain        " + dc.domainName() + " (" + dc.names().domain() + ")");
        out.println("Domain SID    " + dc.domainSid());
        out.println("LDAP          " + dc.ldapUrl());
        java.security.cert.X509Certificate served = dc.serverCertificateChain().get(0);
        boolean issued = served.getIssuerX500Principal().equals(ca.certificate().getSubjectX500Principal());
        out.println("LDAPS         " + dc.ldapsUrl() + "  (StartTLS on the LDAP port too; certificate of " + dc.fqdn()
                + (issued ? " issued by " + ca.name() + ": with its root as LDAPTLS_CACERT, use ldaps://" + dc.fqdn() + ":"
                + dc.ldapsPort() + " with the name in /etc/hosts" : ", self-signed") + ")");
        out.println("Administrator " + dc.administratorDn());
        out.println("Password      " + dc.administratorPassword() + (lab.computerNames().isEmpty() ? "" : " (also every lab account's)"));
        out.println("CA            " + ca.name() + " on " + ca.config().fqdn() + " (issues " + String.join(", ", ca.templatesToIssue()) + ")");
        out.println("EST           " + ca.estBaseUrl() + "/<template>/simpleenroll");
        out.println("CRL (CDP)     " + ca.crlUrl() + "   delta " + ca.deltaCrlUrl());
        out.println("CA cert (AIA) " + ca.caIssuersUrl());
        out.println("OCSP          " + ca.ocspUrl() + "   (POST application/ocsp-request, or GET /ocsp/<base64 request>)");
        out.println("ACME          " + ca.acmeDirectoryUrl("<template>") + "   (an account needs 'pkilab acme eab <account>')");
        out.println("CMP           " + ca.cmpUrl() + "/p/<template>   (openssl cmp; a shared secret from 'pkilab cmp secret <account>', on HTTPS too)");
        out.println("SCEP (NDES)   " + ca.scepUrl() + "   (GetCACaps, GetCACert, PKIOperation; a one-time password: 'pkilab ca scep-password')");
        out.println("NDES admin    " + ca.ndesAdminUrl() + "   (challenge passwords, as Administrator)");
        for (String name : lab.computerNames()) {
            DomainComputer computer = lab.computer(name);
            String site = "";
            if (computer instanceof IisServer iis && iis.boundThumbprint() != null) {
                site = "; Default Web Site " + iis.url(computer.config().dnsNames().get(Math.min(1, computer.config().dnsNames().size() - 1)), "/")
                        + " (certificate " + iis.boundThumbprint() + ", client certificates " + iis.sslSettings() + ")";
            }
            out.println(String.format("%-13s %s, %d certificate(s) in LocalMachine\\My%s", name, computer.fqdn(),
                    computer.personal().certificates().size(), site));
        }
        for (String name : lab.unjoinedNames()) {
            UnjoinedComputer machine = lab.unjoined(name);
            out.println(String.format("%-13s %s (%s, not joined to the domain), %d certificate(s) in the %s", name, machine.hostName(),
                    machine.kind(), machine.store().certificates().size(), machine.store().name()));
        }
        java.util.Set<String> names = new java.util.LinkedHashSet<>(List.of(ca.config().fqdn(), dc.fqdn()));
        lab.computerNames().forEach(name -> names.addAll(lab.computer(name).config().dnsNames()));
        lab.unjoinedNames().forEach(name -> names.add(lab.unjoined(name).hostName()));
        names.addAll(new java.util.TreeSet<>(lab.network().names()));
        out.println("Names         the lab's names are 127.0.0.1 under their own name (TLS checks them); for other programs, this "
                + "line in /etc/hosts:");
        out.println("              127.0.0.1 " + String.join(" ", names));
        out.println("              or curl's flags: --resolve " + ca.config().fqdn() + ":" + ca.httpsPort() + ":127.0.0.1 --resolve "
                + ca.config().fqdn() + ":" + ca.httpPort() + ":127.0.0.1");
        Path rootPem = rootPem(lab);
        out.println("Root CA       " + (rootPem != null ? rootPem.toAbsolutePath() + " (the enterprise root, PEM: curl --cacert, openssl -CAfile)"
                : "curl -s " + ca.caIssuersUrl().replace(ca.config().fqdn(), "127.0.0.1") + " | openssl x509 -inform DER -out ca.pem"));
        out.println("Data          " + (data == null ? "temporary, deleted on exit" : data.toAbsolutePath()));
        out.println();
        out.println("Try:  ldapsearch -x -H " + dc.ldapUrl() + " -D '" + dc.administratorDn() + "' -w '"
                + dc.administratorPassword() + "' -b '" + dc.names().certificateTemplates()
                + "' '(objectClass=pKICertificateTemplate)' cn displayName msPKI-Certificate-Name-Flag");
        out.println("      export PKILAB_LDAP=" + dc.ldapUrl() + " PKILAB_PASSWORD='" + dc.administratorPassword() + "'");
        out.println("      pkilab template show WebServer;  pkilab group create 'ConfigMgr IIS Servers';  pkilab ca pending");
    }
}
