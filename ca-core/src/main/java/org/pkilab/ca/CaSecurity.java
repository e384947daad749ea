package org.pkilab.ca;

import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.windows.WindowsError;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * The Security tab of the CA's properties in the Certification Authority console: who may read the CA, issue
 * and manage certificates, manage the CA and request certificates. AD CS keeps this descriptor in the CA's
 * registry, not in the directory; by default "Manage CA" and "Issue and Manage Certificates" belong to Domain
 * Admins and Enterprise Admins (and the local Administrators of the CA host, which the lab has not).
 *
 * <pre>
 * O:BAG:DUD:(A;;0x3;;;DA)(A;;0x3;;;EA)   0x1 Manage CA, 0x2 Issue and Manage Certificates (CA_ACCESS_ADMIN, CA_ACCESS_OFFICER)
 *
 * security.check(token of CONTOSO\alice, Permission.MANAGE_CERTIFICATES, "approve requests")
 *     → DENY 0x80070005 E_ACCESSDENIED: CONTOSO\alice may not approve requests on Contoso-CA: that needs the
 *       'Issue and Manage Certificates' permission on the CA ...
 * </pre>
 *
 * <p>The check compares the SIDs in the DC-signed token with the descriptor's trustees, as Windows does,
 * never group names: a group anyone may create in another OU can be called "Enterprise Admins", but only the
 * domain's own has RID 519. The CA enforces the two administration permissions; Read and Request
 * Certificates are named for the console's sake (enrollment rights come from the templates).
 */
public final class CaSecurity {

    /** The CA's default security: Domain Admins and Enterprise Admins hold both administration permissions. */
    public static final String DEFAULT_SECURITY = "O:BAG:DUD:(A;;0x3;;;DA)(A;;0x3;;;EA)";

    /** The permissions of the CA's Security tab, with their access mask bits ({@code certadm.h}'s CA_ACCESS_*). */
    public enum Permission {
        MANAGE_CA("Manage CA", 0x1),
        MANAGE_CERTIFICATES("Issue and Manage Certificates", 0x2),
        READ("Read", 0x100),
        REQUEST_CERTIFICATES("Request Certificates", 0x200);

        private final String displayName;
        private final int mask;

        Permission(String displayName, int mask) {
            this.displayName = displayName;
            this.mask = mask;
        }

        /** As the Security tab lists it. */
        public String displayName() {
            return displayName;
        }

        public int mask() {
            return mask;
        }
    }

    private final String caName;
    private final Supplier<SecurityDescriptor> descriptor;

    /** {@code descriptor} is read at each check: the CA reads its domain's SID once it is connected. */
    public CaSecurity(String caName, Supplier<SecurityDescriptor> descriptor) {
        this.caName = Objects.requireNonNull(caName, "caName");
        this.descriptor = Objects.requireNonNull(descriptor, "descriptor");
    }

    /** The CA's default security ({@link #DEFAULT_SECURITY}) in the domain whose SID is {@code domainSid}. */
    public static CaSecurity byDefault(String caName, SecurityIdentifier domainSid) {
        SecurityDescriptor parsed = SecurityDescriptor.parse(DEFAULT_SECURITY, domainSid);
        return new CaSecurity(caName, () -> parsed);
    }

    /**
     * Whether {@code caller} may do {@code operation} (as a sentence fragment: "approve requests"), which
     * needs {@code needed}: {@link Decision#proceed()}, or a denial with {@code E_ACCESSDENIED} naming the
     * account, the permission and the groups in its token.
     */
    public Decision check(LogonToken caller, Permission needed, String operation) {
        if (descriptor.get().grants(caller.sids(), needed.mask)) {
            return Decision.proceed();
        }
        return Decision.deny(WindowsError.E_ACCESSDENIED, caller.account() + " may not " + operation + " on " + caName
                        + ": that needs the '" + needed.displayName + "' permission on the CA, which Domain Admins and "
                        + "Enterprise Admins hold; groups in its token: " + caller.groupNames(),
                "add " + caller.account() + " to Domain Admins (or use an administrator's account) and log on again");
    }
}
