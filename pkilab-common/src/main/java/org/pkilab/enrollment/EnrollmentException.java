package org.pkilab.enrollment;

import org.pkilab.windows.WindowsError;

/**
 * An enrollment the CA refused (with its Windows error, such as {@code 0x80094012 CERTSRV_E_TEMPLATE_DENIED},
 * and its explanation) or that the client refused to send.
 */
public final class EnrollmentException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private final int httpStatus;
    private final WindowsError error;

    public EnrollmentException(int httpStatus, WindowsError error, String message) {
        super((error == null ? "" : error + ": ") + message.trim());
        this.httpStatus = httpStatus;
        this.error = error;
    }

    /**
     * The CA's refusal as its answer carries it: the {@code X-ADCS-Error} header names the error. A header
     * naming a code the lab does not know stays in the message, so nothing the CA said is lost.
     */
    public static EnrollmentException fromAnswer(int httpStatus, String errorHeader, String body) {
        WindowsError error = WindowsError.find(errorHeader).orElse(null);
        return new EnrollmentException(httpStatus, error, error == null && errorHeader != null ? errorHeader + ": " + body : body);
    }

    /** The EST answer's status, or 0 when the request never left the computer. */
    public int httpStatus() {
        return httpStatus;
    }

    /** {@code 0x80094012 CERTSRV_E_TEMPLATE_DENIED}, or null. */
    public WindowsError error() {
        return error;
    }
}
