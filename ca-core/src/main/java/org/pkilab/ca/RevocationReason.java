package org.pkilab.ca;

import java.util.Locale;

/** The RFC 5280 reason codes, as the CA console's "Revoke Certificate" dialog offers them. */
public enum RevocationReason {
    UNSPECIFIED(0), KEY_COMPROMISE(1), CA_COMPROMISE(2), AFFILIATION_CHANGED(3), SUPERSEDED(4),
    CESSATION_OF_OPERATION(5), CERTIFICATE_HOLD(6), PRIVILEGE_WITHDRAWN(9), AA_COMPROMISE(10);

    private final int code;

    RevocationReason(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static RevocationReason ofCode(int code) {
        for (RevocationReason reason : values()) {
            if (reason.code == code) {
                return reason;
            }
        }
        throw new IllegalArgumentException("no RFC 5280 revocation reason " + code);
    }

    /** Accepts {@code keyCompromise}, {@code KEY_COMPROMISE}, {@code key compromise} or the number. */
    public static RevocationReason parse(String text) {
        String key = text == null ? "" : text.trim().replaceAll("([a-z])([A-Z])", "$1_$2").replace(' ', '_').toUpperCase(Locale.ROOT);
        if (key.matches("\\d+")) {
            return ofCode(Integer.parseInt(key));
        }
        for (RevocationReason reason : values()) {
            if (reason.name().equals(key)) {
                return reason;
            }
        }
        throw new IllegalArgumentException("unknown revocation reason '" + text + "'; use one of "
                + java.util.Arrays.toString(values()).toLowerCase(Locale.ROOT));
    }
}
