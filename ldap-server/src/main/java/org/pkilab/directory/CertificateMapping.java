package org.pkilab.directory;

import org.apache.directory.api.ldap.model.cursor.Cursor;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.filter.EqualityNode;
import org.apache.directory.api.ldap.model.filter.ExprNode;
import org.apache.directory.api.ldap.model.filter.PresenceNode;
import org.apache.directory.api.ldap.model.message.AliasDerefMode;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.server.core.api.CoreSession;
import org.pkilab.directory.model.CertificateMappingSettings;
import org.pkilab.directory.model.CertificateMappingSettings.Method;
import org.pkilab.directory.model.SecurityIdentifier;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Maps a logon certificate to an account as a Windows DC does since KB5014754 ([MS-PKCA] 3.1.5.2.1), for an
 * LDAP SASL EXTERNAL bind (Schannel). The rule implemented:
 *
 * <ol>
 *   <li><b>KDC mapping</b> (Schannel asks the KDC through S4U2Self; {@code CertificateMappingMethods} 0x8 for the
 *       implicit names, 0x10 for altSecurityIdentities):
 *     <ol type="a">
 *       <li>a <em>strong explicit</em> {@code altSecurityIdentities} value ({@code X509:<I>issuer<SR>serial},
 *           {@code X509:<SKI>}, {@code X509:<SHA1-PUKEY>}) names the account: mapped strongly, nothing more checked;</li>
 *       <li>else a <em>weak</em> mapping finds it: an explicit {@code X509:<I>..<S>..}, {@code X509:<S>..} or
 *           {@code X509:<RFC822>..}; or the SAN's UPN (userPrincipalName, else the part before {@code @} as
 *           sAMAccountName, then with {@code $}: how ESC9 reaches Administrator); or the SAN's DNS name
 *           (dNSHostName, else the first label and {@code $});</li>
 *       <li>a weak mapping is made strong by a SID that names the same account: the security extension
 *           1.3.6.1.4.1.311.25.2, else the SAN URL {@code tag:microsoft.com,2022-09-14:sid:<SID>}. A SID naming
 *           another account fails the logon under enforcement 1 and 2 (<b>event 41</b>,
 *           KDC_ERR_CERTIFICATE_MISMATCH);</li>
 *       <li>a mapping left weak: under {@code StrongCertificateBindingEnforcement} 2 refused (<b>event 39</b>); under
 *           1 accepted (event 39 as a warning) unless the certificate's notBefore predates the account's
 *           {@code whenCreated} (<b>event 40</b>); under 0 accepted with no strong-mapping check at all.</li>
 *     </ol></li>
 *   <li><b>Schannel's own methods</b>, tried only when the KDC refused: 0x4 maps the SAN's UPN itself, with none of the
 *       rules above (ESC10 case 2: a SID extension naming another account does not matter); 0x1 an explicit
 *       {@code X509:<I>..<S>..} and 0x2 an issuer-only {@code X509:<I>..} value, also without the KDC's rules.</li>
 * </ol>
 *
 * <pre>
 * UPN administrator@contoso.com + SID extension of Administrator      strong, any enforcement
 * UPN administrator@contoso.com, no SID (ESC9 / ESC16)                 refused under 2 (event 39); accepted under 1
 * UPN administrator@contoso.com + SID extension of CONTOSO\alice       refused under 1 and 2 (event 41)
 * the same under CertificateMappingMethods 0x1C                        accepted: Schannel maps the UPN (0x4)
 * </pre>
 */
final class CertificateMapping {

    private static final DateTimeFormatter GENERALIZED_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss[.S][.SSS]'Z'", Locale.ROOT);
    private static final String[] ACCOUNT_ATTRIBUTES = {"objectSid", "sAMAccountName", "whenCreated", "userAccountControl",
            "altSecurityIdentities"};

    /** The account a certificate maps to, how, and whether strongly; or why it maps to none. */
    record Result(Entry account, String mapping, boolean strong, String warning, int event, String refusal) {
        static Result refused(int event, String refusal) {
            return new Result(null, null, false, null, event, refusal);
        }

