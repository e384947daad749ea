package org.pkilab.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.pkilab.ca.RevocationReason;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.DirectoryException;
import org.pkilab.directory.client.EnterprisePki;
import org.pkilab.enrollment.CaRegistrySettings;
import org.pkilab.enrollment.JdkEstTransport;
import org.pkilab.pki.KeyFiles;

import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;

/**
 * The client side of the CA's administration interface ({@code /certsrv/admin/} on its HTTPS port), as
 * {@code certutil} is the client of {@code ICertAdmin}. Everything it needs comes from the directory,
 * as a domain member finds its CA: the URL from the enrollment service's {@code msPKI-Enrollment-Servers},
 * the trust from its {@code cACertificate}. The CA's lab name ({@code ca01.contoso.com}) is reached at
 * the DC's address and checked against the CA's TLS certificate.
 *
 * <p>Both administrators' tools use it: {@code pkilab ca ...} and the scenario steps that a certificate
 * manager performs in the Certification Authority console ({@code approve pending}, {@code revoke},
 * {@code issue template} ...). Either way the CA logs the caller on and checks its own Security tab, so
 * an account without "Issue and Manage Certificates" gets {@code 0x80070005 E_ACCESSDENIED}:
 *
 * <pre>{@code
 * CaAdminClient ca = CaAdminClient.connect(directory, null, "127.0.0.1", directory.bindDn(), password);
 * ca.approve(7);                           // certutil -resubmit 7
 * ca.addOfficer("CONTOSO\\alice");          // Certipy ca -add-officer alice (needs Manage CA)
 * ca.resubmit(9);                          // a denied request issued by an officer (ESC7)
 * ca.revoke("4a1f", RevocationReason.KEY_COMPROMISE);  // certutil -revoke 4a1f 1
 * ca.setRegistry("policy\\EditFlags", "+EDITF_ATTRIBUTESUBJECTALTNAME2");   // certutil -setreg ... (Manage CA)
 * ca.registry().has(CaRegistrySettings.EditFlag.EDITF_ATTRIBUTESUBJECTALTNAME2);   // true (Read or Manage CA)
 * }</pre>
 */
