package org.pkilab.ca;

import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.KeyAlgorithm;
import org.pkilab.windows.WindowsError;

import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;

/**
 * Policy step: the request's key is one this CA certifies and the template's Cryptography tab accepts.
 * In order: not above the CA's ceiling ({@value Pkcs10Request#MAX_RSA_KEY_BITS}-bit RSA), the request's
 * self-signature verifies with it, it is of the template's algorithm (RSA for a legacy CSP template; the
 * named curve for ECDSA_P256/P384/P521), and it is at least the template's "Minimum key size".
 *
 * <pre>{@code
 * new KeyMeetsTemplate().check(facts);
 * // DENY 0x80094811 CERTSRV_E_KEY_LENGTH: the request from CONTOSO\IIS01$ carries a 1024-bit RSA key; 'Web Server' (WebServer) requires RSA keys of at least 2048 bits
 * }</pre>
 */
final class KeyMeetsTemplate implements IssuancePolicy.Validator {

    @Override
    public Decision check(IssuanceFacts facts) {
        Pkcs10Request csr = facts.csr();
        // the ceiling first: a key the CA will never certify is refused whatever its signature, without RSA work on it
        int rsaBits = csr.rsaModulusBits();
        if (rsaBits > Pkcs10Request.MAX_RSA_KEY_BITS) {
            return Decision.deny(WindowsError.CERTSRV_E_KEY_LENGTH, "the request from " + facts.requesterName() + " carries a " + rsaBits
                            + "-bit RSA key; " + facts.caName() + " certifies RSA keys of at most " + Pkcs10Request.MAX_RSA_KEY_BITS + " bits",
                    "generate a 2048-, 3072- or 4096-bit key");
        }
        try {
            if (!csr.signatureVerifies()) {
                return Decision.deny(WindowsError.NTE_BAD_SIGNATURE, "the signature on the request from " + facts.requesterName()
                        + " does not verify with the public key it carries", "sign the request with the private key of the key it requests for");
            }
        } catch (Exception e) {
            // the exception names JCA classes; what a requester can act on is the algorithm and the key
            return Decision.deny(WindowsError.NTE_BAD_SIGNATURE, "the signature on the request from " + facts.requesterName()
                    + " cannot be checked: it is declared as " + csr.signatureAlgorithmName() + ", which the CA cannot verify with the "
                    + csr.publicKey().getAlgorithm() + " key the request carries", "sign the request with SHA-256 and the request's own RSA or EC key");
        }
        CertificateTemplate template = facts.template();
        KeyAlgorithm wanted;
        try {
            wanted = template.keyAlgorithm();
        } catch (IllegalStateException e) {
            return Decision.deny(WindowsError.CERTSRV_E_KEY_LENGTH, e.getMessage(), "choose RSA or ECDSA_P256/P384/P521 on the template's "
                    + "Cryptography tab");
        }
        int bits = csr.keyBits();
        int minimum = template.minimalKeySize();
        boolean rsa = csr.publicKey() instanceof RSAPublicKey;
        String carried = "the request from " + facts.requesterName() + " carries a " + (bits > 0 ? bits + "-bit " : "")
                + (rsa ? "RSA" : csr.publicKey() instanceof ECPublicKey ? "EC" : csr.publicKey().getAlgorithm()) + " key; ";
        if (wanted == KeyAlgorithm.RSA && !rsa) {
            return Decision.deny(WindowsError.CERTSRV_E_KEY_LENGTH, carried + facts.templateDisplay() + " requires RSA keys of at least " + minimum
                            + " bits" + (template.usesCng() ? " (Cryptography tab: Algorithm name RSA)"
                            : " (a legacy CSP template cannot use " + csr.publicKey().getAlgorithm() + " keys)"),
                    "generate an RSA key of at least " + minimum + " bits, or duplicate the template as 'Windows 2008 Server, "
                            + "Enterprise Edition' and choose an ECDSA algorithm on its Cryptography tab");
        }
        if (wanted.elliptic() && !(csr.publicKey() instanceof ECPublicKey && KeyAlgorithm.ofCurveOid(csr.curveOid()).orElse(null) == wanted)) {
            return Decision.deny(WindowsError.CERTSRV_E_KEY_LENGTH, carried + facts.templateDisplay() + " asks for " + wanted.windowsName()
                            + " (Cryptography tab: Algorithm name), an EC key on curve " + wanted.curve(),
                    "generate an " + wanted.windowsName() + " key (certreq: KeyAlgorithm = " + wanted.windowsName()
                            + "), or set the template's algorithm to what the client makes");
        }
        if (bits <= 0 || bits < minimum) {
            return Decision.deny(WindowsError.CERTSRV_E_KEY_LENGTH, carried + facts.templateDisplay() + " requires "
                            + (rsa ? "RSA" : wanted.windowsName()) + " keys of at least " + minimum + " bits",
                    "generate a key of at least " + minimum + " bits (Cryptography tab: Minimum key size)");
        }
        return Decision.proceed();
    }
}
