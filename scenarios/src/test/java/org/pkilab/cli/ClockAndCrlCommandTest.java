package org.pkilab.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.ca.CertificationAuthority;
import org.pkilab.ca.RevocationReason;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.host.DomainComputer;
import org.pkilab.host.HttpsResult;
import org.pkilab.host.StoredCertificate;
import org.pkilab.iis.IisServer;
import org.pkilab.lab.Lab;
import org.pkilab.lab.LabControl;
import org.pkilab.scenario.BuiltInScenarios;
import org.pkilab.scenario.Narration;
import org.pkilab.scenario.Scenario;
import org.pkilab.scenario.ScenarioParser;
import org.pkilab.scenario.ScenarioRunner;
import org.pkilab.scenario.StepResult;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code pkilab host refresh-crl}, {@code refresh-ocsp} and {@code pkilab clock advance} against a running lab: a client
 * certificate revoked at the CA is refused by the management point once it has a CRL that lists it, which it fetches when
 * told to forget its cached one or when the lab's clock passes the cached CRL's next update, or, for a certificate that
 * names the Online Responder, once it forgets the 'good' answer it cached and asks again; without restarting the lab.
 */
class ClockAndCrlCommandTest {

    private static final String MP_LIST = "/SMS_MP/.sms_aut?MPLIST";

    /** The guide's management point, and clients that autoenroll their certificates. */
    private static final String SITE = """
            name: management-point
            title: "An HTTPS management point, and clients that autoenroll their certificates"
            lab:
              computers:
                - {name: IIS01, role: iis, dns: [server1.internal.contoso.com]}
                - {name: PC02, role: client}
                - {name: PC03, role: client}
                - {name: PC04, role: client}
                - {name: PC05, role: client}
            steps:
              - include: web-template
              - duplicate template: {template: Workstation Authentication, name: ConfigMgr Client Certificate}
              - allow: {template: ConfigMgr Client Certificate, principal: Domain Computers, rights: [Read, Autoenroll]}
              - issue template: ConfigMgr Client Certificate
              - create gpo: {name: Autoenroll Certificates, autoenrollment: enabled}
              - restart: IIS01
              - request certificate: {host: IIS01, template: ConfigMgr Web Server Certificate, dns: [server1.internal.contoso.com]}
              - bind https: {host: IIS01, template: ConfigMgr Web Server Certificate}
              - install management point: IIS01
              - restart: PC02
              - restart: PC03
              - set ca registry: {value: CA\\OcspUrl, change: responder}
              - restart: PC04
              - restart: PC05
            """;
    private static Lab lab;

    @BeforeAll
    static void startSite(@TempDir Path work) {
        Scenario scenario = new ScenarioParser(BuiltInScenarios::text).parse("management-point.yaml", SITE);
        lab = Lab.start(scenario.lab());
        List<StepResult> results = new ScenarioRunner(lab, work).run(scenario, result -> {
        });
        assertTrue(results.stream().allMatch(StepResult::asExpected), "the site did not come up:\n" + Narration.of(results));
    }

    @AfterAll
    static void stopSite() {
        lab.close();
    }

    private static Cli.Result pkilab(LabControl control, String... args) {
        String[] all = new String[args.length + 4];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(new String[]{"--control", control.url(), "--token", control.token()}, 0, all, args.length, 4);
        return Cli.pkilab(all);
    }

    private static StoredCertificate revokedAfterUse(DomainComputer client, IisServer mp, CertificationAuthority ca, DirectoryAdmin admin) {
        StoredCertificate certificate = client.clientAuthenticationCertificate(admin.templates().get("ConfigMgr Client Certificate").name())
                .orElseThrow(() -> new AssertionError(client.name() + " holds no client certificate; its event log:\n" + client.eventLog()));
        HttpsResult before = client.get(mp.url("server1.internal.contoso.com", MP_LIST), certificate);
        assertTrue(before.connected(), client.name() + " -> " + mp.name() + " before the revocation: " + before.failure());
        ca.revoke(certificate.certificate().getSerialNumber(), RevocationReason.KEY_COMPROMISE, "CONTOSO\\Administrator");
        HttpsResult cached = client.get(mp.url("server1.internal.contoso.com", MP_LIST), certificate);
        assertTrue(cached.connected(), mp.name() + " still holds the CRL it cached before the revocation, as IIS does");
        return certificate;
    }

