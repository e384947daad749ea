package org.pkilab.cli.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPURL;
import org.pkilab.admin.CaAdminClient;
import org.pkilab.audit.Audit;
import org.pkilab.audit.AuditOutput;
import org.pkilab.audit.AuditReport;
import org.pkilab.audit.AuditSnapshot;
import org.pkilab.audit.DirectoryAuditLoader;
import org.pkilab.audit.Explanation;
import org.pkilab.audit.Severity;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.cli.LabControlClient;
import org.pkilab.directory.client.DirectoryException;
import org.pkilab.directory.model.CertificateMappingSettings;
import org.pkilab.directory.model.DomainNames;
import org.pkilab.lab.DcRegistryValue;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code pkilab audit}: the ESC1–ESC16 audit of a running lab's AD CS, as Certipy's {@code find -vulnerable} or
 * Locksmith audit a Windows forest, but reporting only what every condition of a class makes exploitable, with who can
 * exploit it (tokens, nesting and Deny resolved), the values that make it so and the fix:
 *
 * <pre>
 * pkilab audit --ldap ldap://127.0.0.1:50389 --password '...'           a table; exit 1 on any finding
 * pkilab audit --format json --fail-on critical                         JSON; exit 1 only on critical findings
 * pkilab audit --format sarif > audit.sarif                             SARIF 2.1.0 for code-scanning tools
 * pkilab audit --explain "Web Server"                                   why each class does or does not apply
 * pkilab audit --data lab                                               the DC's registry read through the lab's console too
 * </pre>
 *
 * <p>What is not in the directory is read where Windows keeps it: each CA's registry settings ({@code EditFlags},
 * {@code InterfaceFlags}, {@code DisableExtensionList}, {@code Security}) over the CA's administration interface as the
 * auditing account, and the DC's certificate mapping through the running lab's console. What cannot be read is assumed
 * at its default, and the report's assumptions say which and why.
 *
 * <p>Exit codes: 0 nothing at or above {@code --fail-on}, 1 findings at or above it, 2 bad usage or no lab to read.
 */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = {"Audit the lab's AD CS for ESC1-ESC16: each finding with who can exploit it, the values that make it so, "
                + "its impact and its fix. Exit 0 clean, 1 findings at or above --fail-on, 2 usage or connection error."})
public final class AuditCommand implements Callable<Integer> {

    /** How the report is printed. */
    public enum Format { TABLE, JSON, SARIF }

    @Mixin
    Connection connection;

