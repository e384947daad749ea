package org.pkilab.cli.admin;

import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.DirectoryException;
import org.pkilab.directory.client.EnterprisePki;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.KeyAlgorithm;
import org.pkilab.directory.model.PkiPeriod;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.directory.model.TemplateFlags;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Certificate templates as the Certificate Templates console ({@code certtmpl.msc}) shows and edits them,
 * written to {@code CN=Certificate Templates} over LDAP. The guide's web server template, step by step:
 *
 * <pre>
 * pkilab template duplicate "Web Server" "ConfigMgr Web Server Certificate" --compatibility 2003
 * pkilab template revoke-right "ConfigMgr Web Server Certificate" "Domain Admins" Enroll
 * pkilab template grant "ConfigMgr Web Server Certificate" "ConfigMgr IIS Servers" Read Enroll
 * pkilab template show "ConfigMgr Web Server Certificate"      (certutil -v -dstemplate ...)
 * </pre>
 *
 * <p>The settings behind the misconfiguration lessons, as an administrator makes them by mistake:
 *
 * <pre>
 * pkilab template set "Lab Copy" --subject-name supply --application-policies 1.3.6.1.5.5.7.3.2   ESC1
 * pkilab template set "Lab Copy" --any-purpose            (or --no-eku)                           ESC2
 * pkilab template set "Lab Copy" --no-security-extension true                                     ESC9
 * </pre>
 *
 * <p>Version 1 templates (Web Server, Workstation) cannot be changed, only their Security tab, as in the
 * console: duplicate them first.
 */
@Command(name = "template", mixinStandardHelpOptions = true,
        description = "Certificate templates: list, show, duplicate, set, grant, deny, revoke-right, remove-principal.")
public final class TemplateCommand implements Runnable {

