package org.pkilab.directory.model;

/**
 * Group Policy values the lab models. A GPO's registry settings (kept by Windows in {@code Registry.pol}
 * in SYSVOL) are kept on its {@code groupPolicyContainer} object as {@code labRegistryPolicy} values
 * {@code <key>;<value name>;<type>;<data>}.
 *
 * <p>"Certificate Services Client - Auto-Enrollment" writes {@code AEPolicy} under
 * {@code Software\Policies\Microsoft\Cryptography\AutoEnrollment} ([MS-CAESO] 4.4.5.1). Its bits:
 * <ul>
 *   <li>{@code 0x1} Update certificates that use certificate templates (enroll and replace superseded);</li>
 *   <li>{@code 0x2} Renew expired certificates, update pending certificates and remove revoked
 *       certificates (the "store management" box; the console sets {@code 0x4} with it);</li>
 *   <li>{@code 0x4} fetch pending requests;</li>
 *   <li>{@code 0x8000} Configuration Model "Disabled".</li>
 * </ul>
 * The guide's step 7 (Enabled, both boxes ticked) is {@code 7}.
 */
public final class GroupPolicy {

    public static final String AUTOENROLLMENT_KEY = "Software\\Policies\\Microsoft\\Cryptography\\AutoEnrollment";
    public static final String AE_POLICY = "AEPolicy";
    public static final int ENABLE_TEMPLATE_CHECK = 0x1;
    public static final int ENABLE_MY_STORE_MANAGEMENT = 0x2;
    public static final int ENABLE_PENDING_FETCH = 0x4;
    public static final int DISABLE_ALL = 0x8000;
    /** The guide's setting: Enabled, renew/update/remove ticked, update templates ticked. */
    public static final int GUIDE_SETTING = ENABLE_TEMPLATE_CHECK | ENABLE_MY_STORE_MANAGEMENT | ENABLE_PENDING_FETCH;

    private GroupPolicy() {
    }

    /** One registry value a GPO sets. */
    public record RegistryValue(String key, String valueName, String type, String data) {

        public RegistryValue {
            for (String part : new String[]{key, valueName, type, data}) {
                if (part == null || part.indexOf(';') >= 0 || part.indexOf('\n') >= 0) {
                    throw new IllegalArgumentException("registry value parts may not be empty or hold ';': " + part);
                }
            }
        }

        public static RegistryValue dword(String key, String valueName, int value) {
            return new RegistryValue(key, valueName, "REG_DWORD", Integer.toUnsignedString(value));
        }

        public static RegistryValue parse(String text) {
            String[] parts = text.split(";", -1);
            if (parts.length != 4) {
                throw new IllegalArgumentException("registry policy value must be key;name;type;data: " + text);
            }
            return new RegistryValue(parts[0], parts[1], parts[2], parts[3]);
        }

        public String encode() {
            return key + ";" + valueName + ";" + type + ";" + data;
        }

        public boolean sameValue(RegistryValue other) {
            return key.equalsIgnoreCase(other.key) && valueName.equalsIgnoreCase(other.valueName);
        }
    }
}
