package org.pkilab.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.pkilab.lab.Lab;
import org.pkilab.lab.LabSpec;
import org.pkilab.pki.Folders;
import org.pkilab.pki.KeyFiles;
import org.pkilab.scenario.BuiltInScenarios;
import org.pkilab.scenario.Narration;
import org.pkilab.scenario.NearestName;
import org.pkilab.scenario.Scenario;
import org.pkilab.scenario.ScenarioException;
import org.pkilab.scenario.ScenarioParser;
import org.pkilab.scenario.ScenarioRunner;
import org.pkilab.audit.Audit;
import org.pkilab.audit.AuditOutput;
import org.pkilab.audit.AuditReport;
import org.pkilab.audit.AuditSnapshot;
import org.pkilab.audit.DirectoryAuditLoader;
import org.pkilab.scenario.StepResult;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code pkilab run <name|file>}: runs a scenario in a fresh lab and narrates each step: what the guide
 * says, what the lab did, the certificates involved, and for a failure the code, reason and fix.
 * Exit 0 when every expectation holds, 1 when one does not, 2 for a scenario file that cannot run.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run a scenario (built-in name or file) in a fresh lab and narrate it. Exit 0: every expectation held; "
                + "1: one did not; 2: the scenario cannot run.")
final class RunCommand implements Callable<Integer> {

    @Parameters(paramLabel = "SCENARIO", description = "A built-in scenario (see 'pkilab scenarios') or a scenario file.")
    String scenario;