        boolean accepted() {
            return account != null;
        }
    }

    private final CoreSession admin;
    private final SchemaManager schema;
    private final Dn domain;
    private final String dnsName;

    CertificateMapping(CoreSession admin, SchemaManager schema, Dn domain, String dnsName) {
        this.admin = admin;
        this.schema = schema;
        this.domain = domain;
        this.dnsName = dnsName;
    }

    Result map(ClientCertificate cert, CertificateMappingSettings settings) throws LdapException {
        int methods = settings.certificateMappingMethods();
        Result kdc = Method.S4U2SELF.isSetIn(methods) || Method.S4U2SELF_EXPLICIT.isSetIn(methods) ? kdc(cert, settings)
                : Result.refused(0, "CertificateMappingMethods 0x" + Integer.toHexString(methods) + " has neither S4U2Self bit (0x8, 0x10): "
                + "Schannel does not ask the KDC");
        if (kdc.accepted()) {
            return kdc;
        }
        List<String> tried = new ArrayList<>();
        if (Method.UPN.isSetIn(methods)) {
            for (String upn : cert.upns()) {
                Entry account = byUpn(upn);
                if (account != null) {
                    return accepted(account, "Schannel UPN mapping of '" + upn + "' (CertificateMappingMethods 0x4: no strong-mapping "
                            + "check, whatever the SID extension says)", false, bypassed(kdc));
                }
                tried.add("UPN '" + upn + "' names no account");
            }
        }
        for (Method method : List.of(Method.SUBJECT_ISSUER, Method.ISSUER)) {
            if (method.isSetIn(methods)) {
                for (Map.Entry<Entry, String> found : explicit(cert).entrySet()) {
                    String value = found.getValue();
                    boolean issuerOnly = value.toUpperCase(Locale.ROOT).startsWith("X509:<I>") && !value.toUpperCase(Locale.ROOT).contains("<S");
                    boolean subjectIssuer = value.toUpperCase(Locale.ROOT).contains("<I>") && value.toUpperCase(Locale.ROOT).contains("<S>");
                    if (method == Method.ISSUER ? issuerOnly : subjectIssuer) {
                        return accepted(found.getKey(), "Schannel explicit mapping '" + value + "' (CertificateMappingMethods 0x"
                                + Integer.toHexString(method.value()) + ")", false, bypassed(kdc));
                    }
                }
            }
        }
        return tried.isEmpty() ? kdc : Result.refused(kdc.event(), kdc.refusal() + "; Schannel's UPN mapping (0x4): " + String.join(", ", tried));
    }

