package org.pkilab.directory.model;

import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;

/**
 * A certificate template as the directory holds it: a {@code pKICertificateTemplate} object under
 * {@code CN=Certificate Templates,CN=Public Key Services,CN=Services,CN=Configuration,<domain>}, whose
 * attributes tell the CA what to put in a certificate and tell clients how to make the key.
 *
 * <p>The settings the Certificate Templates console shows map to attributes:
 * <ul>
 *   <li>General tab: {@code displayName}, {@code cn} (the template name), validity
 *       {@code pKIExpirationPeriod} and renewal period {@code pKIOverlapPeriod};</li>
 *   <li>Subject Name tab: "Supply in the request" is {@code CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT} in
 *       {@code msPKI-Certificate-Name-Flag}; "Build from this Active Directory information" is the
 *       {@code SUBJECT_*} / {@code SUBJECT_ALT_*} bits;</li>
 *   <li>Request Handling tab: "Allow private key to be exported" is {@code CT_FLAG_EXPORTABLE_KEY} in
 *       {@code msPKI-Private-Key-Flag}; "CA certificate manager approval" is
 *       {@code CT_FLAG_PEND_ALL_REQUESTS} in {@code msPKI-Enrollment-Flag};</li>
 *   <li>Cryptography tab: {@code msPKI-Minimal-Key-Size}, the providers in {@code pKIDefaultCSPs}; for a
 *       schema 3 (CNG) template the algorithm name in the CNG key settings of
 *       {@code msPKI-RA-Application-Policies} ({@link #keyAlgorithm()});</li>
 *   <li>Extensions tab: {@code pKIExtendedKeyUsage} (and {@code msPKI-Certificate-Application-Policy}
 *       for schema 2+), {@code pKIKeyUsage};</li>
 *   <li>Superseded Templates tab: {@code msPKI-Supersede-Templates};</li>
 *   <li>Security tab: the object's {@code nTSecurityDescriptor}.</li>
 * </ul>
 *
 * <p>Its directory form is {@link TemplateAttributes}; the console's rules for changing it are
 * {@link DuplicateTemplate} and {@link TemplateProperties}. It stays one class over 400 lines because it is one
 * value: twenty-five settings, their accessors and the builder the style asks for.
 *
 * <pre>{@code
 * CertificateTemplate web = ...; // "Web Server", schema 1
 * web.enrolleeSuppliesSubject();   // true: "Supply in the request"
 * web.extendedKeyUsages();         // [1.3.6.1.5.5.7.3.1] Server Authentication
 * }</pre>
 */
public final class CertificateTemplate {

    /** How the Subject Name tab is set. */
    public enum SubjectNameMode { SUPPLY_IN_REQUEST, BUILD_FROM_ACTIVE_DIRECTORY }

    public static final String OID_SERVER_AUTHENTICATION = "1.3.6.1.5.5.7.3.1";
    public static final String OID_CLIENT_AUTHENTICATION = "1.3.6.1.5.5.7.3.2";
    public static final String OID_SECURE_EMAIL = "1.3.6.1.5.5.7.3.4";
    public static final String OID_ENCRYPTING_FILE_SYSTEM = "1.3.6.1.4.1.311.10.3.4";
    public static final String OID_SMART_CARD_LOGON = "1.3.6.1.4.1.311.20.2.2";
    public static final String OID_KDC_AUTHENTICATION = "1.3.6.1.5.2.3.5";
    /** Any Purpose ({@code anyExtendedKeyUsage}): the certificate serves every purpose, as one without any EKU does (ESC2). */
    public static final String OID_ANY_PURPOSE = "2.5.29.37.0";

