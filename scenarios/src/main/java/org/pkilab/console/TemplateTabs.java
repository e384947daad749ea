package org.pkilab.console;

import org.pkilab.directory.model.ApplicationPolicy;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.CngKeySettings;
import org.pkilab.directory.model.PkiPeriod;
import org.pkilab.directory.model.TemplateFlags;
import org.pkilab.directory.model.TemplateFlags.CertificateName;
import org.pkilab.directory.model.TemplateFlags.Enrollment;
import org.pkilab.directory.model.TemplateFlags.General;
import org.pkilab.directory.model.TemplateFlags.PrivateKey;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The tabs of a certificate template's Properties dialog in certtmpl.msc, but for Security ({@link TemplatesView}):
 * each setting as the dialog words it, and under it the attribute of the {@code pKICertificateTemplate} object that
 * holds it, with its raw value and the [MS-CRTD] names of its bits, since that is what {@code certutil -v -dstemplate},
 * ADSI Edit and the audit read:
 *
 * <pre>
 * Publish certificate in Active Directory   No
 *     msPKI-Enrollment-Flag 0x00000020 (CT_FLAG_AUTO_ENROLLMENT)
 * </pre>
 */
final class TemplateTabs {

    /** The tabs in the dialog's order: the label, and the {@code tab} parameter that opens it. */
    static final List<String[]> TABS = List.of(new String[] {"General", "general"}, new String[] {"Compatibility", "compatibility"},
            new String[] {"Request Handling", "request-handling"}, new String[] {"Cryptography", "cryptography"},
            new String[] {"Subject Name", "subject-name"}, new String[] {"Issuance Requirements", "issuance-requirements"},
            new String[] {"Superseded Templates", "superseded"}, new String[] {"Extensions", "extensions"}, new String[] {"Security", "security"});

    private static final String[] KEY_USAGE_BITS = {"Digital signature", "Non-repudiation", "Key encipherment", "Data encipherment",
            "Key agreement", "Certificate signing", "CRL signing", "Encipher only", "Decipher only"};
    private static final Map<String, String> EXTENSIONS = Map.of("2.5.29.15", "Key Usage", "2.5.29.19", "Basic Constraints",
            "2.5.29.37", "Extended Key Usage", "2.5.29.32", "Certificate Policies", "1.3.6.1.4.1.311.21.10", "Application Policies",
            "1.3.6.1.4.1.311.21.7", "Certificate Template Information");

    private TemplateTabs() {
    }

    static String general(CertificateTemplate t) {
        return Html.fields(List.of(
                setting("Template display name", t.displayName(), raw("displayName", t.displayName())),
                setting("Template name", t.name(), raw("cn", t.name())),
                setting("Template OID", t.oid() == null ? "(none)" : t.oid(), raw("msPKI-Cert-Template-OID", t.oid())),
                setting("Version", t.revision() + "." + t.minorRevision(), raw("revision", t.revision()) + "; "
                        + raw("msPKI-Template-Minor-Revision", t.minorRevision())),
                setting("Validity period", PkiPeriod.display(t.validity()), raw("pKIExpirationPeriod", PkiPeriod.display(t.validity()))),
                setting("Renewal period", PkiPeriod.display(t.renewalPeriod()), raw("pKIOverlapPeriod", PkiPeriod.display(t.renewalPeriod()))),
                setting("Publish certificate in Active Directory", yes(Enrollment.PUBLISH_TO_DS.isSetIn(t.enrollmentFlags())),
                        flags("msPKI-Enrollment-Flag", t.enrollmentFlags(), Enrollment.values())),
                setting("Do not automatically reenroll if a duplicate certificate exists in Active Directory",
                        yes(Enrollment.AUTO_ENROLLMENT_CHECK_USER_DS_CERTIFICATE.isSetIn(t.enrollmentFlags())), "the same attribute's 0x10"),
                setting("Enrolls", t.machineTemplate() ? "Computers (the CA builds names from the computer account)" : "Users",
                        flags("flags", t.flags(), General.values()))));
    }

