package org.pkilab.directory.model;

import com.unboundid.ldap.sdk.RDN;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where things live in an Active Directory forest of one domain. For {@code contoso.com}:
 *
 * <pre>
 * DC=contoso,DC=com                                             the domain (domainDNS)
 *   CN=Users / CN=Computers / OU=Domain Controllers
 *   CN=System / CN=Policies                                     Group Policy containers
 *   CN=Configuration
 *     CN=WellKnown Security Principals                          Authenticated Users, Everyone
 *     CN=Services / CN=Public Key Services
 *       CN=Certificate Templates / CN=Enrollment Services / CN=Certification Authorities
 *       CN=AIA / CN=CDP / CN=NTAuthCertificates / CN=OID
 * </pre>
 *
 * <p>In a real forest {@code CN=Configuration} is its own naming context; the lab keeps it under the
 * domain so one partition holds the whole forest, with the same DNs. Every DN this class builds escapes
 * its names (RFC 4514), so a group called {@code Web, Servers (EU)} is {@code CN=Web\, Servers (EU),...}.
 */
public final class DomainNames {

    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

    private final String dnsName;
    private final String domainDn;

    private DomainNames(String dnsName) {
        this.dnsName = dnsName;
        List<String> parts = new ArrayList<>();
        for (String label : dnsName.split("\\.")) {
            parts.add("DC=" + label);
        }
        this.domainDn = String.join(",", parts);
    }

    /** The names of the domain {@code dnsName}, such as {@code contoso.com}. */
    public static DomainNames of(String dnsName) {
        String name = dnsName == null ? "" : dnsName.trim().toLowerCase(Locale.ROOT);
        String[] labels = name.split("\\.");
        if (labels.length < 2) {
            throw new IllegalArgumentException("domain DNS name needs at least two labels (like contoso.com): " + dnsName);
        }
        for (String label : labels) {
            if (!LABEL.matcher(label).matches()) {
                throw new IllegalArgumentException("not a DNS label: '" + label + "' in domain name " + dnsName);
            }
        }
        return new DomainNames(name);
    }

    public String dnsName() {
        return dnsName;
    }

    /** The default NetBIOS name: the first label, upper case, at most 15 characters ({@code CONTOSO}). */
    public String defaultNetbiosName() {
        String first = dnsName.substring(0, dnsName.indexOf('.')).toUpperCase(Locale.ROOT);
        return first.length() > 15 ? first.substring(0, 15) : first;
    }

    public String domain() {
        return domainDn;
    }

    public String users() {
        return "CN=Users," + domainDn;
    }

    public String computers() {
        return "CN=Computers," + domainDn;
    }

    public String domainControllers() {
        return "OU=Domain Controllers," + domainDn;
    }

    public String system() {
        return "CN=System," + domainDn;
    }

    public String policies() {
        return "CN=Policies," + system();
    }

    public String configuration() {
        return "CN=Configuration," + domainDn;
    }

    public String wellKnownSecurityPrincipals() {
        return "CN=WellKnown Security Principals," + configuration();
    }

    public String services() {
        return "CN=Services," + configuration();
    }

    public String publicKeyServices() {
        return "CN=Public Key Services," + services();
    }

    public String certificateTemplates() {
        return "CN=Certificate Templates," + publicKeyServices();
    }

    public String enrollmentServices() {
        return "CN=Enrollment Services," + publicKeyServices();
    }

    public String certificationAuthorities() {
        return "CN=Certification Authorities," + publicKeyServices();
    }

    public String aia() {
        return "CN=AIA," + publicKeyServices();
    }

    public String cdp() {
        return "CN=CDP," + publicKeyServices();
    }

    public String ntAuthCertificates() {
        return "CN=NTAuthCertificates," + publicKeyServices();
    }

    public String oid() {
        return "CN=OID," + publicKeyServices();
    }

    /** {@code CN=<name>,<parent>} with the name escaped. */
    public static String child(String name, String parentDn) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("an object needs a name under " + parentDn);
        }
        return new RDN("CN", name).toString() + "," + parentDn;
    }

    public String template(String templateName) {
        return child(templateName, certificateTemplates());
    }

    public String user(String name) {
        return child(name, users());
    }

    public String computer(String name) {
        return child(name, computers());
    }

    /** A GPO's container: {@code CN={GUID},CN=Policies,CN=System,<domain>}. */
    public String gpo(String guidInBraces) {
        return child(guidInBraces, policies());
    }
}
