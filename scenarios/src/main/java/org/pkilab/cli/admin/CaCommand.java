package org.pkilab.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import org.pkilab.admin.CaAdminClient;
import org.pkilab.ca.RevocationReason;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.enrollment.CaRegistrySettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;

/**
 * The enterprise CA's administration, as {@code certutil} and the Certification Authority console do it
 * over {@code ICertAdmin}; here over the CA's HTTPS administration interface, as a Domain Admin:
 *
 * <pre>
 * pkilab ca issue-template ConfigMgrWebServerCertificate   certutil -SetCATemplates +ConfigMgrWebServerCertificate
 * pkilab ca pending                                        certutil -view -restrict "Disposition=9" (Pending Requests)
 * pkilab ca approve 7                                      certutil -resubmit 7
 * pkilab ca deny 8                                         certutil -deny 8
 * pkilab ca revoke 4a1f... --reason keyCompromise          certutil -revoke 4a1f... 1
 * pkilab ca publish-crl                                    certutil -CRL
 * pkilab ca getreg 'policy\EditFlags'                      certutil -getreg policy\EditFlags
 * pkilab ca setreg 'policy\EditFlags' +EDITF_ATTRIBUTESUBJECTALTNAME2
 *                                                          certutil -setreg policy\EditFlags +EDITF_ATTRIBUTESUBJECTALTNAME2
 * pkilab ca resubmit 9                                     certutil -resubmit 9 on a denied request (Certipy ca -issue-request)
 * pkilab ca security                                       the CA's Security tab (certutil -getreg CA\Security)
 * pkilab ca add-officer alice                              Issue and Manage Certificates (Certipy ca -add-officer)
 * pkilab ca add-manager alice                              Manage CA
 * pkilab ca security-add enroll "Domain Users"             any permission: officer, manager, enroll, read
 * pkilab ca scep-password                                  NDES's /certsrv/mscep_admin/ page: a one-time SCEP challenge password
 * </pre>
 *
 * <p>Accounts without the CA permission an operation needs get {@code 0x80070005 E_ACCESSDENIED} from the CA: by default
 * Domain Admins and Enterprise Admins hold them all. Whoever holds Manage CA may change the Security tab (ESC7). A registry
 * change counts at once: a Windows CA reads it only after {@code net stop certsvc && net start certsvc}.
 */
@Command(name = "ca", mixinStandardHelpOptions = true,
        description = "The enterprise CA: templates, issue-template, remove-template, pending, issued, failed, revoked, approve, "
                + "resubmit, deny, revoke, publish-crl, security, add-officer, remove-officer, add-manager, remove-manager, "
                + "security-add, security-remove, getreg, setreg (as certutil and Certipy's ca), scep-password (NDES's mscep_admin).")
