package org.pkilab.directory.client;

import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchResultEntry;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.DomainNames;
import org.pkilab.directory.model.DuplicateTemplate;
import org.pkilab.directory.model.EnterpriseOid;
import org.pkilab.directory.model.KeyAlgorithm;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.directory.model.TemplateAttributes;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.directory.model.TemplateFlags;
import org.pkilab.directory.model.TemplateProperties;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The Certificate Templates console (certtmpl.msc): list, read, duplicate and change the templates under
 * {@code CN=Certificate Templates,CN=Public Key Services}. What a change does to the template is the model's
 * rule ({@link DuplicateTemplate}, {@link TemplateProperties}); this class reads, writes the difference, and
 * turns a refusal into a {@link DirectoryException} naming the template. The Security tab of a template is
 * {@link SecurityTab}; the CA's "Certificate Templates to Issue" list is the CA's, not this console's.
 *
 * <pre>{@code
 * CertificateTemplatesConsole templates = admin.templates();
 * CertificateTemplate t = templates.duplicate("Web Server", "ConfigMgr Web Server Certificate",
 *         TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
 * templates.setValidity(t.name(), Duration.ofDays(730), Duration.ofDays(42));
 * }</pre>
 */
public final class CertificateTemplatesConsole {

    private static final String[] TEMPLATE_ATTRIBUTES = {"*"};
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int ISSUANCE_POLICY = 2;

    private final LDAPConnection connection;
    private final LdapOperations operations;
    private final DomainNames names;
    private final SecurityIdentifier domainSid;
    private final String bindDn;
    private final UsersAndComputers accounts;

    CertificateTemplatesConsole(LDAPConnection connection, LdapOperations operations, DomainNames names,
                                SecurityIdentifier domainSid, String bindDn, UsersAndComputers accounts) {
        this.connection = connection;
        this.operations = operations;
        this.names = names;
        this.domainSid = domainSid;
        this.bindDn = bindDn;
        this.accounts = accounts;
    }

    /** Every template, as the Certificate Templates console lists them. */
    public List<CertificateTemplate> all() {
        List<CertificateTemplate> templates = new ArrayList<>();
        for (SearchResultEntry entry : operations.search(names.certificateTemplates(),
                Filter.createEqualityFilter("objectClass", "pKICertificateTemplate"), TEMPLATE_ATTRIBUTES)) {
            templates.add(TemplateEntry.toTemplate(entry, domainSid));
        }
        return templates;
    }

    /** A template by name ({@code WebServer}) or display name ({@code Web Server}). */
    public CertificateTemplate get(String nameOrDisplayName) {
        return TemplateEntry.toTemplate(entry(nameOrDisplayName), domainSid);
    }

    /**
     * "Duplicate Template": copies {@code source} under a new display name; the template name is the
     * display name without spaces, as the console proposes. The copy gets a new OID from the forest's
     * OID arc (registered under {@code CN=OID}), revision 100, {@code CT_FLAG_IS_MODIFIED} instead of
     * {@code CT_FLAG_IS_DEFAULT}, the chosen compatibility, its EKUs as application policies, the
     * source's Security tab, and the bound account as owner with Read and Write.
     */
    public CertificateTemplate duplicate(String source, String newDisplayName, TemplateCompatibility compatibility) {
        CertificateTemplate original = get(source);
        String displayName = DirectoryAdmin.checkName("template", newDisplayName).trim();
        String name = DuplicateTemplate.templateName(displayName);
        if (!operations.search(names.certificateTemplates(), Filter.createORFilter(Filter.createEqualityFilter("cn", name),
                Filter.createEqualityFilter("displayName", displayName)), "cn").isEmpty()) {
            throw new DirectoryException(68, "a certificate template named '" + displayName + "' (" + name + ") already exists", null);
        }
        String oid = EnterpriseOid.newTemplateOid(operations.read(names.oid(), "msPKI-Cert-Template-OID")
                .getAttributeValue("msPKI-Cert-Template-OID"), RANDOM);
        CertificateTemplate duplicate = DuplicateTemplate.of(original, displayName, compatibility, oid, accounts.sidOf(bindDn));
        // the OID object first, as the console writes them: cut off between the two, what is left is an unused OID
        // object, and Duplicate Template again makes the template whole; the other order left a template without it
        String oidObject = registerOid(oid, displayName);
        try {
            operations.add(names.template(name), TemplateEntry.toAttributes(duplicate, domainSid),
                    "duplicate template '" + original.displayName() + "' as '" + displayName + "'");
        } catch (DirectoryException e) {
            try {
                connection.delete(oidObject);
            } catch (LDAPException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        return get(name);
    }

    /**
     * Changes a template's settings through {@code edit}, as pressing OK in its Properties dialog does:
     * the minor revision goes up by one. Version 1 templates cannot be changed (only their Security
     * tab), as in the console. If two administrators edit at once, the second gets an error and
     * nothing half-written.
     */
    public CertificateTemplate update(String template, UnaryOperator<CertificateTemplate.Builder> edit) {
        SearchResultEntry entry = entry(template);
        CertificateTemplate before = TemplateEntry.toTemplate(entry, domainSid);
        if (before.schemaVersion() < 2) {
            throw new DirectoryException("'" + before.displayName() + "' is a Windows 2000 (version 1) template: its settings "
                    + "cannot be changed. Duplicate it (Windows 2003 Server, Enterprise Edition) and change the copy.");
        }
        CertificateTemplate after;
        try {
            after = edit.apply(before.toBuilder()).name(before.name()).minorRevision(before.minorRevision() + 1).build();
        } catch (IllegalArgumentException e) {
            throw new DirectoryException("template '" + before.displayName() + "' not changed: " + e.getMessage());
        }
        List<Modification> changes = diff(before, after);
        // the old minor revision as a precondition: a concurrent edit makes this modify fail whole
        changes.add(0, new Modification(ModificationType.DELETE, "msPKI-Template-Minor-Revision",
                Integer.toString(before.minorRevision())));
        changes.add(1, new Modification(ModificationType.ADD, "msPKI-Template-Minor-Revision",
                Integer.toString(after.minorRevision())));
        try {
            connection.modify(entry.getDN(), changes);
        } catch (LDAPException e) {
            if (e.getResultCode() == ResultCode.NO_SUCH_ATTRIBUTE) {
                throw new DirectoryException(e.getResultCode().intValue(), "template '" + before.displayName()
                        + "' was changed by someone else meanwhile; nothing was written, read it again", e);
            }
            throw failure(e, "change template '" + before.displayName() + "'");
        }
        return get(before.name());
    }

    /** Subject Name tab: "Supply in the request" or "Build from this Active Directory information". */
    public CertificateTemplate setSubjectNameMode(String template, CertificateTemplate.SubjectNameMode mode) {
        return update(template, TemplateProperties.subjectNameMode(mode));
    }

    /**
     * Subject Name tab with "Build from this Active Directory information": the subject name format and
     * which names go in the alternate subject name, given as {@code msPKI-Certificate-Name-Flag} bits.
     * The guide's mobile-device step ("Common name", UPN cleared) is
     * {@code SUBJECT_REQUIRE_COMMON_NAME} alone.
     */
    public CertificateTemplate setSubjectNameFlags(String template, TemplateFlags.CertificateName... flags) {
        return update(template, TemplateProperties.subjectNameFlags(flags));
    }

    /** Request Handling tab: "Allow private key to be exported". */
    public CertificateTemplate setExportableKey(String template, boolean exportable) {
        return update(template, TemplateProperties.exportableKey(exportable));
    }

    /** Issuance Requirements tab: "CA certificate manager approval". */
    public CertificateTemplate setRequiresApproval(String template, boolean approval) {
        return update(template, TemplateProperties.requiresApproval(approval));
    }

    /**
     * Issuance Requirements tab: "This number of authorized signatures" with the application policy the signature must
     * carry ({@link TemplateProperties#authorizedSignatures}); 0 takes requests signed by their requester alone.
     */
    public CertificateTemplate setAuthorizedSignatures(String template, int signatures, String applicationPolicy) {
        return update(template, refused(() -> TemplateProperties.authorizedSignatures(signatures, applicationPolicy)));
    }

    /** Cryptography tab: "Minimum key size". */
    public CertificateTemplate setMinimalKeySize(String template, int bits) {
        return update(template, refused(() -> TemplateProperties.minimalKeySize(bits)));
    }

    /**
     * Cryptography tab: "Algorithm name" and "Minimum key size", which the console offers only for a
     * "Windows Server 2008, Enterprise Edition" (schema 3, CNG) template. The algorithm goes into the
     * template's CNG key settings ({@code msPKI-Asymmetric-Algorithm} in
     * {@code msPKI-RA-Application-Policies}), the size into {@code msPKI-Minimal-Key-Size}; an ECDSA
     * algorithm fixes the size (256 for {@code ECDSA_P256}) and makes Key Usage "Digital signature" alone,
     * since an ECDSA key cannot encipher keys.
     *
     * @throws DirectoryException for a schema 1 or 2 template (legacy CSP: RSA only), or a size that does
     *                            not fit the algorithm
     */
    public CertificateTemplate setKeyAlgorithm(String template, KeyAlgorithm algorithm, int minimumBits) {
        CertificateTemplate current = get(template);
        return update(template, refused(() -> TemplateProperties.keyAlgorithm(current, algorithm, minimumBits)));
    }

    /** General tab: validity and renewal periods. */
    public CertificateTemplate setValidity(String template, Duration validity, Duration renewal) {
        return update(template, b -> b.validity(validity).renewalPeriod(renewal));
    }

    /**
     * Extensions tab: Application Policies (the EKUs, kept in both attributes for schema 2+). Any Purpose
     * ({@link CertificateTemplate#OID_ANY_PURPOSE}) or an empty list (no EKU in the certificates) makes the template's
     * certificates good for anything: see {@link TemplateProperties#extendedKeyUsages}.
     */
    public CertificateTemplate setExtendedKeyUsages(String template, List<String> oids) {
        return update(template, refused(() -> TemplateProperties.extendedKeyUsages(oids)));
    }

    /**
     * Extensions tab, Issuance Policies, Add, New: registers an issuance policy under {@code CN=OID} (an
     * {@code msPKI-Enterprise-Oid} with {@code flags} 2 and an OID under the forest's arc), or finds the one of that
     * name; returns its OID.
     */
    public String createIssuancePolicy(String displayName) {
        Optional<SearchResultEntry> known = issuancePolicy(displayName);
        if (known.isPresent()) {
            return known.get().getAttributeValue("msPKI-Cert-Template-OID");
        }
        String oid = EnterpriseOid.newTemplateOid(operations.read(names.oid(), "msPKI-Cert-Template-OID")
                .getAttributeValue("msPKI-Cert-Template-OID"), RANDOM);
        registerOid(oid, DirectoryAdmin.checkName("issuance policy", displayName), ISSUANCE_POLICY);
        return oid;
    }

    /** Extensions tab: Issuance Policies, each named by its display name or OID; a version 1 template has none. */
    public CertificateTemplate setIssuancePolicies(String template, List<String> policies) {
        List<String> oids = policies.stream().map(p -> issuancePolicy(p).map(e -> e.getAttributeValue("msPKI-Cert-Template-OID"))
                .orElseThrow(() -> new DirectoryException(32, "no issuance policy '" + p + "' under " + names.oid()
                        + ": create it on the Extensions tab (Issuance Policies, Add, New) first", null))).toList();
        return update(template, b -> b.issuancePolicies(oids));
    }

    /**
     * What Microsoft's {@code Set-IssuancePolicyToGroupLink.ps1} does for Authentication Mechanism Assurance: the
     * policy's {@code msDS-OIDToGroupLink} names {@code group}, so a logon with a certificate carrying the policy
     * gets the group in its token. As the script, it takes only a universal security group without members.
     */
    public void linkIssuancePolicyToGroup(String policy, String group) {
        SearchResultEntry oid = issuancePolicy(policy).orElseThrow(() -> new DirectoryException(32, "no issuance policy '" + policy
                + "' under " + names.oid(), null));
        String groupDn = accounts.dnOf(group);
        SearchResultEntry g = operations.read(groupDn, "groupType", "member");
        int type = g.getAttributeValueAsInteger("groupType") == null ? 0 : g.getAttributeValueAsInteger("groupType");
        if ((type & 0x8) == 0) {
            throw new DirectoryException("'" + group + "' is not a universal group: an issuance policy links only to a universal "
                    + "security group (Set-IssuancePolicyToGroupLink refuses it too); create one with scope Universal");
        }
        if (g.hasAttribute("member")) {
            throw new DirectoryException("'" + group + "' has members: the group an issuance policy links to must be empty, since "
                    + "its membership comes from the certificate at logon; remove its members first");
        }
        operations.modify(oid.getDN(), "link issuance policy '" + policy + "' to '" + group + "'",
                new Modification(ModificationType.REPLACE, "msDS-OIDToGroupLink", groupDn));
    }

    private Optional<SearchResultEntry> issuancePolicy(String nameOrOid) {
        return operations.search(names.oid(), Filter.createANDFilter(Filter.createEqualityFilter("objectClass", "msPKI-Enterprise-Oid"),
                Filter.createEqualityFilter("flags", Integer.toString(ISSUANCE_POLICY)),
                Filter.createORFilter(Filter.createEqualityFilter("displayName", nameOrOid),
                        Filter.createEqualityFilter("msPKI-Cert-Template-OID", nameOrOid))),
                "msPKI-Cert-Template-OID", "displayName", "msDS-OIDToGroupLink").stream().findFirst();
    }

    /**
     * {@code CT_FLAG_NO_SECURITY_EXTENSION} in {@code msPKI-Enrollment-Flag}: the template's certificates leave out the
     * requester's SID (ESC9). Not on any tab of the Windows console; ADSI Edit or
     * {@code certutil -dstemplate NAME msPKI-Enrollment-Flag +0x00080000} set it there.
     */
    public CertificateTemplate setNoSecurityExtension(String template, boolean omitted) {
        return update(template, TemplateProperties.noSecurityExtension(omitted));
    }

    /** The edit, or the model's refusal of its arguments as a {@link DirectoryException} with the same words. */
    private static UnaryOperator<CertificateTemplate.Builder> refused(Supplier<UnaryOperator<CertificateTemplate.Builder>> edit) {
        try {
            return edit.get();
        } catch (IllegalArgumentException e) {
            throw new DirectoryException(e.getMessage());
        }
    }

    /** Superseded Templates tab: the templates (by name or display name) this one replaces. */
    public CertificateTemplate setSupersededTemplates(String template, List<String> superseded) {
        List<String> resolved = superseded.stream().map(s -> get(s).name()).toList();
        return update(template, b -> b.supersededTemplates(resolved));
    }

    SearchResultEntry entry(String nameOrDisplayName) {
        if (nameOrDisplayName == null || nameOrDisplayName.isBlank()) {
            throw new DirectoryException("no template name given");
        }
        List<SearchResultEntry> found = operations.search(names.certificateTemplates(), Filter.createANDFilter(
                Filter.createEqualityFilter("objectClass", "pKICertificateTemplate"),
                Filter.createORFilter(Filter.createEqualityFilter("cn", nameOrDisplayName),
                        Filter.createEqualityFilter("displayName", nameOrDisplayName))), TEMPLATE_ATTRIBUTES);
        if (found.isEmpty()) {
            throw new DirectoryException(32, "no certificate template named '" + nameOrDisplayName + "' in "
                    + names.certificateTemplates(), null);
        }
        return found.get(0);
    }

    private static List<Modification> diff(CertificateTemplate before, CertificateTemplate after) {
        Map<String, List<byte[]>> old = new LinkedHashMap<>(TemplateAttributes.toAttributes(before, SecurityIdentifier.EVERYONE));
        Map<String, List<byte[]>> now = new LinkedHashMap<>(TemplateAttributes.toAttributes(after, SecurityIdentifier.EVERYONE));
        Set<String> all = new LinkedHashSet<>(old.keySet());
        all.addAll(now.keySet());
        all.removeAll(Set.of("cn", "msPKI-Template-Minor-Revision", "nTSecurityDescriptor"));
        List<Modification> changes = new ArrayList<>();
        for (String attribute : all) {
            List<byte[]> a = old.getOrDefault(attribute, List.of());
            List<byte[]> b = now.getOrDefault(attribute, List.of());
            if (!sameValues(a, b)) {
                changes.add(new Modification(ModificationType.REPLACE, attribute, b.toArray(new byte[0][])));
            }
        }
        return changes;
    }

    private static boolean sameValues(List<byte[]> a, List<byte[]> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!Arrays.equals(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }

    private String registerOid(String oid, String displayName) {
        return registerOid(oid, displayName, 1);
    }

    /** {@code flags}: 1 a template's OID, 2 an issuance policy, 3 an application policy (MS-CRTD 2.1.1.1). */
    private String registerOid(String oid, String displayName, int flags) {
        String cn = EnterpriseOid.objectName(oid, RANDOM);
        String dn = DomainNames.child(cn, names.oid());
        operations.add(dn, List.of(new Attribute("objectClass", "top", "msPKI-Enterprise-Oid"),
                new Attribute("cn", cn), new Attribute("displayName", displayName), new Attribute("flags", Integer.toString(flags)),
                new Attribute("msPKI-Cert-Template-OID", oid)), "register OID " + oid);
        return dn;
    }

    private static DirectoryException failure(LDAPException e, String action) {
        return LdapOperations.failure("", e, action);
    }
}
