package org.pkilab.directory.client;

/**
 * A refusal or failure from the domain controller, with the LDAP result code it answered
 * (50 insufficientAccessRights, 32 noSuchObject, 68 entryAlreadyExists, 49 invalidCredentials ...)
 * or 0 when the lab refused before sending anything.
 */
public final class DirectoryException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private final int resultCode;

    public DirectoryException(int resultCode, String message, Throwable cause) {
        super(message, cause);
        this.resultCode = resultCode;
    }

    public DirectoryException(String message) {
        this(0, message, null);
    }

    /** The LDAP result code, or 0 when the request was refused before it reached the DC. */
    public int resultCode() {
        return resultCode;
    }
}
