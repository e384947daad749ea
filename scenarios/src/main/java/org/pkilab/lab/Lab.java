package org.pkilab.lab;

import org.pkilab.ca.CertificationAuthority;
import org.pkilab.ca.CertificationAuthorityConfig;
import org.pkilab.directory.DomainController;
import org.pkilab.directory.DomainControllerConfig;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.DirectoryException;
import org.pkilab.host.DomainComputer;
import org.pkilab.host.DomainComputerConfig;
import org.pkilab.host.LabNetwork;
import org.pkilab.host.MacComputer;
import org.pkilab.host.NetworkDevice;
import org.pkilab.host.UnjoinedComputer;
import org.pkilab.iis.IisServer;
import org.pkilab.pki.KeyFiles;
import org.pkilab.pki.LabClock;
import org.pkilab.pki.LabCrypto;
import org.pkilab.pki.RsaKeys;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * A whole lab: one forest's domain controller, its enterprise CA, and the computers of a scenario (Windows
 * clients, IIS member servers, Macs), sharing one {@link LabClock} and one {@link LabNetwork}. Computers are
 * joined to the domain when the lab starts and booted when a scenario first needs them, as the guide's
 * machines already exist before its steps begin.
 *
 * <pre>{@code
 * try (Lab lab = Lab.start(LabSpec.builder().iis("IIS01", "server1.internal.contoso.com").client("PC01").build())) {
 *     lab.admin().createGroup("ConfigMgr IIS Servers");
 *     lab.iis("IIS01").restart();
 * }
 * }</pre>
 *
 * <p>Once the CA runs, the DC enrolls for its Kerberos Authentication certificate and serves it on LDAPS and
 * StartTLS ({@link DomainControllerEnrollment}), so outside tools that trust the enterprise root verify it.
 *
 * <p>A lab {@linkplain #start(LabSpec, Site) on a site} with a data folder lasts: the directory, the CA's
 * database and keys, and each computer's certificate stores and IIS settings are kept there, and a lab
 * started again on it comes back with them (computers already joined are not joined again).
 */
public final class Lab implements AutoCloseable {

    /**
     * Where a lasting lab keeps its data ({@code dc}, {@code ca}, {@code hosts/<NAME>}) and the ports it
     * listens on (0: any free port).
     */
    public record Site(Path dataDirectory, int ldapPort, int ldapsPort, int httpsPort, int httpPort) {
        /** A fresh lab on free ports, deleted when it closes. */
        public static final Site TEMPORARY = new Site(null, 0, 0, 0, 0);
    }

    /** Where a lasting lab keeps how far its clock was moved. */
    static final String CLOCK_FILE = "clock.properties";

    /** Where a lasting lab keeps the computers added while it ran ({@code pkilab host add}), so a later start has them too. */
    static final String ADDED_HOSTS_FILE = "added-hosts.properties";

    private record AddedHost(LabSpec.HostSpec spec, String machinePassword) {
    }

    private final Path data;
    private final LabSpec spec;
    private final LabClock clock = new LabClock();
    private final LabNetwork network = new LabNetwork();
    private final DomainController dc;
    private final CertificationAuthority ca;
    private final DirectoryAdmin admin;
    private final Map<String, DomainComputer> computers = new LinkedHashMap<>();
    /** The Macs and network devices: machines not joined to the domain. */
    private final Map<String, UnjoinedComputer> unjoined = new LinkedHashMap<>();
    private final Map<String, String> userPasswords = new LinkedHashMap<>();
    private final Runnable renewDcCertificate = this::renewDcCertificate;

    private Lab(LabSpec spec, Site site) {
        List<AutoCloseable> started = new ArrayList<>();
        Path data = site.dataDirectory();
        this.data = data;
        keepClock(data);
        LabCrypto.install();
        if (data == null || !java.nio.file.Files.exists(data.resolve("dc"))) {
            // a new forest: the DC's, the CA's and the CA web server's keys, made while the directory starts
            RsaKeys.prepare(3);
        }
        try {
            dc = DomainController.start(DomainControllerConfig.builder().domainName(spec.domain())
                    .dataDirectory(data == null ? null : data.resolve("dc")).ldapPort(site.ldapPort()).ldapsPort(site.ldapsPort())
                    .administratorPassword(spec.password()).clock(clock).build());
            started.add(dc);
            // a lab started again on its data folder keeps the password its forest was made with
            this.spec = new LabSpec(spec.domain(), dc.administratorPassword(), spec.hosts(), spec.users());
            ca = CertificationAuthority.start(CertificationAuthorityConfig.builder(dc.names())
                    .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), password())
                    .dataDirectory(data == null ? null : data.resolve("ca")).httpsPort(site.httpsPort()).httpPort(site.httpPort())
                    .clock(clock).build());
            started.add(ca);
            network.register(dc.fqdn(), ca.config().fqdn());
            // the DC autoenrolls once a CA exists, and again when the lab's clock brings its renewal near
            renewDcCertificate();
            clock.whenAdvanced(renewDcCertificate);
            admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), password());
            started.add(admin);
            for (LabSpec.HostSpec host : spec.hosts()) {
                boolean joined = host.role() != LabSpec.Role.MAC && host.role() != LabSpec.Role.DEVICE;
                DomainComputer computer = joined ? windowsComputer(host, password()) : null;
                if (!joined) {
                    String hostName = host.dnsNames().isEmpty() ? host.name().toLowerCase(Locale.ROOT) + "." + spec.domain() : host.dnsNames().get(0);
                    java.nio.file.Path folder = data == null ? null : data.resolve("hosts").resolve(host.name().toUpperCase(Locale.ROOT));
                    UnjoinedComputer machine = host.role() == LabSpec.Role.MAC ? new MacComputer(hostName, network, clock, folder)
                            : new NetworkDevice(hostName, network, clock, folder);
                    unjoined.put(host.name().toUpperCase(Locale.ROOT), machine);
                    started.add(machine);
                } else {
                    started.add(computer);
                    if (data == null || !exists(host.name() + "$")) {
                        computer.join(admin);
                    }
                    computers.put(host.name().toUpperCase(Locale.ROOT), computer);
                }
            }
            for (Map.Entry<String, AddedHost> added : addedHosts().entrySet()) {
                AddedHost host = added.getValue();
                if (!computers.containsKey(added.getKey()) && !unjoined.containsKey(added.getKey())) {
                    DomainComputer computer = windowsComputer(host.spec(), host.machinePassword());
                    started.add(computer);
                    if (!exists(host.spec().name() + "$")) {
                        computer.join(admin);
                    }
                    computers.put(added.getKey(), computer);
                }
            }
            for (String user : spec.users()) {
                if (data == null || !exists(user)) {
                    admin.usersAndComputers().createUser(user, password());
                }
                userPasswords.put(user.toLowerCase(Locale.ROOT), password());
            }
        } catch (RuntimeException e) {
            for (int i = started.size() - 1; i >= 0; i--) {
                try {
                    started.get(i).close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    private void renewDcCertificate() {
        try {
            DomainControllerEnrollment.renewIfDue(dc, ca);
        } catch (RuntimeException e) {
            // LDAPS goes on serving the certificate it has, as a DC whose autoenrollment fails; the next start or clock move tries again
            org.slf4j.LoggerFactory.getLogger(Lab.class).warn("{} could not renew its certificate: {}", dc.fqdn(), e.getMessage());
        }
    }

    /**
     * A lasting lab's clock stays where it was moved: a lab started again on its folder is as far ahead of real
     * time as it was when stopped, so its certificates, CRLs and the CA's database dates read as they did.
     */
    private void keepClock(Path data) {
        if (data == null) {
            return;
        }
        Path file = data.resolve(CLOCK_FILE);
        if (java.nio.file.Files.exists(file)) {
            try {
                clock.advance(java.time.Duration.ofSeconds(Long.parseLong(KeyFiles.loadProperties(file).getProperty("offset.seconds", "0"))));
            } catch (java.io.IOException | IllegalArgumentException e) {
                throw new IllegalStateException("cannot read the lab clock's offset from " + file + ": " + e.getMessage()
                        + "; delete the file to start at real time", e);
            }
        }
        clock.whenAdvanced(() -> {
            Properties kept = new Properties();
            kept.setProperty("offset.seconds", Long.toString(clock.offset().toSeconds()));
            try {
                java.nio.file.Files.createDirectories(data);
                KeyFiles.storeProperties(file, kept, "PKI Lab: how far this lab's clock is ahead of real time ('advance clock')");
            } catch (java.io.IOException e) {
                // the clock has moved for this run; a later start would begin from the offset kept last
            }
        });
    }

    private DomainComputer windowsComputer(LabSpec.HostSpec host, String machinePassword) {
        DomainComputerConfig config = DomainComputerConfig.builder(host.name()).domain(dc.names(), "127.0.0.1", dc.ldapPort())
                .machinePassword(machinePassword).dnsNames(host.dnsNames().toArray(new String[0])).clock(clock).network(network)
                .dataDirectory(data == null ? null : data.resolve("hosts").resolve(host.name().toUpperCase(Locale.ROOT))).build();
        return host.role() == LabSpec.Role.IIS ? new IisServer(config) : new DomainComputer(config);
    }

    private Map<String, AddedHost> addedHosts() {
        Map<String, AddedHost> added = new LinkedHashMap<>();
        Path file = data == null ? null : data.resolve(ADDED_HOSTS_FILE);
        if (file == null || !java.nio.file.Files.exists(file)) {
            return added;
        }
        try {
            Properties p = KeyFiles.loadProperties(file);
            for (String key : new java.util.TreeSet<>(p.stringPropertyNames())) {
                if (key.endsWith(".role")) {
                    String name = key.substring(0, key.length() - ".role".length());
                    String dns = p.getProperty(name + ".dns", "");
                    added.put(name, new AddedHost(new LabSpec.HostSpec(name, LabSpec.Role.valueOf(p.getProperty(key)),
                            dns.isEmpty() ? List.of() : List.of(dns.split(","))), p.getProperty(name + ".password", password())));
                }
            }
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot read the computers added to this lab from " + file + ": " + e.getMessage(), e);
        }
        return added;
    }

    /**
     * Makes a computer account a running computer of the lab, as a machine joined with {@code computer create}'s
     * account would be ({@code pkilab host add}): it logs on with {@code machinePassword} (null: the lab's), or the
     * account is created first when there is none. A lasting lab keeps it for its next start.
     *
     * @throws IllegalArgumentException when the name is taken, the role is a Mac, or the account's password is another
     */
    public synchronized DomainComputer addComputer(String name, LabSpec.Role role, List<String> dnsNames, String machinePassword) {
        String key = name.toUpperCase(Locale.ROOT);
        if (computers.containsKey(key) || unjoined.containsKey(key)) {
            throw new IllegalArgumentException(key + " is already a computer of this lab (pkilab host list)");
        }
        if (role == LabSpec.Role.MAC || role == LabSpec.Role.DEVICE) {
            throw new IllegalArgumentException("a " + (role == LabSpec.Role.MAC ? "Mac" : "network device")
                    + " is not joined to the domain and has no computer account; declare it in the scenario");
        }
        String password = machinePassword != null ? machinePassword : password();
        LabSpec.HostSpec host = new LabSpec.HostSpec(key, role, dnsNames);
        DomainComputer computer = windowsComputer(host, password);
        try {
            if (!exists(key + "$")) {
                computer.join(admin);
            }
            computer.boot();
        } catch (DirectoryException e) {
            computer.close();
            if (e.resultCode() == 49) {
                throw new IllegalArgumentException(key + " cannot log on to the domain with that machine password: its account " + key
                        + "$ has another; give the one 'pkilab computer create " + key + " --machine-password PW' set", e);
            }
            throw e;
        } catch (RuntimeException e) {
            computer.close();
            throw e;
        }
        computers.put(key, computer);
        if (data != null) {
            Path file = data.resolve(ADDED_HOSTS_FILE);
            try {
                Properties p = java.nio.file.Files.exists(file) ? KeyFiles.loadProperties(file) : new Properties();
                p.setProperty(key + ".role", role.name());
                p.setProperty(key + ".dns", String.join(",", dnsNames));
                p.setProperty(key + ".password", password);
                KeyFiles.storeProperties(file, p, "PKI Lab: computers added to this lab while it ran ('pkilab host add')");
            } catch (java.io.IOException e) {
                throw new IllegalStateException(key + " runs, but this lab could not keep it for its next start in " + file + ": "
                        + e.getMessage(), e);
            }
        }
        return computer;
    }

    private boolean exists(String account) {
        try {
            admin.usersAndComputers().dnOf(account);
            return true;
        } catch (DirectoryException e) {
            if (e.resultCode() == 32) {
                return false;
            }
            throw e;
        }
    }

    /** A fresh, temporary lab on free ports. */
    public static Lab start(LabSpec spec) {
        return new Lab(spec, Site.TEMPORARY);
    }

    /** A lab on {@code site}: with a data folder, what an earlier lab there left is loaded, not made anew. */
    public static Lab start(LabSpec spec, Site site) {
        return new Lab(spec, site);
    }

    public LabSpec spec() {
        return spec;
    }

    public LabClock clock() {
        return clock;
    }

    /** Moves the lab clock forward for every part of the lab; each computer runs what fell due meanwhile. */
    public void advanceClock(java.time.Duration by) {
        clock.advance(by);
    }

    public LabNetwork network() {
        return network;
    }

    public DomainController dc() {
        return dc;
    }

    public CertificationAuthority ca() {
        return ca;
    }

    public DirectoryAdmin admin() {
        return admin;
    }

    /** A computer of the lab by name ({@code IIS01}); booted on first use. */
    public DomainComputer computer(String name) {
        DomainComputer computer = computers.get(name.toUpperCase(Locale.ROOT));
        if (computer == null) {
            throw unknown(name);
        }
        if (computer.token() == null) {
            computer.boot();
        }
        return computer;
    }

    /** Whether the computer named {@code name} is running; one never used has not booted yet. */
    public boolean booted(String name) {
        DomainComputer computer = computers.get(name.toUpperCase(Locale.ROOT));
        return computer != null && computer.token() != null;
    }

    /** Restarts a computer (its first boot, if it never ran): a new logon, Group Policy, autoenrollment. */
    public DomainComputer restart(String name) {
        DomainComputer computer = computers.get(name.toUpperCase(Locale.ROOT));
        if (computer == null) {
            throw unknown(name);
        }
        return computer.token() == null ? computer.boot() : computer.restart();
    }

    /** An IIS server of the lab by name. */
    public IisServer iis(String name) {
        DomainComputer computer = computer(name);
        if (!(computer instanceof IisServer iis)) {
            throw new IllegalArgumentException(name + " is not an IIS server (declare it with role iis)");
        }
        return iis;
    }

    /** Why {@code name} is not a Windows computer of the lab: a Mac or a device is not joined to the domain; anything else is not here. */
    private IllegalArgumentException unknown(String name) {
        String key = name.toUpperCase(Locale.ROOT);
        UnjoinedComputer machine = unjoined.get(key);
        if (machine instanceof MacComputer) {
            return new IllegalArgumentException(key + " is a Mac, not a Windows computer joined to the domain: it has no logon token, Group "
                    + "Policy, autoenrollment or LocalMachine store. An administrator enrolls it with their own account into its "
                    + "System keychain (the scenario step 'enroll mac'), which 'pkilab host certificates " + key + "' shows.");
        }
        if (machine != null) {
            return new IllegalArgumentException(key + " is a network device, not a Windows computer joined to the domain: it has no logon "
                    + "token, Group Policy, autoenrollment or LocalMachine store. It enrolls over a device protocol with a credential an "
                    + "administrator gives it (the scenario step 'enroll device'), into its " + machine.store().name()
                    + ", which 'pkilab host certificates " + key + "' shows.");
        }
        List<String> all = new ArrayList<>(computers.keySet());
        all.addAll(unjoined.keySet());
        return new IllegalArgumentException("no computer " + name + " in this lab; it has " + String.join(", ", all));
    }

    public MacComputer mac(String name) {
        return unjoined(name, MacComputer.class, "Mac", "role mac");
    }

    /** A network device of the lab by name (declared with role device). */
    public NetworkDevice device(String name) {
        return unjoined(name, NetworkDevice.class, "network device", "role device");
    }

    /** A Mac or network device of the lab by name. */
    public UnjoinedComputer unjoined(String name) {
        return unjoined(name, UnjoinedComputer.class, "Mac or network device", "role mac or device");
    }

    private <T extends UnjoinedComputer> T unjoined(String name, Class<T> type, String what, String declare) {
        UnjoinedComputer machine = unjoined.get(name.toUpperCase(Locale.ROOT));
        if (type.isInstance(machine)) {
            return type.cast(machine);
        }
        List<String> those = unjoined.entrySet().stream().filter(e -> type.isInstance(e.getValue())).map(Map.Entry::getKey).toList();
        throw new IllegalArgumentException("no " + what + " " + name + " in this lab (declare it with " + declare + ")"
                + (those.isEmpty() ? "" : "; it has " + String.join(", ", those)));
    }

    /** The Windows computers (clients and IIS servers), by name. */
    public List<String> computerNames() {
        return List.copyOf(computers.keySet());
    }

    /** The Macs and network devices, which are not joined to the domain, by name. */
    public List<String> unjoinedNames() {
        return List.copyOf(unjoined.keySet());
    }

    public String password() {
        return spec.password();
    }

    @Override
    public void close() {
        clock.removeListener(renewDcCertificate);
        unjoined.values().forEach(UnjoinedComputer::close);
        computers.values().forEach(DomainComputer::close);
        admin.close();
        ca.close();
        dc.close();
    }
}
