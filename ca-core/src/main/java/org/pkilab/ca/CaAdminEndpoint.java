package org.pkilab.ca;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.URIUtil;
import org.pkilab.enrollment.CaRegistrySettings;
import org.pkilab.windows.WindowsError;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The CA's administration interface on the network, what {@code ICertAdmin} is to AD CS: {@code certutil}
 * and the Certification Authority console reach a Windows CA over DCOM; the lab's CA answers JSON over the
 * same HTTPS port as EST, for {@code pkilab ca ...}.
 *
 * <pre>
 * GET    /certsrv/admin/requests?status=pending|issued|failed|revoked   certutil -view (one console folder), a page
 *            [&amp;after=&lt;id&gt;][&amp;limit=&lt;n&gt;]                                at a time: a full page's answer names the
 *                                                                    next in X-Next-After
 * POST   /certsrv/admin/requests/&lt;id&gt;/approve (or /resubmit)             certutil -resubmit &lt;id&gt;: a pending or denied request
 * POST   /certsrv/admin/requests/&lt;id&gt;/deny                              certutil -deny &lt;id&gt;
 * POST   /certsrv/admin/certificates/&lt;serial&gt;/revoke?reason=keyCompromise certutil -revoke &lt;serial&gt; 1
 * POST   /certsrv/admin/crl                                              certutil -CRL
 * GET    /certsrv/admin/templates                                        certutil -CATemplates
 * POST   /certsrv/admin/templates/&lt;name&gt;                                 certutil -SetCATemplates +&lt;name&gt;
 * DELETE /certsrv/admin/templates/&lt;name&gt;                                 certutil -SetCATemplates -&lt;name&gt;
 * GET    /certsrv/admin/registry                                         certutil -getreg (EditFlags, InterfaceFlags,
 *                                                                    DisableExtensionList, Security)
 * POST   /certsrv/admin/registry?name=policy\EditFlags&amp;change=%2BEDITF_ATTRIBUTESUBJECTALTNAME2
 *                                                                    certutil -setreg policy\EditFlags +EDITF_...: the
 *                                                                    settings after, and those before as "before"
 * GET    /certsrv/admin/security                                         the Security tab (certutil -getreg CA\Security)
 * POST   /certsrv/admin/security/&lt;role&gt;?account=CONTOSO%5Calice            tick Allow: role officer, manager, enroll or read
 * DELETE /certsrv/admin/security/&lt;role&gt;?account=...                       clear it (Certipy: ca -add-officer / -remove-officer);
 *                                                                    security/&lt;role&gt;/&lt;account&gt; takes a name without a domain
 * POST   /certsrv/admin/acme/eab?account=CONTOSO%5Calice                  pkilab acme eab alice: an ACME external account
 *                                                                    binding key id and HMAC key bound to the account
 * DELETE /certsrv/admin/cmp/secrets?account=CONTOSO%5CIIS01%24          removes the account's CMP secret (Manage CA)
 * POST   /certsrv/admin/cmp/secrets?account=CONTOSO%5CIIS01%24          a CMP shared secret for the account (Manage CA):
 *                                                                    {"reference", "secret", "account", "url"}, shown once
 * </pre>
 *
 * <p>Callers authenticate with HTTP Basic ({@link HttpLogon}); the CA logs them on at the DC and reads their
 * groups from the logon token. What they may do is the CA's own security, {@link CaSecurity}: anyone without
 * the permission an operation needs gets {@code 0x80070005 E_ACCESSDENIED} naming the account and the
 * permission. Reading the registry settings needs Read (or Manage CA); changing them needs Manage CA. The answers are
 * JSON, one object per request with the console's columns; the registry settings as {@link CaRegistrySettings#toJson()}
 * with the CA's name.
 */
final class CaAdminEndpoint {