    private static void assertRefusedAsRevoked(DomainComputer client, IisServer mp, StoredCertificate certificate) {
        HttpsResult after = client.get(mp.url("server1.internal.contoso.com", MP_LIST), certificate);
        assertFalse(after.connected(), client.name() + "'s revoked certificate was still accepted by " + mp.name());
        List<String> rejections = mp.clientCertificateRejections();
        assertTrue(rejections.get(rejections.size() - 1).contains("CRYPT_E_REVOKED"), "SChannel on " + mp.name() + ": " + rejections);
        // the client certificate's subject is empty: the refusal names it by the DNS name in its SAN, not as ''
        assertTrue(rejections.get(rejections.size() - 1).contains("'" + client.fqdn() + " (empty subject, DNS name in the SAN)'"),
                "the refusal names " + client.name() + "'s certificate: " + rejections);
    }

    @Test
    void refreshCrlMakesTheManagementPointRefuseARevokedCertificate() {
        DomainComputer pc02 = lab.computer("PC02");
        IisServer mp = (IisServer) lab.computer("IIS01");
        StoredCertificate certificate = revokedAfterUse(pc02, mp, lab.ca(), lab.admin());
        try (LabControl control = LabControl.start(lab, 0)) {
            Cli.Result refresh = pkilab(control, "host", "refresh-crl", mp.name());
            assertEquals(0, refresh.exit(), refresh.toString());
            assertTrue(refresh.out().contains(mp.name() + " forgot "), refresh.out());
        }
        assertRefusedAsRevoked(pc02, mp, certificate);
    }

    @Test
    void refreshOcspMakesTheManagementPointAskTheOnlineResponderAgainAndRefuseARevokedCertificate() {
        DomainComputer pc04 = lab.computer("PC04");
        IisServer mp = (IisServer) lab.computer("IIS01");
        // PC04's certificate names the Online Responder: the management point cached its 'good' answer before the revocation
        StoredCertificate certificate = revokedAfterUse(pc04, mp, lab.ca(), lab.admin());
        try (LabControl control = LabControl.start(lab, 0)) {
            Cli.Result refresh = pkilab(control, "host", "refresh-ocsp", mp.name());
            assertEquals(0, refresh.exit(), refresh.toString());
            // PC04's answer at least ('good', from before the revocation); another test's client may have left one too
            assertTrue(refresh.out().matches("(?s)" + mp.name() + " forgot [1-9]\\d* cached OCSP answer\\(s\\).*"), refresh.out());
        }
        assertRefusedAsRevoked(pc04, mp, certificate);
    }

    @Test
    void theRefreshOcspStepDoesTheSameInAScenario(@TempDir Path work) {
        DomainComputer pc05 = lab.computer("PC05");
        IisServer mp = (IisServer) lab.computer("IIS01");
        StoredCertificate certificate = revokedAfterUse(pc05, mp, lab.ca(), lab.admin());
        Scenario steps = new ScenarioParser(BuiltInScenarios::text).parse("refresh-ocsp.yaml", """
                name: refresh-ocsp
                title: "The management point forgets its OCSP answers"
                lab:
                  computers:
                    - {name: IIS01, role: iis, dns: [server1.internal.contoso.com]}
                    - {name: PC05, role: client}
                steps:
                  - refresh ocsp: IIS01
                """);
        List<StepResult> results = new ScenarioRunner(lab, work).run(steps, result -> {
        });
        assertTrue(results.stream().allMatch(StepResult::asExpected), Narration.of(results));
        assertTrue(Narration.of(results).contains("IIS01 forgot its "), Narration.of(results));
        assertRefusedAsRevoked(pc05, mp, certificate);
    }

    @Test
    void advancingTheClockPastTheCachedCrlsNextUpdateDoesTheSame() {
        DomainComputer pc03 = lab.computer("PC03");
        IisServer mp = (IisServer) lab.computer("IIS01");
        StoredCertificate certificate = revokedAfterUse(pc03, mp, lab.ca(), lab.admin());
        Duration before = lab.clock().offset();
        try (LabControl control = LabControl.start(lab, 0)) {
            Cli.Result advance = pkilab(control, "clock", "advance", "8 days");
            assertEquals(0, advance.exit(), advance.toString());
            assertTrue(advance.out().contains("Lab clock " + lab.clock().instant().toString().substring(0, 10)), advance.out());
        }
        assertEquals(before.plusDays(8), lab.clock().offset());
        assertRefusedAsRevoked(pc03, mp, certificate);
    }

    @Test
    void aBadPeriodIsBadUsageAndLeavesTheClock() {
        Duration before = lab.clock().offset();
        try (LabControl control = LabControl.start(lab, 0)) {
            Cli.Result forever = pkilab(control, "clock", "advance", "forever");
            assertEquals(2, forever.exit(), forever.toString());
            assertTrue(forever.err().contains("forever") && forever.err().contains("years|weeks|days|hours"), forever.err());
        }
        assertEquals(before, lab.clock().offset());
    }
}
