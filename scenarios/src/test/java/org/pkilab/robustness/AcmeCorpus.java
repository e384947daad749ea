package org.pkilab.robustness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.keys.HmacKey;
import org.jose4j.lang.JoseException;
import org.pkilab.robustness.HostileCorpus.Answer;
import org.pkilab.robustness.HostileCorpus.Facts;
import org.pkilab.robustness.HostileCorpus.HttpInput;
import org.pkilab.robustness.HostileCorpus.Transport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;

import static org.pkilab.robustness.HostileCorpus.SEED;
import static org.pkilab.robustness.HostileCorpus.printable;

/**
 * The corpus for the CA's ACME directories ({@code /acme/<template>/...}): bodies that are no flattened JWS, signatures
 * that do not verify, nonces replayed or never issued, accounts that do not exist, external account bindings with a bad
 * MAC or an unknown key id, algorithms the CA does not take, and HTTP ACME does not speak (too large, wrong type or
 * method). Each is refused with an ACME problem document naming its type, and changes nothing: no account, no order, no
 * row in the CA database, and the external account key the bad bindings tried stays unused.
 *
 * <p>ACME needs the running CA's nonces and an account: while it is made, the corpus asks the CA for an external
 * account key for alice (as the administrator, over the administration interface), makes an account with it, and
 * fetches one fresh nonce for each input that must get past the nonce check, so each input is refused for the one thing
 * wrong with it.
 */
final class AcmeCorpus {

    static final String TEMPLATE = "WebServer";
    static final String PREFIX = "/acme/" + TEMPLATE + "/";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Answer MALFORMED = new Answer(400, null, false, "urn:ietf:params:acme:error:malformed");
    private static final Answer BAD_NONCE = new Answer(400, null, false, "urn:ietf:params:acme:error:badNonce");
    private static final Answer NO_ACCOUNT = new Answer(400, null, false, "urn:ietf:params:acme:error:accountDoesNotExist");
    private static final Answer UNAUTHORIZED = new Answer(403, null, false, "urn:ietf:params:acme:error:unauthorized");
    private static final Answer EAB_REQUIRED = new Answer(403, null, false, "urn:ietf:params:acme:error:externalAccountRequired");
    private static final Answer BAD_ALGORITHM = new Answer(400, null, false, "urn:ietf:params:acme:error:badSignatureAlgorithm");

    private final Facts facts;
    private final List<HttpInput> http;
    private final String host;
    private final String base;
    private final RequestForge forge = new RequestForge(SEED + 8555);
    private final Random random = new Random(SEED + 8555);
    private final KeyPair accountKey;
    private final KeyPair strangerKey;
    private final HttpsWire wire;
    private String kid;
    private String usedNonce;
    /** The external account key the bad bindings try; {@link HostileInputTest} makes an account with it afterwards. */
    String unusedKeyId;
    String unusedHmacKey;

    AcmeCorpus(Facts facts, int httpsPort, List<HttpInput> http) {
        this.facts = facts;
        this.http = http;
        this.host = facts.estHost() + ":" + httpsPort;
        this.base = "https://" + host + "/acme/" + TEMPLATE;
        this.accountKey = forge.rsa(2048);
        this.strangerKey = forge.rsa(2048);
        this.wire = new HttpsWire(facts.caCertificate(), facts.estHost(), httpsPort);
    }

    void generate() {
        try (wire) {
            String[] key = externalAccountKey();
            kid = newAccount(accountKey, key[0], key[1]);
            String[] unused = externalAccountKey();
            unusedKeyId = unused[0];
            unusedHmacKey = unused[1];
            malformed();
            signatures();
            nonces();
            accounts();
            bindings();
            httpRules();
        } catch (JoseException | IOException e) {
            throw new IllegalStateException("the ACME corpus could not be made: " + e.getMessage(), e);
        }
    }

    // ---- inputs ---------------------------------------------------------------------------------------

    private void post(String category, String name, String resource, byte[] body, Answer answer) {
        post(category, name, resource, "application/jose+json", body, answer);
    }

    private void post(String category, String name, String resource, String contentType, byte[] body, Answer answer) {
        http.add(new HttpInput(category, name, Transport.HTTPS, null, HttpsWire.request("POST", PREFIX + resource, host,
                List.of("Content-Type", contentType), body), List.of(answer)));
    }

