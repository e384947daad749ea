package org.pkilab.ca;

import org.junit.jupiter.api.Test;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.DefaultTemplates;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.RelativeIds;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.windows.WindowsError;

import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Policy steps on facts made in memory, without a DC or a CA: the template's Security tab, the
 * Cryptography tab's key rules, and the validity rule.
 */
class PolicyStepsTest {

    private static final SecurityIdentifier DOMAIN = SecurityIdentifier.parse("S-1-5-21-1004336348-1177238915-682003330");
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private static final KeyPair RSA_2048 = Csrs.rsa(2048);
    private static final CertificateTemplate WEB_SERVER = DefaultTemplates.all("1.3.6.1.4.1.311.21.8.1", DOMAIN).stream()
            .filter(t -> t.name().equals(DefaultTemplates.WEB_SERVER)).findFirst().orElseThrow();

    private static LogonToken token(String account, int rid, LogonToken.TokenGroup... groups) {
        return new LogonToken("CONTOSO\\" + account, "CN=" + account + ",CN=Computers,DC=contoso,DC=com", DOMAIN.withRid(rid),
                List.of(groups), NOW, "dc01.contoso.com");
    }

    private static LogonToken.TokenGroup group(String name, int rid) {
        return new LogonToken.TokenGroup(DOMAIN.withRid(rid), "CONTOSO\\" + name);
    }

    private static IssuanceFacts facts(LogonToken requester, CertificateTemplate template, KeyPair key) {
        byte[] csr = Csrs.request(key, "CN=iis01.contoso.com", "iis01.contoso.com");
        Pkcs10Request parsed = Pkcs10Request.parse(csr, requester.account()).request();
        return IssuanceFacts.builder(EnrollmentRequest.manual(requester, template.name(), csr), parsed)
                .now(NOW).template(template).issueList(List.of(template.name())).caName("contoso-CA").build();
    }

    @Test
    void computerOutsideTheTemplatesEnrollGroupsIsDeniedNamingItsGroups() {
        LogonToken iis01 = token("IIS01$", 1105, group("Domain Computers", RelativeIds.DOMAIN_COMPUTERS));

        Decision decision = new RequesterMayEnroll().check(facts(iis01, WEB_SERVER, RSA_2048));

        assertEquals(WindowsError.CERTSRV_E_TEMPLATE_DENIED, decision.error(), "IIS01$ on Web Server: " + decision.reason());
        assertTrue(decision.reason().contains("CONTOSO\\IIS01$ holds no Enroll right on 'Web Server' (WebServer)")
                && decision.reason().contains("CONTOSO\\Domain Computers"), decision.reason());
    }

    @Test
    void domainAdminMayEnrollForWebServer() {
        LogonToken admin = token("Administrator", RelativeIds.ADMINISTRATOR, group("Domain Admins", RelativeIds.DOMAIN_ADMINS));

        Decision decision = new RequesterMayEnroll().check(facts(admin, WEB_SERVER, RSA_2048));

        assertTrue(decision.proceeds(), "Domain Admins hold Enroll on Web Server: " + decision.explain());
    }

    @Test
    void denyEntryForAGroupWinsOverTheAllowOfAnother() {
        SecurityIdentifier webServers = DOMAIN.withRid(1200);
        CertificateTemplate template = WEB_SERVER.toBuilder().securityDescriptor(SecurityDescriptor.parse("O:DAG:DAD:PAI"
                + "(OA;;CR;0e10c968-78fb-11d2-90d4-00c04f79dc55;;DA)(OD;;CR;0e10c968-78fb-11d2-90d4-00c04f79dc55;;" + webServers + ")",
                DOMAIN)).build();
        LogonToken admin = token("Administrator", RelativeIds.ADMINISTRATOR, group("Domain Admins", RelativeIds.DOMAIN_ADMINS),
                new LogonToken.TokenGroup(webServers, "CONTOSO\\Web Servers"));

        Decision decision = new RequesterMayEnroll().check(facts(admin, template, RSA_2048));

        assertEquals(WindowsError.CERTSRV_E_TEMPLATE_DENIED, decision.error(), decision.reason());
        assertTrue(decision.reason().contains("is denied Enroll on 'Web Server' (WebServer) through CONTOSO\\Web Servers"), decision.reason());
    }

