package org.pkilab.console;

import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.pkilab.scenario.BuiltInScenarios;
import org.pkilab.scenario.Scenario;
import org.pkilab.scenario.ScenarioParser;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A lesson in step mode, driven from the console's Run view as an instructor does in class: Next step until the
 * guide's warning shows (the request denied because IIS01 has not restarted), the computer's token in Active
 * Directory saying what a restart would add, then Run to the end and Run the lesson again in a fresh lab.
 */
class RunViewIT {

    private static final Duration STEP = Duration.ofSeconds(30);

    @Test
    void anInstructorStepsThroughTheRestartLessonAndRunsItAgain() throws Exception {
        Scenario lesson = new ScenarioParser(BuiltInScenarios::text).parse("lesson-restart-after-group-change.yaml",
                BuiltInScenarios.text("lesson-restart-after-group-change"));
        try (LabRun run = LabRun.start(lesson, true, r -> { });
             ClassroomConsole console = ClassroomConsole.start(run.lab(), run, 0);
             ConsoleBrowser browser = new ConsoleBrowser()) {
            browser.open(console.oneTimeLink());
            browser.waitForText("Step mode: 0 of " + lesson.steps().size() + " steps done");
            browser.screenshot("run-step-mode");
            assertEquals(0, run.entries().stream().filter(e -> e.state() == LabRun.State.DONE).count(), "a step ran before Next step");

            // Next pressed twice for step 1 (a double click, a second browser): step 1 runs, step 2 still waits
            browser.forgePost("/run/next", "step=1");
            browser.forgePost("/run/next", "step=1");
            waitUntilDone(browser, 1, run);
            assertEquals(1, run.entries().stream().filter(e -> e.state() != LabRun.State.WAITING).count(),
                    "a second Next for step 1 ran step 2: " + run.entries().stream().map(e -> e.number() + ":" + e.state()).toList());
            int denied = 0;
            String shown = "";
            for (int step = 2; step <= lesson.steps().size() && denied == 0; step++) {
                browser.clickText("Next step");
                String done = waitUntilDone(browser, step, run);
                if (done.contains("CERTSRV_E_TEMPLATE_DENIED")) {
                    denied = step;
                    shown = done;
                }
            }
            assertTrue(denied > 0, "no step showed CERTSRV_E_TEMPLATE_DENIED: " + browser.mainText());
            assertTrue(shown.contains("Refused, as the guide warns") && shown.contains("Fix:") && shown.contains("Restart"), shown);
            assertEquals(denied, run.entries().stream().filter(e -> e.state() == LabRun.State.DONE).count(),
                    "step mode ran more steps than Next step asked for");
            browser.scrollTo("step-" + denied);
            browser.screenshot("run-refused-step");

            browser.open(console.url() + "/ad?dn=" + java.net.URLEncoder.encode("CN=Computers,DC=contoso,DC=com", java.nio.charset.StandardCharsets.UTF_8));
            browser.clickText("IIS01");
            browser.waitForText("Logon token");
            String token = browser.mainText();
            assertTrue(token.contains("After a restart IIS01 would hold also CONTOSO\\ConfigMgr IIS Servers."), token);
            browser.screenshot("ad-token-before-restart");

            browser.open(console.url() + "/run");
            browser.clickText("Run to the end");
            new WebDriverWait(browser.driver(), STEP).ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(d -> browser.mainText().contains("Finished"));
            assertTrue(browser.mainText().contains("every expectation held"), browser.mainText());
            browser.screenshot("run-finished");

            browser.clickText("Run the lesson again");
            new WebDriverWait(browser.driver(), STEP).ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(d -> browser.mainText().contains("(run 2)") && browser.mainText().contains("Finished"));
            assertEquals(2, run.runs());
            browser.open(console.url() + "/ad");
            browser.waitForText("Active Directory Users and Computers");
            assertTrue(browser.pageText().contains("Signed in as CONTOSO\\Administrator"), "the session followed the fresh lab: " + browser.pageText());
        }
    }

    /** Waits for the live timeline to show step {@code number} done (its page refreshes itself by server-sent events). */
    private static String waitUntilDone(ConsoleBrowser browser, int number, LabRun run) {
        try {
            return until(browser, number);
        } catch (org.openqa.selenium.TimeoutException e) {
            throw new AssertionError("step " + number + " not shown done; the run has " + run.entries().stream().map(x -> x.number() + ":" + x.state()).toList()
                    + "; the page shows:\n" + browser.mainText());
        }
    }

    private static String until(ConsoleBrowser browser, int number) {
        return new WebDriverWait(browser.driver(), STEP).ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(d -> {
            var found = d.findElements(By.id("step-" + number));
            if (found.isEmpty()) {
                return null;
            }
            String css = found.get(0).getAttribute("class");
            return css.contains("done") || css.contains("failed") ? found.get(0).getText() : null;
        });
    }
}
