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
 *   <li>Only a user or computer account (sAMAccountType 0x30000000 or 0x30000001) is ever mapped: a group also has
 *       objectSid and sAMAccountName, but a certificate naming {@code Domain Admins@contoso.com} names no principal.</li>
 *   <li><b>KDC mapping</b> (Schannel asks the KDC through S4U2Self; {@code CertificateMappingMethods} 0x8 for the
 *       implicit names, 0x10 for altSecurityIdentities):
 *     <ol type="a">
 *       <li>a <em>strong explicit</em> {@code altSecurityIdentities} value ({@code X509:<I>issuer<SR>serial},
 *           {@code X509:<SKI>}, {@code X509:<SHA1-PUKEY>}) names the account: mapped strongly, nothing more checked;</li>
 *       <li>else a <em>weak</em> mapping finds it: an explicit {@code X509:<I>..<S>..}, {@code X509:<S>..} or
 *           {@code X509:<RFC822>..} (never an issuer-only {@code X509:<I>..}, Schannel's many-to-one form); or the SAN's UPN (userPrincipalName, else the part before {@code @} as
 *           sAMAccountName, then with {@code $}: how ESC9 reaches Administrator); or the SAN's DNS name
 *           (dNSHostName, else the first label and {@code $});</li>
 *       <li>every weak mapping is a candidate, explicit and implicit alike ([MS-PKCA] 3.1.5.2.1.5): the one whose
 *           objectSid the certificate names (the security extension 1.3.6.1.4.1.311.25.2, else the SAN URL
 *           {@code tag:microsoft.com,2022-09-14:sid:<SID>}) is mapped strongly, so an {@code X509:<S>} value on bob
 *           that happens to match alice's subject does not take alice's logon. A SID naming none of them fails the
 *           logon under enforcement 1 and 2 (<b>event 41</b>, KDC_ERR_CERTIFICATE_MISMATCH); several candidates and
 *           no SID to choose are refused as ambiguous (KDC_ERR_C_PRINCIPAL_UNKNOWN);</li>
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
            "altSecurityIdentities", "sAMAccountType", "objectClass"};
    private static final int SAM_NORMAL_USER_ACCOUNT = 0x30000000;
    private static final int SAM_MACHINE_ACCOUNT = 0x30000001;

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
                if (account != null && account(account, tried, "Schannel's UPN mapping of '" + upn + "'")) {
                    return accepted(account, "Schannel UPN mapping of '" + upn + "' (CertificateMappingMethods 0x4: no strong-mapping "
                            + "check, whatever the SID extension says)", false, bypassed(kdc));
                }
                if (account == null) {
                    tried.add("UPN '" + upn + "' names no account");
                }
            }
        }
        for (Method method : List.of(Method.SUBJECT_ISSUER, Method.ISSUER)) {
            if (method.isSetIn(methods)) {
                for (Map.Entry<Entry, String> found : explicit(cert).entrySet()) {
                    String value = found.getValue();
                    boolean issuerOnly = value.toUpperCase(Locale.ROOT).startsWith("X509:<I>") && !value.toUpperCase(Locale.ROOT).contains("<S");
                    boolean subjectIssuer = value.toUpperCase(Locale.ROOT).contains("<I>") && value.toUpperCase(Locale.ROOT).contains("<S>");
                    if ((method == Method.ISSUER ? issuerOnly : subjectIssuer)
                            && account(found.getKey(), tried, "Schannel's explicit mapping '" + value + "'")) {
                        return accepted(found.getKey(), "Schannel explicit mapping '" + value + "' (CertificateMappingMethods 0x"
                                + Integer.toHexString(method.value()) + ")", false, bypassed(kdc));
                    }
                }
            }
        }
        return tried.isEmpty() ? kdc : Result.refused(kdc.event(), kdc.refusal() + "; Schannel's own mappings: " + String.join(", ", tried));
    }

    private Result kdc(ClientCertificate cert, CertificateMappingSettings settings) throws LdapException {
        int methods = settings.certificateMappingMethods();
        int enforcement = settings.strongCertificateBindingEnforcement();
        List<String> notAccounts = new ArrayList<>();
        Map<Entry, String> explicit = new LinkedHashMap<>();
        if (Method.S4U2SELF_EXPLICIT.isSetIn(methods)) {
            for (Map.Entry<Entry, String> found : explicit(cert).entrySet()) {
                if (kdcForm(found.getValue()) && account(found.getKey(), notAccounts, "altSecurityIdentities '" + found.getValue() + "'")) {
                    explicit.put(found.getKey(), found.getValue());
                }
            }
        }
        for (Map.Entry<Entry, String> found : explicit.entrySet()) {
            if (strongForm(found.getValue())) {
                return accepted(found.getKey(), "strong explicit mapping altSecurityIdentities '" + found.getValue() + "'", true, null);
            }
        }
        // [MS-PKCA] 3.1.5.2.1: every weak mapping is a candidate; the certificate's SID, when it has one, picks among them
        Map<String, Entry> candidates = new LinkedHashMap<>();
        Map<String, String> hows = new LinkedHashMap<>();
        for (Map.Entry<Entry, String> found : explicit.entrySet()) {
            candidate(candidates, hows, found.getKey(), "weak explicit mapping altSecurityIdentities '" + found.getValue() + "'");
        }
        if (Method.S4U2SELF.isSetIn(methods)) {
            for (String upn : cert.upns()) {
                Entry found = byUpn(upn);
                if (found != null && account(found, notAccounts, "the implicit UPN mapping of '" + upn + "'")) {
                    candidate(candidates, hows, found, "implicit UPN mapping of '" + upn + "'");
                    break;
                }
            }
            for (String dns : cert.dnsNames()) {
                Entry found = byDnsName(dns);
                if (found != null && account(found, notAccounts, "the implicit DNS mapping of '" + dns + "'")) {
                    candidate(candidates, hows, found, "implicit DNS mapping of '" + dns + "'");
                    break;
                }
            }
        }
        if (candidates.isEmpty()) {
            return Result.refused(0, "KDC_ERR_C_PRINCIPAL_UNKNOWN: no account maps to " + cert + ": it names UPN " + cert.upns()
                    + ", DNS " + cert.dnsNames() + " and no altSecurityIdentities value of any account matches it in a form the KDC "
                    + "takes (X509:<I>..<SR>.., <SKI>, <SHA1-PUKEY>, <I>..<S>.., <S>.., <RFC822>)"
                    + (notAccounts.isEmpty() ? "" : "; " + String.join("; ", notAccounts))
                    + " (CertificateMappingMethods 0x" + Integer.toHexString(methods) + "): enroll for a certificate that names the "
                    + "account's UPN or DNS name, or add a mapping (X509:<I>..<SR>..) to the account's altSecurityIdentities");
        }
        String[] certSid = cert.sidExtension() != null ? new String[]{cert.sidExtension(), "SID extension 1.3.6.1.4.1.311.25.2"}
                : cert.sanUrlSid() != null ? new String[]{cert.sanUrlSid(), "SAN URL " + ClientCertificate.SID_URL_PREFIX + "<SID>"} : null;
        if (certSid != null) {
            for (Map.Entry<String, Entry> named : candidates.entrySet()) {
                if (certSid[0].equalsIgnoreCase(sidOf(named.getValue()).toString())) {
                    String how = hows.get(named.getKey());
                    return enforcement == 0
                            ? accepted(named.getValue(), how + " (StrongCertificateBindingEnforcement 0: no strong-mapping check)", false, null)
                            : accepted(named.getValue(), how + ", made strong by the " + certSid[1] + " " + certSid[0], true, null);
                }
            }
        }
        if (candidates.size() > 1 && (certSid == null || enforcement == 0)) {
            return Result.refused(0, "KDC_ERR_C_PRINCIPAL_UNKNOWN: the certificate maps weakly to " + candidates.size() + " accounts ("
                    + describe(candidates, hows) + ") and carries no SID that names one of them; the KDC takes no ambiguous mapping: "
                    + "remove the altSecurityIdentities values that name another account's certificate, or map it strongly "
                    + "(X509:<I>..<SR>..)");
        }
        Map.Entry<String, Entry> only = candidates.entrySet().iterator().next();
        Entry weak = only.getValue();
        String how = hows.get(only.getKey());
        SecurityIdentifier sid = sidOf(weak);
        String account = weak.get("sAMAccountName").getString();
        if (enforcement == 0) {
            return accepted(weak, how + " (StrongCertificateBindingEnforcement 0: no strong-mapping check)", false, null);
        }
        if (certSid != null) {
            return Result.refused(41, "event 41 (KDC_ERR_CERTIFICATE_MISMATCH): the certificate's " + certSid[1] + " is " + certSid[0]
                    + ", but its mapping finds " + describe(candidates, hows) + "; StrongCertificateBindingEnforcement "
                    + enforcement + " (" + settings.enforcementName() + ") refuses a SID naming another account: use a certificate "
                    + "issued to " + (candidates.size() == 1 ? account : "the account it maps to"));
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

    private static void candidate(Map<String, Entry> candidates, Map<String, String> hows, Entry account, String how) {
        String key = account.getDn().getNormName();
        candidates.putIfAbsent(key, account);
        hows.merge(key, how, (a, b) -> a + " and " + b);
    }

    private static String describe(Map<String, Entry> candidates, Map<String, String> hows) throws LdapException {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, Entry> named : candidates.entrySet()) {
            parts.add(named.getValue().get("sAMAccountName").getString() + " (" + sidOf(named.getValue()) + ") by the "
                    + hows.get(named.getKey()));
        }
        return String.join(", ", parts);
    }

    private static SecurityIdentifier sidOf(Entry account) throws LdapException {
        return SecurityIdentifier.fromBytes(account.get("objectSid").getBytes());
    }

    /**
     * Whether the KDC logs a certificate on as {@code found}: only users and computers (sAMAccountType
     * SAM_NORMAL_USER_ACCOUNT 0x30000000, SAM_MACHINE_ACCOUNT 0x30000001) are principals a ticket is issued to; a group
     * also carries objectSid and sAMAccountName, and is noted in {@code notAccounts} for the refusal.
     */
    private static boolean account(Entry found, List<String> notAccounts, String how) throws LdapException {
        Attribute type = found.get("sAMAccountType");
        boolean account;
        if (type != null) {
            String value = type.get().getString().trim();
            account = value.equals(Integer.toString(SAM_NORMAL_USER_ACCOUNT)) || value.equals(Integer.toString(SAM_MACHINE_ACCOUNT));
        } else {
            Attribute classes = found.get("objectClass");
            account = classes != null && (classes.contains("user") || classes.contains("computer")) && !classes.contains("group");
        }
        if (!account) {
            notAccounts.add(how + " finds " + found.get("sAMAccountName").getString() + ", which is not a user or computer account "
                    + "(sAMAccountType " + (type == null ? "absent" : "0x" + Integer.toHexString(Integer.parseInt(type.get().getString().trim())))
                    + "): the KDC maps a certificate only to a user or computer");
        }
        return account;
    }

    /**
     * The forms the KDC maps by ([MS-PKCA] 3.1.5.2.1.5 and KB5014754); an issuer-only {@code X509:<I>..} value is
     * Schannel's many-to-one mapping (CertificateMappingMethods 0x2) and the KDC ignores it.
     */
    static boolean kdcForm(String value) {
        String upper = value.toUpperCase(Locale.ROOT);
        return upper.startsWith("X509:<SKI>") || upper.startsWith("X509:<SHA1-PUKEY>") || upper.startsWith("X509:<RFC822>")
                || upper.startsWith("X509:<S>") || upper.startsWith("X509:<I>") && (upper.contains("<SR>") || upper.contains("<S>"));
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
