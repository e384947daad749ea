package org.pkilab.audit;

import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.RootDSE;
import com.unboundid.ldap.sdk.SearchResult;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import org.pkilab.audit.AuditSnapshot.EnrollmentEndpoint;
import org.pkilab.audit.AuditSnapshot.EnterpriseCa;
import org.pkilab.audit.AuditSnapshot.IssuancePolicy;
import org.pkilab.audit.AuditSnapshot.PkiObject;
import org.pkilab.audit.AuditSnapshot.PkiObjectKind;
import org.pkilab.audit.AuditSnapshot.Principal;
import org.pkilab.audit.AuditSnapshot.PrincipalKind;
import org.pkilab.directory.client.DirectoryException;
import org.pkilab.directory.model.CertificateMappingSettings;
import org.pkilab.directory.model.DomainNames;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.directory.model.TemplateAttributes;
import org.pkilab.enrollment.CaRegistrySettings;
import org.pkilab.lab.Lab;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads an {@link AuditSnapshot} from a running domain over LDAP, as an auditing tool reads a Windows forest with an
 * account that may read it: the templates under {@code CN=Certificate Templates} with their {@code nTSecurityDescriptor},
 * the enterprise CAs under {@code CN=Enrollment Services}, the PKI containers, {@code NTAuthCertificates} and the CA's
 * computer object, the issuance policies under {@code CN=OID}, and every principal with its {@code tokenGroups} (one
 * base-scope read each: the DC computes it with nesting resolved) and {@code altSecurityIdentities}.
 *
 * <p>What is not in the directory comes through two small interfaces: the CAs' registry settings ({@link CaRegistryReader},
 * read over the CA's administration interface, as tools read a Windows CA's over remote registry) and the DC's
 * certificate-mapping registry values ({@link MappingReader}). Left at their defaults they assume a new CA and a
 * fully patched DC, and the snapshot records each assumption, so the report never passes a guess off as a fact.
 *
 * <pre>{@code
 * try (LDAPConnection ldap = new LDAPConnection("127.0.0.1", 50389, "CN=Administrator,CN=Users,DC=contoso,DC=com", pw)) {
 *     AuditSnapshot s = DirectoryAuditLoader.load(ldap, DomainNames.of("contoso.com"), caAdmin::registry, () -> dcMapping);
 * }
 * AuditSnapshot s = DirectoryAuditLoader.load(lab);   // a scenario's lab, as its Administrator
 * }</pre>
 */
public final class DirectoryAuditLoader {

    /** The registry settings of the CA named {@code caName}; null, or {@link NotRead} with the reason, when they cannot be read. */
    @FunctionalInterface
    public interface CaRegistryReader {
        CaRegistrySettings read(String caName);
    }

    /** The DC's certificate-mapping registry values; null, or {@link NotRead} with the reason, when they cannot be read. */
    @FunctionalInterface
    public interface MappingReader {
        CertificateMappingSettings read();
    }

