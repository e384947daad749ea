package org.pkilab.ca;

/**
 * Where a request stands, as the Certification Authority console's folders show it: Issued
 * Certificates, Pending Requests, Failed Requests (denied or failed), Revoked Certificates.
 * The numbers are AD CS's request dispositions ({@code CR_DISP_*}).
 */
public enum RequestStatus {
    FAILED(1, "Error"),
    DENIED(2, "Denied"),
    ISSUED(3, "Issued"),
    PENDING(5, "Taken Under Submission"),
    REVOKED(6, "Revoked");

    private final int disposition;
    private final String consoleText;

    RequestStatus(int disposition, String consoleText) {
        this.disposition = disposition;
        this.consoleText = consoleText;
    }

    /** {@code CR_DISP_ISSUED} = 3 and so on. */
    public int disposition() {
        return disposition;
    }

    public String consoleText() {
        return consoleText;
    }
}