    private void malformed() throws JoseException {
        String category = "ACME JWS: malformed";
        List<String> bodies = new ArrayList<>(List.of("", "not json", "[]", "null", "42", "\"protected\"", "{}",
                "{\"protected\": 1, \"payload\": \"\", \"signature\": \"\"}",
                "{\"protected\": \"\", \"payload\": \"\", \"signature\": \"\"}",
                "{\"protected\": \"!!!\", \"payload\": \"e30\", \"signature\": \"AAAA\"}",
                "{\"protected\": \"" + b64("not json") + "\", \"payload\": \"e30\", \"signature\": \"AAAA\"}",
                "{\"protected\": \"" + b64("{\"alg\":\"RS256\"") + "\", \"payload\": \"e30\", \"signature\": \"AAAA\"}",
                "{\"payload\": \"e30\", \"signature\": \"AAAA\"}", "{\"protected\": \"e30\", \"signature\": \"AAAA\"}",
                "{\"protected\": [\"e30\"], \"payload\": \"e30\", \"signature\": \"AAAA\"}",
                "{\"protected\": \"e30\", \"payload\": \"e30\", \"signature\": \"AAAA\"", "\u0000\u0001\u0002",
                "{\"protected\": \"e30\u0000\", \"payload\": \"e30\", \"signature\": \"AAAA\"}"));
        String good = flattened(sign(accountKey, kid, fresh(), base + "/new-order", "{}")).toString();
        for (int cut = 1; cut < 10; cut++) {
            bodies.add(good.substring(0, good.length() * cut / 10));
        }
        for (int i = 0; i < 10; i++) {
            byte[] noise = new byte[1 + random.nextInt(600)];
            random.nextBytes(noise);
            bodies.add(new String(noise, StandardCharsets.ISO_8859_1));
        }
        for (String body : bodies) {
            post(category, "body '" + printable(body) + "'", "new-order", body.getBytes(StandardCharsets.UTF_8), MALFORMED);
        }
        // a payload that verifies but is no JSON object: the CA must not take it for an order
        post(category, "a signed payload that is a JSON array", "new-order",
                bytes(flattened(sign(accountKey, kid, fresh(), base + "/new-order", "[1, 2]"))), MALFORMED);
        post(category, "jwk and kid both", "new-account", bytes(flattened(signBoth(fresh(), base + "/new-account"))), MALFORMED);
        post(category, "an account's request signed with a bare jwk", "new-order",
                bytes(flattened(sign(strangerKey, null, fresh(), base + "/new-order", "{}"))), MALFORMED);
    }

    private void signatures() throws JoseException {
        String category = "ACME JWS: wrong signature";
        String url = base + "/new-order";
        String order = "{\"identifiers\": [{\"type\": \"dns\", \"value\": \"hostile.contoso.com\"}]}";
        // signed by a key the account does not hold
        post(category, "a new order signed by another key under the account's kid", "new-order",
                bytes(flattened(signWith(strangerKey, accountKey, kid, fresh(), url, order))), MALFORMED);
        for (int i = 0; i < 8; i++) {
            ObjectNode signed = flattened(sign(accountKey, kid, fresh(), url, order));
            byte[] signature = Base64.getUrlDecoder().decode(signed.get("signature").asText());
            signature[random.nextInt(signature.length)] ^= (byte) (1 << random.nextInt(8));
            signed.put("signature", Base64.getUrlEncoder().withoutPadding().encodeToString(signature));
            post(category, "a new order with bit " + i + " of its signature flipped", "new-order", bytes(signed), MALFORMED);
        }
        ObjectNode swapped = flattened(sign(accountKey, kid, fresh(), url, order));
        swapped.put("payload", b64("{\"identifiers\": [{\"type\": \"dns\", \"value\": \"evil.contoso.com\"}]}"));
        post(category, "a new order whose payload was swapped after signing", "new-order", bytes(swapped), MALFORMED);
        ObjectNode empty = flattened(sign(accountKey, kid, fresh(), url, order));
        empty.put("signature", "");
        post(category, "a new order with an empty signature", "new-order", bytes(empty), MALFORMED);
        post(category, "a new account signed by a key other than its jwk", "new-account",
                bytes(flattened(signWith(strangerKey, accountKey, null, fresh(), base + "/new-account", "{}"))), MALFORMED);
        for (String alg : List.of("none", "HS256", "RS1", "PS256")) {
            ObjectNode header = JSON.createObjectNode().put("alg", alg).put("kid", kid).put("nonce", fresh()).put("url", url);
            ObjectNode body = JSON.createObjectNode().put("protected", b64(header.toString())).put("payload", b64(order)).put("signature", "AAAA");
            post(category, "alg " + alg, "new-order", bytes(body), BAD_ALGORITHM);
        }
    }

