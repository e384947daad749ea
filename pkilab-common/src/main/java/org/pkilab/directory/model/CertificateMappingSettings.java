package org.pkilab.directory.model;

import java.util.ArrayList;
import java.util.List;

/**
 * How a domain controller maps a certificate to an account at logon, the two registry values KB5014754 and its
 * successors teach: {@code HKLM\SYSTEM\CurrentControlSet\Services\Kdc\StrongCertificateBindingEnforcement}
 * (Kerberos PKINIT, and Schannel through S4U2Self) and
 * {@code HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\Schannel\CertificateMappingMethods}.
 *
 * <ul>
 *   <li>{@code StrongCertificateBindingEnforcement}: 0 Disabled (no strong-mapping check; removed by Microsoft in
 *       April 2023), 1 Compatibility (a weak mapping is accepted unless the certificate predates the account; a SID
 *       extension that names another account is refused), 2 Full Enforcement (only strong mappings; Windows' default
 *       since February 2025).</li>
 *   <li>{@code CertificateMappingMethods}: 0x1 subject/issuer explicit, 0x2 issuer explicit, 0x4 UPN implicit (Schannel
 *       maps by the certificate's UPN itself, without the KDC's strong-mapping rules), 0x8 S4U2Self implicit, 0x10
 *       S4U2Self explicit; Windows' default since May 2022 is 0x18.</li>
 * </ul>
 *
 * <pre>{@code
 * CertificateMappingSettings.WINDOWS_DEFAULT.describe()
 *     // "StrongCertificateBindingEnforcement = 2 (Full Enforcement); CertificateMappingMethods = 0x18 (S4U2SELF, S4U2SELF_EXPLICIT)"
 * }</pre>
 */
public record CertificateMappingSettings(int strongCertificateBindingEnforcement, int certificateMappingMethods) {

    /** A Windows Server DC updated after February 2025: Full Enforcement, Schannel through S4U2Self only. */
    public static final CertificateMappingSettings WINDOWS_DEFAULT = new CertificateMappingSettings(2, 0x18);

    /** The bits of {@code CertificateMappingMethods}, as Microsoft's documentation names them. */
    public enum Method {
        SUBJECT_ISSUER(0x1), ISSUER(0x2), UPN(0x4), S4U2SELF(0x8), S4U2SELF_EXPLICIT(0x10);

        private final int value;

        Method(int value) {
            this.value = value;
        }

        public int value() {
            return value;
        }

        public boolean isSetIn(int methods) {
            return (methods & value) != 0;
        }
    }

    public CertificateMappingSettings {
        if (strongCertificateBindingEnforcement < 0 || strongCertificateBindingEnforcement > 2) {
            throw new IllegalArgumentException("StrongCertificateBindingEnforcement is 0 (Disabled), 1 (Compatibility) or 2 "
                    + "(Full Enforcement), not " + strongCertificateBindingEnforcement);
        }
        if (certificateMappingMethods < 0 || certificateMappingMethods > 0x1F) {
            throw new IllegalArgumentException("CertificateMappingMethods is a sum of 0x1, 0x2, 0x4, 0x8 and 0x10 (0 to 0x1F), not 0x"
                    + Integer.toHexString(certificateMappingMethods));
        }
    }

    /** The same settings with {@code StrongCertificateBindingEnforcement} = {@code value}. */
    public CertificateMappingSettings withEnforcement(int value) {
        return new CertificateMappingSettings(value, certificateMappingMethods);
    }

    /** The same settings with {@code CertificateMappingMethods} = {@code value}. */
    public CertificateMappingSettings withMappingMethods(int value) {
        return new CertificateMappingSettings(strongCertificateBindingEnforcement, value);
    }

    /** "Disabled", "Compatibility" or "Full Enforcement". */
    public String enforcementName() {
        return switch (strongCertificateBindingEnforcement) {
            case 0 -> "Disabled";
            case 1 -> "Compatibility";
            default -> "Full Enforcement";
        };
    }

    /** Both values as {@code reg query} would show them, with their meaning. */
    public String describe() {
        List<String> methods = new ArrayList<>();
        for (Method m : Method.values()) {
            if (m.isSetIn(certificateMappingMethods)) {
                methods.add(m.name());
            }
        }
        return "StrongCertificateBindingEnforcement = " + strongCertificateBindingEnforcement + " (" + enforcementName()
                + "); CertificateMappingMethods = 0x" + Integer.toHexString(certificateMappingMethods) + " (" + String.join(", ", methods) + ")";
    }
}