    private final String name;
    private final String displayName;
    private final int schemaVersion;
    private final int revision;
    private final int minorRevision;
    private final String oid;
    private final int flags;
    private final int certificateNameFlags;
    private final int enrollmentFlags;
    private final int privateKeyFlags;
    private final int minimalKeySize;
    private final int raSignatures;
    private final List<String> extendedKeyUsages;
    private final List<String> applicationPolicies;
    private final byte[] keyUsage;
    private final Duration validity;
    private final Duration renewalPeriod;
    private final List<String> cryptographicProviders;
    private final int defaultKeySpec;
    private final int maxIssuingDepth;
    private final List<String> criticalExtensions;
    private final List<String> supersededTemplates;
    private final List<String> raApplicationPolicies;
    private final SecurityDescriptor securityDescriptor;
    private final List<String> issuancePolicies;

    private CertificateTemplate(Builder b) {
        if (b.name == null || b.name.isBlank()) {
            throw new IllegalArgumentException("a template needs a name");
        }
        if (b.schemaVersion < 1 || b.schemaVersion > 4) {
            throw new IllegalArgumentException("template schema version must be 1 to 4: " + b.schemaVersion);
        }
        if (b.minimalKeySize < 0 || b.minimalKeySize > 16384) {
            throw new IllegalArgumentException("minimum key size out of range 0..16384: " + b.minimalKeySize);
        }
        if (b.validity == null || b.validity.compareTo(Duration.ofHours(1)) < 0) {
            throw new IllegalArgumentException("validity < 1 hour: " + b.validity);
        }
        if (b.renewalPeriod == null || b.renewalPeriod.isNegative() || b.renewalPeriod.compareTo(b.validity) > 0) {
            throw new IllegalArgumentException("renewal period " + b.renewalPeriod + " must lie within the validity " + b.validity);
        }
        this.name = b.name;
        this.displayName = b.displayName == null ? b.name : b.displayName;
        this.schemaVersion = b.schemaVersion;
        this.revision = b.revision;
        this.minorRevision = b.minorRevision;
        this.oid = b.oid;
        this.flags = b.flags;
        this.certificateNameFlags = b.certificateNameFlags;
        this.enrollmentFlags = b.enrollmentFlags;
        this.privateKeyFlags = b.privateKeyFlags;
        this.minimalKeySize = b.minimalKeySize;
        this.raSignatures = b.raSignatures;
        this.extendedKeyUsages = List.copyOf(b.extendedKeyUsages);
        this.applicationPolicies = List.copyOf(b.applicationPolicies);
        this.keyUsage = b.keyUsage.clone();
        this.validity = b.validity;
        this.renewalPeriod = b.renewalPeriod;
        this.cryptographicProviders = List.copyOf(b.cryptographicProviders);
        this.defaultKeySpec = b.defaultKeySpec;
        this.maxIssuingDepth = b.maxIssuingDepth;
        this.criticalExtensions = List.copyOf(b.criticalExtensions);
        this.supersededTemplates = List.copyOf(b.supersededTemplates);
        this.raApplicationPolicies = List.copyOf(b.raApplicationPolicies);
        this.securityDescriptor = b.securityDescriptor;
        this.issuancePolicies = List.copyOf(b.issuancePolicies);
    }

    public static Builder builder(String name) {
        return new Builder().name(name);
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.name = name;
        b.displayName = displayName;
        b.schemaVersion = schemaVersion;
        b.revision = revision;
        b.minorRevision = minorRevision;
        b.oid = oid;
        b.flags = flags;
        b.certificateNameFlags = certificateNameFlags;
        b.enrollmentFlags = enrollmentFlags;
        b.privateKeyFlags = privateKeyFlags;
        b.minimalKeySize = minimalKeySize;
        b.raSignatures = raSignatures;
        b.extendedKeyUsages = extendedKeyUsages;
        b.applicationPolicies = applicationPolicies;
        b.keyUsage = keyUsage;
        b.validity = validity;
        b.renewalPeriod = renewalPeriod;
        b.cryptographicProviders = cryptographicProviders;
        b.defaultKeySpec = defaultKeySpec;
        b.maxIssuingDepth = maxIssuingDepth;
        b.criticalExtensions = criticalExtensions;
        b.supersededTemplates = supersededTemplates;
        b.raApplicationPolicies = raApplicationPolicies;
        b.securityDescriptor = securityDescriptor;
        b.issuancePolicies = issuancePolicies;
        return b;
    }

