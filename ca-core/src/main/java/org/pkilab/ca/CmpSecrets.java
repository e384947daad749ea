package org.pkilab.ca;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.pkilab.pki.KeyFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The shared secrets CMP clients protect their messages with (RFC 9483 section 3.2, MAC-based protection): an
 * administrator issues one for a domain account, and whoever knows the reference and the secret enrolls as that
 * account, judged against each template's ACL with the account's token. Issuing a new secret for an account replaces
 * the one it had; removing it ({@code pkilab cmp secret --remove}) ends CMP enrollment with it. A secret stands for the
 * account with the objectSid it had when the secret was issued: an account deleted and created again under the same name
 * is another account, and the secret is refused for it.
 *
 * <pre>
 * pkilab cmp secret 'CONTOSO\IIS01$'          reference 5c1f0e9a27d4b3e8, secret 9xK2...  (shown once)
 * openssl cmp -cmd ir -server ca01.contoso.com:8080 -path /.well-known/cmp/p/WebServer \
 *     -ref 5c1f0e9a27d4b3e8 -secret pass:9xK2... -newkey key.pem -subject /CN=iis01.contoso.com -certout iis01.pem
 * </pre>
 *
 * <p>The reference travels as the message's {@code senderKID}. The secrets are kept in {@value #FILE} in the CA's data
 * folder (readable by the lab's account only, as the CA's key is), written whole and atomically before an issue or removal
 * is answered, so a CA killed a moment later starts again with what it answered; a temporary CA keeps them in memory.
 */
final class CmpSecrets {

    static final String FILE = "cmp-secrets.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * One account's secret: the reference it is known by, the account ({@code CONTOSO\IIS01$}, its DN and its objectSid, empty
     * in a file from before the CA kept it) and the secret.
     */
    record Secret(String reference, String account, String accountDn, String accountSid, String secret, Instant issued, String issuedBy) {
        Secret {
            Objects.requireNonNull(reference, "reference");
            Objects.requireNonNull(account, "account");
            Objects.requireNonNull(accountDn, "accountDn");
            accountSid = accountSid == null ? "" : accountSid;
            Objects.requireNonNull(secret, "secret");
        }

        @Override
        public String toString() {
            return "CMP secret " + reference + " of " + account;  // never the secret itself
        }
    }

    private final Path file;
    /** By reference; at most one per account. */
    private final Map<String, Secret> secrets;

    private CmpSecrets(Path file, Map<String, Secret> secrets) {
        this.file = file;
        this.secrets = secrets;
    }

    /**
     * The secrets kept in {@code folder}; none for a temporary CA or a CA that issued none yet.
     *
     * @throws IOException naming the file when it holds no CMP secrets: the CA does not start on a damaged one
     */
    static CmpSecrets load(Path folder, boolean temporary) throws IOException {
        Path file = temporary ? null : folder.resolve(FILE);
        Map<String, Secret> secrets = new LinkedHashMap<>();
        if (file != null && Files.exists(file)) {
            try {
                for (JsonNode node : JSON.readTree(Files.readAllBytes(file)).path("secrets")) {
                    Secret secret = new Secret(text(node, "reference"), text(node, "account"), text(node, "accountDn"),
                            node.path("accountSid").asText(""), text(node, "secret"),
                            Instant.parse(text(node, "issued")), node.path("issuedBy").asText(""));
                    secrets.put(secret.reference(), secret);
                }
            } catch (IOException | RuntimeException e) {
                throw new IOException(file + " does not hold the CA's CMP secrets (" + e.getMessage() + "): correct it, or delete it "
                        + "and issue the secrets again (pkilab cmp secret <account>)", e);
            }
        }
        return new CmpSecrets(file, secrets);
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException("a secret without '" + field + "'");
        }
        return value.asText();
    }

    /** The secret whose reference a message names as its senderKID. */
    synchronized Optional<Secret> byReference(String reference) {
        return Optional.ofNullable(secrets.get(reference));
    }

    /**
     * A new secret for {@code account} (its DN {@code accountDn}), replacing the one it had; kept before it is answered.
     *
     * @throws IllegalStateException when the data folder cannot be written; the secrets stay as they were
     */
    synchronized Secret issue(String account, String accountDn, String accountSid, String who, Instant now) {
        byte[] reference = new byte[8];
        byte[] secret = new byte[18];
        RANDOM.nextBytes(reference);
        RANDOM.nextBytes(secret);
        Secret issued = new Secret(HexFormat.of().formatHex(reference), account, accountDn, accountSid,
                java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(secret), now, who);
        Map<String, Secret> changed = new LinkedHashMap<>(secrets);
        changed.values().removeIf(s -> s.accountDn().equalsIgnoreCase(accountDn));
        changed.put(issued.reference(), issued);
        keep(changed);
        return issued;
    }

    /** Removes {@code account}'s secret; false when it had none. */
    synchronized boolean remove(String accountDn) {
        Map<String, Secret> changed = new LinkedHashMap<>(secrets);
        if (!changed.values().removeIf(s -> s.accountDn().equalsIgnoreCase(accountDn))) {
            return false;
        }
        keep(changed);
        return true;
    }

    private void keep(Map<String, Secret> changed) {
        if (file != null) {
            ObjectNode root = JSON.createObjectNode();
            ArrayNode list = root.putArray("secrets");
            for (Secret s : changed.values()) {
                ObjectNode node = list.addObject();
                node.put("reference", s.reference());
                node.put("account", s.account());
                node.put("accountDn", s.accountDn());
                node.put("accountSid", s.accountSid());
                node.put("secret", s.secret());
                node.put("issued", s.issued().toString());
                node.put("issuedBy", s.issuedBy());
            }
            try {
                KeyFiles.writeAtomically(file, (root.toPrettyString() + "\n").getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new IllegalStateException("the CA's CMP secrets could not be kept in " + file + " (" + e.getMessage()
                        + "); nothing was changed", e);
            }
        }
        secrets.clear();
        secrets.putAll(changed);
    }
}
