package org.pkilab.iis;

/** IIS's "SSL Settings" for client certificates. */
public enum ClientCertificates {
    /** "Ignore": no client certificate is asked for. */
    IGNORE,
    /** "Accept": a client certificate is asked for but not required. */
    ACCEPT,
    /** "Require" (with "Require SSL"): no certificate, no connection. */
    REQUIRE
}
