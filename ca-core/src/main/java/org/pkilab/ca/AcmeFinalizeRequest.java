package org.pkilab.ca;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.pkilab.windows.WindowsError;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What an ACME finalize request's CSR may ask for: exactly the names the order holds and whose control the client
 * proved, nothing else. The ACME directory already names the template, and every name was validated by http-01 or
 * tls-alpn-01, so anything more a CSR carries is a way around that proof:
 *
 * <pre>
 * order [iis01.contoso.com]
 *   subject CN=iis01.contoso.com, SAN dNSName iis01.contoso.com                     taken
 *   a second extensionRequest attribute with SAN dNSName dc01.contoso.com           refused: a name never validated
 *   subject CN=iis01.contoso.com, O=Contoso                                        refused: only a CN that is an order name
 *   request attribute SAN:dns=dc01.contoso.com (certreq -attrib, EDITF_ATTRIBUTESUBJECTALTNAME2)   refused
 *   certificate template extension 1.3.6.1.4.1.311.21.7 / 20.2, CertificateTemplate: attribute    refused: the path names it
 * </pre>
 *
 * <p>The request is read by the pipeline's own parser ({@link Pkcs10Request}), so what is checked here is what the
 * pipeline will read. Each refusal is a {@link Decision} carrying the AD CS code, answered as an ACME {@code badCSR}.
 */
final class AcmeFinalizeRequest {

    /** The extensions an ACME client's CSR may ask for besides the names: how the key is used, not who holds it. */
    private static final Set<ASN1ObjectIdentifier> ALLOWED_EXTENSIONS = Set.of(Extension.subjectAlternativeName, Extension.keyUsage,
            Extension.extendedKeyUsage, Extension.basicConstraints, Extension.subjectKeyIdentifier,
            new ASN1ObjectIdentifier("1.3.6.1.5.5.7.1.24"));
    /** szOID_CERTIFICATE_TEMPLATE (V2) and szOID_ENROLL_CERTTYPE_EXTENSION (V1): a template named inside the request. */
    private static final Set<String> TEMPLATE_EXTENSIONS = Set.of("1.3.6.1.4.1.311.21.7", "1.3.6.1.4.1.311.20.2");

    private AcmeFinalizeRequest() {
    }

