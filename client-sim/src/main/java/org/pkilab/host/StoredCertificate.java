package org.pkilab.host;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.DEROctetString;
import org.pkilab.directory.model.ApplicationPolicy;

import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A certificate in a Windows certificate store, with what the Certificates snap-in shows for it (Issued
 * To, Issued By, Expiration Date, Intended Purposes, Certificate Template) and what it keeps beside it:
 * the private key, whether the key may be exported, and where the key lives (a legacy CSP for schema 1
 * and 2 templates, a CNG key storage provider for schema 3), and whether it came from a PFX: then {@code exportable}
 * is what the Import Wizard's "Mark this key as exportable" box said, not what the template allows.
 */
public record StoredCertificate(X509Certificate certificate, PrivateKey privateKey, boolean exportable, KeyStorage keyStorage,
                                String templateName, String templateDisplayName, List<X509Certificate> chain, boolean imported) {

    /** Where Windows keeps the private key. */
    public enum KeyStorage {
        /** "Microsoft RSA SChannel Cryptographic Provider" and friends: schema 1 and 2 templates. */
        LEGACY_CSP,
        /** "Microsoft Software Key Storage Provider": schema 3 templates. */
        CNG_KSP,
        /** No private key (a root certificate). */
        NONE
    }

    public StoredCertificate {
        chain = List.copyOf(chain);
    }

    /** A certificate enrolled on this computer (or a root without key): {@code exportable} is the template's setting. */
    public StoredCertificate(X509Certificate certificate, PrivateKey privateKey, boolean exportable, KeyStorage keyStorage,
                             String templateName, String templateDisplayName, List<X509Certificate> chain) {
        this(certificate, privateKey, exportable, keyStorage, templateName, templateDisplayName, chain, false);
    }

    /** The SHA-1 thumbprint in upper-case hex, as IIS's "Edit Site Binding" and the snap-in show it. */
    public String thumbprint() {
        try {
            return HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-1").digest(certificate.getEncoded()));
        } catch (CertificateEncodingException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** "Issued To": the subject's common name, or the first DNS name when the subject is empty. */
    public String issuedTo() {
        String subject = certificate.getSubjectX500Principal().getName();
        for (String part : subject.split(",")) {
            if (part.startsWith("CN=")) {
                return part.substring(3);
            }
        }
        List<String> dns = dnsNames();
        return dns.isEmpty() ? "" : dns.get(0);
    }

    public List<String> dnsNames() {
        List<String> names = new ArrayList<>();
        try {
            if (certificate.getSubjectAlternativeNames() != null) {
                for (List<?> name : certificate.getSubjectAlternativeNames()) {
                    if (Integer.valueOf(2).equals(name.get(0))) {
                        names.add(String.valueOf(name.get(1)));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // a certificate whose SAN does not parse simply shows no DNS names
        }
        return names;
    }

    /**
     * Every alternative name as the certificate dialog's Details tab shows it: {@code DNS Name=iis01.contoso.com},
     * {@code Other Name:Principal Name=administrator@contoso.com}, {@code URL=tag:microsoft.com,2022-09-14:sid:S-1-5-...}.
     */
    public List<String> subjectAlternativeNames() {
        List<String> names = new ArrayList<>();
        try {
            if (certificate.getSubjectAlternativeNames() != null) {
                for (List<?> name : certificate.getSubjectAlternativeNames()) {
                    int type = (Integer) name.get(0);
                    names.add(switch (type) {
                        case 0 -> otherName((byte[]) name.get(1));
                        case 1 -> "RFC822 Name=" + name.get(1);
                        case 2 -> "DNS Name=" + name.get(1);
                        case 6 -> "URL=" + name.get(1);
                        case 7 -> "IP Address=" + name.get(1);
                        default -> "(type " + type + ")=" + name.get(1);
                    });
                }
            }
        } catch (CertificateParsingException | RuntimeException e) {
            names.add("(alternative names that do not parse)");
        }
        return names;
    }

    private static String otherName(byte[] der) {
        // the JDK hands over OtherName ::= SEQUENCE { type-id, [0] EXPLICIT value }; some providers keep GeneralName's [0] around it
        ASN1Primitive parsed;
        try {
            parsed = ASN1Primitive.fromByteArray(der);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e);
        }
        ASN1Sequence other = parsed instanceof org.bouncycastle.asn1.ASN1TaggedObject tagged ? ASN1Sequence.getInstance(tagged, false)
                : ASN1Sequence.getInstance(parsed);
        String oid = ASN1ObjectIdentifier.getInstance(other.getObjectAt(0)).getId();
        org.bouncycastle.asn1.ASN1Encodable value = other.getObjectAt(1);
        while (value instanceof org.bouncycastle.asn1.ASN1TaggedObject tagged) {
            value = tagged.getExplicitBaseObject();
        }
        String text = value instanceof org.bouncycastle.asn1.ASN1String string ? string.getString() : value.toString();
        return "1.3.6.1.4.1.311.20.2.3".equals(oid) ? "Other Name:Principal Name=" + text : "Other Name:" + oid + "=" + text;
    }

    /** The snap-in's "Certificate Template" column: the display name when known, else what the certificate names. */
    public String certificateTemplate() {
        return templateDisplayName != null ? templateDisplayName : templateName;
    }

    /** "Intended Purposes": the EKUs by their friendly names. */
    public List<String> intendedPurposes() {
        try {
            List<String> ekus = certificate.getExtendedKeyUsage();
            return ekus == null ? List.of("<All>") : ekus.stream().map(ApplicationPolicy::nameOf).toList();
        } catch (CertificateParsingException e) {
            return List.of();
        }
    }

    public boolean hasPurpose(String ekuOid) {
        try {
            List<String> ekus = certificate.getExtendedKeyUsage();
            return ekus == null || ekus.contains(ekuOid);
        } catch (CertificateParsingException e) {
            return false;
        }
    }

    public Instant notBefore() {
        return certificate.getNotBefore().toInstant();
    }

    public Instant notAfter() {
        return certificate.getNotAfter().toInstant();
    }

    public boolean validAt(Instant when) {
        return !when.isBefore(notBefore()) && when.isBefore(notAfter());
    }

    /**
     * The template the certificate was issued from, read from its extension: the name in
     * {@code 1.3.6.1.4.1.311.20.2} (schema 1) or the OID in {@code 1.3.6.1.4.1.311.21.7} (schema 2+).
     */
    public static String templateOf(X509Certificate certificate) {
        try {
            byte[] v1 = certificate.getExtensionValue("1.3.6.1.4.1.311.20.2");
            if (v1 != null) {
                return DERBMPString.getInstance(ASN1Primitive.fromByteArray(DEROctetString.getInstance(v1).getOctets())).getString();
            }
            byte[] v2 = certificate.getExtensionValue("1.3.6.1.4.1.311.21.7");
            if (v2 != null) {
                ASN1Sequence info = ASN1Sequence.getInstance(DEROctetString.getInstance(v2).getOctets());
                return ASN1ObjectIdentifier.getInstance(info.getObjectAt(0)).getId();
            }
        } catch (Exception e) {
            // an unreadable template extension is shown as no template, as the snap-in does
        }
        return null;
    }
}
