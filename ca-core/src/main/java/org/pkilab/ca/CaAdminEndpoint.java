package org.pkilab.ca;

import org.pkilab.windows.WindowsError;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.pkilab.directory.model.LogonToken;

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
 * POST   /certsrv/admin/requests/&lt;id&gt;/approve                           certutil -resubmit &lt;id&gt;
 * POST   /certsrv/admin/requests/&lt;id&gt;/deny                              certutil -deny &lt;id&gt;
 * POST   /certsrv/admin/certificates/&lt;serial&gt;/revoke?reason=keyCompromise certutil -revoke &lt;serial&gt; 1
 * POST   /certsrv/admin/crl                                              certutil -CRL
 * GET    /certsrv/admin/templates                                        certutil -CATemplates
 * POST   /certsrv/admin/templates/&lt;name&gt;                                 certutil -SetCATemplates +&lt;name&gt;
 * DELETE /certsrv/admin/templates/&lt;name&gt;                                 certutil -SetCATemplates -&lt;name&gt;
 * </pre>
 *
 * <p>Callers authenticate with HTTP Basic; the CA logs them on at the DC and reads their groups from the
 * logon token. What they may do is the CA's own security (the Security tab of the CA's properties, kept by
 * AD CS in the registry, not in the directory): by default "Manage CA" and "Issue and Manage Certificates"
 * belong to Domain Admins and Enterprise Admins (and the local Administrators of the CA host, which the lab
 * has not). The check compares the SIDs in the DC-signed token with the descriptor's trustees, as Windows
 * does, never group names: a group anyone may create in another OU can be called "Enterprise Admins", but
 * only the domain's own has RID 519. Anyone else gets {@code 0x80070005 E_ACCESSDENIED} naming the account
 * and the permission.
 *
 * <pre>
 * O:BAG:DUD:(A;;0x3;;;DA)(A;;0x3;;;EA)   0x1 Manage CA, 0x2 Issue and Manage Certificates (CA_ACCESS_ADMIN, CA_ACCESS_OFFICER)
 * </pre>
 */
final class CaAdminEndpoint {

    static final String PREFIX = "/certsrv/admin/";
    /** The header of a full page's answer: the request id the next page starts after. */
    static final String NEXT_PAGE = "X-Next-After";
    /** Rows a page holds when the query names no limit: a 40,000-row folder was one 14 MB answer, built in memory. */
    static final int PAGE_SIZE = 1_000;
    static final int MAX_PAGE_SIZE = 10_000;
    /** The CA's default security: Domain Admins and Enterprise Admins hold both administration permissions. */
    static final String DEFAULT_SECURITY = "O:BAG:DUD:(A;;0x3;;;DA)(A;;0x3;;;EA)";

    /** The two CA permissions the CA's Security tab offers to administrators, with their access mask bits. */
    private enum Permission {
        MANAGE_CA("Manage CA", 0x1), MANAGE_CERTIFICATES("Issue and Manage Certificates", 0x2);

        private final String displayName;
        private final int mask;

        Permission(String displayName, int mask) {
            this.displayName = displayName;
            this.mask = mask;
        }
    }

    private final CertificationAuthority ca;
    private final EstServer web;

