package org.pkilab.directory;

import org.apache.directory.api.ldap.model.cursor.Cursor;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.filter.FilterParser;
import org.apache.directory.api.ldap.model.message.AliasDerefMode;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.server.core.api.CoreSession;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.pkilab.directory.model.DomainNames;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.CRLReason;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The checks a domain controller makes on a logon certificate before it maps it to an account, in this order,
 * each refused with the CryptoAPI code Windows logs and what to change:
 *
 * <ol>
 *   <li><b>NTAuth</b>: the certificate's issuer is one of the {@code cACertificate} values of
 *       {@code CN=NTAuthCertificates,CN=Public Key Services,CN=Services,CN=Configuration,...} and signed it
 *       ({@code 0x800B0112 CERT_E_UNTRUSTEDCA}); fix: {@code certutil -dspublish -f ca.cer NTAuthCA}.</li>
 *   <li><b>Validity</b> by the lab clock, the certificate's and its CA's ({@code 0x800B0101 CERT_E_EXPIRED}).</li>
 *   <li><b>Purpose</b>: when the Application Policies extension (1.3.6.1.4.1.311.21.10) is present Windows reads it
 *       instead of the EKU; either must hold Client Authentication, Smart Card Logon, PKINIT client or Any Purpose,
 *       and a certificate with neither extension is good for any purpose ({@code 0x800B0110 CERT_E_WRONG_USAGE}).</li>
 *   <li><b>Revocation</b>: the CRL is read from the DC's own directory, never fetched: the {@code ldap:///} URL of
 *       the certificate's CDP, else the {@code cRLDistributionPoint} under {@code CN=CDP,CN=Public Key Services,...}
 *       whose {@code certificateRevocationList} its issuer signed (where an enterprise CA publishes it), with the
 *       {@code deltaRevocationList} beside it; where several places hold one, the base with the highest CRL Number.
 *       Revoked: {@code 0x80092010 CRYPT_E_REVOKED}; no CRL, an expired base or delta CRL, or a delta CRL based on a
 *       newer base than the one published ({@code 0x80092013 CRYPT_E_REVOCATION_OFFLINE}), which fails a logon on
 *       Windows too.</li>
 * </ol>
 *
 * Every check reads the directory as it is now, so a CA certificate removed from NTAuth or a CRL just published
 * decides the next bind.
 */
final class CertificateTrust {

    static final String CLIENT_AUTHENTICATION = "1.3.6.1.5.5.7.3.2";
    static final String SMART_CARD_LOGON = "1.3.6.1.4.1.311.20.2.2";
    static final String PKINIT_CLIENT = "1.3.6.1.5.2.3.4";
    static final String ANY_PURPOSE = "2.5.29.37.0";
    static final String APPLICATION_POLICIES = "1.3.6.1.4.1.311.21.10";
    private static final Set<String> LOGON_PURPOSES = Set.of(CLIENT_AUTHENTICATION, SMART_CARD_LOGON, PKINIT_CLIENT, ANY_PURPOSE);
    private static final Map<String, String> PURPOSE_NAMES = Map.of(CLIENT_AUTHENTICATION, "Client Authentication",
            SMART_CARD_LOGON, "Smart Card Logon", PKINIT_CLIENT, "PKINIT client", ANY_PURPOSE, "Any Purpose",
            "1.3.6.1.5.5.7.3.1", "Server Authentication", "1.3.6.1.4.1.311.20.2.1", "Certificate Request Agent",
            "1.3.6.1.5.5.7.3.4", "Secure Email", "1.3.6.1.5.5.7.3.3", "Code Signing");

    /** Why a certificate may not log on: AD's {@code data} code, the check, and what to change. */
    record Refusal(String data, String check, String why) {
    }

    private final CoreSession admin;
    private final SchemaManager schema;
    private final DomainNames names;

    CertificateTrust(CoreSession admin, SchemaManager schema, DomainNames names) {
        this.admin = admin;
        this.schema = schema;
        this.names = names;
    }

