package org.pkilab.ca;

import org.pkilab.directory.model.DomainNames;
import org.pkilab.enrollment.CaRegistrySettings;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * How to start an enterprise CA: which directory it belongs to and binds to, its name and host, where
 * its database lives, its ports and its periods.
 *
 * <pre>{@code
 * CertificationAuthorityConfig config = CertificationAuthorityConfig.builder(dc.names())
 *         .directory("127.0.0.1", dc.ldapPort(), dc.administratorDn(), dc.administratorPassword())
 *         .build();               // CA "contoso-CA01-CA" on ca01.contoso.com, temporary data
 * }</pre>
 */
public final class CertificationAuthorityConfig {

    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,14}");
    /** What a new Windows Server 2008+ enterprise CA issues, of the templates the lab models. */
    public static final List<String> DEFAULT_TEMPLATES_TO_ISSUE = List.of("KerberosAuthentication", "WebServer", "Machine", "User");

    private final DomainNames names;
    private final String hostName;
    private final String caName;
    private final String ldapHost;
    private final int ldapPort;
    private final String bindDn;
    private final String bindPassword;
    private final Path dataDirectory;
    private final int httpsPort;
    private final int httpPort;
    private final Clock clock;
    private final Duration caValidity;
    private final Duration crlPeriod;
    private final Duration deltaCrlPeriod;
    private final List<String> templatesToIssue;
    private final CaRegistrySettings registrySettings;

    private CertificationAuthorityConfig(Builder b) {
        if (b.ldapPort <= 0 || b.bindDn == null || b.bindPassword == null) {
            throw new IllegalArgumentException("the CA needs a directory: call directory(host, port, bindDn, password)");
        }
        if (!HOST.matcher(b.hostName).matches()) {
            throw new IllegalArgumentException("CA host name must be 1-15 letters, digits or '-': " + b.hostName);
        }
        for (int port : new int[]{b.httpsPort, b.httpPort}) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range 0..65535: " + port);
            }
        }
        if (b.crlPeriod.compareTo(Duration.ofHours(1)) < 0 || b.deltaCrlPeriod.compareTo(Duration.ofMinutes(10)) < 0) {
            throw new IllegalArgumentException("CRL period < 1 hour or delta CRL period < 10 minutes: " + b.crlPeriod + ", " + b.deltaCrlPeriod);
        }
        this.names = b.names;
        this.hostName = b.hostName.toUpperCase(Locale.ROOT);
        String firstLabel = b.names.dnsName().substring(0, b.names.dnsName().indexOf('.'));
        this.caName = b.caName != null ? b.caName : firstLabel + "-" + this.hostName + "-CA";
        if (!caName.matches("[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}")) {
            throw new IllegalArgumentException("CA name must be 1-64 letters, digits, spaces, '.', '_' or '-': " + caName);
        }
        this.ldapHost = b.ldapHost;
        this.ldapPort = b.ldapPort;
        this.bindDn = b.bindDn;
        this.bindPassword = b.bindPassword;
        this.dataDirectory = b.dataDirectory;
        this.httpsPort = b.httpsPort;
        this.httpPort = b.httpPort;
        this.clock = b.clock;
        this.caValidity = b.caValidity;
        this.crlPeriod = b.crlPeriod;
        this.deltaCrlPeriod = b.deltaCrlPeriod;
        this.templatesToIssue = List.copyOf(b.templatesToIssue);
        this.registrySettings = java.util.Objects.requireNonNull(b.registrySettings, "registrySettings");
    }

    public static Builder builder(DomainNames names) {
        return new Builder(names);
    }

    public DomainNames names() {
        return names;
    }

    /** The CA computer's name, {@code CA01}. */
    public String hostName() {
        return hostName;
    }

    /** {@code ca01.contoso.com}: the name in the CA's URLs and its web server's certificate. */
    public String fqdn() {
        return hostName.toLowerCase(Locale.ROOT) + "." + names.dnsName();
    }

    /** The CA's common name, {@code contoso-CA01-CA}. */
    public String caName() {
        return caName;
    }

    public String ldapHost() {
        return ldapHost;
    }

    public int ldapPort() {
        return ldapPort;
    }

    public String bindDn() {
        return bindDn;
    }

    public String bindPassword() {
        return bindPassword;
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    public int httpsPort() {
        return httpsPort;
    }

    public int httpPort() {
        return httpPort;
    }

    public Clock clock() {
        return clock;
    }

    public Duration caValidity() {
        return caValidity;
    }

    public Duration crlPeriod() {
        return crlPeriod;
    }

    public Duration deltaCrlPeriod() {
        return deltaCrlPeriod;
    }

    public List<String> templatesToIssue() {
        return templatesToIssue;
    }

    /** The registry settings of a new CA; a CA whose data folder keeps changed ones starts with those. */
    public CaRegistrySettings registrySettings() {
        return registrySettings;
    }

    public static final class Builder {
        private final DomainNames names;
        private String hostName = "CA01";
        private String caName;
        private String ldapHost = "127.0.0.1";
        private int ldapPort;
        private String bindDn;
        private String bindPassword;
        private Path dataDirectory;
        private int httpsPort;
        private int httpPort;
        private Clock clock = Clock.systemUTC();
        private Duration caValidity = Duration.ofDays(5 * 365);
        private Duration crlPeriod = Duration.ofDays(7);
        private Duration deltaCrlPeriod = Duration.ofDays(1);
        private List<String> templatesToIssue = DEFAULT_TEMPLATES_TO_ISSUE;
        private CaRegistrySettings registrySettings = CaRegistrySettings.DEFAULT;

        private Builder(DomainNames names) {
            this.names = names;
        }

        /** Required: the DC to read templates from and publish to, and the account the CA binds as. */
        public Builder directory(String host, int port, String bindDn, String password) {
            this.ldapHost = host;
            this.ldapPort = port;
            this.bindDn = bindDn;
            this.bindPassword = password;
            return this;
        }

        /** If unset, {@code CA01}. */
        public Builder hostName(String hostName) {
            this.hostName = hostName;
            return this;
        }

        /** If unset, {@code <first domain label>-<host>-CA}, as AD CS setup proposes: {@code contoso-CA01-CA}. */
        public Builder caName(String caName) {
            this.caName = caName;
            return this;
        }

        /** If unset, a temporary folder deleted when the CA closes. */
        public Builder dataDirectory(Path dataDirectory) {
            this.dataDirectory = dataDirectory;
            return this;
        }

        /** EST over HTTPS. If unset, 0: any free loopback port. */
        public Builder httpsPort(int httpsPort) {
            this.httpsPort = httpsPort;
            return this;
        }

        /** CRLs and the CA certificate over HTTP (the CDP and AIA URLs). If unset, 0: any free loopback port. */
        public Builder httpPort(int httpPort) {
            this.httpPort = httpPort;
            return this;
        }

        /** If unset, the system clock. The lab clock goes here so validity, CRLs and renewal follow it. */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /** If unset, 5 years, as AD CS setup proposes for a root CA. */
        public Builder caValidity(Duration caValidity) {
            this.caValidity = caValidity;
            return this;
        }

        /** If unset, 1 week for the base CRL and 1 day for the delta CRL, AD CS's defaults. */
        public Builder crlPeriods(Duration base, Duration delta) {
            this.crlPeriod = base;
            this.deltaCrlPeriod = delta;
            return this;
        }

        /** The issue list of a new CA. If unset, {@link #DEFAULT_TEMPLATES_TO_ISSUE}. */
        public Builder templatesToIssue(List<String> templates) {
            this.templatesToIssue = List.copyOf(templates);
            return this;
        }

        /**
         * The registry settings ({@code EditFlags}, {@code InterfaceFlags}, {@code DisableExtensionList}, {@code Security})
         * of a new CA, as if an administrator had run {@code certutil -setreg} before the first request. If unset,
         * {@link CaRegistrySettings#DEFAULT}, a new enterprise CA's. A CA whose data folder keeps settings changed since
         * starts with those instead.
         */
        public Builder registrySettings(CaRegistrySettings settings) {
            this.registrySettings = settings;
            return this;
        }

        public CertificationAuthorityConfig build() {
            return new CertificationAuthorityConfig(this);
        }
    }
}
