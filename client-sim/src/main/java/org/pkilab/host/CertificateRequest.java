package org.pkilab.host;

import java.util.List;

/**
 * What the "Certificate Properties" dialog collects before "Enroll": the template and, for templates
 * that take the subject from the request, a subject (Common name) and DNS alternative names in the
 * order given. Start with {@link #forTemplate} and add what the template needs.
 */
public record CertificateRequest(String template, String subject, List<String> dnsNames, int keySize) {

    public CertificateRequest {
        if (template == null || template.isBlank()) {
            throw new IllegalArgumentException("a certificate request names a template");
        }
        subject = subject == null ? "" : subject;
        dnsNames = List.copyOf(dnsNames);
        if (keySize < 0 || keySize > 16384) {
            throw new IllegalArgumentException("key size out of range 0..16384: " + keySize);
        }
    }

    public static CertificateRequest forTemplate(String template) {
        return new CertificateRequest(template, "", List.of(), 0);
    }

    /** Subject tab, Subject name, Type "Common name": {@code commonName("clouddp1.contoso.com")}. */
    public CertificateRequest commonName(String commonName) {
        return new CertificateRequest(template, "CN=" + commonName, dnsNames, keySize);
    }

    /** Subject tab, Alternative name, Type "DNS", in the order given. */
    public CertificateRequest dnsNames(String... names) {
        return new CertificateRequest(template, subject, List.of(names), keySize);
    }

    /** A key of this size; if unset (0), the template's minimum or 2048, whichever is larger. */
    public CertificateRequest keySize(int bits) {
        return new CertificateRequest(template, subject, dnsNames, bits);
    }
}