    static String compatibility(CertificateTemplate t) {
        int bits = t.privateKeyFlags();
        int ca = (bits >>> 16) & 0xF;
        int client = (bits >>> 24) & 0xF;
        boolean v1 = t.schemaVersion() == 1;
        String[] cas = {"Windows Server 2003", "Windows Server 2003", "Windows Server 2008", "Windows Server 2008 R2", "Windows Server 2012",
                "Windows Server 2012 R2", "Windows Server 2016"};
        String[] clients = {"Windows XP / Server 2003", "Windows XP / Server 2003", "Windows Vista / Server 2008", "Windows 7 / Server 2008 R2",
                "Windows 8 / Server 2012", "Windows 8.1 / Server 2012 R2", "Windows 10 / Windows Server 2016"};
        return "<p>The oldest CA and client that can use the template: what the Duplicate Template dialog asked for, written into the "
                + "upper bits of <code>msPKI-Private-Key-Flag</code> (CA in bits 16-19, client in bits 24-27).</p>"
                + Html.fields(List.of(
                setting("Schema version", t.schemaVersion() + (v1 ? " (Windows 2000: only its Security tab can change; duplicate it to change the rest)"
                        : ""), raw("msPKI-Template-Schema-Version", t.schemaVersion())),
                setting("Certification Authority", v1 ? "Windows 2000" : ca < cas.length ? cas[ca] : "version " + ca, hex("msPKI-Private-Key-Flag",
                        bits & 0x000F0000) + " (bits 16-19)"),
                setting("Certificate recipient", v1 ? "Windows 2000" : client < clients.length ? clients[client] : "version " + client,
                        hex("msPKI-Private-Key-Flag", bits & 0x0F000000) + " (bits 24-27)")));
    }

    static String requestHandling(CertificateTemplate t) {
        int pk = t.privateKeyFlags();
        int en = t.enrollmentFlags();
        byte[] ku = t.keyUsage();
        boolean signs = ku.length > 0 && (ku[0] & 0x80) != 0;
        String purpose = t.defaultKeySpec() == 2 ? "Signature" : signs ? "Signature and encryption" : "Encryption";
        return Html.fields(List.of(
                setting("Purpose", purpose, raw("pKIDefaultKeySpec", t.defaultKeySpec() + (t.defaultKeySpec() == 2 ? " (AT_SIGNATURE)"
                        : " (AT_KEYEXCHANGE)"))),
                setting("Archive subject's encryption private key", yes(PrivateKey.REQUIRE_PRIVATE_KEY_ARCHIVAL.isSetIn(pk)),
                        flags("msPKI-Private-Key-Flag", pk & ~PrivateKey.COMPATIBILITY_MASK, PrivateKey.values())),
                setting("Allow private key to be exported", yes(PrivateKey.EXPORTABLE_KEY.isSetIn(pk)), "CT_FLAG_EXPORTABLE_KEY 0x10 of the same attribute"),
                setting("Renew with the same key", yes(PrivateKey.REQUIRE_SAME_KEY_RENEWAL.isSetIn(pk)), "CT_FLAG_REQUIRE_SAME_KEY_RENEWAL 0x80"),
                setting("Prompt the user during enrollment and require user input when the private key is used",
                        yes(PrivateKey.STRONG_KEY_PROTECTION_REQUIRED.isSetIn(pk)), "CT_FLAG_STRONG_KEY_PROTECTION_REQUIRED 0x20"),
                setting("Include symmetric algorithms allowed by the subject", yes(Enrollment.INCLUDE_SYMMETRIC_ALGORITHMS.isSetIn(en)),
                        flags("msPKI-Enrollment-Flag", en, Enrollment.values())),
                setting("Delete revoked or expired certificates (do not archive)", yes(Enrollment.REMOVE_INVALID_CERTIFICATE_FROM_PERSONAL_STORE
                        .isSetIn(en)), "CT_FLAG_REMOVE_INVALID_CERTIFICATE_FROM_PERSONAL_STORE 0x400"),
                setting("Prompt the user during enrollment", yes(Enrollment.USER_INTERACTION_REQUIRED.isSetIn(en)),
                        "CT_FLAG_USER_INTERACTION_REQUIRED 0x100"),
                setting("Enroll without user input (autoenrollment)", yes(Enrollment.AUTO_ENROLLMENT.isSetIn(en)), "CT_FLAG_AUTO_ENROLLMENT 0x20")));
    }

