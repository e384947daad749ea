package org.pkilab.ca;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.windows.WindowsError;

import java.security.cert.X509Certificate;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;

/**
 * IIS's Authentication feature for the CA's web services: who sent a request, from its {@code Authorization}
 * header. {@code Basic} carries an account and its password ({@code IIS01$:...}), which the CA logs on at the
 * DC; {@code Bearer} carries the logon token a host got from the DC at boot, which the CA checks as IIS checks
 * a Kerberos ticket. Anything else is refused with {@code 0x8007052E ERROR_LOGON_FAILURE} and a reason.
 *
 * <pre>{@code
 * HttpLogon.Result caller = logon.authenticate(request);
 * if (!caller.succeeded()) {
 *     logon.challenge(response, callback, caller.refusal());   // 401, WWW-Authenticate: Basic realm="contoso.com"
 *     return;
 * }
 * caller.token().sids();
 * }</pre>
 */
final class HttpLogon {

    /** A logon token, or the refusal that says why there is none. */
    record Result(LogonToken token, Decision refusal) {
        static Result of(LogonToken token) {
            return new Result(Objects.requireNonNull(token, "token"), null);
        }

        static Result refused(String why) {
            return new Result(null, Decision.deny(WindowsError.ERROR_LOGON_FAILURE, why, ""));
        }

        boolean succeeded() {
            return token != null;
        }
    }

    private final AccountLogon accounts;
    private final String realm;

    /** {@code realm}: the domain's DNS name, as the Basic challenge names it. */
    HttpLogon(AccountLogon accounts, String realm) {
        this.accounts = Objects.requireNonNull(accounts, "accounts");
        this.realm = Objects.requireNonNull(realm, "realm");
    }

    /** Who sent {@code request}; a refusal names what was wrong with its credentials. */
    Result authenticate(Request request) {
        String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (authorization == null) {
            return Result.refused("enrollment needs credentials: HTTP Basic with an account (IIS01$ and its password) "
                    + "or 'Authorization: Bearer <logon token>'");
        }
        try {
            if (authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
                return Result.of(accounts.verify(authorization.substring(7).trim()));
            }
            if (authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
                return basic(authorization.substring(6).trim());
            }
            return Result.refused("unsupported Authorization scheme; use Basic or Bearer");
        } catch (IllegalArgumentException e) {
            return Result.refused("the Authorization header is not valid base64");
        } catch (CaException e) {
            return Result.refused(e.getMessage());
        }
    }

    private Result basic(String credentials) {
        String pair;
        try {
            pair = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Base64.getDecoder().decode(credentials))).toString();
        } catch (CharacterCodingException e) {
            return Result.refused("the HTTP Basic credentials are not UTF-8 text");
        }
        int colon = pair.indexOf(':');
        if (colon <= 0) {
            return Result.refused("HTTP Basic credentials must be 'name:password'");
        }
        String user = pair.substring(0, colon);
        if (user.chars().anyMatch(Character::isISOControl)) {
            // the directory's string matching drops control characters: 'Administrator<NUL>' would log on as Administrator
            return Result.refused("the account name '" + RequestedNames.printable(user) + "' holds control characters; "
                    + "no account name does");
        }
        return Result.of(accounts.logon(user, pair.substring(colon + 1)));
    }

    /** Answers 401 with the Basic challenge and the refusal. */
    void challenge(Response response, Callback callback, Decision refusal) {
        response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Basic realm=\"" + realm + "\"");
        HttpAnswers.refuse(response, callback, refusal);
    }

    /** Answers 401 with the Basic challenge and {@code why}. */
    void challenge(Response response, Callback callback, String why) {
        challenge(response, callback, Result.refused(why).refusal());
    }

    /** The account renewing with {@code certificate}, its TLS client certificate: see {@link AccountLogon#holderOf}. */
    LogonToken certificateHolder(X509Certificate certificate) {
        return accounts.holderOf(certificate);
    }
}