public final class CaCommand implements Runnable {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--ca", paramLabel = "NAME", scope = CommandLine.ScopeType.INHERIT,
            description = "The CA to manage, as CN=Enrollment Services names it (default: the forest's only enterprise CA).")
    String caName;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    private PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /** Rows fetched at a time by the folder views. */
    private static final int PAGE = 1_000;

    private interface Call {
        JsonNode apply(CaAdminClient ca);
    }

    private JsonNode call(Connection connection, Call call) {
        try (DirectoryAdmin admin = connection.directory()) {
            return call.apply(connection.ca(admin, caName));
        }
    }

    @Command(name = "templates", mixinStandardHelpOptions = true,
            description = "The CA's Certificate Templates to Issue (certutil -CATemplates).")
    int templates(@Mixin Connection connection) {
        printTemplates(call(connection, CaAdminClient::templates));
        return 0;
    }

    @Command(name = "issue-template", mixinStandardHelpOptions = true,
            description = "Certificate Template to Issue: add a template to the CA's list (certutil -SetCATemplates +NAME).")
    int issueTemplate(@Mixin Connection connection, @Parameters(paramLabel = "TEMPLATE", description = "Name or display name.") String template) {
        printTemplates(call(connection, ca -> ca.issueTemplate(template)));
        return 0;
    }

    @Command(name = "remove-template", mixinStandardHelpOptions = true,
            description = "Stop issuing a template (certutil -SetCATemplates -NAME). Certificates already issued stay valid.")
    int removeTemplate(@Mixin Connection connection, @Parameters(paramLabel = "TEMPLATE") String template) {
        printTemplates(call(connection, ca -> ca.removeTemplate(template)));
        return 0;
    }

    private void printTemplates(JsonNode answer) {
        out().println("Templates " + answer.path("ca").asText() + " issues:");
        answer.path("templates").forEach(t -> out().println("  " + t.asText()));
    }

    @Command(name = "pending", mixinStandardHelpOptions = true, description = "Pending Requests, waiting for a certificate manager.")
    int pending(@Mixin Connection connection) {
        return view(connection, "pending");
    }

    @Command(name = "issued", mixinStandardHelpOptions = true, description = "Issued Certificates (certutil -view).")
    int issued(@Mixin Connection connection) {
        return view(connection, "issued");
    }

    @Command(name = "failed", mixinStandardHelpOptions = true, description = "Failed Requests: denied and failed, with the reason.")
    int failed(@Mixin Connection connection) {
        return view(connection, "failed");
    }

    @Command(name = "revoked", mixinStandardHelpOptions = true, description = "Revoked Certificates, with date and reason.")
    int revoked(@Mixin Connection connection) {
        return view(connection, "revoked");
    }

    /** A console folder, a page at a time, so a database of tens of thousands of requests streams to the terminal. */
    private int view(Connection connection, String folder) {
        try (DirectoryAdmin admin = connection.directory()) {
            CaAdminClient ca = connection.ca(admin, caName);
            long after = 0;
            long shown = 0;
            while (true) {
                JsonNode rows = ca.requests(folder, after, PAGE);
                rows.forEach(this::printRow);
                shown += rows.size();
                if (rows.size() < PAGE) {
                    break;
                }
                after = rows.get(rows.size() - 1).path("requestId").asLong();
            }
            if (shown == 0) {
                out().println("No " + folder + " requests.");
            }
        }
        return 0;
    }

    private void printRow(JsonNode r) {
        StringBuilder line = new StringBuilder();
        line.append(String.format("%-5s %-28s %-34s %s", r.path("requestId").asText(), r.path("requester").asText(),
                r.path("template").asText(), r.path("status").asText()));
        if (!r.path("serial").isNull()) {
            line.append("  serial ").append(r.path("serial").asText());
        }
        if (!r.path("subject").isNull()) {
            line.append("  ").append(r.path("subject").asText());
        }
        if (!r.path("revocationReason").isNull()) {
            line.append("  revoked ").append(r.path("revoked").asText()).append(" (").append(r.path("revocationReason").asText()).append(")");
        }
        out().println(line);
        out().println("      " + r.path("disposition").asText());
    }

    @Command(name = "approve", mixinStandardHelpOptions = true,
            description = "Issue a pending request (certutil -resubmit ID); it passes the template's other checks again.")
    int approve(@Mixin Connection connection, @Parameters(paramLabel = "REQUEST_ID") long id) {
        JsonNode r = call(connection, ca -> ca.approve(id));
        printRow(r);
        return "ISSUED".equals(r.path("status").asText()) ? 0 : 1;
    }

    @Command(name = "resubmit", mixinStandardHelpOptions = true,
            description = "Resubmit a pending or denied request (certutil -resubmit ID): an officer's resubmission is not checked "
                    + "against the template's Enroll permission again; the requester then sends the same request again to get it.")
    int resubmit(@Mixin Connection connection, @Parameters(paramLabel = "REQUEST_ID") long id) {
        JsonNode r = call(connection, ca -> ca.resubmit(id));
        printRow(r);
        return "ISSUED".equals(r.path("status").asText()) ? 0 : 1;
    }

    @Command(name = "security", mixinStandardHelpOptions = true,
            description = "The CA's Security tab: who may Manage CA, Issue and Manage Certificates, Request Certificates, Read.")
    int security(@Mixin Connection connection) {
        printSecurity(call(connection, CaAdminClient::security));
        return 0;
    }

    @Command(name = "add-officer", mixinStandardHelpOptions = true,
            description = "Allow Issue and Manage Certificates to ACCOUNT (Certipy ca -add-officer); needs Manage CA.")
    int addOfficer(@Mixin Connection connection, @Parameters(paramLabel = "ACCOUNT", description = "alice, CONTOSO\\alice or a group.")
                   String account) {
        printSecurity(call(connection, ca -> ca.addOfficer(account)));
        return 0;
    }

    @Command(name = "remove-officer", mixinStandardHelpOptions = true,
            description = "Clear Issue and Manage Certificates for ACCOUNT (Certipy ca -remove-officer); needs Manage CA.")
    int removeOfficer(@Mixin Connection connection, @Parameters(paramLabel = "ACCOUNT") String account) {
        printSecurity(call(connection, ca -> ca.removeOfficer(account)));
        return 0;
    }

    @Command(name = "add-manager", mixinStandardHelpOptions = true, description = "Allow Manage CA to ACCOUNT; needs Manage CA.")
    int addManager(@Mixin Connection connection, @Parameters(paramLabel = "ACCOUNT") String account) {
        printSecurity(call(connection, ca -> ca.addManager(account)));
        return 0;
    }

    @Command(name = "remove-manager", mixinStandardHelpOptions = true, description = "Clear Manage CA for ACCOUNT; needs Manage CA.")
    int removeManager(@Mixin Connection connection, @Parameters(paramLabel = "ACCOUNT") String account) {
        printSecurity(call(connection, ca -> ca.removeManager(account)));
        return 0;
    }

    @Command(name = "security-add", mixinStandardHelpOptions = true,
            description = "Allow a permission of the CA's Security tab to ACCOUNT: officer, manager, enroll (Request Certificates) or read.")
    int securityAdd(@Mixin Connection connection, @Parameters(index = "0", paramLabel = "PERMISSION") String permission,
                    @Parameters(index = "1", paramLabel = "ACCOUNT") String account) {
        printSecurity(call(connection, ca -> ca.allow(permission, account)));
        return 0;
    }

    @Command(name = "security-remove", mixinStandardHelpOptions = true,
            description = "Clear a permission of the CA's Security tab for ACCOUNT: officer, manager, enroll or read.")
    int securityRemove(@Mixin Connection connection, @Parameters(index = "0", paramLabel = "PERMISSION") String permission,
                       @Parameters(index = "1", paramLabel = "ACCOUNT") String account) {
        printSecurity(call(connection, ca -> ca.disallow(permission, account)));
        return 0;
    }

    private void printSecurity(JsonNode answer) {
        out().println("Security of " + answer.path("ca").asText() + ":");
        answer.path("entries").forEach(e -> out().println(String.format("  %-5s %-42s %s", e.path("type").asText(),
                e.path("trustee").asText(), String.join(", ", iterable(e.path("permissions"))))));
        out().println("  " + answer.path("security").asText());
    }

    private static List<String> iterable(JsonNode array) {
        List<String> out = new java.util.ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Command(name = "deny", mixinStandardHelpOptions = true,
            description = "Deny a pending request (certutil -deny ID); the requester gets CERTSRV_E_ADMIN_DENIED_REQUEST.")
    int deny(@Mixin Connection connection, @Parameters(paramLabel = "REQUEST_ID") long id) {
        printRow(call(connection, ca -> ca.deny(id)));
        return 0;
    }

    /** The reasons by the names the lab prints, for {@code --help}: the same list the CA takes. */
    static final class ReasonNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return java.util.Arrays.stream(RevocationReason.values()).map(RevocationReason::rfcName).iterator();
        }
    }

    /** Checks the reason before anything is sent: a misspelt one is bad usage, and nothing is revoked. */
    static final class ReasonConverter implements CommandLine.ITypeConverter<RevocationReason> {
        @Override
        public RevocationReason convert(String value) {
            try {
                return RevocationReason.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Revoke an issued certificate and publish new CRLs (certutil -revoke SERIAL REASON).")
    int revoke(@Mixin Connection connection, @Parameters(paramLabel = "SERIAL", description = "Serial number, hex, as 'ca issued' shows it.")
               String serial,
               @Option(names = "--reason", paramLabel = "REASON", defaultValue = "unspecified", converter = ReasonConverter.class,
                       completionCandidates = ReasonNames.class,
                       description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}); certutil's number (1) or name "
                               + "(CRL_REASON_KEY_COMPROMISE) and any case are taken too.") RevocationReason reason) {
        out().println("Revoking " + serial + " (" + reason.rfcName() + ") and publishing new CRLs ...");
        out().flush();
        printRow(call(connection, ca -> ca.revoke(serial, reason)));
        return 0;
    }

    @Command(name = "publish-crl", mixinStandardHelpOptions = true,
            description = "Publish a new base and delta CRL now (certutil -CRL), to the CDP and the directory.")
    int publishCrl(@Mixin Connection connection) {
        out().println("Publishing CRLs ...");
        out().flush();
        JsonNode crl = call(connection, CaAdminClient::publishCrl);
        out().println("Published " + crl.path("crl").asText() + ": " + crl.path("entries").asInt() + " revoked, this update "
                + crl.path("thisUpdate").asText() + ", next update " + crl.path("nextUpdate").asText());
        return 0;
    }

    @Command(name = "scep-password", mixinStandardHelpOptions = true,
            description = {"A one-time SCEP challenge password from NDES (its https://<CA>/certsrv/mscep_admin/ page), for a device "
                    + "to put in its SCEP request; good for one request and 60 minutes, at most 5 waiting.",
                    "Needs Enroll on the templates NDES issues from (MSCEP\\...Template; IPSec (Offline request) by default), as on Windows."})
    int scepPassword(@Mixin Connection connection) {
        String password;
        try (DirectoryAdmin admin = connection.directory()) {
            password = connection.ca(admin, caName).scepChallengePassword();
        }
        out().println("The enrollment challenge password is: " + password);
        out().println("This password can be used only once and will expire within 60 minutes.");
        return 0;
    }

    @Command(name = "getreg", mixinStandardHelpOptions = true,
            description = {"Show the CA's registry settings (certutil -getreg): policy\\EditFlags, policy\\DisableExtensionList, "
                    + "CA\\InterfaceFlags, CA\\Security, CA\\EstDefaultTemplate and CA\\OcspUrl, NDES's MSCEP\\EncryptionTemplate, "
                    + "SignatureTemplate and GeneralPurposeTemplate, or the one NAME gives, with the flags' names.",
                    "Needs Read or Manage CA on the CA."})
    int getreg(@Mixin Connection connection,
               @Parameters(arity = "0..1", paramLabel = "NAME", description = "policy\\EditFlags, policy\\DisableExtensionList, "
                       + "CA\\InterfaceFlags, CA\\Security, CA\\EstDefaultTemplate or CA\\OcspUrl (the key may be left out; any case).") String name) {
        CaRegistrySettings.Value only = name == null ? null : registryValue("getreg", name);
        try (DirectoryAdmin admin = connection.directory()) {
            CaAdminClient ca = connection.ca(admin, caName);
            CaRegistrySettings settings = ca.registry();
            for (CaRegistrySettings.Value value : CaRegistrySettings.Value.values()) {
                if (only == null || only == value) {
                    out().println(registryPath(ca.caName(), value) + ":");
                    out().println();
                    printValue(settings, value);
                    out().println();
                }
            }
        }
        return 0;
    }

    @Command(name = "setreg", mixinStandardHelpOptions = true,
            description = {"Change a registry setting of the CA (certutil -setreg NAME CHANGE); needs Manage CA.",
                    "  +FLAG sets a bit (+OID adds to DisableExtensionList), -FLAG clears it (-OID removes), a plain FLAG or number "
                            + "replaces the whole value, as certutil does (a plain EDITF_... leaves only that bit set).",
                    "Examples, each a misconfiguration the lessons teach:",
                    "  pkilab ca setreg 'policy\\EditFlags' +EDITF_ATTRIBUTESUBJECTALTNAME2",
                    "      ESC6: the request's SAN attribute names the certificate",
                    "  pkilab ca setreg 'policy\\DisableExtensionList' +1.3.6.1.4.1.311.25.2",
                    "      ESC16: no certificate carries the SID extension",
                    "  pkilab ca setreg 'CA\\InterfaceFlags' -IF_ENFORCEENCRYPTICERTREQUEST",
                    "      ESC11: unencrypted ICertRequest RPC accepted",
                    "  pkilab ca setreg 'CA\\EstDefaultTemplate' WebServer",
                    "      (the lab's own value) the template of an EST request that names none, as strongSwan's pki --est sends; '' clears it",
                    "  pkilab ca setreg 'CA\\OcspUrl' responder",
                    "      (the lab's own value; Windows: the Extensions tab's OCSP box) certificates issued from now name the CA's Online "
                            + "Responder in their AIA; '' clears it",
                    "  pkilab ca setreg 'MSCEP\\GeneralPurposeTemplate' NdesDevices",
                    "      NDES (SCEP) issues requests that ask for both or neither key usage from NdesDevices (also EncryptionTemplate, "
                            + "SignatureTemplate; '' puts back IPSECIntermediateOffline)",
                    "On Windows a change counts after 'net stop certsvc && net start certsvc' (MSCEP: iisreset); the lab's CA applies it at once.",
                    "The CA's Security is its Security tab, not a value changed here."})
    int setreg(@Mixin Connection connection,
               @Parameters(index = "0", paramLabel = "NAME", description = "policy\\EditFlags, policy\\DisableExtensionList, "
                       + "CA\\InterfaceFlags, CA\\EstDefaultTemplate, CA\\OcspUrl or MSCEP\\EncryptionTemplate, SignatureTemplate, "
                       + "GeneralPurposeTemplate.") String name,
               @Parameters(index = "1", paramLabel = "CHANGE", description = "+FLAG, -FLAG, FLAG, a number (0x...), or OIDs for "
                       + "DisableExtensionList, a template name for EstDefaultTemplate, an http URL or 'responder' (the CA's own) for OcspUrl "
                       + "('' for none); flags as certsrv.h names them, "
                       + "with or without EDITF_/IF_.") String change) {
        CaRegistrySettings.Value value = registryValue("setreg", name);
        try {
            // checked here first: a misspelt flag is bad usage, and nothing is sent
            CaRegistrySettings.check(name, change);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.subcommands().get("setreg"), e.getMessage());
        }
        try (DirectoryAdmin admin = connection.directory()) {
            CaAdminClient ca = connection.ca(admin, caName);
            CaAdminClient.RegistryChange changed = ca.setRegistry(name, change);
            CaRegistrySettings before = changed.before();
            CaRegistrySettings after = changed.after();
            out().println(registryPath(ca.caName(), value) + ":");
            out().println();
            out().println("Old Value:");
            printValue(before, value);
            out().println();
            out().println("New Value:");
            printValue(after, value);
            out().println("CertUtil: -setreg command completed successfully.");
            out().println(ca.caName() + " applies it at once (a Windows CA needs 'net stop certsvc && net start certsvc' first).");
        }
        return 0;
    }

    private CaRegistrySettings.Value registryValue(String verb, String name) {
        try {
            return CaRegistrySettings.Value.named(name);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.subcommands().get(verb), e.getMessage());
        }
    }

    private static String registryPath(String caName, CaRegistrySettings.Value value) {
        if (value.ndes()) {
            return "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Cryptography\\MSCEP\\" + value.valueName();
        }
        String key = value.registryKey();
        return "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\CertSvc\\Configuration\\" + caName
                + (key.isEmpty() ? "" : "\\" + key) + "\\" + value.valueName();
    }

    /** One value as certutil -getreg prints it: the number in hex and decimal, then each bit set with its name. */
    private void printValue(CaRegistrySettings settings, CaRegistrySettings.Value value) {
        switch (value) {
            case EDIT_FLAGS -> printFlags(value, settings.editFlags(), CaRegistrySettings.EditFlag.class);
            case INTERFACE_FLAGS -> printFlags(value, settings.interfaceFlags(), CaRegistrySettings.InterfaceFlag.class);
            case DISABLE_EXTENSION_LIST -> {
                out().println("  " + value.valueName() + " " + value.registryType() + " =" + (settings.disableExtensionList().isEmpty() ? " (empty)" : ""));
                for (int i = 0; i < settings.disableExtensionList().size(); i++) {
                    String oid = settings.disableExtensionList().get(i);
                    out().println("    " + i + ": " + oid + (CaRegistrySettings.SID_EXTENSION.equals(oid) ? " szOID_NTDS_CA_SECURITY_EXT (the SID extension)" : ""));
                }
            }
            case SECURITY -> out().println("  " + value.valueName() + " " + value.registryType() + " = " + settings.security());
            case EST_DEFAULT_TEMPLATE -> out().println("  " + value.valueName() + " " + value.registryType() + " = "
                    + (settings.estDefaultTemplate().isEmpty() ? "(empty: an EST request naming no template is refused)" : settings.estDefaultTemplate()));
            case OCSP_URL -> out().println("  " + value.valueName() + " " + value.registryType() + " = "
                    + (settings.ocspUrl().isEmpty() ? "(empty: certificates name no OCSP responder)" : settings.ocspUrl()));
            case ACME_HTTP_PORT -> out().println("  " + value.valueName() + " " + value.registryType() + " = " + settings.acmeHttpPort()
                    + " (ACME http-01 answers are fetched from 127.0.0.1:" + settings.acmeHttpPort() + ")");
            case ACME_TLS_ALPN_PORT -> out().println("  " + value.valueName() + " " + value.registryType() + " = " + settings.acmeTlsAlpnPort()
                    + " (ACME tls-alpn-01 handshakes go to 127.0.0.1:" + settings.acmeTlsAlpnPort() + ")");
            case MSCEP_ENCRYPTION_TEMPLATE -> out().println("  " + value.valueName() + " " + value.registryType() + " = "
                    + settings.ndes().encryptionTemplate());
            case MSCEP_SIGNATURE_TEMPLATE -> out().println("  " + value.valueName() + " " + value.registryType() + " = "
                    + settings.ndes().signatureTemplate());
            case MSCEP_GENERAL_PURPOSE_TEMPLATE -> out().println("  " + value.valueName() + " " + value.registryType() + " = "
                    + settings.ndes().generalPurposeTemplate());
        }
    }

    private <F extends Enum<F> & CaRegistrySettings.Flag> void printFlags(CaRegistrySettings.Value value, int flags, Class<F> type) {
        out().println(String.format("  %s %s = %x (%d)", value.valueName(), value.registryType(), flags, Integer.toUnsignedLong(flags)));
        for (F flag : type.getEnumConstants()) {
            if (flag.isSetIn(flags)) {
                out().println(String.format("    %s -- %x (%d)", flag.name(), flag.value(), flag.value()));
            }
        }
        int unknown = flags;
        for (F flag : type.getEnumConstants()) {
            unknown &= ~flag.value();
        }
        if (unknown != 0) {
            out().println(String.format("    0x%x -- bits certsrv.h does not name", unknown));
        }
    }
}
