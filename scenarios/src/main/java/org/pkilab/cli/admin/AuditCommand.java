package org.pkilab.cli.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
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
import org.pkilab.directory.client.DirectoryException;
import org.pkilab.directory.model.DomainNames;
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
 * </pre>
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
            return DirectoryAuditLoader.load(ldap, names, caRegistry(), DirectoryAuditLoader.MAPPING_DEFAULT);
        } catch (LDAPException e) {
            throw new DirectoryException(e.getResultCode().intValue(), "cannot bind as " + bindDn + " to " + connection.ldap + ": "
                    + e.getDiagnosticMessage() + (e.getResultCode().intValue() == 49 ? " (wrong password or unknown account)" : "")
                    + (e.getResultCode().intValue() == 91 ? " — is the lab running? 'pkilab up' prints its LDAP URL" : ""), e);
        }
    }

    /**
     * The CAs' registry settings. The CA's administration interface does not serve them yet ({@code certutil -getreg}),
     * so every CA is read as a new one and the report says so.
     */
    private DirectoryAuditLoader.CaRegistryReader caRegistry() {
        return name -> null;
    }
}
