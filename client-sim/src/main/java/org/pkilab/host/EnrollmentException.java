package org.pkilab.host;

/**
 * An enrollment the CA refused (with its AD CS code, such as {@code 0x80094012 CERTSRV_E_TEMPLATE_DENIED}
 * and its explanation) or that the client refused to send.
 */
public final class EnrollmentException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private final int httpStatus;
    private final String adcsError;

    public EnrollmentException(int httpStatus, String adcsError, String message) {
        super((adcsError == null ? "" : adcsError + ": ") + message.trim());
        this.httpStatus = httpStatus;
        this.adcsError = adcsError;
    }

    /** The EST answer's status, or 0 when the request never left the computer. */
    public int httpStatus() {
        return httpStatus;
    }

    /** {@code 0x80094012 CERTSRV_E_TEMPLATE_DENIED}, or null. */
    public String adcsError() {
        return adcsError;
    }
}
