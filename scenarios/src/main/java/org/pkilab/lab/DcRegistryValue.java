package org.pkilab.lab;

import org.pkilab.directory.model.CertificateMappingSettings;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The two registry values of a domain controller that decide how a logon certificate maps to an account (KB5014754),
 * by the names {@code reg query} and {@code reg add} use on the DC:
 *
 * <pre>
 * reg add HKLM\SYSTEM\CurrentControlSet\Services\Kdc /v StrongCertificateBindingEnforcement /t REG_DWORD /d 2
 *     DcRegistryValue.named("StrongCertificateBindingEnforcement").apply(current, "2")
 * reg add HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\Schannel /v CertificateMappingMethods /t REG_DWORD /d 0x18
 *     DcRegistryValue.named("CertificateMappingMethods").apply(current, "0x18")
 * </pre>
 *
 * <p>Data is a REG_DWORD written in decimal or as {@code 0x} hex, as {@code reg add /d} takes it; a value out of range
 * is refused with {@link CertificateMappingSettings}' own explanation, and nothing changes.
 */
public enum DcRegistryValue {
    STRONG_CERTIFICATE_BINDING_ENFORCEMENT("StrongCertificateBindingEnforcement", "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Kdc"),
    CERTIFICATE_MAPPING_METHODS("CertificateMappingMethods", "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\Schannel");

    private final String valueName;
    private final String key;

    DcRegistryValue(String valueName, String key) {
        this.valueName = valueName;
        this.key = key;
    }

    /** The value's name as {@code reg query /v} takes it. */
    public String valueName() {
        return valueName;
    }

    /** The key that holds it. */
    public String key() {
        return key;
    }

    /** Every value's name, for messages and "did you mean". */
    public static List<String> names() {
        return Arrays.stream(values()).map(DcRegistryValue::valueName).toList();
    }

    /**
     * The value called {@code name}, in any case.
     *
     * @throws IllegalArgumentException naming the two values a DC's certificate mapping has
     */
    public static DcRegistryValue named(String name) {
        String typed = name == null ? "" : name.trim();
        for (DcRegistryValue value : values()) {
            if (value.valueName.equalsIgnoreCase(typed) || (value.key + "\\" + value.valueName).equalsIgnoreCase(typed)) {
                return value;
            }
        }
        throw new IllegalArgumentException("no registry value '" + name + "' of the DC's certificate mapping: it has "
                + "StrongCertificateBindingEnforcement (Kdc) and CertificateMappingMethods (Schannel)");
    }

    /** This value's data in {@code settings}. */
    public int read(CertificateMappingSettings settings) {
        return this == STRONG_CERTIFICATE_BINDING_ENFORCEMENT ? settings.strongCertificateBindingEnforcement()
                : settings.certificateMappingMethods();
    }

    /**
     * {@code settings} with this value set to {@code data} (decimal, or hex after {@code 0x}).
     *
     * @throws IllegalArgumentException when {@code data} is not a number, or out of this value's range
     */
    public CertificateMappingSettings apply(CertificateMappingSettings settings, String data) {
        int number;
        try {
            String d = data == null ? "" : data.trim().toLowerCase(Locale.ROOT);
            long parsed = d.startsWith("0x") ? Long.parseLong(d.substring(2), 16) : Long.parseLong(d);
            if (parsed < Integer.MIN_VALUE || parsed > 0xFFFFFFFFL) {
                throw new NumberFormatException();
            }
            number = (int) parsed;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(valueName + " is a REG_DWORD: give a number in decimal (2) or hex (0x18), not '" + data + "'");
        }
        return this == STRONG_CERTIFICATE_BINDING_ENFORCEMENT ? settings.withEnforcement(number) : settings.withMappingMethods(number);
    }

    /** The data as {@code reg query} prints it: {@code StrongCertificateBindingEnforcement    REG_DWORD    0x2}, with its meaning. */
    public String describe(int data) {
        String meaning;
        if (this == STRONG_CERTIFICATE_BINDING_ENFORCEMENT) {
            meaning = data >= 0 && data <= 2 ? CertificateMappingSettings.WINDOWS_DEFAULT.withEnforcement(data).enforcementName() : "out of range";
        } else {
            meaning = String.join(", ", Arrays.stream(CertificateMappingSettings.Method.values()).filter(m -> m.isSetIn(data))
                    .map(Enum::name).toList());
            meaning = meaning.isEmpty() ? "no method" : meaning;
        }
        return "    " + valueName + "    REG_DWORD    0x" + Integer.toHexString(data) + "    (" + meaning + ")";
    }
}
