package org.pkilab.ca;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x509.GeneralName;
import org.pkilab.enrollment.CaRegistrySettings.EditFlag;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The {@code SAN} request attribute, which a CA with {@code EDITF_ATTRIBUTESUBJECTALTNAME2} in its policy module's
 * {@code EditFlags} turns into the certificate's alternative names: ESC6 in SpecterOps' "Certified Pre-Owned". The
 * requester writes it with {@code certreq -attrib "SAN:upn=administrator@contoso.com&dns=dc01.contoso.com"} (or Certipy's
 * {@code -upn}), so it arrives as a name-value pair ({@link Pkcs10Request#nameValuePairs()}) beside the request's own
 * extensions, and the template is never asked whether the requester may name anyone.
 *
 * <pre>{@code
 * SanAttribute.names("upn=administrator@contoso.com&url=tag:microsoft.com,2022-09-14:sid:S-1-5-21-...-500")
 *     // [otherName UPN administrator@contoso.com, URI tag:microsoft.com,2022-09-14:sid:S-1-5-21-...-500]
 * }</pre>
 *
 * <p>What AD CS does with it, and the lab with it:
 * <ul>
 *   <li>Without the flag the attribute is ignored: it stays in the recorded request and names nothing.</li>
 *   <li>With the flag its names are the certificate's alternative names on <em>any</em> template, in place of the
 *   request's own Subject Alternative Name extension ("Supply in the request") and of the names the template builds
 *   from the requester's account ("Build from this Active Directory information"). The subject is still the
 *   template's.</li>
 *   <li>A template that builds names from the directory still adds the requester's own SID extension
 *   ({@code 1.3.6.1.4.1.311.25.2}, KB5014754), so a certificate naming Administrator by UPN carries the attacker's SID:
 *   under strong mapping the DC refuses it (KDC event 41). That is why ESC6 alone stopped working after May 2022, and
 *   why it is paired with a template that opts out of the extension ({@code CT_FLAG_NO_SECURITY_EXTENSION}, ESC9), a CA
 *   that disables it ({@code DisableExtensionList}, ESC16), or a DC that does not enforce strong mapping.</li>
 *   <li>The names go through {@link RequestedNames}' checks like any name a requester supplies.</li>
 * </ul>
 * The forms taken are those of {@code certreq -attrib}: {@code upn=}, {@code dns=}, {@code email=}, {@code url=} and
 * {@code ipaddress=}, joined by {@code &}, names in any case.
 */
final class SanAttribute {

    /** The request attribute's name, as {@code certreq -attrib "SAN:..."} sends it. */
    static final String NAME = "SAN";
    private static final ASN1ObjectIdentifier UPN = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.20.2.3");

    private SanAttribute() {
    }

    /**
     * The {@code SAN} attribute's text when the CA honours it: its {@code EditFlags} hold
     * {@code EDITF_ATTRIBUTESUBJECTALTNAME2} and the request carries one (several are joined with {@code &}).
     */
    static Optional<String> honoured(IssuanceFacts facts) {
        if (!facts.registry().has(EditFlag.EDITF_ATTRIBUTESUBJECTALTNAME2)) {
            return Optional.empty();
        }
        List<String> values = facts.csr().nameValuePairs().stream().filter(p -> p.name().trim().equalsIgnoreCase(NAME))
                .map(Pkcs10Request.NameValuePair::value).toList();
        return values.isEmpty() ? Optional.empty() : Optional.of(String.join("&", values));
    }

    /**
     * The alternative names {@code value} gives, in its order.
     *
     * @throws IllegalArgumentException naming the part that is no {@code name=value} of a kind taken here
     */
    static List<GeneralName> names(String value) {
        List<GeneralName> names = new ArrayList<>();
        for (String part : value.split("&", -1)) {
            int equals = part.indexOf('=');
            if (equals < 1) {
                throw new IllegalArgumentException("'" + RequestedNames.printable(part) + "' in the SAN attribute is not name=value, "
                        + "as in SAN:upn=user@contoso.com&dns=host.contoso.com");
            }
            String kind = part.substring(0, equals).trim().toLowerCase(Locale.ROOT);
            String text = part.substring(equals + 1).trim();
            if (text.isEmpty()) {
                throw new IllegalArgumentException("the SAN attribute's " + kind + "= is empty");
            }
            names.add(switch (kind) {
                case "upn" -> new GeneralName(GeneralName.otherName,
                        new DERSequence(new ASN1Encodable[]{UPN, new DERTaggedObject(true, 0, new DERUTF8String(text))}));
                case "dns" -> new GeneralName(GeneralName.dNSName, text);
                case "email" -> new GeneralName(GeneralName.rfc822Name, text);
                case "url" -> new GeneralName(GeneralName.uniformResourceIdentifier, text);
                case "ipaddress" -> ipAddress(text);
                default -> throw new IllegalArgumentException("the SAN attribute names '" + RequestedNames.printable(kind)
                        + "', which the lab does not take: use upn=, dns=, email=, url= or ipaddress=");
            });
        }
        return names;
    }

    private static GeneralName ipAddress(String text) {
        try {
            return new GeneralName(GeneralName.iPAddress, text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the SAN attribute's ipaddress=" + RequestedNames.printable(text) + " is no IPv4 or IPv6 address");
        }
    }
}
