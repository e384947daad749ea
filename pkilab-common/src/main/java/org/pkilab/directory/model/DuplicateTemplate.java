package org.pkilab.directory.model;

import java.util.List;

/**
 * The Certificate Templates console's "Duplicate Template", as a rule on values: what the copy of a
 * template holds before it is written to the directory.
 *
 * <p>The copy takes the display name the administrator typed and, as template name, that name without
 * spaces; a new OID; revision 100, minor revision 0; {@code CT_FLAG_IS_MODIFIED} instead of
 * {@code CT_FLAG_IS_DEFAULT}; the chosen compatibility (schema version and the minimum CA / client bits of
 * {@code msPKI-Private-Key-Flag}); its EKUs as application policies when it had none; the source's Security
 * tab with the administrator who duplicated it as owner, allowed Read and Write. A schema 3 (CNG) copy lists
 * no legacy providers and gets Windows' default CNG key settings.
 *
 * <pre>{@code
 * CertificateTemplate copy = DuplicateTemplate.of(webServer, "ConfigMgr Web Server Certificate",
 *         TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE, oid, administrator);
 * copy.name();           // ConfigMgrWebServerCertificate
 * copy.schemaVersion();  // 2
 * copy.revision();       // 100
 * }</pre>
 */
public final class DuplicateTemplate {

    private DuplicateTemplate() {
    }

    /** The template name the console proposes for a display name: the display name without spaces. */
    public static String templateName(String displayName) {
        return displayName.trim().replace(" ", "");
    }

    /**
     * The copy of {@code original} named {@code displayName}.
     *
     * @param oid     the copy's new OID ({@link EnterpriseOid#newTemplateOid})
     * @param creator the account that duplicates it: the copy's owner and primary group
     * @throws IllegalArgumentException when {@code original} was read without its Security tab
     */
    public static CertificateTemplate of(CertificateTemplate original, String displayName, TemplateCompatibility compatibility,
                                         String oid, SecurityIdentifier creator) {
        SecurityDescriptor source = original.securityDescriptor();
        if (source == null) {
            throw new IllegalArgumentException("template '" + original.displayName()
                    + "' was read without its Security tab: read it with its nTSecurityDescriptor to duplicate it");
        }
        SecurityDescriptor security = new SecurityDescriptor(creator, creator, "PAI", source.entries())
                .allow(creator, AccessRight.READ).allow(creator, AccessRight.WRITE);
        String shown = displayName.trim();
        CertificateTemplate.Builder copy = original.toBuilder()
                .name(templateName(shown)).displayName(shown).schemaVersion(compatibility.schemaVersion())
                .revision(100).minorRevision(0).oid(oid)
                .flags((original.flags() & ~TemplateFlags.General.IS_DEFAULT.value()) | TemplateFlags.General.IS_MODIFIED.value())
                .privateKeyFlags((original.privateKeyFlags() & ~TemplateFlags.PrivateKey.COMPATIBILITY_MASK)
                        | compatibility.compatibilityBits())
                .applicationPolicies(original.applicationPolicies().isEmpty() ? original.extendedKeyUsages() : original.applicationPolicies())
                .securityDescriptor(security);
        if (compatibility.schemaVersion() >= 3) {
            copy.cryptographicProviders(List.of()).raApplicationPolicies(List.of(CngKeySettings.WINDOWS_DEFAULT.format()));
        }
        return copy.build();
    }
}