    @Test
    void enrollWrittenInheritOnlyForDomainUsersDoesNotLetADomainUserEnroll() {
        // what dacledit -inheritance or samba-tool dsacl writes: Enroll (and Write) for the template's children only
        CertificateTemplate template = WEB_SERVER.toBuilder().securityDescriptor(SecurityDescriptor.parse("O:DAG:DAD:PAI"
                + "(A;;LCRPLORC;;;AU)(OA;CIIO;CR;0e10c968-78fb-11d2-90d4-00c04f79dc55;;DU)(A;CIIO;WP;;;DU)", DOMAIN)).build();
        LogonToken alice = token("alice", 1110, group("Domain Users", RelativeIds.DOMAIN_USERS));

        Decision decision = new RequesterMayEnroll().check(facts(alice, template, RSA_2048));

        assertEquals(WindowsError.CERTSRV_E_TEMPLATE_DENIED, decision.error(),
                "alice on 'Web Server' holding only an inherit-only Enroll: " + decision.explain());
        assertTrue(decision.reason().contains("CONTOSO\\alice holds no Enroll right on 'Web Server' (WebServer)"), decision.reason());
    }

    @Test
    void keyBelowTheTemplatesMinimumIsRefusedWithTheMinimum() {
        LogonToken admin = token("Administrator", RelativeIds.ADMINISTRATOR, group("Domain Admins", RelativeIds.DOMAIN_ADMINS));

        Decision small = new KeyMeetsTemplate().check(facts(admin, WEB_SERVER, Csrs.rsa(1024)));
        Decision enough = new KeyMeetsTemplate().check(facts(admin, WEB_SERVER, RSA_2048));

        assertEquals(WindowsError.CERTSRV_E_KEY_LENGTH, small.error(), "1024-bit key on Web Server: " + small.reason());
        assertTrue(small.reason().contains("carries a 1024-bit RSA key; 'Web Server' (WebServer) requires RSA keys of at least 2048 bits"),
                small.reason());
        assertTrue(enough.proceeds(), "a 2048-bit key meets Web Server's minimum: " + enough.explain());
    }

    @Test
    void ecKeyOnALegacyCspTemplateIsRefused() {
        LogonToken admin = token("Administrator", RelativeIds.ADMINISTRATOR, group("Domain Admins", RelativeIds.DOMAIN_ADMINS));

        Decision decision = new KeyMeetsTemplate().check(facts(admin, WEB_SERVER, Csrs.ec("secp256r1")));

        assertEquals(WindowsError.CERTSRV_E_KEY_LENGTH, decision.error(), decision.reason());
        assertTrue(decision.reason().contains("a legacy CSP template cannot use EC keys"), decision.reason());
    }

    @Test
    void validityIsTheTemplatesButNeverPastTheCaCertificate() {
        LogonToken admin = token("Administrator", RelativeIds.ADMINISTRATOR);
        IssuanceFacts facts = facts(admin, WEB_SERVER, RSA_2048);
        CertificateDraft draft = CertificateDraft.of(WEB_SERVER, facts.csr().subjectPublicKeyInfo());

        CertificateDraft twoYears = new ValidityFromTemplate().apply(facts, draft);
        Instant caEnd = NOW.plus(Duration.ofDays(100));
        CertificateDraft capped = new ValidityFromTemplate().apply(new IssuanceFacts(facts.request(), facts.csr(), NOW, WEB_SERVER,
                facts.issueList(), null, "contoso-CA", "", caEnd, IssuanceFacts.Submission.REQUESTER,
                org.pkilab.enrollment.CaRegistrySettings.DEFAULT, Decision.proceed(), null, null), draft);

        assertEquals(NOW.minus(Duration.ofMinutes(10)), twoYears.notBefore(), "ten minutes of clock skew before now");
        assertEquals(NOW.plus(Duration.ofDays(730)), twoYears.notAfter(), "Web Server's validity period is 2 years");
        assertEquals(caEnd, capped.notAfter(), "a certificate never outlives the CA certificate");
        assertEquals(null, draft.notAfter(), "the draft a modifier was given is left as it was");
    }
}
