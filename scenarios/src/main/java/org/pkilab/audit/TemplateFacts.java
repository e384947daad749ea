package org.pkilab.audit;

import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.TemplateFlags;

import java.util.List;
import java.util.Map;

/**
 * What a certificate template's own attributes say, as its Properties dialog shows them, read without asking who may
 * enroll: the purposes its certificates carry (the Extensions tab's Application Policies, schema 2 and later, else the
 * {@code pKIExtendedKeyUsage}), whether the enrollee supplies the subject (Subject Name tab), and the Issuance
 * Requirements (CA certificate manager approval, authorized signatures). Each check builds its {@link Condition}s from
 * these.
 *
 * <pre>{@code
 * TemplateFacts.label(t);                    // template 'User' (User)
 * TemplateFacts.describePurposes(t);         // pKIExtendedKeyUsage = [1.3.6.1.5.5.7.3.2 Client Authentication, ...]
 * TemplateFacts.enrolleeSuppliesSubject(t);  // msPKI-Certificate-Name-Flag = 0x1 CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT
 * }</pre>
 */
final class TemplateFacts {

    static final String CLIENT_AUTHENTICATION = "1.3.6.1.5.5.7.3.2";
    static final String SMART_CARD_LOGON = "1.3.6.1.4.1.311.20.2.2";
    static final String PKINIT_CLIENT = "1.3.6.1.5.2.3.4";
    static final String ANY_PURPOSE = "2.5.29.37.0";
    static final String CERTIFICATE_REQUEST_AGENT = "1.3.6.1.4.1.311.20.2.1";

    private static final Map<String, String> OID_NAMES = Map.ofEntries(
            Map.entry(CLIENT_AUTHENTICATION, "Client Authentication"), Map.entry(SMART_CARD_LOGON, "Smart Card Logon"),
            Map.entry(PKINIT_CLIENT, "PKINIT Client Authentication"), Map.entry(ANY_PURPOSE, "Any Purpose"),
            Map.entry(CERTIFICATE_REQUEST_AGENT, "Certificate Request Agent"), Map.entry("1.3.6.1.5.5.7.3.1", "Server Authentication"),
            Map.entry("1.3.6.1.5.5.7.3.4", "Secure Email"), Map.entry("1.3.6.1.4.1.311.10.3.4", "Encrypting File System"),
            Map.entry("1.3.6.1.5.2.3.5", "KDC Authentication"), Map.entry("1.3.6.1.5.5.7.3.3", "Code Signing"));

    private TemplateFacts() {
    }

    static String label(CertificateTemplate t) {
        return "template '" + t.displayName() + "' (" + t.name() + ")";
    }

    static Condition noManagerApproval(CertificateTemplate t) {
        return new Condition("no CA certificate manager approval", !t.requiresApproval(), "msPKI-Enrollment-Flag = 0x"
                + Integer.toHexString(t.enrollmentFlags()) + (t.requiresApproval() ? " (CT_FLAG_PEND_ALL_REQUESTS set)" : " (CT_FLAG_PEND_ALL_REQUESTS clear)"));
    }

    static Condition noAuthorizedSignatures(CertificateTemplate t) {
        return new Condition("no authorized signatures required", t.raSignatures() == 0, "msPKI-RA-Signature = " + t.raSignatures());
    }

    /**
     * The purposes a certificate from the template has: its application policies for schema 2+ templates that list
     * them (Windows uses those over the EKU), else {@code pKIExtendedKeyUsage}.
     */
    static List<String> purposes(CertificateTemplate t) {
        return t.schemaVersion() >= 2 && !t.applicationPolicies().isEmpty() ? t.applicationPolicies() : t.extendedKeyUsages();
    }

    static String purposeAttribute(CertificateTemplate t) {
        return t.schemaVersion() >= 2 && !t.applicationPolicies().isEmpty() ? "msPKI-Certificate-Application-Policy" : "pKIExtendedKeyUsage";
    }

    static boolean anyPurpose(CertificateTemplate t) {
        return purposes(t).isEmpty() || purposes(t).contains(ANY_PURPOSE);
    }

    static boolean clientAuthentication(CertificateTemplate t) {
        List<String> p = purposes(t);
        return anyPurpose(t) || p.contains(CLIENT_AUTHENTICATION) || p.contains(SMART_CARD_LOGON) || p.contains(PKINIT_CLIENT);
    }

    static String describePurposes(CertificateTemplate t) {
        List<String> p = purposes(t);
        if (p.isEmpty()) {
            return purposeAttribute(t) + " empty (no EKU: any purpose)";
        }
        return purposeAttribute(t) + " = " + p.stream().map(o -> OID_NAMES.containsKey(o) ? o + " " + OID_NAMES.get(o) : o).toList();
    }

    static Condition clientAuthenticationCondition(CertificateTemplate t) {
        return new Condition("certificates authenticate clients (Client Authentication, Smart Card Logon, PKINIT, Any Purpose or no EKU)",
                clientAuthentication(t), describePurposes(t));
    }

    static Condition enrolleeSuppliesSubject(CertificateTemplate t) {
        return new Condition("enrollee supplies subject", t.enrolleeSuppliesSubject(), "msPKI-Certificate-Name-Flag = 0x"
                + Integer.toHexString(t.certificateNameFlags()) + " " + TemplateFlags.describe(TemplateFlags.CertificateName.values(), t.certificateNameFlags()));
    }
}