    static String cryptography(CertificateTemplate t) {
        String algorithm;
        try {
            algorithm = t.keyAlgorithm().windowsName();
        } catch (IllegalStateException e) {
            algorithm = e.getMessage();
        }
        String hash = t.cngKeySetting("msPKI-Hash-Algorithm");
        List<String[]> fields = new ArrayList<>(List.of(
                setting("Provider Category", t.usesCng() ? "Key Storage Provider (CNG)" : "Legacy Cryptographic Service Provider",
                        raw("msPKI-Template-Schema-Version", t.schemaVersion()) + (t.schemaVersion() >= 4 ? "; "
                                + flags("msPKI-Private-Key-Flag", t.privateKeyFlags() & PrivateKey.USE_LEGACY_PROVIDER.value(), PrivateKey.values()) : "")),
                setting("Algorithm name", algorithm, t.usesCng() ? "msPKI-Asymmetric-Algorithm in msPKI-RA-Application-Policies"
                        : "a legacy CSP makes RSA keys"),
                setting("Minimum key size", Integer.toString(t.minimalKeySize()), raw("msPKI-Minimal-Key-Size", t.minimalKeySize())),
                setting("Providers", t.cryptographicProviders().isEmpty() ? "Requests can use any provider available on the subject's computer"
                        : String.join("; ", t.cryptographicProviders()), "<code>pKIDefaultCSPs</code> " + Html.text(t.cryptographicProviders())),
                setting("Request hash", hash == null ? "Determined by CSP" : hash, hash == null ? "not set" : "msPKI-Hash-Algorithm"),
                setting("Use alternate signature format", yes(PrivateKey.REQUIRE_ALTERNATE_SIGNATURE_ALGORITHM.isSetIn(t.privateKeyFlags())),
                        "CT_FLAG_REQUIRE_ALTERNATE_SIGNATURE_ALGORITHM 0x40 of msPKI-Private-Key-Flag")));
        if (t.usesCng()) {
            fields.add(setting("CNG key settings", String.join("; ", t.raApplicationPolicies().stream().filter(CngKeySettings::isKeySettings).toList()),
                    "<code>msPKI-RA-Application-Policies</code>"));
        }
        return Html.fields(fields);
    }

