package org.pkilab.ca;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.pkilab.pki.KeyFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The CA's ACME accounts and the external account binding keys an administrator issued for them, kept in
 * {@value #FILE} in the CA's data folder. ACME (RFC 8555) knows an account only by its key; an enterprise CA must know
 * which directory account asks. So every ACME account is bound, when it is made, to the Active Directory account an
 * administrator named when issuing the key id and HMAC key the client signs its {@code newAccount} request's
 * {@code externalAccountBinding} with:
 *
 * <pre>
 * pkilab acme eab alice            key id 'kXq3...', HMAC key 'v1Zk...' for CONTOSO\alice, usable once
 * certbot register --eab-kid kXq3... --eab-hmac-key v1Zk... ...    ACME account 1, bound to CONTOSO\alice
 * </pre>
 *
 * <p>The binding is to the directory object, not to its name: the key and the account keep the account's DN and SID,
 * and each order logs the object at that DN on anew and goes on only while it still has that SID. An account deleted
 * and made again under the same name is another account (another SID), and the old ACME account acts for nobody. A file
 * written before SIDs were kept still loads; its keys and accounts are refused when used, with what to do.
 *
 * <p>Each change is written whole to a new file that replaces the old one ({@link KeyFiles#writeAtomically}) before it
 * is answered, so a CA process killed a moment later starts again with every key it handed out and every account it
 * made. The file is not synced to the disk: a machine that loses power may come back with an earlier whole file, as
 * after a restore from backup (keys issued since are unknown, and an administrator issues them again). Which ACME
 * account ordered which request is kept here too; orders themselves live in memory only (see docs/differences.md).
 */
final class AcmeAccounts {

    static final String FILE = "acme.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * An external account binding key: {@code keyId} and {@code hmacKey} for the directory account {@code account}
     * ({@code CONTOSO\alice}) as it is now, its DN {@code accountDn} and SID {@code accountSid} (null in a file from before
     * SIDs were kept); {@code boundTo} the ACME account made with it, null while unused.
     */
    record ExternalAccountKey(String keyId, byte[] hmacKey, String account, String accountDn, String accountSid, String issuedBy,
                              Instant issuedAt, String boundTo) {
        ExternalAccountKey {
            hmacKey = hmacKey.clone();
        }

        @Override
        public byte[] hmacKey() {
            return hmacKey.clone();
        }

        /** The HMAC key as clients take it: base64url without padding (certbot's --eab-hmac-key, lego's --hmac). */
        String hmacKeyText() {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(hmacKey);
        }

        ExternalAccountKey bind(String accountId) {
            return new ExternalAccountKey(keyId, hmacKey, account, accountDn, accountSid, issuedBy, issuedAt, accountId);
        }
    }

    /**
     * An ACME account: its key ({@code jwk} JSON and RFC 7638 thumbprint), {@code valid} or {@code deactivated}, the key id
     * it was bound with and the directory account ({@code CONTOSO\alice}) whose token its orders are judged with: the
     * object at {@code directoryDn} as long as it still has {@code directorySid} (null in a file from before SIDs were kept).
     */
    record Account(String id, String jwk, String thumbprint, String status, String keyId, String directoryAccount,
                   String directoryDn, String directorySid, List<String> contact, Instant createdAt) {
        Account {
            contact = List.copyOf(contact);
        }

        boolean valid() {
            return "valid".equals(status);
        }

        Account withKey(String newJwk, String newThumbprint) {
            return new Account(id, newJwk, newThumbprint, status, keyId, directoryAccount, directoryDn, directorySid, contact, createdAt);
        }

        Account deactivated() {
            return new Account(id, jwk, thumbprint, "deactivated", keyId, directoryAccount, directoryDn, directorySid, contact, createdAt);
        }

        Account withContact(List<String> newContact) {
            return new Account(id, jwk, thumbprint, status, keyId, directoryAccount, directoryDn, directorySid, newContact, createdAt);
        }
    }

    private final Path file;
    private final Map<String, ExternalAccountKey> keys = new LinkedHashMap<>();
    private final Map<String, Account> accounts = new LinkedHashMap<>();
    /** The CA's request id of each finalized order, and the ACME account that ordered it: who may revoke by account. */
    private final Map<Long, String> orderedBy = new LinkedHashMap<>();
    private long nextAccount = 1;

    private AcmeAccounts(Path file) {
        this.file = file;
    }

    /** The accounts kept in {@code folder}, none when it holds no {@value #FILE} yet. */
    static AcmeAccounts load(Path folder) throws IOException {
        AcmeAccounts store = new AcmeAccounts(folder.resolve(FILE));
        if (Files.exists(store.file)) {
            try {
                store.read(JSON.readTree(Files.readAllBytes(store.file)));
            } catch (RuntimeException | IOException e) {
                throw new IOException(store.file + " does not hold the CA's ACME accounts (" + e.getMessage() + "); put back a "
                        + "copy from a backup of the CA's data folder, or remove it to start without ACME accounts", e);
            }
        }
        return store;
    }

    private void read(JsonNode json) {
        for (JsonNode k : json.path("externalAccountKeys")) {
            ExternalAccountKey key = new ExternalAccountKey(k.path("keyId").asText(), Base64.getUrlDecoder().decode(k.path("hmacKey").asText()),
                    k.path("account").asText(), text(k, "accountDn"), text(k, "accountSid"), k.path("issuedBy").asText(),
                    Instant.parse(k.path("issuedAt").asText()),
                    k.hasNonNull("boundTo") ? k.path("boundTo").asText() : null);
            keys.put(key.keyId(), key);
        }
        for (JsonNode a : json.path("accounts")) {
            List<String> contact = new ArrayList<>();
            a.path("contact").forEach(c -> contact.add(c.asText()));
            Account account = new Account(a.path("id").asText(), a.path("jwk").asText(), a.path("thumbprint").asText(),
                    a.path("status").asText(), a.path("keyId").asText(), a.path("directoryAccount").asText(), text(a, "directoryDn"),
                    text(a, "directorySid"), contact,
                    Instant.parse(a.path("createdAt").asText()));
            accounts.put(account.id(), account);
        }
        for (JsonNode o : json.path("orders")) {
            orderedBy.put(o.path("requestId").asLong(), o.path("account").asText());
        }
        nextAccount = json.path("nextAccount").asLong(accounts.size() + 1L);
    }

    /** Remembers that ACME account {@code accountId} ordered the CA's request {@code requestId}; kept before it returns. */
    synchronized void ordered(long requestId, String accountId) {
        String before = orderedBy.put(requestId, accountId);
        save(() -> {
            if (before == null) {
                orderedBy.remove(requestId);
            } else {
                orderedBy.put(requestId, before);
            }
        });
    }

    /** The ACME account that ordered the CA's request {@code requestId}; empty when none did (another protocol, or none). */
    synchronized Optional<String> orderedBy(long requestId) {
        return Optional.ofNullable(orderedBy.get(requestId));
    }

    private static String text(JsonNode node, String field) {
        return node.hasNonNull(field) ? node.get(field).asText() : null;
    }

    /**
     * A new key id and 256-bit HMAC key for {@code directoryAccount} (the object at {@code dn} with {@code sid}), which
     * {@code who} issued; kept before it is returned.
     */
    synchronized ExternalAccountKey issue(String directoryAccount, String dn, String sid, String who, Instant now) {
        Objects.requireNonNull(dn, "dn");
        Objects.requireNonNull(sid, "sid");
        byte[] id = new byte[12];
        byte[] hmac = new byte[32];
        String keyId;
        // base64url may begin with '-', which certbot's and lego's argument parsers take for an option ("--eab-kid: expected
        // one argument"): an administrator pastes both values after a flag, so neither may begin with it
        do {
            RANDOM.nextBytes(id);
            RANDOM.nextBytes(hmac);
            keyId = Base64.getUrlEncoder().withoutPadding().encodeToString(id);
        } while (keyId.startsWith("-") || Base64.getUrlEncoder().withoutPadding().encodeToString(hmac).startsWith("-"));
        ExternalAccountKey key = new ExternalAccountKey(keyId, hmac, directoryAccount, dn, sid, who, now, null);
        keys.put(key.keyId(), key);
        save(() -> keys.remove(key.keyId()));
        return key;
    }

    synchronized Optional<ExternalAccountKey> key(String keyId) {
        return Optional.ofNullable(keys.get(keyId));
    }

    synchronized Optional<Account> account(String id) {
        return Optional.ofNullable(accounts.get(id));
    }

    synchronized Optional<Account> byThumbprint(String thumbprint) {
        return accounts.values().stream().filter(a -> a.thumbprint().equals(thumbprint)).findFirst();
    }

    /**
     * A new account with key {@code jwk}, bound through {@code keyId} to that key's directory account; the key is used up.
     *
     * @throws KeyInUse             when another account holds the key (another request won the race)
     * @throws IllegalStateException when the external account key is unknown or already bound
     */
    synchronized Account create(String jwk, String thumbprint, String keyId, List<String> contact, Instant now) {
        requireKeyUnused(thumbprint, null);
        ExternalAccountKey key = keys.get(keyId);
        if (key == null || key.boundTo() != null) {
            throw new IllegalStateException("external account key " + keyId + " is " + (key == null ? "unknown" : "bound to account " + key.boundTo()));
        }
        Account account = new Account(Long.toString(nextAccount), jwk, thumbprint, "valid", keyId, key.account(), key.accountDn(),
                key.accountSid(), contact, now);
        accounts.put(account.id(), account);
        keys.put(keyId, key.bind(account.id()));
        nextAccount++;
        save(() -> {
            accounts.remove(account.id());
            keys.put(keyId, key);
            nextAccount--;
        });
        return account;
    }

    /** A key another account holds already: one key is one account (RFC 8555 7.3.1, 7.3.5). */
    static final class KeyInUse extends IllegalStateException {
        final Account holder;

        KeyInUse(Account holder) {
            super("the key is ACME account " + holder.id() + "'s already");
            this.holder = holder;
        }
    }

    private void requireKeyUnused(String thumbprint, String except) {
        for (Account account : accounts.values()) {
            if (account.thumbprint().equals(thumbprint) && !account.id().equals(except)) {
                throw new KeyInUse(account);
            }
        }
    }

    /** Replaces the account of the same id (a new key, deactivation, new contacts). */
    synchronized Account update(Account changed) {
        Account before = Objects.requireNonNull(accounts.get(changed.id()), "no account " + changed.id());
        requireKeyUnused(changed.thumbprint(), changed.id());
        accounts.put(changed.id(), changed);
        save(() -> accounts.put(before.id(), before));
        return changed;
    }

    /** Writes everything; when that fails, {@code undo} puts memory back as the file still has it, and the failure is thrown. */
    private void save(Runnable undo) {
        ObjectNode json = JSON.createObjectNode();
        json.put("nextAccount", nextAccount);
        ArrayNode keyList = json.putArray("externalAccountKeys");
        for (ExternalAccountKey k : keys.values()) {
            ObjectNode node = keyList.addObject();
            node.put("keyId", k.keyId());
            node.put("hmacKey", k.hmacKeyText());
            node.put("account", k.account());
            node.put("accountDn", k.accountDn());
            node.put("accountSid", k.accountSid());
            node.put("issuedBy", k.issuedBy());
            node.put("issuedAt", k.issuedAt().toString());
            node.put("boundTo", k.boundTo());
        }
        ArrayNode accountList = json.putArray("accounts");
        for (Account a : accounts.values()) {
            ObjectNode node = accountList.addObject();
            node.put("id", a.id());
            node.put("jwk", a.jwk());
            node.put("thumbprint", a.thumbprint());
            node.put("status", a.status());
            node.put("keyId", a.keyId());
            node.put("directoryAccount", a.directoryAccount());
            node.put("directoryDn", a.directoryDn());
            node.put("directorySid", a.directorySid());
            a.contact().forEach(node.putArray("contact")::add);
            node.put("createdAt", a.createdAt().toString());
        }
        ArrayNode orderList = json.putArray("orders");
        orderedBy.forEach((requestId, account) -> orderList.addObject().put("requestId", requestId).put("account", account));
        try {
            KeyFiles.writeAtomically(file, (json.toPrettyString() + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            undo.run();
            throw new UncheckedIOException("the CA could not write " + file + ": " + e.getMessage(), e);
        }
    }
}
