package org.pkilab.directory;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.ASN1TaggedObject;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.CertificatePolicies;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.PolicyInformation;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * What a domain controller reads from a client certificate to map it to an account: the names the subject
 * alternative name carries, the SID the CA wrote, and the forms {@code altSecurityIdentities} can name it by.
 * For a certificate Contoso-CA issued to Administrator from the User template:
 *
 * <pre>
 * upns()              [administrator@contoso.com]        SAN otherName 1.3.6.1.4.1.311.20.2.3
 * dnsNames()          []                                  SAN dNSName (a computer's certificate)
 * sidExtension()      S-1-5-21-...-500                    1.3.6.1.4.1.311.25.2 (szOID_NTDS_CA_SECURITY_EXT, KB5014754)
 * sanUrlSid()         null                                SAN URL tag:microsoft.com,2022-09-14:sid:&lt;SID&gt;
 * issuerSerialForm()  X509:&lt;I&gt;DC=com,DC=contoso,CN=Contoso-CA&lt;SR&gt;0300000000001a2b...   (strong)
 * skiForm()           X509:&lt;SKI&gt;9b1c...                                              (strong)
 * sha1PublicKeyForm() X509:&lt;SHA1-PUKEY&gt;ed91...                                       (strong)
 * issuerSubjectForm() X509:&lt;I&gt;DC=com,DC=contoso,CN=Contoso-CA&lt;S&gt;CN=Administrator,CN=Users,...  (weak)
 * </pre>
 *
 * The explicit forms are spelled as Windows' {@code altSecurityIdentities} values are: distinguished names in
 * X.500 order (most significant part first, as {@code certutil} prints them) and the serial number's bytes in
 * reverse order. {@link #namesIssuer(String)} and {@link #namesSubject(String)} also accept a name written in
 * RFC 4514 order, as administrators often copy it from OpenSSL.
 */
final class ClientCertificate {

    static final String SID_EXTENSION = "1.3.6.1.4.1.311.25.2";
    private static final ASN1ObjectIdentifier NTDS_OBJECTSID = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.25.2.1");
    private static final ASN1ObjectIdentifier UPN = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.20.2.3");
    static final String SID_URL_PREFIX = "tag:microsoft.com,2022-09-14:sid:";

    private final X509Certificate certificate;
    private final List<String> upns = new ArrayList<>();
    private final List<String> dnsNames = new ArrayList<>();
    private final List<String> emails = new ArrayList<>();
    private final List<String> issuancePolicies = new ArrayList<>();
    private String sanUrlSid;
    private String sidExtension;

    /**
     * Reads the names of {@code certificate}; throws {@link IllegalArgumentException} naming what cannot be read when
     * its subject alternative name, SID extension or certificate policies are not what a CA writes (an otherName
     * without its value, an implicit tag where Windows writes an explicit one).
     */
    ClientCertificate(X509Certificate certificate) {
        this.certificate = certificate;
        String[] reading = {"the subject alternative name"};
        try {
            read(reading);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(reading[0] + " is not encoded as a Windows CA writes it (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", e);
        }
    }

    private void read(String[] reading) {
        byte[] san = certificate.getExtensionValue(Extension.subjectAlternativeName.getId());
        if (san != null) {
            for (GeneralName name : GeneralNames.getInstance(ASN1OctetString.getInstance(san).getOctets()).getNames()) {
                switch (name.getTagNo()) {
                    case GeneralName.otherName -> {
                        ASN1Sequence other = ASN1Sequence.getInstance(name.getName());
                        if (UPN.equals(other.getObjectAt(0))) {
                            upns.add(text(ASN1TaggedObject.getInstance(other.getObjectAt(1)).getExplicitBaseObject()));
                        }
                    }
                    case GeneralName.dNSName -> dnsNames.add(text(name.getName()));
                    case GeneralName.rfc822Name -> emails.add(text(name.getName()));
                    case GeneralName.uniformResourceIdentifier -> {
                        String url = text(name.getName());
                        if (url.regionMatches(true, 0, SID_URL_PREFIX, 0, SID_URL_PREFIX.length())) {
                            sanUrlSid = url.substring(SID_URL_PREFIX.length());
                        }
                    }
                    default -> {
                        // directory names and IP addresses map no account
                    }
                }
            }
        }
        reading[0] = "the certificate policies extension";
        byte[] policies = certificate.getExtensionValue(Extension.certificatePolicies.getId());
        if (policies != null) {
            for (PolicyInformation policy : CertificatePolicies.getInstance(ASN1OctetString.getInstance(policies).getOctets())
                    .getPolicyInformation()) {
                issuancePolicies.add(policy.getPolicyIdentifier().getId());
            }
        }
        reading[0] = "the SID extension " + SID_EXTENSION;
        byte[] sid = certificate.getExtensionValue(SID_EXTENSION);
        if (sid != null) {
            for (GeneralName name : GeneralNames.getInstance(ASN1OctetString.getInstance(sid).getOctets()).getNames()) {
                ASN1Sequence other = name.getTagNo() == GeneralName.otherName ? ASN1Sequence.getInstance(name.getName()) : null;
                if (other != null && NTDS_OBJECTSID.equals(other.getObjectAt(0))) {
                    ASN1Encodable value = ASN1TaggedObject.getInstance(other.getObjectAt(1)).getExplicitBaseObject();
                    sidExtension = new String(ASN1OctetString.getInstance(value).getOctets(), StandardCharsets.US_ASCII);
                }
            }
        }
    }

    private static String text(ASN1Encodable value) {
        return value instanceof ASN1String s ? s.getString() : value.toString();
    }

    X509Certificate certificate() {
        return certificate;
    }

    List<String> upns() {
        return List.copyOf(upns);
    }

    List<String> dnsNames() {
        return List.copyOf(dnsNames);
    }

    List<String> emails() {
        return List.copyOf(emails);
    }

    /** The SID of the security extension 1.3.6.1.4.1.311.25.2, or null when the CA wrote none. */
    String sidExtension() {
        return sidExtension;
    }

    /** The SID of a SAN URL {@code tag:microsoft.com,2022-09-14:sid:<SID>}, or null. */
    String sanUrlSid() {
        return sanUrlSid;
    }

    /** The certificate's issuance policies (certificatePolicies), the OIDs ESC13's group links hang on. */
    List<String> issuancePolicies() {
        return List.copyOf(issuancePolicies);
    }

    /** The subject in X.500 order, as altSecurityIdentities spells it: {@code DC=com,DC=contoso,CN=Users,CN=Administrator}. */
    String subject() {
        return x500Order(X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()));
    }

    String issuer() {
        return x500Order(X500Name.getInstance(certificate.getIssuerX500Principal().getEncoded()));
    }

    /** {@code X509:<I>issuer<SR>serial}, the serial's bytes reversed: a strong mapping. */
    String issuerSerialForm() {
        byte[] serial = certificate.getSerialNumber().toByteArray();
        byte[] reversed = new byte[serial.length];
        for (int i = 0; i < serial.length; i++) {
            reversed[i] = serial[serial.length - 1 - i];
        }
        return "X509:<I>" + issuer() + "<SR>" + HexFormat.of().formatHex(reversed);
    }

    /** {@code X509:<SKI>hex}: a strong mapping; null when the certificate has no subject key identifier. */
    String skiForm() {
        byte[] value = certificate.getExtensionValue(Extension.subjectKeyIdentifier.getId());
        return value == null ? null : "X509:<SKI>" + HexFormat.of().formatHex(
                SubjectKeyIdentifier.getInstance(ASN1OctetString.getInstance(value).getOctets()).getKeyIdentifier());
    }

    /** {@code X509:<SHA1-PUKEY>hex}, the SHA-1 of the whole SubjectPublicKeyInfo: a strong mapping. */
    String sha1PublicKeyForm() {
        try {
            byte[] spki = SubjectPublicKeyInfo.getInstance(certificate.getPublicKey().getEncoded()).getEncoded();
            return "X509:<SHA1-PUKEY>" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(spki));
        } catch (NoSuchAlgorithmException | java.io.IOException e) {
            throw new IllegalStateException("SHA-1 of a public key: " + e.getMessage(), e);
        }
    }

    /** Whether {@code dn} (X.500 or RFC 4514 order) is this certificate's issuer. */
    boolean namesIssuer(String dn) {
        return sameName(dn, X500Name.getInstance(certificate.getIssuerX500Principal().getEncoded()));
    }

    boolean namesSubject(String dn) {
        return sameName(dn, X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()));
    }

    /** The serial number in altSecurityIdentities' reversed-byte hex. */
    String reversedSerial() {
        String form = issuerSerialForm();
        return form.substring(form.lastIndexOf("<SR>") + 4);
    }

    private static boolean sameName(String written, X500Name actual) {
        try {
            X500Name parsed = new X500Name(BCStyle.INSTANCE, written.trim());
            RDN[] rdns = parsed.getRDNs();
            RDN[] reversed = new RDN[rdns.length];
            for (int i = 0; i < rdns.length; i++) {
                reversed[i] = rdns[rdns.length - 1 - i];
            }
            return BCStyle.INSTANCE.areEqual(parsed, actual) || BCStyle.INSTANCE.areEqual(new X500Name(reversed), actual);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static String x500Order(X500Name name) {
        RDN[] rdns = name.getRDNs();
        List<String> parts = new ArrayList<>();
        for (RDN rdn : rdns) {
            String type = BCStyle.INSTANCE.oidToDisplayName(rdn.getFirst().getType());
            parts.add((type == null ? rdn.getFirst().getType().getId() : type.toUpperCase(Locale.ROOT)) + "=" + text(rdn.getFirst().getValue()));
        }
        return String.join(",", parts);
    }

    @Override
    public String toString() {
        return describe(certificate);
    }

    /** How the DC names a certificate in its refusals and log: subject, serial and issuer. */
    static String describe(X509Certificate certificate) {
        return "'" + certificate.getSubjectX500Principal().getName() + "' (serial " + certificate.getSerialNumber().toString(16)
                + ", issued by '" + certificate.getIssuerX500Principal().getName() + "')";
    }
}