    static String subjectName(CertificateTemplate t) {
        int f = t.certificateNameFlags();
        boolean supply = t.enrolleeSuppliesSubject();
        String format = CertificateName.SUBJECT_REQUIRE_DIRECTORY_PATH.isSetIn(f) ? "Fully distinguished name"
                : CertificateName.SUBJECT_REQUIRE_COMMON_NAME.isSetIn(f) ? "Common name"
                : CertificateName.SUBJECT_REQUIRE_DNS_AS_CN.isSetIn(f) ? "DNS name as common name"
                : CertificateName.SUBJECT_REQUIRE_EMAIL.isSetIn(f) ? "E-mail name" : "None";
        List<String> alternate = new ArrayList<>();
        addIf(alternate, CertificateName.SUBJECT_ALT_REQUIRE_EMAIL.isSetIn(f), "E-mail name");
        addIf(alternate, CertificateName.SUBJECT_ALT_REQUIRE_DNS.isSetIn(f), "DNS name");
        addIf(alternate, CertificateName.SUBJECT_ALT_REQUIRE_UPN.isSetIn(f), "User principal name (UPN)");
        addIf(alternate, CertificateName.SUBJECT_ALT_REQUIRE_SPN.isSetIn(f), "Service principal name (SPN)");
        addIf(alternate, CertificateName.SUBJECT_ALT_REQUIRE_DOMAIN_DNS.isSetIn(f), "Domain DNS name");
        addIf(alternate, CertificateName.SUBJECT_ALT_REQUIRE_DIRECTORY_GUID.isSetIn(f), "Directory GUID");
        List<String[]> fields = new ArrayList<>();
        fields.add(setting(supply ? "Supply in the request" : "Build from this Active Directory information", "Selected",
                flags("msPKI-Certificate-Name-Flag", f, CertificateName.values())));
        if (supply) {
            fields.add(setting("Warning", "The requester writes the subject and the alternate names: if the template's certificates authenticate "
                    + "clients, anyone who may enroll can name the Administrator (ESC1).", "CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT 0x1"));
        } else {
            fields.add(setting("Subject name format", format, "CT_FLAG_SUBJECT_REQUIRE_* bits"));
            fields.add(setting("Include this information in alternate subject name", alternate.isEmpty() ? "(none)" : String.join(", ", alternate),
                    "CT_FLAG_SUBJECT_ALT_REQUIRE_* bits"));
        }
        fields.add(setting("Use subject information from existing certificates for autoenrollment renewal requests",
                yes(CertificateName.OLD_CERT_SUPPLIES_SUBJECT_AND_ALT_NAME.isSetIn(f)), "CT_FLAG_OLD_CERT_SUPPLIES_SUBJECT_AND_ALT_NAME 0x8"));
        return Html.fields(fields);
    }

    static String issuanceRequirements(CertificateTemplate t, Function<String, String> policyName) {
        List<String> signaturePolicies = t.raApplicationPolicies().stream().filter(v -> !CngKeySettings.isKeySettings(v)).toList();
        return Html.fields(List.of(
                setting("CA certificate manager approval", yes(t.requiresApproval()),
                        flags("msPKI-Enrollment-Flag", t.enrollmentFlags() & Enrollment.PEND_ALL_REQUESTS.value(), Enrollment.values())),
                setting("This number of authorized signatures", Integer.toString(t.raSignatures()), raw("msPKI-RA-Signature", t.raSignatures())),
                setting("Application policy the signature must carry", signaturePolicies.isEmpty() ? "(none)" : String.join(", ",
                        signaturePolicies.stream().map(o -> ApplicationPolicy.nameOf(o) + " (" + o + ")").toList()),
                        "<code>msPKI-RA-Application-Policies</code>"),
                setting("Require the following for reenrollment", Enrollment.PREVIOUS_APPROVAL_VALIDATE_REENROLLMENT.isSetIn(t.enrollmentFlags())
                        ? "Valid existing certificate" : "Same criteria as for enrollment", "CT_FLAG_PREVIOUS_APPROVAL_VALIDATE_REENROLLMENT 0x40"),
                setting("Issuance policies of the certificate", t.issuancePolicies().isEmpty() ? "(none)"
                        : String.join(", ", t.issuancePolicies().stream().map(policyName).toList()), "<code>msPKI-Certificate-Policy</code>")));
    }

    static String superseded(CertificateTemplate t, Function<String, String> displayName) {
        return "<p>Certificates from these templates are replaced by one from this template when a client autoenrolls. "
                + "Attribute <code>msPKI-Supersede-Templates</code>.</p>"
                + Html.table("Superseded Templates of " + t.displayName(), List.of("Template Display Name", "Template name"), t.supersededTemplates(),
                name -> List.of(Html.link("/templates/template?name=" + Html.query(name), displayName.apply(name)), Html.text(name)));
    }