    private void nonces() throws JoseException {
        String category = "ACME JWS: replayed nonce";
        String url = base + "/new-order";
        post(category, "the nonce of the request that made the account, again", "new-order",
                bytes(flattened(sign(accountKey, kid, usedNonce, url, "{}"))), BAD_NONCE);
        for (int i = 0; i < 5; i++) {
            post(category, "a nonce the CA never issued (" + i + ")", "new-order",
                    bytes(flattened(sign(accountKey, kid, HostileCorpus.randomText(random, 32), url, "{}"))), BAD_NONCE);
        }
        post(category, "no nonce", "new-order", bytes(flattened(sign(accountKey, kid, null, url, "{}"))), BAD_NONCE);
        post(category, "an empty nonce", "new-order", bytes(flattened(sign(accountKey, kid, "", url, "{}"))), BAD_NONCE);
    }

    private void accounts() throws JoseException {
        String category = "ACME JWS: unknown kid";
        String url = base + "/new-order";
        for (String unknown : List.of(base + "/acct/999999", base + "/acct/", base + "/acct/1/../2", base + "/acct/%00",
                "https://evil.example/acme/WebServer/acct/1x", "acct/1", "1")) {
            post(category, "kid " + unknown, "new-order", bytes(flattened(sign(accountKey, unknown, fresh(), url, "{}"))), NO_ACCOUNT);
        }
        String evil = base.replaceFirst("^https://[^/]+", "https://evil.example");
        post(category, "the account's kid on another host", "new-order", bytes(flattened(sign(accountKey,
                kid.replaceFirst("^https://[^/]+", "https://evil.example"), fresh(), url, "{}"))), NO_ACCOUNT);
        for (String elsewhere : List.of(evil + "/new-order", base.replaceFirst("^https", "http") + "/new-order", url + "?x=1")) {
            post(category, "a url header of " + elsewhere, "new-order", bytes(flattened(sign(accountKey, kid, fresh(), elsewhere,
                    "{\"identifiers\": [{\"type\": \"dns\", \"value\": \"hostile.contoso.com\"}]}"))),
                    new Answer(401, null, false, "urn:ietf:params:acme:error:unauthorized"));
        }
        post(category, "a new account signed with an account's kid", "new-account", bytes(flattened(sign(accountKey, kid, fresh(),
                base + "/new-account", "{\"termsOfServiceAgreed\": true}"))), new Answer(400, null, false, "the key it registers"));
        post(category, "an order asking for notAfter", "new-order", bytes(flattened(sign(accountKey, kid, fresh(), url,
                "{\"identifiers\": [{\"type\": \"dns\", \"value\": \"hostile.contoso.com\"}], \"notAfter\": \"2099-01-01T00:00:00Z\"}"))),
                new Answer(400, null, false, "notAfter"));
        String orders = "acct/" + kid.substring(kid.lastIndexOf('/') + 1) + "/orders";
        post(category, "a POST-as-GET of the account's orders with the payload {}", orders, bytes(flattened(sign(accountKey, kid, fresh(),
                base + "/" + orders, "{}"))), new Answer(400, null, false, "POST-as-GET"));
        post(category, "a url header naming another resource", "new-order",
                bytes(flattened(sign(accountKey, kid, fresh(), base + "/revoke-cert", "{}"))),
                new Answer(401, null, false, "urn:ietf:params:acme:error:unauthorized"));
    }

