package org.pkilab.directory;

import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.server.core.api.CoreSession;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.DefaultTemplates;
import org.pkilab.directory.model.DomainNames;
import org.pkilab.directory.model.RelativeIds;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.directory.model.TemplateAttributes;
import org.pkilab.directory.model.TemplateFlags;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;

/**
 * Creates what {@code dcpromo} and the first enterprise CA leave in a new single-domain forest: the
 * domain head with its SID, the standard containers, the built-in groups and the Administrator, the
 * DC's computer account, the Public Key Services tree with the default certificate templates, and the
 * Default Domain Policy linked to the domain.
 */
final class ForestProvisioner {

    /** The Default Domain Policy's GUID, the same in every domain. */
    static final String DEFAULT_DOMAIN_POLICY = "{31B2F340-016D-11D2-945F-00C04FB984F9}";
    static final int GROUP_GLOBAL_SECURITY = 0x80000002;
    static final int GROUP_DOMAIN_LOCAL_SECURITY = 0x80000004;
    static final int GROUP_UNIVERSAL_SECURITY = 0x80000008;
    static final int SAM_GROUP_OBJECT = 0x10000000;
    static final int SAM_ALIAS_OBJECT = 0x20000000;
    static final int SAM_USER_OBJECT = 0x30000000;
    static final int SAM_MACHINE_ACCOUNT = 0x30000001;
    static final int UAC_NORMAL_ACCOUNT_DONT_EXPIRE = 0x10200;
    static final int UAC_SERVER_TRUST_ACCOUNT = 0x82000;

    private final CoreSession admin;
    private final SchemaManager schema;
    private final DomainNames names;
    private final DomainControllerConfig config;
    private final SecureRandom random = new SecureRandom();

    ForestProvisioner(CoreSession admin, SchemaManager schema, DomainControllerConfig config) {
        this.admin = admin;
        this.schema = schema;
        this.names = config.names();
        this.config = config;
    }