    /**
     * Why {@code request} may not finalize order {@code orderId} for {@code names}, or a decision that proceeds.
     *
     * @param account the ACME account and its directory account, for the refusal's text
     */
    static Decision check(Pkcs10Request request, String orderId, List<String> names, String account) {
        String order = "order " + orderId + " of " + account + " is for " + names;
        String fix = "make the CSR with exactly the order's names as DNS subject alternative names, a subject that is empty or "
                + "CN=<one of them>, and no request attributes (certbot, lego and acme4j make such a CSR)";
        if (request.isCrmf()) {
            return Decision.deny(WindowsError.CRYPT_E_ASN1_BADTAG, "an ACME finalize request carries a PKCS #10 request, not CRMF; " + order, fix);
        }
        List<Attribute> extensionRequests = new ArrayList<>();
        for (Attribute attribute : request.attributes()) {
            if (attribute.getAttrType().equals(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
                extensionRequests.add(attribute);
            } else if (attribute.getAttrType().getId().equals(Pkcs10Request.NAME_VALUE_PAIR)) {
                return Decision.deny(WindowsError.CERTSRV_E_BAD_REQUESTSUBJECT, "the CSR carries request attributes "
                        + pairs(request) + " (certreq -attrib); an ACME order takes names only from its validated identifiers, and "
                        + "the template from the directory's path; " + order, fix);
            } else {
                return Decision.deny(WindowsError.E_INVALIDARG, "the CSR carries the request attribute " + attribute.getAttrType().getId()
                        + ", which an ACME finalize request has no use for; " + order, fix);
            }
        }
        if (extensionRequests.size() > 1 || (extensionRequests.size() == 1 && extensionRequests.get(0).getAttrValues().size() != 1)) {
            return Decision.deny(WindowsError.CERTSRV_E_BAD_REQUESTSUBJECT, "the CSR carries " + (extensionRequests.size() > 1
                    ? extensionRequests.size() + " extensionRequest attributes" : "an extensionRequest attribute with "
                    + extensionRequests.get(0).getAttrValues().size() + " values") + "; it may carry one, with one set of extensions; "
                    + order, fix);
        }
        if (!extensionRequests.isEmpty()) {
            Extensions extensions;
            try {
                extensions = Extensions.getInstance(extensionRequests.get(0).getAttrValues().getObjectAt(0));
            } catch (RuntimeException e) {
                return Decision.deny(WindowsError.CRYPT_E_ASN1_BADTAG, "the CSR's extensionRequest attribute does not decode: "
                        + RequestedNames.printable(String.valueOf(e.getMessage())) + "; " + order, fix);
            }
            for (ASN1ObjectIdentifier oid : extensions.getExtensionOIDs()) {
                if (TEMPLATE_EXTENSIONS.contains(oid.getId())) {
                    return Decision.deny(WindowsError.CERTSRV_E_TEMPLATE_CONFLICT, "the CSR names a certificate template in extension "
                            + oid.getId() + "; an ACME directory's template is the one in its path; " + order,
                            "leave the template out of the CSR and order from the directory of the template wanted");
                }
                if (!ALLOWED_EXTENSIONS.contains(oid)) {
                    return Decision.deny(WindowsError.E_INVALIDARG, "the CSR asks for extension " + oid.getId() + "; an ACME CSR may ask "
                            + "for subject alternative names, key usage, extended key usage, basic constraints, subject key identifier "
                            + "and TLS feature only; " + order, fix);
                }
            }
        }
        if (request.requestedAltNamesProblem() != null) {
            return Decision.deny(WindowsError.CRYPT_E_ASN1_BADTAG, "the CSR's subject alternative names do not decode: "
                    + RequestedNames.printable(request.requestedAltNamesProblem()) + "; " + order, fix);
        }
        Set<String> requested = new LinkedHashSet<>();
        for (GeneralName name : request.requestedAltNames()) {
            if (name.getTagNo() != GeneralName.dNSName) {
                return Decision.deny(WindowsError.CERTSRV_E_BAD_REQUESTSUBJECT, "the CSR asks for the subject alternative name "
                        + RequestedNames.printable(String.valueOf(name)) + ", which is no DNS name; " + order, fix);
            }
            requested.add(name.getName().toString().toLowerCase(Locale.ROOT));
        }
        if (!requested.equals(new LinkedHashSet<>(names))) {
            return Decision.deny(WindowsError.CERTSRV_E_BAD_REQUESTSUBJECT, "the CSR's DNS names are " + printable(requested)
                    + ", not the order's; " + order, fix);
        }
        for (RDN rdn : request.subject().getRDNs()) {
            for (AttributeTypeAndValue value : rdn.getTypesAndValues()) {
                String text = RequestedNames.printable(IETFUtils.valueToString(value.getValue()));
                if (!value.getType().equals(BCStyle.CN) || rdn.isMultiValued()) {
                    return Decision.deny(WindowsError.CERTSRV_E_BAD_REQUESTSUBJECT, "the CSR's subject holds "
                            + displayName(value.getType()) + "=" + text + "; an ACME CSR's subject is empty or "
                            + "one CN that is an order name, as nobody validated anything else; " + order, fix);
                }
                if (!names.contains(text.toLowerCase(Locale.ROOT))) {
                    return Decision.deny(WindowsError.CERTSRV_E_BAD_REQUESTSUBJECT, "the CSR's subject CN=" + text
                            + " is not a name of the order; " + order, fix);
                }
            }
        }
        return Decision.proceed();
    }

    /**
     * Why {@code certificate}, issued for an order for {@code names}, may not be handed out: its DNS names differ from the
     * order's; null when they are the same. The pipeline builds names from the template, so this is checked after it too.
     */
    static String namesDiffer(X509Certificate certificate, List<String> names) {
        Set<String> held = new LinkedHashSet<>();
        try {
            Collection<List<?>> alt = certificate.getSubjectAlternativeNames();
            if (alt != null) {
                for (List<?> entry : alt) {
                    held.add(Integer.valueOf(GeneralName.dNSName).equals(entry.get(0))
                            ? String.valueOf(entry.get(1)).toLowerCase(Locale.ROOT) : "(type " + entry.get(0) + ") " + entry.get(1));
                }
            }
        } catch (CertificateParsingException e) {
            return "its subject alternative names do not decode: " + e.getMessage();
        }
        return held.equals(new LinkedHashSet<>(names)) ? null : "it names " + held + ", and the order is for " + names;
    }

    private static String displayName(ASN1ObjectIdentifier type) {
        String name = BCStyle.INSTANCE.oidToDisplayName(type);
        return name == null ? type.getId() : name;
    }

    private static String pairs(Pkcs10Request request) {
        return request.nameValuePairsProblem() != null ? "(undecodable)" : RequestedNames.printable(request.nameValuePairs().toString());
    }

    private static String printable(Collection<String> names) {
        List<String> out = new ArrayList<>();
        for (String name : names) {
            out.add(RequestedNames.printable(name));
        }
        return out.toString();
    }
}
