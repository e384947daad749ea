package org.pkilab.console;

import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.lab.Lab;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who is signed in to the console. A sign-in is a simple bind to the lab's domain controller with the account and
 * password typed ({@code CONTOSO\bob}, {@code bob@contoso.com} or {@code bob}), exactly what the DC accepts from
 * {@code ldapsearch -D}; a wrong password is the DC's own {@code 52e}. A one-time link, which {@code pkilab up} and
 * {@code pkilab run --console} print, signs in as the Administrator once and is then spent.
 *
 * <p>Sessions live in memory only, end after an hour unused or at sign-out, and each carries a random anti-forgery
 * token that every action must send back.
 */
final class ConsoleSessions implements AutoCloseable {

    static final Duration IDLE = Duration.ofHours(1);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Map<String, ConsoleSession> sessions = new ConcurrentHashMap<>();
    private final Map<String, Instant> oneTimeTokens = new ConcurrentHashMap<>();

    /** Why a sign-in failed, in words the login page shows. */
    static final class SignInRefused extends Exception {
        SignInRefused(String message) {
            super(message);
        }
    }

    /** A fresh one-time sign-in token for the Administrator, good for ten minutes. */
    String oneTimeToken() {
        String token = random();
        oneTimeTokens.put(token, Instant.now().plus(Duration.ofMinutes(10)));
        return token;
    }

    /** Spends a one-time token: true once for each token {@link #oneTimeToken} made, within its ten minutes. */
    boolean spend(String token) {
        Instant until = token == null ? null : oneTimeTokens.remove(token);
        return until != null && Instant.now().isBefore(until);
    }

    /** Signs {@code account} in to {@code lab}'s domain controller with {@code password}. */
    ConsoleSession signIn(Lab lab, String account, String password) throws SignInRefused {
        endIdle();
        ConsoleSession session = open(lab, account, password, random(), random());
        sessions.put(session.id, session);
        return session;
    }

    /** Binds {@code account} to {@code lab}'s DC and reads what the session needs; the session is not registered. */
    private ConsoleSession open(Lab lab, String account, String password, String id, String csrf) throws SignInRefused {
        if (account == null || account.isBlank() || password == null || password.isEmpty()) {
            throw new SignInRefused("Type the account (CONTOSO\\name, name@" + lab.dc().domainName() + " or name) and its password.");
        }
        String netbios = lab.dc().names().defaultNetbiosName();
        String typed = account.strip();
        String bindName = typed.contains("\\") || typed.contains("@") ? typed : netbios + "\\" + typed;
        LDAPConnection ldap = null;
        try {
            ldap = new LDAPConnection("127.0.0.1", lab.dc().ldapPort());
            ldap.bind(bindName, password);
            SearchResultEntry self = self(ldap, lab, bindName);
            if (self == null) {
                throw new SignInRefused("The domain controller took the password of " + bindName + " but no account of that name can be read");
            }
            String sam = self.getAttributeValue("sAMAccountName");
            SecurityIdentifier sid = SecurityIdentifier.fromBytes(self.getAttributeValueBytes("objectSid"));
            Set<SecurityIdentifier> groups = new HashSet<>(TokenChange.tokenGroups(ldap, self.getDN()));
            DirectoryAdmin directory = DirectoryAdmin.over(ldap, lab.dc().names(), self.getDN());
            return new ConsoleSession(id, csrf, netbios + "\\" + sam, self.getDN(), sid, groups, lab, password, ldap, directory);
        } catch (LDAPException e) {
            if (ldap != null) {
                ldap.close();
            }
            if (e.getResultCode() == ResultCode.INVALID_CREDENTIALS) {
                throw new SignInRefused("The domain controller refused the sign-in of " + bindName + ": the user name or password is incorrect ("
                        + firstLine(e.getDiagnosticMessage()) + "). Every account of a scenario's lab has the password 'pkilab up' or "
                        + "'pkilab run --console' printed.");
            }
            throw new SignInRefused("The domain controller at ldap://127.0.0.1:" + lab.dc().ldapPort() + " did not answer the sign-in: "
                    + e.getResultCode() + " " + firstLine(e.getDiagnosticMessage()));
        } catch (SignInRefused | RuntimeException e) {
            if (ldap != null) {
                ldap.close();
            }
            throw e;
        }
    }

    private static SearchResultEntry self(LDAPConnection ldap, Lab lab, String bindName) throws LDAPException {
        String sam = bindName.contains("\\") ? bindName.substring(bindName.indexOf('\\') + 1) : null;
        Filter filter = sam != null ? Filter.createEqualityFilter("sAMAccountName", sam)
                : Filter.createEqualityFilter("userPrincipalName", bindName);
        for (SearchResultEntry e : ldap.search(lab.dc().names().domain(), SearchScope.SUB, filter, "sAMAccountName", "objectSid").getSearchEntries()) {
            return e;
        }
        return null;
    }

    /** The session a cookie names, when it is still current; the lab it was made against must be the lab now. */
    ConsoleSession find(String id, Lab current) {
        ConsoleSession session = id == null ? null : sessions.get(id);
        if (session == null) {
            return null;
        }
        if (Duration.between(session.lastUsed, Instant.now()).compareTo(IDLE) > 0) {
            end(session);
            return null;
        }
        if (session.lab != current) {
            return signInAgain(session, current);
        }
        session.lastUsed = Instant.now();
        return session;
    }

    /**
     * A lesson rerun started a fresh lab with the same accounts: the same account signs in to it again, keeping the
     * session's id and anti-forgery token. One browser's page and event stream arrive together after a rerun: the first
     * signs in again, the second finds that done.
     */
    private synchronized ConsoleSession signInAgain(ConsoleSession stale, Lab current) {
        ConsoleSession now = sessions.get(stale.id);
        if (now == null) {
            return null;
        }
        if (now.lab == current) {
            return now;
        }
        try {
            ConsoleSession again = open(current, now.account, now.password(), now.id, now.csrf);
            sessions.put(again.id, again);
            now.close();
            return again;
        } catch (SignInRefused e) {
            end(now);
            return null;
        }
    }

    /** Ends every session unused for longer than {@link #IDLE}: each holds an LDAP connection to the DC. */
    private void endIdle() {
        Instant now = Instant.now();
        sessions.values().stream().filter(x -> Duration.between(x.lastUsed, now).compareTo(IDLE) > 0).toList().forEach(this::end);
        oneTimeTokens.values().removeIf(until -> until.isBefore(now));
    }

    /** Whether {@code sent} is the session's anti-forgery token (compared in constant time). */
    static boolean csrfMatches(ConsoleSession session, String sent) {
        return sent != null && MessageDigest.isEqual(sent.getBytes(StandardCharsets.UTF_8), session.csrf.getBytes(StandardCharsets.UTF_8));
    }

    void end(ConsoleSession session) {
        if (sessions.remove(session.id, session)) {
            session.close();
        }
    }

    @Override
    public void close() {
        sessions.values().forEach(ConsoleSession::close);
        sessions.clear();
    }

    private static String random() {
        byte[] bytes = new byte[24];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "no message";
        }
        int nl = message.indexOf('\n');
        String first = (nl < 0 ? message : message.substring(0, nl)).strip();
        return first.isEmpty() ? "no message" : first;
    }
}
