package org.pkilab.directory;

import org.pkilab.directory.model.CertificateMappingSettings;
import org.pkilab.directory.model.PasswordPolicy;
import org.pkilab.directory.model.DomainNames;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * How to start a {@link DomainController}: which domain, where its data lives, which ports.
 *
 * <pre>{@code
 * DomainControllerConfig config = DomainControllerConfig.builder()
 *         .domainName("contoso.com")          // DC=contoso,DC=com, NetBIOS name CONTOSO
 *         .dataDirectory(Path.of("lab-data")) // kept across restarts; unset = a temporary lab
 *         .build();
 * }</pre>
 */
public final class DomainControllerConfig {

    private static final Pattern NETBIOS = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,14}");

    private final DomainNames names;
    private final String netbiosName;
    private final String hostName;
    private final Path dataDirectory;
    private final int ldapPort;
    private final int ldapsPort;
    private final String administratorPassword;
    private final Clock clock;
    private final LdapQueryPolicy queryPolicy;
    private final CertificateMappingSettings certificateMapping;

    private DomainControllerConfig(Builder b) {
        this.names = DomainNames.of(b.domainName);
        this.netbiosName = b.netbiosName == null ? names.defaultNetbiosName() : b.netbiosName.toUpperCase(Locale.ROOT);
        if (!NETBIOS.matcher(netbiosName).matches()) {
            throw new IllegalArgumentException("NetBIOS name must be 1-15 letters, digits or '-': " + b.netbiosName);
        }
        if (!NETBIOS.matcher(b.hostName).matches()) {
            throw new IllegalArgumentException("DC host name must be 1-15 letters, digits or '-': " + b.hostName);
        }
        this.hostName = b.hostName.toUpperCase(Locale.ROOT);
        checkPort("LDAP", b.ldapPort);
        checkPort("LDAPS", b.ldapsPort);
        if (b.administratorPassword != null) {
            PasswordPolicy.check("Administrator", b.administratorPassword);
        }
        this.dataDirectory = b.dataDirectory;
        this.ldapPort = b.ldapPort;
        this.ldapsPort = b.ldapsPort;
        this.administratorPassword = b.administratorPassword;
        this.clock = b.clock;
        this.queryPolicy = b.queryPolicy;
        this.certificateMapping = b.certificateMapping;
    }

    private static void checkPort(String what, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(what + " port out of range 0..65535: " + port);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public DomainNames names() {
        return names;
    }

    public String domainName() {
        return names.dnsName();
    }

    public String netbiosName() {
        return netbiosName;
    }

    /** The DC's computer name, {@code DC01}; its FQDN is {@code dc01.<domain>}. */
    public String hostName() {
        return hostName;
    }

    /** Null for a temporary lab. */
    public Path dataDirectory() {
        return dataDirectory;
    }

    public int ldapPort() {
        return ldapPort;
    }

    public int ldapsPort() {
        return ldapsPort;
    }

    /** Null when the lab generates one. */
    public String administratorPassword() {
        return administratorPassword;
    }

    public Clock clock() {
        return clock;
    }

    /** The DC's LDAP limits. */
    public LdapQueryPolicy queryPolicy() {
        return queryPolicy;
    }

    /**
     * How the DC maps logon certificates when it first starts on its data folder; a lasting lab then keeps what
     * {@link DomainController#certificateMapping(CertificateMappingSettings)} last set.
     */
    public CertificateMappingSettings certificateMapping() {
        return certificateMapping;
    }

    public static final class Builder {
        private String domainName = "contoso.com";
        private String netbiosName;
        private String hostName = "DC01";
        private Path dataDirectory;
        private int ldapPort;
        private int ldapsPort;
        private String administratorPassword;
        private Clock clock = Clock.systemUTC();
        private LdapQueryPolicy queryPolicy = LdapQueryPolicy.DEFAULT;
        private CertificateMappingSettings certificateMapping = CertificateMappingSettings.WINDOWS_DEFAULT;

        /** If unset, {@code contoso.com}. */
        public Builder domainName(String domainName) {
            this.domainName = domainName;
            return this;
        }

        /** If unset, the first label of the domain name in upper case ({@code CONTOSO}). */
        public Builder netbiosName(String netbiosName) {
            this.netbiosName = netbiosName;
            return this;
        }

        /** If unset, {@code DC01}. */
        public Builder hostName(String hostName) {
            this.hostName = hostName;
            return this;
        }

        /** If unset, a temporary folder that {@link DomainController#close()} deletes. */
        public Builder dataDirectory(Path dataDirectory) {
            this.dataDirectory = dataDirectory;
            return this;
        }

        /**
         * If unset, 0: the port of the last start on the data folder (kept in {@code ports.properties}),
         * else any free loopback port.
         */
        public Builder ldapPort(int ldapPort) {
            this.ldapPort = ldapPort;
            return this;
        }

        /** If unset, 0: as {@link #ldapPort(int)}, for LDAPS. */
        public Builder ldapsPort(int ldapsPort) {
            this.ldapsPort = ldapsPort;
            return this;
        }

        /**
         * The Administrator password set when the forest is created. If unset, a random strong one,
         * kept in the data folder so a lasting lab can print it again.
         */
        public Builder administratorPassword(String administratorPassword) {
            this.administratorPassword = administratorPassword;
            return this;
        }

        /** If unset, the system clock (UTC). The lab clock goes here so logon times follow it. */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /** If unset, {@link LdapQueryPolicy#DEFAULT}: AD's Default Query Policy where AD has the limit. */
        public Builder queryPolicy(LdapQueryPolicy queryPolicy) {
            this.queryPolicy = java.util.Objects.requireNonNull(queryPolicy, "queryPolicy");
            return this;
        }

        /**
         * The DC's {@code StrongCertificateBindingEnforcement} and {@code CertificateMappingMethods} on a lab's first
         * start. If unset, {@link CertificateMappingSettings#WINDOWS_DEFAULT} (2, 0x18), a DC updated since February 2025.
         * A lasting lab that already keeps settings of its own (set at run time) starts with those instead.
         */
        public Builder certificateMapping(CertificateMappingSettings certificateMapping) {
            this.certificateMapping = java.util.Objects.requireNonNull(certificateMapping, "certificateMapping");
            return this;
        }

        public DomainControllerConfig build() {
            return new DomainControllerConfig(this);
        }
    }
}
