package org.pkilab.host;

import java.security.cert.CertificateException;
import java.util.Locale;

/**
 * Why a certificate was not trusted, with the code Windows' chain engine reports for it
 * ({@code CERT_E_*}, {@code CRYPT_E_*}), so a student sees the error they would see on Windows.
 */
public final class TrustFailure extends CertificateException {

    private static final long serialVersionUID = 1L;

    /** Windows' chain and revocation errors, with their HRESULTs. */
    public enum Reason {
        UNTRUSTED_ROOT(0x800B0109, "CERT_E_UNTRUSTEDROOT",
                "A certificate chain processed, but terminated in a root certificate which is not trusted by the trust provider."),
        EXPIRED(0x800B0101, "CERT_E_EXPIRED",
                "A required certificate is not within its validity period when verifying against the current system clock."),
        WRONG_USAGE(0x800B0110, "CERT_E_WRONG_USAGE", "The certificate is not valid for the requested usage."),
        NAME_MISMATCH(0x800B010F, "CERT_E_CN_NO_MATCH", "The certificate's CN name does not match the passed value."),
        REVOKED(0x80092010, "CRYPT_E_REVOKED", "The certificate is revoked."),
        REVOCATION_OFFLINE(0x80092013, "CRYPT_E_REVOCATION_OFFLINE",
                "The revocation function was unable to check revocation because the revocation server was offline."),
        NO_CERTIFICATE(0x80092004, "CRYPT_E_NOT_FOUND", "Cannot find object or property: no client certificate was presented.");

        private final int hresult;
        private final String adName;
        private final String windowsMessage;

        Reason(int hresult, String adName, String windowsMessage) {
            this.hresult = hresult;
            this.adName = adName;
            this.windowsMessage = windowsMessage;
        }

        public String code() {
            return String.format(Locale.ROOT, "0x%08X", hresult);
        }

        public String adName() {
            return adName;
        }

        public String windowsMessage() {
            return windowsMessage;
        }
    }

    private final Reason reason;

    public TrustFailure(Reason reason, String detail) {
        super(reason.adName() + " (" + reason.code() + ") " + reason.windowsMessage() + " " + detail);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
