package org.pkilab.host;

import org.pkilab.windows.WindowsError;

import java.security.cert.CertificateException;

/**
 * Why a certificate was not trusted, with the code Windows' chain engine reports for it
 * ({@code CERT_E_*}, {@code CRYPT_E_*}), so a student sees the error they would see on Windows.
 */
public final class TrustFailure extends CertificateException {

    private static final long serialVersionUID = 1L;

    private final WindowsError reason;

    public TrustFailure(WindowsError reason, String detail) {
        super(reason.symbolicName() + " (" + reason.code() + ") " + reason.windowsMessage() + " " + detail);
        this.reason = reason;
    }

    public WindowsError reason() {
        return reason;
    }
}
