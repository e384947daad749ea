package org.pkilab.ca;

import org.pkilab.directory.model.LogonToken;

import java.security.cert.X509Certificate;

/**
 * One request to the CA: who asks (their logon token), for which template (the EST label: a template
 * name or display name), the PKCS #10 request, and whether it is autoenrollment or a renewal.
 *
 * @param requester      the caller's logon token; the CA trusts group membership only from here
 * @param templateLabel  {@code ConfigMgrWebServerCertificate} or {@code ConfigMgr Web Server Certificate}
 * @param csr            the PKCS #10 request, DER
 * @param autoenrollment true when the autoenrollment engine asks (Autoenroll is then required too)
 * @param renewalOf      the certificate being renewed ({@code /simplereenroll}), or null
 */
public record EnrollmentRequest(LogonToken requester, String templateLabel, byte[] csr, boolean autoenrollment,
                                X509Certificate renewalOf) {

    public EnrollmentRequest {
        if (requester == null) {
            throw new IllegalArgumentException("a request needs an authenticated requester");
        }
        csr = csr == null ? new byte[0] : csr.clone();
    }

    public static EnrollmentRequest manual(LogonToken requester, String templateLabel, byte[] csr) {
        return new EnrollmentRequest(requester, templateLabel, csr, false, null);
    }

    @Override
    public byte[] csr() {
        return csr.clone();
    }
}
