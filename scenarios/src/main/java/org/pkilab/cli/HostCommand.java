package org.pkilab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.pkilab.pki.KeyFiles;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code pkilab host ...}: what an administrator does at one of a running lab's computers (restart it,
 * open the Certificates snap-in, Request New Certificate, export a PFX), sent to the console that
 * {@code pkilab up} runs for its computers ({@code org.pkilab.lab.LabControl}).
 */
@Command(name = "host", mixinStandardHelpOptions = true,
        description = "Act on a computer of a running lab (pkilab up): list, add, certificates, restart, request, pending, retrieve, "
                + "refresh-crl, refresh-ocsp, import, export.",
        subcommands = {HostCommand.ListHosts.class, HostCommand.Add.class, HostCommand.Certificates.class, HostCommand.Restart.class,
                HostCommand.Request.class, HostCommand.Pending.class, HostCommand.Retrieve.class, HostCommand.RefreshCrl.class, HostCommand.RefreshOcsp.class,
                HostCommand.Import.class, HostCommand.Export.class})
final class HostCommand {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A domain user who logs on at the computer, for the user's own store and certificates. */
    static final class UserLogon {
        @Option(names = "--user", paramLabel = "NAME", description = "A domain user who logs on at the computer (CurrentUser\\My).")
        String name;

        @Option(names = "--user-password", paramLabel = "PW", defaultValue = "${env:PKILAB_USER_PASSWORD}",
                description = "The user's password (default: $PKILAB_USER_PASSWORD, else the lab's, which a scenario's users have).")
        String password;

        ObjectNode body(ObjectNode body) {
            if (name != null) {
                body.put("user", name);
                if (password != null && !password.isEmpty()) {
                    body.put("password", password);
                }
            }
            return body;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "The lab's computers, their token groups and https sites.")
    static final class ListHosts extends LabControlClient.Verb {
        @Override
        void run(PrintWriter out) {
            for (JsonNode host : console.call("GET", "/hosts", null)) {
                describeHost(out, host);
            }
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Start a computer for an account in the domain (pkilab computer create makes one; without one it is joined): "
                    + "it logs on with its machine password and boots, and the lab keeps it for its next start.")
    static final class Add extends LabControlClient.Verb {
        @Parameters(paramLabel = "NAME", description = "The computer's name (PC07), as its account NAME$.")
        String name;

        @Option(names = "--role", paramLabel = "client|iis", defaultValue = "client",
                description = "A Windows client, or an IIS member server (default: ${DEFAULT-VALUE}).")
        String role;

        @Option(names = "--dns", paramLabel = "NAME", split = ",", description = "More DNS names the computer answers to.")
        List<String> dns;

        @Option(names = "--machine-password", paramLabel = "PW", description = "The account's password, as 'computer create "
                + "--machine-password' set it (default: the lab's, which the lab's own accounts have).")
        String machinePassword;

        @Override
        void run(PrintWriter out) {
            if (!role.equalsIgnoreCase("client") && !role.equalsIgnoreCase("iis")) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--role must be client or iis, not " + role);
            }
            ObjectNode body = JSON.createObjectNode().put("name", name).put("role", role);
            if (dns != null) {
                body.putPOJO("dns", dns);
            }
            if (machinePassword != null) {
                body.put("machinePassword", machinePassword);
            }
            out.println("Starting " + name + " (logon, Group Policy, autoenrollment) ...");
            out.flush();
            describeHost(out, console.call("POST", "/hosts", body));
        }
    }

    @Command(name = "certificates", mixinStandardHelpOptions = true,
            description = "A computer's LocalMachine\\My, as the Certificates snap-in lists it (a Mac's System keychain); "
                    + "with --user, that user's CurrentUser\\My.")
    static final class Certificates extends LabControlClient.Verb {
        @Parameters(paramLabel = "HOST", description = "The computer (IIS01).")
        String host;

        @Mixin
        UserLogon user;

        @Override
        void run(PrintWriter out) {
            JsonNode store = user.name == null ? console.call("GET", "/hosts/" + host + "/certificates", null)
                    : console.call("POST", "/hosts/" + host + "/user-certificates", user.body(JSON.createObjectNode()));
            JsonNode certificates = store.path("certificates");
            out.println(store.path("store").asText() + " of " + host + (certificates.isEmpty() ? " is empty" : " holds:"));
            certificates.forEach(c -> describeCertificate(out, c));
        }
    }

    @Command(name = "restart", mixinStandardHelpOptions = true,
            description = "Restart a computer: a new logon token, Group Policy, autoenrollment.")
    static final class Restart extends LabControlClient.Verb {
        @Parameters(paramLabel = "HOST", description = "The computer (IIS01).")
        String host;

        @Override
        void run(PrintWriter out) {
            out.println("Restarting " + host + " (logon, Group Policy, autoenrollment) ...");
            out.flush();
            JsonNode answer = console.call("POST", "/hosts/" + host + "/restart", JSON.createObjectNode());
            describeHost(out, answer);
            answer.path("store").forEach(c -> describeCertificate(out, c));
        }
    }

