package org.pkilab.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.imageio.ImageIO;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link ConsoleBrowser} against a one-page site on loopback: a certificate request form whose field is named only by
 * its {@code <label>}, and an answer page that repeats what was sent.
 */
class ConsoleBrowserIT {

    private static final String FORM = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Request a certificate</title></head>
            <body><main>
              <h1>Request a certificate</h1>
              <form action="/answer" method="post">
                <label for="cn">Common name</label> <input id="cn" name="cn">
                <button type="submit">Request</button>
              </form>
            </main></body></html>
            """;

    private static Server server;
    private static String url;

    @BeforeAll
    static void serveTheForm() throws Exception {
        server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                String page = FORM;
                if (Request.getPathInContext(request).equals("/answer")) {
                    Fields form = Request.getParameters(request);
                    page = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Pending</title></head><body><main>"
                            + "<p>Request for " + escape(form.getValue("cn")) + " is pending</p></main></body></html>";
                }
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/html; charset=utf-8");
                response.write(true, ByteBuffer.wrap(page.getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        });
        server.start();
        url = "http://127.0.0.1:" + connector.getLocalPort() + "/";
    }

    @AfterAll
    static void stop() throws Exception {
        server.stop();
    }

    @Test
    void fillsALabelledFieldSubmitsAndScreenshotsTheAnswer() throws Exception {
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            browser.open(url);
            browser.fill("Common name", "web01.contoso.com");
            browser.clickText("Request");
            browser.waitForText("is pending");
            assertEquals("Request for web01.contoso.com is pending", browser.mainText(), "the answer page at " + url + "answer");

            Path png = browser.screenshot("console-browser-answer");
            assertTrue(Files.size(png) > 0, "empty screenshot " + png.toAbsolutePath());
            BufferedImage image = ImageIO.read(png.toFile());
            assertEquals("1280x720", image.getWidth() + "x" + image.getHeight(), "screenshot " + png.toAbsolutePath() + ": the projector's size");
            assertEquals(ConsoleBrowser.SCREENSHOTS.resolve("console-browser-answer.png"), png);
        }
    }

    @Test
    void tabMovesTheFocusThroughTheFormInOrderAndNamesWhatHasIt() {
        try (ConsoleBrowser browser = new ConsoleBrowser()) {
            browser.open(url);
            assertEquals("Common name", browser.tab(1), "first Tab on " + url + " should reach the labelled field");
            assertEquals("Request", browser.tab(1), "second Tab on " + url + " should reach the submit button");
        }
    }

    @Test
    void aMissingChromiumFailsNamingThePackageAndScriptsTest() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new ConsoleBrowser(Path.of("/nonexistent/chromium"), ConsoleBrowser.CHROMEDRIVER).close());
        assertTrue(e.getMessage().contains("/nonexistent/chromium (Debian package chromium)"), e.getMessage());
        assertTrue(e.getMessage().contains("run scripts/test as root"), e.getMessage());
    }

    private static String escape(String text) {
        return text == null ? "" : text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
