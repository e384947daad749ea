package org.pkilab.lab;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a lab holds before a scenario's first step: the domain, the computers with their roles and extra
 * DNS names, and the users. Every account shares one password, which the lab prints.
 */
public record LabSpec(String domain, String password, List<HostSpec> hosts, List<String> users) {

    /** What a computer is: a Windows client, an IIS member server, a Mac, or a network device (neither joined to the domain). */
    public enum Role { CLIENT, IIS, MAC, DEVICE }

    /** One computer of the lab. */
    public record HostSpec(String name, Role role, List<String> dnsNames) {
        public HostSpec {
            dnsNames = List.copyOf(dnsNames);
        }
    }

    public LabSpec {
        hosts = List.copyOf(hosts);
        users = List.copyOf(users);
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private String domain = "contoso.com";
        private String password = "Lab-Passw0rd!";
        private final List<HostSpec> hosts = new ArrayList<>();
        private final List<String> users = new ArrayList<>();

        /** If unset, {@code contoso.com}. */
        public Builder domain(String domain) {
            this.domain = domain.toLowerCase(Locale.ROOT);
            return this;
        }

        /** If unset, {@code Lab-Passw0rd!}: the password of Administrator and of every account the lab makes. */
        public Builder password(String password) {
            this.password = password;
            return this;
        }

        public Builder client(String name, String... dnsNames) {
            hosts.add(new HostSpec(name, Role.CLIENT, List.of(dnsNames)));
            return this;
        }

        public Builder iis(String name, String... dnsNames) {
            hosts.add(new HostSpec(name, Role.IIS, List.of(dnsNames)));
            return this;
        }

        public Builder mac(String name, String... dnsNames) {
            hosts.add(new HostSpec(name, Role.MAC, List.of(dnsNames)));
            return this;
        }

        /** A router, Linux server or other device that enrolls over SCEP, ACME, CMP or EST; its first DNS name is its host name. */
        public Builder device(String name, String... dnsNames) {
            hosts.add(new HostSpec(name, Role.DEVICE, List.of(dnsNames)));
            return this;
        }

        /**
         * Adds {@code host}; for a computer already added (its name in any case), adds the DNS names it lacks
         * and keeps its role: a scenario and the scenarios it includes may all declare IIS01.
         */
        public Builder host(HostSpec host) {
            for (int i = 0; i < hosts.size(); i++) {
                HostSpec known = hosts.get(i);
                if (known.name().equalsIgnoreCase(host.name())) {
                    List<String> names = new ArrayList<>(known.dnsNames());
                    host.dnsNames().stream().filter(n -> names.stream().noneMatch(n::equalsIgnoreCase)).forEach(names::add);
                    hosts.set(i, new HostSpec(known.name(), known.role(), names));
                    return this;
                }
            }
            hosts.add(host);
            return this;
        }

        /** The role of the computer named {@code name} (any case), or null if it is not added. */
        public Role roleOf(String name) {
            return hosts.stream().filter(h -> h.name().equalsIgnoreCase(name)).map(HostSpec::role).findFirst().orElse(null);
        }

        /** Adds a domain user; a user already added (its name in any case) is not added again, as the directory holds one. */
        public Builder user(String name) {
            if (users.stream().noneMatch(name::equalsIgnoreCase)) {
                users.add(name);
            }
            return this;
        }

        public LabSpec build() {
            return new LabSpec(domain, password, hosts, users);
        }
    }
}
