package org.pkilab.lab;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a lab holds before a scenario's first step: the domain, the computers with their roles and extra
 * DNS names, and the users. Every account shares one password, which the lab prints.
 */
public record LabSpec(String domain, String password, List<HostSpec> hosts, List<String> users) {

    /** What a computer is: a Windows client, an IIS member server, or a Mac. */
    public enum Role { CLIENT, IIS, MAC }

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

        public Builder user(String name) {
            users.add(name);
            return this;
        }

        public LabSpec build() {
            return new LabSpec(domain, password, hosts, users);
        }
    }
}
