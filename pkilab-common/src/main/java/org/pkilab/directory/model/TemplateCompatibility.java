package org.pkilab.directory.model;

/**
 * The choice the "Duplicate Template" dialog offers, which fixes the copy's schema version and the
 * minimum CA and client versions written into its {@code msPKI-Private-Key-Flag}.
 */
public enum TemplateCompatibility {
    /** "Windows 2003 Server, Enterprise Edition": a schema 2 template, keys in a legacy CSP. */
    WINDOWS_2003_SERVER_ENTERPRISE(2, TemplateFlags.PrivateKey.COMPATIBILITY_2003),
    /** "Windows 2008 Server, Enterprise Edition": a schema 3 template, keys in a CNG provider. */
    WINDOWS_2008_SERVER_ENTERPRISE(3, TemplateFlags.PrivateKey.COMPATIBILITY_2008);

    private final int schemaVersion;
    private final int compatibilityBits;

    TemplateCompatibility(int schemaVersion, int compatibilityBits) {
        this.schemaVersion = schemaVersion;
        this.compatibilityBits = compatibilityBits;
    }

    public int schemaVersion() {
        return schemaVersion;
    }

    /** The minimum CA / client version bits of {@code msPKI-Private-Key-Flag} (under {@link TemplateFlags.PrivateKey#COMPATIBILITY_MASK}). */
    public int compatibilityBits() {
        return compatibilityBits;
    }
}
