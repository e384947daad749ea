package org.pkilab.scenario;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The steps a scenario can take, in the guide's own words. Each verb names its fields, their types and
 * which are required; a scalar after the verb fills its first field ({@code issue template: WebServer}).
 * The Certification Authority console's verbs take {@code as}, the account the certificate manager logs on
 * with (the domain's Administrator when unset).
 */
public enum Verb {
    CREATE_GROUP("create group", "Active Directory Users and Computers: New, Group", f("name", Type.TEXT, true),
            f("scope", Type.TEXT, false)),
    CREATE_USER("create user", "Active Directory Users and Computers: New, User", f("name", Type.TEXT, true)),
    ADD_MEMBER("add member", "the group's Members tab: Add", f("group", Type.TEXT, true), f("member", Type.TEXT, true)),
    REMOVE_MEMBER("remove member", "the group's Members tab: Remove", f("group", Type.TEXT, true), f("member", Type.TEXT, true)),
    SET_UPN("set upn", "the account's Account tab: User logon name (userPrincipalName)", f("account", Type.TEXT, true),
            f("upn", Type.TEXT, true), f("as", Type.TEXT, false)),
    ALLOW_ON_OBJECT("allow on object", "Active Directory Users and Computers (Advanced Features): the object's Security tab, Allow",
            f("object", Type.TEXT, true), f("principal", Type.TEXT, true), f("rights", Type.LIST, true), f("as", Type.TEXT, false)),
    REMOVE_PERMISSION_ON_OBJECT("remove permission on object", "Active Directory Users and Computers (Advanced Features): the "
            + "object's Security tab, clear Allow", f("object", Type.TEXT, true), f("principal", Type.TEXT, true), f("rights", Type.LIST, true),
            f("as", Type.TEXT, false)),
    DUPLICATE_TEMPLATE("duplicate template", "Certificate Templates console: Duplicate Template",
            f("template", Type.TEXT, true), f("name", Type.TEXT, true), f("compatibility", Type.TEXT, false)),
    SET_SUBJECT_NAME("set subject name", "the template's Subject Name tab",
            f("template", Type.TEXT, true), f("mode", Type.TEXT, true), f("upn", Type.BOOL, false), f("email", Type.BOOL, false),
            f("as", Type.TEXT, false)),
    CREATE_ISSUANCE_POLICY("create issuance policy", "the template's Extensions tab: Issuance Policies, Add, New (and "
            + "Set-IssuancePolicyToGroupLink.ps1 for 'link group')", f("name", Type.TEXT, true), f("link group", Type.TEXT, false)),
    ADD_ISSUANCE_POLICY("add issuance policy", "the template's Extensions tab: Issuance Policies, Add", f("template", Type.TEXT, true),
            f("policy", Type.TEXT, true), f("as", Type.TEXT, false)),
    ALLOW_KEY_EXPORT("allow private key export", "the template's Request Handling tab: Allow private key to be exported",
            f("template", Type.TEXT, true)),
    MINIMUM_KEY_SIZE("minimum key size", "the template's Cryptography tab", f("template", Type.TEXT, true), f("bits", Type.INT, true)),
    SET_ENROLLMENT_FLAG("set enrollment flag", "ADSI Edit (or Set-ADObject): the template's msPKI-Enrollment-Flag",
            f("template", Type.TEXT, true), f("flag", Type.TEXT, true), f("enabled", Type.BOOL, true), f("as", Type.TEXT, false)),
    REQUIRE_APPROVAL("require approval", "the template's Issuance Requirements tab: CA certificate manager approval",
            f("template", Type.TEXT, true)),
    VALIDITY("validity", "the template's General tab", f("template", Type.TEXT, true), f("period", Type.TEXT, true),
            f("renewal", Type.TEXT, false)),
    SET_APPLICATION_POLICIES("set application policies", "the template's Extensions tab: Application Policies, Edit",
            f("template", Type.TEXT, true), f("policies", Type.LIST, true), f("as", Type.TEXT, false)),
    SUPERSEDE("supersede", "the template's Superseded Templates tab", f("template", Type.TEXT, true), f("templates", Type.LIST, true)),
    ALLOW("allow", "the template's Security tab: Allow", f("template", Type.TEXT, true), f("principal", Type.TEXT, true),
            f("rights", Type.LIST, true), f("as", Type.TEXT, false)),
    DENY("deny", "the template's Security tab: Deny", f("template", Type.TEXT, true), f("principal", Type.TEXT, true),
            f("rights", Type.LIST, true), f("as", Type.TEXT, false)),
    REMOVE_PERMISSION("remove permission", "the template's Security tab: clear Allow", f("template", Type.TEXT, true),
            f("principal", Type.TEXT, true), f("rights", Type.LIST, true), f("as", Type.TEXT, false)),
    ISSUE_TEMPLATE("issue template", "Certification Authority: Certificate Templates, New, Certificate Template to Issue",
            f("name", Type.TEXT, true), f("as", Type.TEXT, false)),
    STOP_ISSUING("stop issuing template", "Certification Authority: Certificate Templates, Delete", f("name", Type.TEXT, true),
            f("as", Type.TEXT, false)),
    CREATE_GPO("create gpo", "Group Policy Management: Create a GPO in this domain, and Link it here",
            f("name", Type.TEXT, true), f("autoenrollment", Type.TEXT, false), f("link", Type.BOOL, false)),
    LINK_GPO("link gpo", "Group Policy Management: Link an Existing GPO", f("name", Type.TEXT, true)),
    UNLINK_GPO("unlink gpo", "Group Policy Management: Delete link", f("name", Type.TEXT, true)),
    FILTER_GPO("filter gpo", "Group Policy Management: Security Filtering (the GPO applies only to this group)",
            f("name", Type.TEXT, true), f("group", Type.TEXT, true)),
    RESTART("restart", "restart the computer (it logs on again and applies Group Policy)", f("host", Type.TEXT, true)),
    GPUPDATE("gpupdate", "gpupdate /force (no new logon token)", f("host", Type.TEXT, true)),
    REQUEST_CERTIFICATE("request certificate", "Certificates snap-in: Request New Certificate",
            f("host", Type.TEXT, true), f("template", Type.TEXT, true), f("dns", Type.LIST, false), f("common name", Type.TEXT, false),
            f("user", Type.TEXT, false), f("key size", Type.INT, false), f("upn", Type.TEXT, false), f("sid", Type.TEXT, false),
            f("application policies", Type.LIST, false), f("san attribute", Type.TEXT, false), f("on behalf of", Type.TEXT, false),
            f("agent template", Type.TEXT, false)),
    LOGON_WITH_CERTIFICATE("logon with certificate", "Schannel logon at the DC: StartTLS and a SASL EXTERNAL bind with the certificate "
            + "(ldapwhoami -Y EXTERNAL, certipy auth -ldap-shell)", f("host", Type.TEXT, true), f("template", Type.TEXT, true),
            f("user", Type.TEXT, false), f("add to group", Type.TEXT, false), f("member", Type.TEXT, false)),
    CHECK_CERTIFICATE("check certificate", "Certificates snap-in: the Personal store's columns",
            f("host", Type.TEXT, true), f("template", Type.TEXT, true), f("user", Type.TEXT, false), f("purpose", Type.TEXT, false),
            f("dns", Type.LIST, false), f("absent", Type.BOOL, false)),
    EXPORT_PFX("export pfx", "Certificate Export Wizard: Yes, export the private key; PFX",
            f("host", Type.TEXT, true), f("template", Type.TEXT, true), f("file", Type.TEXT, true), f("password", Type.TEXT, true)),
    BIND_HTTPS("bind https", "IIS Manager: Default Web Site, Edit Bindings, https, SSL certificate",
            f("host", Type.TEXT, true), f("template", Type.TEXT, true)),
    INSTALL_MANAGEMENT_POINT("install management point", "Configuration Manager: management point, HTTPS", f("host", Type.TEXT, true)),
    INSTALL_DISTRIBUTION_POINT("install distribution point", "Configuration Manager: distribution point, Import certificate",
            f("host", Type.TEXT, true), f("file", Type.TEXT, true), f("password", Type.TEXT, true)),
    INSTALL_CLOUD_DISTRIBUTION_POINT("install cloud distribution point", "Configuration Manager: Create Cloud Distribution Point",
            f("host", Type.TEXT, true), f("service name", Type.TEXT, true), f("file", Type.TEXT, true), f("password", Type.TEXT, true)),
    REPORT_STATUS("report status", "a distribution point reports to the management point",
            f("host", Type.TEXT, true), f("management point", Type.TEXT, true), f("name", Type.TEXT, true)),
    APPROVE_PENDING("approve pending", "Certification Authority: Pending Requests, All Tasks, Issue", f("host", Type.TEXT, true),
            f("as", Type.TEXT, false)),
    DENY_PENDING("deny pending", "Certification Authority: Pending Requests, All Tasks, Deny", f("host", Type.TEXT, true),
            f("as", Type.TEXT, false)),
    REVOKE("revoke", "Certification Authority: Issued Certificates, All Tasks, Revoke Certificate",
            f("host", Type.TEXT, true), f("template", Type.TEXT, true), f("reason", Type.TEXT, false), f("as", Type.TEXT, false),
            f("user", Type.TEXT, false)),
    RESUBMIT_REQUEST("resubmit request", "Certification Authority: Failed Requests, All Tasks, Resubmit Request (certutil -resubmit), "
            + "then certreq -retrieve on the requester's computer", f("host", Type.TEXT, true), f("user", Type.TEXT, true),
            f("template", Type.TEXT, true), f("as", Type.TEXT, false)),
    ALLOW_ON_CA("allow on ca", "Certification Authority: the CA's Properties, Security tab, Allow", f("principal", Type.TEXT, true),
            f("rights", Type.LIST, true), f("as", Type.TEXT, false)),
    REMOVE_PERMISSION_ON_CA("remove permission on ca", "Certification Authority: the CA's Properties, Security tab, clear Allow",
            f("principal", Type.TEXT, true), f("rights", Type.LIST, true), f("as", Type.TEXT, false)),
    SET_CA_REGISTRY("set ca registry", "certutil -setreg on the CA (then net stop certsvc && net start certsvc)",
            f("value", Type.TEXT, true), f("change", Type.TEXT, true), f("as", Type.TEXT, false)),
    SET_DC_REGISTRY("set dc registry", "reg add on the domain controller: Kdc\\StrongCertificateBindingEnforcement or "
            + "Schannel\\CertificateMappingMethods", f("value", Type.TEXT, true), f("data", Type.TEXT, true)),
    AUDIT("audit", "pkilab audit: the ESC1-ESC16 checks of templates, CAs, PKI objects and the DC's certificate mapping",
            f("finds", Type.LIST, false), f("explain", Type.TEXT, false)),
    REFRESH_CRL("refresh crl", "certutil -urlcache CRL delete: the computer fetches the CRL anew", f("host", Type.TEXT, true)),
    REFRESH_OCSP("refresh ocsp", "certutil -urlcache OCSP delete: the computer asks the Online Responder anew", f("host", Type.TEXT, true)),
    ADVANCE_CLOCK("advance clock", "time passes in the lab", f("period", Type.TEXT, true)),
    CONNECT("connect", "a client opens an HTTPS connection", f("from", Type.TEXT, true), f("to", Type.TEXT, true),
            f("name", Type.TEXT, true), f("path", Type.TEXT, false), f("client certificate", Type.TEXT, false)),
    TRUST_ROOT_ON_MAC("trust root on mac", "Keychain Access: Always Trust the enterprise root CA", f("mac", Type.TEXT, true)),
    ENROLL_MAC("enroll mac", "Configuration Manager enrolls the Mac with an administrative user's account",
            f("mac", Type.TEXT, true), f("template", Type.TEXT, true), f("user", Type.TEXT, true)),
    TRUST_ROOT_ON_DEVICE("trust root on device", "the device's administrator installs the enterprise root CA (update-ca-certificates, a "
            + "router's trustpoint)", f("device", Type.TEXT, true)),
    ENROLL_DEVICE("enroll device", "the device enrolls over a device protocol with a credential an administrator gives it for an account "
            + "(EST: the account's password)", f("device", Type.TEXT, true), f("protocol", Type.TEXT, false), f("template", Type.TEXT, false),
            f("account", Type.TEXT, false), f("common name", Type.TEXT, false), f("dns", Type.LIST, false)),
    INCLUDE("include", "run another scenario's steps in this lab", f("scenario", Type.TEXT, true));

    /** A field's type, as the scenario file must give it. */
    public enum Type {
        TEXT("text"), INT("a whole number"), BOOL("true or false"), LIST("a list (or one item)");

        private final String description;

        Type(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    /** One field of a verb. */
    public record Field(String name, Type type, boolean required) {
    }

    private final String text;
    private final String console;
    private final List<Field> fields;

    Verb(String text, String console, Field... fields) {
        this.text = text;
        this.console = console;
        this.fields = List.of(fields);
    }

    private static Field f(String name, Type type, boolean required) {
        return new Field(name, type, required);
    }

    /** The verb as written in a scenario file. */
    public String text() {
        return text;
    }

    /** Where an administrator does this on Windows. */
    public String console() {
        return console;
    }

    public List<Field> fields() {
        return fields;
    }

    public Optional<Field> field(String name) {
        return fields.stream().filter(f -> f.name().equalsIgnoreCase(name)).findFirst();
    }

    public static Optional<Verb> of(String text) {
        String key = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        for (Verb verb : values()) {
            if (verb.text.equals(key)) {
                return Optional.of(verb);
            }
        }
        return Optional.empty();
    }
}