    /** The template name ({@code cn}), what EST labels and {@code certutil -template} use. */
    public String name() {
        return name;
    }

    /** The template display name, what the consoles and the snap-in's "Certificate Template" column show. */
    public String displayName() {
        return displayName;
    }

    public int schemaVersion() {
        return schemaVersion;
    }

    public int revision() {
        return revision;
    }

    public int minorRevision() {
        return minorRevision;
    }

    public String oid() {
        return oid;
    }

    public int flags() {
        return flags;
    }

    public int certificateNameFlags() {
        return certificateNameFlags;
    }

    public int enrollmentFlags() {
        return enrollmentFlags;
    }

    public int privateKeyFlags() {
        return privateKeyFlags;
    }

    public int minimalKeySize() {
        return minimalKeySize;
    }

    public int raSignatures() {
        return raSignatures;
    }

    public List<String> extendedKeyUsages() {
        return extendedKeyUsages;
    }

    public List<String> applicationPolicies() {
        return applicationPolicies;
    }

    public byte[] keyUsage() {
        return keyUsage.clone();
    }

    public Duration validity() {
        return validity;
    }

    public Duration renewalPeriod() {
        return renewalPeriod;
    }

    /**
     * Autoenrollment's rule for renewing a certificate valid from {@code notBefore} to {@code notAfter}: at 80% of
     * its lifetime, or once inside the template's renewal period, whichever comes first.
     */
    public static boolean renewalDue(Instant notBefore, Instant notAfter, Duration renewalPeriod, Instant now) {
        Instant eightyPercent = notBefore.plus(Duration.between(notBefore, notAfter).multipliedBy(8).dividedBy(10));
        return !now.isBefore(eightyPercent) || !now.isBefore(notAfter.minus(renewalPeriod));
    }

    public List<String> cryptographicProviders() {
        return cryptographicProviders;
    }

    public int defaultKeySpec() {
        return defaultKeySpec;
    }

    public int maxIssuingDepth() {
        return maxIssuingDepth;
    }

    public List<String> criticalExtensions() {
        return criticalExtensions;
    }

    public List<String> supersededTemplates() {
        return supersededTemplates;
    }

    public List<String> raApplicationPolicies() {
        return raApplicationPolicies;
    }

    /** The Security tab; null when the template was read without its descriptor. */
    public SecurityDescriptor securityDescriptor() {
        return securityDescriptor;
    }

    /**
     * The Extensions tab's Issuance Policies ({@code msPKI-Certificate-Policy}): OIDs the CA writes into the
     * certificate's certificatePolicies extension, each registered by an {@code msPKI-Enterprise-Oid} object under
     * {@code CN=OID}, which may link it to a group ({@code msDS-OIDToGroupLink}).
     */
    public List<String> issuancePolicies() {
        return issuancePolicies;
    }

    public boolean enrolleeSuppliesSubject() {
        return TemplateFlags.CertificateName.ENROLLEE_SUPPLIES_SUBJECT.isSetIn(certificateNameFlags);
    }

    public SubjectNameMode subjectNameMode() {
        return enrolleeSuppliesSubject() ? SubjectNameMode.SUPPLY_IN_REQUEST : SubjectNameMode.BUILD_FROM_ACTIVE_DIRECTORY;
    }

    /** "Allow private key to be exported". */
    public boolean exportableKey() {
        return TemplateFlags.PrivateKey.EXPORTABLE_KEY.isSetIn(privateKeyFlags);
    }

    /** "CA certificate manager approval". */
    public boolean requiresApproval() {
        return TemplateFlags.Enrollment.PEND_ALL_REQUESTS.isSetIn(enrollmentFlags);
    }

    /** A computer template (the CA builds names from the computer account), not a user template. */
    public boolean machineTemplate() {
        return TemplateFlags.General.MACHINE_TYPE.isSetIn(flags);
    }

