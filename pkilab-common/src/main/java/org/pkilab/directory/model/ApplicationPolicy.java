package org.pkilab.directory.model;

import java.util.Arrays;
import java.util.Optional;

/**
 * The application policies (extended key usages) a Windows administrator picks by name on a template's
 * Extensions tab, and the Certificates snap-in shows as Intended Purposes, with their OIDs.
 *
 * <pre>{@code
 * ApplicationPolicy.oidOf("Client Authentication");   // "1.3.6.1.5.5.7.3.2"
 * ApplicationPolicy.oidOf("1.3.6.1.4.1.311.20.2.1");  // the OID itself
 * ApplicationPolicy.nameOf("2.5.29.37.0");            // "Any Purpose"
 * }</pre>
 */
public enum ApplicationPolicy {
    SERVER_AUTHENTICATION("Server Authentication", "1.3.6.1.5.5.7.3.1"),
    CLIENT_AUTHENTICATION("Client Authentication", "1.3.6.1.5.5.7.3.2"),
    SECURE_EMAIL("Secure Email", "1.3.6.1.5.5.7.3.4"),
    ENCRYPTING_FILE_SYSTEM("Encrypting File System", "1.3.6.1.4.1.311.10.3.4"),
    SMART_CARD_LOGON("Smart Card Logon", "1.3.6.1.4.1.311.20.2.2"),
    CERTIFICATE_REQUEST_AGENT("Certificate Request Agent", "1.3.6.1.4.1.311.20.2.1"),
    KDC_AUTHENTICATION("KDC Authentication", "1.3.6.1.5.2.3.5"),
    PKINIT_CLIENT_AUTHENTICATION("PKINIT Client Authentication", "1.3.6.1.5.2.3.4"),
    OCSP_SIGNING("OCSP Signing", "1.3.6.1.5.5.7.3.9"),
    IP_SECURITY_IKE_INTERMEDIATE("IP security IKE intermediate", "1.3.6.1.5.5.8.2.2"),
    ANY_PURPOSE("Any Purpose", "2.5.29.37.0");

    private final String displayName;
    private final String oid;

    ApplicationPolicy(String displayName, String oid) {
        this.displayName = displayName;
        this.oid = oid;
    }

    public String displayName() {
        return displayName;
    }

    public String oid() {
        return oid;
    }

    /** The policy a name or OID names, in any case. */
    public static Optional<ApplicationPolicy> find(String nameOrOid) {
        String key = nameOrOid == null ? "" : nameOrOid.trim();
        return Arrays.stream(values()).filter(p -> p.displayName.equalsIgnoreCase(key) || p.oid.equals(key)
                || p.name().equalsIgnoreCase(key.replace(' ', '_'))).findFirst();
    }

    /** The OID of a policy named as the Extensions tab names it, or {@code nameOrOid} when it is an OID already. */
    public static String oidOf(String nameOrOid) {
        Optional<ApplicationPolicy> known = find(nameOrOid);
        if (known.isPresent()) {
            return known.get().oid;
        }
        if (nameOrOid != null && nameOrOid.trim().matches("[0-2](\\.[0-9]+)+")) {
            return nameOrOid.trim();
        }
        throw new IllegalArgumentException("'" + nameOrOid + "' is neither an application policy the Extensions tab names ("
                + String.join(", ", Arrays.stream(values()).map(ApplicationPolicy::displayName).toList()) + ") nor an OID");
    }

    /** The display name of {@code oid}, or the OID when the lab has no name for it. */
    public static String nameOf(String oid) {
        return find(oid).map(ApplicationPolicy::displayName).orElse(oid);
    }
}