    /**
     * A reader could not read what it reads, and says why ("Contoso-CA refused GET registry: 0x80070005 E_ACCESSDENIED ...",
     * "no lab console given"): the loader assumes the default and records the reason with the assumption.
     */
    public static final class NotRead extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public NotRead(String reason) {
            super(reason);
        }
    }

    /** Reads no registry: a new CA's settings, recorded as an assumption. */
    public static final CaRegistryReader CA_DEFAULTS = name -> null;
    /** Reads no registry: Windows' default since February 2025, recorded as an assumption. */
    public static final MappingReader MAPPING_DEFAULT = () -> null;

    private static final String[] PRINCIPAL_ATTRIBUTES = {"objectClass", "objectSid", "sAMAccountName", "cn", "userPrincipalName",
            "dNSHostName", "altSecurityIdentities", "nTSecurityDescriptor"};

    private DirectoryAuditLoader() {
    }

    /**
     * The snapshot of the lab's forest, read over LDAP as its Administrator; the CA's registry settings and the DC's
     * mapping settings from {@code registry} and {@code mapping}.
     */
    public static AuditSnapshot load(Lab lab, CaRegistryReader registry, MappingReader mapping) {
        try (LDAPConnection ldap = new LDAPConnection("127.0.0.1", lab.dc().ldapPort(), lab.dc().administratorDn(), lab.password())) {
            return load(ldap, lab.dc().names(), registry, mapping);
        } catch (LDAPException e) {
            throw new DirectoryException(e.getResultCode().intValue(), "the audit could not bind to " + lab.dc().ldapUrl() + " as "
                    + lab.dc().administratorDn() + ": " + e.getMessage(), e);
        }
    }

    /** The snapshot of the lab's forest, with the registry settings of its CA and its DC as they are now. */
    public static AuditSnapshot load(Lab lab) {
        return load(lab, name -> lab.ca().registrySettings(), () -> lab.dc().certificateMapping());
    }

    /** Reads the snapshot over {@code ldap}, bound as an account that may read the forest's PKI objects and accounts. */
    public static AuditSnapshot load(LDAPConnection ldap, DomainNames names, CaRegistryReader registry, MappingReader mapping) {
        try {
            SearchResultEntry domain = ldap.getEntry(names.domain(), "objectSid");
            if (domain == null || !domain.hasAttribute("objectSid")) {
                throw new DirectoryException("no domain " + names.domain() + " on this directory");
            }
            SecurityIdentifier domainSid = SecurityIdentifier.fromBytes(domain.getAttributeValueBytes("objectSid"));
            AuditSnapshot.Builder b = AuditSnapshot.builder(names.dnsName(), names.defaultNetbiosName(), domainSid);
            b.dcHost(dcHost(ldap, names));
            templates(ldap, names, domainSid, b);
            List<EnterpriseCa> cas = cas(ldap, names, registry, b);
            principals(ldap, names, domainSid, b);
            pkiObjects(ldap, names, domainSid, cas, b);
            oids(ldap, names, b);
            CertificateMappingSettings m;
            String why = "";
            try {
                m = mapping.read();
            } catch (NotRead e) {
                m = null;
                why = " (" + oneLine(e.getMessage()) + ")";
            }
            if (m == null) {
                b.assume("the DC's certificate-mapping settings were not read" + why + ": " + CertificateMappingSettings.WINDOWS_DEFAULT.describe()
                        + " (Windows' default) assumed");
                m = CertificateMappingSettings.WINDOWS_DEFAULT;
            }
            b.mapping(m);
            return b.build();
        } catch (LDAPException e) {
            throw new DirectoryException(e.getResultCode().intValue(), "the audit could not read " + names.dnsName() + ": " + e.getMessage()
                    + (e.getResultCode() == ResultCode.INSUFFICIENT_ACCESS_RIGHTS ? " (the account may not read it; audit as a Domain Admin)" : ""), e);
        }
    }

    private static String oneLine(String text) {
        return text == null ? "no reason given" : text.strip().replaceAll("\\s*\\n\\s*", " ");
    }

    private static String dcHost(LDAPConnection ldap, DomainNames names) throws LDAPException {
        RootDSE root = ldap.getRootDSE();
        String host = root == null ? null : root.getAttributeValue("dnsHostName");
        if (host != null) {
            return host;
        }
        for (SearchResultEntry e : search(ldap, names.domainControllers(), Filter.createEqualityFilter("objectClass", "computer"), "dNSHostName")) {
            if (e.hasAttribute("dNSHostName")) {
                return e.getAttributeValue("dNSHostName");
            }
        }
        return "dc01." + names.dnsName();
    }

    private static void templates(LDAPConnection ldap, DomainNames names, SecurityIdentifier domainSid, AuditSnapshot.Builder b) throws LDAPException {
        for (SearchResultEntry e : search(ldap, names.certificateTemplates(), Filter.createEqualityFilter("objectClass", "pKICertificateTemplate"),
                "*", "nTSecurityDescriptor")) {
            Map<String, List<byte[]>> attributes = new LinkedHashMap<>();
            for (Attribute a : e.getAttributes()) {
                attributes.put(a.getName(), List.of(a.getValueByteArrays()));
            }
            b.template(TemplateAttributes.fromAttributes(attributes, domainSid));
        }
    }

    private static List<EnterpriseCa> cas(LDAPConnection ldap, DomainNames names, CaRegistryReader registry, AuditSnapshot.Builder b)
            throws LDAPException {
        List<EnterpriseCa> cas = new ArrayList<>();
        for (SearchResultEntry e : search(ldap, names.enrollmentServices(), Filter.createEqualityFilter("objectClass", "pKIEnrollmentService"),
                "cn", "dNSHostName", "certificateTemplates", "msPKI-Enrollment-Servers")) {
            String name = e.getAttributeValue("cn");
            CaRegistrySettings settings;
            String why = "";
            try {
                settings = registry.read(name);
            } catch (NotRead notRead) {
                settings = null;
                why = " (" + oneLine(notRead.getMessage()) + ")";
            }
            if (settings == null) {
                b.assume("the registry settings of " + name + " were not read" + why + ": a new enterprise CA's (EditFlags 0x"
                        + Integer.toHexString(CaRegistrySettings.DEFAULT_EDIT_FLAGS) + ", InterfaceFlags 0x"
                        + Integer.toHexString(CaRegistrySettings.DEFAULT_INTERFACE_FLAGS) + ", Security " + CaRegistrySettings.DEFAULT_SECURITY
                        + ") assumed");
                settings = CaRegistrySettings.DEFAULT;
            }
            String[] templates = e.getAttributeValues("certificateTemplates");
            EnterpriseCa ca = new EnterpriseCa(name, e.getAttributeValue("dNSHostName"), templates == null ? List.of() : List.of(templates), settings);
            cas.add(ca);
            b.ca(ca);
            String[] servers = e.getAttributeValues("msPKI-Enrollment-Servers");
            for (String server : servers == null ? new String[0] : servers) {
                String[] parts = server.split("\n");
                if (parts.length >= 4) {
                    b.endpoint(new EnrollmentEndpoint(name, parts[3], authentication(parts[1]), false));
                }
            }
        }
        return cas;
    }

    /** {@code msPKI-Enrollment-Servers}' authentication value ([MS-ADTS] 2.2.x): 1 Anonymous, 2 Kerberos, 4 user name and password, 8 client certificate. */
    static List<String> authentication(String value) {
        int flags;
        try {
            flags = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            return List.of(value.trim());
        }
        List<String> kinds = new ArrayList<>();
        if ((flags & 1) != 0) {
            kinds.add("Anonymous");
        }
        if ((flags & 2) != 0) {
            kinds.add("Kerberos");
        }
        if ((flags & 4) != 0) {
            kinds.add("UsernamePassword");
        }
        if ((flags & 8) != 0) {
            kinds.add("ClientCertificate");
        }
        return kinds;
    }

    private static void principals(LDAPConnection ldap, DomainNames names, SecurityIdentifier domainSid, AuditSnapshot.Builder b) throws LDAPException {
        List<String> withoutDescriptor = new ArrayList<>();
        for (SearchResultEntry e : search(ldap, names.domain(), Filter.createPresenceFilter("objectSid"), PRINCIPAL_ATTRIBUTES)) {
            PrincipalKind kind = kind(e);
            if (kind == null) {
                continue;
            }
            SecurityIdentifier sid = SecurityIdentifier.fromBytes(e.getAttributeValueBytes("objectSid"));
            Set<SecurityIdentifier> groups = new HashSet<>();
            if (kind != PrincipalKind.WELL_KNOWN) {
                SearchResultEntry tokens = ldap.getEntry(e.getDN(), "tokenGroups");
                if (tokens != null && tokens.hasAttribute("tokenGroups")) {
                    for (byte[] value : tokens.getAttributeValueByteArrays("tokenGroups")) {
                        groups.add(SecurityIdentifier.fromBytes(value));
                    }
                }
                groups.remove(sid);
            }
            String name = e.hasAttribute("sAMAccountName") ? e.getAttributeValue("sAMAccountName") : e.getAttributeValue("cn");
            String[] alt = e.getAttributeValues("altSecurityIdentities");
            SecurityDescriptor sd = descriptor(e, domainSid);
            if (sd == null && (kind == PrincipalKind.USER || kind == PrincipalKind.COMPUTER)) {
                withoutDescriptor.add(name);
            }
            b.principal(new Principal(sid, name, e.getDN(), kind, groups, e.getAttributeValue("userPrincipalName"),
                    e.getAttributeValue("dNSHostName"), alt == null ? List.of() : List.of(alt), sd));
        }
        if (!withoutDescriptor.isEmpty()) {
            b.assume("write access to " + withoutDescriptor.size() + " account(s) that carry no nTSecurityDescriptor was not checked "
                    + "(ESC9, ESC10, ESC14, ESC16): " + (withoutDescriptor.size() > 10 ? withoutDescriptor.subList(0, 10) + " ..." : withoutDescriptor));
        }
    }

    private static PrincipalKind kind(SearchResultEntry e) {
        if (e.hasObjectClass("computer")) {
            return PrincipalKind.COMPUTER;
        }
        if (e.hasObjectClass("user")) {
            return PrincipalKind.USER;
        }
        if (e.hasObjectClass("group")) {
            return PrincipalKind.GROUP;
        }
        if (e.hasObjectClass("foreignSecurityPrincipal") || e.getDN().toLowerCase(Locale.ROOT).contains("cn=wellknown security principals")) {
            return PrincipalKind.WELL_KNOWN;
        }
        return null;
    }

    private static SecurityDescriptor descriptor(SearchResultEntry e, SecurityIdentifier domainSid) {
        byte[] value = e.getAttributeValueBytes("nTSecurityDescriptor");
        return value == null || value.length == 0 ? null : SecurityDescriptor.decode(value, domainSid);
    }

    private static void pkiObjects(LDAPConnection ldap, DomainNames names, SecurityIdentifier domainSid, List<EnterpriseCa> cas,
                                   AuditSnapshot.Builder b) throws LDAPException {
        List<String> unread = new ArrayList<>();
        for (String dn : List.of(names.publicKeyServices(), names.certificateTemplates(), names.enrollmentServices(),
                names.certificationAuthorities(), names.aia(), names.cdp(), names.oid())) {
            pkiObject(ldap, dn, PkiObjectKind.CONTAINER, domainSid, b, unread);
        }
        pkiObject(ldap, names.ntAuthCertificates(), PkiObjectKind.NTAUTH_CERTIFICATES, domainSid, b, unread);
        for (EnterpriseCa ca : cas) {
            pkiObject(ldap, DomainNames.child(ca.name(), names.enrollmentServices()), PkiObjectKind.ENROLLMENT_SERVICE, domainSid, b, unread);
            pkiObject(ldap, DomainNames.child(ca.name(), names.certificationAuthorities()), PkiObjectKind.CERTIFICATION_AUTHORITY, domainSid, b, unread);
            if (ca.dnsHostName() != null) {
                for (SearchResultEntry computer : search(ldap, names.domain(), Filter.createANDFilter(Filter.createEqualityFilter("objectClass", "computer"),
                        Filter.createEqualityFilter("dNSHostName", ca.dnsHostName())), "cn")) {
                    pkiObject(ldap, computer.getDN(), PkiObjectKind.CA_COMPUTER, domainSid, b, unread);
                }
            }
        }
        if (!unread.isEmpty()) {
            b.assume("ESC5 could not check " + unread.size() + " PKI object(s) that are absent or carry no nTSecurityDescriptor: "
                    + unread.stream().map(dn -> dn.substring(0, dn.indexOf(',') < 0 ? dn.length() : dn.indexOf(','))).toList());
        }
    }

    private static void pkiObject(LDAPConnection ldap, String dn, PkiObjectKind kind, SecurityIdentifier domainSid, AuditSnapshot.Builder b,
                                  List<String> unread) throws LDAPException {
        SearchResultEntry e = ldap.getEntry(dn, "nTSecurityDescriptor");
        SecurityDescriptor sd = e == null ? null : descriptor(e, domainSid);
        if (sd != null) {
            b.pkiObject(new PkiObject(dn, kind, sd));
        } else {
            unread.add(dn);
        }
    }

    private static void oids(LDAPConnection ldap, DomainNames names, AuditSnapshot.Builder b) throws LDAPException {
        for (SearchResultEntry e : search(ldap, names.oid(), Filter.createEqualityFilter("objectClass", "msPKI-Enterprise-Oid"),
                "msPKI-Cert-Template-OID", "displayName", "msDS-OIDToGroupLink")) {
            String oid = e.getAttributeValue("msPKI-Cert-Template-OID");
            String link = e.getAttributeValue("msDS-OIDToGroupLink");
            if (oid != null) {
                boolean honoured = false;
                if (link != null) {
                    SearchResultEntry group = ldap.getEntry(link, "groupType", "member");
                    Integer type = group == null ? null : group.getAttributeValueAsInteger("groupType");
                    honoured = type != null && (type & 0x8) != 0 && !group.hasAttribute("member");
                }
                b.oid(new IssuancePolicy(oid, e.getAttributeValue("displayName"), link, honoured));
            }
        }
    }

    private static List<SearchResultEntry> search(LDAPConnection ldap, String base, Filter filter, String... attributes) throws LDAPException {
        try {
            SearchResult result = ldap.search(base, SearchScope.SUB, filter, attributes);
            return result.getSearchEntries();
        } catch (LDAPException e) {
            if (e.getResultCode() == ResultCode.NO_SUCH_OBJECT) {
                return List.of();
            }
            throw e;
        }
    }
}