    private Result kdc(ClientCertificate cert, CertificateMappingSettings settings) throws LdapException {
        int methods = settings.certificateMappingMethods();
        int enforcement = settings.strongCertificateBindingEnforcement();
        Map<Entry, String> explicit = Method.S4U2SELF_EXPLICIT.isSetIn(methods) ? explicit(cert) : Map.of();
        for (Map.Entry<Entry, String> found : explicit.entrySet()) {
            if (strongForm(found.getValue())) {
                return accepted(found.getKey(), "strong explicit mapping altSecurityIdentities '" + found.getValue() + "'", true, null);
            }
        }
        Entry weak = null;
        String how = null;
        for (Map.Entry<Entry, String> found : explicit.entrySet()) {
            weak = found.getKey();
            how = "weak explicit mapping altSecurityIdentities '" + found.getValue() + "'";
        }
        if (weak == null && Method.S4U2SELF.isSetIn(methods)) {
            for (String upn : cert.upns()) {
                weak = byUpn(upn);
                if (weak != null) {
                    how = "implicit UPN mapping of '" + upn + "'";
                    break;
                }
            }
            for (String dns : weak == null ? cert.dnsNames() : List.<String>of()) {
                weak = byDnsName(dns);
                if (weak != null) {
                    how = "implicit DNS mapping of '" + dns + "'";
                    break;
                }
            }
        }
        if (weak == null) {
            return Result.refused(0, "KDC_ERR_C_PRINCIPAL_UNKNOWN: no account maps to " + cert + ": it names UPN " + cert.upns()
                    + ", DNS " + cert.dnsNames() + " and no altSecurityIdentities value of any account matches it"
                    + " (CertificateMappingMethods 0x" + Integer.toHexString(methods) + "): enroll for a certificate that names the "
                    + "account's UPN or DNS name, or add a mapping (X509:<I>..<SR>..) to the account's altSecurityIdentities");
        }
        SecurityIdentifier sid = SecurityIdentifier.fromBytes(weak.get("objectSid").getBytes());
        String account = weak.get("sAMAccountName").getString();
        if (enforcement == 0) {
            return accepted(weak, how + " (StrongCertificateBindingEnforcement 0: no strong-mapping check)", false, null);
        }
        for (String[] named : new String[][]{{cert.sidExtension(), "SID extension 1.3.6.1.4.1.311.25.2"},
                {cert.sanUrlSid(), "SAN URL " + ClientCertificate.SID_URL_PREFIX + "<SID>"}}) {
            if (named[0] == null) {
                continue;
            }
            if (named[0].equalsIgnoreCase(sid.toString())) {
                return accepted(weak, how + ", made strong by the " + named[1] + " " + named[0], true, null);
            }
            return Result.refused(41, "event 41 (KDC_ERR_CERTIFICATE_MISMATCH): the certificate's " + named[1] + " is " + named[0]
                    + ", but its " + how + " finds " + account + " (" + sid + "); StrongCertificateBindingEnforcement "
                    + enforcement + " (" + settings.enforcementName() + ") refuses a SID naming another account: use a certificate "
                    + "issued to " + account);
        }
        if (enforcement == 2) {
            return Result.refused(39, "event 39: the " + how + " finds " + account + ", a weak mapping, and the certificate carries no SID "
                    + "(no 1.3.6.1.4.1.311.25.2 extension, no SAN URL SID); StrongCertificateBindingEnforcement 2 (Full Enforcement) "
                    + "takes only strong mappings: enroll from a template that writes the SID extension, add a strong "
                    + "altSecurityIdentities mapping (X509:<I>..<SR>.., X509:<SKI>.., X509:<SHA1-PUKEY>..) to " + account
                    + ", or (not recommended) set StrongCertificateBindingEnforcement to 1");
        }
        Instant created = whenCreated(weak);
        if (created != null && cert.certificate().getNotBefore().toInstant().isBefore(created)) {
            return Result.refused(40, "event 40: the " + how + " finds " + account + ", a weak mapping, and the certificate (valid from "
                    + cert.certificate().getNotBefore().toInstant() + ") predates the account (whenCreated " + created + ");"
                    + " StrongCertificateBindingEnforcement 1 (Compatibility) refuses it: enroll for a new certificate, or map it strongly");
        }
        return accepted(weak, how, false, "event 39 (warning): " + account + " logged on with a weak mapping under "
                + "StrongCertificateBindingEnforcement 1; Full Enforcement (2) would refuse it");
    }

    /** What the DC's log says when one of Schannel's own methods maps a certificate the KDC's rules refused (ESC10). */
    private static String bypassed(Result kdc) {
        return "Schannel's own mapping took a certificate the KDC's rules refuse (" + kdc.refusal() + "); clear bits 0x1, 0x2 and 0x4 "
                + "of CertificateMappingMethods to close this path";
    }

    private static Result accepted(Entry account, String how, boolean strong, String warning) {
        return new Result(account, how, strong, warning, 0, null);
    }

    private static boolean strongForm(String value) {
        String upper = value.toUpperCase(Locale.ROOT);
        return upper.contains("<SR>") || upper.startsWith("X509:<SKI>") || upper.startsWith("X509:<SHA1-PUKEY>");
    }

    /** Every account one of whose altSecurityIdentities values names this certificate, with that value. */
    private Map<Entry, String> explicit(ClientCertificate cert) throws LdapException {
        Map<Entry, String> found = new LinkedHashMap<>();
        for (Entry entry : search(new PresenceNode(schema.getAttributeType("altSecurityIdentities")))) {
            for (Value value : entry.get("altSecurityIdentities")) {
                String text = value.getString();
                if (names(cert, text)) {
                    found.putIfAbsent(entry, text);
                }
            }
        }
        return found;
    }