    /**
     * Null when every check passes; else the first that fails. It reads only what the certificate's own parser checked
     * (issuer, signature, dates, EKU), so a certificate whose names cannot be read is refused here by NTAuth when an
     * untrusted client sent it, before anything parses its subject alternative name.
     */
    Refusal check(X509Certificate leaf, Instant now) throws LdapException {
        String client = ClientCertificate.describe(leaf);
        X509Certificate ca = ntAuthIssuer(leaf);
        if (ca == null) {
            return new Refusal("800b0112", "NTAuth", "0x800B0112 CERT_E_UNTRUSTEDCA: the certificate " + client + " was not issued by a CA in "
                    + names.ntAuthCertificates() + " (the NTAuth store holds " + ntAuthSubjects() + "); a DC takes logon certificates "
                    + "only from CAs published there: publish the CA's certificate with 'certutil -dspublish -f ca.cer NTAuthCA' "
                    + "(an enterprise CA does so at setup)");
        }
        for (X509Certificate certificate : List.of(leaf, ca)) {
            Date date = Date.from(now);
            if (date.before(certificate.getNotBefore()) || date.after(certificate.getNotAfter())) {
                return new Refusal("800b0101", "validity", "0x800B0101 CERT_E_EXPIRED: '" + certificate.getSubjectX500Principal().getName()
                        + "' is valid from " + certificate.getNotBefore().toInstant() + " to " + certificate.getNotAfter().toInstant()
                        + ", and the lab clock says " + now + "; enroll for a new certificate");
            }
        }
        String purpose = purposeRefusal(leaf);
        if (purpose != null) {
            return new Refusal("800b0110", "purpose", "0x800B0110 CERT_E_WRONG_USAGE: " + client + " " + purpose
                    + "; logon needs Client Authentication (1.3.6.1.5.5.7.3.2), Smart Card Logon (1.3.6.1.4.1.311.20.2.2), PKINIT "
                    + "client (1.3.6.1.5.2.3.4) or Any Purpose (2.5.29.37.0): enroll from a template whose Extensions tab has one");
        }
        return revocation(leaf, client, ca, now);
    }

    /** The CA certificate in NTAuthCertificates that issued and signed {@code leaf}, or null. */
    private X509Certificate ntAuthIssuer(X509Certificate leaf) throws LdapException {
        for (X509Certificate ca : ntAuth()) {
            if (ca.getSubjectX500Principal().equals(leaf.getIssuerX500Principal())) {
                try {
                    leaf.verify(ca.getPublicKey());
                    return ca;
                } catch (GeneralSecurityException e) {
                    // a CA of the same name with another key: not this certificate's issuer
                }
            }
        }
        return null;
    }

    private List<X509Certificate> ntAuth() throws LdapException {
        Dn dn = new Dn(schema, names.ntAuthCertificates());
        if (!admin.exists(dn)) {
            return List.of();
        }
        Attribute values = admin.lookup(dn, "cACertificate").get("cACertificate");
        List<X509Certificate> certificates = new ArrayList<>();
        if (values != null) {
            for (Value value : values) {
                try {
                    certificates.add((X509Certificate) CertificateFactory.getInstance("X.509")
                            .generateCertificate(new ByteArrayInputStream(value.getBytes())));
                } catch (GeneralSecurityException e) {
                    // a value that is no certificate trusts no one
                }
            }
        }
        return certificates;
    }

    private String ntAuthSubjects() throws LdapException {
        List<String> subjects = ntAuth().stream().map(c -> "'" + c.getSubjectX500Principal().getName() + "'").toList();
        return subjects.isEmpty() ? "no certificate" : String.join(", ", subjects);
    }