    CaAdminEndpoint(CertificationAuthority ca, EstServer web) {
        this.ca = ca;
        this.web = web;
    }

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
            default -> null;
        };
        if (what == null) {
            EstServer.send(response, callback, 404, "text/plain", ("no administration operation " + method + " " + PREFIX + path
                    + "\nsee GET requests, POST requests/<id>/approve|deny, POST certificates/<serial>/revoke, POST crl, "
                    + "GET|POST|DELETE templates[/<name>]\n").getBytes(StandardCharsets.UTF_8));
            return;
        }
        Optional<LogonToken> token = web.authenticate(request, response, callback);
        if (token.isEmpty()) {
            return;
        }
        Permission needed = resource.equals("crl") || resource.equals("templates") ? Permission.MANAGE_CA : Permission.MANAGE_CERTIFICATES;
        LogonToken caller = token.get();
        if (!ca.security().grants(caller.sids(), needed.mask)) {
            EstServer.refuse(response, callback, WindowsError.E_ACCESSDENIED, caller.account() + " may not " + what + " on " + ca.name()
                            + ": that needs the '" + needed.displayName + "' permission on the CA, which Domain Admins and "
                            + "Enterprise Admins hold; groups in its token: " + caller.groupNames(),
                    "add " + caller.account() + " to Domain Admins (or use an administrator's account) and log on again");
            return;
        }
        String who = caller.account();
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
                    json(response, callback, records(page));
                } else {
                    long id = requestId(parts[1]);
                    switch (parts[2]) {
                        case "approve" -> {
                            EnrollmentResult result = ca.approve(id, who);
                            json(response, callback, record(ca.request(result.requestId()).orElseThrow()));
                        }
                        case "deny" -> json(response, callback, record(ca.deny(id, who)));
                        default -> EstServer.send(response, callback, 404, "text/plain",
                                ("use requests/" + id + "/approve or requests/" + id + "/deny\n").getBytes(StandardCharsets.UTF_8));
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
            case "crl" -> {
                java.security.cert.X509CRL crl = ca.publishCrl();
                json(response, callback, "{\"ca\":" + EstServer.quote(ca.name()) + ",\"crl\":" + EstServer.quote(ca.crlUrl())
                        + ",\"thisUpdate\":" + instant(crl.getThisUpdate().toInstant())
                        + ",\"nextUpdate\":" + instant(crl.getNextUpdate() == null ? null : crl.getNextUpdate().toInstant())
                        + ",\"entries\":" + (crl.getRevokedCertificates() == null ? 0 : crl.getRevokedCertificates().size()) + "}");
            }
            default -> {
                if (parts.length == 2) {
                    // a path segment, not a form: '+' stays '+'
                    String template = org.eclipse.jetty.util.URIUtil.decodePath(parts[1]);
                    if ("POST".equals(method)) {
                        ca.issueTemplate(template);
                    } else {
                        ca.stopIssuing(template);
                    }
                }
                StringBuilder out = new StringBuilder("{\"ca\":").append(EstServer.quote(ca.name())).append(",\"templates\":[");
                List<String> issued = ca.templatesToIssue();
                for (int i = 0; i < issued.size(); i++) {
                    out.append(i == 0 ? "" : ",").append(EstServer.quote(issued.get(i)));
                }
                json(response, callback, out.append("]}").toString());
            }
        }
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

    private static String records(List<RequestRecord> rows) {
        StringBuilder out = new StringBuilder("[");
        for (int i = 0; i < rows.size(); i++) {
            out.append(i == 0 ? "" : ",").append(record(rows.get(i)));
        }
        return out.append("]").toString();
    }

    /** One row with the console's columns. */
    private static String record(RequestRecord r) {
        return "{\"requestId\":" + r.requestId()
                + ",\"requester\":" + EstServer.quote(r.requester())
                + ",\"template\":" + EstServer.quote(String.valueOf(r.template()))
                + ",\"status\":" + EstServer.quote(r.status().name())
                + ",\"disposition\":" + EstServer.quote(String.valueOf(r.dispositionMessage()))
                + ",\"dispositionCode\":" + EstServer.quote(String.format(Locale.ROOT, "0x%08X", r.dispositionCode()))
                + ",\"serial\":" + (r.serial() == null ? "null" : EstServer.quote(r.serialHex()))
                + ",\"subject\":" + (r.subject() == null ? "null" : EstServer.quote(r.subject()))
                + ",\"submitted\":" + instant(r.submittedAt())
                + ",\"notAfter\":" + instant(r.notAfter())
                + ",\"revoked\":" + instant(r.revokedAt())
                + ",\"revocationReason\":" + (r.revocationReason() == null ? "null" : EstServer.quote(r.revocationReason().rfcName()))
                + "}";
    }

    private static String instant(Instant instant) {
        return instant == null ? "null" : EstServer.quote(instant.toString());
    }

    private static void json(Response response, Callback callback, String body) {
        EstServer.send(response, callback, 200, "application/json", (body + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
