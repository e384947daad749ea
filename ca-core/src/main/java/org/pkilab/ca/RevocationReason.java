package org.pkilab.ca;

import org.apache.commons.text.similarity.LevenshteinDistance;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The RFC 5280 reason codes, as the CA console's "Revoke Certificate" dialog offers them and
 * {@code certutil -revoke SERIAL REASON} takes them. One reason has one name everywhere the lab shows it,
 * RFC 5280's ({@code keyCompromise}); what an administrator types may be any of the spellings Windows
 * uses for it, in any case:
 *
 * <pre>
 * keyCompromise   KEY_COMPROMISE   key compromise   1   CRL_REASON_KEY_COMPROMISE   (certutil -revoke 4a1f 1)
 * </pre>
 */
public enum RevocationReason {
    UNSPECIFIED(0, "unspecified"), KEY_COMPROMISE(1, "keyCompromise"), CA_COMPROMISE(2, "cACompromise"),
    AFFILIATION_CHANGED(3, "affiliationChanged"), SUPERSEDED(4, "superseded"), CESSATION_OF_OPERATION(5, "cessationOfOperation"),
    CERTIFICATE_HOLD(6, "certificateHold"), PRIVILEGE_WITHDRAWN(9, "privilegeWithdrawn"), AA_COMPROMISE(10, "aACompromise");

    private final int code;
    private final String rfcName;

    RevocationReason(int code, String rfcName) {
        this.code = code;
        this.rfcName = rfcName;
    }

    public int code() {
        return code;
    }

    /** RFC 5280's name ({@code keyCompromise}), the one the lab prints and its help lists. */
    public String rfcName() {
        return rfcName;
    }

    /** certutil's symbolic name, {@code CRL_REASON_KEY_COMPROMISE}. */
    public String certutilName() {
        return "CRL_REASON_" + name();
    }

    public static RevocationReason ofCode(int code) {
        for (RevocationReason reason : values()) {
            if (reason.code == code) {
                return reason;
            }
        }
        throw new IllegalArgumentException("no RFC 5280 revocation reason " + code + "; use one of " + choices());
    }

    /**
     * Reads a reason as certutil and the console name it: {@code keyCompromise}, {@code KEY_COMPROMISE}, {@code key
     * compromise}, {@code CRL_REASON_KEY_COMPROMISE} or the number, in any case. An unknown one is refused with the
     * reasons there are, and the nearest one when it looks like a misspelling.
     */
    public static RevocationReason parse(String text) {
        String key = normalize(text);
        if (key.matches("\\d{1,3}")) {
            return ofCode(Integer.parseInt(key));
        }
        RevocationReason nearest = null;
        int distance = Integer.MAX_VALUE;
        for (RevocationReason reason : values()) {
            String candidate = normalize(reason.name());
            if (candidate.equals(key)) {
                return reason;
            }
            int d = LevenshteinDistance.getDefaultInstance().apply(candidate, key);
            if (d < distance) {
                distance = d;
                nearest = reason;
            }
        }
        throw new IllegalArgumentException("unknown revocation reason '" + text + "'"
                + (nearest != null && distance <= Math.max(2, key.length() / 4) ? "; did you mean " + nearest.rfcName + "?" : "")
                + " Use one of " + choices() + " (certutil's number or CRL_REASON_ name, any case, is taken too)");
    }

    /** {@code unspecified (0), keyCompromise (1), ...}. */
    public static String choices() {
        return Arrays.stream(values()).map(r -> r.rfcName + " (" + r.code + ")").collect(Collectors.joining(", "));
    }

    private static String normalize(String text) {
        String key = text == null ? "" : text.trim().toUpperCase(Locale.ROOT).replaceAll("[\\s_-]", "");
        return key.startsWith("CRLREASON") ? key.substring("CRLREASON".length()) : key;
    }
}