    /** Null when the certificate may log on by its Application Policies or EKU; else what it holds instead. */
    static String purposeRefusal(X509Certificate leaf) {
        byte[] policies = leaf.getExtensionValue(APPLICATION_POLICIES);
        if (policies != null) {
            List<String> oids = new ArrayList<>();
            try {
                for (var policy : ASN1Sequence.getInstance(ASN1OctetString.getInstance(policies).getOctets())) {
                    oids.add(ASN1Sequence.getInstance(policy).getObjectAt(0).toString());
                }
            } catch (RuntimeException e) {
                return "has an Application Policies extension that cannot be read (" + e.getMessage() + ")";
            }
            return oids.stream().anyMatch(LOGON_PURPOSES::contains) ? null
                    : "has Application Policies " + named(oids) + " (which Windows reads instead of its EKU)";
        }
        List<String> eku;
        try {
            eku = leaf.getExtendedKeyUsage();
        } catch (java.security.cert.CertificateParsingException e) {
            return "has an EKU extension that cannot be read";
        }
        return eku == null || eku.stream().anyMatch(LOGON_PURPOSES::contains) ? null : "has the EKU " + named(eku);
    }

    private static String named(List<String> oids) {
        return oids.stream().map(o -> PURPOSE_NAMES.containsKey(o) ? PURPOSE_NAMES.get(o) + " (" + o + ")" : o).toList().toString();
    }

    private Refusal revocation(X509Certificate leaf, String client, X509Certificate ca, Instant now) throws LdapException {
        List<Entry> holders = new ArrayList<>();
        List<String> ldapUrls = ldapCdpUrls(leaf);
        for (String url : ldapUrls) {
            try {
                Dn dn = new Dn(schema, url);
                if (admin.exists(dn)) {
                    holders.add(admin.lookup(dn, "certificateRevocationList", "deltaRevocationList"));
                }
            } catch (org.apache.directory.api.ldap.model.exception.LdapInvalidDnException e) {
                // a CDP URL whose DN is no DN names no CRL: the offline refusal below says where the DC looked
            }
        }
        if (ldapUrls.isEmpty()) {
            holders.addAll(cdpObjects());
        }
        String where = ldapUrls.isEmpty() ? "under " + names.cdp() : "at " + String.join(", ", ldapUrls);
        X509CRL base = null;
        X509CRL delta = null;
        for (Entry holder : holders) {
            // every place may hold a CRL of this CA: the newest (highest CRL Number) is the one that says the most
            X509CRL found = signedBy(holder.get("certificateRevocationList"), ca);
            if (found != null && (base == null || crlNumber(found, Extension.cRLNumber).compareTo(crlNumber(base, Extension.cRLNumber)) > 0)) {
                base = found;
                delta = signedBy(holder.get("deltaRevocationList"), ca);
            }
        }
        Date date = Date.from(now);
        if (base == null || (base.getNextUpdate() != null && date.after(base.getNextUpdate()))) {
            return new Refusal("80092013", "revocation", "0x80092013 CRYPT_E_REVOCATION_OFFLINE: " + (base == null
                    ? "no CRL signed by '" + ca.getSubjectX500Principal().getName() + "' is published " + where
                    : "the CRL " + where + " expired at " + base.getNextUpdate().toInstant() + " (lab clock " + now + ")")
                    + "; the DC cannot tell whether " + client + " is revoked: publish a new CRL on the CA (certutil -crl)");
        }
        if (delta != null && delta.getNextUpdate() != null && date.after(delta.getNextUpdate())) {
            return new Refusal("80092013", "revocation", "0x80092013 CRYPT_E_REVOCATION_OFFLINE: the delta CRL " + where + " expired at "
                    + delta.getNextUpdate().toInstant() + " (lab clock " + now + "); the DC cannot tell whether " + client
                    + " was revoked since the base CRL: publish a new delta CRL on the CA (certutil -crl delta)");
        }
        if (delta != null) {
            BigInteger deltaBase = crlNumber(delta, Extension.deltaCRLIndicator);
            BigInteger baseNumber = crlNumber(base, Extension.cRLNumber);
            if (deltaBase.signum() < 0 || deltaBase.compareTo(baseNumber) > 0) {
                return new Refusal("80092013", "revocation", "0x80092013 CRYPT_E_REVOCATION_OFFLINE: the delta CRL " + where
                        + (deltaBase.signum() < 0 ? " has no Delta CRL Indicator (2.5.29.27)" : " is based on base CRL number " + deltaBase)
                        + ", and the base CRL published there is number " + baseNumber + "; the DC cannot tell whether " + client
                        + " is revoked: publish the CA's current base and delta CRLs together (certutil -crl)");
            }
        }
        X509CRLEntry entry = base.getRevokedCertificate(leaf.getSerialNumber());
        X509CRLEntry deltaEntry = delta == null ? null : delta.getRevokedCertificate(leaf.getSerialNumber());
        if (deltaEntry != null) {
            entry = deltaEntry.getRevocationReason() == CRLReason.REMOVE_FROM_CRL ? null : deltaEntry;
        }
        if (entry != null) {
            return new Refusal("80092010", "revocation", "0x80092010 CRYPT_E_REVOKED: " + client + " was revoked on "
                    + entry.getRevocationDate().toInstant() + (entry.getRevocationReason() == null ? "" : " (" + entry.getRevocationReason() + ")")
                    + " by the CRL " + where + "; enroll for a new certificate");
        }
        return null;
    }

