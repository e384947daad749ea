package org.pkilab.directory.client;

import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import com.unboundid.ldap.sdk.SearchResultEntry;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.directory.model.DomainNames;
import org.pkilab.directory.model.GroupPolicy;
import org.pkilab.directory.model.GroupPolicy.RegistryValue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Group Policy Management: Group Policy objects ({@code groupPolicyContainer} under
 * {@code CN=Policies,CN=System}), the registry values they set, and their links ({@code gPLink}) to the domain
 * or an OU. The lab keeps a GPO's registry policy in the directory ({@code labRegistryPolicy}) instead of
 * SYSVOL's {@code Registry.pol}.
 *
 * <pre>{@code
 * GroupPolicyManagement gpmc = admin.groupPolicy();
 * gpmc.createGpo("Autoenroll Certificates");
 * gpmc.setAutoEnrollmentPolicy("Autoenroll Certificates", GroupPolicy.GUIDE_SETTING);
 * gpmc.linkGpo("Autoenroll Certificates", names.domain());
 * }</pre>
 */
public final class GroupPolicyManagement {

    private final LdapOperations operations;
    private final DomainNames names;

    private final SecurityIdentifier domainSid;

    GroupPolicyManagement(LdapOperations operations, DomainNames names, SecurityIdentifier domainSid) {
        this.operations = operations;
        this.names = names;
        this.domainSid = domainSid;
    }

    /**
     * "Create a GPO in this domain": a {@code groupPolicyContainer} under {@code CN=Policies,CN=System}
     * named by a new GUID; Authenticated Users may read and apply it. Returns its DN.
     */
    public String createGpo(String displayName) {
        DirectoryAdmin.checkName("GPO", displayName);
        String guid = "{" + UUID.randomUUID().toString().toUpperCase(Locale.ROOT) + "}";
        String dn = names.gpo(guid);
        String sddl = "O:DAG:DAD:PAI(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;DA)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;EA)"
                + "(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)(A;;LCRPLORC;;;AU)(OA;;CR;"
                + AccessRight.APPLY_GROUP_POLICY.extendedRightGuid() + ";;AU)";
        operations.add(dn, List.of(new Attribute("objectClass", "top", "container", "groupPolicyContainer"),
                new Attribute("cn", guid), new Attribute("displayName", displayName), new Attribute("flags", "0"),
                new Attribute("versionNumber", "0"), new Attribute("gPCFunctionalityVersion", "2"),
                new Attribute("gPCFileSysPath", "\\\\" + names.dnsName() + "\\SysVol\\" + names.dnsName() + "\\Policies\\" + guid),
                new Attribute("nTSecurityDescriptor", SecurityDescriptor.parse(sddl, domainSid).toBinary())),
                "create GPO '" + displayName + "'");
        return dn;
    }

    /** Finds a GPO by display name ({@code Autoenroll Certificates}) or DN. */
    public String gpoDn(String nameOrDn) {
        if (DN.isValidDN(nameOrDn) && nameOrDn.contains("=")) {
            return nameOrDn;
        }
        List<SearchResultEntry> found = operations.search(names.policies(), Filter.createANDFilter(
                Filter.createEqualityFilter("objectClass", "groupPolicyContainer"),
                Filter.createEqualityFilter("displayName", nameOrDn)), "cn");
        if (found.size() != 1) {
            throw new DirectoryException(32, found.isEmpty() ? "no GPO named '" + nameOrDn + "'"
                    : "several GPOs are named '" + nameOrDn + "'; give the DN", null);
        }
        return found.get(0).getDN();
    }

    /** Sets one registry value in a GPO (replacing the same key and value name) and bumps its version. */
    public void setRegistryValue(String gpo, RegistryValue value) {
        String dn = gpoDn(gpo);
        SearchResultEntry entry = operations.read(dn, "labRegistryPolicy", "versionNumber");
        List<Modification> changes = new ArrayList<>();
        String[] existing = entry.getAttributeValues("labRegistryPolicy");
        for (String old : existing == null ? new String[0] : existing) {
            if (RegistryValue.parse(old).sameValue(value)) {
                changes.add(new Modification(ModificationType.DELETE, "labRegistryPolicy", old));
            }
        }
        changes.add(new Modification(ModificationType.ADD, "labRegistryPolicy", value.encode()));
        String version = entry.getAttributeValue("versionNumber");
        changes.add(new Modification(ModificationType.REPLACE, "versionNumber",
                Integer.toString((version == null ? 0 : Integer.parseInt(version)) + 1)));
        operations.modify(dn, "set " + value.key() + "\\" + value.valueName() + " in GPO " + gpo, changes.toArray(new Modification[0]));
    }

