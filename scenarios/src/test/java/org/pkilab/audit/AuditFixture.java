package org.pkilab.audit;

import org.pkilab.audit.AuditSnapshot.EnrollmentEndpoint;
import org.pkilab.audit.AuditSnapshot.EnterpriseCa;
import org.pkilab.audit.AuditSnapshot.IssuancePolicy;
import org.pkilab.audit.AuditSnapshot.PkiObject;
import org.pkilab.audit.AuditSnapshot.PkiObjectKind;
import org.pkilab.audit.AuditSnapshot.Principal;
import org.pkilab.audit.AuditSnapshot.PrincipalKind;
import org.pkilab.directory.model.CertificateMappingSettings;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.enrollment.CaRegistrySettings;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A forest built by hand for the audit's tests: contoso.com with Administrator, alice, bob (in Contractors, nested in
 * Temps), mallory, the computers IIS01$, CA01$ (the CA's host) and DC01$, one enterprise CA publishing nothing, PKI
 * objects only administrators may write, Windows' default DC mapping and the lab's EST endpoint. Clean: no class applies.
 * Each test case adds one misconfiguration with the helpers here.
 */
final class AuditFixture {

    static final SecurityIdentifier DOMAIN = SecurityIdentifier.parse("S-1-5-21-1-2-3");
    static final SecurityIdentifier ADMINISTRATOR = DOMAIN.withRid(500);
    static final SecurityIdentifier DOMAIN_ADMINS = DOMAIN.withRid(512);
    static final SecurityIdentifier DOMAIN_USERS = DOMAIN.withRid(513);
    static final SecurityIdentifier DOMAIN_COMPUTERS = DOMAIN.withRid(515);
    static final SecurityIdentifier DOMAIN_CONTROLLERS = DOMAIN.withRid(516);
    static final SecurityIdentifier CERT_PUBLISHERS = DOMAIN.withRid(517);
    static final SecurityIdentifier ENTERPRISE_ADMINS = DOMAIN.withRid(519);
    static final SecurityIdentifier DC01 = DOMAIN.withRid(1000);
    static final SecurityIdentifier ALICE = DOMAIN.withRid(1103);
    static final SecurityIdentifier BOB = DOMAIN.withRid(1104);
    static final SecurityIdentifier MALLORY = DOMAIN.withRid(1105);
    static final SecurityIdentifier IIS01 = DOMAIN.withRid(1106);
    static final SecurityIdentifier CA01 = DOMAIN.withRid(1107);
    static final SecurityIdentifier TEMPS = DOMAIN.withRid(1200);
    static final SecurityIdentifier CONTRACTORS = DOMAIN.withRid(1201);
    static final SecurityIdentifier HELPDESK = DOMAIN.withRid(1202);
    static final SecurityIdentifier PKI_ADMINS = DOMAIN.withRid(1203);

    static final String CA = "Contoso-CA";
    static final String ENROLL = "0e10c968-78fb-11d2-90d4-00c04f79dc55";
    static final String UPN = "28630ebb-41d5-11d1-a9c1-0000f80367c1";
    static final String ALT_SECURITY_IDENTITIES = "00fbf30c-91fe-11d1-aebc-0000f80367c1";
    static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    static final String REQUEST_AGENT = "1.3.6.1.4.1.311.20.2.1";
    static final String POLICY_OID = "1.3.6.1.4.1.311.21.8.1.2.3.400";
    static final String PKI_ADMINS_DN = "CN=PKI Admins,CN=Users,DC=contoso,DC=com";

    /** Administrators may do anything, Authenticated Users read: a Windows default for PKI objects and templates. */
    static final String ADMIN_ONLY = "O:EAG:EAD:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;DA)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;EA)(A;;LCRPLORC;;;AU)";
    static final String DU_ENROLL = "(OA;;CR;" + ENROLL + ";;DU)";

    private AuditFixture() {
    }

    static SecurityDescriptor sd(String sddl) {
        return SecurityDescriptor.parse(sddl, DOMAIN);
    }

    private static Principal account(SecurityIdentifier sid, String name, PrincipalKind kind, String dns, SecurityIdentifier... groups) {
        return new Principal(sid, name, "CN=" + name.replace("$", "") + ",CN=Users,DC=contoso,DC=com", kind, Set.of(groups),
                name + "@contoso.com", dns, List.of(), sd(ADMIN_ONLY));
    }

    private static Principal group(SecurityIdentifier sid, String name, SecurityIdentifier... memberOf) {
        return new Principal(sid, name, "CN=" + name + ",CN=Users,DC=contoso,DC=com", PrincipalKind.GROUP, Set.of(memberOf), null, null,
                List.of(), sd(ADMIN_ONLY));
    }

    static AuditSnapshot.Builder clean() {
        AuditSnapshot.Builder b = AuditSnapshot.builder("contoso.com", "CONTOSO", DOMAIN).dcHost("dc01.contoso.com");
        b.principal(account(ADMINISTRATOR, "Administrator", PrincipalKind.USER, null, DOMAIN_USERS, DOMAIN_ADMINS, ENTERPRISE_ADMINS));
        b.principal(account(ALICE, "alice", PrincipalKind.USER, null, DOMAIN_USERS));
        b.principal(account(BOB, "bob", PrincipalKind.USER, null, DOMAIN_USERS, CONTRACTORS, TEMPS));
        b.principal(account(MALLORY, "mallory", PrincipalKind.USER, null, DOMAIN_USERS));
        b.principal(account(IIS01, "IIS01$", PrincipalKind.COMPUTER, "iis01.contoso.com", DOMAIN_COMPUTERS));
        b.principal(account(CA01, "CA01$", PrincipalKind.COMPUTER, "ca01.contoso.com", DOMAIN_COMPUTERS, CERT_PUBLISHERS));
        b.principal(account(DC01, "DC01$", PrincipalKind.COMPUTER, "dc01.contoso.com", DOMAIN_CONTROLLERS));
        b.principal(group(DOMAIN_ADMINS, "Domain Admins"));
        b.principal(group(DOMAIN_USERS, "Domain Users"));
        b.principal(group(DOMAIN_COMPUTERS, "Domain Computers"));
        b.principal(group(DOMAIN_CONTROLLERS, "Domain Controllers"));
        b.principal(group(CERT_PUBLISHERS, "Cert Publishers"));
        b.principal(group(ENTERPRISE_ADMINS, "Enterprise Admins"));
        b.principal(group(TEMPS, "Temps"));
        b.principal(group(CONTRACTORS, "Contractors", TEMPS));
        b.principal(group(HELPDESK, "Helpdesk", DOMAIN_ADMINS));
        b.principal(group(PKI_ADMINS, "PKI Admins"));
        b.ca(new EnterpriseCa(CA, "ca01.contoso.com", List.of(), CaRegistrySettings.DEFAULT));
        String pks = "CN=Public Key Services,CN=Services,CN=Configuration,DC=contoso,DC=com";
        for (String container : List.of(pks, "CN=Certificate Templates," + pks, "CN=Enrollment Services," + pks, "CN=OID," + pks)) {
            b.pkiObject(new PkiObject(container, PkiObjectKind.CONTAINER, sd(ADMIN_ONLY)));
        }
        b.pkiObject(new PkiObject("CN=NTAuthCertificates," + pks, PkiObjectKind.NTAUTH_CERTIFICATES, sd(ADMIN_ONLY)));
        b.pkiObject(new PkiObject("CN=" + CA + ",CN=Enrollment Services," + pks, PkiObjectKind.ENROLLMENT_SERVICE,
                sd(ADMIN_ONLY + "(A;;RPWP;;;CA)")));
        b.pkiObject(new PkiObject("CN=CA01,CN=Computers,DC=contoso,DC=com", PkiObjectKind.CA_COMPUTER, sd(ADMIN_ONLY)));
        b.endpoint(new EnrollmentEndpoint(CA, "https://ca01.contoso.com:8443/.well-known/est", List.of("ClientCertificate", "UsernamePassword"), false));
        return b;
    }

    /** A schema 2 user template for Client Authentication that Domain Users may enroll in, built from the directory. */
    static CertificateTemplate.Builder template(String name) {
        return CertificateTemplate.builder(name).schemaVersion(2).extendedKeyUsages(List.of(CLIENT_AUTH)).applicationPolicies(List.of(CLIENT_AUTH))
                .certificateNameFlags(0x82000000).securityDescriptor(sd(ADMIN_ONLY + DU_ENROLL));
    }

    /** Adds the template and has the CA issue it. */
    static AuditSnapshot.Builder publish(AuditSnapshot.Builder b, CertificateTemplate t, String... policies) {
        b.template(policies.length == 0 ? t : t.toBuilder().issuancePolicies(List.of(policies)).build());
        AuditSnapshot s = b.build();
        EnterpriseCa ca = s.cas().get(0);
        List<String> issued = new ArrayList<>(ca.templates());
        issued.add(t.name());
        return b.ca(new EnterpriseCa(ca.name(), ca.dnsHostName(), issued, ca.registry()));
    }

    // --- edits of a built snapshot, for the "condition removed" rows ---

    static AuditSnapshot editTemplate(AuditSnapshot s, String name, UnaryOperator<CertificateTemplate.Builder> edit) {
        CertificateTemplate t = s.templates().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
        return s.toBuilder().template(edit.apply(t.toBuilder()).build()).build();
    }

    static AuditSnapshot templateSecurity(AuditSnapshot s, String name, String sddl) {
        return editTemplate(s, name, b -> b.securityDescriptor(sd(sddl)));
    }

    static AuditSnapshot unpublish(AuditSnapshot s, String name) {
        EnterpriseCa ca = s.cas().get(0);
        return s.toBuilder().ca(new EnterpriseCa(ca.name(), ca.dnsHostName(), ca.templates().stream().filter(t -> !t.equals(name)).toList(),
                ca.registry())).build();
    }

    static AuditSnapshot registry(AuditSnapshot s, UnaryOperator<CaRegistrySettings> edit) {
        EnterpriseCa ca = s.cas().get(0);
        return s.toBuilder().ca(new EnterpriseCa(ca.name(), ca.dnsHostName(), ca.templates(), edit.apply(ca.registry()))).build();
    }

    static AuditSnapshot.Builder registry(AuditSnapshot.Builder b, UnaryOperator<CaRegistrySettings> edit) {
        return registry(b.build(), edit).toBuilder();
    }

    static AuditSnapshot mapping(AuditSnapshot s, int enforcement, int methods) {
        return s.toBuilder().mapping(new CertificateMappingSettings(enforcement, methods)).build();
    }

    static AuditSnapshot editPrincipal(AuditSnapshot s, SecurityIdentifier sid, UnaryOperator<Principal> edit) {
        Principal p = s.principals().stream().filter(x -> x.sid().equals(sid)).findFirst().orElseThrow();
        return s.toBuilder().principal(edit.apply(p)).build();
    }

    static AuditSnapshot.Builder editPrincipal(AuditSnapshot.Builder b, SecurityIdentifier sid, UnaryOperator<Principal> edit) {
        return editPrincipal(b.build(), sid, edit).toBuilder();
    }

    static AuditSnapshot pkiObject(AuditSnapshot s, PkiObjectKind kind, String sddl) {
        PkiObject o = s.pkiObjects().stream().filter(x -> x.kind() == kind).findFirst().orElseThrow();
        return s.toBuilder().pkiObject(new PkiObject(o.dn(), kind, sd(sddl))).build();
    }

    static IssuancePolicy linkedPolicy() {
        return new IssuancePolicy(POLICY_OID, "High Assurance", PKI_ADMINS_DN);
    }
}
