package org.pkilab.enrollment;

import java.time.Duration;

/**
 * The CA took the request under submission ({@code 202} and {@code Retry-After}): a certificate manager must
 * approve it first. Sending the same request again gets the certificate once approved.
 */
public final class PendingException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private final long requestId;
    private final transient Duration retryAfter;

    public PendingException(long requestId, String message) {
        this(requestId, null, message);
    }

    public PendingException(long requestId, Duration retryAfter, String message) {
        super(message.trim());
        this.requestId = requestId;
        this.retryAfter = retryAfter;
    }

    public long requestId() {
        return requestId;
    }

    /** How long the CA asked the client to wait before asking again; null when it did not say. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