    /** Creates the forest; returns the new domain's SID. */
    SecurityIdentifier provision(String administratorPassword, X509Certificate dcCertificate) throws LdapException {
        SecurityIdentifier domainSid = SecurityIdentifier.parse("S-1-5-21-" + sub() + "-" + sub() + "-" + sub());
        String firstLabel = names.dnsName().substring(0, names.dnsName().indexOf('.'));
        add(names.domain(), "objectClass", List.of("top", "domain", "domainDNS"), "dc", firstLabel,
                "objectSid", domainSid.toBytes(), "nextRid", RelativeIds.FIRST_USER_RID,
                "gPLink", "[LDAP://" + names.gpo(DEFAULT_DOMAIN_POLICY) + ";0]", "gPOptions", 0);
        container(names.users(), "Default container for upgraded user accounts");
        container(names.computers(), "Default container for upgraded computer accounts");
        add(names.domainControllers(), "objectClass", List.of("top", "organizationalUnit"), "ou", "Domain Controllers",
                "description", "Default container for domain controllers");
        container(names.system(), "Builtin system settings");
        container(names.policies(), null);
        add(names.gpo(DEFAULT_DOMAIN_POLICY), "objectClass", List.of("top", "container", "groupPolicyContainer"),
                "cn", DEFAULT_DOMAIN_POLICY, "displayName", "Default Domain Policy", "flags", 0, "versionNumber", 1,
                "gPCFunctionalityVersion", 2,
                "gPCFileSysPath", "\\\\" + names.dnsName() + "\\sysvol\\" + names.dnsName() + "\\Policies\\" + DEFAULT_DOMAIN_POLICY);
        container(names.configuration(), null);
        container(names.wellKnownSecurityPrincipals(), null);
        wellKnown("Authenticated Users", SecurityIdentifier.AUTHENTICATED_USERS);
        wellKnown("Everyone", SecurityIdentifier.EVERYONE);
        wellKnown("Enterprise Domain Controllers", SecurityIdentifier.ENTERPRISE_DOMAIN_CONTROLLERS);
        container(names.services(), null);
        container(names.publicKeyServices(), null);
        container(names.certificateTemplates(), null);
        container(names.enrollmentServices(), null);
        container(names.certificationAuthorities(), null);
        container(names.aia(), null);
        container(names.cdp(), null);
        add(names.ntAuthCertificates(), "objectClass", List.of("top", "certificationAuthority"), "cn", "NTAuthCertificates");
        String oidBase = "1.3.6.1.4.1.311.21.8." + oidArc() + "." + oidArc() + "." + oidArc() + "." + oidArc()
                + "." + oidArc() + "." + (1 + random.nextInt(255));
        add(names.oid(), "objectClass", List.of("top", "msPKI-Enterprise-Oid"), "cn", "OID",
                "msPKI-Cert-Template-OID", oidBase);

        group("Domain Admins", RelativeIds.DOMAIN_ADMINS, GROUP_GLOBAL_SECURITY, domainSid, "Designated administrators of the domain");
        group("Domain Users", RelativeIds.DOMAIN_USERS, GROUP_GLOBAL_SECURITY, domainSid, "All domain users");
        group("Domain Computers", RelativeIds.DOMAIN_COMPUTERS, GROUP_GLOBAL_SECURITY, domainSid, "All workstations and servers joined to the domain");
        group("Domain Controllers", RelativeIds.DOMAIN_CONTROLLERS, GROUP_GLOBAL_SECURITY, domainSid, "All domain controllers in the domain");
        group("Cert Publishers", RelativeIds.CERT_PUBLISHERS, GROUP_DOMAIN_LOCAL_SECURITY, domainSid,
                "Members of this group are permitted to publish certificates to the directory");
        group("Schema Admins", RelativeIds.SCHEMA_ADMINS, GROUP_UNIVERSAL_SECURITY, domainSid, "Designated administrators of the schema");
        group("Enterprise Admins", RelativeIds.ENTERPRISE_ADMINS, GROUP_UNIVERSAL_SECURITY, domainSid, "Designated administrators of the enterprise");

        String administrator = names.user("Administrator");
        add(administrator, "objectClass", List.of("top", "person", "organizationalPerson", "user"), "cn", "Administrator",
                "sAMAccountName", "Administrator", "userPrincipalName", "Administrator@" + names.dnsName(),
                "objectSid", domainSid.withRid(RelativeIds.ADMINISTRATOR).toBytes(), "primaryGroupID", RelativeIds.DOMAIN_USERS,
                "userAccountControl", UAC_NORMAL_ACCOUNT_DONT_EXPIRE, "sAMAccountType", SAM_USER_OBJECT,
                "description", "Built-in account for administering the computer/domain", "isCriticalSystemObject", "TRUE",
                "userPassword", administratorPassword);
        for (String group : List.of("Domain Admins", "Enterprise Admins", "Schema Admins")) {
            admin.modify(dn(names.user(group)), new org.apache.directory.api.ldap.model.entry.DefaultModification(
                    org.apache.directory.api.ldap.model.entry.ModificationOperation.ADD_ATTRIBUTE, "member", administrator));
        }

        String fqdn = config.hostName().toLowerCase() + "." + names.dnsName();
        try {
            add(DomainNames.child(config.hostName(), names.domainControllers()),
                    "objectClass", List.of("top", "person", "organizationalPerson", "user", "computer"), "cn", config.hostName(),
                    "sAMAccountName", config.hostName() + "$", "dNSHostName", fqdn,
                    "objectSid", domainSid.withRid(1000).toBytes(), "primaryGroupID", RelativeIds.DOMAIN_CONTROLLERS,
                    "userAccountControl", UAC_SERVER_TRUST_ACCOUNT, "sAMAccountType", SAM_MACHINE_ACCOUNT,
                    "servicePrincipalName", List.of("ldap/" + fqdn, "HOST/" + fqdn, "HOST/" + config.hostName()),
                    "operatingSystem", "Windows Server 2008 R2 Enterprise", "userCertificate", dcCertificate.getEncoded(),
                    "isCriticalSystemObject", "TRUE");
        } catch (CertificateEncodingException e) {
            throw new LdapException("cannot encode the DC certificate", e);
        }

        for (CertificateTemplate template : DefaultTemplates.all(oidBase, domainSid)) {
            addTemplate(template, domainSid);
        }
        return domainSid;
    }

    /**
     * Adds the default templates a forest made by an earlier lab lacks (Kerberos Authentication came later), as
     * installing a newer enterprise CA adds the defaults missing from the forest; returns their display names.
     */
    List<String> addMissingDefaultTemplates(SecurityIdentifier domainSid) throws Exception {
        String base = admin.lookup(dn(names.oid()), "msPKI-Cert-Template-OID").get("msPKI-Cert-Template-OID").getString();
        List<String> added = new java.util.ArrayList<>();
        for (CertificateTemplate template : DefaultTemplates.all(base, domainSid)) {
            if (!admin.exists(dn(names.template(template.name())))) {
                addTemplate(template, domainSid);
                added.add(template.displayName());
            }
        }
        return added;
    }

    private void addTemplate(CertificateTemplate template, SecurityIdentifier domainSid) throws LdapException {
        Entry entry = new DefaultEntry(schema, names.template(template.name()));
        entry.add("objectClass", "top", "pKICertificateTemplate");
        for (Map.Entry<String, List<byte[]>> attribute : TemplateAttributes.toAttributes(template, domainSid).entrySet()) {
            for (byte[] value : attribute.getValue()) {
                addValue(entry, attribute.getKey(), value);
            }
        }
        admin.add(entry);
    }

    private void container(String dn, String description) throws LdapException {
        String cn = dn.substring(3, dn.indexOf(','));
        if (description == null) {
            add(dn, "objectClass", List.of("top", "container"), "cn", cn);
        } else {
            add(dn, "objectClass", List.of("top", "container"), "cn", cn, "description", description);
        }
    }

