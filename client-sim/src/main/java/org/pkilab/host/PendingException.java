package org.pkilab.host;

/** The CA took the request under submission: a certificate manager must approve it first. */
public final class PendingException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private final long requestId;

    public PendingException(long requestId, String message) {
        super(message.trim());
        this.requestId = requestId;
    }

    public long requestId() {
        return requestId;
    }
}