    static final String PREFIX = "/certsrv/admin/";
    /** The header of a full page's answer: the request id the next page starts after. */
    static final String NEXT_PAGE = "X-Next-After";
    /** Rows a page holds when the query names no limit: a 40,000-row folder was one 14 MB answer, built in memory. */
    static final int PAGE_SIZE = 1_000;
    static final int MAX_PAGE_SIZE = 10_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final CaAdministration ca;
    private final CaSecurity security;
    private final HttpLogon logon;

    CaAdminEndpoint(CaAdministration ca, CaSecurity security, HttpLogon logon) {
        this.ca = ca;
        this.security = security;
        this.logon = logon;
    }

    /** {@code path}: what follows {@value #PREFIX}. */
    void handle(Request request, Response response, Callback callback, String path) {
        String[] parts = path.split("/", -1);
        String method = request.getMethod();
        String resource = parts[0];
        boolean listing = parts.length == 1 && "GET".equals(method);
        String what = switch (resource) {
            case "requests" -> listing ? "list requests" : parts.length == 3 && "POST".equals(method) ? parts[2] + " requests" : null;
            case "certificates" -> parts.length == 3 && "POST".equals(method) && "revoke".equals(parts[2]) ? "revoke certificates" : null;
            case "crl" -> parts.length == 1 && "POST".equals(method) ? "publish CRLs" : null;
            case "templates" -> listing ? "list the templates to issue"
                    : parts.length == 2 && ("POST".equals(method) || "DELETE".equals(method)) ? "change the templates to issue" : null;
            case "registry" -> listing ? "read the registry settings" : parts.length == 1 && "POST".equals(method)
                    ? "change the registry settings (certutil -setreg)" : null;
            case "acme" -> parts.length == 2 && "eab".equals(parts[1]) && "POST".equals(method)
                    ? "issue ACME external account keys" : null;
            case "cmp" -> parts.length == 2 && "secrets".equals(parts[1]) ? "POST".equals(method) ? "issue CMP secrets"
                    : "DELETE".equals(method) ? "remove CMP secrets" : null : null;
            case "security" -> listing ? "read the CA's security"
                    : (parts.length == 2 || parts.length == 3) && ("POST".equals(method) || "DELETE".equals(method))
                    ? "change the CA's security" : null;
            default -> null;
        };
        if (what == null) {
            HttpAnswers.text(response, callback, 404, "no administration operation " + method + " " + PREFIX + path
                    + "\nsee GET requests, POST requests/<id>/approve|deny, POST certificates/<serial>/revoke, POST crl, "
                    + "GET|POST|DELETE templates[/<name>], GET registry, POST registry?name=<value>&change=<change>, GET security, "
                    + "POST|DELETE security/<officer|manager|enroll|read>?account=<name>, POST acme/eab?account=<name>, "
                    + "POST|DELETE cmp/secrets?account=<name>\n");
            return;
        }
        HttpLogon.Result caller = logon.authenticate(request);
        if (!caller.succeeded()) {
            logon.challenge(response, callback, caller.refusal());
            return;
        }
        CaSecurity.Permission needed = resource.equals("crl") || resource.equals("templates") || resource.equals("registry")
                || resource.equals("security") || resource.equals("acme") || resource.equals("cmp")
                ? CaSecurity.Permission.MANAGE_CA : CaSecurity.Permission.MANAGE_CERTIFICATES;
        Decision allowed;
        if (resource.equals("security") && listing) {
            // reading the Security value needs no permission: any domain account reads it over remote registry, as audit tools do
            allowed = Decision.proceed();
        } else if (resource.equals("registry") && listing) {
            // the console shows the CA's properties to whoever may read the CA, and to its managers
            boolean mayRead = security.check(caller.token(), CaSecurity.Permission.READ, what).proceeds()
                    || security.check(caller.token(), CaSecurity.Permission.MANAGE_CA, what).proceeds();
            allowed = mayRead ? Decision.proceed() : Decision.deny(WindowsError.E_ACCESSDENIED, caller.token().account() + " may not "
                    + what + " on " + ca.name() + ": that needs the 'Read' or the 'Manage CA' permission on the CA; groups in its token: "
                    + caller.token().groupNames(), "ask a holder of Manage CA to grant " + caller.token().account() + " Read on the CA's "
                    + "Security tab, or use an administrator's account");
        } else {
            allowed = security.check(caller.token(), needed, what);
        }
        if (!allowed.proceeds()) {
            HttpAnswers.refuse(response, callback, allowed);
            return;
        }
        String who = caller.token().account();
        switch (resource) {
            case "requests" -> {
                if (listing) {
                    Fields query = Request.extractQueryParameters(request);
                    int limit = pageSize(query.getValue("limit"));
                    List<RequestRecord> page = ca.requests(after(query.getValue("after")), limit, folder(query));
                    if (page.size() == limit) {
                        // a full page: there may be more; the next one starts after its last request
                        response.getHeaders().put(NEXT_PAGE, Long.toString(page.get(page.size() - 1).requestId()));
                    }
                    ArrayNode rows = JSON.createArrayNode();
                    page.forEach(r -> rows.add(record(r)));
                    json(response, callback, rows);
                } else {
                    long id = requestId(parts[1]);
                    switch (parts[2]) {
                        case "approve", "resubmit" -> {
                            EnrollmentResult result = ca.approve(id, who);
                            json(response, callback, record(ca.request(result.requestId()).orElseThrow()));
                        }
                        case "deny" -> json(response, callback, record(ca.deny(id, who)));
                        default -> HttpAnswers.text(response, callback, 404, "use requests/" + id + "/approve (or /resubmit) or requests/"
                                + id + "/deny\n");
                    }
                }
            }
            case "certificates" -> {
                String reasonText = Request.extractQueryParameters(request).getValue("reason");
                RevocationReason reason;
                try {
                    reason = reasonText == null ? RevocationReason.UNSPECIFIED : RevocationReason.parse(reasonText);
                } catch (IllegalArgumentException e) {
                    throw new CaException(WindowsError.CERTSRV_E_BAD_REQUESTSTATUS, e.getMessage());
                }
                json(response, callback, record(ca.revoke(serial(parts[1]), reason, who)));
            }
            case "acme" -> {
                String account = Request.extractQueryParameters(request).getValue("account");
                if (account == null || account.isBlank()) {
                    throw new CaException(WindowsError.E_INVALIDARG, "name the directory account the ACME account will act as: "
                            + "acme/eab?account=CONTOSO%5Calice");
                }
                AcmeAccounts.ExternalAccountKey key = ca.issueAcmeKey(account, who);
                ObjectNode out = JSON.createObjectNode();
                out.put("ca", ca.name());
                out.put("account", key.account());
                out.put("keyId", key.keyId());
                out.put("hmacKey", key.hmacKeyText());
                json(response, callback, out);
            }
            case "crl" -> {
                java.security.cert.X509CRL crl = ca.publishCrl();
                ObjectNode out = JSON.createObjectNode();
                out.put("ca", ca.name());
                out.put("crl", ca.crlUrl());
                out.put("thisUpdate", instant(crl.getThisUpdate().toInstant()));
                out.put("nextUpdate", instant(crl.getNextUpdate() == null ? null : crl.getNextUpdate().toInstant()));
                out.put("entries", crl.getRevokedCertificates() == null ? 0 : crl.getRevokedCertificates().size());
                json(response, callback, out);
            }
            case "registry" -> {
                if (listing) {
                    json(response, callback, registry(ca.registrySettings()));
                } else {
                    CaRegistrySettings before = ca.registrySettings();
                    ObjectNode out = registry(changeRegistry(Request.extractQueryParameters(request), who));
                    out.set("before", before.toJson());
                    json(response, callback, out);
                }
            }
            case "cmp" -> {
                String account = Request.extractQueryParameters(request).getValue("account");
                if (account == null || account.isBlank()) {
                    throw new CaException(WindowsError.E_INVALIDARG, "name the account the CMP secret is for: cmp/secrets?account=CONTOSO%5CIIS01%24");
                }
                if ("DELETE".equals(method)) {
                    ca.removeCmpSecret(account, who);
                    ObjectNode out = JSON.createObjectNode();
                    out.put("ca", ca.name());
                    out.put("account", account);
                    out.put("removed", true);
                    json(response, callback, out);
                    return;
                }
                CaAdministration.CmpSecret secret = ca.issueCmpSecret(account, who);
                ObjectNode out = JSON.createObjectNode();
                out.put("ca", ca.name());
                out.put("account", secret.account());
                out.put("reference", secret.reference());
                out.put("secret", secret.secret());
                out.put("url", secret.url());
                json(response, callback, out);
            }
            case "security" -> {
                if (!listing) {
                    // a domain's backslash cannot travel in a path segment: the query carries it
                    String account = parts.length == 3 ? URIUtil.decodePath(parts[2]) : Request.extractQueryParameters(request).getValue("account");
                    if (account == null || account.isBlank()) {
                        throw new CaException(WindowsError.E_INVALIDARG, "name the account or group: security/" + parts[1]
                                + "?account=CONTOSO%5Calice");
                    }
                    CaSecurity.Permission permission;
                    try {
                        permission = CaSecurity.Permission.parse(URIUtil.decodePath(parts[1]));
                    } catch (IllegalArgumentException e) {
                        throw new CaException(WindowsError.E_INVALIDARG, e.getMessage());
                    }
                    ca.changeSecurity(account, permission, "POST".equals(method), who);
                }
                json(response, callback, securityAnswer());
            }
            default -> {
                if (parts.length == 2) {
                    // a path segment, not a form: '+' stays '+'
                    String template = URIUtil.decodePath(parts[1]);
                    if ("POST".equals(method)) {
                        ca.issueTemplate(template);
                    } else {
                        ca.stopIssuing(template);
                    }
                }
                ObjectNode out = JSON.createObjectNode();
                out.put("ca", ca.name());
                ArrayNode issued = out.putArray("templates");
                ca.templatesToIssue().forEach(issued::add);
                json(response, callback, out);
            }
        }
    }

