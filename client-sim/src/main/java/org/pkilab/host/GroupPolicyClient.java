package org.pkilab.host;

import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import org.pkilab.directory.client.DirectoryException;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.GroupPolicy;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.pki.KeyFiles;

import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The computer's side of the domain at boot and at {@code gpupdate}, as Windows' Group Policy Client service does
 * it: the machine account logs on (a logon token with the groups it is in now), reads the GPOs linked to the
 * domain ({@code gPLink}), keeps those whose security filtering gives its token Read and Apply group policy, and
 * takes the autoenrollment policy value from them ({@code AEPolicy} under
 * {@code Software\Policies\Microsoft\Cryptography\AutoEnrollment}). Autoenrollment's first job at boot is here
 * too: the enterprise CAs of {@code CN=Certification Authorities} go into {@code LocalMachine\Root}, and the
 * enrollment URL comes from {@code CN=Enrollment Services}.
 *
 * <pre>{@code
 * gp.autoEnrollmentPolicy();   // 7 = enroll, renew, fetch pending, manage the store (the guide's "Enabled" with both boxes)
 * }</pre>
 */
final class GroupPolicyClient {

    private static final Pattern GP_LINK = Pattern.compile("\\[LDAP://([^;\\]]+);(\\d+)\\]", Pattern.CASE_INSENSITIVE);

    private final DomainComputerConfig config;
    private final CertificateStore root;
    private final EventLog eventLog;
    private volatile LogonToken token;
    private volatile String encodedToken;
    private int aePolicy;
    private String enrollmentUrl;

    GroupPolicyClient(DomainComputerConfig config, CertificateStore root, EventLog eventLog) {
        this.config = config;
        this.root = root;
        this.eventLog = eventLog;
    }

    /** The token from the last logon; null before the first boot. */
    LogonToken token() {
        return token;
    }

    /** The token as the DC signed it, what an EST request carries as {@code Bearer}. */
    String encodedToken() {
        if (token != null && token.expiredAt(config.clock().instant())) {
            // Windows renews the computer's ticket before it runs out; the lab logs on again, which reads the groups of now
            logOn().close();
        }
        return encodedToken;
    }

    /** The {@code AEPolicy} value of the last Group Policy refresh; 0 = none. */
    int autoEnrollmentPolicy() {
        return aePolicy;
    }

    /** Whether a GPO enables autoenrollment: a value, and not "disable all". */
    boolean autoenrollmentEnabled() {
        return aePolicy != 0 && (aePolicy & GroupPolicy.DISABLE_ALL) == 0;
    }

    /** The enrollment URL the enterprise CA publishes in {@code msPKI-Enrollment-Servers}; null when none does. */
    String enrollmentUrl() {
        return enrollmentUrl;
    }

    /** Connects to the DC and logs on as the machine account; the session stays open for what the boot reads next. */
    LDAPConnection logOn() {
        LDAPConnection ldap;
        try {
            ldap = new LDAPConnection(DomainLogon.oneThreadConnection(), config.ldapHost(), config.ldapPort());
        } catch (LDAPException e) {
            throw new DirectoryException(e.getResultCode().intValue(), config.name() + " cannot reach its domain controller at "
                    + config.ldapHost() + ":" + config.ldapPort() + ": " + e.getDiagnosticMessage(), e);
        }
        try {
            DomainLogon.Session session = DomainLogon.logon(ldap, config.names().computer(config.name()), config.machinePassword());
            token = session.token();
            encodedToken = session.encoded();
            return ldap;
        } catch (RuntimeException e) {
            ldap.close();
            throw e;
        }
    }

    /** What a boot reads over its logon's session: Group Policy, the enterprise roots, the enrollment service. */
    void applyAtBoot(LDAPConnection ldap) {
        try {
            applyGroupPolicy(ldap);
            importEnterpriseRoots(ldap);
            findEnrollmentService(ldap);
        } catch (LDAPException e) {
            throw new DirectoryException(e.getResultCode().intValue(), config.name() + " could not read Group Policy and the "
                    + "enterprise PKI from the directory: " + e.getDiagnosticMessage(), e);
        }
    }

