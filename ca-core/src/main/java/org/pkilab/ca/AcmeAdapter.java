package org.pkilab.ca;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.URIUtil;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.keys.HmacKey;
import org.jose4j.lang.JoseException;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.pki.KeyFiles;
import org.pkilab.windows.WindowsError;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * ACME (RFC 8555) in front of the enterprise CA, one directory per certificate template, as the ACME servers sold for
 * AD CS put it: the template is in the path, and every order's certificate request goes through the one
 * {@link EnrollmentService} pipeline with the token of the directory account the ACME account is bound to.
 *
 * <pre>
 * GET  /acme/&lt;template&gt;/directory       newNonce, newAccount, newOrder, revokeCert, keyChange; meta.externalAccountRequired
 * HEAD /acme/&lt;template&gt;/new-nonce       a Replay-Nonce (GET too)
 * POST /acme/&lt;template&gt;/new-account     jwk + externalAccountBinding (HS256 with the key 'pkilab acme eab alice' issued)
 * POST /acme/&lt;template&gt;/new-order       identifiers: dns names of the lab (contoso.com and below)
 * POST /acme/&lt;template&gt;/authz/&lt;id&gt;, chall/&lt;id&gt;   http-01 or tls-alpn-01, checked on 127.0.0.1 ({@link AcmeValidation})
 * POST /acme/&lt;template&gt;/order/&lt;id&gt;[/finalize], cert/&lt;id&gt;, acct/&lt;id&gt;[/orders], key-change, revoke-cert
 * </pre>
 *
 * <p>Every POST is a JWS in the flattened JSON form, RS256 or ES256/384/512, verified with jose4j (the library acme4j
 * signs with), carrying a nonce this adapter handed out and has not seen before, and the URL it was sent to. An
 * account is made only with an external account binding: the key id and HMAC key an administrator issued for a
 * directory account ({@code pkilab acme eab alice}, {@link AcmeAccounts}); the account is bound to that directory
 * account for good, and its orders are judged with that account's current token (S4U2Self,
 * {@link AccountLogon#onBehalfOf}): the template's Enroll right, issuance here, names, key, CA manager approval.
 *
 * <p>An order goes {@code pending → ready → processing → valid}. Finalizing submits the CSR; a template that needs CA
 * manager approval leaves the order {@code processing} with {@code Retry-After} until {@code pkilab ca approve}. Every
 * refusal is an RFC 7807 problem document whose {@code detail} starts with the AD CS code:
 *
 * <pre>
 * 403 application/problem+json
 * {"type": "urn:ietf:params:acme:error:unauthorized",
 *  "detail": "0x80094012 CERTSRV_E_TEMPLATE_DENIED: CONTOSO\\bob holds no Enroll right on 'ACME Web Server' ... To fix: ..."}
 * </pre>
 *
 * <p>Revocation is by the ACME account that ordered the certificate (remembered in {@link AcmeAccounts}), by one holding
 * valid authorizations for all its names, or by the certificate's own key; with a reason a subscriber may give. What a client may send is bounded: a body of {@value #MAX_BODY} bytes (413),
 * {@code application/jose+json} only (415), {@value #MAX_ORDERS_PER_ACCOUNT} live (pending, ready, processing) orders an
 * account may hold; orders and authorizations expire after {@code ORDER_LIFETIME} and are swept when new orders come.
 */
final class AcmeAdapter {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AcmeAdapter.class);

    static final String PREFIX = "/acme/";
    static final int MAX_BODY = 64 * 1024;
    static final int MAX_ORDERS_PER_ACCOUNT = 300;
    static final int MAX_IDENTIFIERS = 100;
    static final int MAX_VALIDATIONS = 64;
    private static final int VALIDATION_THREADS = 8;
    static final String ERROR = "urn:ietf:params:acme:error:";
    private static final String PROBLEM_TYPE = "application/problem+json";
    private static final Duration ORDER_LIFETIME = Duration.ofDays(7);
    private static final int RETRY_AFTER_SECONDS = 3;
    private static final int MAX_NONCES = 10_000;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final AlgorithmConstraints SIGNATURES = new AlgorithmConstraints(AlgorithmConstraints.ConstraintType.PERMIT,
            AlgorithmIdentifiers.RSA_USING_SHA256, AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256,
            AlgorithmIdentifiers.ECDSA_USING_P384_CURVE_AND_SHA384, AlgorithmIdentifiers.ECDSA_USING_P521_CURVE_AND_SHA512);
    private static final AlgorithmConstraints MACS = new AlgorithmConstraints(AlgorithmConstraints.ConstraintType.PERMIT,
            AlgorithmIdentifiers.HMAC_SHA256, AlgorithmIdentifiers.HMAC_SHA384, AlgorithmIdentifiers.HMAC_SHA512);

    /** An ACME error answer: RFC 8555 6.7's type, the HTTP status, and a detail that says what to change. */
    static final class Problem extends RuntimeException {
        final int status;
        final String type;

        Problem(int status, String type, String detail) {
            super(RequestedNames.escape(detail), null, false, false);
            this.status = status;
            this.type = type;
        }

        /** A refusal of the CA's: the AD CS code first, then the reason and the fix. */
        static Problem of(Decision refusal) {
            WindowsError error = refusal.error();
            String type = switch (error) {
                case ERROR_LOGON_FAILURE, CERTSRV_E_TEMPLATE_DENIED, E_ACCESSDENIED, CERTSRV_E_ENROLL_DENIED,
                     CERTSRV_E_ADMIN_DENIED_REQUEST, CERTSRV_E_UNSUPPORTED_CERT_TYPE, ERROR_NONE_MAPPED -> "unauthorized";
                case CERTSRV_E_BAD_REQUESTSUBJECT, CERTSRV_E_SUBJECT_DNS_REQUIRED, CERTSRV_E_SUBJECT_UPN_REQUIRED,
                     CERTSRV_E_SUBJECT_EMAIL_REQUIRED -> "rejectedIdentifier";
                case CERTSRV_E_KEY_LENGTH, CRYPT_E_ASN1_BADTAG, NTE_BAD_SIGNATURE, NTE_BAD_KEY_STATE, NTE_BAD_PROV_TYPE,
                     CERTSRV_E_TEMPLATE_CONFLICT, CERTSRV_E_NO_CERT_TYPE, CERTSRV_E_TEMPLATE_POLICY_REQUIRED,
                     CERTSRV_E_SIGNATURE_POLICY_REQUIRED, CERTSRV_E_SIGNATURE_COUNT, CERTSRV_E_SIGNATURE_REJECTED,
                     CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, CERTSRV_E_BAD_RENEWAL_SUBJECT, E_INVALIDARG -> "badCSR";
                // the CA's own failures (its database, the directory it reads) are not the client's to fix
                default -> "serverInternal";
            };
            int status = switch (type) {
                case "unauthorized" -> 403;
                case "serverInternal" -> 500;
                default -> 400;
            };
            return new Problem(status, type, error + ": " + refusal.reason()
                    + (refusal.fix() == null || refusal.fix().isEmpty() ? "" : " To fix: " + refusal.fix()));
        }

        /** A CSR the CA will not take: RFC 8555's badCSR with the AD CS code. */
        static Problem badCsr(Decision refusal) {
            return new Problem(400, "badCSR", refusal.error() + ": " + refusal.reason()
                    + (refusal.fix() == null || refusal.fix().isEmpty() ? "" : ". To fix: " + refusal.fix()));
        }

        ObjectNode json() {
            ObjectNode node = JSON.createObjectNode();
            node.put("type", ERROR + type);
            node.put("detail", getMessage());
            node.put("status", status);
            return node;
        }
    }

    private static final class Order {
        final String id;
        final String accountId;
        final String template;
        final List<String> names;
        final List<String> authorizations;
        final Instant expires;
        String status = "pending";
        long requestId = -1;
        byte[] certificate;
        ObjectNode error;

        Order(String id, String accountId, String template, List<String> names, List<String> authorizations, Instant expires) {
            this.id = id;
            this.accountId = accountId;
            this.template = template;
            this.names = names;
            this.authorizations = authorizations;
            this.expires = expires;
        }
    }

    private static final class Authorization {
        final String id;
        final String accountId;
        final String name;
        final Instant expires;
        final List<Challenge> challenges = new ArrayList<>();
        String status = "pending";

        Authorization(String id, String accountId, String name, Instant expires) {
            this.id = id;
            this.accountId = accountId;
            this.name = name;
            this.expires = expires;
        }
    }

    private static final class Challenge {
        final String id;
        final String type;
        final String token;
        final Authorization authorization;
        String status = "pending";
        Instant validated;
        ObjectNode error;

        Challenge(String id, String type, String token, Authorization authorization) {
            this.id = id;
            this.type = type;
            this.token = token;
            this.authorization = authorization;
        }
    }

    /** A verified request: its payload (empty for POST-as-GET), the account that signed it (null for a jwk) or the jwk. */
    private record Signed(String payload, AcmeAccounts.Account account, PublicJsonWebKey jwk) {
        JsonNode json() {
            if (payload.isEmpty()) {
                return JSON.createObjectNode();
            }
            try {
                JsonNode node = JSON.readTree(payload);
                if (node == null || !node.isObject()) {
                    throw new Problem(400, "malformed", "the JWS payload is not a JSON object");
                }
                return node;
            } catch (IOException e) {
                throw new Problem(400, "malformed", "the JWS payload is not JSON: " + why(e));
            }
        }
    }

    private final String caName;
    private final String fqdn;
    private final String domain;
    private final Supplier<X509Certificate> caCertificate;
    private final Enrollment enrollment;
    private final EnrollmentPolicySource templates;
    private final AccountLogon logon;
    private final CaAdministration administration;
    private final AcmeAccounts accounts;
    private final Clock clock;
    /**
     * Where challenges are checked, off the HTTPS threads EST and the administration share: {@value #MAX_VALIDATIONS}
     * at once at most, each ending within {@link AcmeValidation#DEADLINE_SECONDS} s; a challenge POST beyond that is
     * answered {@code 429 rateLimited}.
     */
    private final java.util.concurrent.ThreadPoolExecutor validations = new java.util.concurrent.ThreadPoolExecutor(
            VALIDATION_THREADS, VALIDATION_THREADS, 30, java.util.concurrent.TimeUnit.SECONDS,
            new java.util.concurrent.ArrayBlockingQueue<>(MAX_VALIDATIONS - VALIDATION_THREADS), r -> {
                Thread thread = new Thread(r, "acme-validation");
                thread.setDaemon(true);
                return thread;
            });
    /** Held while an order is counted against its account's limit and placed, and while expired ones are swept. */
    private final Object orderBook = new Object();
    private final Map<String, Order> orders = new ConcurrentHashMap<>();
    private final Map<String, Authorization> authorizations = new ConcurrentHashMap<>();
    private final Map<String, Challenge> challenges = new ConcurrentHashMap<>();
    private final Set<String> nonces = Collections.newSetFromMap(Collections.synchronizedMap(new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > MAX_NONCES;
        }
    }));

    /**
     * {@code fqdn}: the CA's host name, which a signed URL may name besides the host the request came to;
     * {@code domain}: the forest's DNS name; the names an order may hold are it and those below it.
     */
    AcmeAdapter(String caName, String fqdn, String domain, Supplier<X509Certificate> caCertificate, Enrollment enrollment,
                EnrollmentPolicySource templates, AccountLogon logon, CaAdministration administration, AcmeAccounts accounts, Clock clock) {
        this.caName = caName;
        this.fqdn = fqdn;
        this.domain = domain.toLowerCase(Locale.ROOT);
        this.caCertificate = caCertificate;
        this.enrollment = enrollment;
        this.templates = templates;
        this.logon = logon;
        this.administration = administration;
        this.accounts = accounts;
        this.clock = clock;
        validations.allowCoreThreadTimeOut(true);
    }

    /** Stops checking challenges; those under way end at their deadline. */
    void close() {
        validations.shutdownNow();
    }

    /** {@code path}: what follows {@value #PREFIX}, {@code <template>/<resource>[/<id>[/<action>]]}. */
    void handle(Request request, Response response, Callback callback, String path) {
        try {
            route(request, response, callback, path);
        } catch (Problem problem) {
            problem(response, callback, problem);
        } catch (CaException e) {
            problem(response, callback, Problem.of(Decision.deny(e.error(), e.reason(), e.fix())));
        } catch (RuntimeException e) {
            for (Throwable cause = e; cause != null; cause = cause.getCause()) {
                if (cause instanceof CaDatabase.StorageFullException full) {
                    response.getHeaders().put(HttpHeader.RETRY_AFTER, "60");
                    problem(response, callback, new Problem(503, "serverInternal", caName + " cannot take requests now: "
                            + full.getMessage()));
                    return;
                }
            }
            LOG.warn("{}: ACME {} {} failed", caName, request.getMethod(), path, e);
            problem(response, callback, new Problem(500, "serverInternal", "internal error in " + caName + ": " + why(e)
                    + "; the CA's log has the details"));
        }
    }

    private void route(Request request, Response response, Callback callback, String path) {
        String[] parts = path.split("/", -1);
        if (parts.length < 2 || parts[0].isEmpty() || request.getHttpURI().getPath().contains(";")) {
            throw new Problem(404, "malformed", "not an ACME path: " + PREFIX + path + "; the directory is at " + PREFIX
                    + "<template>/directory");
        }
        String template = URIUtil.decodePath(parts[0]);
        Decision label = IssuancePolicy.labelCanNameATemplate(template);
        if (!label.proceeds()) {
            // never looked up: a label that cannot be a name goes no further, as EST's
            throw new Problem(404, "malformed", label.error() + ": " + label.reason() + ". To fix: " + label.fix());
        }
        String base = base(request, parts[0]);
        String resource = parts[1];
        String method = request.getMethod();
        if (resource.equals("directory") && parts.length == 2) {
            requireMethod(method, "GET");
            directory(response, callback, template, base);
            return;
        }
        if (resource.equals("new-nonce") && parts.length == 2) {
            if (!method.equals("HEAD") && !method.equals("GET")) {
                throw methodNotAllowed(method, "HEAD, GET");
            }
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
            send(response, callback, method.equals("HEAD") ? 200 : 204, null, null, base);
            return;
        }
        requireMethod(method, "POST");
        String contentType = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        if (contentType == null || !contentType.strip().toLowerCase(Locale.ROOT).startsWith("application/jose+json")) {
            throw new Problem(415, "malformed", "send ACME requests as Content-Type: application/jose+json, not "
                    + (contentType == null ? "without a Content-Type" : "'" + contentType + "'"));
        }
        if (request.getLength() > MAX_BODY) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
            throw new Problem(413, "malformed", "the request body declares " + request.getLength() + " bytes; " + caName
                    + " reads at most " + MAX_BODY);
        }
        byte[] body;
        try {
            body = Content.Source.asInputStream(request).readNBytes(MAX_BODY + 1);
        } catch (IOException | RuntimeException e) {
            throw new Problem(400, "malformed", "the request body could not be read to its end: " + e.getMessage());
        }
        if (body.length > MAX_BODY) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
            throw new Problem(413, "malformed", "the request body is over " + MAX_BODY + " bytes; an ACME request is a few KB");
        }
        String url = base + "/" + String.join("/", Arrays.copyOfRange(parts, 1, parts.length));
        String id = parts.length >= 3 ? parts[2] : null;
        switch (resource + (parts.length == 2 ? "" : parts.length == 3 ? "/" : parts.length == 4 ? "/" + parts[3] : "/?/?")) {
            case "new-account" -> newAccount(response, callback, verify(body, url, Signer.JWK, base), base, url);
            case "new-order" -> newOrder(response, callback, verify(body, url, Signer.KID, base), template, base);
            case "revoke-cert" -> revoke(response, callback, verify(body, url, Signer.EITHER, base), base);
            case "key-change" -> keyChange(response, callback, verify(body, url, Signer.KID, base), base, url);
            case "acct/" -> account(response, callback, verify(body, url, Signer.KID, base), id, base);
            case "acct/orders" -> accountOrders(response, callback, verify(body, url, Signer.KID, base), id, base);
            case "order/" -> order(response, callback, verify(body, url, Signer.KID, base), id, base);
            case "order/finalize" -> finalizeOrder(response, callback, verify(body, url, Signer.KID, base), id, base);
            case "authz/" -> authorization(response, callback, verify(body, url, Signer.KID, base), id, base);
            case "chall/" -> challenge(response, callback, verify(body, url, Signer.KID, base), id, base);
            case "cert/" -> certificate(response, callback, verify(body, url, Signer.KID, base), id, base);
            default -> throw new Problem(404, "malformed", "no ACME resource " + PREFIX + path + "; the directory "
                    + base + "/directory lists them");
        }
    }

    // ---- resources --------------------------------------------------------------------------------

    /**
     * Refuses a template ACME may not issue: one the directory does not hold, or one whose subject the CA builds from
     * Active Directory (Domain Controller, Kerberos Authentication, User, Machine), which would put the bound account's
     * directory names into a certificate for names nobody validated.
     */
    private void requireAcmeTemplate(String template) {
        Optional<org.pkilab.directory.model.CertificateTemplate> found = templates.template(template);
        WindowsError error = WindowsError.CERTSRV_E_UNSUPPORTED_CERT_TYPE;
        if (found.isEmpty()) {
            throw new Problem(404, "malformed", error + ": there is no certificate template '" + RequestedNames.printable(template)
                    + "' in the directory, so no ACME directory for it at " + caName + ". To fix: use " + PREFIX
                    + "<template>/directory with a template's name, one on the CA's Certificate Templates to Issue");
        }
        if (!found.get().enrolleeSuppliesSubject()) {
            throw new Problem(403, "unauthorized", error + ": ACME issues only templates whose subject is supplied in the request; '"
                    + found.get().name() + "' builds the subject from Active Directory (Subject Name tab: 'Build from this Active "
                    + "Directory information'), so " + caName + " serves no ACME directory for it. To fix: order from the directory "
                    + "of a template set to 'Supply in the request' (a duplicate of Web Server), or enroll for '" + found.get().name()
                    + "' with autoenrollment or EST");
        }
    }

    private void directory(Response response, Callback callback, String template, String base) {
        requireAcmeTemplate(template);
        ObjectNode dir = JSON.createObjectNode();
        dir.put("newNonce", base + "/new-nonce");
        dir.put("newAccount", base + "/new-account");
        dir.put("newOrder", base + "/new-order");
        dir.put("revokeCert", base + "/revoke-cert");
        dir.put("keyChange", base + "/key-change");
        ObjectNode meta = dir.putObject("meta");
        meta.put("externalAccountRequired", true);
        meta.putArray("caaIdentities").add(domain);
        sendJson(response, callback, 200, dir, null);
    }

    private void newAccount(Response response, Callback callback, Signed signed, String base, String url) {
        JsonNode payload = signed.json();
        String thumbprint = thumbprint(signed.jwk());
        Optional<AcmeAccounts.Account> existing = accounts.byThumbprint(thumbprint);
        if (existing.isPresent() && !existing.get().valid()) {
            throw new Problem(401, "unauthorized", WindowsError.ERROR_LOGON_FAILURE + ": ACME account " + existing.get().id() + " ("
                    + existing.get().directoryAccount() + "), which holds this key, is " + existing.get().status() + ". To fix: "
                    + "register a new account with a new key and an external account key an administrator issues");
        }
        if (existing.isPresent()) {
            response.getHeaders().put(HttpHeader.LOCATION, base + "/acct/" + existing.get().id());
            sendJson(response, callback, 200, accountJson(existing.get(), base), base);
            return;
        }
        if (payload.path("onlyReturnExisting").asBoolean(false)) {
            throw new Problem(400, "accountDoesNotExist", "no ACME account at " + caName + " has this key");
        }
        JsonNode binding = payload.get("externalAccountBinding");
        if (binding == null) {
            throw new Problem(403, "externalAccountRequired", caName + " makes ACME accounts only with an external account "
                    + "binding, so it knows which directory account orders. To fix: have an administrator issue a key id and HMAC "
                    + "key for the account ('pkilab acme eab alice') and register with them (certbot --eab-kid/--eab-hmac-key, "
                    + "lego --eab --kid/--hmac)");
        }
        String keyId = verifyBinding(binding, url, thumbprint);
        List<String> contact = new ArrayList<>();
        payload.path("contact").forEach(c -> contact.add(RequestedNames.printable(c.asText())));
        AcmeAccounts.Account account;
        try {
            account = accounts.create(signed.jwk().toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY), thumbprint, keyId, contact, clock.instant());
        } catch (AcmeAccounts.KeyInUse e) {
            // another new-account with this key won the race: RFC 8555 7.3.1 answers it with that account
            response.getHeaders().put(HttpHeader.LOCATION, base + "/acct/" + e.holder.id());
            sendJson(response, callback, 200, accountJson(e.holder, base), base);
            return;
        } catch (IllegalStateException e) {
            throw new Problem(403, "unauthorized", WindowsError.ERROR_LOGON_FAILURE + ": the external account key '" + keyId
                    + "' was used already; a key makes one ACME account. To fix: have an administrator issue a new one "
                    + "('pkilab acme eab <account>')");
        }
        response.getHeaders().put(HttpHeader.LOCATION, base + "/acct/" + account.id());
        sendJson(response, callback, 201, accountJson(account, base), base);
    }

    /** The key id of a valid external account binding of the account key with {@code thumbprint}. */
    private String verifyBinding(JsonNode binding, String url, String thumbprint) {
        JsonWebSignature jws = compact(binding, "externalAccountBinding");
        jws.setAlgorithmConstraints(MACS);
        String keyId = jws.getKeyIdHeaderValue();
        String boundUrl;
        try {
            boundUrl = jws.getHeader("url");
        } catch (RuntimeException e) {
            boundUrl = null;
        }
        WindowsError failure = WindowsError.ERROR_LOGON_FAILURE;
        AcmeAccounts.ExternalAccountKey key = keyId == null ? null : accounts.key(keyId).orElse(null);
        if (key == null) {
            throw new Problem(403, "unauthorized", failure + ": the external account binding names key id '"
                    + RequestedNames.printable(String.valueOf(keyId)) + "', which no administrator of " + caName + " issued. To fix: "
                    + "use the key id 'pkilab acme eab <account>' printed");
        }
        if (!url.equals(boundUrl)) {
            throw new Problem(403, "unauthorized", failure + ": the external account binding's url header is '"
                    + RequestedNames.printable(String.valueOf(boundUrl)) + "', not " + url + ". To fix: sign the binding for the "
                    + "newAccount URL the request is sent to");
        }
        if (jws.getHeaders().getObjectHeaderValue("nonce") != null) {
            throw new Problem(403, "malformed", failure + ": the external account binding carries a nonce header, which RFC 8555 "
                    + "7.3.4 forbids. To fix: put the nonce in the outer JWS only");
        }
        // nothing about the key's account is told before the MAC shows the client holds the HMAC key
        try {
            jws.setKey(new HmacKey(key.hmacKey()));
            if (!jws.verifySignature()) {
                throw new Problem(403, "unauthorized", failure + ": the external account binding's MAC does not verify with the HMAC "
                        + "key issued with key id '" + keyId + "'. To fix: give the client the HMAC key printed with that key id, "
                        + "base64url as printed");
            }
            PublicJsonWebKey bound = PublicJsonWebKey.Factory.newPublicJwk(jws.getUnverifiedPayload());
            if (!thumbprint(bound).equals(thumbprint)) {
                throw new Problem(403, "unauthorized", failure + ": the external account binding signs another key than the "
                        + "account's. To fix: bind the key the newAccount request is signed with");
            }
        } catch (JoseException e) {
            throw new Problem(403, "unauthorized", failure + ": the external account binding does not verify: " + why(e));
        }
        if (key.accountSid() == null) {
            throw new Problem(403, "unauthorized", failure + ": the external account key '" + keyId + "' for "
                    + key.account() + " was issued before " + caName + " kept the SID of the account a key is bound to. To fix: have an "
                    + "administrator issue a new one ('pkilab acme eab " + key.account() + "')");
        }
        if (key.boundTo() != null) {
            throw new Problem(403, "unauthorized", failure + ": the external account key '" + keyId + "' was used already; a key "
                    + "makes one ACME account. To fix: have an administrator issue a new one ('pkilab acme eab <account>')");
        }
        return keyId;
    }

    private void account(Response response, Callback callback, Signed signed, String id, String base) {
        AcmeAccounts.Account account = ownAccount(signed, id);
        JsonNode payload = signed.json();
        if (payload.has("status")) {
            if (!"deactivated".equals(payload.path("status").asText())) {
                throw new Problem(400, "malformed", "an account's status can only be changed to 'deactivated'");
            }
            account = accounts.update(account.deactivated());
            for (Authorization authorization : authorizations.values()) {
                synchronized (authorization) {
                    if (authorization.accountId.equals(account.id()) && authorization.status.matches("pending|valid")) {
                        authorization.status = "deactivated";
                    }
                }
            }
        } else if (payload.has("contact")) {
            List<String> contact = new ArrayList<>();
            payload.path("contact").forEach(c -> contact.add(RequestedNames.printable(c.asText())));
            account = accounts.update(account.withContact(contact));
        }
        response.getHeaders().put(HttpHeader.LOCATION, base + "/acct/" + account.id());
        sendJson(response, callback, 200, accountJson(account, base), base);
    }

    private void accountOrders(Response response, Callback callback, Signed signed, String id, String base) {
        requirePostAsGet(signed, "an account's orders");
        AcmeAccounts.Account account = ownAccount(signed, id);
        ObjectNode list = JSON.createObjectNode();
        ArrayNode urls = list.putArray("orders");
        orders.values().stream().filter(o -> o.accountId.equals(account.id())).forEach(o -> urls.add(base + "/order/" + o.id));
        sendJson(response, callback, 200, list, base);
    }

    private AcmeAccounts.Account ownAccount(Signed signed, String id) {
        if (!signed.account().id().equals(id)) {
            throw new Problem(403, "unauthorized", "account " + signed.account().id() + " may not read or change account "
                    + RequestedNames.printable(String.valueOf(id)));
        }
        return signed.account();
    }

    private void keyChange(Response response, Callback callback, Signed signed, String base, String url) {
        JsonNode inner;
        try {
            inner = JSON.readTree(signed.payload());
        } catch (IOException e) {
            throw new Problem(400, "malformed", "the key-change payload is not a JWS: " + why(e));
        }
        JsonWebSignature jws = compact(inner, "key-change payload");
        jws.setAlgorithmConstraints(SIGNATURES);
        try {
            PublicJsonWebKey newKey = jws.getJwkHeader();
            if (newKey == null || newKey.getPrivateKey() != null) {
                throw new Problem(400, "malformed", "the inner JWS of key-change must carry the new public key as jwk");
            }
            if (!url.equals(jws.getHeader("url"))) {
                throw new Problem(400, "malformed", "the inner JWS of key-change names url '" + RequestedNames.printable(String.valueOf(
                        jws.getHeader("url"))) + "', not " + url);
            }
            jws.setKey(newKey.getPublicKey());
            if (!jws.verifySignature()) {
                throw new Problem(400, "malformed", "the inner JWS of key-change is not signed by the new key");
            }
            JsonNode change = JSON.readTree(jws.getUnverifiedPayload());
            AcmeAccounts.Account account = signed.account();
            if (!(base + "/acct/" + account.id()).equals(change.path("account").asText())) {
                throw new Problem(403, "unauthorized", "key-change names account '" + RequestedNames.printable(change.path("account").asText())
                        + "', not the signer's " + base + "/acct/" + account.id());
            }
            PublicJsonWebKey oldKey = PublicJsonWebKey.Factory.newPublicJwk(change.path("oldKey").toString());
            if (!thumbprint(oldKey).equals(account.thumbprint())) {
                throw new Problem(403, "unauthorized", "key-change's oldKey is not account " + account.id() + "'s key");
            }
            String newThumbprint = thumbprint(newKey);
            Optional<AcmeAccounts.Account> holder = accounts.byThumbprint(newThumbprint);
            if (holder.isPresent()) {
                response.getHeaders().put(HttpHeader.LOCATION, base + "/acct/" + holder.get().id());
                throw new Problem(409, "conflict", "the new key is already account " + holder.get().id() + "'s");
            }
            try {
                account = accounts.update(account.withKey(newKey.toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY), newThumbprint));
            } catch (AcmeAccounts.KeyInUse e) {
                response.getHeaders().put(HttpHeader.LOCATION, base + "/acct/" + e.holder.id());
                throw new Problem(409, "conflict", "the new key is already account " + e.holder.id() + "'s. To fix: roll over to a "
                        + "key no account holds");
            }
            sendJson(response, callback, 200, accountJson(account, base), base);
        } catch (JoseException | IOException e) {
            throw new Problem(400, "malformed", "the inner JWS of key-change does not verify: " + why(e));
        }
    }

    private void newOrder(Response response, Callback callback, Signed signed, String template, String base) {
        requireAcmeTemplate(template);
        JsonNode payload = signed.json();
        for (String field : List.of("notBefore", "notAfter")) {
            if (payload.has(field)) {
                throw new Problem(400, "malformed", WindowsError.E_INVALIDARG + ": the order asks for " + field + "; the validity "
                        + "of a certificate " + caName + " issues comes from the template's validity period. To fix: leave "
                        + "notBefore and notAfter out of the order");
            }
        }
        JsonNode identifiers = payload.path("identifiers");
        if (!identifiers.isArray() || identifiers.isEmpty() || identifiers.size() > MAX_IDENTIFIERS) {
            throw new Problem(400, "malformed", "an order names 1 to " + MAX_IDENTIFIERS + " identifiers, as {\"type\": \"dns\", \"value\": "
                    + "\"iis01." + domain + "\"}");
        }
        Set<String> names = new LinkedHashSet<>();
        for (JsonNode identifier : identifiers) {
            String type = identifier.path("type").asText();
            String value = identifier.path("value").asText().toLowerCase(Locale.ROOT);
            if (!"dns".equals(type)) {
                throw new Problem(400, "unsupportedIdentifier", "identifier type '" + RequestedNames.printable(type) + "': " + caName
                        + " validates dns names only");
            }
            if (!value.matches("[a-z0-9]([a-z0-9-]{0,62}\\.)*[a-z0-9-]{1,63}") || !(value.equals(domain) || value.endsWith("." + domain))) {
                throw new Problem(400, "rejectedIdentifier", "'" + RequestedNames.printable(value) + "' is not a name in " + domain
                        + ": " + caName + " validates http-01 and tls-alpn-01 for the lab's names only (" + domain + " and the names below "
                        + "it, which resolve to 127.0.0.1), and no wildcards. To fix: order a name such as iis01." + domain);
            }
            names.add(value);
        }
        Instant now = clock.instant();
        Order order;
        synchronized (orderBook) {
            sweep(now);
            long live = orders.values().stream().filter(o -> o.accountId.equals(signed.account().id()) && live(o)).count();
            if (live >= MAX_ORDERS_PER_ACCOUNT) {
                response.getHeaders().put(HttpHeader.RETRY_AFTER, "60");
                throw new Problem(429, "rateLimited", "ACME account " + signed.account().id() + " (" + signed.account().directoryAccount()
                        + ") holds " + live + " orders at " + caName + " that are pending, ready or processing, the most an account "
                        + "may hold. To fix: finalize or abandon some (they expire " + ORDER_LIFETIME.toDays() + " days after they "
                        + "were placed), or have a certificate manager approve or deny the ones waiting");
            }
            order = placeOrder(signed.account(), template, names, now.plus(ORDER_LIFETIME));
        }
        response.getHeaders().put(HttpHeader.LOCATION, base + "/order/" + order.id);
        sendJson(response, callback, 201, orderJson(order, base), base);
    }

    /** Whether {@code order} still counts against its account: pending, ready or processing, and not expired. */
    private boolean live(Order order) {
        synchronized (order) {
            updateReadiness(order);
            return order.status.matches("pending|ready|processing");
        }
    }

    /**
     * Forgets orders past their expiry, with their authorizations and challenges; a processing order waits for a
     * certificate manager and stays until it is settled. The certificates stay in the CA database.
     */
    private void sweep(Instant now) {
        for (Order order : List.copyOf(orders.values())) {
            boolean gone;
            synchronized (order) {
                gone = !order.expires.isAfter(now) && !"processing".equals(order.status);
            }
            if (gone) {
                orders.remove(order.id);
                for (String authzId : order.authorizations) {
                    Authorization authorization = authorizations.remove(authzId);
                    if (authorization != null) {
                        authorization.challenges.forEach(c -> challenges.remove(c.id));
                    }
                }
            }
        }
    }

    private Order placeOrder(AcmeAccounts.Account account, String template, Set<String> names, Instant expires) {
        List<String> authzIds = new ArrayList<>();
        for (String name : names) {
            Authorization authorization = new Authorization(randomId(), account.id(), name, expires);
            for (String type : List.of("http-01", "tls-alpn-01")) {
                Challenge challenge = new Challenge(randomId(), type, randomId() + randomId(), authorization);
                authorization.challenges.add(challenge);
                challenges.put(challenge.id, challenge);
            }
            authorizations.put(authorization.id, authorization);
            authzIds.add(authorization.id);
        }
        Order order = new Order(randomId(), account.id(), template, List.copyOf(names), authzIds, expires);
        orders.put(order.id, order);
        return order;
    }

    private void order(Response response, Callback callback, Signed signed, String id, String base) {
        requirePostAsGet(signed, "an order");
        Order order = ownOrder(signed, id);
        refresh(order, signed.account());
        if ("processing".equals(order.status)) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, Integer.toString(RETRY_AFTER_SECONDS));
        }
        sendJson(response, callback, 200, orderJson(order, base), base);
    }

    /** A processing order's request as the CA has it now: issued once a certificate manager approved it, invalid once denied. */
    /**
     * The current token of the directory object {@code account} is bound to: logged on by its DN, and only while that
     * object still has the SID it had when the key was issued, so a name deleted and made again acts for nobody.
     */
    private LogonToken tokenOf(AcmeAccounts.Account account) {
        String bound = "ACME account " + account.id() + " (bound to " + account.directoryAccount() + ")";
        if (account.directorySid() == null || account.directoryDn() == null) {
            throw new Problem(401, "unauthorized", WindowsError.ERROR_LOGON_FAILURE + ": " + bound + " was made before " + caName
                    + " kept the SID of the account a key is bound to, so it cannot tell whether " + account.directoryAccount()
                    + " is still the same account. To fix: have an administrator issue a new key ('pkilab acme eab "
                    + account.directoryAccount() + "') and register a new ACME account with it");
        }
        LogonToken token;
        try {
            token = logon.standingFor(account.directoryDn(), "an ACME account");
        } catch (CaException e) {
            if (e.error() == WindowsError.E_ACCESSDENIED) {
                // the account became one no credential may stand for (a Domain Admin now, say) since its key was issued
                throw new Problem(403, "unauthorized", e.error() + ": " + bound + ": " + e.reason() + ". To fix: " + e.fix());
            }
            throw new Problem(401, "unauthorized", WindowsError.ERROR_LOGON_FAILURE + ": " + bound + ": its directory account "
                    + account.directoryDn() + " (" + account.directorySid() + ") cannot log on: " + e.reason() + ". To fix: if it was "
                    + "deleted or renamed, have an administrator issue a new key for the account wanted ('pkilab acme eab <account>')");
        }
        if (!account.directorySid().equals(token.sid().toString())) {
            throw new Problem(401, "unauthorized", WindowsError.ERROR_LOGON_FAILURE + ": " + bound + " was bound to the account with SID "
                    + account.directorySid() + "; " + account.directoryDn() + " is now another account (" + token.sid() + "), made "
                    + "again under the same name. To fix: have an administrator issue a new key for it ('pkilab acme eab "
                    + account.directoryAccount() + "') and register anew");
        }
        return token;
    }

    private void refresh(Order order, AcmeAccounts.Account account) {
        long requestId;
        synchronized (order) {
            if (!"processing".equals(order.status) || order.requestId < 0) {
                return;
            }
            requestId = order.requestId;
        }
        EnrollmentResult result = enrollment.retrieve(tokenOf(account), requestId);
        synchronized (order) {
            settle(order, result);
        }
    }

    private void settle(Order order, EnrollmentResult result) {
        order.requestId = result.requestId();
        switch (result.status()) {
            case ISSUED, REVOKED -> {
                byte[] certificate = result.record().certificate();
                String differ = namesDiffer(certificate, order.names);
                if (differ == null) {
                    order.status = "valid";
                    order.certificate = certificate;
                } else {
                    order.status = "invalid";
                    order.error = new Problem(500, "serverInternal", WindowsError.CERTSRV_E_BAD_REQUESTSUBJECT + ": certificate "
                            + result.record().serialHex() + " of request " + result.requestId() + " was not handed out: " + differ
                            + ". To fix: order from the directory of a template whose subject is supplied in the request").json();
                }
            }
            case PENDING -> order.status = "processing";
            default -> {
                order.status = "invalid";
                order.error = Problem.of(result.decision()).json();
            }
        }
    }

    private void finalizeOrder(Response response, Callback callback, Signed signed, String id, String base) {
        Order order = ownOrder(signed, id);
        requireAcmeTemplate(order.template);
        byte[] csr;
        synchronized (order) {
            updateReadiness(order);
            if (!"ready".equals(order.status)) {
                throw new Problem(403, "orderNotReady", WindowsError.E_ACCESSDENIED + ": order " + order.id + " is " + order.status
                        + ", not ready: " + ("pending".equals(order.status) ? "prove control of " + order.names
                        + " first (its authorizations' challenges)" : "invalid".equals(order.status) && order.error != null
                        ? order.error.path("detail").asText() : "it was finalized already"));
            }
            csr = csr(signed.json(), order, signed.account());
            order.status = "processing";
        }
        EnrollmentResult result;
        try {
            LogonToken requester = tokenOf(signed.account());
            result = enrollment.submit(EnrollmentRequest.manual(requester, order.template, csr));
        } catch (RuntimeException e) {
            synchronized (order) {
                order.status = "ready";
            }
            throw e;
        }
        if (result.requestId() > 0) {
            accounts.ordered(result.requestId(), signed.account().id());
        }
        synchronized (order) {
            settle(order, result);
        }
        if (order.error != null) {
            throw Problem.of(result.decision());
        }
        response.getHeaders().put(HttpHeader.LOCATION, base + "/order/" + order.id);
        if ("processing".equals(order.status)) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, Integer.toString(RETRY_AFTER_SECONDS));
        }
        sendJson(response, callback, 200, orderJson(order, base), base);
    }

    /** The CSR of a finalize request, which must name exactly the order's names and nothing more ({@link AcmeFinalizeRequest}). */
    private byte[] csr(JsonNode payload, Order order, AcmeAccounts.Account account) {
        byte[] der;
        try {
            der = Base64.getUrlDecoder().decode(payload.path("csr").asText(""));
        } catch (IllegalArgumentException e) {
            throw new Problem(400, "badCSR", WindowsError.CRYPT_E_ASN1_BADTAG + ": the finalize payload's csr is not base64url: " + why(e)
                    + ". To fix: send the PKCS #10 request's DER as base64url without padding (RFC 8555 7.4)");
        }
        String who = "ACME account " + account.id() + " (" + account.directoryAccount() + ")";
        Pkcs10Request.Parsed parsed = Pkcs10Request.parse(der, who);
        Decision decision = parsed.request() == null ? parsed.refusal()
                : AcmeFinalizeRequest.check(parsed.request(), order.id, order.names, who);
        if (!decision.proceeds()) {
            throw Problem.badCsr(decision);
        }
        return der;
    }

    private static String namesDiffer(byte[] certificate, List<String> names) {
        try {
            return AcmeFinalizeRequest.namesDiffer((X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(certificate)), names);
        } catch (java.security.cert.CertificateException e) {
            return "it does not decode: " + e.getMessage();
        }
    }

    /**
     * A pending order turns ready once every authorization is valid; a pending or ready order turns invalid once one is
     * deactivated, invalid or expired, so an order is finalized only while every name is still proven.
     */
    private void updateReadiness(Order order) {
        if (!"pending".equals(order.status) && !"ready".equals(order.status)) {
            return;
        }
        Instant now = clock.instant();
        if (!order.expires.isAfter(now)) {
            order.status = "invalid";
            order.error = new Problem(403, "unauthorized", WindowsError.E_ACCESSDENIED + ": order " + order.id + " for " + order.names
                    + " expired at " + order.expires + " before it was finalized. To fix: place a new order").json();
            return;
        }
        boolean allValid = true;
        for (String authzId : order.authorizations) {
            Authorization authorization = authorizations.get(authzId);
            if (authorization == null) {
                order.status = "invalid";
                return;
            }
            String status;
            boolean expired;
            synchronized (authorization) {
                status = authorization.status;
                expired = !authorization.expires.isAfter(now);
            }
            if ("valid".equals(status) && !expired) {
                continue;
            }
            allValid = false;
            if (!"pending".equals(status) || expired) {
                order.status = "invalid";
                order.error = new Problem(403, "unauthorized", WindowsError.E_ACCESSDENIED + ": the authorization for "
                        + authorization.name + " is " + (expired ? "expired (" + authorization.expires + ")" : status)
                        + ", so order " + order.id + " for " + order.names + " can no longer be finalized. To fix: place a new order "
                        + "and prove control of its names again").json();
                return;
            }
        }
        order.status = allValid ? "ready" : "pending";
    }

    private void authorization(Response response, Callback callback, Signed signed, String id, String base) {
        Authorization authorization = id == null ? null : authorizations.get(id);
        if (authorization == null || !authorization.accountId.equals(signed.account().id())) {
            throw new Problem(404, "malformed", "account " + signed.account().id() + " has no authorization " + RequestedNames.printable(String.valueOf(id)));
        }
        JsonNode payload = signed.json();
        if (!signed.payload().isEmpty() && !"deactivated".equals(payload.path("status").asText())) {
            throw new Problem(400, "malformed", WindowsError.E_INVALIDARG + ": an authorization is read with an empty payload "
                    + "(POST-as-GET) or deactivated with {\"status\": \"deactivated\"}, not '"
                    + RequestedNames.printable(abbreviated(signed.payload())) + "'");
        }
        synchronized (authorization) {
            if (!authorization.expires.isAfter(clock.instant()) && authorization.status.matches("pending|valid")) {
                authorization.status = "expired";
            }
            if ("deactivated".equals(payload.path("status").asText()) && authorization.status.matches("pending|valid")) {
                authorization.status = "deactivated";
            }
        }
        sendJson(response, callback, 200, authorizationJson(authorization, base), base);
    }

    private void challenge(Response response, Callback callback, Signed signed, String id, String base) {
        Challenge challenge = id == null ? null : challenges.get(id);
        if (challenge == null || !challenge.authorization.accountId.equals(signed.account().id())) {
            throw new Problem(404, "malformed", "account " + signed.account().id() + " has no challenge " + RequestedNames.printable(String.valueOf(id)));
        }
        Authorization authorization = challenge.authorization;
        boolean validate;
        synchronized (authorization) {
            validate = !signed.payload().isEmpty() && "pending".equals(challenge.status) && "pending".equals(authorization.status);
            if (validate) {
                challenge.status = "processing";
            }
        }
        if (validate) {
            String keyAuthorization = challenge.token + "." + signed.account().thumbprint();
            org.pkilab.enrollment.CaRegistrySettings ports = administration.registrySettings();
            try {
                validations.execute(() -> validate(challenge, keyAuthorization, ports));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                synchronized (authorization) {
                    challenge.status = "pending";
                }
                response.getHeaders().put(HttpHeader.RETRY_AFTER, Integer.toString(RETRY_AFTER_SECONDS));
                throw new Problem(429, "rateLimited", caName + " is checking " + MAX_VALIDATIONS + " challenges already; send this "
                        + "challenge's POST again in " + RETRY_AFTER_SECONDS + " s");
            }
            response.getHeaders().put(HttpHeader.RETRY_AFTER, Integer.toString(RETRY_AFTER_SECONDS));
        }
        response.getHeaders().add(HttpHeader.LINK, "<" + base + "/authz/" + authorization.id + ">;rel=\"up\"");
        ObjectNode json;
        synchronized (authorization) {
            json = challengeJson(challenge, base);
        }
        sendJson(response, callback, 200, json, base);
    }

    /** Checks {@code challenge} on a validation thread and settles it and its authorization. */
    private void validate(Challenge challenge, String keyAuthorization, org.pkilab.enrollment.CaRegistrySettings ports) {
        Authorization authorization = challenge.authorization;
        AcmeValidation.Failure failure;
        try {
            failure = "http-01".equals(challenge.type)
                    ? AcmeValidation.http01(authorization.name, challenge.token, keyAuthorization, ports.acmeHttpPort())
                    : AcmeValidation.tlsAlpn01(authorization.name, keyAuthorization, ports.acmeTlsAlpnPort());
        } catch (RuntimeException e) {
            LOG.warn("{}: checking {} for {} failed", caName, challenge.type, authorization.name, e);
            failure = new AcmeValidation.Failure("serverInternal", "the CA could not check the challenge: " + why(e));
        }
        synchronized (authorization) {
            if (failure == null) {
                challenge.status = "valid";
                challenge.validated = clock.instant();
                if ("pending".equals(authorization.status)) {
                    authorization.status = "valid";
                }
            } else {
                challenge.status = "invalid";
                challenge.error = new Problem(403, failure.type(), failure.detail()).json();
                if ("pending".equals(authorization.status)) {
                    authorization.status = "invalid";
                }
            }
        }
    }

    /** RFC 8555 6.3: a POST-as-GET carries an empty payload, not "{}" or anything else. */
    private static void requirePostAsGet(Signed signed, String what) {
        if (!signed.payload().isEmpty()) {
            throw new Problem(400, "malformed", WindowsError.E_INVALIDARG + ": reading " + what + " is a POST-as-GET, whose JWS payload "
                    + "is empty (RFC 8555 6.3), not '" + RequestedNames.printable(abbreviated(signed.payload())) + "'");
        }
    }

    private static String abbreviated(String text) {
        return text.length() > 80 ? text.substring(0, 80) + "..." : text;
    }

    private void certificate(Response response, Callback callback, Signed signed, String id, String base) {
        requirePostAsGet(signed, "a certificate");
        Order order = ownOrder(signed, id);
        byte[] certificate;
        synchronized (order) {
            certificate = order.certificate;
        }
        if (certificate == null) {
            throw new Problem(404, "malformed", "order " + order.id + " has no certificate yet; it is " + order.status);
        }
        String chain;
        try {
            chain = KeyFiles.pem("CERTIFICATE", certificate) + KeyFiles.pem(caCertificate.get());
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        send(response, callback, 200, "application/pem-certificate-chain", chain.getBytes(StandardCharsets.US_ASCII), base);
    }

    private Order ownOrder(Signed signed, String id) {
        Order order = id == null ? null : orders.get(id);
        if (order == null || !order.accountId.equals(signed.account().id())) {
            throw new Problem(404, "malformed", "account " + signed.account().id() + " has no order " + RequestedNames.printable(String.valueOf(id)));
        }
        return order;
    }

    private void revoke(Response response, Callback callback, Signed signed, String base) {
        JsonNode payload = signed.json();
        X509Certificate certificate;
        try {
            byte[] der = Base64.getUrlDecoder().decode(payload.path("certificate").asText(""));
            certificate = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new java.io.ByteArrayInputStream(der));
        } catch (IllegalArgumentException | java.security.cert.CertificateException e) {
            throw new Problem(400, "malformed", "revoke-cert's certificate is not a base64url DER certificate: " + why(e));
        }
        BigInteger serial = certificate.getSerialNumber();
        RequestRecord record = administration.bySerial(serial).filter(r -> {
            try {
                return r.certificate() != null && Arrays.equals(r.certificate(), certificate.getEncoded());
            } catch (java.security.cert.CertificateEncodingException e) {
                return false;
            }
        }).orElseThrow(() -> new Problem(404, "malformed", WindowsError.CRYPT_E_NOT_FOUND + ": certificate " + serial.toString(16)
                + " was not issued by " + caName + ". To fix: revoke it at the CA that issued it"));
        RevocationReason reason = revocationReason(payload.get("reason"));
        String who;
        if (signed.account() != null) {
            AcmeAccounts.Account account = signed.account();
            Optional<String> orderedBy = accounts.orderedBy(record.requestId());
            if (!orderedBy.map(account.id()::equals).orElse(false) && !authorizedForAll(account, certificate)) {
                throw new Problem(403, "unauthorized", WindowsError.E_ACCESSDENIED + ": certificate " + record.serialHex() + " (request "
                        + record.requestId() + ", " + record.requester() + ") was " + orderedBy.map(a -> "ordered by ACME account " + a)
                        .orElse("not ordered through ACME") + ", and ACME account " + account.id() + " (" + account.directoryAccount()
                        + ") holds no valid authorization for each of its names. To fix: revoke with the ACME account that ordered it, "
                        + "sign the request with the certificate's key, or have a certificate manager revoke it ('pkilab ca revoke')");
            }
            who = "ACME account " + account.id() + " (" + account.directoryAccount() + ")";
        } else {
            if (!Arrays.equals(signed.jwk().getPublicKey().getEncoded(), certificate.getPublicKey().getEncoded())) {
                throw new Problem(403, "unauthorized", WindowsError.E_ACCESSDENIED + ": revoke-cert is signed by a key that is neither an "
                        + "account's nor certificate " + record.serialHex() + "'s. To fix: sign with the account key (kid) or the "
                        + "certificate's own key (jwk)");
            }
            who = "the key of certificate " + record.serialHex() + " (ACME)";
        }
        if (record.status() == RequestStatus.REVOKED) {
            throw new Problem(400, "alreadyRevoked", WindowsError.CRYPT_E_REVOKED + ": certificate " + record.serialHex() + " is revoked already");
        }
        administration.revoke(serial, reason, who);
        send(response, callback, 200, null, null, base);
    }

    /** The reasons RFC 8555 7.6 lets a subscriber give: not cACompromise, certificateHold, removeFromCRL or aACompromise. */
    private static final Set<Integer> SUBSCRIBER_REASONS = Set.of(0, 1, 3, 4, 5, 9);

    private static RevocationReason revocationReason(JsonNode reason) {
        if (reason == null || reason.isNull()) {
            return RevocationReason.UNSPECIFIED;
        }
        if (!reason.isIntegralNumber() || !reason.canConvertToInt() || !SUBSCRIBER_REASONS.contains(reason.intValue())) {
            throw new Problem(400, "badRevocationReason", WindowsError.E_INVALIDARG + ": revoke-cert's reason "
                    + RequestedNames.printable(reason.toString()) + " is not one an ACME client may give. To fix: send an integer among "
                    + "0 unspecified, 1 keyCompromise, 3 affiliationChanged, 4 superseded, 5 cessationOfOperation, 9 privilegeWithdrawn; "
                    + "a certificate manager places a hold ('pkilab ca revoke <serial> certificateHold')");
        }
        return RevocationReason.ofCode(reason.intValue());
    }

    /** RFC 8555 7.6: an account that holds a valid, unexpired authorization for every name of the certificate may revoke it. */
    private boolean authorizedForAll(AcmeAccounts.Account account, X509Certificate certificate) {
        Set<String> names = new LinkedHashSet<>();
        try {
            if (certificate.getSubjectAlternativeNames() == null) {
                return false;
            }
            for (List<?> entry : certificate.getSubjectAlternativeNames()) {
                if (!Integer.valueOf(2).equals(entry.get(0))) {
                    return false;
                }
                names.add(String.valueOf(entry.get(1)).toLowerCase(Locale.ROOT));
            }
        } catch (java.security.cert.CertificateParsingException e) {
            return false;
        }
        Instant now = clock.instant();
        for (String name : names) {
            boolean held = authorizations.values().stream().anyMatch(a -> {
                synchronized (a) {
                    return a.accountId.equals(account.id()) && a.name.equals(name) && "valid".equals(a.status) && a.expires.isAfter(now);
                }
            });
            if (!held) {
                return false;
            }
        }
        return !names.isEmpty();
    }

    // ---- JWS --------------------------------------------------------------------------------------

    /**
     * The request in {@code body}, verified: a flattened JWS with a nonce this adapter issued and nobody used, the
     * {@code url} it was sent to, and a signature by a registered, valid account ({@code kid}) or, where
     * {@code signer} allows, by the key it carries.
     */
    /** Who may sign a request: the key it carries (new-account), a registered account (the rest), or either (revoke-cert). */
    private enum Signer { JWK, KID, EITHER }

    private Signed verify(byte[] body, String url, Signer signer, String base) {
        JsonNode envelope;
        try {
            envelope = JSON.readTree(body);
        } catch (IOException e) {
            throw new Problem(400, "malformed", "the body is not JSON: " + why(e));
        }
        JsonWebSignature jws = compact(envelope, "request");
        jws.setAlgorithmConstraints(SIGNATURES);
        String algorithm = jws.getAlgorithmHeaderValue();
        if (algorithm == null) {
            throw new Problem(400, "malformed", "the JWS protected header names no alg");
        }
        if (!Set.of("RS256", "ES256", "ES384", "ES512").contains(algorithm)) {
            throw new Problem(400, "badSignatureAlgorithm", "the JWS algorithm '" + RequestedNames.printable(String.valueOf(algorithm))
                    + "' is not one " + caName + " takes: RS256, ES256, ES384 or ES512");
        }
        String nonce = header(jws, "nonce");
        if (nonce == null || !nonces.remove(nonce)) {
            throw new Problem(400, "badNonce", "the nonce '" + RequestedNames.printable(String.valueOf(nonce)) + "' is not one " + caName
                    + " handed out, or it was used already; send the request again with the fresh Replay-Nonce of this answer");
        }
        String signedUrl = header(jws, "url");
        if (!url.equals(signedUrl) && !sameResource(url, signedUrl)) {
            throw new Problem(401, "unauthorized", "the JWS url header is '" + RequestedNames.printable(String.valueOf(signedUrl))
                    + "', not the URL it was sent to, " + url);
        }
        String kid = jws.getKeyIdHeaderValue();
        PublicJsonWebKey jwk;
        try {
            jwk = jws.getJwkHeader();
        } catch (JoseException e) {
            throw new Problem(400, "malformed", "the JWS jwk header is not a public key: " + why(e));
        }
        if ((kid == null) == (jwk == null)) {
            throw new Problem(400, "malformed", "the JWS header must hold either kid or jwk, not " + (kid == null ? "neither" : "both"));
        }
        AcmeAccounts.Account account = null;
        java.security.PublicKey key;
        if (jwk == null && signer == Signer.JWK) {
            throw new Problem(400, "malformed", "new-account must be signed by the key it registers, carried as jwk, not by an "
                    + "account's kid; an account that exists is found with onlyReturnExisting and its key");
        }
        if (jwk != null) {
            if (signer == Signer.KID) {
                throw new Problem(400, "malformed", "this request must be signed by an account (kid), not a bare jwk");
            }
            if (jwk.getPrivateKey() != null) {
                throw new Problem(400, "malformed", "the jwk header holds a private key; send the public key only");
            }
            key = jwk.getPublicKey();
        } else {
            String prefix = base + "/acct/";
            String id = kid.startsWith(prefix) ? kid.substring(prefix.length())
                    : kid.contains("/acct/") && sameResource(prefix, kid.substring(0, kid.indexOf("/acct/") + 6)) ? kid.substring(kid.indexOf("/acct/") + 6) : "";
            account = accounts.account(id).orElseThrow(() -> new Problem(400, "accountDoesNotExist", "the kid '"
                    + RequestedNames.printable(kid) + "' names no ACME account at " + caName));
            if (!account.valid()) {
                throw new Problem(401, "unauthorized", "ACME account " + account.id() + " (" + account.directoryAccount() + ") is "
                        + account.status() + "; register a new one");
            }
            try {
                key = PublicJsonWebKey.Factory.newPublicJwk(account.jwk()).getPublicKey();
            } catch (JoseException e) {
                throw new IllegalStateException("account " + account.id() + "'s stored key does not parse", e);
            }
        }
        try {
            jws.setKey(key);
            if (!jws.verifySignature()) {
                throw new Problem(400, "malformed", "the JWS signature does not verify with " + (account == null ? "the jwk it carries"
                        : "account " + account.id() + "'s key"));
            }
            return new Signed(jws.getUnverifiedPayload(), account, jwk);
        } catch (JoseException e) {
            throw new Problem(400, "malformed", "the JWS does not verify: " + why(e));
        }
    }

    /** What went wrong, in the library's words without its class names: a client reads the detail, not a stack trace. */
    private static String why(Exception e) {
        String text = e instanceof com.fasterxml.jackson.core.JsonProcessingException json ? json.getOriginalMessage() : e.getMessage();
        text = String.valueOf(text).replaceAll("([a-zA-Z_$][\\w$]*\\.)+[A-Z][\\w$]*(Exception|Error):?\\s*", "");
        return text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }

    private static String header(JsonWebSignature jws, String name) {
        Object value = jws.getHeaders().getObjectHeaderValue(name);
        return value instanceof String text ? text : null;
    }

    /**
     * The same resource reached by another name of the CA's host: https, the host the request came to, the CA's name
     * or its address 127.0.0.1 (any case; a port mapping may change the port), and the same path, with nothing after it.
     */
    private boolean sameResource(String url, String other) {
        try {
            if (other == null) {
                return false;
            }
            URI expected = URI.create(url);
            URI signed = URI.create(other);
            String host = signed.getHost();
            return "https".equalsIgnoreCase(signed.getScheme()) && host != null && signed.getRawUserInfo() == null
                    && (host.equalsIgnoreCase(expected.getHost()) || host.equalsIgnoreCase(fqdn) || host.equals("127.0.0.1"))
                    && signed.getRawQuery() == null && signed.getRawFragment() == null
                    && expected.getRawPath().equals(signed.getRawPath());
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** A flattened JWS ({@code protected}, {@code payload}, {@code signature}) as jose4j takes it, in its compact form. */
    private static JsonWebSignature compact(JsonNode envelope, String what) {
        if (envelope == null || !envelope.isObject() || !envelope.path("protected").isTextual() || !envelope.path("payload").isTextual()
                || !envelope.path("signature").isTextual()) {
            throw new Problem(400, "malformed", "the " + what + " is not a flattened JWS: a JSON object with protected, payload and "
                    + "signature, each base64url text");
        }
        JsonWebSignature jws = new JsonWebSignature();
        try {
            jws.setCompactSerialization(envelope.get("protected").asText() + "." + envelope.get("payload").asText() + "."
                    + envelope.get("signature").asText());
            jws.getAlgorithmHeaderValue();
        } catch (JoseException | RuntimeException e) {
            throw new Problem(400, "malformed", "the " + what + "'s JWS does not parse: " + why(e));
        }
        return jws;
    }

    private static String thumbprint(PublicJsonWebKey jwk) {
        try {
            return jwk.calculateBase64urlEncodedThumbprint("SHA-256");
        } catch (RuntimeException e) {
            throw new Problem(400, "malformed", "the key has no RFC 7638 thumbprint: " + why(e));
        }
    }

    // ---- answers ----------------------------------------------------------------------------------

    private ObjectNode accountJson(AcmeAccounts.Account account, String base) {
        ObjectNode json = JSON.createObjectNode();
        json.put("status", account.status());
        account.contact().forEach(json.putArray("contact")::add);
        json.put("orders", base + "/acct/" + account.id() + "/orders");
        json.put("createdAt", account.createdAt().toString());
        return json;
    }

    private ObjectNode orderJson(Order order, String base) {
        synchronized (order) {
            updateReadiness(order);
            ObjectNode json = JSON.createObjectNode();
            json.put("status", order.status);
            json.put("expires", order.expires.toString());
            ArrayNode identifiers = json.putArray("identifiers");
            order.names.forEach(n -> identifiers.addObject().put("type", "dns").put("value", n));
            ArrayNode authz = json.putArray("authorizations");
            order.authorizations.forEach(a -> authz.add(base + "/authz/" + a));
            json.put("finalize", base + "/order/" + order.id + "/finalize");
            if (order.certificate != null) {
                json.put("certificate", base + "/cert/" + order.id);
            }
            if (order.error != null) {
                json.set("error", order.error);
            }
            return json;
        }
    }

    private ObjectNode authorizationJson(Authorization authorization, String base) {
        synchronized (authorization) {
            ObjectNode json = JSON.createObjectNode();
            json.putObject("identifier").put("type", "dns").put("value", authorization.name);
            json.put("status", authorization.status);
            json.put("expires", authorization.expires.toString());
            ArrayNode list = json.putArray("challenges");
            authorization.challenges.forEach(c -> list.add(challengeJson(c, base)));
            return json;
        }
    }

    private static ObjectNode challengeJson(Challenge challenge, String base) {
        ObjectNode json = JSON.createObjectNode();
        json.put("type", challenge.type);
        json.put("url", base + "/chall/" + challenge.id);
        json.put("status", challenge.status);
        json.put("token", challenge.token);
        if (challenge.validated != null) {
            json.put("validated", challenge.validated.toString());
        }
        if (challenge.error != null) {
            json.set("error", challenge.error);
        }
        return json;
    }

    /** The ACME directory's URL as the client reached it: the host and port it sent, the template as in its path. */
    private static String base(Request request, String encodedTemplate) {
        return "https://" + Request.getServerName(request) + ":" + Request.getServerPort(request) + PREFIX + encodedTemplate;
    }

    private void problem(Response response, Callback callback, Problem problem) {
        byte[] body;
        try {
            body = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(problem.json());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        send(response, callback, problem.status, PROBLEM_TYPE, body, null);
    }

    private void sendJson(Response response, Callback callback, int status, ObjectNode json, String base) {
        try {
            send(response, callback, status, "application/json", JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json), base);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every answer carries a fresh nonce: a client that was refused for its nonce sends again with this one. */
    private void send(Response response, Callback callback, int status, String contentType, byte[] body, String base) {
        response.getHeaders().put("Replay-Nonce", newNonce());
        if (base != null) {
            response.getHeaders().add(HttpHeader.LINK, "<" + base + "/directory>;rel=\"index\"");
        }
        response.setStatus(status);
        if (contentType != null) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        }
        response.write(true, body == null ? null : java.nio.ByteBuffer.wrap(body), callback);
    }

    private String newNonce() {
        String nonce = randomId() + randomId();
        nonces.add(nonce);
        return nonce;
    }

    private static Problem methodNotAllowed(String method, String allowed) {
        return new Problem(405, "malformed", "use " + allowed + " here, not " + method);
    }

    private static void requireMethod(String method, String wanted) {
        if (!wanted.equals(method)) {
            throw methodNotAllowed(method, wanted);
        }
    }

    private static String randomId() {
        byte[] bytes = new byte[12];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