    private CaRegistrySettings changeRegistry(Fields query, String who) {
        String name = query.getValue("name");
        String change = query.getValue("change");
        if (name == null || change == null) {
            throw new CaException(WindowsError.E_INVALIDARG, "a registry change names the value and the change: "
                    + "registry?name=policy\\EditFlags&change=%2BEDITF_ATTRIBUTESUBJECTALTNAME2");
        }
        if (!change.equals(change.strip()) || !name.equals(name.strip())) {
            // a '+' left unencoded reaches here as a space: read as a replacement it would clear every other flag
            throw new CaException(Decision.deny(WindowsError.E_INVALIDARG, "the registry change '" + RequestedNames.printable(change)
                            + "' for " + RequestedNames.printable(name) + " on " + ca.name() + " begins or ends with white space, as an "
                            + "unencoded '+' in a query string reads; nothing was changed",
                    "encode '+' as %2B (registry?name=policy%5CEditFlags&change=%2BEDITF_ATTRIBUTESUBJECTALTNAME2), and send no spaces around the change"));
        }
        try {
            return ca.changeRegistry(name, change, who);
        } catch (IllegalArgumentException e) {
            throw new CaException(Decision.deny(WindowsError.E_INVALIDARG, "certutil -setreg " + name + " " + change
                    + " changed nothing on " + ca.name() + ": " + e.getMessage(),
                    "name a value as certutil -getreg lists it, and its flags as certsrv.h names them"));
        }
    }

