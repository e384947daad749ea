package org.pkilab.host;

import org.pkilab.directory.model.DomainNames;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Who a lab computer is and where its domain is: its name ({@code IIS01}), its FQDN
 * ({@code iis01.contoso.com}) and any further DNS names it answers to (the guide's
 * {@code server1.internal.contoso.com}), its machine-account password, the DC's LDAP endpoint, the
 * lab's clock and network.
 */
public final class DomainComputerConfig {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,14}");

    private final String name;
    private final DomainNames names;
    private final List<String> dnsNames;
    private final String machinePassword;
    private final String ldapHost;
    private final int ldapPort;
    private final Clock clock;
    private final LabNetwork network;
    private final Path dataDirectory;

    private DomainComputerConfig(Builder b) {
        if (b.name == null || !NAME.matcher(b.name).matches()) {
            throw new IllegalArgumentException("computer name must be 1-15 letters, digits or '-': " + b.name);
        }
        if (b.names == null || b.ldapPort <= 0) {
            throw new IllegalArgumentException("a computer needs its domain: call domain(names, ldapHost, ldapPort)");
        }
        if (b.machinePassword == null) {
            throw new IllegalArgumentException("a computer needs a machine-account password");
        }
        this.name = b.name.toUpperCase(Locale.ROOT);
        this.names = b.names;
        List<String> dns = new ArrayList<>();
        dns.add(name.toLowerCase(Locale.ROOT) + "." + b.names.dnsName());
        b.extraDnsNames.forEach(n -> dns.add(n.toLowerCase(Locale.ROOT)));
        this.dnsNames = List.copyOf(dns);
        this.machinePassword = b.machinePassword;
        this.ldapHost = b.ldapHost;
        this.ldapPort = b.ldapPort;
        this.clock = b.clock;
        this.network = b.network;
        this.dataDirectory = b.dataDirectory;
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    public String name() {
        return name;
    }

    public DomainNames names() {
        return names;
    }

    /** {@code iis01.contoso.com}. */
    public String fqdn() {
        return dnsNames.get(0);
    }

    /** The FQDN first, then the further names. */
    public List<String> dnsNames() {
        return dnsNames;
    }

    public String machinePassword() {
        return machinePassword;
    }

    public String ldapHost() {
        return ldapHost;
    }

    public int ldapPort() {
        return ldapPort;
    }

    public Clock clock() {
        return clock;
    }

    public LabNetwork network() {
        return network;
    }

    /** Where the computer keeps its certificate stores and site settings across restarts; null: in memory only. */
    public Path dataDirectory() {
        return dataDirectory;
    }

    public static final class Builder {
        private final String name;
        private DomainNames names;
        private final List<String> extraDnsNames = new ArrayList<>();
        private String machinePassword;
        private String ldapHost = "127.0.0.1";
        private int ldapPort;
        private Clock clock = Clock.systemUTC();
        private LabNetwork network = new LabNetwork();
        private Path dataDirectory;

        private Builder(String name) {
            this.name = name;
        }

        /** Required: the domain and its DC's LDAP endpoint. */
        public Builder domain(DomainNames names, String ldapHost, int ldapPort) {
            this.names = names;
            this.ldapHost = ldapHost;
            this.ldapPort = ldapPort;
            return this;
        }

        /** Required: the machine-account password set when the computer joins. */
        public Builder machinePassword(String password) {
            this.machinePassword = password;
            return this;
        }

        /** If unset, none beyond {@code <name>.<domain>}. */
        public Builder dnsNames(String... names) {
            extraDnsNames.addAll(List.of(names));
            return this;
        }

        /** If unset, the system clock; a lab passes its {@code LabClock}. */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /** If unset, a network of its own; a lab passes the one all its hosts share. */
        public Builder network(LabNetwork network) {
            this.network = network;
            return this;
        }

        /** If unset, the computer keeps its stores in memory and starts empty each time it is created. */
        public Builder dataDirectory(Path folder) {
            this.dataDirectory = folder;
            return this;
        }

        public DomainComputerConfig build() {
            return new DomainComputerConfig(this);
        }
    }
}
