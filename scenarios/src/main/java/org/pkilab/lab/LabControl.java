package org.pkilab.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.pkilab.directory.model.CertificateMappingSettings;
import org.pkilab.host.CertificateRequest;
import org.pkilab.host.CertificateStore;
import org.pkilab.host.DomainComputer;
import org.pkilab.enrollment.EnrollmentException;
import org.pkilab.host.MacComputer;
import org.pkilab.host.UnjoinedComputer;
import org.pkilab.enrollment.PendingException;
import org.pkilab.host.StoredCertificate;
import org.pkilab.iis.IisServer;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The console of a running lab's computers, for {@code pkilab host ...} in another terminal: the lab's
 * computers live in the {@code pkilab up} process, so what an administrator would do at the machine
 * (restart it, look at its Personal store, Request New Certificate, export a PFX) arrives here as a
 * small JSON API on 127.0.0.1, behind a random bearer token that only {@code pkilab up} prints and
 * keeps in its data folder. The directory and the CA are administered over their own protocols; the domain controller's
 * registry values, which Windows keeps outside the directory ({@code reg query} / {@code reg add} on the DC), come here
 * too ({@code pkilab dc getreg / setreg}).
 *
 * <pre>
 * GET  /hosts                                  the computers, with their https sites
 * POST /hosts                  {name, role, dns, machinePassword}   a computer account becomes a running computer
 * GET  /hosts/{name}/certificates              {store, certificates}: LocalMachine\My as the Certificates snap-in lists it
 *                                              (a Mac's System keychain)
 * POST /hosts/{name}/restart                   a new logon, Group Policy, autoenrollment; the store after it
 * POST /hosts/{name}/request   {template, dns, commonName, keySize, user, password}   with user: as that user, into
 *                                              CurrentUser\My; the same request again finds its pending one
 * POST /hosts/{name}/user-certificates {user, password}   a user logs on and opens CurrentUser\My
 * GET  /hosts/{name}/pending                   requests that wait for a certificate manager
 * POST /hosts/{name}/retrieve  {id}            certreq -retrieve: a pending request, sent again
 * POST /hosts/{name}/refresh-crl               certutil -urlcache CRL delete: the next check fetches CRLs anew
 * POST /hosts/{name}/refresh-ocsp              certutil -urlcache OCSP delete: the next check asks the Online Responder anew
 * POST /hosts/{name}/import    {fileName, pfx, password, exportable}   the Certificate Import Wizard ("Mark this key
 *                                                                as exportable"); pfx: the file's bytes, base64
 * POST /hosts/{name}/export    {thumbprint, password}   answers {pfx}: the caller writes the file, the console writes none
 * GET  /clock                                  the lab's clock: now, and how far ahead of real time
 * POST /clock/advance          {period}        moves the lab clock ("2 days"); hosts run what fell due
 * GET  /dc/registry                            reg query on the DC: {host, values: [{name, key, data}]} of its certificate
 *                                              mapping (StrongCertificateBindingEnforcement, CertificateMappingMethods)
 * POST /dc/registry            {name, data}    reg add on the DC: one of them set (data "2" or "0x18"); {host, name, before, after}
 * </pre>
 * Refusals answer 409 with the Windows message (AD CS code, NTE_BAD_KEY_STATE ...), a request taken under
 * submission 409 with its {@code pendingRequest} id, unknown computers 404, bad input 400; nothing changes on any of them.
 */
public final class LabControl implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern HOST_PATH = Pattern.compile(
            "/hosts/([^/]+)/(certificates|user-certificates|pending|restart|request|retrieve|refresh-crl|refresh-ocsp|import|export)");
    private static final java.util.Set<String> READS = java.util.Set.of("certificates", "pending");

    private final Lab lab;
    private final String token;
    private final Server server;
    private final ServerConnector connector;

    private LabControl(Lab lab, int port) {
        this.lab = lab;
        byte[] secret = new byte[24];
        new SecureRandom().nextBytes(secret);
        this.token = HexFormat.of().formatHex(secret);
        QueuedThreadPool threads = new QueuedThreadPool(8, 1);
        threads.setName("lab-control");
        // no buffer pool: Jetty 12.1 can read a connection's bytes into a buffer it has given back after a request line it
        // cannot parse, and the next connection parses them as its own request (see CaWebServer)
        this.server = new Server(threads, null, ByteBufferPool.NON_POOLING);
        this.connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        server.addConnector(connector);
        server.setHandler(new Routes());
    }

    /** Starts the console of {@code lab} on 127.0.0.1 ({@code port} 0: any free port). */
    public static LabControl start(Lab lab, int port) {
        LabControl control = new LabControl(lab, port);
        try {
            control.server.start();
        } catch (Exception e) {
            control.close();
            throw new IllegalStateException("the lab's host console did not start on port " + port + ": " + e.getMessage(), e);
        }
        return control;
    }

    public String url() {
        return "http://127.0.0.1:" + connector.getLocalPort();
    }

    /** The bearer token {@code pkilab host} sends. */
    public String token() {
        return token;
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            // stopping a console that failed to start
        }
    }

    /** 4xx answers: the status and the sentence the user reads. */
    private static final class Refusal extends RuntimeException {
        private final int status;

        Refusal(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private final class Routes extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            int status = 200;
            JsonNode body;
            try {
                String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
                if (auth == null || !MessageDigest.isEqual(auth.getBytes(StandardCharsets.UTF_8),
                        ("Bearer " + token).getBytes(StandardCharsets.UTF_8))) {
                    throw new Refusal(401, "this lab's console needs the token 'pkilab up' printed (--token or PKILAB_TOKEN), or kept in "
                            + "control.properties in its data folder (pkilab host --data DIR reads it there), sent as "
                            + "'Authorization: Bearer <token>'");
                }
                body = route(request);
            } catch (Refusal e) {
                status = e.status;
                body = error(e.getMessage());
            } catch (PendingException e) {
                status = 409;
                String host = hostOf(request);
                body = error(e.getMessage() + "\nOnce a certificate manager approves it (pkilab ca approve " + e.requestId() + "), get it with "
                        + "'pkilab host retrieve " + host + " " + e.requestId() + "' (certreq -retrieve " + e.requestId() + "), or run the same "
                        + "'pkilab host request' again: it finds its pending request.").put("pendingRequest", e.requestId());
            } catch (EnrollmentException | IllegalStateException | IllegalArgumentException
                     | org.pkilab.directory.client.DirectoryException e) {
                status = 409;
                body = error(e.getMessage());
            }
            response.setStatus(status);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.write(true, ByteBuffer.wrap(JSON.writeValueAsBytes(body)), callback);
            return true;
        }

        private JsonNode route(Request request) throws Exception {
            String path = Request.getPathInContext(request);
            boolean post = request.getMethod().equals("POST");
            if (path.equals("/clock") && !post) {
                return clock();
            }
            if (path.equals("/clock/advance") && post) {
                String period = text(read(request), "period", true);
                java.time.Duration by;
                try {
                    by = org.pkilab.directory.model.PkiPeriod.parse(period);
                } catch (IllegalArgumentException e) {
                    throw new Refusal(400, "advance clock: " + e.getMessage());
                }
                lab.advanceClock(by);
                return clock();
            }
            if (path.equals("/dc/registry")) {
                return post ? setDcRegistry(read(request)) : dcRegistry();
            }
            if (path.equals("/hosts") && post) {
                JsonNode in = read(request);
                String name = text(in, "name", true);
                if (!name.matches("[A-Za-z0-9][A-Za-z0-9-]{0,14}")) {
                    throw new Refusal(400, "add: '" + name + "' is not a computer name: 1 to 15 letters, digits or hyphens (its NetBIOS name)");
                }
                LabSpec.Role role;
                try {
                    role = LabSpec.Role.valueOf(in.path("role").asText("CLIENT").toUpperCase(java.util.Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new Refusal(400, "add: role must be client or iis, not " + in.path("role").asText());
                }
                List<String> dns = in.has("dns") ? JSON.convertValue(in.get("dns"),
                        JSON.getTypeFactory().constructCollectionType(List.class, String.class)) : List.of();
                return describe(lab.addComputer(name, role, dns, text(in, "machinePassword", false)));
            }
            if (path.equals("/hosts") && !post) {
                ArrayNode hosts = JSON.createArrayNode();
                for (String name : lab.computerNames()) {
                    hosts.add(describe(lab.computer(name)));
                }
                for (String name : lab.unjoinedNames()) {
                    UnjoinedComputer machine = lab.unjoined(name);
                    hosts.addObject().put("name", name).put("fqdn", machine.hostName()).put("role", machine instanceof MacComputer ? "mac" : "device")
                            .put("kind", machine.kind()).put("store", machine.store().name()).put("certificates", machine.store().certificates().size());
                }
                return hosts;
            }
            Matcher m = HOST_PATH.matcher(path);
            if (!m.matches() || post == READS.contains(m.group(2))) {
                throw new Refusal(404, "no such console request: " + request.getMethod() + " " + path);
            }
            String name = m.group(1);
            boolean unjoined = lab.unjoinedNames().contains(name.toUpperCase(java.util.Locale.ROOT));
            if (unjoined && m.group(2).equals("certificates")) {
                return store(lab.unjoined(name).store());
            }
            if (!unjoined && !lab.computerNames().contains(name.toUpperCase(java.util.Locale.ROOT))) {
                List<String> all = new java.util.ArrayList<>(lab.computerNames());
                all.addAll(lab.unjoinedNames());
                throw new Refusal(404, "no computer " + name + " in this lab; it has " + String.join(", ", all));
            }
            JsonNode in = post ? read(request) : JSON.createObjectNode();
            return switch (m.group(2)) {
                case "certificates" -> store(lab.computer(name).personal());
                case "user-certificates" -> store(logOn(name, in).personal());
                case "pending" -> {
                    ArrayNode list = JSON.createArrayNode();
                    lab.computer(name).pendingEnrollments().forEach(p -> list.addObject().put("requestId", p.requestId())
                            .put("template", p.template()).put("store", p.store()));
                    yield list;
                }
                case "retrieve" -> {
                    JsonNode id = in.get("id");
                    if (id == null || !id.canConvertToLong() || id.asLong() < 1) {
                        throw new Refusal(400, "retrieve: 'id' must be a request id (a whole number, as 'pkilab ca pending' lists it), not "
                                + (id == null ? "missing" : id.toString()));
                    }
                    yield certificate(lab.computer(name).retrievePending(id.asLong()));
                }
                case "restart" -> {
                    DomainComputer computer = lab.restart(name);
                    ObjectNode out = describe(computer);
                    out.set("store", store(computer.personal()).get("certificates"));
                    yield out;
                }
                case "request" -> {
                    CertificateRequest req = CertificateRequest.forTemplate(text(in, "template", true));
                    if (in.has("dns")) {
                        List<String> dns = JSON.convertValue(in.get("dns"), JSON.getTypeFactory().constructCollectionType(List.class, String.class));
                        req = req.dnsNames(dns.toArray(new String[0]));
                    }
                    if (in.hasNonNull("commonName")) {
                        req = req.commonName(in.get("commonName").asText());
                    }
                    if (in.has("keySize")) {
                        req = req.keySize(in.get("keySize").asInt());
                    }
                    yield certificate(in.hasNonNull("user") ? logOn(name, in).requestCertificate(req)
                            : lab.computer(name).requestCertificate(req));
                }
                case "refresh-crl" -> {
                    int forgotten = lab.computer(name).crlCache().clear();
                    yield JSON.createObjectNode().put("forgotten", forgotten);
                }
                case "refresh-ocsp" -> {
                    int forgotten = lab.computer(name).ocspCache().clear();
                    yield JSON.createObjectNode().put("forgotten", forgotten);
                }
                // the PFX travels in the request and the answer: the console reads and writes no file the caller names,
                // so it cannot be made to read or overwrite a file as the lab's account
                case "import" -> {
                    String fileName = text(in, "fileName", true);
                    byte[] pfx;
                    try {
                        pfx = java.util.Base64.getDecoder().decode(text(in, "pfx", true));
                    } catch (IllegalArgumentException e) {
                        throw new Refusal(400, "import: pfx must be the file's bytes in base64: " + e.getMessage());
                    }
                    JsonNode password = in.get("password");
                    yield certificate(lab.computer(name).importPfx(fileName, pfx, password == null || password.isNull() ? null
                            : password.asText().toCharArray(), in.path("exportable").asBoolean(false)));
                }
                case "export" -> {
                    byte[] pfx = lab.computer(name).exportPfx(text(in, "thumbprint", true), text(in, "password", true).toCharArray());
                    yield JSON.createObjectNode().put("pfx", java.util.Base64.getEncoder().encodeToString(pfx));
                }
                default -> throw new Refusal(404, "no such console request: " + path);
            };
        }

        /** A user logs on at the computer (a fresh token, their CurrentUser\\My); every lab account's password unless given. */
        private org.pkilab.host.UserSession logOn(String computer, JsonNode in) {
            String user = text(in, "user", true);
            String password = text(in, "password", false);
            try {
                return lab.computer(computer).logOnUser(lab.admin().usersAndComputers().dnOf(user), password != null ? password : lab.password());
            } catch (org.pkilab.directory.client.DirectoryException e) {
                if (e.resultCode() != 49) {
                    throw e;
                }
                throw new Refusal(409, user + " could not log on at " + computer.toUpperCase(java.util.Locale.ROOT) + ": " + e.getMessage()
                        + ". Give the user's password with --user-password (or PKILAB_USER_PASSWORD); without it the lab's password is tried, "
                        + "which a scenario's users have.");
            }
        }

        private static String hostOf(Request request) {
            Matcher m = HOST_PATH.matcher(Request.getPathInContext(request));
            return m.matches() ? m.group(1).toUpperCase(java.util.Locale.ROOT) : "HOST";
        }

        private JsonNode read(Request request) throws Exception {
            try {
                JsonNode in = JSON.readTree(Content.Source.asString(request, StandardCharsets.UTF_8));
                if (in == null || !in.isObject()) {
                    throw new Refusal(400, "the request body must be a JSON object");
                }
                return in;
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new Refusal(400, "the request body is not JSON: " + e.getOriginalMessage());
            }
        }

        private static String text(JsonNode in, String field, boolean required) {
            JsonNode value = in.get(field);
            if (value == null || value.isNull() || value.asText().isBlank()) {
                if (required) {
                    throw new Refusal(400, "'" + field + "' is required");
                }
                return null;
            }
            return value.asText();
        }
    }

    private ObjectNode dcRegistry() {
        CertificateMappingSettings settings = lab.dc().certificateMapping();
        ObjectNode out = JSON.createObjectNode().put("host", lab.dc().fqdn());
        ArrayNode values = out.putArray("values");
        for (DcRegistryValue value : DcRegistryValue.values()) {
            values.addObject().put("name", value.valueName()).put("key", value.key()).put("data", value.read(settings));
        }
        return out;
    }

    /** One value changed as {@code reg add} would; bad input is refused with 400 and the DC's settings stay as they were. */
    private ObjectNode setDcRegistry(JsonNode in) {
        JsonNode name = in.get("name");
        JsonNode data = in.get("data");
        if (name == null || !name.isTextual() || data == null || data.isNull()) {
            throw new Refusal(400, "reg add on the DC needs 'name' (" + String.join(" or ", DcRegistryValue.names()) + ") and 'data'");
        }
        DcRegistryValue value;
        CertificateMappingSettings before = lab.dc().certificateMapping();
        CertificateMappingSettings after;
        try {
            value = DcRegistryValue.named(name.asText());
            after = value.apply(before, data.asText());
        } catch (IllegalArgumentException e) {
            throw new Refusal(400, e.getMessage());
        }
        lab.dc().certificateMapping(after);
        return JSON.createObjectNode().put("host", lab.dc().fqdn()).put("name", value.valueName()).put("key", value.key())
                .put("before", value.read(before)).put("after", value.read(after));
    }

    private ObjectNode clock() {
        return JSON.createObjectNode().put("now", lab.clock().instant().toString()).put("offsetSeconds", lab.clock().offset().toSeconds());
    }

    private static ObjectNode error(String message) {
        return JSON.createObjectNode().put("error", message);
    }

    private static ObjectNode describe(DomainComputer computer) {
        ObjectNode host = JSON.createObjectNode();
        host.put("name", computer.name());
        host.put("fqdn", computer.fqdn());
        host.put("role", computer instanceof IisServer ? "iis" : "client");
        host.putPOJO("dnsNames", computer.config().dnsNames());
        host.put("aePolicy", computer.autoEnrollmentPolicy());
        host.put("certificates", computer.personal().certificates().size());
        if (computer.token() != null) {
            host.putPOJO("tokenGroups", computer.token().groupNames());
        }
        if (computer instanceof IisServer iis && iis.boundThumbprint() != null) {
            host.put("https", iis.url(computer.config().dnsNames().get(Math.min(1, computer.config().dnsNames().size() - 1)), "/"));
            host.put("binding", iis.boundThumbprint());
            host.put("clientCertificates", iis.sslSettings().name());
        }
        return host;
    }

    /** A store as the snap-in (or Keychain Access) lists it: its name and its certificates. */
    private static ObjectNode store(CertificateStore store) {
        ObjectNode node = JSON.createObjectNode().put("store", store.name());
        ArrayNode list = node.putArray("certificates");
        store.certificates().forEach(c -> list.add(certificate(c)));
        return node;
    }

    private static ObjectNode certificate(StoredCertificate c) {
        ObjectNode node = JSON.createObjectNode();
        node.put("thumbprint", c.thumbprint());
        node.put("issuedTo", c.issuedTo());
        node.put("subject", c.certificate().getSubjectX500Principal().getName());
        node.putPOJO("dnsNames", c.dnsNames());
        node.putPOJO("intendedPurposes", c.intendedPurposes());
        node.put("certificateTemplate", c.certificateTemplate());
        node.put("issuer", c.certificate().getIssuerX500Principal().getName());
        node.put("notBefore", c.notBefore().toString());
        node.put("notAfter", c.notAfter().toString());
        node.put("exportable", c.exportable());
        node.put("imported", c.imported());
        node.put("keyStorage", c.keyStorage().name());
        return node;
    }
}
