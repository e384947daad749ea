package org.pkilab.scenario;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.cli.Cli;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a run tells about a client without a certificate at the management point: what happened on the wire, and what IIS would log. */
class ManagementPointNarrationTest {

    @Test
    void aClientWithoutCertificateIsNarratedAsTheTlsAlertItWasAndTheStatusIisWouldLog(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("no-client-certificate.yaml");
        Files.writeString(file, """
                name: no-client-certificate
                title: "A client without a certificate at an HTTPS management point"
                lab:
                  computers:
                    - {name: IIS01, role: iis, dns: [server1.internal.contoso.com]}
                    - {name: PC01, role: client}
                steps:
                  - include: web-template
                  - restart: IIS01
                  - request certificate: {host: IIS01, template: ConfigMgr Web Server Certificate, dns: [server1.internal.contoso.com]}
                  - bind https: {host: IIS01, template: ConfigMgr Web Server Certificate}
                  - install management point: IIS01
                  - connect: {from: PC01, to: IIS01, name: server1.internal.contoso.com, path: "/SMS_MP/.sms_aut?MPLIST"}
                    says: Without a client certificate the management point refuses the connection.
                    expect: {error: "403.7"}
                """);
        Cli.Result run = Cli.pkilab("run", file.toString());
        assertEquals(0, run.exit(), run.toString());
        assertTrue(run.out().contains("failed in the TLS handshake") && run.out().contains("curl: exit 56"), run.out());
        assertTrue(run.out().contains("HTTP 403.7 Client certificate required, logged as sc-status 403, sc-substatus 7"), run.out());
    }
}