    /** The CRL Number (or the Delta CRL Indicator's base number) of {@code crl}; -1 when it has none. */
    private static BigInteger crlNumber(X509CRL crl, org.bouncycastle.asn1.ASN1ObjectIdentifier extension) {
        byte[] value = crl.getExtensionValue(extension.getId());
        if (value == null) {
            return BigInteger.ONE.negate();
        }
        try {
            return ASN1Integer.getInstance(ASN1OctetString.getInstance(value).getOctets()).getValue();
        } catch (RuntimeException e) {
            return BigInteger.ONE.negate();
        }
    }

    private static X509CRL signedBy(Attribute values, X509Certificate ca) {
        if (values == null) {
            return null;
        }
        for (Value value : values) {
            try {
                X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(value.getBytes()));
                if (crl.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
                    crl.verify(ca.getPublicKey());
                    return crl;
                }
            } catch (GeneralSecurityException e) {
                // not a CRL of this CA
            }
        }
        return null;
    }

    /** The DNs of the certificate's {@code ldap:///DN?attribute?base?...} CDP URLs. */
    static List<String> ldapCdpUrls(X509Certificate certificate) {
        byte[] value = certificate.getExtensionValue(Extension.cRLDistributionPoints.getId());
        List<String> dns = new ArrayList<>();
        if (value == null) {
            return dns;
        }
        for (DistributionPoint point : CRLDistPoint.getInstance(ASN1OctetString.getInstance(value).getOctets()).getDistributionPoints()) {
            DistributionPointName name = point.getDistributionPoint();
            if (name == null || name.getType() != DistributionPointName.FULL_NAME) {
                continue;
            }
            for (GeneralName url : GeneralNames.getInstance(name.getName()).getNames()) {
                String text = url.getTagNo() == GeneralName.uniformResourceIdentifier ? url.getName().toString() : "";
                if (text.regionMatches(true, 0, "ldap:///", 0, 8)) {
                    int query = text.indexOf('?');
                    dns.add(URLDecoder.decode(text.substring(8, query < 0 ? text.length() : query), StandardCharsets.UTF_8));
                }
            }
        }
        return dns;
    }

    private List<Entry> cdpObjects() throws LdapException {
        Dn cdp = new Dn(schema, names.cdp());
        List<Entry> found = new ArrayList<>();
        if (!admin.exists(cdp)) {
            return found;
        }
        try (Cursor<Entry> cursor = admin.search(cdp, SearchScope.SUBTREE, FilterParser.parse(schema, "(certificateRevocationList=*)"),
                AliasDerefMode.NEVER_DEREF_ALIASES, "certificateRevocationList", "deltaRevocationList")) {
            while (cursor.next()) {
                found.add(cursor.get());
            }
        } catch (LdapException e) {
            throw e;
        } catch (Exception e) {
            throw new LdapException(e);
        }
        return found;
    }
}
