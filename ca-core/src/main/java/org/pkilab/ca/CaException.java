package org.pkilab.ca;

import org.pkilab.windows.WindowsError;

/**
 * A refusal by the CA outside the policy module's recorded decisions (administration, authentication,
 * input that is not a request at all), with its AD CS error, the reason and, where there is one, what to
 * change.
 */
public final class CaException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private final WindowsError error;
    private final String reason;
    private final String fix;

    public CaException(WindowsError error, String message) {
        this(error, message, "");
    }

    /** A refusal the policy module decided but the CA does not record: {@code decision} is a denial. */
    CaException(Decision decision) {
        this(decision.error(), decision.reason(), decision.fix());
    }

    private CaException(WindowsError error, String reason, String fix) {
        super(error.symbolicName() + " (" + error.code() + "): " + reason);
        this.error = error;
        this.reason = reason;
        this.fix = fix == null ? "" : fix;
    }

    public WindowsError error() {
        return error;
    }

    /** Why, without the code: "the request from CONTOSO\IIS01$ is not a PKCS #10 certificate request ...". */
    public String reason() {
        return reason;
    }

    /** What to change; empty when there is nothing to say beyond the reason. */
    public String fix() {
        return fix;
    }
}
