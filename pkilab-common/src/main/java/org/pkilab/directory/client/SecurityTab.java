package org.pkilab.directory.client;

import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import com.unboundid.ldap.sdk.SearchResultEntry;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.SecurityIdentifier;

import java.util.function.UnaryOperator;

/**
 * The Security tab of a directory object's Properties: its {@code nTSecurityDescriptor} (read and written in
 * AD's binary form) as the list of principals with Allow and Deny checkboxes per right. The object is a template by name or display name
 * (as the Certificate Templates console opens it), a GPO, or any DN; principals are found as
 * {@link UsersAndComputers#dnOf} finds them.
 *
 * <pre>{@code
 * SecurityTab security = admin.security();
 * security.clearAllow("ConfigMgr Web Server Certificate", "Domain Admins", AccessRight.ENROLL);
 * security.allow("ConfigMgr Web Server Certificate", "ConfigMgr IIS Servers", AccessRight.READ, AccessRight.ENROLL);
 * }</pre>
 */
public final class SecurityTab {

    private final LdapOperations operations;
    private final SecurityIdentifier domainSid;
    private final UsersAndComputers accounts;
    private final CertificateTemplatesConsole templates;

    SecurityTab(LdapOperations operations, SecurityIdentifier domainSid, UsersAndComputers accounts,
                CertificateTemplatesConsole templates) {
        this.operations = operations;
        this.domainSid = domainSid;
        this.accounts = accounts;
        this.templates = templates;
    }

    /** The Security tab of an object: a template name or display name, a GPO, or any DN. */
    public SecurityDescriptor descriptor(String object) {
        SearchResultEntry entry = operations.read(objectDn(object), "nTSecurityDescriptor");
        if (!entry.hasAttribute("nTSecurityDescriptor")) {
            throw new DirectoryException(object + " has no security descriptor of its own");
        }
        return SecurityDescriptor.decode(entry.getAttributeValueBytes("nTSecurityDescriptor"), domainSid);
    }

    /** Ticks "Allow" for each right, adding the principal to the list if needed. */
    public SecurityDescriptor allow(String object, String principal, AccessRight... rights) {
        return tick(object, principal, rights, SecurityDescriptor::allow);
    }

    /** Ticks "Deny" for each right. */
    public SecurityDescriptor deny(String object, String principal, AccessRight... rights) {
        return tick(object, principal, rights, SecurityDescriptor::deny);
    }

    /** Clears "Allow" for each right (the guide's "remove the Enroll permission from Domain Admins"). */
    public SecurityDescriptor clearAllow(String object, String principal, AccessRight... rights) {
        return tick(object, principal, rights, SecurityDescriptor::clearAllow);
    }

    /** Clears "Deny" for each right. */
    public SecurityDescriptor clearDeny(String object, String principal, AccessRight... rights) {
        return tick(object, principal, rights, SecurityDescriptor::clearDeny);
    }

    /** One checkbox change on the Security tab. */
    private interface Checkbox {
        SecurityDescriptor apply(SecurityDescriptor sd, SecurityIdentifier principal, AccessRight right);
    }

    private SecurityDescriptor tick(String object, String principal, AccessRight[] rights, Checkbox checkbox) {
        SecurityIdentifier sid = accounts.sidOf(principal);
        return editSecurity(object, sd -> {
            for (AccessRight right : rights) {
                sd = checkbox.apply(sd, sid, right);
            }
            return sd;
        });
    }

    /** Removes a principal from the Security tab. */
    public SecurityDescriptor removePrincipal(String object, String principal) {
        SecurityIdentifier sid = accounts.sidOf(principal);
        return editSecurity(object, sd -> sd.remove(sid));
    }

    private SecurityDescriptor editSecurity(String object, UnaryOperator<SecurityDescriptor> edit) {
        String dn = objectDn(object);
        SearchResultEntry entry = operations.read(dn, "nTSecurityDescriptor");
        byte[] before = entry.getAttributeValueBytes("nTSecurityDescriptor");
        if (before == null) {
            throw new DirectoryException(object + " has no security descriptor of its own");
        }
        SecurityDescriptor read = SecurityDescriptor.decode(before, domainSid);
        SecurityDescriptor after = edit.apply(read);
        if (!after.equals(read)) {
            // delete-old/add-new: a concurrent edit of the same descriptor fails instead of being lost
            operations.modify(dn, "change the security of " + object,
                    new Modification(ModificationType.DELETE, "nTSecurityDescriptor", before),
                    new Modification(ModificationType.ADD, "nTSecurityDescriptor", after.toBinary()));
        }
        return after;
    }

    private String objectDn(String object) {
        if (DN.isValidDN(object) && object.contains("=")) {
            return object;
        }
        return templates.entry(object).getDN();
    }
}
