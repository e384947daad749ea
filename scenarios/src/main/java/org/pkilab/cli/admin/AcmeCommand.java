package org.pkilab.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import org.pkilab.admin.CaAdminClient;
import org.pkilab.directory.client.DirectoryAdmin;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * ACME in front of the enterprise CA, as an administrator runs it: an ACME client may make an account only with an
 * external account binding, a key id and HMAC key issued here for a directory account, and every order of that ACME
 * account is then judged with that directory account's token against the template's Enroll right.
 *
 * <pre>
 * pkilab acme eab alice --template ACMEWebServer
 *   External account binding for CONTOSO\alice at contoso-CA01-CA (one ACME account can be made with it):
 *     Key id:    kXq3...
 *     HMAC key:  v1Zk... (base64url)
 *     Directory: https://ca01.contoso.com:8443/acme/ACMEWebServer/directory
 *   certbot register --server &lt;directory&gt; --eab-kid kXq3... --eab-hmac-key v1Zk...
 *   lego --server &lt;directory&gt; --eab --kid kXq3... --hmac v1Zk... ...
 * </pre>
 */
@Command(name = "acme", mixinStandardHelpOptions = true,
        description = "ACME (RFC 8555) in front of the enterprise CA: eab issues an external account binding for a directory account.")
public final class AcmeCommand implements Runnable {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--ca", paramLabel = "NAME", scope = CommandLine.ScopeType.INHERIT,
            description = "The CA, as CN=Enrollment Services names it (default: the forest's only enterprise CA).")
    String caName;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "eab", mixinStandardHelpOptions = true,
            description = "Issue a key id and HMAC key with which one ACME account can be made, bound to ACCOUNT (needs Manage CA on the CA).")
    int eab(@Mixin Connection connection,
            @Parameters(paramLabel = "ACCOUNT", description = "The directory account the ACME account acts as: alice, CONTOSO\\alice, IIS01$.")
            String account,
            @Option(names = "--template", paramLabel = "TEMPLATE", defaultValue = "WebServer",
                    description = "The template whose ACME directory the commands printed name (default: ${DEFAULT-VALUE}).")
            String template) {
        try (DirectoryAdmin admin = connection.directory()) {
            CaAdminClient ca = connection.ca(admin, caName);
            JsonNode key = ca.acmeExternalAccountKey(account);
            String directory = ca.acmeDirectory(template);
            var out = spec.commandLine().getOut();
            out.println("External account binding for " + key.path("account").asText() + " at " + key.path("ca").asText()
                    + " (one ACME account can be made with it):");
            out.println("  Key id:    " + key.path("keyId").asText());
            out.println("  HMAC key:  " + key.path("hmacKey").asText() + " (base64url)");
            out.println("  Directory: " + directory);
            out.println("certbot register --server " + directory + " --eab-kid " + key.path("keyId").asText() + " --eab-hmac-key "
                    + key.path("hmacKey").asText());
            out.println("lego --server " + directory + " --eab --kid " + key.path("keyId").asText() + " --hmac "
                    + key.path("hmacKey").asText() + " --domains <name> --http run");
            return 0;
        }
    }
}