    /** The running lab's console, for the DC's registry: optional, since a forest is audited over LDAP alone. */
    @Mixin
    LabControlClient.Connection console;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--format", paramLabel = "table|json|sarif", defaultValue = "table", converter = FormatConverter.class,
            description = "table (default), json, or sarif (SARIF 2.1.0: one rule per ESC class, one result per finding).")
    Format format;

    @Option(names = "--fail-on", paramLabel = "low|medium|high|critical", defaultValue = "low", converter = SeverityConverter.class,
            description = "Exit 1 when a finding is at or above this severity (default: ${DEFAULT-VALUE}: any finding).")
    Severity failOn;

    @Option(names = "--explain", paramLabel = "TEMPLATE",
            description = "For the template (name or display name), say for every class why it does or does not apply: each "
                    + "condition, true or false, with its value. Formats: table or json.")
    String explain;

    static final class FormatConverter implements CommandLine.ITypeConverter<Format> {
        @Override
        public Format convert(String value) {
            try {
                return Format.valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("no format '" + value + "'; expected table, json or sarif");
            }
        }
    }

    static final class SeverityConverter implements CommandLine.ITypeConverter<Severity> {
        @Override
        public Severity convert(String value) {
            try {
                return Severity.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (explain != null && format == Format.SARIF) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--explain prints explanations, not findings: use --format table or json");
        }
        AuditSnapshot snapshot;
        try {
            snapshot = load();
        } catch (DirectoryException | CaAdminClient.CaAdminException | IllegalArgumentException e) {
            err.println("pkilab audit: " + e.getMessage());
            err.flush();
            return 2;
        }
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        try {
            if (explain != null) {
                List<Explanation> explanations;
                try {
                    explanations = Audit.explain(snapshot, explain);
                } catch (IllegalArgumentException e) {
                    err.println("pkilab audit: " + e.getMessage());
                    err.flush();
                    return 2;
                }
                out.print(format == Format.JSON ? json.writeValueAsString(AuditOutput.explanationsJson(explanations)) + "\n"
                        : AuditOutput.explanations(explanations));
                out.flush();
                return 0;
            }
            AuditReport report = Audit.run(snapshot);
            switch (format) {
                case TABLE -> out.print(AuditOutput.table(report));
                case JSON -> out.println(json.writeValueAsString(AuditOutput.json(report)));
                case SARIF -> out.println(json.writeValueAsString(AuditOutput.sarif(report, spec.root().version()[0].replace("pkilab ", ""))));
            }
            out.flush();
            return report.failsAt(failOn) ? 1 : 0;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the report could not be written as JSON: " + e.getMessage(), e);
        }
    }

    /** Reads the forest over LDAP as the given account; the CA's and the DC's registry settings through their readers. */
    private AuditSnapshot load() {
        String password = connection.password();
        if (password == null || password.isEmpty()) {
            throw new DirectoryException("no password: give --password or set PKILAB_PASSWORD ('pkilab up' prints the Administrator's)");
        }
        LDAPURL url = connection.url();
        DomainNames names = connection.domain == null ? DirectoryAdmin.discoverDomain(url.getHost(), url.getPort())
                : DomainNames.of(connection.domain);
        String bindDn = connection.bindDn(names);
        try (LDAPConnection ldap = new LDAPConnection(url.getHost(), url.getPort())) {
            ldap.bind(bindDn, password);
            return DirectoryAuditLoader.load(ldap, names, caRegistry(), dcMapping());
        } catch (LDAPException e) {
            throw new DirectoryException(e.getResultCode().intValue(), "cannot bind as " + bindDn + " to " + connection.ldap + ": "
                    + e.getDiagnosticMessage() + (e.getResultCode().intValue() == 49 ? " (wrong password or unknown account)" : "")
                    + (e.getResultCode().intValue() == 91 ? " — is the lab running? 'pkilab up' prints its LDAP URL" : ""), e);
        }
    }

    /**
     * Each CA's registry settings, read over its administration interface as {@code certutil -config CA -getreg} reads
     * them, as the auditing account: one without Read or Manage CA on the CA is refused ({@code E_ACCESSDENIED}), and a CA
     * that does not answer cannot be read; either way the audit assumes a new CA's settings and says which and why.
     */
    private DirectoryAuditLoader.CaRegistryReader caRegistry() {
        return name -> {
            try (DirectoryAdmin admin = connection.directory()) {
                return connection.ca(admin, name).registry();
            } catch (CaAdminClient.CaAdminException | DirectoryException e) {
                throw new DirectoryAuditLoader.NotRead(e.getMessage());
            }
        };
    }

    /**
     * The DC's certificate-mapping registry values, through the console of the running lab ({@code --data DIR}, or
     * {@code --control} and {@code --token}) as {@code pkilab dc getreg} reads them; without one, or when it does not
     * answer, Windows' defaults are assumed and the report says why.
     */
    private DirectoryAuditLoader.MappingReader dcMapping() {
        return () -> {
            if (!console.given()) {
                throw new DirectoryAuditLoader.NotRead("no lab console given: --data DIR of the running 'pkilab up', or --control URL "
                        + "and --token TOKEN as it printed them, reads them");
            }
            try {
                JsonNode answer = console.call("GET", "/dc/registry", null);
                CertificateMappingSettings settings = CertificateMappingSettings.WINDOWS_DEFAULT;
                for (JsonNode value : answer.path("values")) {
                    settings = DcRegistryValue.named(value.path("name").asText()).apply(settings, value.path("data").asText());
                }
                return settings;
            } catch (LabControlClient.Failure | IllegalArgumentException e) {
                throw new DirectoryAuditLoader.NotRead("the lab's console did not give them: " + e.getMessage());
            }
        };
    }
}
