package org.pkilab.console;

import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.pkilab.admin.CaAdminClient;
import org.pkilab.directory.client.DirectoryException;
import org.pkilab.lab.Lab;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The classroom console: the lab in a browser, on 127.0.0.1, served by the lab's Jetty. It shows what the Windows
 * consoles show (Active Directory Users and Computers, Certificate Templates, the Certification Authority, each
 * computer's Certificates snap-in, IIS bindings and event log) and the run of a scenario step by step, and it changes
 * with the lab as it changes.
 *
 * <pre>{@code
 * try (ClassroomConsole console = ClassroomConsole.start(lab, null, 0)) {
 *     System.out.println(console.oneTimeLink());   // http://127.0.0.1:41234/login/once?token=...  (the Administrator, once)
 * }
 * }</pre>
 *
 * <p>Sign-in is a bind to the lab's DC as a lab account; every page is read and every action taken with that account's
 * own connections, so what a student sees and may do follows their token, as on Windows. Every action is a POST with
 * the session's anti-forgery token from the same origin; the session cookie is {@code HttpOnly} and
 * {@code SameSite=Strict}; pages forbid framing and any script but the console's own. The console costs nothing until
 * it is started ({@code pkilab up}, {@code pkilab run --console}), and nothing runs for live updates until a browser
 * listens.
 */
public final class ClassroomConsole implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClassroomConsole.class);
    /** The session cookie's name carries the port: cookies ignore ports, and two labs' consoles on 127.0.0.1 must not share one. */
    private String cookieName() {
        return "pkilab-console-" + connector.getLocalPort();
    }
    private static final String SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

    private final ConsoleContext context;
    private final ConsoleSessions sessions = new ConsoleSessions();
    private final LiveEvents events = new LiveEvents();
    private final List<ConsoleView> views;
    private final Server server;
    private final ServerConnector connector;
    private final Map<String, String[]> flashes = new java.util.concurrent.ConcurrentHashMap<>();

    private ClassroomConsole(Lab lab, LabRun run, int port) {
        this.context = new ConsoleContext(lab, run, events);
        this.views = ConsoleViews.all(run != null);
        QueuedThreadPool threads = new QueuedThreadPool(16, 2);
        threads.setName("classroom-console");
        threads.setDaemon(true);
        // no buffer pool, as LabControl and CaWebServer: Jetty 12.1 may hand a returned buffer to the next connection
        this.server = new Server(threads, null, ByteBufferPool.NON_POOLING);
        this.connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        connector.setIdleTimeout(60_000);
        server.addConnector(connector);
        server.setHandler(new Routes());
    }

    /**
     * Starts the console of {@code lab} on 127.0.0.1 ({@code port} 0: any free port); with {@code run}, it also follows
     * that scenario run (the Run view, step mode).
     */
    public static ClassroomConsole start(Lab lab, LabRun run, int port) {
        ClassroomConsole console = new ClassroomConsole(lab, run, port);
        try {
            console.server.start();
        } catch (Exception e) {
            console.close();
            throw new IllegalStateException("the classroom console did not start on 127.0.0.1:" + port + ": " + e.getMessage(), e);
        }
        if (run != null) {
            run.onChange(topic -> console.events.publish(topic));
            run.onLab(console::show);
        }
        lab.clock().whenAdvanced(() -> console.events.publish("*"));
        console.events.watch(console::labState);
        return console;
    }

    /**
     * What the lab's state comes to, cheaply: the DC's highestCommittedUSN (every directory write raises it), the CA's
     * request count and revoked certificates, each running computer's certificates, events and last logon. Equal values
     * mean nothing a page shows changed.
     */
    private Object labState() {
        Lab lab = context.lab();
        List<Object> state = new java.util.ArrayList<>();
        try (com.unboundid.ldap.sdk.LDAPConnection ldap = new com.unboundid.ldap.sdk.LDAPConnection("127.0.0.1", lab.dc().ldapPort())) {
            com.unboundid.ldap.sdk.RootDSE root = ldap.getRootDSE();
            state.add(root == null ? null : root.getAttributeValue("highestCommittedUSN"));
        } catch (com.unboundid.ldap.sdk.LDAPException e) {
            state.add(e.getResultCode());
        }
        state.add(lab.ca().requestCount());
        state.add(lab.ca().revoked().size());
        for (String name : lab.computerNames()) {
            if (lab.booted(name)) {
                var computer = lab.computer(name);
                state.add(List.of(name, computer.personal().certificates().size(), computer.eventLog().events().size(), computer.token().issuedAt()));
            }
        }
        return state;
    }

    /** The console's address, {@code http://127.0.0.1:PORT}. */
    public String url() {
        return "http://127.0.0.1:" + connector.getLocalPort();
    }

    /** A link that signs in as the Administrator once, within ten minutes. */
    public String oneTimeLink() {
        return url() + "/login/once?token=" + sessions.oneTimeToken();
    }

    /** The lab the console shows from now on (a lesson rerun made a fresh one); signed-in browsers follow it. */
    public void show(Lab lab) {
        lab.clock().whenAdvanced(() -> events.publish("*"));
        context.lab(lab);
    }

    /** Tells open browsers that what {@code topic} shows changed, for changes made outside the console ({@code pkilab host ...}). */
    public void changed(String topic) {
        events.publish(topic);
    }

    @Override
    public void close() {
        events.close();
        try {
            server.stop();
        } catch (Exception e) {
            // stopping a console that failed to start
        }
        sessions.close();
    }

    private final class Routes extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            response.getHeaders().put("Content-Security-Policy", SECURITY_POLICY);
            response.getHeaders().put("X-Content-Type-Options", "nosniff");
            response.getHeaders().put("Referrer-Policy", "same-origin");
            String path = Request.getPathInContext(request);
            String method = request.getMethod();
            if (path.startsWith("/static/") && method.equals("GET")) {
                return asset(path.substring("/static/".length()), response, callback);
            }
            Lab lab = context.lab();
            ConsoleSession session = sessions.find(cookie(request), lab);
            boolean post = method.equals("POST");
            if (!post && !method.equals("GET")) {
                return html(response, callback, 405, ConsolePage.render(refusal(405, "Not allowed", method + " is not a console request: pages are GET, actions POST"),
                        session, lab, views, null, false));
            }
            if (post && !sameOrigin(request)) {
                return html(response, callback, 403, ConsolePage.render(refusal(403, "Refused", "This action came from another site ("
                        + request.getHeaders().get(HttpHeader.ORIGIN) + "); the console takes actions only from its own pages."), session, lab, views, null, false));
            }
            Map<String, String> parameters = parameters(request);
            if (path.equals("/login/once")) {
                if (!sessions.spend(parameters.get("token"))) {
                    return html(response, callback, 403, loginPage(lab, "This sign-in link was used already or is older than ten minutes. "
                            + "Sign in with the Administrator's password, or ask 'pkilab up' for a new link (it prints one at start)."));
                }
                try {
                    return signedIn(sessions.signIn(lab, lab.dc().names().defaultNetbiosName() + "\\Administrator", lab.password()), response, callback);
                } catch (ConsoleSessions.SignInRefused e) {
                    return html(response, callback, 401, loginPage(lab, "The one-time link could not sign in as the Administrator: "
                            + e.getMessage()));
                }
            }
            if (path.equals("/login")) {
                if (!post) {
                    return html(response, callback, 200, loginPage(lab, null));
                }
                try {
                    return signedIn(sessions.signIn(lab, parameters.get("account"), parameters.get("password")), response, callback);
                } catch (ConsoleSessions.SignInRefused e) {
                    return html(response, callback, 401, loginPage(lab, e.getMessage()));
                }
            }
            if (session == null) {
                // a page's script asking again: it reloads the whole page, which then shows the sign-in
                if (post || path.equals("/events") || request.getHeaders().get("X-Console-Fragment") != null) {
                    return html(response, callback, 401, loginPage(lab, "Your session ended; sign in again."));
                }
                return redirect(response, callback, "/login");
            }
            if (post && !ConsoleSessions.csrfMatches(session, parameters.get("csrf"))) {
                return html(response, callback, 403, ConsolePage.render(refusal(403, "Refused", "This action did not carry the page's anti-forgery "
                        + "token, so the console did not take it. Reload the page and try again."), session, lab, views, null, false));
            }
            if (path.equals("/logout") && post) {
                sessions.end(session);
                Response.addCookie(response, HttpCookie.build(cookieName(), "").path("/").maxAge(0).httpOnly(true).sameSite(HttpCookie.SameSite.STRICT).build());
                return redirect(response, callback, "/login");
            }
            if (path.equals("/events") && !post) {
                events.listen(response, callback);
                return true;
            }
            if (path.equals("/") || path.isEmpty()) {
                return redirect(response, callback, context.run() != null ? "/run" : "/ad");
            }
            ConsoleView view = views.stream().filter(v -> path.equals(v.prefix()) || path.startsWith(v.prefix() + "/")).findFirst().orElse(null);
            // read before the page is made: a change while it is made leaves the page behind, and it catches up
            long version = events.version();
            ConsoleAnswer answer;
            if (view == null) {
                answer = refusal(404, "Not found", "The console has no page " + path + ".");
            } else {
                answer = answer(view, new ConsoleRequest(method, path, parameters, session, context));
            }
            String fragment = request.getHeaders().get("X-Console-Fragment");
            if (answer instanceof ConsoleAnswer.Redirect r) {
                if (r.message() != null) {
                    flashes.put(session.id, new String[] {r.message(), Boolean.toString(r.error())});
                }
                return redirect(response, callback, r.location());
            }
            ConsoleAnswer.Page page = (ConsoleAnswer.Page) answer;
            String[] flash = fragment == null ? flashes.remove(session.id) : null;
            String message = flash == null ? null : flash[0];
            boolean error = flash != null && Boolean.parseBoolean(flash[1]);
            if ("main".equals(fragment)) {
                response.getHeaders().put("X-Console-Version", Long.toString(version));
                response.getHeaders().put("X-Lab-Clock", ConsolePage.CLOCK.format(lab.clock().instant()) + " UTC");
                return html(response, callback, page.status(), ConsolePage.main(page, null, false));
            }
            return html(response, callback, page.status(), ConsolePage.render(page, session, lab, views, message, error)
                    .replaceFirst("<main id=\"main\"", "<main id=\"main\" data-version=\"" + version + "\""));
        }

        private ConsoleAnswer answer(ConsoleView view, ConsoleRequest request) {
            try {
                ConsoleAnswer answer = view.answer(request);
                if (request.post()) {
                    events.publish("*");
                }
                return answer;
            } catch (ConsoleAnswer.Refused e) {
                return refusal(e.status(), e.title(), e.getMessage());
            } catch (CaAdminClient.CaAdminException e) {
                String m = String.valueOf(e.getMessage());
                return refusal(m.contains("(HTTP 403)") || m.contains("0x80070005") ? 403 : 409, "The CA refused", m);
            } catch (DirectoryException e) {
                return refusal(e.resultCode() == 50 ? 403 : 409, "The domain controller refused", e.getMessage());
            } catch (IllegalArgumentException | IllegalStateException e) {
                return refusal(409, "Refused", e.getMessage());
            } catch (Exception e) {
                LOG.warn("console: {} {} failed", request.method(), request.path(), e);
                return refusal(500, "Something failed inside the lab", e.toString());
            }
        }

        private boolean signedIn(ConsoleSession session, Response response, Callback callback) {
            Response.addCookie(response, HttpCookie.build(cookieName(), session.id).path("/").httpOnly(true).sameSite(HttpCookie.SameSite.STRICT).build());
            return redirect(response, callback, "/");
        }

        private boolean sameOrigin(Request request) {
            String origin = request.getHeaders().get(HttpHeader.ORIGIN);
            if (origin == null) {
                return true;
            }
            int port = connector.getLocalPort();
            return origin.equals("http://127.0.0.1:" + port) || origin.equals("http://localhost:" + port);
        }
    }

    static ConsoleAnswer.Page refusal(int status, String title, String message) {
        return new ConsoleAnswer.Page(status, title, null, Html.message("error", message), List.of());
    }

    private String loginPage(Lab lab, String error) {
        String body = (error == null ? "" : Html.message("error", error))
                + "<p>Sign in with a lab account, as you would at a Windows logon screen: <code>" + Html.text(lab.dc().names().defaultNetbiosName())
                + "\\Administrator</code>, <code>bob@" + Html.text(lab.dc().domainName()) + "</code> or just the account name.</p>"
                + "<form method=\"post\" action=\"/login\" class=\"login\">"
                + "<p>" + Html.input("account", "User name", "") + "</p>"
                + "<p><label for=\"password\">Password</label> <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\"></p>"
                + "<p><button type=\"submit\">Sign in</button></p></form>";
        return ConsolePage.render(new ConsoleAnswer.Page(200, "Sign in to the lab", null, body, List.of()), null, lab, views, null, false);
    }

    private String cookie(Request request) {
        List<HttpCookie> cookies = Request.getCookies(request);
        for (HttpCookie c : cookies) {
            if (c.getName().equals(cookieName())) {
                return c.getValue();
            }
        }
        return null;
    }

    private static Map<String, String> parameters(Request request) throws Exception {
        Fields fields = Request.getParameters(request);
        Map<String, String> out = new HashMap<>();
        for (Fields.Field f : fields) {
            out.put(f.getName(), f.getValue());
        }
        return out;
    }

    private static boolean html(Response response, Callback callback, int status, String html) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/html; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.write(true, ByteBuffer.wrap(html.getBytes(StandardCharsets.UTF_8)), callback);
        return true;
    }

    private static boolean redirect(Response response, Callback callback, String location) {
        response.setStatus(303);
        response.getHeaders().put(HttpHeader.LOCATION, location);
        response.write(true, ByteBuffer.allocate(0), callback);
        return true;
    }

    private static final Map<String, String> ASSETS = Map.of("console.css", "text/css; charset=utf-8", "console.js", "text/javascript; charset=utf-8");

    private static boolean asset(String name, Response response, Callback callback) {
        String type = ASSETS.get(name);
        if (type == null) {
            response.setStatus(404);
            response.write(true, ByteBuffer.allocate(0), callback);
            return true;
        }
        try (InputStream in = ClassroomConsole.class.getResourceAsStream("/console/" + name)) {
            byte[] bytes = in.readAllBytes();
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
            response.write(true, ByteBuffer.wrap(bytes), callback);
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
