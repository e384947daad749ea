package org.pkilab.enrollment;

import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSAbsentContent;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.util.CollectionStore;

import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A certs-only PKCS #7 (a CMS SignedData with no content and no signers, RFC 5652; {@code .p7b} on Windows):
 * how EST carries certificates ({@code /cacerts}, {@code /simpleenroll}, RFC 7030 section 4.1.3), base64
 * in the body as {@code application/pkcs7-mime; smime-type=certs-only}.
 *
 * <pre>{@code
 * byte[] body = CertsOnlyPkcs7.base64(CertsOnlyPkcs7.encode(List.of(issued)));   // what the CA sends
 * X509Certificate issued = CertsOnlyPkcs7.decodeBase64(body).get(0);            // what the client reads
 * }</pre>
 */
public final class CertsOnlyPkcs7 {

    /** The media type EST gives the certificates it returns. */
    public static final String MEDIA_TYPE = "application/pkcs7-mime; smime-type=certs-only";

    private CertsOnlyPkcs7() {
    }

    /** DER of a certs-only PKCS #7 holding {@code certificates} in order. */
    public static byte[] encode(List<X509Certificate> certificates) {
        List<byte[]> ders = new ArrayList<>();
        for (X509Certificate c : certificates) {
            try {
                ders.add(c.getEncoded());
            } catch (CertificateEncodingException e) {
                throw new IllegalStateException("cannot encode " + c.getSubjectX500Principal() + ": " + e.getMessage(), e);
            }
        }
        return encodeDer(ders);
    }

    /** DER of a certs-only PKCS #7 of certificates given as DER, taken as they are (the JDK need not parse them first). */
    public static byte[] encodeDer(List<byte[]> certificates) {
        try {
            List<X509CertificateHolder> holders = new ArrayList<>();
            for (byte[] der : certificates) {
                holders.add(new X509CertificateHolder(der));
            }
            CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
            generator.addCertificates(new CollectionStore<>(holders));
            return generator.generate(new CMSAbsentContent(), false).getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException("cannot encode PKCS #7: " + e.getMessage(), e);
        }
    }

    /** The certificates of a certs-only PKCS #7 given as DER. */
    public static List<X509Certificate> decode(byte[] der) {
        try {
            CMSSignedData p7 = new CMSSignedData(der);
            List<X509Certificate> certificates = new ArrayList<>();
            JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
            for (X509CertificateHolder holder : p7.getCertificates().getMatches(null)) {
                certificates.add(converter.getCertificate(holder));
            }
            if (certificates.isEmpty()) {
                throw new IllegalArgumentException("it holds no certificate");
            }
            return certificates;
        } catch (Exception e) {
            throw new IllegalArgumentException("not a certs-only PKCS #7: " + e.getMessage(), e);
        }
    }

    /** The certificates of a certs-only PKCS #7 sent in base64, as EST sends it (line breaks allowed). */
    public static List<X509Certificate> decodeBase64(byte[] body) {
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(body);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a certs-only PKCS #7: the body is not base64: " + e.getMessage(), e);
        }
        return decode(der);
    }

    /**
     * Base64 on one line, without line breaks (RFC 4648): what an EST body is since RFC 7030's erratum 5904 and RFC 8951
     * (HTTP has no Content-Transfer-Encoding, whose lines of 76 RFC 7030 first borrowed). Clients that decode the body
     * whole fail on line breaks: strongSwan's {@code pki --est} decodes the line break as base64 and cannot read the
     * PKCS #7 that comes out. Read it with {@code openssl base64 -d -A} or {@code base64 -d}.
     */
    public static byte[] base64(byte[] der) {
        return Base64.getEncoder().encode(der);
    }
}
