package org.pkilab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.pkilab.directory.model.CertificateMappingSettings;
import org.pkilab.lab.DcRegistryValue;
import org.pkilab.scenario.NearestName;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;

/**
 * {@code pkilab dc ...}: the registry values of the running lab's domain controller that decide how a certificate logon
 * maps to an account (KB5014754), as {@code reg query} and {@code reg add} on the DC show and change them. Windows keeps
 * them in the DC's registry, not in the directory, so they travel through the console {@code pkilab up} runs
 * ({@code org.pkilab.lab.LabControl}), not over LDAP:
 *
 * <pre>
 * pkilab dc getreg --data lab                                           reg query ...\Services\Kdc and ...\Schannel
 * pkilab dc setreg StrongCertificateBindingEnforcement 0 --data lab     reg add ...\Services\Kdc /v ... /d 0 (ESC10)
 * pkilab dc setreg CertificateMappingMethods 0x18 --data lab            the fix of ESC10's second case
 * </pre>
 */
@Command(name = "dc", mixinStandardHelpOptions = true,
        description = "The running lab's domain controller registry (pkilab up): getreg, setreg of its certificate mapping "
                + "(StrongCertificateBindingEnforcement, CertificateMappingMethods).",
        subcommands = {DcCommand.GetReg.class, DcCommand.SetReg.class})
final class DcCommand implements Runnable {

    private static final ObjectMapper JSON = new ObjectMapper();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The value {@code name} names, or bad usage naming the nearest one. */
    private static DcRegistryValue value(CommandLine.Model.CommandSpec spec, String name) {
        try {
            return DcRegistryValue.named(name);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage() + NearestName.hint(name, DcRegistryValue.names()));
        }
    }

    @Command(name = "getreg", mixinStandardHelpOptions = true,
            description = {"Show the DC's certificate-mapping registry values (reg query on the DC): "
                    + "Kdc\\StrongCertificateBindingEnforcement (0 Disabled, 1 Compatibility, 2 Full Enforcement) and "
                    + "Schannel\\CertificateMappingMethods (0x1 subject/issuer, 0x2 issuer, 0x4 UPN, 0x8 S4U2Self, 0x10 S4U2Self explicit), "
                    + "or the one NAME gives."})
    static final class GetReg extends LabControlClient.Verb {
        @Parameters(arity = "0..1", paramLabel = "NAME", description = "StrongCertificateBindingEnforcement or CertificateMappingMethods (any case).")
        String name;

        @Override
        void run(PrintWriter out) {
            DcRegistryValue only = name == null ? null : value(spec, name);
            JsonNode answer = console.call("GET", "/dc/registry", null);
            out.println(answer.path("host").asText() + ":");
            for (JsonNode v : answer.path("values")) {
                DcRegistryValue value = DcRegistryValue.named(v.path("name").asText());
                if (only == null || only == value) {
                    out.println();
                    out.println(value.key());
                    out.println(value.describe(v.path("data").asInt()));
                }
            }
        }
    }

    @Command(name = "setreg", mixinStandardHelpOptions = true,
            description = {"Change a certificate-mapping registry value of the DC (reg add on the DC, REG_DWORD).",
                    "Examples:",
                    "  pkilab dc setreg StrongCertificateBindingEnforcement 0",
                    "      ESC10: the KDC maps by UPN without the strong-mapping check",
                    "  pkilab dc setreg CertificateMappingMethods 0x4",
                    "      ESC10: Schannel maps by the certificate's UPN",
                    "  pkilab dc setreg StrongCertificateBindingEnforcement 2",
                    "  pkilab dc setreg CertificateMappingMethods 0x18",
                    "      the fixes: Full Enforcement, Schannel through S4U2Self only (Windows' defaults)",
                    "The lab's DC judges the next certificate logon by it; connections already bound stay bound."})
    static final class SetReg extends LabControlClient.Verb {
        @Parameters(index = "0", paramLabel = "NAME", description = "StrongCertificateBindingEnforcement (0, 1, 2) or "
                + "CertificateMappingMethods (0 to 0x1F).")
        String name;

        @Parameters(index = "1", paramLabel = "DATA", description = "The number, in decimal (2) or hex (0x18).")
        String data;

        @Override
        void run(PrintWriter out) {
            DcRegistryValue value = value(spec, name);
            try {
                // checked here first: a value out of range is bad usage, and nothing is sent
                value.apply(CertificateMappingSettings.WINDOWS_DEFAULT, data);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            JsonNode answer = console.call("POST", "/dc/registry", JSON.createObjectNode().put("name", value.valueName()).put("data", data));
            out.println(answer.path("host").asText() + ": " + value.key() + "\\" + value.valueName() + ":");
            out.println();
            out.println("Old Value:");
            out.println(value.describe(answer.path("before").asInt()));
            out.println();
            out.println("New Value:");
            out.println(value.describe(answer.path("after").asInt()));
            out.println("The operation completed successfully.");
            out.println(answer.path("host").asText() + " judges the next certificate logon by it; connections already bound stay bound.");
        }
    }
}
