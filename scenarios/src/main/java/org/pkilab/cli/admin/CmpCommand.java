package org.pkilab.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import org.pkilab.directory.client.DirectoryAdmin;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;

/**
 * What an administrator hands a CMP client (RFC 9483) before its first enrollment: a shared secret for a domain account,
 * with which the client MAC-protects its {@code ir}. Whoever holds the secret enrolls as that account, judged against each
 * template's Enroll right with the account's token, so it is issued by a holder of Manage CA, through the CA's
 * administration interface, and shown once:
 *
 * <pre>
 * pkilab cmp secret 'CONTOSO\IIS01$'
 *   reference  5c1f0e9a27d4b3e8
 *   secret     9xK2...
 *   openssl cmp -cmd ir -server ca01.contoso.com:8080 -path /.well-known/cmp/p/&lt;template&gt; -ref 5c1f0e9a27d4b3e8 -secret pass:9xK2... ...
 * </pre>
 *
 * A new secret for an account replaces the one it had; {@code pkilab cmp secret --remove ACCOUNT} removes it. Once enrolled, the client signs with its certificate instead
 * ({@code cr}, {@code kur}, {@code rr}).
 */
@Command(name = "cmp", mixinStandardHelpOptions = true,
        description = "CMP (RFC 9483) at the enterprise CA: secret issues a shared secret for an account.")
public final class CmpCommand implements Runnable {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--ca", paramLabel = "NAME", scope = CommandLine.ScopeType.INHERIT,
            description = "The CA, as CN=Enrollment Services names it (default: the forest's only enterprise CA).")
    String caName;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "secret", mixinStandardHelpOptions = true,
            description = "Issue a CMP shared secret for ACCOUNT (replacing its earlier one), or with --remove remove it; needs Manage CA. "
                    + "The secret is shown once.")
    int secret(@Mixin Connection connection,
               @Option(names = "--remove", description = "Remove ACCOUNT's secret: messages protected with it are refused from now on.")
               boolean remove,
               @Parameters(paramLabel = "ACCOUNT", description = "The user or computer: IIS01$, CONTOSO\\IIS01$, alice.") String account) {
        PrintWriter out = spec.commandLine().getOut();
        JsonNode answer;
        try (DirectoryAdmin admin = connection.directory()) {
            if (remove) {
                answer = connection.ca(admin, caName).removeCmpSecret(account);
                out.println("Removed the CMP secret of " + answer.path("account").asText() + " at " + answer.path("ca").asText()
                        + ": messages protected with it are refused from now on.");
                return 0;
            }
            answer = connection.ca(admin, caName).issueCmpSecret(account);
        }
        String reference = answer.path("reference").asText();
        String secret = answer.path("secret").asText();
        out.println("CMP secret for " + answer.path("account").asText() + " at " + answer.path("ca").asText()
                + " (shown once; it replaces any earlier one):");
        out.println("  reference  " + reference);
        out.println("  secret     " + secret);
        String url = answer.path("url").asText();
        java.net.URI uri = java.net.URI.create(url);
        out.println("  openssl cmp -cmd ir -server " + uri.getHost() + ":" + uri.getPort() + " -path " + uri.getPath()
                + "/p/<template> -ref " + reference + " -secret pass:" + secret + " -newkey key.pem -subject /CN=<name> -certout cert.pem");
        return 0;
    }
}
