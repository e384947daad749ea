package org.pkilab.directory.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The bit flags of a certificate template, with [MS-CRTD]'s names and values. The directory keeps each
 * set as a signed 32-bit integer, so {@code 0x82000000} reads back as {@code -2113929216}.
 *
 * <pre>{@code
 * TemplateFlags.describe(CertificateName.values(), 0x82000000)
 *     // ["CT_FLAG_SUBJECT_ALT_REQUIRE_UPN", "CT_FLAG_SUBJECT_REQUIRE_DIRECTORY_PATH"]
 * }</pre>
 */
public final class TemplateFlags {

    /** A flag bit with the name AD CS gives it. */
    public interface Flag {
        int value();

        String name();

        default boolean isSetIn(int flags) {
            return (flags & value()) == value();
        }

        default String adName() {
            return "CT_FLAG_" + name();
        }
    }

    /** The {@code flags} attribute ([MS-CRTD] 2.4). */
    public enum General implements Flag {
        ENROLLEE_SUPPLIES_SUBJECT_V1(0x1), ADD_EMAIL(0x2), PUBLISH_TO_DS(0x8), EXPORTABLE_KEY(0x10),
        AUTO_ENROLLMENT(0x20), MACHINE_TYPE(0x40), IS_CA(0x80), ADD_TEMPLATE_NAME(0x200), IS_CROSS_CA(0x800),
        DONOTPERSISTINDB(0x1000), IS_DEFAULT(0x10000), IS_MODIFIED(0x20000);

        private final int value;

        General(int value) {
            this.value = value;
        }

        @Override
        public int value() {
            return value;
        }
    }

    /** {@code msPKI-Enrollment-Flag} ([MS-CRTD] 2.26). */
    public enum Enrollment implements Flag {
        INCLUDE_SYMMETRIC_ALGORITHMS(0x1), PEND_ALL_REQUESTS(0x2), PUBLISH_TO_KRA_CONTAINER(0x4), PUBLISH_TO_DS(0x8),
        AUTO_ENROLLMENT_CHECK_USER_DS_CERTIFICATE(0x10), AUTO_ENROLLMENT(0x20),
        PREVIOUS_APPROVAL_VALIDATE_REENROLLMENT(0x40), USER_INTERACTION_REQUIRED(0x100),
        REMOVE_INVALID_CERTIFICATE_FROM_PERSONAL_STORE(0x400), ALLOW_ENROLL_ON_BEHALF_OF(0x800),
        ADD_OCSP_NOCHECK(0x1000), NOREVOCATIONINFOINISSUEDCERTS(0x4000), INCLUDE_BASIC_CONSTRAINTS_FOR_EE_CERTS(0x8000),
        SKIP_AUTO_RENEWAL(0x40000), NO_SECURITY_EXTENSION(0x80000);

        private final int value;

        Enrollment(int value) {
            this.value = value;
        }

        @Override
        public int value() {
            return value;
        }
    }

    /**
     * {@code msPKI-Private-Key-Flag} ([MS-CRTD] 2.27). Bits 16-19 hold the minimum CA version and bits
     * 24-27 the minimum client version a schema 2+ template was written for.
     */
    public enum PrivateKey implements Flag {
        REQUIRE_PRIVATE_KEY_ARCHIVAL(0x1), EXPORTABLE_KEY(0x10), STRONG_KEY_PROTECTION_REQUIRED(0x20),
        REQUIRE_ALTERNATE_SIGNATURE_ALGORITHM(0x40), REQUIRE_SAME_KEY_RENEWAL(0x80), USE_LEGACY_PROVIDER(0x100);

        /** Minimum CA / client version bits: "Windows Server 2003" CA and "Windows XP" client. */
        public static final int COMPATIBILITY_2003 = 0x01010000;
        /** Minimum CA / client version bits: "Windows Server 2008" CA and "Windows Vista" client. */
        public static final int COMPATIBILITY_2008 = 0x02020000;
        public static final int COMPATIBILITY_MASK = 0x0F0F0000;

        private final int value;

        PrivateKey(int value) {
            this.value = value;
        }

        @Override
        public int value() {
            return value;
        }
    }

    /** {@code msPKI-Certificate-Name-Flag} ([MS-CRTD] 2.28): where the subject and SAN come from. */
    public enum CertificateName implements Flag {
        ENROLLEE_SUPPLIES_SUBJECT(0x1), OLD_CERT_SUPPLIES_SUBJECT_AND_ALT_NAME(0x8),
        ENROLLEE_SUPPLIES_SUBJECT_ALT_NAME(0x10000), SUBJECT_ALT_REQUIRE_DOMAIN_DNS(0x400000),
        SUBJECT_ALT_REQUIRE_SPN(0x800000), SUBJECT_ALT_REQUIRE_DIRECTORY_GUID(0x1000000),
        SUBJECT_ALT_REQUIRE_UPN(0x2000000), SUBJECT_ALT_REQUIRE_EMAIL(0x4000000), SUBJECT_ALT_REQUIRE_DNS(0x8000000),
        SUBJECT_REQUIRE_DNS_AS_CN(0x10000000), SUBJECT_REQUIRE_EMAIL(0x20000000),
        SUBJECT_REQUIRE_COMMON_NAME(0x40000000), SUBJECT_REQUIRE_DIRECTORY_PATH(0x80000000);

        /** Every bit that asks the CA to build the subject or SAN from the directory. */
        public static final int BUILD_FROM_DIRECTORY_MASK = 0xFFC00000;

        private final int value;

        CertificateName(int value) {
            this.value = value;
        }

        @Override
        public int value() {
            return value;
        }
    }

    private TemplateFlags() {
    }

    /** The AD CS names of the bits set in {@code flags}, lowest bit first. */
    public static List<String> describe(Flag[] all, int flags) {
        List<String> names = new ArrayList<>();
        for (Flag flag : all) {
            if (flag.isSetIn(flags)) {
                names.add(flag.adName());
            }
        }
        return names;
    }

    /** Finds a flag by its name, with or without the {@code CT_FLAG_} prefix, in any case. */
    public static <F extends Enum<F> & Flag> F parse(Class<F> type, String text) {
        String key = text.trim().toUpperCase(Locale.ROOT).replaceFirst("^CT_FLAG_", "");
        for (F flag : type.getEnumConstants()) {
            if (flag.name().equals(key)) {
                return flag;
            }
        }
        throw new IllegalArgumentException("unknown " + type.getSimpleName() + " flag: " + text);
    }
}
