package org.pkilab.ca;

import org.pkilab.directory.model.LogonToken;

import java.security.cert.X509Certificate;

/**
 * One request to the CA: who asks (their logon token), for which template (the EST label: a template
 * name or display name), the request, and whether it is autoenrollment or a renewal.
 *
 * @param requester      the caller's logon token; the CA trusts group membership only from here
 * @param templateLabel  {@code ConfigMgrWebServerCertificate} or {@code ConfigMgr Web Server Certificate}
 * @param csr            the request, DER: a PKCS #10 (or an enrollment agent's CMS around one), or for CMP a CRMF CertReqMsg
 * @param autoenrollment true when the autoenrollment engine asks (Autoenroll is then required too)
 * @param renewalOf      the certificate being renewed ({@code /simplereenroll}, CMP's {@code kur}), or null
 * @param form           {@code PKCS10} unless the adapter (CMP's) takes CRMF: no other protocol's request is read as CRMF
 * @param arrival        {@code NDES} when a service submits under its own account for a device that holds the key
 */
public record EnrollmentRequest(LogonToken requester, String templateLabel, byte[] csr, boolean autoenrollment,
                                X509Certificate renewalOf, Form form, RequestRecord.Arrival arrival) {

    /** The request's format: PKCS #10 (EST, SCEP, certreq, ACME's finalize) or CRMF (CMP's ir, cr, kur). */
    public enum Form { PKCS10, CRMF }

    public EnrollmentRequest {
        if (requester == null) {
            throw new IllegalArgumentException("a request needs an authenticated requester");
        }
        csr = csr == null ? new byte[0] : csr.clone();
        form = form == null ? Form.PKCS10 : form;
        arrival = arrival == null ? RequestRecord.Arrival.DIRECT : arrival;
    }

    /** A PKCS #10 request its requester sends itself. */
    public EnrollmentRequest(LogonToken requester, String templateLabel, byte[] csr, boolean autoenrollment, X509Certificate renewalOf) {
        this(requester, templateLabel, csr, autoenrollment, renewalOf, Form.PKCS10, RequestRecord.Arrival.DIRECT);
    }

    public static EnrollmentRequest manual(LogonToken requester, String templateLabel, byte[] csr) {
        return new EnrollmentRequest(requester, templateLabel, csr, false, null);
    }

    @Override
    public byte[] csr() {
        return csr.clone();
    }
}
