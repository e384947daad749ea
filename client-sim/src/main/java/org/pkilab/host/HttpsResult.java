package org.pkilab.host;

/**
 * What an HTTPS request from a lab computer came to: the status and body, or why TLS refused the server
 * (with Windows' chain error) or the connection failed.
 */
public record HttpsResult(int status, String body, TrustFailure trustFailure, String failure) {

    public boolean connected() {
        return failure == null;
    }
}