    /** The registry values a GPO sets. */
    public List<RegistryValue> registryValues(String gpo) {
        String[] values = operations.read(gpoDn(gpo), "labRegistryPolicy").getAttributeValues("labRegistryPolicy");
        return values == null ? List.of() : Arrays.stream(values).map(RegistryValue::parse).toList();
    }

    /**
     * "Certificate Services Client - Auto-Enrollment" properties: sets {@code AEPolicy}
     * ({@link GroupPolicy#GUIDE_SETTING} for the guide's choice).
     */
    public void setAutoEnrollmentPolicy(String gpo, int aePolicy) {
        setRegistryValue(gpo, RegistryValue.dword(GroupPolicy.AUTOENROLLMENT_KEY, GroupPolicy.AE_POLICY, aePolicy));
    }

    /** The GPO's {@code AEPolicy}, if it sets one. */
    public OptionalInt autoEnrollmentPolicy(String gpo) {
        for (RegistryValue value : registryValues(gpo)) {
            if (value.sameValue(RegistryValue.dword(GroupPolicy.AUTOENROLLMENT_KEY, GroupPolicy.AE_POLICY, 0))) {
                return OptionalInt.of(Integer.parseUnsignedInt(value.data()));
            }
        }
        return OptionalInt.empty();
    }

    /** "Link an existing GPO": adds the GPO to {@code gPLink} of the domain (or an OU DN). */
    public void linkGpo(String gpo, String targetDn) {
        String gpoDn = gpoDn(gpo);
        SearchResultEntry target = operations.read(targetDn, "gPLink");
        String before = target.getAttributeValue("gPLink");
        String link = "[LDAP://" + gpoDn + ";0]";
        if (before != null && before.toLowerCase(Locale.ROOT).contains(("[LDAP://" + gpoDn + ";").toLowerCase(Locale.ROOT))) {
            return;
        }
        List<Modification> changes = new ArrayList<>();
        if (before != null) {
            changes.add(new Modification(ModificationType.DELETE, "gPLink", before));
        }
        changes.add(new Modification(ModificationType.ADD, "gPLink", (before == null ? "" : before) + link));
        operations.modify(targetDn, "link GPO " + gpo + " to " + targetDn, changes.toArray(new Modification[0]));
    }

    /** GPMC's "Delete link": removes the GPO from {@code gPLink} of {@code targetDn}; the GPO itself stays. */
    public void unlinkGpo(String gpo, String targetDn) {
        String gpoDn = gpoDn(gpo);
        String before = operations.read(targetDn, "gPLink").getAttributeValue("gPLink");
        if (before == null) {
            return;
        }
        String after = Pattern.compile("\\[LDAP://" + Pattern.quote(gpoDn) + ";\\d+\\]", Pattern.CASE_INSENSITIVE)
                .matcher(before).replaceAll("");
        if (after.equals(before)) {
            return;
        }
        List<Modification> changes = new ArrayList<>(List.of(new Modification(ModificationType.DELETE, "gPLink", before)));
        if (!after.isEmpty()) {
            changes.add(new Modification(ModificationType.ADD, "gPLink", after));
        }
        operations.modify(targetDn, "unlink GPO " + gpo + " from " + targetDn, changes.toArray(new Modification[0]));
    }

    /** The GPO DNs linked to {@code targetDn}, in {@code gPLink} order. */
    public List<String> linkedGpos(String targetDn) {
        String value = operations.read(targetDn, "gPLink").getAttributeValue("gPLink");
        List<String> links = new ArrayList<>();
        if (value != null) {
            Matcher m = Pattern.compile("\\[LDAP://([^;\\]]+);\\d+\\]", Pattern.CASE_INSENSITIVE).matcher(value);
            while (m.find()) {
                links.add(m.group(1));
            }
        }
        return links;
    }
}