    private static final AccessRight[] TAB = {AccessRight.FULL_CONTROL, AccessRight.READ, AccessRight.WRITE,
            AccessRight.ENROLL, AccessRight.AUTOENROLL};

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    private PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /** "Full Control", "full-control", "FULL_CONTROL", "enroll": the Security tab's rights. */
    static final class RightConverter implements CommandLine.ITypeConverter<AccessRight> {
        @Override
        public AccessRight convert(String value) {
            try {
                return AccessRight.parse(value.replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List templates: name, display name, schema version (certutil -template).")
    int list(@Mixin Connection connection) {
        try (DirectoryAdmin admin = connection.directory()) {
            List<CertificateTemplate> all = new ArrayList<>(admin.templates().all());
            all.sort((a, b) -> a.displayName().compareToIgnoreCase(b.displayName()));
            out().printf("%-40s %-40s %s%n", "Template Display Name", "Template Name", "Schema");
            for (CertificateTemplate t : all) {
                out().printf("%-40s %-40s %d%n", t.displayName(), t.name(), t.schemaVersion());
            }
        }
        return 0;
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Show a template's settings and Security tab (certutil -v -dstemplate NAME).")
    int show(@Mixin Connection connection, @Parameters(paramLabel = "TEMPLATE", description = "Name or display name.") String name) {
        try (DirectoryAdmin admin = connection.directory()) {
            CertificateTemplate t = admin.templates().get(name);
            PrintWriter out = out();
            out.println("Template display name   " + t.displayName());
            out.println("Template name           " + t.name());
            out.println("Schema version          " + t.schemaVersion() + "  (" + switch (t.schemaVersion()) {
                case 1 -> "Windows 2000: settings cannot be changed, duplicate it";
                case 2 -> "Windows Server 2003 Enterprise";
                case 3 -> "Windows Server 2008 Enterprise";
                default -> "Windows Server 2012 or later";
            } + ")");
            out.println("Revision                " + t.revision() + "." + t.minorRevision());
            out.println("OID                     " + t.oid());
            out.println("Validity period         " + PkiPeriod.display(t.validity()));
            out.println("Renewal period          " + PkiPeriod.display(t.renewalPeriod()));
            out.println("Subject name            " + (t.enrolleeSuppliesSubject() ? "Supply in the request"
                    : "Build from this Active Directory information " + TemplateFlags.describe(TemplateFlags.CertificateName.values(),
                    t.certificateNameFlags())));
            String algorithm;
            try {
                algorithm = t.keyAlgorithm().windowsName();
            } catch (IllegalStateException e) {
                algorithm = t.cngKeySetting("msPKI-Asymmetric-Algorithm") + " (unknown to the lab)";
            }
            out.println("Algorithm name          " + algorithm);
            out.println("Minimum key size        " + t.minimalKeySize());
            out.println("Key storage             " + (t.usesCng() ? "Key Storage Provider (CNG)" : "Cryptographic Service Provider (CSP)"));
            out.println("Private key exportable  " + (t.exportableKey() ? "yes" : "no"));
            out.println("CA manager approval     " + (t.requiresApproval() ? "yes" : "no"));
            out.println("For                     " + (t.machineTemplate() ? "computers" : "users"));
            out.println("Application policies    " + (t.extendedKeyUsages().isEmpty() ? "(none: certificates carry no EKU, good for any purpose)"
                    : t.extendedKeyUsages().equals(List.of(CertificateTemplate.OID_ANY_PURPOSE)) ? CertificateTemplate.OID_ANY_PURPOSE + " (Any Purpose)"
                    : String.join(", ", t.extendedKeyUsages())));
            out.println("SID extension           " + (TemplateFlags.Enrollment.NO_SECURITY_EXTENSION.isSetIn(t.enrollmentFlags())
                    ? "no (CT_FLAG_NO_SECURITY_EXTENSION)" : t.enrolleeSuppliesSubject() ? "no (names supplied in the request)" : "yes"));
            out.println("Superseded templates    " + (t.supersededTemplates().isEmpty() ? "(none)" : String.join(", ", t.supersededTemplates())));
            List<String> issuers = admin.enterprisePki().enrollmentServices().stream()
                    .filter(s -> s.templates().stream().anyMatch(t.name()::equalsIgnoreCase))
                    .map(EnterprisePki.EnrollmentService::name).toList();
            out.println("Issued by               " + (issuers.isEmpty() ? "no CA (pkilab ca issue-template " + t.name() + ")" : String.join(", ", issuers)));
            out.println();
            printSecurity(out, admin, t.securityDescriptor());
        }
        return 0;
    }

    static void printSecurity(PrintWriter out, DirectoryAdmin admin, SecurityDescriptor sd) {
        out.println("Security (owner " + admin.usersAndComputers().nameOf(sd.owner()) + ")");
        out.printf("  %-40s %-50s %s%n", "Group or user name", "Allow", "Deny");
        for (SecurityIdentifier trustee : sd.trustees()) {
            out.printf("  %-40s %-50s %s%n", admin.usersAndComputers().nameOf(trustee), ticked(sd.rightsOf(trustee, true)), ticked(sd.rightsOf(trustee, false)));
        }
    }

    private static String ticked(Set<AccessRight> rights) {
        String text = java.util.Arrays.stream(TAB).filter(rights::contains).map(AccessRight::displayName).collect(Collectors.joining(", "));
        return text.isEmpty() ? "-" : text;
    }

    @Command(name = "duplicate", mixinStandardHelpOptions = true,
            description = "Duplicate Template: copy SOURCE under a new display name, with a new OID and the source's Security tab.")
    int duplicate(@Mixin Connection connection, @Parameters(index = "0", paramLabel = "SOURCE") String source,
                  @Parameters(index = "1", paramLabel = "NEW_DISPLAY_NAME",
                          description = "The template name is this without spaces.") String displayName,
                  @Option(names = "--compatibility", paramLabel = "2003|2008", defaultValue = "2003",
                          description = "Windows Server 2003 (schema 2, CSP) or 2008 (schema 3, CNG) Enterprise (default: ${DEFAULT-VALUE}).")
                  String compatibility) {
        TemplateCompatibility chosen = switch (compatibility) {
            case "2003" -> TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE;
            case "2008" -> TemplateCompatibility.WINDOWS_2008_SERVER_ENTERPRISE;
            default -> throw badUsage("duplicate", "--compatibility must be 2003 or 2008, not " + compatibility);
        };
        try (DirectoryAdmin admin = connection.directory()) {
            CertificateTemplate copy = admin.templates().duplicate(source, displayName, chosen);
            out().println("Created template '" + copy.displayName() + "' (" + copy.name() + ", schema " + copy.schemaVersion()
                    + ", OID " + copy.oid() + "). No CA issues it yet: pkilab ca issue-template " + copy.name());
        }
        return 0;
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = "Change settings of a version 2+ template, as its Properties dialog does (each change raises the minor revision).")
    int set(@Mixin Connection connection, @Parameters(paramLabel = "TEMPLATE") String name,
            @Option(names = "--subject-name", paramLabel = "supply|build",
                    description = "Subject Name tab: supply in the request, or build from Active Directory.") String subjectName,
            @Option(names = "--min-key-size", paramLabel = "BITS", description = "Cryptography tab: minimum key size.") Integer minKeySize,
            @Option(names = "--algorithm", paramLabel = "RSA|ECDSA_P256|ECDSA_P384|ECDSA_P521",
                    description = "Cryptography tab: algorithm name (Windows 2008 templates only); ECDSA fixes the key size.") String algorithm,
            @Option(names = "--exportable", negatable = true, description = "Request Handling tab: allow private key to be exported.")
            Boolean exportable,
            @Option(names = "--approval", negatable = true, description = "Issuance Requirements tab: CA certificate manager approval.")
            Boolean approval,
            @Option(names = "--validity", paramLabel = "PERIOD", converter = PeriodConverter.class,
                    description = "General tab: validity period, e.g. '2 years'.") Duration validityPeriod,
            @Option(names = "--renewal", paramLabel = "PERIOD", converter = PeriodConverter.class,
                    description = "General tab: renewal period, e.g. '6 weeks'.") Duration renewalPeriod,
            @Option(names = {"--application-policies", "--eku"}, paramLabel = "OID", split = ",",
                    description = "Extensions tab: application policies (OIDs, comma-separated), e.g. 1.3.6.1.5.5.7.3.2 Client Authentication.")
            List<String> ekus,
            @Option(names = "--any-purpose", description = "Extensions tab: the one application policy Any Purpose (2.5.29.37.0).")
            boolean anyPurpose,
            @Option(names = "--no-eku", description = "Extensions tab: remove every application policy; certificates then carry no EKU, "
                    + "which Windows takes for any purpose.") boolean noEku,
            @Option(names = "--no-security-extension", paramLabel = "true|false", arity = "1",
                    description = "CT_FLAG_NO_SECURITY_EXTENSION in msPKI-Enrollment-Flag: certificates leave out the requester's SID "
                            + "(1.3.6.1.4.1.311.25.2). No console tab shows it; on Windows: certutil -dstemplate NAME "
                            + "msPKI-Enrollment-Flag +0x00080000, or ADSI Edit.") Boolean noSecurityExtension,
            @Option(names = "--issuance-policies", paramLabel = "POLICY", split = ",",
                    description = "Extensions tab: Issuance Policies, by display name or OID (comma-separated), in place of the "
                            + "template's own (msPKI-Certificate-Policy).") List<String> issuancePolicies,
            @Option(names = "--no-issuance-policies", description = "Extensions tab: remove every issuance policy (the fix of ESC13 "
                    + "when the policy linked to a group was the only one).") boolean noIssuancePolicies,
            @Option(names = "--supersedes", paramLabel = "TEMPLATE", split = ",", description = "Superseded Templates tab.") List<String> supersedes) {
        if (issuancePolicies != null && noIssuancePolicies) {
            throw badUsage("set", "give --issuance-policies or --no-issuance-policies, not both");
        }
        List<String> issuance = noIssuancePolicies ? List.of() : issuancePolicies;
        if ((ekus != null ? 1 : 0) + (anyPurpose ? 1 : 0) + (noEku ? 1 : 0) > 1) {
            throw badUsage("set", "give one of --application-policies, --any-purpose and --no-eku");
        }
        List<String> policies = anyPurpose ? List.of(CertificateTemplate.OID_ANY_PURPOSE) : noEku ? List.of() : ekus;
        CertificateTemplate.SubjectNameMode mode = null;
        if (subjectName != null) {
            mode = switch (subjectName.toLowerCase(Locale.ROOT)) {
                case "supply" -> CertificateTemplate.SubjectNameMode.SUPPLY_IN_REQUEST;
                case "build" -> CertificateTemplate.SubjectNameMode.BUILD_FROM_ACTIVE_DIRECTORY;
                default -> throw badUsage("set", "--subject-name must be supply or build, not " + subjectName);
            };
        }
        try (DirectoryAdmin admin = connection.directory()) {
            CertificateTemplate before = admin.templates().get(name);
            if (before.schemaVersion() < 2) {
                throw new DirectoryException("'" + before.displayName() + "' is a Windows 2000 (version 1) template: its settings cannot "
                        + "be changed. Duplicate it: pkilab template duplicate \"" + before.displayName() + "\" \"NEW NAME\"");
            }
            // the changes that check their input go first, so bad input leaves the template as it was
            if (issuance != null) {
                admin.templates().setIssuancePolicies(name, issuance);
            }
            if (algorithm != null) {
                KeyAlgorithm chosen = KeyAlgorithm.fromWindowsName(algorithm).orElseThrow(() -> badUsage("set",
                        "--algorithm must be RSA, ECDSA_P256, ECDSA_P384 or ECDSA_P521, not " + algorithm));
                admin.templates().setKeyAlgorithm(name, chosen, minKeySize != null ? minKeySize
                        : chosen.elliptic() ? chosen.bits() : KeyAlgorithm.rsaBitsFor(before.minimalKeySize()));
            } else if (minKeySize != null) {
                admin.templates().setMinimalKeySize(name, minKeySize);
            }
            if (policies != null) {
                admin.templates().setExtendedKeyUsages(name, policies);
            }
            if (supersedes != null) {
                admin.templates().setSupersededTemplates(name, supersedes);
            }
            if (validityPeriod != null || renewalPeriod != null) {
                admin.templates().setValidity(name, validityPeriod != null ? validityPeriod : before.validity(),
                        renewalPeriod != null ? renewalPeriod : before.renewalPeriod());
            }
            if (mode != null) {
                admin.templates().setSubjectNameMode(name, mode);
            }
            if (exportable != null) {
                admin.templates().setExportableKey(name, exportable);
            }
            if (approval != null) {
                admin.templates().setRequiresApproval(name, approval);
            }
            if (noSecurityExtension != null) {
                admin.templates().setNoSecurityExtension(name, noSecurityExtension);
            }
            CertificateTemplate after = admin.templates().get(name);
            out().println("Template '" + after.displayName() + "' now at revision " + after.revision() + "." + after.minorRevision()
                    + (after.minorRevision() == before.minorRevision() ? " (nothing to change)" : ""));
        }
        return 0;
    }

    /** A period as the General tab takes it ('2 years', '6 weeks'); anything else is bad usage of the verb it was given to. */
    static final class PeriodConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return PkiPeriod.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** Bad usage of the verb {@code verb}: its own usage is shown, not the template command's. */
    private CommandLine.ParameterException badUsage(String verb, String message) {
        return new CommandLine.ParameterException(spec.subcommands().get(verb), message);
    }

    @Command(name = "grant", mixinStandardHelpOptions = true,
            description = "Security tab: tick Allow for each RIGHT (Read, Write, Enroll, Autoenroll, Full-Control).")
    int grant(@Mixin Connection connection, @Parameters(index = "0", paramLabel = "TEMPLATE") String name,
              @Parameters(index = "1", paramLabel = "PRINCIPAL", description = "Group or account: name, sAMAccountName or DN.") String principal,
              @Parameters(index = "2..*", arity = "1..*", paramLabel = "RIGHT", converter = RightConverter.class) List<AccessRight> rights) {
        return edit(connection, name, principal, (admin, r) -> admin.security().allow(name, principal, r), rights);
    }

    @Command(name = "deny", mixinStandardHelpOptions = true, description = "Security tab: tick Deny for each RIGHT (Deny wins over Allow).")
    int deny(@Mixin Connection connection, @Parameters(index = "0", paramLabel = "TEMPLATE") String name,
             @Parameters(index = "1", paramLabel = "PRINCIPAL") String principal,
             @Parameters(index = "2..*", arity = "1..*", paramLabel = "RIGHT", converter = RightConverter.class) List<AccessRight> rights) {
        return edit(connection, name, principal, (admin, r) -> admin.security().deny(name, principal, r), rights);
    }

    @Command(name = "revoke-right", mixinStandardHelpOptions = true,
            description = "Security tab: clear both Allow and Deny for each RIGHT (the guide's \"remove Enroll from Domain Admins\").")
    int revokeRight(@Mixin Connection connection, @Parameters(index = "0", paramLabel = "TEMPLATE") String name,
                    @Parameters(index = "1", paramLabel = "PRINCIPAL") String principal,
                    @Parameters(index = "2..*", arity = "1..*", paramLabel = "RIGHT", converter = RightConverter.class) List<AccessRight> rights) {
        return edit(connection, name, principal, (admin, r) -> {
            admin.security().clearAllow(name, principal, r);
            return admin.security().clearDeny(name, principal, r);
        }, rights);
    }

    @Command(name = "remove-principal", mixinStandardHelpOptions = true, description = "Security tab: Remove a group or user from the list.")
    int removePrincipal(@Mixin Connection connection, @Parameters(index = "0", paramLabel = "TEMPLATE") String name,
                        @Parameters(index = "1", paramLabel = "PRINCIPAL") String principal) {
        try (DirectoryAdmin admin = connection.directory()) {
            admin.templates().get(name);
            printSecurity(out(), admin, admin.security().removePrincipal(name, principal));
        }
        return 0;
    }

    private interface Edit {
        SecurityDescriptor apply(DirectoryAdmin admin, AccessRight[] rights);
    }

    private int edit(Connection connection, String name, String principal, Edit edit, List<AccessRight> rights) {
        try (DirectoryAdmin admin = connection.directory()) {
            // both names checked before writing: an unknown template or principal changes nothing
            admin.templates().get(name);
            admin.usersAndComputers().sidOf(principal);
            printSecurity(out(), admin, edit.apply(admin, rights.toArray(new AccessRight[0])));
        }
        return 0;
    }
}