    @Command(name = "request", mixinStandardHelpOptions = true,
            description = "Request New Certificate on a computer, into LocalMachine\\My; with --user, as that user into CurrentUser\\My.")
    static final class Request extends LabControlClient.Verb {
        @Mixin
        UserLogon user;

        @Parameters(index = "0", paramLabel = "HOST", description = "The computer (IIS01).")
        String host;

        @Parameters(index = "1", paramLabel = "TEMPLATE", description = "The template's name or display name.")
        String template;

        @Option(names = "--dns", paramLabel = "NAME", split = ",", description = "DNS names for the SAN, in order.")
        List<String> dns;

        @Option(names = "--common-name", paramLabel = "CN", description = "The subject's common name.")
        String commonName;

        @Option(names = "--key-size", paramLabel = "BITS", description = "RSA key size (default: the template's minimum).")
        Integer keySize;

        @Override
        void run(PrintWriter out) {
            ObjectNode body = JSON.createObjectNode().put("template", template);
            if (dns != null) {
                body.putPOJO("dns", dns);
            }
            if (commonName != null) {
                body.put("commonName", commonName);
            }
            if (keySize != null) {
                body.put("keySize", keySize);
            }
            user.body(body);
            out.println("Requesting '" + template + "' on " + host + (user.name == null ? "" : " as " + user.name + " into CurrentUser\\My")
                    + " (key generation and enrollment) ...");
            out.flush();
            describeCertificate(out, console.call("POST", "/hosts/" + host + "/request", body));
        }
    }

    @Command(name = "pending", mixinStandardHelpOptions = true,
            description = "A computer's requests that wait for a certificate manager (the snap-in's Certificate Enrollment Requests).")
    static final class Pending extends LabControlClient.Verb {
        @Parameters(paramLabel = "HOST", description = "The computer (IIS01).")
        String host;

        @Override
        void run(PrintWriter out) {
            JsonNode list = console.call("GET", "/hosts/" + host + "/pending", null);
            out.println(list.isEmpty() ? host + " has no pending requests." : "Pending requests of " + host + ":");
            list.forEach(p -> out.println("  request " + p.path("requestId").asLong() + "   Certificate Template: " + p.path("template").asText()
                    + "   for " + p.path("store").asText() + "   (pkilab host retrieve " + host + " " + p.path("requestId").asLong() + ")"));
        }
    }

    @Command(name = "retrieve", mixinStandardHelpOptions = true,
            description = "certreq -retrieve: fetch a request again and install its certificate once a certificate manager approved it, or resubmitted it after a denial.")
    static final class Retrieve extends LabControlClient.Verb {
        @Parameters(index = "0", paramLabel = "HOST", description = "The computer that made the request (IIS01).")
        String host;

        @Parameters(index = "1", paramLabel = "REQUEST_ID", description = "The request id the CA gave (pkilab host pending, pkilab ca pending).")
        long id;

        @Override
        void run(PrintWriter out) {
            if (id < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "REQUEST_ID must be a request id of 1 or more, not " + id);
            }
            out.println("Retrieving request " + id + " on " + host + " ...");
            out.flush();
            describeCertificate(out, console.call("POST", "/hosts/" + host + "/retrieve", JSON.createObjectNode().put("id", id)));
        }
    }

    /** {@code certutil -urlcache ... delete}: a computer forgets one of its URL caches; {@code route} names it to the control API. */
    abstract static class UrlCacheDelete extends LabControlClient.Verb {
        @Parameters(paramLabel = "HOST", description = "The computer (IIS01).")
        String host;

        private final String route;
        private final String forgot;

        UrlCacheDelete(String route, String forgot) {
            this.route = route;
            this.forgot = forgot;
        }

        @Override
        void run(PrintWriter out) {
            int forgotten = console.call("POST", "/hosts/" + host + "/" + route, JSON.createObjectNode()).path("forgotten").asInt();
            out.println(host + " forgot " + forgotten + " " + forgot);
        }
    }

    @Command(name = "refresh-crl", mixinStandardHelpOptions = true,
            description = "certutil -urlcache CRL delete: the computer forgets its cached CRLs and fetches them anew at its next check, "
                    + "so a revocation counts before the cached CRL's next update (an IIS server then refuses a revoked client certificate).")
    static final class RefreshCrl extends UrlCacheDelete {
        RefreshCrl() {
            super("refresh-crl", "cached CRL(s); it fetches them anew from the CDP at its next certificate check.");
        }
    }

