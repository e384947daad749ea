package org.pkilab.ca;

import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.function.Supplier;

/**
 * The CA's {@code CertEnroll} folder over plain HTTP, as IIS serves {@code C:\Windows\System32\CertSrv\CertEnroll}
 * on a Windows CA: the files the CDP and AIA URLs in every certificate name.
 *
 * <pre>
 * GET /CertEnroll/Contoso-CA.crl                        the base CRL (CDP)
 * GET /CertEnroll/Contoso-CA+.crl                       the delta CRL (Freshest CRL)
 * GET /CertEnroll/ca01.contoso.com_Contoso-CA.crt       the CA certificate (AIA caIssuers)
 * </pre>
 */
final class CrlFilesAdapter {

    /** The current base or delta CRL, DER, made anew first when it is due. */
    @FunctionalInterface
    interface CurrentCrl {
        byte[] der(boolean delta);
    }

    static final String PREFIX = "/CertEnroll/";

    private final String caName;
    private final String fqdn;
    private final CurrentCrl crls;
    private final Supplier<X509Certificate> caCertificate;

    CrlFilesAdapter(String caName, String fqdn, CurrentCrl crls, Supplier<X509Certificate> caCertificate) {
        this.caName = caName;
        this.fqdn = fqdn;
        this.crls = crls;
        this.caCertificate = caCertificate;
    }

    /** {@code file}: the path after {@value #PREFIX}. */
    void get(String file, Response response, Callback callback) {
        if (file.equals(caName + ".crl")) {
            HttpAnswers.send(response, callback, 200, "application/pkix-crl", crls.der(false));
        } else if (file.equals(caName + "+.crl")) {
            HttpAnswers.send(response, callback, 200, "application/pkix-crl", crls.der(true));
        } else if (file.equals(fqdn + "_" + caName + ".crt")) {
            try {
                HttpAnswers.send(response, callback, 200, "application/pkix-cert", caCertificate.get().getEncoded());
            } catch (CertificateEncodingException e) {
                throw new IllegalStateException(e);
            }
        } else {
            HttpAnswers.text(response, callback, 404, "no file " + file + " in CertEnroll\n");
        }
    }
}
