package org.pkilab.ca;

import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import com.unboundid.ldap.sdk.SearchResultEntry;
import org.pkilab.directory.client.LdapOperations;
import org.pkilab.directory.model.DomainNames;

import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What the enterprise CA writes into Active Directory so that the domain finds and trusts it, as AD CS setup and
 * {@code certutil -dspublish} do, under {@code CN=Public Key Services,CN=Services,CN=Configuration}: its
 * enrollment-service object ({@code CN=Enrollment Services}), its certificate in {@code CN=AIA},
 * {@code CN=Certification Authorities} and {@code NTAuthCertificates}, its CRLs under {@code CN=CDP}, its
 * enrollment URL, and its computer account in Cert Publishers. It writes over the {@link CaDirectory}'s connection
 * pool; reading and the change notifications stay there.
 *
 * <pre>{@code
 * CaPublication publication = directory.publication();
 * publication.publishCertificationAuthority("CONTOSO-CA", "CA01", "ca01.contoso.com", caCertificate, List.of("User", "Machine"));
 * publication.publishCrl("CONTOSO-CA", "CA01", crlDer, false);  // CN=CONTOSO-CA,CN=CA01,CN=CDP,... certificateRevocationList
 * }</pre>
 */
final class CaPublication {

    private final LdapOperations operations;
    private final DomainNames names;

    CaPublication(LdapOperations operations, DomainNames names) {
        this.operations = operations;
        this.names = names;
    }

    /**
     * Publishes the CA as AD CS setup does: the enrollment service with its issue list and certificate,
     * the CA certificate in {@code CN=AIA}, {@code CN=Certification Authorities} and
     * {@code NTAuthCertificates}, and a CDP container for its CRLs. Existing objects keep their issue list.
     */
    void publishCertificationAuthority(String caName, String hostName, String fqdn, X509Certificate caCertificate,
                                       List<String> defaultTemplates) {
        byte[] der;
        try {
            der = caCertificate.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
        String subject = caCertificate.getSubjectX500Principal().getName();
        if (!exists(DomainNames.child(caName, names.enrollmentServices()))) {
            List<Attribute> attributes = new ArrayList<>(List.of(new Attribute("objectClass", "top", "pKIEnrollmentService"),
                    new Attribute("cn", caName), new Attribute("dNSHostName", fqdn), new Attribute("cACertificate", der),
                    new Attribute("cACertificateDN", subject), new Attribute("flags", "10")));
            if (!defaultTemplates.isEmpty()) {
                attributes.add(new Attribute("certificateTemplates", defaultTemplates));
            }
            add(DomainNames.child(caName, names.enrollmentServices()), attributes);
        } else {
            modify(DomainNames.child(caName, names.enrollmentServices()), new Modification(ModificationType.REPLACE, "cACertificate", der));
        }
        for (String container : List.of(names.aia(), names.certificationAuthorities())) {
            String dn = DomainNames.child(caName, container);
            if (!exists(dn)) {
                add(dn, List.of(new Attribute("objectClass", "top", "certificationAuthority"), new Attribute("cn", caName),
                        new Attribute("cACertificate", der)));
            } else {
                modify(dn, new Modification(ModificationType.REPLACE, "cACertificate", der));
            }
        }
        SearchResultEntry ntAuth = read(names.ntAuthCertificates(), "cACertificate");
        byte[][] existing = ntAuth.getAttributeValueByteArrays("cACertificate");
        if (existing == null || Arrays.stream(existing).noneMatch(v -> Arrays.equals(v, der))) {
            modify(names.ntAuthCertificates(), new Modification(ModificationType.ADD, "cACertificate", der));
        }
        String cdpHost = DomainNames.child(hostName, names.cdp());
        if (!exists(cdpHost)) {
            add(cdpHost, List.of(new Attribute("objectClass", "top", "container"), new Attribute("cn", hostName)));
        }
    }

    /**
     * Names the CA's enrollment URL in {@code msPKI-Enrollment-Servers}, where Windows clients find their
     * enrollment web services: {@code <priority>\n<authentication>\n<renewal only>\n<URL>}. The lab's URL
     * is its EST base URL; authentication 2 is Kerberos, here the DC-signed logon token.
     */
    void publishEnrollmentServer(String caName, String url) {
        modify(DomainNames.child(caName, names.enrollmentServices()), new Modification(ModificationType.REPLACE, "msPKI-Enrollment-Servers", "1\n2\n0\n" + url));
    }

    /** Writes a CRL to {@code CN=<CA name>,CN=<host>,CN=CDP,...} as {@code certificateRevocationList} (or the delta). */
    void publishCrl(String caName, String hostName, byte[] crl, boolean delta) {
        String dn = DomainNames.child(caName, DomainNames.child(hostName, names.cdp()));
        String attribute = delta ? "deltaRevocationList" : "certificateRevocationList";
        if (!exists(dn)) {
            add(dn, List.of(new Attribute("objectClass", "top", "cRLDistributionPoint"), new Attribute("cn", caName),
                    new Attribute(attribute, crl)));
        } else {
            modify(dn, new Modification(ModificationType.REPLACE, attribute, crl));
        }
    }

    /** AD CS setup adds the CA's computer to Cert Publishers; the lab creates the computer if it is missing. */
    void ensureCaComputer(String hostName, String fqdn, String password) {
        String dn = names.computer(hostName.toUpperCase(Locale.ROOT));
        if (!exists(dn)) {
            add(dn, List.of(new Attribute("objectClass", "top", "person", "organizationalPerson", "user", "computer"),
                    new Attribute("cn", hostName.toUpperCase(Locale.ROOT)),
                    new Attribute("sAMAccountName", hostName.toUpperCase(Locale.ROOT) + "$"),
                    new Attribute("dNSHostName", fqdn), new Attribute("primaryGroupID", "515"),
                    new Attribute("userAccountControl", "4096"), new Attribute("sAMAccountType", "805306369"),
                    new Attribute("servicePrincipalName", "HOST/" + fqdn), new Attribute("userPassword", password)));
        }
        String publishers = names.user("Cert Publishers");
        String[] members = read(publishers, "member").getAttributeValues("member");
        boolean member = members != null && Arrays.stream(members).anyMatch(m -> sameDn(m, dn));
        if (!member) {
            modify(publishers, new Modification(ModificationType.ADD, "member", dn));
        }
    }

    private static boolean sameDn(String a, String b) {
        try {
            return new com.unboundid.ldap.sdk.DN(a).equals(new com.unboundid.ldap.sdk.DN(b));
        } catch (LDAPException e) {
            return a.equalsIgnoreCase(b);
        }
    }

    private boolean exists(String dn) {
        return operations.exists(dn);
    }

    private SearchResultEntry read(String dn, String... attributes) {
        return operations.read(dn, attributes);
    }

    private void add(String dn, List<Attribute> attributes) {
        operations.add(dn, attributes, "create " + dn);
    }

    private void modify(String dn, Modification... changes) {
        operations.modify(dn, "modify " + dn, changes);
    }
}
