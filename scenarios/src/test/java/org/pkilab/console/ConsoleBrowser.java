package org.pkilab.console;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real browser for the console's tests: Debian's {@code chromium}, headless, driven through Debian's
 * {@code chromedriver} by Selenium, as a student's browser would see the console on a 1280x720 projector.
 *
 * <p>Nothing is downloaded: the driver is {@code /usr/bin/chromedriver} and the browser {@code /usr/bin/chromium}, both named
 * explicitly, so Selenium Manager never runs. Both come from the packages {@code chromium} and
 * {@code chromium-driver} that {@code scripts/test} installs (scripts/debian-packages); when one is missing the
 * browser refuses to start and says so, rather than the test being skipped.
 *
 * <p>Tests speak as a user does, by what is on the screen, not by ids or CSS:
 * <pre>{@code
 * try (ConsoleBrowser browser = new ConsoleBrowser()) {
 *     browser.open(console.url("/templates"));
 *     browser.clickText("ConfigMgr Web Server Certificate");
 *     browser.clickLabelled("Security tab");
 *     browser.waitForText("Deny");
 *     browser.screenshot("template-security");   // target/console-screenshots/template-security.png
 * }
 * }</pre>
 * Each browser has its own fresh profile under {@code target/}, removed on {@link #close()}.
 */
public final class ConsoleBrowser implements AutoCloseable {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    /** Where {@link #screenshot(String)} writes, relative to the module (the tests' working directory). */
    public static final Path SCREENSHOTS = Path.of("target", "console-screenshots");

    private static final Path PROFILES = Path.of("target", "console-browser-profiles");
    private static final Duration WAIT = Duration.ofSeconds(5);
    /** The projector the console is made for: the page's viewport, not the window around it. */
    public static final Dimension VIEWPORT = new Dimension(1280, 720);
    /**
     * Held so the setting lasts (java.util.logging keeps loggers weakly): without the selenium-devtools module, which
     * these tests do not use, Selenium warns on every start that it has no DevTools protocol for this Chromium.
     */
    private static final Logger CDP_VERSION_FINDER = Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder");

    static {
        CDP_VERSION_FINDER.setLevel(Level.SEVERE);
    }

    private final Path profile;
    private final ChromeDriver driver;
    private boolean closed;

    /** Starts a headless Chromium whose page is 1280x720, with an empty profile. */
    public ConsoleBrowser() {
        this(CHROMIUM, CHROMEDRIVER);
    }

    ConsoleBrowser(Path chromium, Path chromedriver) {
        List<String> missing = new ArrayList<>();
        if (!Files.isExecutable(chromium)) {
            missing.add(chromium + " (Debian package chromium)");
        }
        if (!Files.isExecutable(chromedriver)) {
            missing.add(chromedriver + " (Debian package chromium-driver)");
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("the console's browser tests drive Debian's Chromium, but " + String.join(" and ", missing)
                    + (missing.size() == 1 ? " is" : " are") + " missing; run scripts/test as root, which installs the packages in "
                    + "scripts/debian-packages (or as root: apt-get install chromium chromium-driver)");
        }
        try {
            Files.createDirectories(PROFILES);
            profile = Files.createTempDirectory(PROFILES.toAbsolutePath(), "chromium-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a Chromium profile folder under " + PROFILES.toAbsolutePath(), e);
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments(
                "--headless=new",
                // CI runs the tests as root, and Chromium refuses root with its sandbox on
                "--no-sandbox",
                // containers often give /dev/shm 64 MB, too little for Chromium's shared memory
                "--disable-dev-shm-usage",
                "--window-size=" + VIEWPORT.width + "," + VIEWPORT.height,
                "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(chromedriver.toFile())
                .usingAnyFreePort()
                .build();
        try {
            driver = new ChromeDriver(service, options);
        } catch (RuntimeException e) {
            deleteProfile();
            throw new IllegalStateException("Chromium (" + chromium + ") did not start through " + chromedriver + ": " + e.getMessage(), e);
        }
        fitViewport();
    }

    /** Headless Chromium still subtracts a window frame from --window-size; grow the window by that frame. */
    private void fitViewport() {
        @SuppressWarnings("unchecked")
        List<Long> inner = (List<Long>) driver.executeScript("return [window.innerWidth, window.innerHeight];");
        Dimension window = driver.manage().window().getSize();
        driver.manage().window().setSize(new Dimension(window.width + VIEWPORT.width - inner.get(0).intValue(),
                window.height + VIEWPORT.height - inner.get(1).intValue()));
    }

    /** Loads {@code url} and waits until the page has loaded (Selenium's default page-load strategy). */
    public void open(String url) {
        driver.get(url);
    }

    /**
     * Saves what the window shows now as {@code target/console-screenshots/<viewName>.png}, replacing an earlier one of
     * that name, and returns its path.
     */
    public Path screenshot(String viewName) {
        if (!viewName.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new IllegalArgumentException("screenshot name '" + viewName + "': letters, digits, '.', '_' and '-' only (it is a file name)");
        }
        try {
            Files.createDirectories(SCREENSHOTS);
            Path file = SCREENSHOTS.resolve(viewName + ".png");
            Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the screenshot '" + viewName + "' under " + SCREENSHOTS.toAbsolutePath(), e);
        }
    }

    /**
     * Clicks the button, link, tab or menu item whose visible text is {@code text} (spaces normalised), as a user
     * reading the screen would.
     */
    public void clickText(String text) {
        String literal = xpathLiteral(text);
        By by = By.xpath("//*[self::button or self::a or self::summary or @role='button' or @role='link' or @role='tab' or @role='menuitem']"
                + "[normalize-space(.)=" + literal + "]"
                + " | //input[(@type='submit' or @type='button') and @value=" + literal + "]");
        // a live page may replace its <main> between finding and clicking (the lab changed): find it again, as a user looks again
        for (int attempt = 1; ; attempt++) {
            try {
                find("a button, link, tab or menu item showing '" + text + "'", by).click();
                return;
            } catch (org.openqa.selenium.StaleElementReferenceException e) {
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }

    /**
     * Scrolls the element with id {@code id} to the middle of the window. The element is looked up in the page as it is
     * then, not through a reference found earlier: a live page replaces its timeline between the two (CI once saw
     * a stale element there).
     */
    public void scrollTo(String id) {
        Object found = driver.executeScript("const e = document.getElementById(arguments[0]);"
                + " if (e) { e.scrollIntoView({block: 'center'}); } return e !== null;", id);
        if (!Boolean.TRUE.equals(found)) {
            throw new AssertionError("no element with id '" + id + "' to scroll to; the page shows:\n" + mainText());
        }
    }

    /**
     * Signs in on the console's sign-in page at {@code consoleUrl} as {@code account} with {@code password}, as a student
     * types them, and waits until the first page after it has loaded.
     */
    public void signIn(String consoleUrl, String account, String password) {
        open(consoleUrl + "/login");
        fill("User name", account);
        fill("Password", password);
        clickText("Sign in");
        // the URL, not the page's text: the page is replaced while the sign-in redirects
        new WebDriverWait(driver, WAIT).until(d -> !d.getCurrentUrl().endsWith("/login"));
        waitForText("");
    }

    /**
     * POSTs {@code form} to {@code path} from the page's own script with the anti-forgery token of its hidden field, as a
     * forged form would: the answer's status and text.
     */
    public List<?> forgePost(String path, String form) {
        return (List<?>) driver.executeAsyncScript("const done = arguments[arguments.length - 1];"
                + "const csrf = document.querySelector('input[name=csrf]').value;"
                + "fetch(arguments[0], {method: 'POST', credentials: 'same-origin', headers: {'Content-Type': 'application/x-www-form-urlencoded'},"
                + " body: 'csrf=' + encodeURIComponent(csrf) + '&' + arguments[1], redirect: 'manual'})"
                + ".then(r => r.text().then(t => done([r.status, t])), e => done([0, String(e)]));", path, form);
    }

    /** Clicks the element whose {@code aria-label} is {@code label}: an icon button has no visible text to click by. */
    public void clickLabelled(String label) {
        find("an element with aria-label '" + label + "'", By.xpath("//*[@aria-label=" + xpathLiteral(label) + "]")).click();
    }

    /**
     * Types {@code value} into the form field whose {@code <label>} reads {@code label}, after clearing it; the label
     * names its field by {@code for} or by holding it.
     */
    public void fill(String label, String value) {
        WebElement field = field(label);
        field.clear();
        field.sendKeys(value);
    }

    /** The form field (input, select or textarea) the {@code <label>} reading {@code label} belongs to. */
    public WebElement field(String label) {
        WebElement element = find("a <label> reading '" + label + "'", By.xpath("//label[normalize-space(.)=" + xpathLiteral(label) + "]"));
        String forId = element.getDomAttribute("for");
        try {
            if (forId != null && !forId.isEmpty()) {
                return driver.findElement(By.id(forId));
            }
            return element.findElement(By.xpath(".//input | .//select | .//textarea"));
        } catch (NoSuchElementException e) {
            throw new AssertionError("the label '" + label + "' on " + driver.getCurrentUrl() + " names no form field"
                    + (forId == null || forId.isEmpty() ? " (no for= and no field inside it)" : " (for='" + forId + "' matches no id)")
                    + ": a screen reader cannot tell what the field is for");
        }
    }

    /** Waits up to 5 seconds for {@code text} to appear in the page's {@link #mainText() main text}. */
    public void waitForText(String text) {
        try {
            // across a page load (a form posted, its redirect followed) the old page's elements go stale: look again
            new WebDriverWait(driver, WAIT).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                    .ignoring(NoSuchElementException.class).until(d -> mainText().contains(text));
        } catch (TimeoutException e) {
            throw new AssertionError("'" + text + "' did not appear on " + driver.getCurrentUrl() + " within " + WAIT.toSeconds()
                    + " s; the page shows:\n" + mainText());
        }
    }

    /** The visible text of the whole page: the header (who is signed in, the lab clock), the navigation and {@code <main>}. */
    public String pageText() {
        return driver.findElement(By.tagName("body")).getText();
    }

    /** The visible text of the page's {@code <main>}, or of its body when it has none. */
    public String mainText() {
        List<WebElement> main = driver.findElements(By.cssSelector("main, [role=main]"));
        return (main.isEmpty() ? driver.findElement(By.tagName("body")) : main.get(0)).getText();
    }

    /**
     * Presses Tab {@code times} times, from wherever the focus is, and returns the accessible name of the element that
     * then has the focus (what a screen reader announces; empty when it has none).
     */
    public String tab(int times) {
        if (times < 1) {
            throw new IllegalArgumentException("Tab presses < 1: " + times);
        }
        Actions keys = new Actions(driver);
        for (int i = 0; i < times; i++) {
            keys.sendKeys(Keys.TAB);
        }
        keys.perform();
        return driver.switchTo().activeElement().getAccessibleName();
    }

    /** The driver itself, for what the helpers above do not cover. */
    public ChromeDriver driver() {
        return driver;
    }

    /** Quits Chromium and its driver and removes the profile. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            driver.quit();
        } finally {
            deleteProfile();
        }
    }

    private WebElement find(String what, By by) {
        List<WebElement> found = driver.findElements(by);
        if (found.isEmpty()) {
            throw new AssertionError("no " + what + " on " + driver.getCurrentUrl() + "; the page shows:\n" + mainText());
        }
        return found.get(0);
    }

    /** {@code text} as an XPath 1.0 string literal; XPath has no escape, so text with both quote kinds is a concat(). */
    static String xpathLiteral(String text) {
        if (!text.contains("'")) {
            return "'" + text + "'";
        }
        if (!text.contains("\"")) {
            return "\"" + text + "\"";
        }
        return "concat('" + text.replace("'", "', \"'\", '") + "')";
    }

    private void deleteProfile() {
        try (Stream<Path> files = Files.walk(profile)) {
            files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        } catch (IOException e) {
            // a profile left behind under target/ costs disk until mvn clean, nothing else
        }
    }
}
