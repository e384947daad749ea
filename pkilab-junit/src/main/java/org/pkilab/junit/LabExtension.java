package org.pkilab.junit;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.pkilab.ca.CertificationAuthority;
import org.pkilab.enrollment.CaRegistrySettings;
import org.pkilab.directory.DirectorySnapshot;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.host.DomainComputer;
import org.pkilab.host.LabNetwork;
import org.pkilab.host.MacComputer;
import org.pkilab.host.NetworkDevice;
import org.pkilab.iis.IisServer;
import org.pkilab.lab.Lab;
import org.pkilab.lab.LabSpec;
import org.pkilab.pki.Folders;
import org.pkilab.pki.LabClock;
import org.pkilab.scenario.BuiltInScenarios;
import org.pkilab.scenario.Narration;
import org.pkilab.scenario.Scenario;
import org.pkilab.scenario.ScenarioException;
import org.pkilab.scenario.ScenarioParser;
import org.pkilab.scenario.ScenarioRunner;
import org.pkilab.scenario.StepResult;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A JUnit 5 extension that hands each test of a class a running lab: the domain controller, the
 * enterprise CA and the computers, started once for the class, with a scenario applied if you name one,
 * and the directory put back as it was after every test.
 *
 * <pre>{@code
 * class ManagementPointTrustTest {
 *     @RegisterExtension
 *     static final LabExtension LAB = LabExtension.builder()
 *             .iis("IIS01", "server1.internal.contoso.com")
 *             .client("PC01")
 *             .scenario(Path.of("src/test/resources/management-point.yaml"))
 *             .build();
 *
 *     @Test
 *     void clientReachesTheManagementPoint(@Host("PC01") DomainComputer pc01, IisServer mp, CertificationAuthority ca) {
 *         ...
 *     }
 * }
 * }</pre>
 *
 * <p>Register it in a {@code static} field: the lab starts before the class's first test (after the
 * builder's hosts and users exist, the scenario runs, and every computer boots once) and closes after
 * its last. A scenario step that does not come out as the scenario expects fails every test of the
 * class with the run's narration, as {@code pkilab run} would print it.
 *
 * <p>Test methods (and {@code @BeforeEach} methods) may declare parameters of these types:
 * {@link Lab}, {@link CertificationAuthority}, {@link DomainController}, {@link DirectoryAdmin} (bound as
 * Administrator), {@link LabClock}, {@link LabNetwork}, and the computers: {@link DomainComputer},
 * {@link IisServer}, {@link MacComputer}, {@link NetworkDevice}. A computer parameter is chosen by {@link Host @Host("IIS01")};
 * without it, by type, when the lab has exactly one computer of that kind (a {@code DomainComputer}
 * parameter means a Windows client, not an IIS server).
 *
 * <p><b>Between tests.</b> After each test the directory is restored from a snapshot taken once the lab
 * was ready ({@link DomainController#restore}: only the entries that differ are written, in a few
 * milliseconds), the CA rereads its templates and gets back the registry settings it had then
 * ({@code EditFlags}, {@code DisableExtensionList} ...), so a group, template permission, GPO, issue-list or
 * {@code certutil -setreg} change made by one test is gone in the next. What the restore does <em>not</em> reset: the CA's
 * database (certificates issued and revoked stay so, and the CRL at the CA's CDP URL, which computers
 * fetch, lists them; only its copy under {@code CN=CDP} in the directory goes back), each computer's
 * certificate stores, logon token (a computer that restarted keeps the groups of that logon until it
 * restarts again), CRL cache, Group Policy read at its last boot and IIS bindings, and the lab clock,
 * which only moves forward. A test that revokes, binds or moves the clock should use a computer of
 * its own, or the tests after it will see what it did.
 */
public final class LabExtension implements BeforeAllCallback, AfterEachCallback, ParameterResolver {

    private static final Set<Class<?>> SERVICES = Set.of(Lab.class, CertificationAuthority.class, DomainController.class,
            DirectoryAdmin.class, LabClock.class, LabNetwork.class);
    private static final Set<Class<?>> HOSTS = Set.of(DomainComputer.class, IisServer.class, MacComputer.class, NetworkDevice.class);

    private final LabSpec spec;
    private final boolean domainSet;
    private final boolean passwordSet;
    private final String scenarioName;
    private final Path scenarioFile;
    private final ExtensionContext.Namespace namespace = ExtensionContext.Namespace.create(LabExtension.class, this);

    private LabExtension(Builder b) {
        this.spec = b.spec.build();
        this.domainSet = b.domainSet;
        this.passwordSet = b.passwordSet;
        this.scenarioName = b.scenarioName;
        this.scenarioFile = b.scenarioFile;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The running lab, the snapshot it is restored to, and the folder the scenario exported files to. */
    private record Running(Lab lab, DirectorySnapshot seeded, CaRegistrySettings registry, Path workFolder) implements AutoCloseable {
        @Override
        public void close() {
            try {
                lab.close();
            } finally {
                try {
                    Folders.deleteTree(workFolder);
                } catch (IOException e) {
                    // a temporary folder left behind is no reason to fail the tests that ran
                }
            }
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        ExtensionContext.Store store = context.getStore(namespace);
        if (store.get(Running.class, Running.class) != null) {
            return; // a @Nested class shares its enclosing class's lab
        }
        Scenario scenario = loadScenario();
        LabSpec labSpec = scenario == null ? spec : merge(scenario.lab());
        Path work = Files.createTempDirectory("pkilab-junit-");
        Lab lab;
        try {
            lab = Lab.start(labSpec);
        } catch (RuntimeException e) {
            Folders.deleteTree(work);
            throw e;
        }
        try {
            if (scenario != null) {
                apply(lab, scenario, work);
            }
            // booted now, so every test finds every computer in the same state, whatever ran before it
            lab.computerNames().forEach(lab::computer);
            store.put(Running.class, new Running(lab, lab.dc().snapshot(), lab.ca().registrySettings(), work));
        } catch (RuntimeException | Error e) {
            new Running(lab, null, null, work).close();
            throw e;
        }
    }

    private Scenario loadScenario() {
        if (scenarioName == null && scenarioFile == null) {
            return null;
        }
        ScenarioParser parser = new ScenarioParser(BuiltInScenarios::text);
        try {
            if (scenarioFile != null) {
                try {
                    return parser.parse(scenarioFile);
                } catch (IllegalArgumentException e) {
                    throw new ExtensionConfigurationException("cannot read the scenario file " + scenarioFile.toAbsolutePath() + ": " + e.getMessage(), e);
                }
            }
            String text = BuiltInScenarios.text(scenarioName);
            if (text == null) {
                throw new ExtensionConfigurationException("no built-in scenario named '" + scenarioName + "'; the built-ins are "
                        + BuiltInScenarios.ALL.stream().map(BuiltInScenarios.Entry::name).toList());
            }
            return parser.parse(scenarioName + ".yaml", text);
        } catch (ScenarioException e) {
            throw new ExtensionConfigurationException("the scenario cannot run:\n  " + String.join("\n  ", e.problems()), e);
        }
    }

    /** The scenario's lab plus the builder's: the builder's domain and password if set; hosts and users of both. */
    private LabSpec merge(LabSpec scenario) {
        Map<String, LabSpec.HostSpec> hosts = new LinkedHashMap<>();
        for (LabSpec.HostSpec host : scenario.hosts()) {
            hosts.put(host.name().toUpperCase(Locale.ROOT), host);
        }
        for (LabSpec.HostSpec host : spec.hosts()) {
            LabSpec.HostSpec declared = hosts.get(host.name().toUpperCase(Locale.ROOT));
            if (declared == null) {
                hosts.put(host.name().toUpperCase(Locale.ROOT), host);
            } else if (declared.role() != host.role()) {
                throw new ExtensionConfigurationException(host.name() + " is declared as " + host.role() + " but the scenario declares it as "
                        + declared.role());
            } else {
                Set<String> dnsNames = new LinkedHashSet<>(declared.dnsNames());
                dnsNames.addAll(host.dnsNames());
                hosts.put(host.name().toUpperCase(Locale.ROOT), new LabSpec.HostSpec(declared.name(), declared.role(), List.copyOf(dnsNames)));
            }
        }
        Set<String> users = new LinkedHashSet<>(scenario.users());
        users.addAll(spec.users());
        return new LabSpec(domainSet ? spec.domain() : scenario.domain(), passwordSet ? spec.password() : scenario.password(),
                List.copyOf(hosts.values()), List.copyOf(users));
    }

    private static void apply(Lab lab, Scenario scenario, Path work) {
        List<StepResult> results = new ScenarioRunner(lab, work).run(scenario, result -> {
        });
        long failed = results.stream().filter(r -> !r.asExpected()).count();
        if (failed > 0) {
            throw new AssertionError("scenario " + scenario.name() + " (" + scenario.source() + ") did not apply: " + failed
                    + " step(s) did not go as expected\n" + Narration.of(results));
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Running running = running(context);
        running.lab().dc().restore(running.seeded());
        running.lab().ca().restoreRegistry(running.registry(), "LabExtension");
        // the CA's change notification is asynchronous; the next test may enroll before it arrives
        running.lab().ca().reloadTemplates();
    }

    private Running running(ExtensionContext context) {
        Running running = context.getStore(namespace).get(Running.class, Running.class);
        if (running == null) {
            throw new ExtensionConfigurationException("the lab is not running: register LabExtension in a static field "
                    + "(@RegisterExtension static final LabExtension LAB = LabExtension.builder()...build())");
        }
        return running;
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return SERVICES.contains(type) || HOSTS.contains(type);
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Lab lab = running(context).lab();
        Class<?> type = parameter.getParameter().getType();
        if (type == Lab.class) {
            return lab;
        } else if (type == CertificationAuthority.class) {
            return lab.ca();
        } else if (type == DomainController.class) {
            return lab.dc();
        } else if (type == DirectoryAdmin.class) {
            return lab.admin();
        } else if (type == LabClock.class) {
            return lab.clock();
        } else if (type == LabNetwork.class) {
            return lab.network();
        }
        String what = type.getSimpleName() + " parameter " + (parameter.getIndex() + 1) + " of "
                + parameter.getDeclaringExecutable().getName() + "()";
        LabSpec.HostSpec host = parameter.findAnnotation(Host.class).map(h -> named(lab, h.value(), type, what))
                .orElseGet(() -> only(lab, type, what));
        Object computer = host.role() == LabSpec.Role.MAC || host.role() == LabSpec.Role.DEVICE ? lab.unjoined(host.name())
                : lab.computer(host.name());
        if (!type.isInstance(computer)) {
            throw new ParameterResolutionException(what + ": " + host.name() + " is " + article(host.role()) + ", not "
                    + article(type) + "; the lab has " + inventory(lab));
        }
        return computer;
    }

    private static LabSpec.HostSpec named(Lab lab, String name, Class<?> type, String what) {
        return lab.spec().hosts().stream().filter(h -> h.name().equalsIgnoreCase(name)).findFirst()
                .orElseThrow(() -> new ParameterResolutionException(what + ": no computer named " + name + "; the lab has "
                        + inventory(lab)));
    }

    private static LabSpec.HostSpec only(Lab lab, Class<?> type, String what) {
        LabSpec.Role role = role(type);
        List<LabSpec.HostSpec> candidates = lab.spec().hosts().stream().filter(h -> h.role() == role).toList();
        if (candidates.size() == 1) {
            return candidates.get(0);
        }
        throw new ParameterResolutionException(what + ": " + (candidates.isEmpty() ? "the lab has no " + article(type)
                : "the lab has " + candidates.size() + " of them, " + String.join(", ", candidates.stream().map(LabSpec.HostSpec::name).toList())
                + "; name one with @Host(\"" + candidates.get(0).name() + "\")") + "; the lab has " + inventory(lab));
    }

    private static LabSpec.Role role(Class<?> type) {
        return type == IisServer.class ? LabSpec.Role.IIS : type == MacComputer.class ? LabSpec.Role.MAC
                : type == NetworkDevice.class ? LabSpec.Role.DEVICE : LabSpec.Role.CLIENT;
    }

    private static String article(Class<?> type) {
        return article(role(type));
    }

    private static String article(LabSpec.Role role) {
        return switch (role) {
            case CLIENT -> "a Windows client (DomainComputer)";
            case IIS -> "an IIS server (IisServer)";
            case MAC -> "a Mac (MacComputer)";
            case DEVICE -> "a network device (NetworkDevice)";
        };
    }

    private static String inventory(Lab lab) {
        List<String> hosts = new ArrayList<>();
        for (LabSpec.HostSpec host : lab.spec().hosts()) {
            hosts.add(host.name() + " (" + host.role().name().toLowerCase(Locale.ROOT) + ")");
        }
        return hosts.isEmpty() ? "no computers" : String.join(", ", hosts);
    }

    /**
     * What the lab holds before the first test. Computers and users add to those of the scenario, if
     * one is named; a computer both declare must have the same role there.
     */
    public static final class Builder {
        private final LabSpec.Builder spec = LabSpec.builder();
        private boolean domainSet;
        private boolean passwordSet;
        private String scenarioName;
        private Path scenarioFile;

        private Builder() {
        }

        /** If unset, the scenario's domain, or {@code contoso.com}. */
        public Builder domain(String domain) {
            Objects.requireNonNull(domain, "domain");
            spec.domain(domain);
            domainSet = true;
            return this;
        }

        /** If unset, the scenario's, or {@code Lab-Passw0rd!}: the password of Administrator and every account the lab makes. */
        public Builder password(String password) {
            Objects.requireNonNull(password, "password");
            spec.password(password);
            passwordSet = true;
            return this;
        }

        /** A Windows client joined to the domain; {@code dnsNames} beyond {@code <name>.<domain>} are optional. */
        public Builder client(String name, String... dnsNames) {
            spec.client(name, dnsNames);
            return this;
        }

        /** A member server with IIS, answering HTTPS under {@code dnsNames}. */
        public Builder iis(String name, String... dnsNames) {
            spec.iis(name, dnsNames);
            return this;
        }

        /** A Mac, not joined to the domain (it enrolls over EST with a user's credentials). */
        public Builder mac(String name, String... dnsNames) {
            spec.mac(name, dnsNames);
            return this;
        }

        /** A network device, not joined to the domain (it enrolls over SCEP, ACME, CMP or EST with a credential it is given). */
        public Builder device(String name, String... dnsNames) {
            spec.device(name, dnsNames);
            return this;
        }

        /** A domain user with the lab's password. */
        public Builder user(String name) {
            spec.user(name);
            return this;
        }

        /**
         * Applies a built-in scenario ({@code web-server}; {@code pkilab scenarios} lists them) once the
         * lab has started. If unset (and no file is given), the lab is a fresh forest with its CA.
         */
        public Builder scenario(String builtIn) {
            if (builtIn == null || BuiltInScenarios.text(builtIn) == null) {
                throw new IllegalArgumentException("no built-in scenario named '" + builtIn + "'; the built-ins are "
                        + BuiltInScenarios.ALL.stream().map(BuiltInScenarios.Entry::name).toList());
            }
            this.scenarioName = builtIn;
            this.scenarioFile = null;
            return this;
        }

        /** Applies the scenario in this YAML file once the lab has started; it is read when the lab starts. */
        public Builder scenario(Path file) {
            this.scenarioFile = Objects.requireNonNull(file, "file");
            this.scenarioName = null;
            return this;
        }

        public LabExtension build() {
            return new LabExtension(this);
        }
    }
}