    /** Whether an altSecurityIdentities value names the certificate (the forms of {@link ClientCertificate}). */
    static boolean names(ClientCertificate cert, String value) {
        String upper = value.toUpperCase(Locale.ROOT);
        if (!upper.startsWith("X509:")) {
            return false;
        }
        if (upper.startsWith("X509:<SKI>")) {
            return value.equalsIgnoreCase(cert.skiForm());
        }
        if (upper.startsWith("X509:<SHA1-PUKEY>")) {
            return value.equalsIgnoreCase(cert.sha1PublicKeyForm());
        }
        if (upper.startsWith("X509:<RFC822>")) {
            return cert.emails().stream().anyMatch(e -> e.equalsIgnoreCase(value.substring(13)));
        }
        int issuer = upper.indexOf("<I>");
        int subject = upper.indexOf("<S>");
        int serial = upper.indexOf("<SR>");
        if (issuer == 5 && serial > issuer) {
            return cert.namesIssuer(value.substring(8, serial)) && value.substring(serial + 4).equalsIgnoreCase(cert.reversedSerial());
        }
        if (issuer == 5 && subject > issuer) {
            return cert.namesIssuer(value.substring(8, subject)) && cert.namesSubject(value.substring(subject + 3));
        }
        if (issuer == 5) {
            return cert.namesIssuer(value.substring(8));
        }
        return subject == 5 && cert.namesSubject(value.substring(8));
    }

    /** The KDC's implicit UPN mapping: userPrincipalName; else the name before {@code @} as sAMAccountName, then with {@code $}. */
    Entry byUpn(String upn) throws LdapException {
        List<Entry> holders = search(equality("userPrincipalName", upn));
        if (holders.size() == 1) {
            return holders.get(0);
        }
        int at = upn.lastIndexOf('@');
        if (at >= 0 && !upn.substring(at + 1).equalsIgnoreCase(dnsName)) {
            return null;
        }
        String name = at < 0 ? upn : upn.substring(0, at);
        return bySamAccountName(name.endsWith("$") ? List.of(name) : List.of(name, name + "$"));
    }

    private Entry byDnsName(String dns) throws LdapException {
        List<Entry> holders = search(equality("dNSHostName", dns));
        if (holders.size() == 1) {
            return holders.get(0);
        }
        int dot = dns.indexOf('.');
        return bySamAccountName(List.of((dot < 0 ? dns : dns.substring(0, dot)) + "$"));
    }

    private Entry bySamAccountName(List<String> names) throws LdapException {
        for (String name : names) {
            List<Entry> holders = search(equality("sAMAccountName", name));
            if (holders.size() == 1) {
                return holders.get(0);
            }
        }
        return null;
    }

    private ExprNode equality(String attribute, String value) throws LdapException {
        return new EqualityNode<>(schema.getAttributeType(attribute), new Value(schema.getAttributeType(attribute), value));
    }

    private List<Entry> search(ExprNode filter) throws LdapException {
        List<Entry> result = new ArrayList<>();
        try (Cursor<Entry> cursor = admin.search(domain, SearchScope.SUBTREE, filter, AliasDerefMode.NEVER_DEREF_ALIASES, ACCOUNT_ATTRIBUTES)) {
            while (cursor.next()) {
                Entry entry = cursor.get();
                if (entry.get("objectSid") != null && entry.get("sAMAccountName") != null) {
                    result.add(entry);
                }
            }
        } catch (LdapException e) {
            throw e;
        } catch (Exception e) {
            throw new LdapException(e);
        }
        return result;
    }

    private static Instant whenCreated(Entry account) throws LdapException {
        Attribute created = account.get("whenCreated");
        if (created == null) {
            return null;
        }
        try {
            return LocalDateTime.parse(created.getString(), GENERALIZED_TIME).toInstant(ZoneOffset.UTC);
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }
}
