package org.pkilab.audit;

import java.util.Locale;

/**
 * The AD CS escalation classes, as SpecterOps' "Certified Pre-Owned" (ESC1–ESC8, 2021) and later research (ESC9/ESC10
 * Oliver Lyak 2022, ESC11 Sylvain Heiniger 2022, ESC12 Hans-Joachim Knobloch 2023, ESC13 Jonas Bülow Knudsen 2024,
 * ESC14 Jonas Bülow Knudsen 2024, ESC15 "EKUwu" Justin Bollinger 2024 / CVE-2024-49019, ESC16 Oliver Lyak 2025) name
 * them. Each constant carries the one-line title {@code pkilab audit} prints, the help text SARIF's rule shows, and the
 * severity its findings get. The conditions the lab checks for each are in the Javadoc of the check classes
 * ({@code Esc1Check} ...), and in {@code docs/audit.md}.
 */
public enum EscClass {
    ESC1("Enrollee supplies subject on a client-authentication template", Severity.CRITICAL,
            "A template lets the requester write the subject and SAN, and its certificates authenticate clients; anyone who "
                    + "may enroll can name Administrator and log on as Administrator."),
    ESC2("Any Purpose or no EKU", Severity.HIGH,
            "A template issues certificates valid for any purpose (EKU 2.5.29.37.0, or no EKU at all); such a certificate "
                    + "signs enrollment-agent requests and, where a DC maps it, authenticates."),
    ESC3("Enrollment agent template with an on-behalf-of target", Severity.CRITICAL,
            "A template issues Certificate Request Agent certificates to low-privileged principals, and another template "
                    + "accepts agent-signed requests on behalf of any user for client authentication."),
    ESC4("Write access to a template", Severity.CRITICAL,
            "A low-privileged principal may write a published template (Write, Full Control, Write DACL, Write Owner or "
                    + "ownership) and so turn it into an ESC1 template."),
    ESC5("Write access to a PKI object", Severity.HIGH,
            "A low-privileged principal may write a PKI container, the enrollment service, NTAuthCertificates or the CA's "
                    + "computer object: it can publish templates, trust a rogue CA for logon, or take over the CA host."),
    ESC6("EDITF_ATTRIBUTESUBJECTALTNAME2 on the CA", Severity.CRITICAL,
            "The CA honours a SAN the requester puts in the request attributes, for every template it issues; anyone who "
                    + "may enroll in a client-authentication template can name Administrator."),
    ESC7("Manage CA or Issue and Manage Certificates for a low-privileged principal", Severity.CRITICAL,
            "A low-privileged principal holds Manage CA or Issue and Manage Certificates on the CA: it can make itself an "
                    + "officer, publish templates, and issue its own failed requests."),
    ESC8("NTLM relay to HTTP web enrollment", Severity.HIGH,
            "An enrollment endpoint takes NTLM over plain HTTP (or HTTPS without Extended Protection): a coerced "
                    + "computer's authentication is relayed to enroll in its name."),
    ESC9("CT_FLAG_NO_SECURITY_EXTENSION on a client-authentication template", Severity.HIGH,
            "Certificates from the template carry no SID extension, the DC accepts weak (UPN) mappings, and someone may "
                    + "rewrite an enrolling account's userPrincipalName to Administrator."),
    ESC10("Weak certificate mapping on the DC", Severity.HIGH,
            "The DC maps certificates by UPN without the strong-mapping check (StrongCertificateBindingEnforcement = 0, or "
                    + "Schannel's CertificateMappingMethods UPN bit 0x4), and someone may rewrite an account's userPrincipalName."),
    ESC11("IF_ENFORCEENCRYPTICERTREQUEST cleared", Severity.MEDIUM,
            "The CA accepts unencrypted ICertPassage (ICPR) RPC requests, so NTLM authentication can be relayed to it "
                    + "to enroll in the relayed computer's name."),
    ESC12("Shell access to a CA with a YubiHSM2 key", Severity.LOW,
            "Not applicable to the lab: the CA's key is not in a YubiHSM2 whose authentication key sits in the CA's registry."),
    ESC13("Issuance policy linked to a group", Severity.HIGH,
            "A client-authentication template carries an issuance policy whose msPKI-Enterprise-Oid object has "
                    + "msDS-OIDToGroupLink: a logon with its certificate adds that group to the token."),
    ESC14("Weak or writable explicit mapping (altSecurityIdentities)", Severity.HIGH,
            "An account's altSecurityIdentities maps a certificate by a weak form the DC still accepts, or a low-privileged "
                    + "principal may write another account's altSecurityIdentities."),
    ESC15("Schema version 1 template with enrollee-supplied subject (EKUwu, CVE-2024-49019)", Severity.HIGH,
            "A schema version 1 template lets the requester supply the subject; the CA copies the request's Application "
                    + "Policies extension into the certificate, so a Web Server template yields client-authentication certificates."),
    ESC16("SID extension disabled on the CA", Severity.HIGH,
            "The CA leaves the SID extension (1.3.6.1.4.1.311.25.2) out of every certificate (DisableExtensionList) and "
                    + "the DC accepts weak mappings: a rewritten userPrincipalName is enough to log on as Administrator.");

    private final String title;
    private final Severity severity;
    private final String help;

    EscClass(String title, Severity severity, String help) {
        this.title = title;
        this.severity = severity;
        this.help = help;
    }

    public String title() {
        return title;
    }

    /** The severity of this class's findings. */
    public Severity severity() {
        return severity;
    }

    /** What the class is, in two sentences: SARIF's rule {@code fullDescription}. */
    public String help() {
        return help;
    }

    /** {@code ESC1}, {@code esc1} or {@code 1}. */
    public static EscClass parse(String text) {
        String key = text == null ? "" : text.trim().toUpperCase(Locale.ROOT);
        for (EscClass c : values()) {
            if (c.name().equals(key) || c.name().equals("ESC" + key)) {
                return c;
            }
        }
        throw new IllegalArgumentException("no class '" + text + "'; expected ESC1 to ESC16");
    }
}
