package org.pkilab.scenario;

import org.pkilab.host.DomainComputer;
import org.pkilab.enrollment.PendingException;
import org.pkilab.lab.Lab;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Runs a scenario's steps against a lab and says what happens: what the guide says, what the lab did,
 * the certificates involved, and for a failure the code, the reason and the fix. A step whose outcome
 * differs from its {@code expect} fails the run; the run goes on to show the rest.
 *
 * <p>Each step is done where an administrator would do it: in the directory's consoles over LDAP
 * ({@link DirectorySteps}), in the Certification Authority console over the CA's HTTPS administration
 * interface ({@link CertificationAuthoritySteps}), or on a computer ({@link ComputerSteps}).
 */
public final class ScenarioRunner {

    private final Lab lab;
    private final DirectorySteps directory;
    private final CertificationAuthoritySteps certificationAuthority;
    private final ComputerSteps computers;
    private final RegistrySteps registry;
    private final DeviceSteps devices;
    private final AuditSteps audit;

    /** @param workFolder where exported PFX files go */
    public ScenarioRunner(Lab lab, Path workFolder) {
        this.lab = lab;
        this.directory = new DirectorySteps(lab);
        this.computers = new ComputerSteps(lab, workFolder);
        this.audit = new AuditSteps(lab);
        this.certificationAuthority = new CertificationAuthoritySteps(lab, computers);
        this.registry = new RegistrySteps(lab, certificationAuthority);
        this.devices = new DeviceSteps(lab, certificationAuthority);
    }

    /** Runs every step, handing each result to {@code progress} as it is known. */
    public List<StepResult> run(Scenario scenario, Consumer<StepResult> progress) {
        return run(scenario, 0, progress);
    }

    /**
     * Runs the steps after the first {@code done}, whose results the lab already holds (a lasting lab that
     * stopped part-way through applying the scenario), handing each result to {@code progress} as it is known.
     */
    public List<StepResult> run(Scenario scenario, int done, Consumer<StepResult> progress) {
        return run(scenario, done, step -> { }, progress);
    }

    /**
     * As {@link #run(Scenario, int, Consumer)}, handing each step to {@code before} before it runs: the classroom
     * console's step mode waits there for the instructor's Next, and stops the run there by throwing.
     */
    public List<StepResult> run(Scenario scenario, int done, Consumer<Scenario.Step> before, Consumer<StepResult> progress) {
        if (done < 0 || done > scenario.steps().size()) {
            throw new IllegalArgumentException("steps done " + done + " of " + scenario.name() + "'s " + scenario.steps().size());
        }
        List<StepResult> results = new ArrayList<>();
        for (Scenario.Step step : scenario.steps().subList(done, scenario.steps().size())) {
            before.accept(step);
            StepResult result = run(step);
            results.add(result);
            progress.accept(result);
        }
        return results;
    }

    StepResult run(Scenario.Step step) {
        long start = System.nanoTime();
        List<String> narration = new ArrayList<>();
        String failure = null;
        boolean pending = false;
        try {
            bootFirst(step, narration);
            execute(step, narration);
        } catch (PendingException e) {
            pending = true;
            // ACME, CMP and SCEP clients do not learn the CA's request id: their own words say what waits
            narration.add(e.requestId() > 0 ? "the CA took request " + e.requestId() + " under submission: a certificate manager must approve it"
                    : e.getMessage() + ": a certificate manager must approve it (pkilab ca pending lists it)");
        } catch (RuntimeException e) {
            failure = e.getMessage() == null ? e.toString() : e.getMessage();
        }
        String code = FailureCodes.primary(failure);
        boolean asExpected = switch (step.expect().kind()) {
            case SUCCESS -> failure == null && !pending;
            case PENDING -> pending;
            case FAILURE -> failure != null && carries(failure, step.expect());
        };
        return new StepResult(step, asExpected, narration, code, failure, step.fix(), (System.nanoTime() - start) / 1_000_000);
    }

    /** The failure carries the expected code (as a value, not as text), and the expected text if the step asks for it. */
    private static boolean carries(String failure, Scenario.Expectation expect) {
        boolean code = expect.error() == null
                || FailureCodes.normalize(expect.error()).map(FailureCodes.all(failure)::contains).orElse(false);
        boolean text = expect.message() == null || failure.toLowerCase(Locale.ROOT).contains(expect.message().toLowerCase(Locale.ROOT));
        return code && text;
    }

    /** A step that uses a computer that never ran boots it first; the narration says so, as its logon and autoenrollment matter. */
    private void bootFirst(Scenario.Step s, List<String> say) {
        if (s.verb() == Verb.RESTART) {
            return;
        }
        for (String field : List.of("host", "from", "to", "management point")) {
            String name = s.text(field);
            if (name != null && lab.computerNames().contains(name.toUpperCase(Locale.ROOT)) && !lab.booted(name)) {
                DomainComputer computer = lab.computer(name);
                say.add(computer.name() + " had not started yet, so it starts first: it logs on (token groups "
                        + computer.token().groupNames() + "), applies Group Policy (AEPolicy " + computer.autoEnrollmentPolicy()
                        + ") and autoenrolls");
                ComputerSteps.describeStore(computer, say);
            }
        }
    }

    /** Each step goes to the console an administrator would use for it, or to the computer it happens on. */
    private void execute(Scenario.Step s, List<String> say) {
        switch (s.verb()) {
            case CREATE_GROUP, CREATE_USER, ADD_MEMBER, REMOVE_MEMBER, SET_UPN, ALLOW_ON_OBJECT, REMOVE_PERMISSION_ON_OBJECT, DUPLICATE_TEMPLATE, SET_SUBJECT_NAME,
                 SET_APPLICATION_POLICIES, CREATE_ISSUANCE_POLICY, ADD_ISSUANCE_POLICY, SET_ENROLLMENT_FLAG, ALLOW_KEY_EXPORT,
                 MINIMUM_KEY_SIZE, REQUIRE_APPROVAL, VALIDITY, SUPERSEDE, ALLOW, DENY, REMOVE_PERMISSION, CREATE_GPO, LINK_GPO,
                 FILTER_GPO, UNLINK_GPO -> directory.execute(s, say);
            case ISSUE_TEMPLATE, STOP_ISSUING, APPROVE_PENDING, DENY_PENDING, REVOKE, RESUBMIT_REQUEST, ALLOW_ON_CA, REMOVE_PERMISSION_ON_CA -> certificationAuthority.execute(s, say);
            case RESTART, GPUPDATE, REQUEST_CERTIFICATE, CHECK_CERTIFICATE, LOGON_WITH_CERTIFICATE, EXPORT_PFX, BIND_HTTPS,
                 INSTALL_MANAGEMENT_POINT,
                 INSTALL_DISTRIBUTION_POINT, INSTALL_CLOUD_DISTRIBUTION_POINT, REPORT_STATUS, REFRESH_CRL, REFRESH_OCSP, ADVANCE_CLOCK, CONNECT,
                 TRUST_ROOT_ON_MAC, ENROLL_MAC -> computers.execute(s, say);
            case TRUST_ROOT_ON_DEVICE, ENROLL_DEVICE -> devices.execute(s, say);
            case SET_DC_REGISTRY, SET_CA_REGISTRY -> registry.execute(s, say);
            case AUDIT -> audit.execute(s, say);
            case INCLUDE -> throw new IllegalStateException("include is resolved when the file is read");
            default -> throw new IllegalStateException("no console runs '" + s.verb().text() + "' yet");
        }
    }
}