    private void wellKnown(String name, SecurityIdentifier sid) throws LdapException {
        add(DomainNames.child(name, names.wellKnownSecurityPrincipals()), "objectClass", List.of("top", "foreignSecurityPrincipal"),
                "cn", name, "objectSid", sid.toBytes());
    }

    /**
     * Registers in {@code CN=OID} the OID of every duplicated template that lacks its {@code msPKI-Enterprise-Oid}
     * object: what a lab killed inside Duplicate Template left, when the template was written before its OID object.
     * Returns the templates repaired.
     */
    List<String> registerMissingTemplateOids() throws Exception {
        String base = admin.lookup(dn(names.oid()), "msPKI-Cert-Template-OID").get("msPKI-Cert-Template-OID").getString();
        java.util.Set<String> registered = new java.util.HashSet<>();
        for (Entry oid : search(names.oid(), "(objectClass=msPKI-Enterprise-Oid)", "msPKI-Cert-Template-OID")) {
            if (oid.get("msPKI-Cert-Template-OID") != null) {
                registered.add(oid.get("msPKI-Cert-Template-OID").getString());
            }
        }
        List<String> repaired = new java.util.ArrayList<>();
        for (Entry template : search(names.certificateTemplates(), "(objectClass=pKICertificateTemplate)",
                "msPKI-Cert-Template-OID", "displayName", "flags")) {
            // only a duplicate (IS_MODIFIED) has an object in CN=OID; the default templates' OIDs are registered nowhere
            boolean duplicate = template.get("flags") != null
                    && (Integer.parseInt(template.get("flags").getString().trim()) & TemplateFlags.General.IS_MODIFIED.value()) != 0;
            if (template.get("msPKI-Cert-Template-OID") == null || !duplicate) {
                continue;
            }
            String oid = template.get("msPKI-Cert-Template-OID").getString();
            if (oid.startsWith(base + ".") && !registered.contains(oid)) {
                String displayName = template.get("displayName") == null ? oid : template.get("displayName").getString();
                byte[] hex = new byte[16];
                random.nextBytes(hex);
                String cn = oid.substring(oid.lastIndexOf('.') + 1) + "." + java.util.HexFormat.of().withUpperCase().formatHex(hex);
                add(DomainNames.child(cn, names.oid()), "objectClass", List.of("top", "msPKI-Enterprise-Oid"), "cn", cn,
                        "displayName", displayName, "flags", 1, "msPKI-Cert-Template-OID", oid);
                repaired.add(displayName);
            }
        }
        return repaired;
    }

    private List<Entry> search(String base, String filter, String... attributes) throws Exception {
        List<Entry> found = new java.util.ArrayList<>();
        try (org.apache.directory.api.ldap.model.cursor.Cursor<Entry> cursor = admin.search(dn(base),
                org.apache.directory.api.ldap.model.message.SearchScope.ONELEVEL,
                org.apache.directory.api.ldap.model.filter.FilterParser.parse(schema, filter),
                org.apache.directory.api.ldap.model.message.AliasDerefMode.NEVER_DEREF_ALIASES, attributes)) {
            while (cursor.next()) {
                found.add(cursor.get());
            }
        }
        return found;
    }

    private void group(String name, int rid, int groupType, SecurityIdentifier domainSid, String description) throws LdapException {
        add(names.user(name), "objectClass", List.of("top", "group"), "cn", name, "sAMAccountName", name,
                "objectSid", domainSid.withRid(rid).toBytes(), "groupType", groupType,
                "sAMAccountType", groupType == GROUP_DOMAIN_LOCAL_SECURITY ? SAM_ALIAS_OBJECT : SAM_GROUP_OBJECT,
                "description", description, "isCriticalSystemObject", "TRUE");
    }

    private void add(String dn, Object... pairs) throws LdapException {
        Entry entry = new DefaultEntry(schema, dn);
        for (int i = 0; i < pairs.length; i += 2) {
            String attribute = (String) pairs[i];
            Object value = pairs[i + 1];
            if (value instanceof List<?> list) {
                for (Object item : list) {
                    addValue(entry, attribute, item);
                }
            } else {
                addValue(entry, attribute, value);
            }
        }
        admin.add(entry);
    }

    private void addValue(Entry entry, String attribute, Object value) throws LdapException {
        if (value instanceof byte[] bytes) {
            if (schema.lookupAttributeTypeRegistry(attribute).getSyntax().isHumanReadable()) {
                entry.add(attribute, new String(bytes, StandardCharsets.UTF_8));
            } else {
                entry.add(attribute, bytes);
            }
        } else {
            entry.add(attribute, String.valueOf(value));
        }
    }

    private org.apache.directory.api.ldap.model.name.Dn dn(String dn) throws LdapException {
        return new org.apache.directory.api.ldap.model.name.Dn(schema, dn);
    }

    private long sub() {
        return 1_000_000_000L + (random.nextLong() & 0x7FFFFFFFL) % 3_000_000_000L;
    }

    private int oidArc() {
        return 1 + random.nextInt(16_777_215);
    }
}
