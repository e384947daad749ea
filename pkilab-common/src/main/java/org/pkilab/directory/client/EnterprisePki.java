package org.pkilab.directory.client;

import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.SearchResultEntry;
import org.pkilab.directory.model.DomainNames;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Enterprise PKI (pkiview.msc): the enterprise CAs the forest publishes under
 * {@code CN=Enrollment Services,CN=Public Key Services,CN=Services,CN=Configuration}, which is how tools and
 * computers find a CA, its certificate and where to enroll.
 *
 * <pre>{@code
 * for (EnrollmentService ca : admin.enterprisePki().enrollmentServices()) {
 *     ca.name() + " on " + ca.dnsHostName() + " issues " + ca.templates();  // "Contoso-CA on ca01.contoso.com issues [WebServer, ...]"
 * }
 * }</pre>
 */
public final class EnterprisePki {

    /**
     * An enterprise CA as published under {@code CN=Enrollment Services}: its host, its "Certificate
     * Templates to Issue", its certificate, and the enrollment URLs of {@code msPKI-Enrollment-Servers}
     * (each value {@code <priority>\n<authentication>\n<renewal only>\n<URL>}; here just the URLs).
     */
    public record EnrollmentService(String name, String dnsHostName, List<String> templates, byte[] caCertificate,
                                    List<String> enrollmentUrls) {
        public EnrollmentService {
            templates = List.copyOf(templates);
            enrollmentUrls = List.copyOf(enrollmentUrls);
            caCertificate = caCertificate == null ? null : caCertificate.clone();
        }

        @Override
        public byte[] caCertificate() {
            return caCertificate == null ? null : caCertificate.clone();
        }
    }

    private final LdapOperations operations;
    private final DomainNames names;

    EnterprisePki(LdapOperations operations, DomainNames names) {
        this.operations = operations;
        this.names = names;
    }

    /** The enterprise CAs published in the forest ({@code CN=Enrollment Services}). */
    public List<EnrollmentService> enrollmentServices() {
        List<EnrollmentService> services = new ArrayList<>();
        for (SearchResultEntry e : operations.search(names.enrollmentServices(), Filter.createEqualityFilter("objectClass", "pKIEnrollmentService"),
                "cn", "dNSHostName", "certificateTemplates", "cACertificate", "msPKI-Enrollment-Servers")) {
            String[] templates = e.getAttributeValues("certificateTemplates");
            String[] servers = e.getAttributeValues("msPKI-Enrollment-Servers");
            List<String> urls = servers == null ? List.of()
                    : Arrays.stream(servers).map(v -> v.substring(v.lastIndexOf('\n') + 1)).toList();
            services.add(new EnrollmentService(e.getAttributeValue("cn"), e.getAttributeValue("dNSHostName"),
                    templates == null ? List.of() : List.of(templates), e.getAttributeValueBytes("cACertificate"), urls));
        }
        return services;
    }
}