public final class CaAdminClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String caName;
    private final String fqdn;
    private final String origin;
    private final SSLContext tls;
    private final String authorization;

    /**
     * The administration interface of the enterprise CA named {@code caName} (the forest's only one when null),
     * reached at {@code host} as {@code user} (a DN) with {@code password}.
     *
     * @throws DirectoryException when no such CA is published in CN=Enrollment Services, or several are and none is named
     * @throws CaAdminException   when the CA publishes no HTTPS URL or certificate
     */
    public static CaAdminClient connect(DirectoryAdmin directory, String caName, String host, String user, String password) {
        return new CaAdminClient(enrollmentService(directory, caName), host, user, password);
    }

    /** The enterprise CA named {@code caName}, or the only one published when null. */
    static EnterprisePki.EnrollmentService enrollmentService(DirectoryAdmin directory, String caName) {
        List<EnterprisePki.EnrollmentService> all = directory.enterprisePki().enrollmentServices();
        if (caName != null) {
            return all.stream().filter(s -> s.name().equalsIgnoreCase(caName)).findFirst()
                    .orElseThrow(() -> new DirectoryException("no enterprise CA named '" + caName + "' in " + directory.names().dnsName()
                            + "; published: " + all.stream().map(EnterprisePki.EnrollmentService::name).toList()));
        }
        if (all.size() != 1) {
            throw new DirectoryException(all.isEmpty() ? "no enterprise CA is published in " + directory.names().dnsName()
                    + " (CN=Enrollment Services is empty): start one with 'pkilab up'"
                    : "several enterprise CAs: " + all.stream().map(EnterprisePki.EnrollmentService::name).toList() + "; choose with --ca");
        }
        return all.get(0);
    }

    private CaAdminClient(EnterprisePki.EnrollmentService service, String host, String user, String password) {
        this.caName = service.name();
        String url = service.enrollmentUrls().stream().filter(u -> u.startsWith("https://")).findFirst()
                .orElseThrow(() -> new CaAdminException(caName + " publishes no HTTPS enrollment URL (msPKI-Enrollment-Servers): "
                        + "is it running? Start the lab with 'pkilab up'"));
        URI uri = URI.create(url);
        this.fqdn = uri.getHost();
        this.origin = "https://" + host + ":" + uri.getPort();
        if (service.caCertificate() == null) {
            throw new CaAdminException(caName + " has no cACertificate in CN=Enrollment Services");
        }
        try {
            X509Certificate caCertificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(service.caCertificate()));
            tls = SSLContext.getInstance("TLS");
            tls.init(null, KeyFiles.trustOnly(caCertificate), null);
        } catch (GeneralSecurityException e) {
            throw new CaAdminException("cannot trust " + caName + "'s certificate from the directory: " + e.getMessage());
        }
        this.authorization = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    public String caName() {
        return caName;
    }

    /** The CA's Certificate Templates to Issue ({@code certutil -CATemplates}): {@code {"ca": ..., "templates": [...]}}. */
    public JsonNode templates() {
        return call("GET", "templates");
    }

    /** Certificate Template to Issue ({@code certutil -SetCATemplates +NAME}); answers as {@link #templates()}. */
    public JsonNode issueTemplate(String template) {
        return call("POST", "templates/" + segment(template));
    }

    /** Stops issuing a template ({@code certutil -SetCATemplates -NAME}); answers as {@link #templates()}. */
    public JsonNode removeTemplate(String template) {
        return call("DELETE", "templates/" + segment(template));
    }

    /** One page of a console folder ({@code pending}, {@code issued}, {@code failed}, {@code revoked}): rows after {@code after}. */
    public JsonNode requests(String folder, long after, int limit) {
        return call("GET", "requests?status=" + segment(folder) + "&after=" + after + "&limit=" + limit);
    }

    /** Issues a pending request ({@code certutil -resubmit ID}); answers its row, ISSUED or DENIED by the policy checks run again. */
    public JsonNode approve(long requestId) {
        return call("POST", "requests/" + requestId + "/approve");
    }

    /**
     * Resubmits a pending or denied request ({@code certutil -resubmit ID}, Certipy's {@code ca -issue-request ID}): a
     * certificate manager's resubmission skips the template's Enroll check (ESC7); answers its row, ISSUED or still DENIED.
     */
    public JsonNode resubmit(long requestId) {
        return call("POST", "requests/" + requestId + "/resubmit");
    }

    /**
     * The CA's Security tab ({@code certutil -getreg CA\Security}): {@code {"ca", "security": SDDL, "entries": [{"type",
     * "trustee", "sid", "mask", "permissions": [...]}]}}. Any domain account may read it.
     */
    public JsonNode security() {
        return call("GET", "security");
    }

    /**
     * Ticks "Allow" {@code role} for {@code account} on the CA's Security tab: {@code officer} (Issue and Manage
     * Certificates), {@code manager} (Manage CA), {@code enroll} (Request Certificates) or {@code read}. Needs Manage CA;
     * answers as {@link #security()}.
     */
    public JsonNode allow(String role, String account) {
        return call("POST", "security/" + segment(role) + "?account=" + segment(account));
    }

    /** Clears "Allow" {@code role} for {@code account}; as {@link #allow}. */
    public JsonNode disallow(String role, String account) {
        return call("DELETE", "security/" + segment(role) + "?account=" + segment(account));
    }

    /** Certipy's {@code ca -add-officer}: Issue and Manage Certificates for {@code account}. */
    public JsonNode addOfficer(String account) {
        return allow("officer", account);
    }

    /** Certipy's {@code ca -remove-officer}. */
    public JsonNode removeOfficer(String account) {
        return disallow("officer", account);
    }

    /** Manage CA for {@code account}: what the console's Security tab gives; Certipy has no verb for it. */
    public JsonNode addManager(String account) {
        return allow("manager", account);
    }

    public JsonNode removeManager(String account) {
        return disallow("manager", account);
    }

    /** Denies a pending request ({@code certutil -deny ID}); answers its row. */
    public JsonNode deny(long requestId) {
        return call("POST", "requests/" + requestId + "/deny");
    }

    /** Revokes an issued certificate by its hex serial and publishes new CRLs ({@code certutil -revoke SERIAL REASON}); answers its row. */
    public JsonNode revoke(String serial, RevocationReason reason) {
        return call("POST", "certificates/" + segment(serial) + "/revoke?reason=" + segment(reason.rfcName()));
    }

    /** A new CMP shared secret for {@code account}, replacing its earlier one: {"reference", "secret", "account", "url"}; needs Manage CA. */
    public JsonNode issueCmpSecret(String account) {
        return call("POST", "cmp/secrets?account=" + segment(account));
    }

    /** Removes {@code account}'s CMP shared secret, so that messages protected with it are refused; needs Manage CA. */
    public JsonNode removeCmpSecret(String account) {
        return call("DELETE", "cmp/secrets?account=" + segment(account));
    }

    /** Publishes a new base and delta CRL now ({@code certutil -CRL}): {@code {"crl": url, "entries": n, ...}}. */
    public JsonNode publishCrl() {
        return call("POST", "crl");
    }

    /**
     * {@code pkilab acme eab ACCOUNT}: a key id and HMAC key with which one ACME account can be made, bound to the
     * directory account {@code account}; needs Manage CA. Answers {@code {"account": "CONTOSO\\alice", "keyId": ...,
     * "hmacKey": ... (base64url)}}.
     */
    public JsonNode acmeExternalAccountKey(String account) {
        return call("POST", "acme/eab?account=" + segment(account));
    }

    /** {@code https://ca01.contoso.com:8443/acme/<template>/directory}: the CA's ACME directory for {@code template}. */
    public String acmeDirectory(String template) {
        return "https://" + fqdn + ":" + URI.create(origin).getPort() + "/acme/" + segment(template) + "/directory";
    }

    /** The CA's registry settings ({@code certutil -getreg}); needs Read or Manage CA on the CA. */
    public CaRegistrySettings registry() {
        return CaRegistrySettings.fromJson(call("GET", "registry"));
    }

    /**
     * {@code certutil -setreg NAME CHANGE} on the CA, which needs Manage CA: {@code NAME} as {@code policy\EditFlags},
     * {@code policy\DisableExtensionList} or {@code CA\InterfaceFlags}, {@code CHANGE} as {@code +FLAG}, {@code -FLAG},
     * a plain value, or OIDs for the list (see {@link CaRegistrySettings#change}). The CA applies it at once.
     *
     * @return the settings before and after the change
     * @throws CaAdminException with the CA's {@code E_ACCESSDENIED} or {@code E_INVALIDARG} refusal; nothing changed then
     */
    public RegistryChange setRegistry(String name, String change) {
        JsonNode answer = call("POST", "registry?name=" + segment(name) + "&change=" + segment(change));
        return new RegistryChange(CaRegistrySettings.fromJson(answer.path("before")), CaRegistrySettings.fromJson(answer));
    }

    /** What {@code certutil -setreg} prints: the settings before ("Old Value") and after ("New Value"). */
    public record RegistryChange(CaRegistrySettings before, CaRegistrySettings after) {
    }

    private static String segment(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * A one-time SCEP challenge password from NDES's {@code /certsrv/mscep_admin/} page, as an administrator opens it in a
     * browser: the page's "The enrollment challenge password is: ..." (the caller needs Enroll on NDES's templates).
     *
     * @throws CaAdminException with the page's words when NDES gives none ("You do not have sufficient permission to
     *                          enroll with SCEP", "The password cache is full")
     */
    public String scepChallengePassword() {
        String target = origin + "/certsrv/mscep_admin/";
        try {
            HttpsURLConnection http = (HttpsURLConnection) URI.create(target).toURL().openConnection();
            http.setSSLSocketFactory(tls.getSocketFactory());
            http.setHostnameVerifier(JdkEstTransport.namedServer(fqdn));
            http.setRequestProperty("Authorization", authorization);
            http.setConnectTimeout(10_000);
            http.setReadTimeout(60_000);
            int status = http.getResponseCode();
            InputStream body = status < 400 ? http.getInputStream() : http.getErrorStream();
            String page = body == null ? "" : new String(body.readAllBytes(), StandardCharsets.UTF_8)
                    .replaceAll("<[^>]*>", "").replace("&#39;", "'").replace("&quot;", "\"").replace("&amp;", "&").strip();
            java.util.regex.Matcher password = java.util.regex.Pattern.compile("The enrollment challenge password is: (\\S+)").matcher(page);
            if (status != 200 || !password.find()) {
                throw new CaAdminException("NDES on " + caName + " gave no challenge password (HTTP " + status + "):\n" + page);
            }
            return password.group(1);
        } catch (IOException e) {
            throw new CaAdminException("cannot reach NDES on " + caName + " at " + target + " (" + fqdn + "): " + e.getMessage());
        }
    }

    private JsonNode call(String method, String path) {
        String target = origin + "/certsrv/admin/" + path;
        try {
            HttpsURLConnection http = (HttpsURLConnection) URI.create(target).toURL().openConnection();
            http.setSSLSocketFactory(tls.getSocketFactory());
            // the URL holds the address; the certificate must still name the CA's host, as for a client reaching ca01.contoso.com
            http.setHostnameVerifier(JdkEstTransport.namedServer(fqdn));
            http.setRequestMethod(method);
            http.setRequestProperty("Authorization", authorization);
            http.setConnectTimeout(10_000);
            http.setReadTimeout(120_000);
            int status = http.getResponseCode();
            InputStream body = status < 400 ? http.getInputStream() : http.getErrorStream();
            String text = body == null ? "" : new String(body.readAllBytes(), StandardCharsets.UTF_8);
            if (status >= 300) {
                throw new CaAdminException(caName + " refused " + method + " " + path + " (HTTP " + status + "):\n" + text.strip());
            }
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new CaAdminException("cannot reach " + caName + " at " + target + " (" + fqdn + "): " + e.getMessage());
        }
    }

    /** A refusal or failure of the CA, its message as the CA gave it (AD CS code, reason, what to change). */
    public static final class CaAdminException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CaAdminException(String message) {
            super(message);
        }
    }
}
