package org.pkilab.directory.model;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The tabs of a template's Properties dialog as edits of a {@link CertificateTemplate.Builder}: which
 * attribute bits one checkbox or field changes, with the checks the console makes before it lets OK
 * through. Each method checks its arguments up front ({@link IllegalArgumentException} naming the bad
 * value) and returns the edit; the Certificate Templates console applies it and writes the difference.
 *
 * <pre>{@code
 * CertificateTemplate web = ...;  // "Web Server": Supply in the request
 * TemplateProperties.subjectNameMode(SubjectNameMode.BUILD_FROM_ACTIVE_DIRECTORY)
 *         .apply(web.toBuilder()).build().certificateNameFlags();
 *     // CT_FLAG_SUBJECT_REQUIRE_DNS_AS_CN | CT_FLAG_SUBJECT_ALT_REQUIRE_DNS for a computer template
 * }</pre>
 */
public final class TemplateProperties {

    private TemplateProperties() {
    }

    /**
     * Subject Name tab: "Supply in the request" clears every "Build from this Active Directory information"
     * bit; going back to the directory asks for the DNS name (computer templates) or the common name and UPN
     * (user templates), as the console's defaults.
     */
    public static UnaryOperator<CertificateTemplate.Builder> subjectNameMode(CertificateTemplate.SubjectNameMode mode) {
        return b -> {
            CertificateTemplate t = b.build();
            int flags = t.certificateNameFlags();
            if (mode == CertificateTemplate.SubjectNameMode.SUPPLY_IN_REQUEST) {
                flags = (flags & ~TemplateFlags.CertificateName.BUILD_FROM_DIRECTORY_MASK)
                        | TemplateFlags.CertificateName.ENROLLEE_SUPPLIES_SUBJECT.value();
            } else if (t.enrolleeSuppliesSubject()) {
                flags = (flags & ~TemplateFlags.CertificateName.ENROLLEE_SUPPLIES_SUBJECT.value())
                        | (t.machineTemplate() ? TemplateFlags.CertificateName.SUBJECT_ALT_REQUIRE_DNS.value()
                        | TemplateFlags.CertificateName.SUBJECT_REQUIRE_DNS_AS_CN.value()
                        : TemplateFlags.CertificateName.SUBJECT_REQUIRE_COMMON_NAME.value()
                        | TemplateFlags.CertificateName.SUBJECT_ALT_REQUIRE_UPN.value());
            }
            return b.certificateNameFlags(flags);
        };
    }

    /** Subject Name tab, "Build from this Active Directory information": exactly these name bits. */
    public static UnaryOperator<CertificateTemplate.Builder> subjectNameFlags(TemplateFlags.CertificateName... flags) {
        int value = 0;
        for (TemplateFlags.CertificateName flag : flags) {
            value |= flag.value();
        }
        int chosen = value;
        return b -> b.certificateNameFlags(chosen);
    }

    /** Request Handling tab: "Allow private key to be exported". */
    public static UnaryOperator<CertificateTemplate.Builder> exportableKey(boolean exportable) {
        return b -> b.privateKeyFlags(set(b.build().privateKeyFlags(), TemplateFlags.PrivateKey.EXPORTABLE_KEY, exportable));
    }

    /** Issuance Requirements tab: "CA certificate manager approval". */
    public static UnaryOperator<CertificateTemplate.Builder> requiresApproval(boolean approval) {
        return b -> b.enrollmentFlags(set(b.build().enrollmentFlags(), TemplateFlags.Enrollment.PEND_ALL_REQUESTS, approval));
    }

    /** The CNG key setting of a schema 3+ template that names the application policy required in authorized signatures. */
    public static final String RA_APPLICATION_POLICIES = "msPKI-RA-Application-Policies";

    /**
     * Issuance Requirements tab: "This number of authorized signatures" ({@code msPKI-RA-Signature}) and "Policy type
     * required in signature: Application policy" ({@code msPKI-RA-Application-Policies}): a schema 2 template keeps the
     * OID as the attribute's value, a schema 3+ template as the {@value #RA_APPLICATION_POLICIES} setting among its CNG
     * key settings. With 0 signatures the policy is cleared. The enrollment agent's template asks for 1 signature with
     * Certificate Request Agent (1.3.6.1.4.1.311.20.2.1).
     */
    public static UnaryOperator<CertificateTemplate.Builder> authorizedSignatures(int signatures, String applicationPolicy) {
        if (signatures < 0 || signatures > 99) {
            throw new IllegalArgumentException("the number of authorized signatures must be 0 to 99: " + signatures);
        }
        if (signatures > 0 && (applicationPolicy == null || !applicationPolicy.matches("[0-2](\\.\\d+)+"))) {
            throw new IllegalArgumentException("an authorized signature needs the application policy it must carry, as an OID "
                    + "(Certificate Request Agent is 1.3.6.1.4.1.311.20.2.1): " + applicationPolicy);
        }
        String policy = signatures == 0 ? "" : applicationPolicy;
        return b -> {
            CertificateTemplate t = b.build();
            List<String> ra;
            if (t.schemaVersion() >= 3) {
                ra = CngKeySettings.withSetting(t.raApplicationPolicies(), RA_APPLICATION_POLICIES, policy);
            } else {
                ra = policy.isEmpty() ? List.of() : List.of(policy);
            }
            return b.raSignatures(signatures).raApplicationPolicies(ra);
        };
    }

