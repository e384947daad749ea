package org.pkilab.enrollment;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The CA's settings that AD CS keeps in the CA host's registry, not in the directory
 * ({@code HKLM\SYSTEM\CurrentControlSet\Services\CertSvc\Configuration\<CA name>}), as {@code certutil -getreg} shows
 * them: the policy module's {@code EditFlags} and {@code DisableExtensionList}, the CA's {@code InterfaceFlags}, and
 * the CA's {@code Security} (the Security tab of its properties, with the {@code CA_ACCESS_*} rights). The audit reads
 * them through the CA's administration interface, as tools read a Windows CA's over remote registry.
 *
 * <pre>{@code
 * certutil -setreg policy\EditFlags +EDITF_ATTRIBUTESUBJECTALTNAME2      ESC6: the requester's "SAN:" attribute is honoured
 * certutil -setreg policy\DisableExtensionList +1.3.6.1.4.1.311.25.2     ESC16: no certificate carries the SID extension
 * certutil -setreg CA\InterfaceFlags -IF_ENFORCEENCRYPTICERTREQUEST      ESC11: ICertRequest accepts unencrypted RPC
 * }</pre>
 *
 * @param editFlags            {@code policy\EditFlags}; an enterprise CA's default is {@link #DEFAULT_EDIT_FLAGS}
 * @param interfaceFlags       {@code CA\InterfaceFlags}; the default is {@link #DEFAULT_INTERFACE_FLAGS}
 * @param disableExtensionList {@code policy\DisableExtensionList}: extension OIDs the CA leaves out of every certificate
 * @param security             {@code CA\Security} as SDDL, with {@code CA_ACCESS_*} masks (0x1 Manage CA, 0x2 Issue and
 *                             Manage Certificates, 0x100 Read, 0x200 Request Certificates)
 */
public record CaRegistrySettings(int editFlags, int interfaceFlags, List<String> disableExtensionList, String security) {

    /** EDITF_REQUESTEXTENSIONLIST, DISABLEEXTENSIONLIST, ADDOLDKEYUSAGE, BASICCONSTRAINTSCRITICAL, ENABLEAKIKEYID, ENABLEDEFAULTSMIME, ENABLECHASECLIENTDC. */
    public static final int DEFAULT_EDIT_FLAGS = 0x0011014E;
    /** IF_LOCKICERTREQUEST, IF_NOREMOTEICERTADMINBACKUP, IF_ENFORCEENCRYPTICERTREQUEST, IF_ENFORCEENCRYPTICERTADMIN. */
    public static final int DEFAULT_INTERFACE_FLAGS = 0x00000641;
    /**
     * A new enterprise CA's Security tab: Domain Admins and Enterprise Admins hold Manage CA and Issue and Manage
     * Certificates; Authenticated Users may Request Certificates.
     */
    public static final String DEFAULT_SECURITY = "O:BAG:DUD:(A;;0x3;;;DA)(A;;0x3;;;EA)(A;;0x200;;;AU)";
    /** The KB5014754 SID extension, szOID_NTDS_CA_SECURITY_EXT. */
    public static final String SID_EXTENSION = "1.3.6.1.4.1.311.25.2";

    /** A new enterprise CA's settings. */
    public static final CaRegistrySettings DEFAULT = new CaRegistrySettings(DEFAULT_EDIT_FLAGS, DEFAULT_INTERFACE_FLAGS, List.of(), DEFAULT_SECURITY);

    /** A bit of {@code EditFlags} or {@code InterfaceFlags}, with {@code certsrv.h}'s name. */
    public interface Flag {
        int value();

        String name();

        default boolean isSetIn(int flags) {
            return (flags & value()) == value();
        }
    }

    /** {@code policy\EditFlags} ({@code certsrv.h}'s {@code EDITF_*}). */
    public enum EditFlag implements Flag {
        EDITF_ENABLEREQUESTEXTENSIONS(0x1), EDITF_REQUESTEXTENSIONLIST(0x2), EDITF_DISABLEEXTENSIONLIST(0x4),
        EDITF_ADDOLDKEYUSAGE(0x8), EDITF_ADDOLDCERTTYPE(0x10), EDITF_ATTRIBUTEENDDATE(0x20), EDITF_BASICCONSTRAINTSCRITICAL(0x40),
        EDITF_BASICCONSTRAINTSCA(0x80), EDITF_ENABLEAKIKEYID(0x100), EDITF_ATTRIBUTECA(0x200), EDITF_IGNOREREQUESTERGROUP(0x400),
        EDITF_ENABLEAKIISSUERNAME(0x800), EDITF_ENABLEAKIISSUERSERIAL(0x1000), EDITF_ENABLEAKICRITICAL(0x2000),
        EDITF_SERVERUPGRADED(0x4000), EDITF_ATTRIBUTEEKU(0x8000), EDITF_ENABLEDEFAULTSMIME(0x10000), EDITF_EMAILOPTIONAL(0x20000),
        EDITF_ATTRIBUTESUBJECTALTNAME2(0x40000), EDITF_ENABLELDAPREFERRALS(0x80000), EDITF_ENABLECHASECLIENTDC(0x100000),
        EDITF_AUDITCERTTEMPLATELOAD(0x200000), EDITF_DISABLEOLDOSCNUPN(0x400000), EDITF_DISABLELDAPPACKAGELIST(0x800000),
        EDITF_ENABLEUPNMAP(0x1000000), EDITF_ENABLEOCSPREVNOCHECK(0x2000000), EDITF_ENABLERENEWONBEHALFOF(0x4000000),
        EDITF_ENABLEKEYENCIPHERMENTCACERT(0x8000000);

        private final int value;

        EditFlag(int value) {
            this.value = value;
        }

        @Override
        public int value() {
            return value;
        }
    }

    /** {@code CA\InterfaceFlags} ({@code certsrv.h}'s {@code IF_*}). */
    public enum InterfaceFlag implements Flag {
        IF_LOCKICERTREQUEST(0x1), IF_NOREMOTEICERTREQUEST(0x2), IF_NOLOCALICERTREQUEST(0x4), IF_NORPCICERTREQUEST(0x8),
        IF_NOREMOTEICERTADMIN(0x10), IF_NOLOCALICERTADMIN(0x20), IF_NOREMOTEICERTADMINBACKUP(0x40), IF_NOLOCALICERTADMINBACKUP(0x80),
        IF_NOSNAPSHOTBACKUP(0x100), IF_ENFORCEENCRYPTICERTREQUEST(0x200), IF_ENFORCEENCRYPTICERTADMIN(0x400),
        IF_ENABLEEXITKEYRETRIEVAL(0x800), IF_ENABLEADMINASAUDITOR(0x1000);

        private final int value;

        InterfaceFlag(int value) {
            this.value = value;
        }

        @Override
        public int value() {
            return value;
        }
    }

    public CaRegistrySettings {
        disableExtensionList = List.copyOf(disableExtensionList);
        if (security == null || security.isBlank()) {
            throw new IllegalArgumentException("the CA's Security value cannot be empty: a CA nobody may manage cannot be put right");
        }
    }

    public boolean has(EditFlag flag) {
        return flag.isSetIn(editFlags);
    }

    public boolean has(InterfaceFlag flag) {
        return flag.isSetIn(interfaceFlags);
    }

    /** Whether {@code oid} is on {@code DisableExtensionList}. */
    public boolean disables(String oid) {
        return disableExtensionList.contains(oid);
    }

    public CaRegistrySettings withEditFlags(int value) {
        return new CaRegistrySettings(value, interfaceFlags, disableExtensionList, security);
    }

    public CaRegistrySettings withInterfaceFlags(int value) {
        return new CaRegistrySettings(editFlags, value, disableExtensionList, security);
    }

    public CaRegistrySettings withDisableExtensionList(List<String> value) {
        return new CaRegistrySettings(editFlags, interfaceFlags, value, security);
    }

    public CaRegistrySettings withSecurity(String value) {
        return new CaRegistrySettings(editFlags, interfaceFlags, disableExtensionList, value);
    }

    /** The names of the bits set in {@code flags}, lowest first, as {@code certutil -getreg} lists them. */
    public static <F extends Enum<F> & Flag> List<String> describe(Class<F> type, int flags) {
        List<String> names = new ArrayList<>();
        for (F flag : type.getEnumConstants()) {
            if (flag.isSetIn(flags)) {
                names.add(flag.name());
            }
        }
        return names;
    }

    /** A flag by its {@code certsrv.h} name, in any case, with or without its prefix ({@code ATTRIBUTESUBJECTALTNAME2}). */
    public static <F extends Enum<F> & Flag> F parse(Class<F> type, String text) {
        String key = text.trim().toUpperCase(Locale.ROOT);
        for (F flag : type.getEnumConstants()) {
            if (flag.name().equals(key) || flag.name().substring(flag.name().indexOf('_') + 1).equals(key)) {
                return flag;
            }
        }
        boolean edit = EditFlag.class.equals(type);
        throw new IllegalArgumentException("no " + (edit ? "EditFlags" : "InterfaceFlags") + " bit is called '" + text
                + "'; certsrv.h names them " + (edit ? "EDITF_..." : "IF_...") + ", for example " + type.getEnumConstants()[0].name());
    }
}
