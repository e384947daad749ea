package org.pkilab.directory.model;

import org.pkilab.pki.EcKeys;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECKey;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What an account receives when it logs on: its SID and the SIDs of every group it belongs to at that
 * moment, nested groups and well-known groups included. Windows carries this in the Kerberos ticket's
 * PAC, signed by the domain controller; the lab's DC signs it with its own key, so a CA can check that
 * a host did not add groups to its token.
 *
 * <p>Because the token is a copy taken at logon, a membership change does not reach a computer until
 * it logs on again: the guide's "restart the member server" step.
 *
 * <p>Like a Kerberos ticket it lasts {@link #LIFETIME} (10 hours, AD's "Maximum lifetime for user ticket"),
 * counted on the lab clock, and names the account it was issued to by DN and SID. A service that takes it
 * refuses it once {@link #expiresAt()} has passed, and when the account is gone or disabled; a computer
 * gets a new one before then (Windows renews the ticket; the lab logs the computer on again, so after ten
 * hours a group change reaches it without a restart, as it does on Windows).
 *
 * <pre>{@code
 * LogonToken token = LogonToken.decode(encoded, dcCertificate.getPublicKey());
 * token.account();                     // CONTOSO\IIS01$
 * token.memberOf("ConfigMgr IIS Servers"); // true once IIS01 restarted after being added
 * }</pre>
 */
public record LogonToken(String account, String distinguishedName, SecurityIdentifier sid, List<TokenGroup> groups,
                         Instant issuedAt, String logonServer, Instant expiresAt) {

    private static final String HEADER = "PKILAB-LOGON-TOKEN 1";
    /** How long a token is good for: a Kerberos ticket's default lifetime in AD. */
    public static final Duration LIFETIME = Duration.ofHours(10);

    /** One group in a token: its SID and its name as {@code DOMAIN\Name} (or a well-known name). */
    public record TokenGroup(SecurityIdentifier sid, String name) {
    }

    public LogonToken {
        groups = List.copyOf(groups);
        if (!expiresAt.isAfter(issuedAt)) {
            throw new IllegalArgumentException("a logon token must expire after it is issued: issued " + issuedAt + ", expires " + expiresAt);
        }
    }

    /** A token issued at {@code issuedAt} that lasts {@link #LIFETIME}. */
    public LogonToken(String account, String distinguishedName, SecurityIdentifier sid, List<TokenGroup> groups, Instant issuedAt,
                      String logonServer) {
        this(account, distinguishedName, sid, groups, issuedAt, logonServer, issuedAt.plus(LIFETIME));
    }

    /** Whether the token is past its lifetime at {@code now}. */
    public boolean expiredAt(Instant now) {
        return !now.isBefore(expiresAt);
    }

    /** The account's SID and every group SID: what access checks compare with ACEs. */
    public Set<SecurityIdentifier> sids() {
        Set<SecurityIdentifier> sids = new LinkedHashSet<>();
        sids.add(sid);
        groups.forEach(g -> sids.add(g.sid()));
        return sids;
    }

    /** Whether the token holds a group of this name (with or without the {@code DOMAIN\} prefix). */
    public boolean memberOf(String groupName) {
        return groups.stream().anyMatch(g -> g.name().equalsIgnoreCase(groupName)
                || g.name().substring(g.name().indexOf('\\') + 1).equalsIgnoreCase(groupName));
    }

    /** The group names, for messages such as "groups in its token: ...". */
    public List<String> groupNames() {
        return groups.stream().map(TokenGroup::name).toList();
    }

    /** Signs the token with the domain controller's key and encodes it for transport (base64url). */
    public String encode(PrivateKey dcKey) {
        String body = body();
        try {
            Signature signer = signature(dcKey);
            signer.initSign(dcKey);
            signer.update(body.getBytes(StandardCharsets.UTF_8));
            String text = body + "signature: " + Base64.getEncoder().encodeToString(signer.sign()) + "\n";
            return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign logon token: " + e.getMessage(), e);
        }
    }

    /**
     * Decodes a token and verifies the domain controller's signature.
     *
     * @throws IllegalArgumentException when the token is malformed or the signature does not verify
     */
    public static LogonToken decode(String encoded, PublicKey dcKey) {
        String text = text(encoded);
        int sigAt = text.lastIndexOf("signature: ");
        String body = text.substring(0, sigAt);
        try {
            Signature verifier = signature(dcKey);
            verifier.initVerify(dcKey);
            verifier.update(body.getBytes(StandardCharsets.UTF_8));
            if (!verifier.verify(Base64.getDecoder().decode(text.substring(sigAt + 11).trim()))) {
                throw new IllegalArgumentException("logon token signature does not verify against the domain controller's key");
            }
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("logon token signature does not verify against the domain controller's key", e);
        }
        return parse(body);
    }

    /** SHA-256 with ECDSA for the DC's P-256 key, or with RSA for the key of a lab made before the DC's key became EC. */
    private static Signature signature(Key dcKey) throws GeneralSecurityException {
        return dcKey instanceof ECKey ? EcKeys.signature("SHA256withECDSA") : Signature.getInstance("SHA256withRSA");
    }

    /**
     * Reads a token its holder received over its own logon session, without checking the signature: on
     * Windows the holder cannot check the PAC's signatures either (they are keyed for the KDC and the
     * service); the services it presents the token to check it with {@link #decode}.
     *
     * @throws IllegalArgumentException when the token is malformed
     */
    public static LogonToken read(String encoded) {
        String text = text(encoded);
        return parse(text.substring(0, text.lastIndexOf("signature: ")));
    }

    /** The token's text, which holds a header, the fields and a signature line. */
    private static String text(String encoded) {
        String text;
        try {
            text = new String(Base64.getUrlDecoder().decode(encoded == null ? "" : encoded.trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("logon token is not base64url text");
        }
        if (!text.startsWith(HEADER + "\n") || text.lastIndexOf("signature: ") < 0) {
            throw new IllegalArgumentException("not a PKI Lab logon token");
        }
        return text;
    }

    private String body() {
        StringBuilder text = new StringBuilder(HEADER).append('\n');
        text.append("account: ").append(oneLine(account)).append('\n');
        text.append("dn: ").append(oneLine(distinguishedName)).append('\n');
        text.append("sid: ").append(sid).append('\n');
        for (TokenGroup group : groups) {
            text.append("group: ").append(group.sid()).append(' ').append(oneLine(group.name())).append('\n');
        }
        text.append("issued: ").append(issuedAt).append('\n');
        text.append("expires: ").append(expiresAt).append('\n');
        text.append("logon-server: ").append(oneLine(logonServer)).append('\n');
        return text.toString();
    }

    private static String oneLine(String value) {
        if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("line break in logon token field: " + value.replace("\n", "\\n"));
        }
        return value;
    }

    private static LogonToken parse(String body) {
        String account = null;
        String dn = null;
        SecurityIdentifier sid = null;
        Instant issued = null;
        Instant expires = null;
        String server = null;
        List<TokenGroup> groups = new ArrayList<>();
        try {
            for (String line : body.split("\n")) {
                int colon = line.indexOf(": ");
                if (colon < 0) {
                    continue;
                }
                String value = line.substring(colon + 2);
                switch (line.substring(0, colon)) {
                    case "account" -> account = value;
                    case "dn" -> dn = value;
                    case "sid" -> sid = SecurityIdentifier.parse(value);
                    case "group" -> {
                        int space = value.indexOf(' ');
                        groups.add(new TokenGroup(SecurityIdentifier.parse(value.substring(0, space)), value.substring(space + 1)));
                    }
                    case "issued" -> issued = Instant.parse(value);
                    case "expires" -> expires = Instant.parse(value);
                    case "logon-server" -> server = value;
                    default -> {
                    }
                }
            }
        } catch (DateTimeParseException | StringIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("malformed logon token: " + e.getMessage());
        }
        if (account == null || dn == null || sid == null || issued == null || server == null) {
            throw new IllegalArgumentException("logon token lacks a field (account, dn, sid, issued, logon-server)");
        }
        // a token from before tokens carried their end lasts the lifetime from its issue
        return new LogonToken(account, dn, sid, groups, issued, server, expires == null ? issued.plus(LIFETIME) : expires);
    }
}
