package org.pkilab.ca;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.ASN1TaggedObject;
import org.bouncycastle.asn1.ASN1BMPString;
import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.ASN1PrintableString;
import org.bouncycastle.asn1.ASN1UTF8String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.GeneralName;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The checks a CA makes on names an enrollee supplies in its request ("Supply in the request"): every
 * subject attribute and alternative name must be text of its ASN.1 type (UTF-8 that decodes, a
 * PrintableString of printable characters, ASCII in an IA5String), free of control characters and of the
 * bidirectional overrides that make a name read differently from what it is, within X.520's lengths, and
 * a DNS name must be one. AD CS refuses such requests with {@code CERTSRV_E_BAD_REQUESTSUBJECT}
 * ("The request subject name is invalid or too long").
 *
 * <pre>{@code
 * RequestedNames.problem(subject, alternativeNames)
 *     // Optional["the DNS name 'web\u0007.contoso.com' has the control character U+0007 at position 4"]
 * }</pre>
 */
final class RequestedNames {

    /** More than this many alternative names is a flood, not a web server: public CAs stop at 100 too. */
    static final int MAX_ALTERNATIVE_NAMES = 100;
    /** Relative names in one subject; real subjects have a handful. */
    static final int MAX_SUBJECT_PARTS = 32;
    /** X.520's ub-common-name, ub-organization-name and ub-organizational-unit-name. */
    private static final int MAX_NAME = 64;
    /** Any other attribute or name: longer is a flood too (ub-emailaddress-length is 255). */
    private static final int MAX_VALUE = 255;
    private static final ASN1ObjectIdentifier UPN = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.20.2.3");
    private static final Set<ASN1ObjectIdentifier> SHORT = Set.of(BCStyle.CN, BCStyle.O, BCStyle.OU);
    private static final Pattern DNS_NAME = Pattern.compile("(\\*\\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    private static final Pattern PRINTABLE_STRING = Pattern.compile("[A-Za-z0-9 '()+,\\-./:=?]*");

    private RequestedNames() {
    }

    /** Why the names cannot go into a certificate, or empty when they can. */
    static Optional<String> problem(X500Name subject, List<GeneralName> alternativeNames) {
        if (alternativeNames.size() > MAX_ALTERNATIVE_NAMES) {
            return Optional.of("the request asks for " + alternativeNames.size() + " alternative names; the CA puts at most "
                    + MAX_ALTERNATIVE_NAMES + " in a certificate");
        }
        Optional<String> inSubject = problem("subject", subject);
        if (inSubject.isPresent()) {
            return inSubject;
        }
        for (GeneralName name : alternativeNames) {
            Optional<String> bad;
            try {
                bad = problem(name);
            } catch (RuntimeException e) {
                bad = Optional.of("an alternative name of type " + name.getTagNo() + " does not decode: " + e.getMessage());
            }
            if (bad.isPresent()) {
                return bad;
            }
        }
        return Optional.empty();
    }

    private static Optional<String> problem(String where, X500Name name) {
        RDN[] parts = name.getRDNs();
        if (parts.length > MAX_SUBJECT_PARTS) {
            return Optional.of("the " + where + " has " + parts.length + " relative names; the CA takes at most " + MAX_SUBJECT_PARTS);
        }
        for (RDN rdn : parts) {
            for (AttributeTypeAndValue attribute : rdn.getTypesAndValues()) {
                String type = BCStyle.INSTANCE.oidToDisplayName(attribute.getType());
                String label = "the " + where + "'s " + (type == null ? attribute.getType().getId() : type.toUpperCase(java.util.Locale.ROOT));
                Decoded text = text(label, attribute.getValue());
                if (text == null) {
                    return Optional.of(label + " is not a string (" + attribute.getValue().toASN1Primitive().getClass().getSimpleName() + ")");
                }
                Optional<String> bad = text.problem() != null ? Optional.of(text.problem())
                        : problem(label, text.text(), SHORT.contains(attribute.getType()) ? MAX_NAME : MAX_VALUE);
                if (bad.isPresent()) {
                    return bad;
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<String> problem(GeneralName name) {
        ASN1Encodable value = name.getName();
        switch (name.getTagNo()) {
            case GeneralName.dNSName, GeneralName.rfc822Name, GeneralName.uniformResourceIdentifier -> {
                String label = switch (name.getTagNo()) {
                    case GeneralName.dNSName -> "the DNS name";
                    case GeneralName.rfc822Name -> "the e-mail name";
                    default -> "the URI";
                };
                Decoded text = text(label, value);
                if (text == null || text.problem() != null) {
                    return Optional.of(text == null ? label + " is not an IA5String" : text.problem());
                }
                String s = text.text();
                Optional<String> bad = problem(label, s, name.getTagNo() == GeneralName.uniformResourceIdentifier ? 2048 : MAX_VALUE);
                if (bad.isPresent()) {
                    return bad;
                }
                if (name.getTagNo() == GeneralName.dNSName && (s.length() > 253 || !DNS_NAME.matcher(s).matches())) {
                    return Optional.of(label + " '" + printable(s) + "' is not a DNS name: labels of letters, digits and hyphens, "
                            + "up to 63 characters each, separated by dots, with at most a leading '*.'");
                }
                if (name.getTagNo() != GeneralName.dNSName && s.chars().anyMatch(c -> c == ' ' || c > 0x7E)) {
                    return Optional.of(label + " '" + printable(s) + "' holds spaces or characters outside ASCII");
                }
                return Optional.empty();
            }
            case GeneralName.iPAddress -> {
                int length = ASN1OctetString.getInstance(value).getOctets().length;
                return length == 4 || length == 16 ? Optional.empty()
                        : Optional.of("the IP address in the alternative name has " + length + " bytes, not 4 (IPv4) or 16 (IPv6)");
            }
            case GeneralName.directoryName -> {
                return problem("alternative directory name", X500Name.getInstance(value));
            }
            case GeneralName.otherName -> {
                ASN1Sequence other = ASN1Sequence.getInstance(value);
                if (UPN.equals(other.getObjectAt(0))) {
                    Decoded text = text("the user principal name", ASN1TaggedObject.getInstance(other.getObjectAt(1)).getExplicitBaseObject());
                    if (text == null || text.problem() != null) {
                        return Optional.of(text == null ? "the user principal name is not a UTF8String" : text.problem());
                    }
                    return problem("the user principal name", text.text(), MAX_VALUE);
                }
                return Optional.empty();
            }
            default -> {
                return Optional.empty();
            }
        }
    }

    /** An ASN.1 string's text, or why its octets are not text of its type. */
    private record Decoded(String text, String problem) {
        static Decoded of(String text) {
            return new Decoded(text, null);
        }

        static Decoded bad(String problem) {
            return new Decoded(null, problem);
        }
    }

    /** The text of an ASN.1 string checked against its type's character set; null when the value is no string at all. */
    private static Decoded text(String label, ASN1Encodable value) {
        ASN1Primitive primitive = value.toASN1Primitive();
        if (!(primitive instanceof ASN1String string)) {
            return null;
        }
        byte[] content;
        try {
            content = contentOctets(primitive.getEncoded("DER"));
        } catch (java.io.IOException e) {
            return Decoded.bad(label + " cannot be encoded: " + e.getMessage());
        }
        if (primitive instanceof ASN1UTF8String) {
            try {
                return Decoded.of(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(content)).toString());
            } catch (CharacterCodingException e) {
                return Decoded.bad(label + " is a UTF8String whose bytes are not UTF-8 (" + hex(content) + ")");
            }
        }
        if (primitive instanceof ASN1IA5String) {
            for (int i = 0; i < content.length; i++) {
                if (content[i] < 0) {
                    return Decoded.bad(label + " is an IA5String with the byte 0x" + String.format("%02X", content[i] & 0xFF)
                            + " at position " + i + ", outside ASCII");
                }
            }
            return Decoded.of(new String(content, StandardCharsets.US_ASCII));
        }
        String s = string.getString();
        if (primitive instanceof ASN1PrintableString && !PRINTABLE_STRING.matcher(s).matches()) {
            return Decoded.bad(label + " is a PrintableString with characters a PrintableString cannot hold: '" + printable(s) + "'");
        }
        if (primitive instanceof ASN1BMPString) {
            for (int i = 0; i < s.length(); i++) {
                if (Character.isHighSurrogate(s.charAt(i)) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else if (Character.isSurrogate(s.charAt(i))) {
                    return Decoded.bad(label + " is a BMPString with a lone surrogate at position " + i);
                }
            }
        }
        return Decoded.of(s);
    }

    /** The content octets of a DER TLV. */
    private static byte[] contentOctets(byte[] tlv) {
        int lengthByte = tlv[1] & 0xFF;
        int start = lengthByte < 0x80 ? 2 : 2 + (lengthByte & 0x7F);
        return java.util.Arrays.copyOfRange(tlv, start, tlv.length);
    }

    private static Optional<String> problem(String label, String text, int limit) {
        if (text.isEmpty()) {
            return Optional.of(label + " is empty");
        }
        if (text.length() > limit) {
            return Optional.of(label + " is " + text.length() + " characters long; at most " + limit + " fit ('"
                    + printable(text.substring(0, 20)) + "...')");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c) || isBidiControl(c)) {
                return Optional.of(label + " '" + printable(text) + "' has the " + (isBidiControl(c) ? "bidirectional" : "control")
                        + " character U+" + String.format("%04X", (int) c) + " at position " + i);
            }
        }
        return Optional.empty();
    }

    /** Overrides and isolates make text display in another order than it reads ("Trojan Source"). */
    private static boolean isBidiControl(char c) {
        return (c >= '\u202A' && c <= '\u202E') || (c >= '\u2066' && c <= '\u2069') || c == '\u200E' || c == '\u200F' || c == '\u061C';
    }

    /** {@code text} with control characters, bidirectional controls and lone surrogates as {@code \}{@code uXXXX}, cut at 80 characters. */
    static String printable(String text) {
        String escaped = escape(text.length() > 80 ? text.substring(0, 80) : text);
        return text.length() > 80 ? escaped + "..." : escaped;
    }

    /**
     * {@code text} with what a terminal or a reader could be fooled by written as {@code \}{@code uXXXX}:
     * control characters, bidirectional controls, and surrogates that are not half of a pair.
     */
    static String escape(String text) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
            if (pair) {
                out.append(c).append(text.charAt(++i));
            } else if (Character.isISOControl(c) || isBidiControl(c) || Character.isSurrogate(c)) {
                out.append(String.format("\\u%04X", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /**
     * The subject as the CA records it for a refused request: RFC 4514 text with control characters
     * escaped, so the Failed Requests folder never shows raw control characters.
     */
    static String recordable(X500Name subject) {
        try {
            return escape(subject.toString());
        } catch (RuntimeException e) {
            return "(a subject that does not decode)";
        }
    }

    private static String hex(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < Math.min(bytes.length, 32); i++) {
            out.append(i == 0 ? "" : " ").append(String.format("%02X", bytes[i] & 0xFF));
        }
        return bytes.length > 32 ? out + " ..." : out.toString();
    }
}