    @Command(name = "refresh-ocsp", mixinStandardHelpOptions = true,
            description = "certutil -urlcache OCSP delete: the computer forgets the Online Responder's answers it cached and asks anew at its "
                    + "next check, so a revocation counts before a cached 'good' answer's next update.")
    static final class RefreshOcsp extends UrlCacheDelete {
        RefreshOcsp() {
            super("refresh-ocsp", "cached OCSP answer(s); it asks the Online Responder anew at its next certificate check.");
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Certificate Import Wizard: a PFX into LocalMachine\\My; its key can be exported again only with --exportable.")
    static final class Import extends LabControlClient.Verb {
        @Parameters(index = "0", paramLabel = "HOST", description = "The computer (IIS02).")
        String host;

        @Parameters(index = "1", paramLabel = "FILE", description = "The PFX file (pkilab host export wrote it).")
        Path file;

        @Option(names = "--password", paramLabel = "PW", defaultValue = "${env:PKILAB_PFX_PASSWORD}",
                description = "The PFX password (default: $PKILAB_PFX_PASSWORD).")
        String password;

        @Option(names = "--exportable", description = "Mark this key as exportable (default: not, as the wizard's box is unticked).")
        boolean exportable;

        @Override
        void run(PrintWriter out) {
            byte[] pfx;
            try {
                pfx = Files.readAllBytes(file);
            } catch (java.io.IOException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "cannot read " + file + ": "
                        + (e instanceof java.nio.file.NoSuchFileException ? "there is no such file" : e.getMessage()));
            }
            ObjectNode body = JSON.createObjectNode().put("fileName", String.valueOf(file.getFileName()))
                    .put("pfx", java.util.Base64.getEncoder().encodeToString(pfx)).put("password", password).put("exportable", exportable);
            JsonNode answer = console.call("POST", "/hosts/" + host + "/import", body);
            out.println("Imported into LocalMachine\\My of " + host + (exportable ? ", key marked exportable:" : ", key not exportable:"));
            describeCertificate(out, answer);
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Certificate Export Wizard: a certificate with its private key to a PFX file.")
    static final class Export extends LabControlClient.Verb {
        @Parameters(index = "0", paramLabel = "HOST", description = "The computer (IIS01).")
        String host;

        @Parameters(index = "1", paramLabel = "THUMBPRINT", description = "The certificate's thumbprint (pkilab host certificates).")
        String thumbprint;

        @Option(names = "--file", paramLabel = "FILE", required = true, description = "The PFX file to write.")
        Path file;

        @Option(names = "--password", paramLabel = "PW", defaultValue = "${env:PKILAB_PFX_PASSWORD}",
                description = "The PFX password; a strong one (default: $PKILAB_PFX_PASSWORD).")
        String password;

        @Override
        void run(PrintWriter out) {
            if (password == null || password.isEmpty()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "give the PFX password with --password or PKILAB_PFX_PASSWORD");
            }
            ObjectNode body = JSON.createObjectNode().put("thumbprint", thumbprint).put("password", password);
            JsonNode answer = console.call("POST", "/hosts/" + host + "/export", body);
            try {
                // written here, as the user running this command, where that user may write
                KeyFiles.writeAtomically(file.toAbsolutePath(), java.util.Base64.getDecoder().decode(answer.path("pfx").asText()));
            } catch (java.io.IOException e) {
                throw new IllegalStateException("cannot write " + file.toAbsolutePath() + ": " + e.getMessage(), e);
            }
            out.println("Exported " + thumbprint + " from " + host + " with its private key to " + file.toAbsolutePath());
        }
    }

    private static void describeHost(PrintWriter out, JsonNode host) {
        if (host.path("role").asText().equals("mac") || host.path("role").asText().equals("device")) {
            out.printf("%-8s %s (%s, not joined to the domain), %d certificate(s) in the %s%n", host.path("name").asText(),
                    host.path("fqdn").asText(), host.path("role").asText().equals("mac") ? "mac" : "network device",
                    host.path("certificates").asInt(), host.path("store").asText());
            return;
        }
        out.printf("%-8s %s (%s), AEPolicy %d, %d certificate(s) in LocalMachine\\My%n", host.path("name").asText(),
                host.path("fqdn").asText(), host.path("role").asText(), host.path("aePolicy").asInt(), host.path("certificates").asInt());
        if (host.has("tokenGroups")) {
            out.println("         token groups: " + String.join(", ", JSON.convertValue(host.get("tokenGroups"), String[].class)));
        }
        if (host.has("https")) {
            out.println("         Default Web Site " + host.path("https").asText() + " (certificate " + host.path("binding").asText()
                    + ", client certificates " + host.path("clientCertificates").asText() + ")");
        }
    }

    private static void describeCertificate(PrintWriter out, JsonNode c) {
        out.println("  Issued To: " + c.path("issuedTo").asText() + "   SAN: " + String.join(", ", JSON.convertValue(c.get("dnsNames"), String[].class)));
        out.println("    Intended Purposes: " + String.join(", ", JSON.convertValue(c.get("intendedPurposes"), String[].class))
                + "   Certificate Template: " + c.path("certificateTemplate").asText() + "   Key: " + c.path("keyStorage").asText()
                + (c.path("exportable").asBoolean() ? ", exportable" : "") + (c.path("imported").asBoolean() ? ", imported from a PFX" : ""));
        out.println("    Thumbprint: " + c.path("thumbprint").asText() + "   Valid: " + c.path("notBefore").asText() + " to "
                + c.path("notAfter").asText());
        out.println("    Issuer: " + c.path("issuer").asText());
    }
}
