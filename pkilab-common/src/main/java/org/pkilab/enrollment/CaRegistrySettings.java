package org.pkilab.enrollment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

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
 * certutil -setreg CA\EstDefaultTemplate WebServer                       (the lab's own) EST requests that name no template
 * reg add HKLM\SOFTWARE\Microsoft\Cryptography\MSCEP /v GeneralPurposeTemplate /d NdesDevices   NDES issues SCEP requests from it
 * }</pre>
 *
 * <p>The three {@code MSCEP\} values are not the CA's but the Network Device Enrollment Service's
 * ({@code HKLM\SOFTWARE\Microsoft\Cryptography\MSCEP}): the template NDES asks for, chosen by the key usage the SCEP
 * request asks for: digital signature alone {@code SignatureTemplate}, key encipherment alone {@code EncryptionTemplate},
 * both or neither {@code GeneralPurposeTemplate}. A new NDES sets all three to {@code IPSECIntermediateOffline}
 * (IPSec (Offline request)); the lab's NDES runs on the CA host, so they live beside the CA's and {@code pkilab ca setreg}
 * changes them (on Windows: {@code reg add}, then {@code iisreset}).
 *
 * <p>{@code CA\EstDefaultTemplate} is the lab's, not Windows': AD CS has no EST service, and its nearest kin, NDES,
 * keeps the template for SCEP requests that name none in {@code HKLM\Software\Microsoft\Cryptography\MSCEP}
 * ({@code GeneralPurposeTemplate}). An EST client that cannot put a template in the path ({@code /.well-known/est/simpleenroll},
 * as strongSwan's {@code pki --est} sends) and names none in its request gets this template; with none set it is refused
 * with {@code CERTSRV_E_NO_CERT_TYPE}.
 *
 * <p>{@link #change(String, String)} takes a change as {@code certutil -setreg} does: {@code +NAME} sets bits (or adds an
 * OID to a list), {@code -NAME} clears them (or removes the OID), and a plain value replaces the whole value: a number,
 * or a flag name, which leaves that one bit set and clears every other, as {@code certutil} does too (the usual way to
 * break a CA by mistake). {@link #toJson()} and {@link #fromJson(JsonNode)} are the form the CA keeps in its data folder
 * and answers on its administration interface.
 *
 * @param editFlags            {@code policy\EditFlags}; an enterprise CA's default is {@link #DEFAULT_EDIT_FLAGS}
 * @param interfaceFlags       {@code CA\InterfaceFlags}; the default is {@link #DEFAULT_INTERFACE_FLAGS}
 * @param disableExtensionList {@code policy\DisableExtensionList}: extension OIDs the CA leaves out of every certificate
 * @param security             {@code CA\Security} as SDDL, with {@code CA_ACCESS_*} masks (0x1 Manage CA, 0x2 Issue and
 *                             Manage Certificates, 0x100 Read, 0x200 Request Certificates)
 * @param estDefaultTemplate   {@code CA\EstDefaultTemplate}: the template (name or display name) of an EST request that
 *                             names none; empty when none is set, the default
 * @param ocspUrl              {@code CA\OcspUrl}: the Online Responder's URL the CA writes into the AIA of the certificates it
 *                             issues (id-ad-ocsp), as the Extensions tab's "Include in the online certificate status protocol
 *                             (OCSP) extension" does (Windows keeps it in {@code CACertPublicationURLs} with flag 32); empty, a
 *                             new CA's default: none
 * @param ndes                 NDES's {@code MSCEP\EncryptionTemplate}, {@code SignatureTemplate} and {@code GeneralPurposeTemplate}
 * @param acmeHttpPort         {@code CA\AcmeHttpPort} (the lab's own): the port on 127.0.0.1 where the CA fetches an ACME
 *                             client's {@code http-01} answer for a lab name; 80, the real one, by default
 * @param acmeTlsAlpnPort      {@code CA\AcmeTlsAlpnPort} (the lab's own): the port on 127.0.0.1 where the CA checks an ACME
 *                             client's {@code tls-alpn-01} certificate; 443 by default
 */
public record CaRegistrySettings(int editFlags, int interfaceFlags, List<String> disableExtensionList, String security,
                                 String estDefaultTemplate, String ocspUrl, NdesTemplates ndes, int acmeHttpPort,
                                 int acmeTlsAlpnPort) {

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

    /** What {@code setreg CA\OcspUrl} takes for the CA's own Online Responder: the CA puts that responder's URL in its place. */
    public static final String OWN_RESPONDER = "responder";

    /** NDES's template for every key usage until an administrator changes it: IPSec (Offline request). */
    public static final String NDES_DEFAULT_TEMPLATE = "IPSECIntermediateOffline";

    /**
     * The templates NDES requests certificates from, by the key usage a SCEP request asks for, as its {@code MSCEP} registry
     * key holds them. Each is a template name; a new NDES has {@value #NDES_DEFAULT_TEMPLATE} for all three.
     */
    public record NdesTemplates(String encryptionTemplate, String signatureTemplate, String generalPurposeTemplate) {
        // its own copy of the template-name rule: the outer class's constant is not yet set while DEFAULT below is made
        private static final Pattern NAME = Pattern.compile("[\\p{L}\\p{N} ._()-]{1,64}");
        public static final NdesTemplates DEFAULT = new NdesTemplates(NDES_DEFAULT_TEMPLATE, NDES_DEFAULT_TEMPLATE, NDES_DEFAULT_TEMPLATE);

        public NdesTemplates {
            encryptionTemplate = templateName(encryptionTemplate, "EncryptionTemplate");
            signatureTemplate = templateName(signatureTemplate, "SignatureTemplate");
            generalPurposeTemplate = templateName(generalPurposeTemplate, "GeneralPurposeTemplate");
        }

        /**
         * NDES's choice for a request asking for {@code digitalSignature} and {@code keyEncipherment} (its key usage
         * extension; neither when it has none).
         */
        public String forKeyUsage(boolean digitalSignature, boolean keyEncipherment) {
            if (digitalSignature && !keyEncipherment) {
                return signatureTemplate;
            }
            if (keyEncipherment && !digitalSignature) {
                return encryptionTemplate;
            }
            return generalPurposeTemplate;
        }

        private static String templateName(String name, String value) {
            String text = name == null ? "" : name.strip();
            if (text.isEmpty()) {
                return NDES_DEFAULT_TEMPLATE;
            }
            if (!NAME.matcher(text).matches() || text.contains("..")) {
                throw new IllegalArgumentException("'" + text + "' is not a certificate template name for MSCEP\\" + value
                        + ": template names are 1 to 64 letters, digits, spaces, '.', '_', '-', '(' and ')' (IPSECIntermediateOffline)");
            }
            return text;
        }
    }

    /** A new enterprise CA's settings. */
    public static final CaRegistrySettings DEFAULT = new CaRegistrySettings(DEFAULT_EDIT_FLAGS, DEFAULT_INTERFACE_FLAGS, List.of(), DEFAULT_SECURITY);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern OID = Pattern.compile("[0-2](\\.(0|[1-9][0-9]{0,9}))+");
    /** What a template's name or display name may be: the CA's own rule for an EST label. */
    private static final Pattern TEMPLATE_NAME = Pattern.compile("[\\p{L}\\p{N} ._()-]{1,64}");

    /**
     * The registry values the lab models, as {@code certutil -getreg} names them: {@code policy\} is the policy
     * module's key ({@code PolicyModules\CertificateAuthority_MicrosoftDefault.Policy}), {@code CA\} the CA's own.
     */
    public enum Value {
        EDIT_FLAGS("policy", "EditFlags", "REG_DWORD"),
        DISABLE_EXTENSION_LIST("policy", "DisableExtensionList", "REG_MULTI_SZ"),
        INTERFACE_FLAGS("CA", "InterfaceFlags", "REG_DWORD"),
        SECURITY("CA", "Security", "REG_BINARY"),
        EST_DEFAULT_TEMPLATE("CA", "EstDefaultTemplate", "REG_SZ"),
        OCSP_URL("CA", "OcspUrl", "REG_SZ"),
        ACME_HTTP_PORT("CA", "AcmeHttpPort", "REG_DWORD"),
        ACME_TLS_ALPN_PORT("CA", "AcmeTlsAlpnPort", "REG_DWORD"),
        MSCEP_ENCRYPTION_TEMPLATE("MSCEP", "EncryptionTemplate", "REG_SZ"),
        MSCEP_SIGNATURE_TEMPLATE("MSCEP", "SignatureTemplate", "REG_SZ"),
        MSCEP_GENERAL_PURPOSE_TEMPLATE("MSCEP", "GeneralPurposeTemplate", "REG_SZ");

        private final String key;
        private final String valueName;
        private final String type;

        Value(String key, String valueName, String type) {
            this.key = key;
            this.valueName = valueName;
            this.type = type;
        }

        /** {@code policy\EditFlags}, as certutil takes it. */
        public String certutilName() {
            return key + "\\" + valueName;
        }

        /** {@code EditFlags}. */
        public String valueName() {
            return valueName;
        }

        /** Whether this is NDES's ({@code HKLM\SOFTWARE\Microsoft\Cryptography\MSCEP}), not the CA's. */
        public boolean ndes() {
            return "MSCEP".equals(key);
        }

        /** The full key below {@code HKLM\SYSTEM\CurrentControlSet\Services\CertSvc\Configuration\<CA name>}; see {@link #ndes()}. */
        public String registryKey() {
            return "policy".equals(key) ? "PolicyModules\\CertificateAuthority_MicrosoftDefault.Policy" : "";
        }

        /** {@code REG_DWORD}, {@code REG_MULTI_SZ}, {@code REG_BINARY} or {@code REG_SZ}. */
        public String registryType() {
            return type;
        }

        /**
         * The value {@code name} means: {@code policy\EditFlags}, {@code EditFlags} (its key left out), in any case.
         *
         * @throws IllegalArgumentException naming the values the lab models
         */
        public static Value named(String name) {
            String text = name == null ? "" : name.trim().replace('/', '\\');
            int slash = text.lastIndexOf('\\');
            String key = slash < 0 ? null : text.substring(0, slash);
            String value = text.substring(slash + 1);
            for (Value v : values()) {
                if (v.valueName.equalsIgnoreCase(value) && (key == null || v.key.equalsIgnoreCase(key))) {
                    return v;
                }
            }
            throw new IllegalArgumentException("no registry value '" + name + "' on the CA: the lab models "
                    + java.util.Arrays.stream(values()).map(Value::certutilName).toList()
                    + " (certutil -getreg lists them under HKLM\\SYSTEM\\CurrentControlSet\\Services\\CertSvc\\Configuration\\<CA name>)");
        }
    }

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

    /** Settings with no {@code EstDefaultTemplate} and no {@code OcspUrl}, and NDES's defaults. */
    public CaRegistrySettings(int editFlags, int interfaceFlags, List<String> disableExtensionList, String security) {
        this(editFlags, interfaceFlags, disableExtensionList, security, "", "");
    }

    /** Settings with NDES's default templates and the ACME validation ports at their defaults, 80 and 443. */
    public CaRegistrySettings(int editFlags, int interfaceFlags, List<String> disableExtensionList, String security,
                              String estDefaultTemplate, String ocspUrl) {
        this(editFlags, interfaceFlags, disableExtensionList, security, estDefaultTemplate, ocspUrl, NdesTemplates.DEFAULT, 80, 443);
    }

    public CaRegistrySettings {
        disableExtensionList = List.copyOf(disableExtensionList);
        estDefaultTemplate = estDefaultTemplate == null ? "" : estDefaultTemplate.strip();
        if (!estDefaultTemplate.isEmpty() && (!TEMPLATE_NAME.matcher(estDefaultTemplate).matches() || estDefaultTemplate.contains(".."))) {
            throw new IllegalArgumentException("'" + estDefaultTemplate + "' is not a certificate template name for EstDefaultTemplate: "
                    + "template names are 1 to 64 letters, digits, spaces, '.', '_', '-', '(' and ')' (WebServer, or Web Server)");
        }
        ocspUrl = ocspUrl == null ? "" : ocspUrl.strip();
        if (!ocspUrl.isEmpty() && (!ocspUrl.matches("https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/%-]*)?") || ocspUrl.length() > 2048)) {
            throw new IllegalArgumentException("'" + ocspUrl + "' is not an OCSP URL for OcspUrl: give the Online Responder's http URL "
                    + "(http://ca01.contoso.com:PORT/ocsp, which 'pkilab up' prints), 'responder' for this CA's own, or '' for none");
        }
        ndes = ndes == null ? NdesTemplates.DEFAULT : ndes;
        for (int port : new int[]{acmeHttpPort, acmeTlsAlpnPort}) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException(port + " is not a TCP port for AcmeHttpPort or AcmeTlsAlpnPort: give 1 to 65535, "
                        + "the port the ACME client serves its challenge on (certbot --http-01-port, lego --http.port)");
            }
        }
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
        return new CaRegistrySettings(value, interfaceFlags, disableExtensionList, security,
                estDefaultTemplate, ocspUrl, ndes, acmeHttpPort, acmeTlsAlpnPort);
    }

    public CaRegistrySettings withInterfaceFlags(int value) {
        return new CaRegistrySettings(editFlags, value, disableExtensionList, security,
                estDefaultTemplate, ocspUrl, ndes, acmeHttpPort, acmeTlsAlpnPort);
    }

    public CaRegistrySettings withDisableExtensionList(List<String> value) {
        return new CaRegistrySettings(editFlags, interfaceFlags, value, security,
                estDefaultTemplate, ocspUrl, ndes, acmeHttpPort, acmeTlsAlpnPort);
    }

    /** With {@code EstDefaultTemplate} set to {@code template}; empty clears it. */
    public CaRegistrySettings withEstDefaultTemplate(String template) {
        return new CaRegistrySettings(editFlags, interfaceFlags, disableExtensionList, security,
                template, ocspUrl, ndes, acmeHttpPort, acmeTlsAlpnPort);
    }

    /** With {@code OcspUrl} set to {@code url}; empty clears it. */
    public CaRegistrySettings withOcspUrl(String url) {
        return new CaRegistrySettings(editFlags, interfaceFlags, disableExtensionList, security,
                estDefaultTemplate, url, ndes, acmeHttpPort, acmeTlsAlpnPort);
    }

    /** With NDES's {@code MSCEP} templates set to {@code value}. */
    public CaRegistrySettings withNdes(NdesTemplates value) {
        return new CaRegistrySettings(editFlags, interfaceFlags, disableExtensionList, security,
                estDefaultTemplate, ocspUrl, value, acmeHttpPort, acmeTlsAlpnPort);
    }

    public CaRegistrySettings withAcmePorts(int httpPort, int tlsAlpnPort) {
        return new CaRegistrySettings(editFlags, interfaceFlags, disableExtensionList, security,
                estDefaultTemplate, ocspUrl, ndes, httpPort, tlsAlpnPort);
    }

    public CaRegistrySettings withSecurity(String value) {
        return new CaRegistrySettings(editFlags, interfaceFlags, disableExtensionList, value,
                estDefaultTemplate, ocspUrl, ndes, acmeHttpPort, acmeTlsAlpnPort);
    }

    /**
     * These settings after {@code certutil -setreg NAME CHANGE}. {@code NAME} is one of {@link Value}; {@code CHANGE} is
     * {@code +FLAG}, {@code -FLAG} or {@code FLAG} (several joined by commas), a number ({@code 0x11014e} or decimal) for
     * the flag values, and {@code +OID}, {@code -OID} or a comma-separated list (empty: none) for
     * {@code DisableExtensionList}, and a template name for {@code EstDefaultTemplate} (empty: none). Clearing a bit that is not set, or removing an OID that is not listed, changes nothing.
     *
     * <pre>{@code
     * DEFAULT.change("policy\\EditFlags", "+EDITF_ATTRIBUTESUBJECTALTNAME2").has(EditFlag.EDITF_ATTRIBUTESUBJECTALTNAME2)   // true
     * DEFAULT.change("policy\\DisableExtensionList", "+1.3.6.1.4.1.311.25.2").disables(SID_EXTENSION)                       // true
     * }</pre>
     *
     * @throws IllegalArgumentException naming the bad name, flag or OID; nothing is changed then
     */
    public CaRegistrySettings change(String name, String change) {
        Value value = Value.named(name);
        String text = change == null ? "" : change.trim();
        return switch (value) {
            case EDIT_FLAGS -> withEditFlags(changeFlags(EditFlag.class, editFlags, text, value));
            case INTERFACE_FLAGS -> withInterfaceFlags(changeFlags(InterfaceFlag.class, interfaceFlags, text, value));
            case DISABLE_EXTENSION_LIST -> withDisableExtensionList(changeList(disableExtensionList, text));
            case EST_DEFAULT_TEMPLATE -> withEstDefaultTemplate(text);
            case OCSP_URL -> withOcspUrl(text);
            case MSCEP_ENCRYPTION_TEMPLATE -> withNdes(new NdesTemplates(text, ndes.signatureTemplate(), ndes.generalPurposeTemplate()));
            case MSCEP_SIGNATURE_TEMPLATE -> withNdes(new NdesTemplates(ndes.encryptionTemplate(), text, ndes.generalPurposeTemplate()));
            case MSCEP_GENERAL_PURPOSE_TEMPLATE -> withNdes(new NdesTemplates(ndes.encryptionTemplate(), ndes.signatureTemplate(), text));
            case ACME_HTTP_PORT -> withAcmePorts(port(text, value), acmeTlsAlpnPort);
            case ACME_TLS_ALPN_PORT -> withAcmePorts(acmeHttpPort, port(text, value));
            case SECURITY -> throw new IllegalArgumentException("CA\\Security is the CA's Security tab (Certification Authority console, "
                    + "Properties, Security), a security descriptor, not a value -setreg changes here");
        };
    }

    /** Whether {@code change} of the value {@code name} stands for the CA's own Online Responder, which only the CA can spell out. */
    public static boolean namesOwnResponder(String name, String change) {
        return change != null && change.strip().equalsIgnoreCase(OWN_RESPONDER) && Value.named(name) == Value.OCSP_URL;
    }

    /**
     * Checks {@code certutil -setreg NAME CHANGE} as the CA will take it, before it is sent: a misspelt value, flag or OID
     * is refused here and nothing is changed anywhere.
     *
     * @throws IllegalArgumentException as {@link #change} does
     */
    public static void check(String name, String change) {
        if (!namesOwnResponder(name, change)) {
            DEFAULT.change(name, change);
        }
    }

    private static int port(String text, Value value) {
        if (!text.matches("[0-9]{1,5}")) {
            throw new IllegalArgumentException("'" + text + "' is not a port for " + value.certutilName() + ": give a number from 1 to "
                    + "65535, the port the ACME client serves its challenge on");
        }
        return Integer.parseInt(text);
    }

    private static <F extends Enum<F> & Flag> int changeFlags(Class<F> type, int current, String change, Value value) {
        if (change.isEmpty()) {
            throw new IllegalArgumentException("no change given for " + value.certutilName() + ": give +NAME to set a bit, -NAME to clear "
                    + "it, or a number to replace the value");
        }
        char sign = change.charAt(0);
        String body = sign == '+' || sign == '-' ? change.substring(1).trim() : change;
        int bits = 0;
        for (String part : body.split(",", -1)) {
            bits |= flagOrNumber(type, part.trim(), value);
        }
        return sign == '+' ? current | bits : sign == '-' ? current & ~bits : bits;
    }

    private static <F extends Enum<F> & Flag> int flagOrNumber(Class<F> type, String text, Value value) {
        boolean hex = text.matches("(?i)0x[0-9a-f]+");
        if (hex || text.matches("[0-9]+")) {
            try {
                return Integer.parseUnsignedInt(hex ? text.substring(2) : text, hex ? 16 : 10);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "' is too large for " + value.certutilName() + ", a 32-bit REG_DWORD");
            }
        }
        return parse(type, text).value();
    }

    private static List<String> changeList(List<String> current, String change) {
        char sign = change.isEmpty() ? ' ' : change.charAt(0);
        String body = sign == '+' || sign == '-' ? change.substring(1).trim() : change;
        Set<String> oids = new LinkedHashSet<>();
        for (String part : body.split(",", -1)) {
            String oid = part.trim();
            if (oid.isEmpty() && body.isBlank() && sign != '+' && sign != '-') {
                continue; // a plain empty value: the list emptied
            }
            if (!OID.matcher(oid).matches()) {
                throw new IllegalArgumentException("'" + oid + "' is not an OID: DisableExtensionList holds extension OIDs such as "
                        + SID_EXTENSION + " (the SID extension)");
            }
            oids.add(oid);
        }
        Set<String> result = new LinkedHashSet<>(sign == '+' || sign == '-' ? current : List.of());
        if (sign == '-') {
            result.removeAll(oids);
        } else {
            result.addAll(oids);
        }
        return List.copyOf(result);
    }

    /**
     * The settings as JSON, the names of the bits beside the numbers for a reader ({@link #fromJson} reads only the numbers):
     * {@code {"EditFlags": 1114446, "EditFlagsNames": ["EDITF_REQUESTEXTENSIONLIST", ...], "InterfaceFlags": 1601,
     * "InterfaceFlagsNames": [...], "DisableExtensionList": [], "Security": "O:BAG:DU...", "EstDefaultTemplate": ""}}.
     */
    public ObjectNode toJson() {
        ObjectNode out = JSON.createObjectNode();
        out.put("EditFlags", Integer.toUnsignedLong(editFlags));
        describe(EditFlag.class, editFlags).forEach(out.putArray("EditFlagsNames")::add);
        out.put("InterfaceFlags", Integer.toUnsignedLong(interfaceFlags));
        describe(InterfaceFlag.class, interfaceFlags).forEach(out.putArray("InterfaceFlagsNames")::add);
        disableExtensionList.forEach(out.putArray("DisableExtensionList")::add);
        out.put("Security", security);
        out.put("EstDefaultTemplate", estDefaultTemplate);
        out.put("OcspUrl", ocspUrl);
        out.put("AcmeHttpPort", acmeHttpPort);
        out.put("AcmeTlsAlpnPort", acmeTlsAlpnPort);
        ObjectNode mscep = out.putObject("MSCEP");
        mscep.put("EncryptionTemplate", ndes.encryptionTemplate());
        mscep.put("SignatureTemplate", ndes.signatureTemplate());
        mscep.put("GeneralPurposeTemplate", ndes.generalPurposeTemplate());
        return out;
    }

    /**
     * Settings read back from {@link #toJson()}'s form; a value left out keeps {@link #DEFAULT}'s.
     *
     * @throws IllegalArgumentException when a value has the wrong type or an OID is not one
     */
    public static CaRegistrySettings fromJson(JsonNode json) {
        if (json == null || !json.isObject()) {
            throw new IllegalArgumentException("the CA's registry settings are a JSON object, not " + json);
        }
        int edit = json.has("EditFlags") ? dword(json.get("EditFlags"), "EditFlags") : DEFAULT_EDIT_FLAGS;
        int iface = json.has("InterfaceFlags") ? dword(json.get("InterfaceFlags"), "InterfaceFlags") : DEFAULT_INTERFACE_FLAGS;
        List<String> disabled = new ArrayList<>();
        JsonNode list = json.path("DisableExtensionList");
        if (!list.isMissingNode() && !list.isArray()) {
            throw new IllegalArgumentException("DisableExtensionList is a list of OIDs, not " + list);
        }
        for (JsonNode oid : list) {
            if (!oid.isTextual() || !OID.matcher(oid.asText()).matches()) {
                throw new IllegalArgumentException("DisableExtensionList holds '" + oid + "', which is not an OID");
            }
            disabled.add(oid.asText());
        }
        JsonNode security = json.path("Security");
        if (!security.isMissingNode() && !security.isTextual()) {
            throw new IllegalArgumentException("Security is SDDL text, not " + security);
        }
        JsonNode estDefault = json.path("EstDefaultTemplate");
        if (!estDefault.isMissingNode() && !estDefault.isTextual()) {
            throw new IllegalArgumentException("EstDefaultTemplate is a template name, not " + estDefault);
        }
        JsonNode ocsp = json.path("OcspUrl");
        if (!ocsp.isMissingNode() && !ocsp.isTextual()) {
            throw new IllegalArgumentException("OcspUrl is a URL, not " + ocsp);
        }
        int acmeHttp = json.has("AcmeHttpPort") ? dword(json.get("AcmeHttpPort"), "AcmeHttpPort") : 80;
        int acmeTlsAlpn = json.has("AcmeTlsAlpnPort") ? dword(json.get("AcmeTlsAlpnPort"), "AcmeTlsAlpnPort") : 443;
        JsonNode mscep = json.path("MSCEP");
        if (!mscep.isMissingNode() && !mscep.isObject()) {
            throw new IllegalArgumentException("MSCEP holds NDES's EncryptionTemplate, SignatureTemplate and GeneralPurposeTemplate, not " + mscep);
        }
        for (String name : List.of("EncryptionTemplate", "SignatureTemplate", "GeneralPurposeTemplate")) {
            if (!mscep.path(name).isMissingNode() && !mscep.path(name).isTextual()) {
                throw new IllegalArgumentException("MSCEP\\" + name + " is a template name, not " + mscep.path(name));
            }
        }
        return new CaRegistrySettings(edit, iface, disabled, security.isMissingNode() ? DEFAULT_SECURITY : security.asText(),
                estDefault.asText(""), ocsp.asText(""), new NdesTemplates(mscep.path("EncryptionTemplate").asText(""),
                mscep.path("SignatureTemplate").asText(""), mscep.path("GeneralPurposeTemplate").asText("")), acmeHttp, acmeTlsAlpn);
    }

    private static int dword(JsonNode node, String name) {
        if (!node.canConvertToLong() || !node.isIntegralNumber() || node.asLong() < 0 || node.asLong() > 0xFFFFFFFFL) {
            throw new IllegalArgumentException(name + " is a REG_DWORD (0 to 4294967295), not " + node);
        }
        return (int) node.asLong();
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
