package org.pkilab.directory.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CNG key settings of a schema 3+ ("Windows Server 2008, Enterprise Edition") template: what its
 * Cryptography tab shows (algorithm name, hash, key usage, the symmetric algorithm for key archival).
 * Windows keeps them in one value of {@code msPKI-RA-Application-Policies} as {@code name`type`value`}
 * triples (with the application policy an authorized signature must carry as the setting
 * {@code msPKI-RA-Application-Policies}); in a schema 1 or 2 template that attribute holds that policy's OID alone.
 *
 * <pre>{@code
 * CngKeySettings s = CngKeySettings.WINDOWS_DEFAULT.with(CngKeySettings.ASYMMETRIC_ALGORITHM, "ECDSA_P256");
 * s.get("msPKI-Hash-Algorithm");  // "SHA256"
 * s.format();
 *     // msPKI-Asymmetric-Algorithm`PZPWSTR`ECDSA_P256`msPKI-Hash-Algorithm`PZPWSTR`SHA256`...
 * }</pre>
 */
public final class CngKeySettings {

    /** The setting that names the "Algorithm name" ({@code RSA}, {@code ECDSA_P256} ...). */
    public static final String ASYMMETRIC_ALGORITHM = "msPKI-Asymmetric-Algorithm";

    /** What the console writes when a template is duplicated as "Windows 2008 Server, Enterprise Edition". */
    public static final CngKeySettings WINDOWS_DEFAULT = parse("msPKI-Asymmetric-Algorithm`PZPWSTR`RSA`"
            + "msPKI-Hash-Algorithm`PZPWSTR`SHA256`msPKI-Key-Usage`DWORD`16777215`"
            + "msPKI-Symmetric-Algorithm`PZPWSTR`3DES`msPKI-Symmetric-Key-Length`DWORD`168`");

    /** One setting: its name, its registry-style type ({@code PZPWSTR}, {@code DWORD}) and its value. */
    private record Setting(String type, String value) {
    }

    private final Map<String, Setting> settings; // insertion order: the order Windows wrote them

    private CngKeySettings(Map<String, Setting> settings) {
        this.settings = settings;
    }

    /** Reads one {@code name`type`value`} value; anything after the last whole triple is ignored. */
    public static CngKeySettings parse(String value) {
        Map<String, Setting> settings = new LinkedHashMap<>();
        String[] parts = value.split("`", -1);
        for (int i = 0; i + 2 < parts.length; i += 3) {
            settings.put(parts[i], new Setting(parts[i + 1], parts[i + 2]));
        }
        return new CngKeySettings(settings);
    }

    /** Whether a value of {@code msPKI-RA-Application-Policies} holds CNG key settings (not an OID). */
    public static boolean isKeySettings(String value) {
        return value.contains("`");
    }

    /**
     * The setting's value in the first value of {@code raApplicationPolicies} that names it, or null: null too for
     * a schema 1 or 2 template, where those values are the OIDs of the application policy authorized signatures carry.
     */
    public static String find(int schemaVersion, List<String> raApplicationPolicies, String name) {
        if (schemaVersion < 3) {
            return null;
        }
        for (String value : raApplicationPolicies) {
            String found = parse(value).get(name);
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    /**
     * {@code raApplicationPolicies} with {@code name} set to {@code value} ({@code PZPWSTR}) in its key
     * settings: changed in place when the setting is there, first in the list when it is not, and
     * {@link #WINDOWS_DEFAULT} with it appended when no value holds key settings.
     */
    public static List<String> withSetting(List<String> raApplicationPolicies, String name, String value) {
        List<String> out = new ArrayList<>();
        boolean done = false;
        for (String policy : raApplicationPolicies) {
            if (!done && isKeySettings(policy)) {
                out.add(parse(policy).with(name, value).format());
                done = true;
            } else {
                out.add(policy);
            }
        }
        if (!done) {
            out.add(WINDOWS_DEFAULT.with(name, value).format());
        }
        return out;
    }

    /** The value of a setting, by name in any case; null when it is not set. */
    public String get(String name) {
        for (Map.Entry<String, Setting> e : settings.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name)) {
                return e.getValue().value();
            }
        }
        return null;
    }

    /** These settings with {@code name} set to {@code value}: in its place if set, else first, as a {@code PZPWSTR}. */
    public CngKeySettings with(String name, String value) {
        Map<String, Setting> changed = new LinkedHashMap<>();
        boolean found = false;
        for (Map.Entry<String, Setting> e : settings.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name)) {
                changed.put(e.getKey(), new Setting(e.getValue().type(), value));
                found = true;
            } else {
                changed.put(e.getKey(), e.getValue());
            }
        }
        if (!found) {
            Map<String, Setting> first = new LinkedHashMap<>();
            first.put(name, new Setting("PZPWSTR", value));
            first.putAll(changed);
            changed = first;
        }
        return new CngKeySettings(changed);
    }

    /** The value as Windows writes it in {@code msPKI-RA-Application-Policies}. */
    public String format() {
        StringBuilder out = new StringBuilder();
        settings.forEach((name, s) -> out.append(name).append('`').append(s.type()).append('`').append(s.value()).append('`'));
        return out.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CngKeySettings other && format().equals(other.format());
    }

    @Override
    public int hashCode() {
        return format().hashCode();
    }

    @Override
    public String toString() {
        return format();
    }
}