    /** Schema 3+ templates keep their keys in a CNG key storage provider, not a legacy CSP. */
    public boolean usesCng() {
        return schemaVersion == 3 || (schemaVersion >= 4 && !TemplateFlags.PrivateKey.USE_LEGACY_PROVIDER.isSetIn(privateKeyFlags));
    }

    /**
     * The Cryptography tab's "Algorithm name": what kind of key the client makes. A schema 3+ (CNG)
     * template names it in {@code msPKI-RA-Application-Policies}
     * ({@code msPKI-Asymmetric-Algorithm`PZPWSTR`ECDSA_P256`...}); a schema 1 or 2 template, whose keys
     * live in a legacy CSP, always means RSA, and so does a CNG template that names none.
     *
     * @throws IllegalStateException when the template names an algorithm the lab does not know (ECDH_P256 ...)
     */
    public KeyAlgorithm keyAlgorithm() {
        String named = cngKeySetting(CngKeySettings.ASYMMETRIC_ALGORITHM);
        if (named == null) {
            return KeyAlgorithm.RSA;
        }
        return KeyAlgorithm.fromWindowsName(named).orElseThrow(() -> new IllegalStateException("template '" + displayName
                + "' asks for " + named + " keys; the lab makes and accepts RSA, ECDSA_P256, ECDSA_P384 and ECDSA_P521"));
    }

    /**
     * One of the CNG key settings a schema 3+ template keeps in {@code msPKI-RA-Application-Policies} as
     * {@code name`type`value`} triples ({@code msPKI-Hash-Algorithm} gives {@code SHA256}); null when the
     * template is schema 1 or 2 (where that attribute holds the application policy OID authorized signatures carry)
     * or does not set it.
     */
    public String cngKeySetting(String name) {
        return CngKeySettings.find(schemaVersion, raApplicationPolicies, name);
    }

    @Override
    public String toString() {
        return "CertificateTemplate[" + name + " '" + displayName + "' schema " + schemaVersion + " v" + revision + "."
                + minorRevision + " nameFlag=0x" + Integer.toHexString(certificateNameFlags) + " EKU=" + extendedKeyUsages
                + " keyUsage=" + HexFormat.of().formatHex(keyUsage) + "]";
    }

    /** Builds a template; every setter's default is the value a blank schema 1 template would have. */
    public static final class Builder {
        private String name;
        private String displayName;
        private int schemaVersion = 1;
        private int revision = 100;
        private int minorRevision;
        private String oid;
        private int flags;
        private int certificateNameFlags;
        private int enrollmentFlags;
        private int privateKeyFlags;
        private int minimalKeySize = 2048;
        private int raSignatures;
        private List<String> extendedKeyUsages = List.of();
        private List<String> applicationPolicies = List.of();
        private byte[] keyUsage = {(byte) 0xA0, 0};
        private Duration validity = Duration.ofDays(365);
        private Duration renewalPeriod = Duration.ofDays(42);
        private List<String> cryptographicProviders = List.of();
        private int defaultKeySpec = 1;
        private int maxIssuingDepth;
        private List<String> criticalExtensions = List.of("2.5.29.15");
        private List<String> supersededTemplates = List.of();
        private List<String> raApplicationPolicies = List.of();
        private SecurityDescriptor securityDescriptor;
        private List<String> issuancePolicies = List.of();

        /** The template name ({@code cn}). Required. */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /** If unset, the template name. */
        public Builder displayName(String displayName) {
            this.displayName = displayName;
            return this;
        }

        /** If unset, 1 (a "Windows 2000" template). */
        public Builder schemaVersion(int schemaVersion) {
            this.schemaVersion = schemaVersion;
            return this;
        }

        /** If unset, 100 (what a duplicated template starts at). */
        public Builder revision(int revision) {
            this.revision = revision;
            return this;
        }

        /** If unset, 0. */
        public Builder minorRevision(int minorRevision) {
            this.minorRevision = minorRevision;
            return this;
        }

        /** If unset, none: the directory assigns one when the template is created. */
        public Builder oid(String oid) {
            this.oid = oid;
            return this;
        }