    private void bindings() throws JoseException {
        String category = "ACME EAB: bad MAC or key id";
        KeyPair newKey = forge.rsa(2048);
        String url = base + "/new-account";
        byte[] wrongMac = new byte[32];
        random.nextBytes(wrongMac);
        List<Object[]> cases = List.of(
                new Object[]{"an HMAC key other than the one issued", unusedKeyId, wrongMac, url, newKey, UNAUTHORIZED},
                new Object[]{"a key id no administrator issued", "no-such-key-id", Base64.getUrlDecoder().decode(unusedHmacKey), url, newKey, UNAUTHORIZED},
                new Object[]{"the binding signed for another URL", unusedKeyId, Base64.getUrlDecoder().decode(unusedHmacKey), base + "/new-order", newKey, UNAUTHORIZED},
                new Object[]{"the binding of another account key", unusedKeyId, Base64.getUrlDecoder().decode(unusedHmacKey), url, strangerKey, UNAUTHORIZED});
        for (Object[] c : cases) {
            String binding = binding((String) c[1], (byte[]) c[2], (String) c[3], (KeyPair) c[4]).toString();
            post(category, (String) c[0], "new-account", bytes(flattened(sign(newKey, null, fresh(), url,
                    "{\"termsOfServiceAgreed\": true, \"externalAccountBinding\": " + binding + "}"))), (Answer) c[5]);
        }
        ObjectNode truncated = binding(unusedKeyId, Base64.getUrlDecoder().decode(unusedHmacKey), url, newKey);
        truncated.put("signature", truncated.get("signature").asText().substring(0, 10));
        post(category, "a truncated MAC", "new-account", bytes(flattened(sign(newKey, null, fresh(), url,
                "{\"externalAccountBinding\": " + truncated + "}"))), UNAUTHORIZED);
        JsonWebSignature withNonce = new JsonWebSignature();
        withNonce.setAlgorithmHeaderValue("HS256");
        withNonce.setKeyIdHeaderValue(unusedKeyId);
        withNonce.setHeader("url", url);
        withNonce.setHeader("nonce", fresh());
        withNonce.setPayload(PublicJsonWebKey.Factory.newPublicJwk(newKey.getPublic()).toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY));
        withNonce.setKey(new HmacKey(Base64.getUrlDecoder().decode(unusedHmacKey)));
        withNonce.setDoKeyValidation(false);
        post(category, "a binding with a nonce header (RFC 8555 7.3.4)", "new-account", bytes(flattened(sign(newKey, null, fresh(), url,
                "{\"termsOfServiceAgreed\": true, \"externalAccountBinding\": " + flattened(withNonce) + "}"))),
                new Answer(403, null, false, "urn:ietf:params:acme:error:malformed"));
        post(category, "no binding at all", "new-account", bytes(flattened(sign(newKey, null, fresh(), url,
                "{\"termsOfServiceAgreed\": true}"))), EAB_REQUIRED);
        post(category, "a binding that is no JWS", "new-account", bytes(flattened(sign(newKey, null, fresh(), url,
                "{\"externalAccountBinding\": \"hmac\"}"))), MALFORMED);
    }

    private void httpRules() throws JoseException {
        String category = "ACME HTTP";
        byte[] oversized = new byte[64 * 1024 + 1];
        java.util.Arrays.fill(oversized, (byte) 'A');
        post(category, "a body of 64 KiB + 1", "new-order", oversized, new Answer(413, null, false, "65536"));
        post(category, "a signed request sent as application/json", "new-order", "application/json",
                bytes(flattened(sign(accountKey, kid, fresh(), base + "/new-order", "{}"))), new Answer(415, null, false, "application/jose+json"));
        http.add(new HttpInput(category, "GET new-order", Transport.HTTPS, null, HttpsWire.request("GET", PREFIX + "new-order", host,
                List.of(), null), List.of(new Answer(405, null, false, "POST"))));
        http.add(new HttpInput(category, "a directory for no template", Transport.HTTPS, null, HttpsWire.request("GET",
                "/acme/NoSuchTemplate/directory", host, List.of(), null), List.of(new Answer(404, null, false, "CERTSRV_E_UNSUPPORTED_CERT_TYPE"))));
        for (String label : List.of("%2A%29%28cn%3D%2A", "x".repeat(65), "Web..Server", "%3Cscript%3E", "a%2Cb")) {
            http.add(new HttpInput(category, "a directory for the label '" + label + "'", Transport.HTTPS, null, HttpsWire.request("GET",
                    "/acme/" + label + "/directory", host, List.of(), null), List.of(new Answer(404, null, false, "not a certificate template name"))));
        }
        http.add(new HttpInput(category, "a resource ACME does not have", Transport.HTTPS, null, HttpsWire.request("POST",
                PREFIX + "order/x/y/z", host, List.of("Content-Type", "application/jose+json"), "{}".getBytes(StandardCharsets.UTF_8)),
                List.of(new Answer(404, null, false, "malformed"))));
    }

    // ---- the running CA ---------------------------------------------------------------------------------

    /** {@code pkilab acme eab alice}, as the administrator: the key id and HMAC key. */
    private String[] externalAccountKey() throws IOException {
        HttpsWire.Reply reply = wire.exchange(HttpsWire.request("POST", "/certsrv/admin/acme/eab?account=alice", host,
                List.of("Authorization", "Bearer " + facts.adminToken()), new byte[0]));
        if (reply.status() != 200) {
            throw new IOException("the CA issued no external account key: " + reply);
        }
        JsonNode json = JSON.readTree(reply.body());
        return new String[]{json.path("keyId").asText(), json.path("hmacKey").asText()};
    }

    private String newAccount(KeyPair key, String keyId, String hmacKey) throws IOException, JoseException {
        String url = base + "/new-account";
        usedNonce = fresh();
        String payload = "{\"termsOfServiceAgreed\": true, \"externalAccountBinding\": "
                + binding(keyId, Base64.getUrlDecoder().decode(hmacKey), url, key) + "}";
        HttpsWire.Reply reply = wire.exchange(HttpsWire.request("POST", PREFIX + "new-account", host,
                List.of("Content-Type", "application/jose+json"), bytes(flattened(sign(key, null, usedNonce, url, payload)))));
        if (reply.status() != 201) {
            throw new IOException("the CA made no ACME account: " + reply);
        }
        return reply.header("Location");
    }

    /** A nonce the CA issued and nobody used yet. */
    private String fresh() {
        HttpsWire.Reply reply = wire.exchange(HttpsWire.request("HEAD", PREFIX + "new-nonce", host, List.of(), null));
        String nonce = reply.header("Replay-Nonce");
        if (nonce == null) {
            throw new IllegalStateException("the CA handed out no nonce: " + reply);
        }
        return nonce;
    }

    // ---- JWS ----------------------------------------------------------------------------------------------

    private static JsonWebSignature sign(KeyPair key, String kid, String nonce, String url, String payload) throws JoseException {
        return signWith(key, key, kid, nonce, url, payload);
    }

    /** Signed with {@code signer}'s key; the jwk header (when there is no kid) is {@code named}'s public key. */
    private static JsonWebSignature signWith(KeyPair signer, KeyPair named, String kid, String nonce, String url, String payload)
            throws JoseException {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setAlgorithmHeaderValue("RS256");
        if (kid != null) {
            jws.setKeyIdHeaderValue(kid);
        } else {
            jws.setJwkHeader(PublicJsonWebKey.Factory.newPublicJwk(named.getPublic()));
        }
        if (nonce != null) {
            jws.setHeader("nonce", nonce);
        }
        jws.setHeader("url", url);
        jws.setPayload(payload);
        jws.setKey(signer.getPrivate());
        return jws;
    }

    private JsonWebSignature signBoth(String nonce, String url) throws JoseException {
        JsonWebSignature jws = sign(accountKey, kid, nonce, url, "{}");
        jws.setJwkHeader(PublicJsonWebKey.Factory.newPublicJwk(accountKey.getPublic()));
        return jws;
    }

    private static ObjectNode binding(String keyId, byte[] hmac, String url, KeyPair accountKey) throws JoseException {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setAlgorithmHeaderValue("HS256");
        jws.setKeyIdHeaderValue(keyId);
        jws.setHeader("url", url);
        jws.setPayload(PublicJsonWebKey.Factory.newPublicJwk(accountKey.getPublic()).toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY));
        jws.setKey(new HmacKey(hmac));
        jws.setDoKeyValidation(false);
        return flattened(jws);
    }

    private static ObjectNode flattened(JsonWebSignature jws) throws JoseException {
        String[] parts = jws.getCompactSerialization().split("\\.", -1);
        return JSON.createObjectNode().put("protected", parts[0]).put("payload", parts[1]).put("signature", parts[2]);
    }

    private static byte[] bytes(ObjectNode json) {
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String b64(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
