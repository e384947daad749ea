package org.pkilab.audit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.pkilab.audit.AuditSnapshot.EnrollmentEndpoint;
import org.pkilab.audit.AuditSnapshot.IssuancePolicy;
import org.pkilab.audit.AuditSnapshot.PkiObjectKind;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.enrollment.CaRegistrySettings;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pkilab.audit.AuditFixture.*;

/**
 * Each ESC class, table-driven: a snapshot where every condition of the class holds gives exactly one finding, of that
 * class; the same snapshot with any one condition taken away gives none of that class.
 */
class AuditConditionsTest {

    /** One class's base snapshot and, by name, each way of taking one of its conditions away. */
    record Case(EscClass escClass, AuditSnapshot base, Map<String, UnaryOperator<AuditSnapshot>> removals) {
        @Override
        public String toString() {
            return escClass.name();
        }
    }

    private static final int APPROVAL = 0x2;
    private static final String MALLORY_WRITES_ALICE_UPN = ADMIN_ONLY + "(OA;;WP;" + UPN + ";;" + MALLORY + ")";

    private static Map<String, UnaryOperator<AuditSnapshot>> rows(Object... pairs) {
        Map<String, UnaryOperator<AuditSnapshot>> rows = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            @SuppressWarnings("unchecked")
            UnaryOperator<AuditSnapshot> op = (UnaryOperator<AuditSnapshot>) pairs[i + 1];
            rows.put((String) pairs[i], op);
        }
        return rows;
    }

    private static UnaryOperator<AuditSnapshot> op(UnaryOperator<AuditSnapshot> op) {
        return op;
    }

    /** The rows every template class shares: published, low-privileged Enroll, no approval, no signatures. */
    private static Object[] enrollRows(String t) {
        return new Object[] {
                "not published by any CA", op(s -> unpublish(s, t)),
                "no low-privileged Enroll", op(s -> templateSecurity(s, t, ADMIN_ONLY)),
                "Enroll denied to Domain Users", op(s -> templateSecurity(s, t, "O:EAG:EAD:(OD;;CR;" + ENROLL + ";;DU)" + ADMIN_DACL + DU_ENROLL)),
                "no Request Certificates on the CA", op(s -> registry(s, r -> r.withSecurity("O:BAG:DUD:(A;;0x3;;;DA)(A;;0x3;;;EA)"))),
                "manager approval", op(s -> editTemplate(s, t, b -> b.enrollmentFlags(APPROVAL))),
                "an authorized signature", op(s -> editTemplate(s, t, b -> b.raSignatures(1)))};
    }

    private static Object[] concat(Object[] a, Object... b) {
        Object[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private static UnaryOperator<AuditSnapshot> serverAuthOnly(String t) {
        return s -> editTemplate(s, t, b -> b.extendedKeyUsages(List.of(SERVER_AUTH)).applicationPolicies(List.of(SERVER_AUTH)));
    }

    static AuditSnapshot esc1() {
        return publish(clean(), template("ESC1User").certificateNameFlags(0x1).build()).build();
    }

    static AuditSnapshot userAuth(AuditSnapshot.Builder b) {
        return publish(b, template("UserAuth").build()).build();
    }

    private static final String ADMIN_DACL = ADMIN_ONLY.substring("O:EAG:EAD:".length());

    private static AuditSnapshot aliceUpnWritableByMallory(AuditSnapshot.Builder b) {
        return editPrincipal(b, ALICE, p -> p.withSecurityDescriptor(sd(MALLORY_WRITES_ALICE_UPN))).build();
    }

    private static UnaryOperator<AuditSnapshot> nobodyWritesAliceUpn() {
        return s -> editPrincipal(s, ALICE, p -> p.withSecurityDescriptor(sd(ADMIN_ONLY)));
    }

    static Case esc1Case() {
        return new Case(EscClass.ESC1, esc1(), rows(concat(enrollRows("ESC1User"),
                "subject built from the directory", op(s -> editTemplate(s, "ESC1User", b -> b.certificateNameFlags(0x82000000))),
                "no client authentication", serverAuthOnly("ESC1User"))));
    }

    static Case esc2Case() {
        CertificateTemplate t = template("AnyPurpose").extendedKeyUsages(List.of()).applicationPolicies(List.of()).build();
        return new Case(EscClass.ESC2, publish(clean(), t).build(), rows(concat(enrollRows("AnyPurpose"),
                "a purpose named", op(s -> editTemplate(s, "AnyPurpose", b -> b.extendedKeyUsages(List.of(CLIENT_AUTH)))))));
    }

    static Case esc3Case() {
        CertificateTemplate agent = template("Agent").extendedKeyUsages(List.of(REQUEST_AGENT)).applicationPolicies(List.of(REQUEST_AGENT)).build();
        CertificateTemplate target = template("UserV1").schemaVersion(1).applicationPolicies(List.of()).build();
        AuditSnapshot base = publish(publish(clean(), agent), target).build();
        return new Case(EscClass.ESC3, base, rows(concat(enrollRows("Agent"),
                "no Certificate Request Agent", serverAuthOnly("Agent"),
                "target not published", op(s -> unpublish(s, "UserV1")),
                "target needs approval", op(s -> editTemplate(s, "UserV1", b -> b.enrollmentFlags(APPROVAL))),
                "target schema 2 without an agent signature", op(s -> editTemplate(s, "UserV1", b -> b.schemaVersion(2))),
                "target Enroll not held", op(s -> templateSecurity(s, "UserV1", ADMIN_ONLY)),
                "target not for client authentication", serverAuthOnly("UserV1"))));
    }

    static Case esc4Case() {
        CertificateTemplate t = template("Writable").extendedKeyUsages(List.of(SERVER_AUTH)).applicationPolicies(List.of(SERVER_AUTH))
                .securityDescriptor(sd(ADMIN_ONLY + "(A;;RPWPCR;;;DU)")).build();
        return new Case(EscClass.ESC4, publish(clean(), t).build(), rows(
                "not published by any CA", op(s -> unpublish(s, "Writable")),
                "no write access", op(s -> templateSecurity(s, "Writable", ADMIN_ONLY + DU_ENROLL)),
                "write entry inherit-only", op(s -> templateSecurity(s, "Writable", ADMIN_ONLY + "(A;CIIO;RPWPCR;;;DU)")),
                "write denied to Domain Users", op(s -> templateSecurity(s, "Writable", "O:EAG:EAD:(D;;WP;;;DU)" + ADMIN_DACL + "(A;;RPWPCR;;;DU)")),
                "write held by a group nested in Domain Admins", op(s -> templateSecurity(s, "Writable", ADMIN_ONLY + "(A;;RPWPCR;;;" + HELPDESK + ")"))));
    }

    static Case esc5Case() {
        return new Case(EscClass.ESC5, pkiObject(clean().build(), PkiObjectKind.NTAUTH_CERTIFICATES, ADMIN_ONLY + "(A;;RPWP;;;DU)"), rows(
                "no write access", op(s -> pkiObject(s, PkiObjectKind.NTAUTH_CERTIFICATES, ADMIN_ONLY)),
                "write held by Cert Publishers", op(s -> pkiObject(s, PkiObjectKind.NTAUTH_CERTIFICATES, ADMIN_ONLY + "(A;;RPWP;;;CA)"))));
    }

    static Case esc6Case() {
        AuditSnapshot base = registry(userAuth(clean()), r -> r.withEditFlags(r.editFlags() | 0x40000));
        return new Case(EscClass.ESC6, base, rows(concat(enrollRows("UserAuth"),
                "EDITF_ATTRIBUTESUBJECTALTNAME2 cleared", op(s -> registry(s, r -> r.withEditFlags(CaRegistrySettings.DEFAULT_EDIT_FLAGS))),
                "no client authentication", serverAuthOnly("UserAuth"))));
    }

    static Case esc7Case() {
        AuditSnapshot base = registry(clean().build(), r -> r.withSecurity(CaRegistrySettings.DEFAULT_SECURITY + "(A;;0x2;;;" + TEMPS + ")"));
        return new Case(EscClass.ESC7, base, rows(
                "no Manage CA or officer right", op(s -> registry(s, r -> r.withSecurity(CaRegistrySettings.DEFAULT_SECURITY))),
                "the right held by a group nested in Domain Admins",
                op(s -> registry(s, r -> r.withSecurity(CaRegistrySettings.DEFAULT_SECURITY + "(A;;0x2;;;" + HELPDESK + ")")))));
    }

    private static UnaryOperator<AuditSnapshot> endpoint(String url, List<String> authentication, boolean extendedProtection) {
        return s -> s.toBuilder().clearEndpoints().endpoint(new EnrollmentEndpoint(CA, url, authentication, extendedProtection)).build();
    }

    static Case esc8Case() {
        AuditSnapshot base = clean().endpoint(new EnrollmentEndpoint(CA, "http://ca01.contoso.com/certsrv", List.of("NTLM", "Negotiate"), false)).build();
        return new Case(EscClass.ESC8, base, rows(
                "no NTLM", endpoint("http://ca01.contoso.com/certsrv", List.of("Kerberos"), false),
                "HTTPS with Extended Protection", endpoint("https://ca01.contoso.com/certsrv", List.of("NTLM", "Negotiate"), true)));
    }

    static Case esc9Case() {
        AuditSnapshot base = mapping(publish(aliceUpnWritableByMallory(clean()).toBuilder(), template("NoSidExt").enrollmentFlags(0x80000).build())
                .build(), 1, 0x18);
        return new Case(EscClass.ESC9, base, rows(concat(enrollRows("NoSidExt"),
                "no client authentication", serverAuthOnly("NoSidExt"),
                "SID extension kept", op(s -> editTemplate(s, "NoSidExt", b -> b.enrollmentFlags(0))),
                "Full Enforcement on the DC", op(s -> mapping(s, 2, 0x18)),
                "nobody may write an enrolling account's UPN", nobodyWritesAliceUpn())));
    }

    static Case esc10Case() {
        AuditSnapshot base = mapping(userAuth(aliceUpnWritableByMallory(clean()).toBuilder()), 0, 0x18);
        return new Case(EscClass.ESC10, base, rows(
                "strong mapping enforced", op(s -> mapping(s, 2, 0x18)),
                "Compatibility mode only", op(s -> mapping(s, 1, 0x18)),
                "no client-authentication template open", op(s -> unpublish(s, "UserAuth")),
                "template needs approval", op(s -> editTemplate(s, "UserAuth", b -> b.enrollmentFlags(APPROVAL))),
                "nobody may write an enrolling account's UPN", nobodyWritesAliceUpn()));
    }

    static Case esc11Case() {
        CertificateTemplate machine = template("Machine").schemaVersion(1).applicationPolicies(List.of()).extendedKeyUsages(List.of(CLIENT_AUTH, SERVER_AUTH))
                .securityDescriptor(sd(ADMIN_ONLY + "(OA;;CR;" + ENROLL + ";;DC)")).build();
        AuditSnapshot base = registry(publish(clean(), machine).build(), r -> r.withInterfaceFlags(r.interfaceFlags() & ~0x200));
        return new Case(EscClass.ESC11, base, rows(
                "IF_ENFORCEENCRYPTICERTREQUEST set", op(s -> registry(s, r -> r.withInterfaceFlags(CaRegistrySettings.DEFAULT_INTERFACE_FLAGS))),
                "template not published", op(s -> unpublish(s, "Machine")),
                "template needs approval", op(s -> editTemplate(s, "Machine", b -> b.enrollmentFlags(APPROVAL))),
                "no computer may enroll", op(s -> templateSecurity(s, "Machine", ADMIN_ONLY)),
                "no client authentication", op(s -> editTemplate(s, "Machine", b -> b.extendedKeyUsages(List.of(SERVER_AUTH))))));
    }

    static Case esc13Case() {
        AuditSnapshot base = publish(clean(), template("Esc13").build(), POLICY_OID).oid(linkedPolicy()).build();
        return new Case(EscClass.ESC13, base, rows(concat(enrollRows("Esc13"),
                "no client authentication", serverAuthOnly("Esc13"),
                "policy not linked", op(s -> s.toBuilder().oid(new IssuancePolicy(POLICY_OID, "High Assurance", null)).build()),
                "linked to a global or non-empty group, which the DC ignores",
                op(s -> s.toBuilder().oid(new IssuancePolicy(POLICY_OID, "High Assurance", AuditFixture.PKI_ADMINS_DN, false)).build()),
                "template without the policy", op(s -> editTemplate(s, "Esc13", b -> b.issuancePolicies(List.of()))))));
    }

    static Case esc14WriteCase() {
        AuditSnapshot base = userAuth(editPrincipal(clean(), ADMINISTRATOR,
                p -> p.withSecurityDescriptor(sd(ADMIN_ONLY + "(OA;;WP;" + ALT_SECURITY_IDENTITIES + ";;" + MALLORY + ")"))));
        return new Case(EscClass.ESC14, base, rows(
                "no write access", op(s -> editPrincipal(s, ADMINISTRATOR, p -> p.withSecurityDescriptor(sd(ADMIN_ONLY)))),
                "the writer may enroll in no client-authentication template", op(s -> unpublish(s, "UserAuth")),
                "write denied to mallory through Domain Users", op(s -> editPrincipal(s, ADMINISTRATOR, p -> p.withSecurityDescriptor(sd(
                        "O:EAG:EAD:(D;;WP;;;DU)" + ADMIN_DACL + "(OA;;WP;" + ALT_SECURITY_IDENTITIES + ";;" + MALLORY + ")"))))));
    }

    static Case esc14WeakCase() {
        AuditSnapshot base = mapping(userAuth(editPrincipal(clean(), ADMINISTRATOR,
                p -> p.withAltSecurityIdentities(List.of("X509:<I>DC=com,DC=contoso,CN=Contoso-CA<S>CN=Administrator")))), 1, 0x18);
        return new Case(EscClass.ESC14, base, rows(
                "strong mapping", op(s -> editPrincipal(s, ADMINISTRATOR,
                        p -> p.withAltSecurityIdentities(List.of("X509:<I>DC=com,DC=contoso,CN=Contoso-CA<SR>0a1b2c")))),
                "Full Enforcement on the DC", op(s -> mapping(s, 2, 0x18)),
                "no client-authentication template open", op(s -> unpublish(s, "UserAuth"))));
    }

    static Case esc15Case() {
        CertificateTemplate t = template("WebV1").schemaVersion(1).certificateNameFlags(0x1).applicationPolicies(List.of())
                .extendedKeyUsages(List.of(SERVER_AUTH)).build();
        return new Case(EscClass.ESC15, publish(clean(), t).build(), rows(concat(enrollRows("WebV1"),
                "schema 2", op(s -> editTemplate(s, "WebV1", b -> b.schemaVersion(2))),
                "subject built from the directory", op(s -> editTemplate(s, "WebV1", b -> b.certificateNameFlags(0x82000000))))));
    }

    static Case esc16Case() {
        AuditSnapshot base = mapping(registry(userAuth(aliceUpnWritableByMallory(clean()).toBuilder()),
                r -> r.withDisableExtensionList(List.of(CaRegistrySettings.SID_EXTENSION))), 1, 0x18);
        return new Case(EscClass.ESC16, base, rows(concat(enrollRows("UserAuth"),
                "SID extension enabled", op(s -> registry(s, r -> r.withDisableExtensionList(List.of()))),
                "Full Enforcement on the DC", op(s -> mapping(s, 2, 0x18)),
                "nobody may write an enrolling account's UPN", nobodyWritesAliceUpn())));
    }

    static List<Case> cases() {
        return List.of(esc1Case(), esc2Case(), esc3Case(), esc4Case(), esc5Case(), esc6Case(), esc7Case(), esc8Case(), esc9Case(),
                esc10Case(), esc11Case(), esc13Case(), esc14WriteCase(), esc14WeakCase(), esc15Case(), esc16Case());
    }

    static Stream<Arguments> removals() {
        return cases().stream().flatMap(c -> c.removals().entrySet().stream()
                .map(r -> Arguments.of(c.escClass(), r.getKey(), c.base(), r.getValue())));
    }

    @Test
    void cleanForestHasNoFinding() {
        AuditReport report = Audit.run(clean().build());
        assertEquals(List.of(), report.findings(), "a forest where only administrators may do anything");
        assertEquals(EscClass.values().length, report.notFound().size(), "every class says why it was not found: " + report.notFound());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void everyConditionHoldingGivesExactlyThatFinding(Case c) {
        List<Finding> findings = Audit.run(c.base()).findings();
        assertEquals(List.of(c.escClass()), findings.stream().map(Finding::escClass).toList(), "findings: " + findings);
        Finding f = findings.get(0);
        assertFalse(f.principals().isEmpty(), "who can exploit " + f);
        assertFalse(f.values().isEmpty(), "the values that make it so " + f);
        assertFalse(f.fix().isBlank(), "the fix " + f);
        assertFalse(f.principals().stream().anyMatch(p -> p.contains("Administrator") || p.contains("Admins")),
                "only low-privileged principals are listed: " + f.principals());
    }

    @ParameterizedTest(name = "{0} without: {1}")
    @MethodSource("removals")
    void anyConditionRemovedGivesNoFindingOfTheClass(EscClass escClass, String removed, AuditSnapshot base, UnaryOperator<AuditSnapshot> removal) {
        AuditReport report = Audit.run(removal.apply(base));
        assertEquals(List.of(), report.of(escClass), escClass + " with '" + removed + "' taken away");
        assertTrue(report.notFound().containsKey(escClass), escClass + " says why not: " + report.notFound());
    }

    @Test
    void denyThroughNestedGroupRemovesOnlyItsMembers() {
        // Deny Enroll to Temps: bob is in Contractors, which is in Temps
        AuditSnapshot s = templateSecurity(esc1(), "ESC1User", "O:EAG:EAD:(OD;;CR;" + ENROLL + ";;" + TEMPS + ")" + ADMIN_DACL + DU_ENROLL);
        Finding f = Audit.run(s).of(EscClass.ESC1).get(0);
        assertEquals(List.of("CONTOSO\\Domain Users"), f.groups(), "Domain Users' other members may still enroll");
        assertEquals(List.of("CONTOSO\\alice", "CONTOSO\\mallory"), f.accounts(), "bob's token holds Temps through Contractors: " + f);
        Finding before = Audit.run(esc1()).of(EscClass.ESC1).get(0);
        assertEquals(List.of("CONTOSO\\alice", "CONTOSO\\bob", "CONTOSO\\mallory"), before.accounts(), "without the Deny bob may enroll");
    }

    @Test
    void denyOnOneAccountByNameRemovesOnlyThatAccount() {
        AuditSnapshot s = templateSecurity(esc1(), "ESC1User", "O:EAG:EAD:(OD;;CR;" + ENROLL + ";;" + ALICE + ")" + ADMIN_DACL + DU_ENROLL);
        Finding f = Audit.run(s).of(EscClass.ESC1).get(0);
        assertEquals(List.of("CONTOSO\\bob", "CONTOSO\\mallory"), f.accounts(), "alice is denied Enroll by name: " + f);
        assertEquals(List.of("CONTOSO\\Domain Users"), f.groups());
    }

    @Test
    void denyOnTheAllowedGroupItselfLeavesNoGroup() {
        AuditSnapshot s = templateSecurity(esc1(), "ESC1User", "O:EAG:EAD:(OD;;CR;" + ENROLL + ";;DU)" + ADMIN_DACL + DU_ENROLL
                + "(OA;;CR;" + ENROLL + ";;" + TEMPS + ")");
        AuditReport report = Audit.run(s);
        assertEquals(List.of(), report.of(EscClass.ESC1), "Temps' only member, bob, is in Domain Users, denied Enroll");
        assertTrue(report.notFound().get(EscClass.ESC1).contains("a low-privileged principal may enroll"), report.notFound().get(EscClass.ESC1));
    }

    @Test
    void agentSignatureRequirementStillMakesATarget() {
        AuditSnapshot s = editTemplate(esc3Case().base(), "UserV1", b -> b.schemaVersion(2).raSignatures(1)
                .applicationPolicies(List.of(CLIENT_AUTH)).raApplicationPolicies(List.of(REQUEST_AGENT)));
        assertEquals(List.of(EscClass.ESC3), Audit.run(s).findings().stream().map(Finding::escClass).toList(),
                "a schema 2 template that requires one Certificate Request Agent signature is ESC3's target");
    }

    @Test
    void schannelUpnMappingIsEsc10EvenUnderFullEnforcement() {
        AuditSnapshot s = mapping(esc10Case().base(), 2, 0x1C);
        assertEquals(List.of(EscClass.ESC10), Audit.run(s).findings().stream().map(Finding::escClass).toList());
    }

    @Test
    void writableAltSecurityIdentitiesOfAdministratorIsCritical() {
        Finding f = Audit.run(esc14WriteCase().base()).of(EscClass.ESC14).get(0);
        assertEquals("Administrator", f.object());
        assertEquals(Severity.CRITICAL, f.severity());
        assertEquals(List.of("CONTOSO\\mallory"), f.accounts());
    }

    @Test
    void esc12IsNeverFoundAndSaysWhy() {
        AuditReport report = Audit.run(esc1());
        assertTrue(report.notFound().get(EscClass.ESC12).startsWith("not applicable"), report.notFound().get(EscClass.ESC12));
        Explanation e = Audit.explain(esc1(), "ESC1User").get(EscClass.ESC12.ordinal());
        assertFalse(e.applies());
        assertTrue(e.note().contains("YubiHSM2"), e.note());
    }

    @Test
    void esc8NotFoundOnTheLabsEstEndpointSaysWhy() {
        String why = Audit.run(clean().build()).notFound().get(EscClass.ESC8);
        assertTrue(why.contains("accepts NTLM") && why.contains("https://ca01.contoso.com:8443/.well-known/est"), why);
    }

    @Test
    void explainShowsEveryConditionWithItsValue() {
        List<Explanation> all = Audit.explain(esc1(), "ESC1User");
        assertEquals(EscClass.values().length, all.size());
        Explanation esc1 = all.get(0);
        assertTrue(esc1.applies(), esc1.toString());
        assertTrue(esc1.conditions().stream().allMatch(Condition::holds), esc1.toString());
        Explanation esc15 = all.get(EscClass.ESC15.ordinal());
        assertFalse(esc15.applies());
        Condition schema = esc15.conditions().stream().filter(c -> c.name().equals("schema version 1")).findFirst().orElseThrow();
        assertFalse(schema.holds());
        assertEquals("msPKI-Template-Schema-Version = 2", schema.value());
    }

    @Test
    void unpublishedTemplateIsExplainedNotReported() {
        AuditSnapshot s = unpublish(esc1(), "ESC1User");
        assertEquals(List.of(), Audit.run(s).findings());
        Explanation esc1 = Audit.explain(s, "ESC1User").get(0);
        Condition published = esc1.conditions().get(0);
        assertFalse(published.holds());
        assertTrue(published.value().contains("no CA lists ESC1User"), published.value());
    }

    @Test
    void explainOfAnUnknownTemplateNamesTheTemplatesThereAre() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Audit.explain(esc1(), "Nope"));
        assertTrue(e.getMessage().contains("ESC1User"), e.getMessage());
    }

    @Test
    void failOnComparesSeverities() {
        AuditReport report = Audit.run(esc11Case().base()); // ESC11: medium
        assertTrue(report.failsAt(Severity.LOW));
        assertTrue(report.failsAt(Severity.MEDIUM));
        assertFalse(report.failsAt(Severity.HIGH));
    }

}