        /** If unset, 0. */
        public Builder flags(int flags) {
            this.flags = flags;
            return this;
        }

        /** If unset, 0: the subject is built from the directory with no SAN bits. */
        public Builder certificateNameFlags(int certificateNameFlags) {
            this.certificateNameFlags = certificateNameFlags;
            return this;
        }

        /** If unset, 0. */
        public Builder enrollmentFlags(int enrollmentFlags) {
            this.enrollmentFlags = enrollmentFlags;
            return this;
        }

        /** If unset, 0: the key is not exportable. */
        public Builder privateKeyFlags(int privateKeyFlags) {
            this.privateKeyFlags = privateKeyFlags;
            return this;
        }

        /** If unset, 2048. */
        public Builder minimalKeySize(int minimalKeySize) {
            this.minimalKeySize = minimalKeySize;
            return this;
        }

        /** If unset, 0: no enrollment-agent signatures are needed. */
        public Builder raSignatures(int raSignatures) {
            this.raSignatures = raSignatures;
            return this;
        }

        /** If unset, none. */
        public Builder extendedKeyUsages(List<String> oids) {
            this.extendedKeyUsages = List.copyOf(oids);
            return this;
        }

        /** If unset, none (schema 1 templates have none; schema 2+ copy the EKUs here). */
        public Builder applicationPolicies(List<String> oids) {
            this.applicationPolicies = List.copyOf(oids);
            return this;
        }

        /** If unset, {@code A0 00}: digital signature and key encipherment. */
        public Builder keyUsage(byte[] keyUsage) {
            this.keyUsage = keyUsage.clone();
            return this;
        }

        /** If unset, 1 year. */
        public Builder validity(Duration validity) {
            this.validity = validity;
            return this;
        }

        /** If unset, 6 weeks. */
        public Builder renewalPeriod(Duration renewalPeriod) {
            this.renewalPeriod = renewalPeriod;
            return this;
        }

        /** If unset, none (CNG templates list no legacy providers). */
        public Builder cryptographicProviders(List<String> providers) {
            this.cryptographicProviders = List.copyOf(providers);
            return this;
        }

        /** If unset, 1 (AT_KEYEXCHANGE). */
        public Builder defaultKeySpec(int defaultKeySpec) {
            this.defaultKeySpec = defaultKeySpec;
            return this;
        }

        /** If unset, 0. */
        public Builder maxIssuingDepth(int maxIssuingDepth) {
            this.maxIssuingDepth = maxIssuingDepth;
            return this;
        }

        /** If unset, key usage (2.5.29.15) is critical. */
        public Builder criticalExtensions(List<String> oids) {
            this.criticalExtensions = List.copyOf(oids);
            return this;
        }

        /** If unset, none. Template names ({@code cn}) this template supersedes. */
        public Builder supersededTemplates(List<String> names) {
            this.supersededTemplates = List.copyOf(names);
            return this;
        }

        /** If unset, none. */
        public Builder raApplicationPolicies(List<String> values) {
            this.raApplicationPolicies = List.copyOf(values);
            return this;
        }

        /** If unset, none: the template is read or written without its Security tab. */
        public Builder securityDescriptor(SecurityDescriptor securityDescriptor) {
            this.securityDescriptor = securityDescriptor;
            return this;
        }

        /** If unset, none. */
        public Builder issuancePolicies(List<String> oids) {
            this.issuancePolicies = List.copyOf(oids);
            return this;
        }

        public CertificateTemplate build() {
            return new CertificateTemplate(this);
        }
    }

    /**
     * The Cryptography tab's one rule for "Minimum key size": an RSA minimum is a multiple of 8 from 512 to
     * 16,384 bits (what Windows' providers make); an ECDSA key's size is its curve's ({@code ECDSA_P256}: 256).
     */
    public static boolean minimalKeySizeFits(KeyAlgorithm algorithm, int bits) {
        return algorithm.elliptic() ? bits == algorithm.bits() : bits >= 512 && bits <= 16384 && bits % 8 == 0;
    }
}