    private ObjectNode registry(CaRegistrySettings settings) {
        ObjectNode out = JSON.createObjectNode();
        out.put("ca", ca.name());
        out.setAll(settings.toJson());
        return out;
    }

    /** The Security tab: the SDDL and, per trustee, the permissions its Allow entries tick. */
    private ObjectNode securityAnswer() {
        ObjectNode out = JSON.createObjectNode();
        out.put("ca", ca.name());
        org.pkilab.directory.model.SecurityDescriptor sd = security.descriptor();
        out.put("security", ca.securitySddl());
        ArrayNode entries = out.putArray("entries");
        for (org.pkilab.directory.model.AccessControlEntry e : sd.entries()) {
            ObjectNode row = entries.addObject();
            row.put("type", e.allow() ? "Allow" : "Deny");
            row.put("sid", e.trustee().toString());
            row.put("trustee", ca.trusteeName(e.trustee()));
            row.put("mask", String.format(Locale.ROOT, "0x%x", e.mask()));
            ArrayNode permissions = row.putArray("permissions");
            for (CaSecurity.Permission p : CaSecurity.Permission.values()) {
                if ((e.mask() & p.mask()) != 0) {
                    permissions.add(p.displayName());
                }
            }
        }
        return out;
    }

    /** The statuses of the console folder the query names ({@code pending} when it names none). */
    private static RequestStatus[] folder(Fields query) {
        String status = Optional.ofNullable(query.getValue("status")).orElse("pending").toLowerCase(Locale.ROOT);
        return switch (status) {
            case "pending" -> new RequestStatus[]{RequestStatus.PENDING};
            case "issued" -> new RequestStatus[]{RequestStatus.ISSUED};
            case "failed" -> new RequestStatus[]{RequestStatus.DENIED, RequestStatus.FAILED};
            case "revoked" -> new RequestStatus[]{RequestStatus.REVOKED};
            default -> throw new CaException(WindowsError.CERTSRV_E_BAD_REQUESTSTATUS, "no folder '" + status
                    + "': use pending, issued, failed or revoked");
        };
    }

