package org.pkilab.audit;

import org.pkilab.directory.model.CertificateMappingSettings;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.enrollment.CaRegistrySettings;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Everything the audit looks at, read once and then fixed: the forest's templates with their Security tabs, its
 * enterprise CAs with their registry settings, the PKI objects' security descriptors, the issuance policies and their
 * group links, the domain's principals with their token groups, the DC's certificate-mapping settings and the
 * enrollment endpoints. {@link Audit} decides from it alone, so the same snapshot always gives the same findings, and
 * tests build one by hand without a lab:
 *
 * <pre>{@code
 * AuditSnapshot snapshot = AuditSnapshot.builder("contoso.com", "CONTOSO", domainSid)
 *         .template(esc1User)
 *         .ca(new AuditSnapshot.EnterpriseCa("Contoso-CA", "ca01.contoso.com", List.of("ESC1User"), CaRegistrySettings.DEFAULT))
 *         .principal(AuditSnapshot.Principal.user(alice, "alice", Set.of(domainUsers)))
 *         .build();
 * Audit.run(snapshot).findings();
 * }</pre>
 *
 * {@link DirectoryAuditLoader} reads one from a running lab.
 *
 * @param dnsName           the domain's DNS name ({@code contoso.com})
 * @param netbiosName       its NetBIOS name ({@code CONTOSO}), which principal names are shown with
 * @param domainSid         the domain's SID
 * @param templates         every {@code pKICertificateTemplate}, with its security descriptor and its issuance policies
 *                          ({@code msPKI-Certificate-Policy}, {@link CertificateTemplate#issuancePolicies()})
 * @param cas               the enterprise CAs ({@code pKIEnrollmentService}) and their registry settings
 * @param pkiObjects        the PKI objects whose write access matters (ESC5): the containers, NTAuthCertificates, each
 *                          enrollment service and each CA's computer object
 * @param oids              the {@code msPKI-Enterprise-Oid} objects that are issuance policies
 * @param principals        the domain's users, computers and groups and the well-known principals
 * @param mapping           the DC's certificate-mapping registry values
 * @param dcHost            the DC's host name, what DC-wide findings are about
 * @param endpoints         the enrollment endpoints the lab serves
 * @param assumptions       what was not read and was assumed instead ("CA registry settings of Contoso-CA not read:
 *                          a new CA's defaults assumed"), which the report repeats
 */
public record AuditSnapshot(String dnsName, String netbiosName, SecurityIdentifier domainSid, List<CertificateTemplate> templates,
                            List<EnterpriseCa> cas, List<PkiObject> pkiObjects,
                            List<IssuancePolicy> oids, List<Principal> principals, CertificateMappingSettings mapping,
                            String dcHost, List<EnrollmentEndpoint> endpoints, List<String> assumptions) {

    public AuditSnapshot {
        templates = List.copyOf(templates);
        cas = List.copyOf(cas);
        pkiObjects = List.copyOf(pkiObjects);
        oids = List.copyOf(oids);
        principals = List.copyOf(principals);
        endpoints = List.copyOf(endpoints);
        assumptions = List.copyOf(assumptions);
        if (mapping == null) {
            throw new IllegalArgumentException("the DC's certificate-mapping settings are needed (CertificateMappingSettings.WINDOWS_DEFAULT when unknown)");
        }
    }

    /**
     * An enterprise CA: its {@code pKIEnrollmentService} object's {@code cn}, {@code dNSHostName} and
     * {@code certificateTemplates} (Certificate Templates to Issue), and its registry settings.
     */
    public record EnterpriseCa(String name, String dnsHostName, List<String> templates, CaRegistrySettings registry) {
        public EnterpriseCa {
            templates = List.copyOf(templates);
            if (registry == null) {
                throw new IllegalArgumentException("CA " + name + " needs its registry settings (CaRegistrySettings.DEFAULT when unread)");
            }
        }

        public boolean issues(String template) {
            return templates.stream().anyMatch(t -> t.equalsIgnoreCase(template));
        }
    }

    /** What a PKI object is, for ESC5's wording and fix. */
    public enum PkiObjectKind {
        CONTAINER, NTAUTH_CERTIFICATES, ENROLLMENT_SERVICE, CERTIFICATION_AUTHORITY, CA_COMPUTER
    }

    /** A PKI object whose security descriptor ESC5 checks. */
    public record PkiObject(String dn, PkiObjectKind kind, SecurityDescriptor securityDescriptor) {
        public PkiObject {
            if (securityDescriptor == null) {
                throw new IllegalArgumentException("PKI object " + dn + " needs its security descriptor");
            }
        }
    }

    /**
     * An {@code msPKI-Enterprise-Oid} issuance policy: its OID, display name, and {@code msDS-OIDToGroupLink} (a group's DN,
     * or null). {@code linkHonoured}: whether the DC adds the linked group at logon, which it does only for a universal
     * group without members (as Windows does, and as {@code Set-IssuancePolicyToGroupLink.ps1} insists).
     */
    public record IssuancePolicy(String oid, String displayName, String groupLink, boolean linkHonoured) {

        /** A policy whose link, if any, names a universal group without members. */
        public IssuancePolicy(String oid, String displayName, String groupLink) {
            this(oid, displayName, groupLink, groupLink != null);
        }
    }

    /** A user, computer, group or well-known principal. */
    public enum PrincipalKind {
        USER, COMPUTER, GROUP, WELL_KNOWN
    }

    /**
     * A security principal.
     *
     * @param sid                   its {@code objectSid}
     * @param name                  its {@code sAMAccountName} ({@code alice}, {@code IIS01$}, {@code Domain Users}), or for a
     *                              well-known principal its {@code cn}
     * @param dn                    its DN; may be null for principals made in tests
     * @param kind                  what it is
     * @param tokenGroups           its {@code tokenGroups}: every group a logon token of it holds, nesting resolved, without
     *                              Everyone and Authenticated Users (which every logon adds); for a group, the groups it is in
     * @param userPrincipalName     its UPN, or null
     * @param dnsHostName           a computer's {@code dNSHostName}, or null
     * @param altSecurityIdentities its explicit certificate mappings
     * @param securityDescriptor    its {@code nTSecurityDescriptor}, or null when not read
     */
    public record Principal(SecurityIdentifier sid, String name, String dn, PrincipalKind kind, Set<SecurityIdentifier> tokenGroups,
                            String userPrincipalName, String dnsHostName, List<String> altSecurityIdentities,
                            SecurityDescriptor securityDescriptor) {
        public Principal {
            tokenGroups = Set.copyOf(tokenGroups);
            altSecurityIdentities = List.copyOf(altSecurityIdentities);
        }

        public static Principal user(SecurityIdentifier sid, String name, Set<SecurityIdentifier> tokenGroups) {
            return new Principal(sid, name, null, PrincipalKind.USER, tokenGroups, null, null, List.of(), null);
        }

        public static Principal computer(SecurityIdentifier sid, String name, String dnsHostName, Set<SecurityIdentifier> tokenGroups) {
            return new Principal(sid, name, null, PrincipalKind.COMPUTER, tokenGroups, null, dnsHostName, List.of(), null);
        }

        public static Principal group(SecurityIdentifier sid, String name, Set<SecurityIdentifier> tokenGroups) {
            return new Principal(sid, name, null, PrincipalKind.GROUP, tokenGroups, null, null, List.of(), null);
        }

        public boolean isAccount() {
            return kind == PrincipalKind.USER || kind == PrincipalKind.COMPUTER;
        }

        public Principal withSecurityDescriptor(SecurityDescriptor sd) {
            return new Principal(sid, name, dn, kind, tokenGroups, userPrincipalName, dnsHostName, altSecurityIdentities, sd);
        }

        public Principal withAltSecurityIdentities(List<String> values) {
            return new Principal(sid, name, dn, kind, tokenGroups, userPrincipalName, dnsHostName, values, securityDescriptor);
        }
    }

    /**
     * An enrollment endpoint: a URL of {@code msPKI-Enrollment-Servers} or the CA's web enrollment pages, and how it
     * authenticates its callers.
     *
     * @param ca                 the CA it enrolls with
     * @param url                its URL
     * @param authentication     the authentication it accepts: {@code Anonymous}, {@code Kerberos}, {@code UsernamePassword},
     *                           {@code ClientCertificate} (the values of {@code msPKI-Enrollment-Servers}), {@code NTLM} or
     *                           {@code Negotiate} (Windows integrated authentication in IIS)
     * @param extendedProtection whether an HTTPS endpoint requires Extended Protection for Authentication (channel binding)
     */
    public record EnrollmentEndpoint(String ca, String url, List<String> authentication, boolean extendedProtection) {
        public EnrollmentEndpoint {
            authentication = List.copyOf(authentication);
        }
    }

    public static Builder builder(String dnsName, String netbiosName, SecurityIdentifier domainSid) {
        return new Builder(dnsName, netbiosName, domainSid);
    }

    public Builder toBuilder() {
        Builder b = new Builder(dnsName, netbiosName, domainSid);
        b.templates.addAll(templates);
        b.cas.addAll(cas);
        b.pkiObjects.addAll(pkiObjects);
        b.oids.addAll(oids);
        b.principals.addAll(principals);
        b.mapping = mapping;
        b.dcHost = dcHost;
        b.endpoints.addAll(endpoints);
        b.assumptions.addAll(assumptions);
        return b;
    }

    /** Builds a snapshot; every part left unset is empty, and the DC's mapping is Windows' default. */
    public static final class Builder {
        private final String dnsName;
        private final String netbiosName;
        private final SecurityIdentifier domainSid;
        private final List<CertificateTemplate> templates = new ArrayList<>();
        private final List<EnterpriseCa> cas = new ArrayList<>();
        private final List<PkiObject> pkiObjects = new ArrayList<>();
        private final List<IssuancePolicy> oids = new ArrayList<>();
        private final List<Principal> principals = new ArrayList<>();
        private CertificateMappingSettings mapping = CertificateMappingSettings.WINDOWS_DEFAULT;
        private String dcHost;
        private final List<EnrollmentEndpoint> endpoints = new ArrayList<>();
        private final List<String> assumptions = new ArrayList<>();

        private Builder(String dnsName, String netbiosName, SecurityIdentifier domainSid) {
            this.dnsName = dnsName;
            this.netbiosName = netbiosName;
            this.domainSid = domainSid;
        }

        /** Adds a template, or replaces the one with the same name. */
        public Builder template(CertificateTemplate template) {
            templates.removeIf(t -> t.name().equalsIgnoreCase(template.name()));
            templates.add(template);
            return this;
        }

        public Builder withoutTemplate(String name) {
            templates.removeIf(t -> t.name().equalsIgnoreCase(name));
            return this;
        }

        /** Adds a CA, or replaces the one with the same name. */
        public Builder ca(EnterpriseCa ca) {
            cas.removeIf(c -> c.name().equalsIgnoreCase(ca.name()));
            cas.add(ca);
            return this;
        }

        /** Adds a PKI object, or replaces the one with the same DN. */
        public Builder pkiObject(PkiObject object) {
            pkiObjects.removeIf(o -> o.dn().equalsIgnoreCase(object.dn()));
            pkiObjects.add(object);
            return this;
        }

        /** Adds an issuance policy, or replaces the one with the same OID. */
        public Builder oid(IssuancePolicy policy) {
            oids.removeIf(o -> o.oid().equals(policy.oid()));
            oids.add(policy);
            return this;
        }

        /** Adds a principal, or replaces the one with the same SID. */
        public Builder principal(Principal principal) {
            principals.removeIf(p -> p.sid().equals(principal.sid()));
            principals.add(principal);
            return this;
        }

        /** If unset, {@link CertificateMappingSettings#WINDOWS_DEFAULT}. */
        public Builder mapping(CertificateMappingSettings mapping) {
            this.mapping = mapping;
            return this;
        }

        /** If unset, {@code dc01.<domain>}. */
        public Builder dcHost(String dcHost) {
            this.dcHost = dcHost;
            return this;
        }

        public Builder endpoint(EnrollmentEndpoint endpoint) {
            endpoints.add(endpoint);
            return this;
        }

        public Builder clearEndpoints() {
            endpoints.clear();
            return this;
        }

        /** Records something not read and assumed instead; the report repeats it. */
        public Builder assume(String assumption) {
            assumptions.add(assumption);
            return this;
        }

        public AuditSnapshot build() {
            return new AuditSnapshot(dnsName, netbiosName, domainSid, templates, cas, pkiObjects, oids, principals,
                    mapping, dcHost == null ? "dc01." + dnsName : dcHost, endpoints, assumptions);
        }
    }
}
