package org.pkilab.ca;

import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x509.Extension;

import java.util.ArrayList;
import java.util.List;

/**
 * A certificate template a PKCS #10 request names itself, where a Windows client puts it when the protocol has no
 * other place for it (an enterprise CA's policy module reads the same three places):
 * <ul>
 *   <li>the certificate template name extension {@value #TEMPLATE_NAME_OID} ({@code szOID_ENROLL_CERTTYPE_EXTENSION}), a
 *   string, BMPString from Windows ({@code "WebServer"}); strongSwan's {@code pki --req --profile WebServer} writes it
 *   as a UTF8String;</li>
 *   <li>the certificate template information extension {@value #TEMPLATE_OID} ({@code szOID_CERTIFICATE_TEMPLATE}),
 *   {@code SEQUENCE { templateID OID, templateMajorVersion INTEGER OPTIONAL, templateMinorVersion INTEGER OPTIONAL }},
 *   which names a version 2 or later template by its {@code msPKI-Cert-Template-OID};</li>
 *   <li>the {@code CertificateTemplate} request attribute, a name-value pair ({@link Pkcs10Request#nameValuePairs()},
 *   the form {@link SanAttribute} reads too) as {@code certreq -attrib "CertificateTemplate:WebServer"} sends it.</li>
 * </ul>
 *
 * <pre>{@code
 * RequestedTemplate.read(csr)   // [WebServer (certificate template name extension 1.3.6.1.4.1.311.20.2)]
 * }</pre>
 *
 * <p>EST without a template in its path ({@code /.well-known/est/simpleenroll}) takes the template from here; a request
 * naming none gets the CA's {@code EstDefaultTemplate}.
 *
 * @param template a template name (or display name), or a template OID when {@link #byOid()}
 * @param byOid    whether {@code template} is an {@code msPKI-Cert-Template-OID}
 * @param where    where the request names it, for explanations
 */
record RequestedTemplate(String template, boolean byOid, String where) {

    static final String TEMPLATE_NAME_OID = "1.3.6.1.4.1.311.20.2";
    static final String TEMPLATE_OID = "1.3.6.1.4.1.311.21.7";
    /** The request attribute's name, as {@code certreq -attrib "CertificateTemplate:WebServer"} sends it. */
    static final String ATTRIBUTE = "CertificateTemplate";

    @Override
    public String toString() {
        return "'" + RequestedNames.printable(template) + "' (" + where + ")";
    }

    /**
     * Every template {@code csr} names, in the order above; none when it names none.
     *
     * @throws IllegalArgumentException naming the extension that does not decode as its form
     */
    static List<RequestedTemplate> read(Pkcs10Request csr) {
        List<RequestedTemplate> named = new ArrayList<>();
        Extension name = csr.requestedExtension(TEMPLATE_NAME_OID);
        if (name != null) {
            ASN1Primitive value = parse(name, TEMPLATE_NAME_OID);
            if (!(value instanceof ASN1String text) || text.getString().isBlank()) {
                throw new IllegalArgumentException("the certificate template name extension " + TEMPLATE_NAME_OID
                        + " holds no template name (a BMPString such as \"WebServer\")");
            }
            named.add(new RequestedTemplate(text.getString().strip(), false, "certificate template name extension " + TEMPLATE_NAME_OID));
        }
        Extension info = csr.requestedExtension(TEMPLATE_OID);
        if (info != null) {
            String oid;
            String version = "";
            try {
                ASN1Sequence sequence = ASN1Sequence.getInstance(parse(info, TEMPLATE_OID));
                oid = ASN1ObjectIdentifier.getInstance(sequence.getObjectAt(0)).getId();
                if (sequence.size() > 1) {
                    version = ", version " + ASN1Integer.getInstance(sequence.getObjectAt(1)).getValue()
                            + (sequence.size() > 2 ? "." + ASN1Integer.getInstance(sequence.getObjectAt(2)).getValue() : "");
                }
            } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
                throw new IllegalArgumentException("the certificate template information extension " + TEMPLATE_OID
                        + " is not SEQUENCE { templateID OID, majorVersion INTEGER, minorVersion INTEGER }");
            }
            named.add(new RequestedTemplate(oid, true, "certificate template information extension " + TEMPLATE_OID + version));
        }
        for (Pkcs10Request.NameValuePair pair : csr.nameValuePairs()) {
            if (pair.name().strip().equalsIgnoreCase(ATTRIBUTE) && !pair.value().isBlank()) {
                named.add(new RequestedTemplate(pair.value().strip(), false, "request attribute " + ATTRIBUTE + ":"));
            }
        }
        return List.copyOf(named);
    }

    private static ASN1Primitive parse(Extension extension, String oid) {
        try {
            return ASN1Primitive.fromByteArray(extension.getExtnValue().getOctets());
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("the extension " + oid + " in the request does not decode: " + e.getMessage());
        }
    }
}