    static String extensions(CertificateTemplate t, Function<String, String> policyName) {
        List<String> eku = t.extendedKeyUsages();
        List<String> app = t.applicationPolicies();
        byte[] ku = t.keyUsage();
        List<String> usages = new ArrayList<>();
        for (int bit = 0; bit < KEY_USAGE_BITS.length; bit++) {
            int octet = bit / 8;
            if (octet < ku.length && (ku[octet] & (0x80 >>> (bit % 8))) != 0) {
                usages.add(KEY_USAGE_BITS[bit]);
            }
        }
        boolean anyPurpose = eku.contains(CertificateTemplate.OID_ANY_PURPOSE) || (eku.isEmpty() && app.isEmpty());
        return Html.fields(List.of(
                setting("Application Policies", app.isEmpty() ? "(none)" : purposes(app),
                        "<code>msPKI-Certificate-Application-Policy</code> " + Html.text(app)),
                setting("Extended key usage (EKU)", eku.isEmpty() ? "(none: the certificate serves every purpose)" : purposes(eku),
                        "<code>pKIExtendedKeyUsage</code> " + Html.text(eku) + (anyPurpose ? " <span class=\"warn\">Any Purpose or no EKU (ESC2)</span>" : "")),
                setting("Issuance Policies", t.issuancePolicies().isEmpty() ? "(none)"
                        : String.join(", ", t.issuancePolicies().stream().map(policyName).toList()), "<code>msPKI-Certificate-Policy</code>"),
                setting("Key Usage", usages.isEmpty() ? "(none)" : String.join(", ", usages),
                        "<code>pKIKeyUsage</code> " + HexFormat.of().formatHex(ku)),
                setting("Critical extensions", t.criticalExtensions().isEmpty() ? "(none)" : String.join(", ",
                        t.criticalExtensions().stream().map(o -> EXTENSIONS.getOrDefault(o, o) + " (" + o + ")").toList()),
                        "<code>pKICriticalExtensions</code>"),
                setting("Basic Constraints", General.IS_CA.isSetIn(t.flags()) ? "Subject is a CA, path length " + t.maxIssuingDepth()
                        : Enrollment.INCLUDE_BASIC_CONSTRAINTS_FOR_EE_CERTS.isSetIn(t.enrollmentFlags()) ? "End entity" : "(not included)",
                        raw("pKIMaxIssuingDepth", t.maxIssuingDepth())),
                setting("Certificate Template Information", t.oid() == null ? t.name() : t.oid() + " (major " + t.revision() + ", minor "
                        + t.minorRevision() + ")", "the extension 1.3.6.1.4.1.311.21.7 names the template by <code>msPKI-Cert-Template-OID</code>")));
    }

    /** "Client Authentication, Server Authentication": the Intended Purposes column's words for a list of OIDs. */
    static String purposes(List<String> oids) {
        return String.join(", ", oids.stream().map(ApplicationPolicy::nameOf).toList());
    }

    /** A field: the dialog's label, the value in its words, and under it (HTML) where the value lives. */
    private static String[] setting(String label, String shown, String rawHtml) {
        return new String[] {label, Html.text(shown) + "<span class=\"raw\">" + rawHtml + "</span>"};
    }

    private static String raw(String attribute, Object value) {
        return "<code>" + Html.text(attribute) + "</code> " + Html.text(value == null ? "(not set)" : value);
    }

    private static String hex(String attribute, int value) {
        return "<code>" + Html.text(attribute) + "</code> 0x" + String.format("%08x", value);
    }

    /** {@code msPKI-Enrollment-Flag 0x00000020 (CT_FLAG_AUTO_ENROLLMENT)}. */
    static String flags(String attribute, int value, TemplateFlags.Flag[] all) {
        List<String> set = TemplateFlags.describe(all, value);
        return hex(attribute, value) + (set.isEmpty() ? "" : " (" + Html.text(String.join(", ", set)) + ")");
    }

    private static String yes(boolean ticked) {
        return ticked ? "Yes" : "No";
    }

    private static void addIf(List<String> list, boolean condition, String item) {
        if (condition) {
            list.add(item);
        }
    }
}
