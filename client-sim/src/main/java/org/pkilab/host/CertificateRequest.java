package org.pkilab.host;

import java.util.List;

/**
 * What the "Certificate Properties" dialog (or {@code certreq} with an INF file, or Certipy's {@code req}) collects
 * before "Enroll": the template and, for templates that take the subject from the request, a subject (Common name),
 * DNS and UPN alternative names in the order given, a SID as the KB5014754 SAN URL, the request's own application
 * policies, and a {@code SAN:} request attribute (what {@code certreq -attrib "SAN:upn=..."} sends, which a CA honours
 * only with {@code EDITF_ATTRIBUTESUBJECTALTNAME2}). Start with {@link #forTemplate} and add what the template needs.
 *
 * @param upn                 a user principal name for the SAN (otherName 1.3.6.1.4.1.311.20.2.3), or empty
 * @param sid                 a SID for the SAN URL {@code tag:microsoft.com,2022-09-14:sid:<SID>}, or empty
 * @param applicationPolicies OIDs for the request's Application Policies extension (1.3.6.1.4.1.311.21.10)
 * @param sanAttribute        the value of the {@code SAN} name-value request attribute ({@code upn=...&dns=...}), or empty
 */
public record CertificateRequest(String template, String subject, List<String> dnsNames, int keySize, String upn, String sid,
                                 List<String> applicationPolicies, String sanAttribute) {

    public CertificateRequest {
        if (template == null || template.isBlank()) {
            throw new IllegalArgumentException("a certificate request names a template");
        }
        subject = subject == null ? "" : subject;
        dnsNames = List.copyOf(dnsNames);
        upn = upn == null ? "" : upn;
        sid = sid == null ? "" : sid;
        applicationPolicies = List.copyOf(applicationPolicies);
        sanAttribute = sanAttribute == null ? "" : sanAttribute;
        if (keySize < 0 || keySize > 16384) {
            throw new IllegalArgumentException("key size out of range 0..16384: " + keySize);
        }
        if (!sid.isEmpty() && !sid.matches("S-1-[0-9]+(-[0-9]+)+")) {
            throw new IllegalArgumentException("'" + sid + "' is not a SID (S-1-5-21-...)");
        }
        for (String oid : applicationPolicies) {
            if (!oid.matches("[0-2](\\.[0-9]+)+")) {
                throw new IllegalArgumentException("'" + oid + "' is not an OID (1.3.6.1.5.5.7.3.2)");
            }
        }
    }

    public static CertificateRequest forTemplate(String template) {
        return new CertificateRequest(template, "", List.of(), 0, "", "", List.of(), "");
    }

    /** Subject tab, Subject name, Type "Common name": {@code commonName("clouddp1.contoso.com")}. */
    public CertificateRequest commonName(String commonName) {
        return new CertificateRequest(template, "CN=" + commonName, dnsNames, keySize, upn, sid, applicationPolicies, sanAttribute);
    }

    /** Subject tab, Alternative name, Type "DNS", in the order given. */
    public CertificateRequest dnsNames(String... names) {
        return new CertificateRequest(template, subject, List.of(names), keySize, upn, sid, applicationPolicies, sanAttribute);
    }

    /** A key of this size; if unset (0), the template's minimum or 2048, whichever is larger. */
    public CertificateRequest keySize(int bits) {
        return new CertificateRequest(template, subject, dnsNames, bits, upn, sid, applicationPolicies, sanAttribute);
    }

    /** Subject tab, Alternative name, Type "User principal name" ({@code certipy req -upn}). */
    public CertificateRequest upn(String name) {
        return new CertificateRequest(template, subject, dnsNames, keySize, name, sid, applicationPolicies, sanAttribute);
    }

    /** The SID as the SAN URL strong mapping ({@code certipy req -sid}). */
    public CertificateRequest sid(String value) {
        return new CertificateRequest(template, subject, dnsNames, keySize, upn, value, applicationPolicies, sanAttribute);
    }

    /** Application Policies the request asks for ({@code certipy req -application-policies}). */
    public CertificateRequest applicationPolicies(List<String> oids) {
        return new CertificateRequest(template, subject, dnsNames, keySize, upn, sid, oids, sanAttribute);
    }

    /** The {@code SAN} request attribute ({@code certreq -attrib "SAN:upn=administrator@contoso.com"}). */
    public CertificateRequest sanAttribute(String value) {
        return new CertificateRequest(template, subject, dnsNames, keySize, upn, sid, applicationPolicies, value);
    }

    /** Whether the request itself names its subject (a subject, or an alternative name of any kind). */
    boolean suppliesNames() {
        return !subject.isEmpty() || !dnsNames.isEmpty() || !upn.isEmpty() || !sid.isEmpty();
    }
}
