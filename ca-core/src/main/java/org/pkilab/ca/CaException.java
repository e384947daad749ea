package org.pkilab.ca;

/** A refusal by the CA outside the policy module (administration, authentication), with its AD CS error. */
public final class CaException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private final AdcsError error;

    public CaException(AdcsError error, String message) {
        super(error.adName() + " (" + error.code() + "): " + message);
        this.error = error;
    }

    public AdcsError error() {
        return error;
    }
}