    @Option(names = "--format", defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--junit-xml", paramLabel = "FILE", description = "Also write a JUnit XML report, one test case per step.")
    Path junitXml;

    @Option(names = "--audit", description = "After the last step, audit the lab for ESC1-ESC16 (as 'pkilab audit' does) and explain "
            + "each template the scenario made: which conditions hold and which do not.")
    boolean audit;

    @Option(names = "--console", description = "Also serve the classroom console (the lab in a browser, on 127.0.0.1) while the scenario "
            + "runs, and keep it open after the last step until Ctrl-C: its Run view shows each step live.")
    boolean console;

    @Option(names = "--step", description = "With --console: step mode. The scenario waits before each step for Next step in the "
            + "console's Run view (Pause, Run to the end and Run the lesson again are there too).")
    boolean step;

    @Option(names = "--console-port", paramLabel = "N", defaultValue = "0", description = "With --console: its port on 127.0.0.1 "
            + "(default: any free port).")
    int consolePort;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!format.equals("text") && !format.equals("json")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--format must be text or json, not '" + format + "'");
        }
        boolean json = format.equals("json");
        if (step && !console) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--step needs --console: the Next step button is in the console's Run view");
        }
        if (console && (json || junitXml != null || audit)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--console narrates as text and stays open until Ctrl-C; "
                    + "run without it for --format json, --junit-xml or --audit");
        }
        if (junitXml != null) {
            String problem = unwritable(junitXml);
            if (problem != null) {
                err.println("pkilab: --junit-xml " + junitXml + ": " + problem + "; nothing ran");
                err.flush();
                return 2;
            }
        }
        Scenario parsed;
        try {
            parsed = load(scenario);
        } catch (ScenarioException | IllegalArgumentException e) {
            List<String> problems = e instanceof ScenarioException s ? s.problems() : List.of(e.getMessage());
            explain(problems, e instanceof ScenarioException, err);
            String name = Path.of(scenario).getFileName().toString().replaceFirst("(?i)\\.ya?ml$", "");
            if (json) {
                out.println(jsonProblems(name, problems));
                out.flush();
            }
            if (junitXml != null) {
                KeyFiles.writeAtomically(junitXml, junitProblems(name, problems).getBytes(StandardCharsets.UTF_8));
            }
            return 2;
        }
        if (!json) {
            out.println(header(parsed));
            parsed.notes().forEach(note -> out.println("Note: " + note));
            out.println("Starting the lab: domain controller, enterprise CA, " + parsed.lab().hosts().size() + " computer(s) ...");
            out.flush();
        }
        if (console) {
            return RunWithConsole.run(parsed, step, consolePort, out);
        }
        long start = System.nanoTime();
        Path work = Files.createTempDirectory("pkilab-run-");
        List<StepResult> results;
        ObjectNode audited = null;
        try (Lab lab = Lab.start(parsed.lab())) {
            if (!json) {
                out.println("Lab: " + lab.dc().domainName() + "; DC " + lab.dc().fqdn() + "; CA " + lab.ca().name() + " at "
                        + lab.ca().estBaseUrl() + "; computers " + String.join(", ", lab.computerNames())
                        + "; every account's password " + lab.password());
                out.println();
                out.flush();
            }
            int[] number = {0};
            results = new ScenarioRunner(lab, work).run(parsed, r -> {
                number[0]++;
                if (!json) {
                    Narration.narrate(out, number[0], r);
                }
            });
            if (audit) {
                audited = audit(parsed, lab, json ? null : out);
            }
        } finally {
            Folders.deleteTree(work);
        }
        long failed = results.stream().filter(r -> !r.asExpected()).count();
        double seconds = (System.nanoTime() - start) / 1e9;
        if (json) {
            out.println(json(parsed, results, seconds, audited));
        } else {
            out.printf(Locale.ROOT, "%s: %d steps, %s (%.1f s)%n", parsed.name(), results.size(),
                    failed == 0 ? "every expectation held" : failed + " did not go as expected", seconds);
        }
        out.flush();
        if (junitXml != null) {
            KeyFiles.writeAtomically(junitXml, junit(parsed, results, seconds).getBytes(StandardCharsets.UTF_8));
        }
        return failed == 0 ? 0 : 1;
    }

    /** The scenario, or null after telling {@code err} every reason it cannot run (the caller exits 2). */
    static Scenario loadOrExplain(String nameOrFile, PrintWriter err) {
        try {
            return load(nameOrFile);
        } catch (ScenarioException e) {
            explain(e.problems(), true, err);
        } catch (IllegalArgumentException e) {
            explain(List.of(e.getMessage()), false, err);
        }
        return null;
    }

    private static void explain(List<String> problems, boolean inFile, PrintWriter err) {
        if (inFile) {
            err.println("pkilab: the scenario cannot run:");
            problems.forEach(p -> err.println("  " + p));
        } else {
            problems.forEach(p -> err.println("pkilab: " + p));
        }
        err.flush();
    }

    /** Why the report cannot be written there, or null: checked before the lab starts, not after a run's minutes. */
    static String unwritable(Path file) {
        Path absolute = file.toAbsolutePath().normalize();
        Path folder = absolute.getParent();
        if (Files.isDirectory(absolute)) {
            return "is a folder; name a file in it";
        }
        if (folder == null || !Files.isDirectory(folder)) {
            return "its folder " + folder + " does not exist; create it or name a file in an existing folder";
        }
        if (!Files.isWritable(folder) || Files.exists(absolute) && !Files.isWritable(absolute)) {
            return "cannot be written (no write permission " + (Files.exists(absolute) ? "on the file" : "in " + folder) + ")";
        }
        return null;
    }

    static Scenario load(String nameOrFile) {
        ScenarioParser parser = new ScenarioParser(BuiltInScenarios::text);
        Path file = Path.of(nameOrFile);
        if (Files.isRegularFile(file)) {
            return parser.parse(file);
        }
        String text = BuiltInScenarios.text(nameOrFile);
        if (text == null) {
            throw new IllegalArgumentException("no built-in scenario and no file named '" + nameOrFile + "'"
                    + NearestName.hint(nameOrFile, BuiltInScenarios.ALL.stream().map(BuiltInScenarios.Entry::name).toList())
                    + " ('pkilab scenarios' lists the built-ins)");
        }
        return parser.parse(nameOrFile + ".yaml", text);
    }

    static String header(Scenario s) {
        String kind = s.lesson() ? "Lesson" : "Scenario";
        // titles of lessons start "Lesson: ..." as the guide's warnings do; the header says it once
        String title = s.title().regionMatches(true, 0, kind + ":", 0, kind.length() + 1) ? s.title().substring(kind.length() + 1).trim() : s.title();
        return kind + " " + s.name() + ": " + title + (s.guide().isEmpty() ? "" : "\nGuide section: #" + s.guide());
    }

    /**
     * The audit of the lab as the scenario left it: the findings, and for each template a step made (duplicated), why
     * each class does or does not apply. Printed to {@code out} when given; answered as JSON.
     */
    private static ObjectNode audit(Scenario scenario, Lab lab, PrintWriter out) {
        AuditSnapshot snapshot = DirectoryAuditLoader.load(lab);
        AuditReport report = Audit.run(snapshot);
        ObjectNode json = AuditOutput.json(report);
        com.fasterxml.jackson.databind.node.ArrayNode explained = json.putArray("explained");
        if (out != null) {
            out.println();
            out.println("Audit of " + lab.dc().domainName() + " after the run (pkilab audit):");
            out.println(AuditOutput.table(report));
        }
        for (Scenario.Step step : scenario.steps()) {
            if (step.verb() == org.pkilab.scenario.Verb.DUPLICATE_TEMPLATE && step.text("name") != null) {
                var explanations = Audit.explain(snapshot, step.text("name"));
                explained.addObject().put("template", step.text("name")).set("classes", AuditOutput.explanationsJson(explanations));
                if (out != null) {
                    out.println("Why each class does or does not apply to '" + step.text("name") + "' (pkilab audit --explain):");
                    out.println(AuditOutput.explanations(explanations));
                }
            }
        }
        if (out != null) {
            out.flush();
        }
        return json;
    }

    private static String json(Scenario scenario, List<StepResult> results, double seconds, ObjectNode audited) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        if (audited != null) {
            root.set("audit", audited);
        }
        root.put("scenario", scenario.name());
        root.put("title", scenario.title());
        root.put("lesson", scenario.lesson());
        root.put("seconds", seconds);
        root.put("passed", results.stream().allMatch(StepResult::asExpected));
        root.putPOJO("notes", scenario.notes());
        ArrayNode steps = root.putArray("steps");
        for (StepResult r : results) {
            ObjectNode step = steps.addObject();
            step.put("verb", r.step().verb().text());
            step.put("where", r.step().where());
            step.putPOJO("fields", r.step().fields());
            step.put("asExpected", r.asExpected());
            step.put("expect", r.step().expect().kind().name().toLowerCase(Locale.ROOT));
            step.putPOJO("narration", r.narration());
            step.put("code", r.code());
            step.put("failure", r.failure());
            step.put("fix", r.fix());
            step.put("millis", r.millis());
        }
        try {
            return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The JSON document of a scenario that cannot run: no steps, and every problem with its file and line. */
    private static String jsonProblems(String name, List<String> problems) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("scenario", name);
        root.put("passed", false);
        root.putPOJO("problems", problems);
        root.putArray("steps");
        try {
            return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A report a CI server shows for a scenario that cannot run: one failed case named for the first problem's file:line. */
    private static String junitProblems(String name, List<String> problems) {
        String first = problems.get(0);
        int colon = first.indexOf(": ");
        String where = colon > 0 && first.substring(0, colon).matches(".+:\\d+") ? first.substring(0, colon) : name;
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<testsuite name=\"" + escape(name) + "\" tests=\"1\" failures=\"1\" time=\"0.000\">\n"
                + "  <testcase classname=\"" + escape(name) + "\" name=\"" + escape("the scenario file (" + where + ")") + "\" time=\"0.000\">\n"
                + "    <failure message=\"" + escape("the scenario cannot run: " + first) + "\">" + escape(String.join("\n", problems))
                + "</failure>\n  </testcase>\n</testsuite>\n";
    }

    private static String junit(Scenario scenario, List<StepResult> results, double seconds) {
        long failures = results.stream().filter(r -> !r.asExpected()).count();
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        xml.append(String.format(Locale.ROOT, "<testsuite name=\"%s\" tests=\"%d\" failures=\"%d\" time=\"%.3f\">%n",
                escape(scenario.name()), results.size(), failures, seconds));
        int number = 0;
        for (StepResult r : results) {
            number++;
            xml.append(String.format(Locale.ROOT, "  <testcase classname=\"%s\" name=\"%s\" time=\"%.3f\">%n", escape(scenario.name()),
                    escape(number + ". " + r.step().verb().text() + Narration.summary(r.step())), r.millis() / 1000.0));
            if (!r.asExpected()) {
                xml.append("    <failure message=\"").append(escape("expected " + Narration.expected(r.step()))).append("\">")
                        .append(escape(r.failure() == null ? "it succeeded" : r.failure())).append("</failure>\n");
            }
            xml.append("  </testcase>\n");
        }
        return xml.append("</testsuite>\n").toString();
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;")
                .replaceAll("[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F]", "?");
    }
}