    /** {@code gpupdate}'s reading of Group Policy, with the machine account's password; the logon token stays as it is. */
    void refresh() {
        try (LDAPConnection ldap = new LDAPConnection(DomainLogon.oneThreadConnection(), config.ldapHost(), config.ldapPort(),
                config.names().computer(config.name()), config.machinePassword())) {
            applyGroupPolicy(ldap);
        } catch (LDAPException e) {
            throw new DirectoryException(e.getResultCode().intValue(), "Group Policy refresh of " + config.name() + " failed: "
                    + e.getDiagnosticMessage(), e);
        }
    }

    private void applyGroupPolicy(LDAPConnection ldap) throws LDAPException {
        List<String> links = new ArrayList<>();
        SearchResultEntry domain = ldap.getEntry(config.names().domain(), "gPLink");
        collectLinks(domain == null ? null : domain.getAttributeValue("gPLink"), links);
        int value = 0;
        for (String gpoDn : links) {
            SearchResultEntry gpo = ldap.getEntry(gpoDn, "labRegistryPolicy", "nTSecurityDescriptor", "displayName");
            if (gpo == null || !appliesToMe(gpo)) {
                continue;
            }
            String[] values = gpo.getAttributeValues("labRegistryPolicy");
            for (String v : values == null ? new String[0] : values) {
                GroupPolicy.RegistryValue registry = GroupPolicy.RegistryValue.parse(v);
                if (registry.sameValue(GroupPolicy.RegistryValue.dword(GroupPolicy.AUTOENROLLMENT_KEY, GroupPolicy.AE_POLICY, 0))) {
                    value = Integer.parseUnsignedInt(registry.data());
                }
            }
        }
        aePolicy = value;
    }

    private static void collectLinks(String gpLink, List<String> into) {
        if (gpLink == null) {
            return;
        }
        Matcher m = GP_LINK.matcher(gpLink);
        while (m.find()) {
            // link option 1 is "link disabled"
            if ((Integer.parseInt(m.group(2)) & 1) == 0) {
                into.add(m.group(1));
            }
        }
    }

    /** Security filtering: a GPO applies when the computer's token holds Read and Apply group policy. */
    private boolean appliesToMe(SearchResultEntry gpo) {
        byte[] value = gpo.getAttributeValueBytes("nTSecurityDescriptor");
        if (value == null) {
            return true;
        }
        SecurityDescriptor sd = SecurityDescriptor.decode(value, domainSidOf(token));
        return sd.check(token.sids(), AccessRight.READ).granted() && sd.check(token.sids(), AccessRight.APPLY_GROUP_POLICY).granted();
    }

    private static SecurityIdentifier domainSidOf(LogonToken token) {
        int[] subs = token.sid().subAuthorities();
        return new SecurityIdentifier(1, token.sid().authority(), Arrays.copyOf(subs, subs.length - 1));
    }

    /** Autoenrollment's first job on an enterprise member: trust every CA in {@code CN=Certification Authorities}. */
    private void importEnterpriseRoots(LDAPConnection ldap) throws LDAPException {
        for (SearchResultEntry ca : ldap.search(config.names().certificationAuthorities(), SearchScope.ONE,
                "(objectClass=certificationAuthority)", "cACertificate").getSearchEntries()) {
            byte[][] certificates = ca.getAttributeValueByteArrays("cACertificate");
            for (byte[] der : certificates == null ? new byte[0][] : certificates) {
                try {
                    root.add(new StoredCertificate(KeyFiles.certificate(der), null, false, StoredCertificate.KeyStorage.NONE, null, null, List.of()));
                } catch (GeneralSecurityException e) {
                    eventLog.write(config.clock().instant(), "Warning", 6, EventLog.AUTOENROLLMENT,
                            "a CA certificate on " + ca.getDN() + " does not parse: " + e.getMessage());
                }
            }
        }
    }

    private void findEnrollmentService(LDAPConnection ldap) throws LDAPException {
        enrollmentUrl = null;
        for (SearchResultEntry service : ldap.search(config.names().enrollmentServices(), SearchScope.ONE,
                "(objectClass=pKIEnrollmentService)", "msPKI-Enrollment-Servers").getSearchEntries()) {
            String value = service.getAttributeValue("msPKI-Enrollment-Servers");
            if (value != null) {
                String[] parts = value.split("\n");
                enrollmentUrl = parts[parts.length - 1];
                return;
            }
        }
    }
}
