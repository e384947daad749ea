package org.pkilab.lab;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.pki.KeyFiles;
import org.pkilab.testing.ExternalTool;
import org.pkilab.testing.ExternalTool.Result;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DC's LDAPS and StartTLS as OpenLDAP's {@code ldapsearch} and {@code openssl s_client} see them once the
 * enterprise CA runs: the DC serves the Kerberos Authentication certificate it autoenrolled for, so the
 * enterprise root alone ({@code LDAPTLS_CACERT}, certificate checks left at their default {@code demand})
 * verifies {@code dc01.contoso.com}, as against a Windows DC.
 *
 * <p>The lab has no DNS server: each tool runs in a mount namespace of its own whose {@code /etc/hosts}
 * names {@code dc01.contoso.com} 127.0.0.1 ({@code unshare --mount}, root as CI runs), the way
 * {@code curl --resolve} names a lab host for one command. The machine's own {@code /etc/hosts} is not touched.
 */
class DomainControllerCertificateTest {

    @TempDir
    static Path folder;
    private static Lab lab;
    private static Path hosts;

    @BeforeAll
    static void start() throws Exception {
        lab = Lab.start(LabSpec.builder().build());
        Files.writeString(folder.resolve("root.pem"), KeyFiles.pem(lab.ca().certificate()));
        hosts = folder.resolve("hosts");
        Files.writeString(hosts, "127.0.0.1 localhost\n127.0.0.1 " + lab.dc().fqdn() + "\n");
    }

    @AfterAll
    static void stop() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void ldapsearchOverLdapsVerifiesTheDcByNameWithTheEnterpriseRootAlone() throws Exception {
        Result search = trustingTheRoot("ldapsearch", "-LLL", "-x", "-H", "ldaps://" + lab.dc().fqdn() + ":" + lab.dc().ldapsPort(),
                "-D", lab.dc().administratorDn(), "-w", lab.password(), "-b", lab.dc().names().template("KerberosAuthentication"),
                "-s", "base", "displayName");
        assertEquals(0, search.exit(), "ldapsearch -H ldaps://" + lab.dc().fqdn() + " trusting only " + lab.ca().name() + ": " + search);
        assertTrue(search.out().contains("displayName: Kerberos Authentication"), search.out());
    }

    @Test
    void ldapsearchWithStartTlsVerifiesTheDcByNameWithTheEnterpriseRootAlone() throws Exception {
        Result search = trustingTheRoot("ldapsearch", "-LLL", "-ZZ", "-x", "-H", "ldap://" + lab.dc().fqdn() + ":" + lab.dc().ldapPort(),
                "-D", lab.dc().administratorDn(), "-w", lab.password(), "-b", "", "-s", "base", "namingContexts");
        assertEquals(0, search.exit(), "ldapsearch -ZZ on " + lab.dc().fqdn() + " trusting only " + lab.ca().name() + ": " + search);
        assertTrue(search.out().contains(lab.dc().names().domain()), search.out());
    }

    @Test
    void opensslVerifiesTheLdapsChainAndTheDcsName() throws Exception {
        Result sClient = ExternalTool.run(folder, Map.of(), "", "openssl", "s_client", "-connect", "127.0.0.1:" + lab.dc().ldapsPort(),
                "-CAfile", "root.pem", "-verify_return_error", "-verify_hostname", lab.dc().fqdn());
        assertEquals(0, sClient.exit(), "openssl s_client on the LDAPS port of " + lab.dc().fqdn() + ": " + sClient);
        assertTrue(sClient.out().contains("Verify return code: 0 (ok)"), sClient.out());
    }

    @Test
    void theDcsCertificateIsKerberosAuthenticationNamingTheDcAndTheDomain() throws Exception {
        List<X509Certificate> chain = lab.dc().serverCertificateChain();
        X509Certificate served = chain.get(0);
        assertEquals(lab.ca().certificate(), chain.get(chain.size() - 1), "LDAPS sends the chain up to " + lab.ca().name());
        assertEquals("", served.getSubjectX500Principal().getName(), "Kerberos Authentication builds no subject");
        List<String> dnsNames = new ArrayList<>();
        for (List<?> name : served.getSubjectAlternativeNames()) {
            if (Integer.valueOf(2).equals(name.get(0))) {
                dnsNames.add((String) name.get(1));
            }
        }
        assertEquals(List.of(lab.dc().fqdn(), lab.dc().domainName()), dnsNames);
        assertEquals(List.of("1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.1", "1.3.6.1.4.1.311.20.2.2", "1.3.6.1.5.2.3.5"),
                served.getExtendedKeyUsage(), "Client and Server Authentication, Smart Card Logon, KDC Authentication");
        assertTrue(lab.ca().issued().stream().anyMatch(r -> r.requester().equals("CONTOSO\\DC01$") && r.template().equals("KerberosAuthentication")
                && r.serial().equals(served.getSerialNumber())), "DC01$'s Kerberos Authentication request in the CA's Issued Certificates: "
                + lab.ca().issued());
    }

    @Test
    void aLastingLabKeepsTheDcsCertificateAcrossRestartsAndRenewsItWhenDue(@TempDir Path data) {
        Lab.Site site = new Lab.Site(data, 0, 0, 0, 0);
        X509Certificate first;
        try (Lab lasting = Lab.start(LabSpec.builder().build(), site)) {
            first = lasting.dc().serverCertificateChain().get(0);
            assertEquals(lasting.ca().certificate().getSubjectX500Principal(), first.getIssuerX500Principal());
        }
        try (Lab again = Lab.start(LabSpec.builder().build(), site)) {
            assertEquals(first.getSerialNumber(), again.dc().serverCertificateChain().get(0).getSerialNumber(),
                    "a restarted lab serves the certificate it was issued, not a new one");
            again.clock().advance(Duration.ofDays(300));
            X509Certificate renewed = again.dc().serverCertificateChain().get(0);
            assertNotEquals(first.getSerialNumber(), renewed.getSerialNumber(), "renewed at 80% of its year");
            assertTrue(renewed.getNotAfter().after(first.getNotAfter()), renewed.getNotAfter() + " after " + first.getNotAfter());
        }
    }

    /** Runs a tool that trusts the enterprise root alone and resolves the DC's name to 127.0.0.1. */
    private static Result trustingTheRoot(String... command) throws Exception {
        List<String> line = new ArrayList<>(List.of("env", "-u", "LDAPTLS_REQCERT", "-u", "LDAPTLS_CACERTDIR",
                "LDAPTLS_CACERT=" + folder.resolve("root.pem"), "unshare", "--mount", "sh", "-c",
                "mount --bind \"$0\" /etc/hosts && exec \"$@\"", hosts.toString()));
        line.addAll(List.of(command));
        Result result = ExternalTool.run(folder, Map.of(), null, line.toArray(new String[0]));
        assertTrue(!result.err().contains("mount:") && !result.err().contains("unshare:"),
                "this test gives ldapsearch a private /etc/hosts naming " + lab.dc().fqdn() + "; it needs root, as CI runs: " + result);
        return result;
    }
}