    private static int pageSize(String text) {
        if (text == null) {
            return PAGE_SIZE;
        }
        try {
            int limit = Integer.parseInt(text.trim());
            if (limit >= 1 && limit <= MAX_PAGE_SIZE) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new CaException(WindowsError.E_INVALIDARG, "limit '" + text + "' is not a page size: give 1 to " + MAX_PAGE_SIZE
                + " requests (" + PAGE_SIZE + " when unset)");
    }

    private static long after(String text) {
        return text == null ? 0 : requestId(text);
    }

    private static long requestId(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new CaException(WindowsError.CERTSRV_E_NO_REQUEST, "'" + text + "' is not a request id (a number, as certutil -view shows it)");
        }
    }

    private static BigInteger serial(String text) {
        try {
            return new BigInteger(text.replace(" ", ""), 16);
        } catch (NumberFormatException e) {
            throw new CaException(WindowsError.CERTSRV_E_NO_REQUEST, "'" + text + "' is not a serial number (hex, as certutil prints it)");
        }
    }

    /** One row with the console's columns. */
    private static ObjectNode record(RequestRecord r) {
        ObjectNode row = JSON.createObjectNode();
        row.put("requestId", r.requestId());
        row.put("requester", r.requester());
        row.put("template", String.valueOf(r.template()));
        row.put("status", r.status().name());
        row.put("disposition", String.valueOf(r.dispositionMessage()));
        row.put("dispositionCode", String.format(Locale.ROOT, "0x%08X", r.dispositionCode()));
        row.put("serial", r.serial() == null ? null : r.serialHex());
        row.put("subject", r.subject());
        row.put("submitted", instant(r.submittedAt()));
        row.put("notAfter", instant(r.notAfter()));
        row.put("revoked", instant(r.revokedAt()));
        row.put("revocationReason", r.revocationReason() == null ? null : r.revocationReason().rfcName());
        return row;
    }

    private static String instant(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    private static void json(Response response, Callback callback, com.fasterxml.jackson.databind.JsonNode body) {
        try {
            HttpAnswers.send(response, callback, 200, "application/json", (JSON.writeValueAsString(body) + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("the administration answer could not be written as JSON: " + e.getMessage(), e);
        }
    }
}
