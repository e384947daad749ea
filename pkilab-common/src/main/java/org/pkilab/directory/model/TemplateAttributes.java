package org.pkilab.directory.model;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A certificate template as the attributes of its {@code pKICertificateTemplate} object: the one mapping
 * between {@link CertificateTemplate} and the directory, used by the DC that provisions the defaults, the
 * Certificate Templates console that reads and writes them, and the CA that reads them. Numbers are decimal
 * text, strings UTF-8, periods in {@code pKIExpirationPeriod} form ({@link PkiPeriod}), the Security tab in
 * AD's binary security-descriptor form ({@link SecurityDescriptor#toBinary()}; the SDDL text older labs kept is still read).
 *
 * <pre>{@code
 * Map<String, List<byte[]>> a = TemplateAttributes.toAttributes(webServer, domainSid);
 * new String(a.get("msPKI-Template-Schema-Version").get(0), UTF_8);  // "1"
 * TemplateAttributes.fromAttributes(a, domainSid);                      // the same template
 * }</pre>
 */
public final class TemplateAttributes {

    private TemplateAttributes() {
    }

    /**
     * The attributes of the template's directory object, keyed by AD attribute name, values as the
     * directory stores them (strings as UTF-8, the security descriptor in binary).
     */
    public static Map<String, List<byte[]>> toAttributes(CertificateTemplate t, SecurityIdentifier domainSid) {
        Map<String, List<byte[]>> a = new LinkedHashMap<>();
        put(a, "cn", t.name());
        put(a, "displayName", t.displayName());
        put(a, "flags", t.flags());
        put(a, "revision", t.revision());
        put(a, "msPKI-Template-Schema-Version", t.schemaVersion());
        put(a, "msPKI-Template-Minor-Revision", t.minorRevision());
        if (t.oid() != null) {
            put(a, "msPKI-Cert-Template-OID", t.oid());
        }
        put(a, "msPKI-Certificate-Name-Flag", t.certificateNameFlags());
        put(a, "msPKI-Enrollment-Flag", t.enrollmentFlags());
        put(a, "msPKI-Private-Key-Flag", t.privateKeyFlags());
        put(a, "msPKI-Minimal-Key-Size", t.minimalKeySize());
        put(a, "msPKI-RA-Signature", t.raSignatures());
        putAll(a, "pKIExtendedKeyUsage", t.extendedKeyUsages());
        putAll(a, "msPKI-Certificate-Application-Policy", t.applicationPolicies());
        a.put("pKIKeyUsage", List.of(t.keyUsage()));
        a.put("pKIExpirationPeriod", List.of(PkiPeriod.encode(t.validity())));
        a.put("pKIOverlapPeriod", List.of(PkiPeriod.encode(t.renewalPeriod())));
        putAll(a, "pKIDefaultCSPs", t.cryptographicProviders());
        put(a, "pKIDefaultKeySpec", t.defaultKeySpec());
        put(a, "pKIMaxIssuingDepth", t.maxIssuingDepth());
        putAll(a, "pKICriticalExtensions", t.criticalExtensions());
        putAll(a, "msPKI-Supersede-Templates", t.supersededTemplates());
        putAll(a, "msPKI-RA-Application-Policies", t.raApplicationPolicies());
        putAll(a, "msPKI-Certificate-Policy", t.issuancePolicies());
        if (t.securityDescriptor() != null) {
            a.put("nTSecurityDescriptor", List.of(t.securityDescriptor().toBinary()));
        }
        return a;
    }

    /** Reads a template back from its directory attributes (names in any case). */
    public static CertificateTemplate fromAttributes(Map<String, List<byte[]>> attributes, SecurityIdentifier domainSid) {
        Map<String, List<byte[]>> a = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        a.putAll(attributes);
        CertificateTemplate.Builder b = CertificateTemplate.builder(text(a, "cn", null))
                .displayName(text(a, "displayName", null))
                .schemaVersion(number(a, "msPKI-Template-Schema-Version", 1))
                .revision(number(a, "revision", 0))
                .minorRevision(number(a, "msPKI-Template-Minor-Revision", 0))
                .oid(text(a, "msPKI-Cert-Template-OID", null))
                .flags(number(a, "flags", 0))
                .certificateNameFlags(number(a, "msPKI-Certificate-Name-Flag", 0))
                .enrollmentFlags(number(a, "msPKI-Enrollment-Flag", 0))
                .privateKeyFlags(number(a, "msPKI-Private-Key-Flag", 0))
                .minimalKeySize(number(a, "msPKI-Minimal-Key-Size", 0))
                .raSignatures(number(a, "msPKI-RA-Signature", 0))
                .extendedKeyUsages(texts(a, "pKIExtendedKeyUsage"))
                .applicationPolicies(texts(a, "msPKI-Certificate-Application-Policy"))
                .cryptographicProviders(texts(a, "pKIDefaultCSPs"))
                .defaultKeySpec(number(a, "pKIDefaultKeySpec", 1))
                .maxIssuingDepth(number(a, "pKIMaxIssuingDepth", 0))
                .criticalExtensions(texts(a, "pKICriticalExtensions"))
                .supersededTemplates(texts(a, "msPKI-Supersede-Templates"))
                .raApplicationPolicies(texts(a, "msPKI-RA-Application-Policies"))
                .issuancePolicies(texts(a, "msPKI-Certificate-Policy"));
        if (a.containsKey("pKIKeyUsage")) {
            b.keyUsage(a.get("pKIKeyUsage").get(0));
        }
        if (a.containsKey("pKIExpirationPeriod")) {
            b.validity(PkiPeriod.decode(a.get("pKIExpirationPeriod").get(0)));
        }
        if (a.containsKey("pKIOverlapPeriod")) {
            b.renewalPeriod(PkiPeriod.decode(a.get("pKIOverlapPeriod").get(0)));
        }
        List<byte[]> descriptor = a.get("nTSecurityDescriptor");
        if (descriptor != null && !descriptor.isEmpty()) {
            b.securityDescriptor(SecurityDescriptor.decode(descriptor.get(0), domainSid));
        }
        return b.build();
    }

    private static void put(Map<String, List<byte[]>> a, String name, Object value) {
        a.put(name, List.of(String.valueOf(value).getBytes(StandardCharsets.UTF_8)));
    }

    private static void putAll(Map<String, List<byte[]>> a, String name, List<String> values) {
        if (!values.isEmpty()) {
            a.put(name, values.stream().map(v -> v.getBytes(StandardCharsets.UTF_8)).toList());
        }
    }

    private static String text(Map<String, List<byte[]>> a, String name, String fallback) {
        List<byte[]> values = a.get(name);
        return values == null || values.isEmpty() ? fallback : new String(values.get(0), StandardCharsets.UTF_8);
    }

    private static List<String> texts(Map<String, List<byte[]>> a, String name) {
        List<String> out = new ArrayList<>();
        for (byte[] value : a.getOrDefault(name, List.of())) {
            out.add(new String(value, StandardCharsets.UTF_8));
        }
        return out;
    }

    private static int number(Map<String, List<byte[]>> a, String name, int fallback) {
        String value = text(a, name, null);
        if (value == null) {
            return fallback;
        }
        try {
            return (int) Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("template attribute " + name + " is not a number: " + value);
        }
    }
}