    /** Cryptography tab: "Minimum key size", a multiple of 8 from 512 to 16384. */
    public static UnaryOperator<CertificateTemplate.Builder> minimalKeySize(int bits) {
        if (!CertificateTemplate.minimalKeySizeFits(KeyAlgorithm.RSA, bits)) {
            throw new IllegalArgumentException("minimum key size must be a multiple of 8 from 512 to 16384: " + bits);
        }
        return b -> b.minimalKeySize(bits);
    }

    /**
     * Cryptography tab of a schema 3 (CNG) template: "Algorithm name" into the CNG key settings, the size into
     * {@code msPKI-Minimal-Key-Size}, and Key Usage following the algorithm as the Extensions tab does: an
     * ECDSA key signs only ("Digital signature"), an RSA key also enciphers keys.
     *
     * @throws IllegalArgumentException for a schema 1 or 2 template (a legacy CSP knows only RSA), or a size
     *                                  that does not fit the algorithm
     */
    public static UnaryOperator<CertificateTemplate.Builder> keyAlgorithm(CertificateTemplate current, KeyAlgorithm algorithm,
                                                                          int minimumBits) {
        if (current.schemaVersion() < 3) {
            throw new IllegalArgumentException("'" + current.displayName() + "' is a " + (current.schemaVersion() == 1
                    ? "Windows 2000 (version 1)" : "Windows 2003 Server, Enterprise Edition (version 2)") + " template: its keys "
                    + "live in a legacy cryptographic service provider, which knows only RSA, so the Cryptography tab greys out "
                    + "the algorithm. To use " + algorithm.windowsName() + ", duplicate it choosing 'Windows 2008 Server, Enterprise "
                    + "Edition' (a CNG template) and set the algorithm on the copy; mind that Configuration Manager's site "
                    + "systems cannot use CNG keys.");
        }
        if (algorithm.elliptic() && !CertificateTemplate.minimalKeySizeFits(algorithm, minimumBits)) {
            throw new IllegalArgumentException(algorithm.windowsName() + " keys are " + algorithm.bits() + " bits: set the minimum key "
                    + "size of '" + current.displayName() + "' to " + algorithm.bits() + ", not " + minimumBits);
        }
        if (!algorithm.elliptic() && !CertificateTemplate.minimalKeySizeFits(algorithm, minimumBits)) {
            throw new IllegalArgumentException("minimum RSA key size must be a multiple of 8 from 512 to 16384: " + minimumBits);
        }
        byte[] keyUsage = algorithm.elliptic() ? new byte[]{(byte) 0x80, 0} : new byte[]{(byte) 0xA0, 0};
        return b -> b.raApplicationPolicies(CngKeySettings.withSetting(b.build().raApplicationPolicies(),
                CngKeySettings.ASYMMETRIC_ALGORITHM, algorithm.windowsName())).minimalKeySize(minimumBits).keyUsage(keyUsage);
    }

    /**
     * Extensions tab: Application Policies, kept in both EKU attributes for schema 2+ ({@code pKIExtendedKeyUsage} and
     * {@code msPKI-Certificate-Application-Policy}). {@link CertificateTemplate#OID_ANY_PURPOSE} alone is "Any Purpose";
     * an empty list removes every policy, and the certificates then carry no EKU at all, which Windows takes for any
     * purpose too: both are ESC2 when low-privileged accounts may enroll (a client-authentication certificate, and with
     * Any Purpose a Certificate Request Agent one).
     */
    public static UnaryOperator<CertificateTemplate.Builder> extendedKeyUsages(List<String> oids) {
        for (String oid : oids) {
            if (!oid.matches("[0-2](\\.\\d+)+")) {
                throw new IllegalArgumentException("not an OID: " + oid);
            }
        }
        List<String> copy = List.copyOf(oids);
        return b -> b.extendedKeyUsages(copy).applicationPolicies(copy);
    }

    /**
     * {@code CT_FLAG_NO_SECURITY_EXTENSION} (0x80000) in {@code msPKI-Enrollment-Flag}: certificates of the template carry
     * no SID extension ({@code 1.3.6.1.4.1.311.25.2}), so a DC can map them only weakly (ESC9). No tab of the console
     * shows it: on Windows it is set with ADSI Edit, PowerShell or
     * {@code certutil -dstemplate NAME msPKI-Enrollment-Flag +0x00080000}.
     */
    public static UnaryOperator<CertificateTemplate.Builder> noSecurityExtension(boolean omitted) {
        return b -> b.enrollmentFlags(set(b.build().enrollmentFlags(), TemplateFlags.Enrollment.NO_SECURITY_EXTENSION, omitted));
    }

    private static int set(int flags, TemplateFlags.Flag flag, boolean on) {
        return on ? flags | flag.value() : flags & ~flag.value();
    }
}
