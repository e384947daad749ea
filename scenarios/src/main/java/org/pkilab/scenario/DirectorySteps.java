package org.pkilab.scenario;

import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.UsersAndComputers;
import org.pkilab.directory.model.TemplateCompatibility;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.ApplicationPolicy;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.GroupPolicy;
import org.pkilab.directory.model.PkiPeriod;
import org.pkilab.directory.model.TemplateFlags;
import org.pkilab.lab.Lab;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The steps an administrator takes in the directory's consoles: Active Directory Users and Computers
 * (groups, users, members), the Certificate Templates console (Duplicate Template and the template's
 * tabs) and Group Policy Management. Each goes to the DC over LDAP as the domain's Administrator, through
 * {@link DirectoryAdmin}, as the consoles write to a DC; the narration shows what the tab shows afterwards
 * ({@code Security tab of 'Web Server', Kiosk Users: Allow Read, Enroll}).
 */
final class DirectorySteps {

    private final Lab lab;

    DirectorySteps(Lab lab) {
        this.lab = lab;
    }

    /** The steps that change a template: the CA is to read it afresh before the next request. */
    private static final java.util.Set<Verb> TEMPLATE_CHANGES = java.util.EnumSet.of(Verb.DUPLICATE_TEMPLATE, Verb.SET_SUBJECT_NAME,
            Verb.ALLOW_KEY_EXPORT, Verb.MINIMUM_KEY_SIZE, Verb.REQUIRE_APPROVAL, Verb.VALIDITY, Verb.SUPERSEDE, Verb.ALLOW, Verb.DENY,
            Verb.REMOVE_PERMISSION, Verb.SET_APPLICATION_POLICIES, Verb.ADD_ISSUANCE_POLICY, Verb.SET_ENROLLMENT_FLAG);

    void execute(Scenario.Step s, List<String> say) {
        try {
            executeAs(s, say);
        } finally {
            if (TEMPLATE_CHANGES.contains(s.verb())) {
                // the CA's change notification empties its template cache "a moment after"; a scenario's next step may
                // enroll at once, so the step waits for no moment (as a lesson told to wait for AD replication would)
                lab.ca().reloadTemplates();
            }
        }
    }

    private void executeAs(Scenario.Step s, List<String> say) {
        if (s.text("as") == null) {
            execute(s, lab.admin(), say);
            return;
        }
        // the step as another account: its own bind, so the DC judges the change by that account's rights
        String dn = lab.admin().usersAndComputers().dnOf(s.text("as"));
        try (DirectoryAdmin as = DirectoryAdmin.connect("127.0.0.1", lab.dc().ldapPort(), lab.dc().names(), dn, lab.password())) {
            execute(s, as, say);
            say.add("(as " + lab.dc().config().netbiosName() + "\\" + s.text("as") + ")");
        }
    }

    private void execute(Scenario.Step s, DirectoryAdmin admin, List<String> say) {
        switch (s.verb()) {
            case CREATE_GROUP -> say.add("created " + (s.text("scope") == null ? admin.usersAndComputers().createGroup(s.text("name"))
                    : admin.usersAndComputers().createGroup(s.text("name"), UsersAndComputers.GroupScope.valueOf(
                    s.text("scope").trim().toUpperCase(Locale.ROOT).replace(' ', '_')), null)) + (s.text("scope") == null ? "" : " (" + s.text("scope") + ")"));
            case SET_UPN -> {
                admin.usersAndComputers().setUserPrincipalName(s.text("account"), s.text("upn"));
                say.add(s.text("account") + ": userPrincipalName = " + s.text("upn"));
            }
            case ALLOW_ON_OBJECT, REMOVE_PERMISSION_ON_OBJECT -> {
                AccessRight[] rights = s.list("rights").stream().map(AccessRight::parse).toArray(AccessRight[]::new);
                String object = admin.usersAndComputers().dnOf(s.text("object"));
                var sd = s.verb() == Verb.ALLOW_ON_OBJECT ? admin.security().allow(object, s.text("principal"), rights)
                        : admin.security().clearAllow(object, s.text("principal"), rights);
                var sid = admin.usersAndComputers().sidOf(s.text("principal"));
                say.add("Security tab of " + object + ", " + s.text("principal") + ": Allow " + names(sd.rightsOf(sid, true)));
            }
            case SET_APPLICATION_POLICIES -> {
                CertificateTemplate t = admin.templates().setExtendedKeyUsages(s.text("template"),
                        s.list("policies").stream().map(ApplicationPolicy::oidOf).toList());
                say.add("'" + t.displayName() + "': Application Policies " + (t.applicationPolicies().isEmpty() ? "(none: any purpose)"
                        : t.applicationPolicies().stream().map(ApplicationPolicy::nameOf).toList()));
            }
            case SET_ENROLLMENT_FLAG -> {
                TemplateFlags.Enrollment flag = TemplateFlags.parse(TemplateFlags.Enrollment.class, s.text("flag"));
                CertificateTemplate t = admin.templates().update(s.text("template"), b -> {
                    int flags = b.build().enrollmentFlags();
                    return b.enrollmentFlags(s.flag("enabled") ? flags | flag.value() : flags & ~flag.value());
                });
                say.add("'" + t.displayName() + "': msPKI-Enrollment-Flag = 0x" + Integer.toHexString(t.enrollmentFlags()) + " "
                        + TemplateFlags.describe(TemplateFlags.Enrollment.values(), t.enrollmentFlags()));
            }
            case CREATE_ISSUANCE_POLICY -> {
                String oid = admin.templates().createIssuancePolicy(s.text("name"));
                say.add("issuance policy '" + s.text("name") + "' is " + oid + " (msPKI-Enterprise-Oid under " + lab.dc().names().oid() + ")");
                if (s.text("link group") != null) {
                    admin.templates().linkIssuancePolicyToGroup(s.text("name"), s.text("link group"));
                    say.add("msDS-OIDToGroupLink: a logon with a certificate carrying '" + s.text("name") + "' gets " + s.text("link group")
                            + " in its token");
                }
            }
            case ADD_ISSUANCE_POLICY -> {
                CertificateTemplate current = admin.templates().get(s.text("template"));
                List<String> policies = new java.util.ArrayList<>(current.issuancePolicies());
                policies.add(s.text("policy"));
                CertificateTemplate t = admin.templates().setIssuancePolicies(s.text("template"), policies);
                say.add("'" + t.displayName() + "': msPKI-Certificate-Policy = " + t.issuancePolicies());
            }
            case CREATE_USER -> say.add("created " + admin.usersAndComputers().createUser(s.text("name"), lab.password()));
            case ADD_MEMBER -> {
                admin.usersAndComputers().addMember(s.text("group"), s.text("member"));
                say.add(s.text("member") + " is now a member of " + s.text("group") + (s.text("member").endsWith("$")
                        ? " (a computer sees it in its token after its next restart)"
                        : " (a user's token carries it from their next logon)"));
            }
            case REMOVE_MEMBER -> {
                admin.usersAndComputers().removeMember(s.text("group"), s.text("member"));
                say.add(s.text("member") + " is no longer a member of " + s.text("group"));
            }
            case DUPLICATE_TEMPLATE -> {
                String compatibility = s.text("compatibility") == null ? "Windows 2003 Server, Enterprise Edition" : s.text("compatibility");
                CertificateTemplate copy = admin.templates().duplicate(s.text("template"), s.text("name"),
                        compatibility.contains("2008") ? TemplateCompatibility.WINDOWS_2008_SERVER_ENTERPRISE
                                : TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
                say.add("template '" + copy.displayName() + "' (name " + copy.name() + ", schema " + copy.schemaVersion() + ", OID "
                        + copy.oid() + ") copied from '" + s.text("template") + "'" + (copy.usesCng() ? "; keys will be CNG" : ""));
            }
            case SET_SUBJECT_NAME -> {
                String mode = s.text("mode").toLowerCase(Locale.ROOT);
                CertificateTemplate t;
                if (mode.startsWith("supply")) {
                    t = admin.templates().setSubjectNameMode(s.text("template"), CertificateTemplate.SubjectNameMode.SUPPLY_IN_REQUEST);
                } else if (mode.startsWith("build")) {
                    t = Boolean.FALSE.equals(s.flag("upn"))
                            ? admin.templates().setSubjectNameFlags(s.text("template"), TemplateFlags.CertificateName.SUBJECT_REQUIRE_COMMON_NAME)
                            : admin.templates().setSubjectNameMode(s.text("template"), CertificateTemplate.SubjectNameMode.BUILD_FROM_ACTIVE_DIRECTORY);
                } else {
                    throw new IllegalArgumentException("mode must be 'supply in request' or 'build from Active Directory', not '" + s.text("mode") + "'");
                }
                if (s.flag("email") != null) {
                    // the Subject Name tab's two "E-mail name" checkboxes: in the subject and in the alternative name
                    int email = TemplateFlags.CertificateName.SUBJECT_REQUIRE_EMAIL.value() | TemplateFlags.CertificateName.SUBJECT_ALT_REQUIRE_EMAIL.value();
                    int flags = s.flag("email") ? t.certificateNameFlags() | email : t.certificateNameFlags() & ~email;
                    t = admin.templates().update(s.text("template"), b -> b.certificateNameFlags(flags));
                }
                say.add("'" + t.displayName() + "': msPKI-Certificate-Name-Flag = " + t.certificateNameFlags() + " "
                        + TemplateFlags.describe(TemplateFlags.CertificateName.values(), t.certificateNameFlags()));
            }
            case ALLOW_KEY_EXPORT -> say.add("'" + admin.templates().setExportableKey(s.text("template"), true).displayName()
                    + "': the private key may be exported (CT_FLAG_EXPORTABLE_KEY)");
            case MINIMUM_KEY_SIZE -> say.add("'" + admin.templates().setMinimalKeySize(s.text("template"), s.number("bits")).displayName()
                    + "': minimum key size " + s.number("bits"));
            case REQUIRE_APPROVAL -> say.add("'" + admin.templates().setRequiresApproval(s.text("template"), true).displayName()
                    + "': CA certificate manager approval (CT_FLAG_PEND_ALL_REQUESTS)");
            case VALIDITY -> {
                CertificateTemplate current = admin.templates().get(s.text("template"));
                var t = admin.templates().setValidity(s.text("template"), PkiPeriod.parse(s.text("period")),
                        s.text("renewal") == null ? current.renewalPeriod() : PkiPeriod.parse(s.text("renewal")));
                say.add("'" + t.displayName() + "': validity " + PkiPeriod.display(t.validity()) + ", renewal " + PkiPeriod.display(t.renewalPeriod()));
            }
            case SUPERSEDE -> say.add("'" + admin.templates().setSupersededTemplates(s.text("template"), s.list("templates")).displayName()
                    + "' supersedes " + s.list("templates"));
            case ALLOW, DENY, REMOVE_PERMISSION -> {
                AccessRight[] rights = s.list("rights").stream().map(AccessRight::parse).toArray(AccessRight[]::new);
                var sd = switch (s.verb()) {
                    case ALLOW -> admin.security().allow(s.text("template"), s.text("principal"), rights);
                    case DENY -> admin.security().deny(s.text("template"), s.text("principal"), rights);
                    default -> admin.security().clearAllow(s.text("template"), s.text("principal"), rights);
                };
                var sid = admin.usersAndComputers().sidOf(s.text("principal"));
                say.add("Security tab of '" + s.text("template") + "', " + s.text("principal") + ": Allow " + names(sd.rightsOf(sid, true))
                        + (sd.rightsOf(sid, false).isEmpty() ? "" : ", Deny " + names(sd.rightsOf(sid, false))));
            }
            case CREATE_GPO -> {
                String gpo = admin.groupPolicy().createGpo(s.text("name"));
                // the parser writes the setting as the console names it; unset is the guide's "Enabled"
                String setting = s.text("autoenrollment") == null ? "Enabled" : s.text("autoenrollment");
                Integer aePolicy = switch (setting) {
                    case "Enabled" -> GroupPolicy.GUIDE_SETTING;
                    case "Disabled" -> GroupPolicy.DISABLE_ALL;
                    case "Not configured" -> null;
                    default -> throw new IllegalArgumentException("autoenrollment must be Enabled, Disabled or Not configured, not '" + setting + "'");
                };
                if (aePolicy != null) {
                    admin.groupPolicy().setAutoEnrollmentPolicy(gpo, aePolicy);
                }
                if (!Boolean.FALSE.equals(s.flag("link"))) {
                    admin.groupPolicy().linkGpo(gpo, lab.dc().names().domain());
                }
                say.add("GPO '" + s.text("name") + "' (" + gpo + "): Certificate Services Client - Auto-Enrollment " + setting
                        + (aePolicy == null ? " (sets no AEPolicy)" : " (AEPolicy = " + aePolicy + ")")
                        + (Boolean.FALSE.equals(s.flag("link")) ? ", not linked" : ", linked to " + lab.dc().names().domain()));
            }
            case LINK_GPO -> {
                admin.groupPolicy().linkGpo(s.text("name"), lab.dc().names().domain());
                say.add("GPO '" + s.text("name") + "' linked to " + lab.dc().names().domain());
            }
            case FILTER_GPO -> {
                String gpo = admin.groupPolicy().gpoDn(s.text("name"));
                admin.security().clearAllow(gpo, "Authenticated Users", AccessRight.APPLY_GROUP_POLICY);
                admin.security().allow(gpo, s.text("group"), AccessRight.READ, AccessRight.APPLY_GROUP_POLICY);
                say.add("GPO '" + s.text("name") + "' now applies only to members of " + s.text("group")
                        + " (Authenticated Users keep Read, lose Apply group policy)");
            }
            case UNLINK_GPO -> {
                admin.groupPolicy().unlinkGpo(s.text("name"), lab.dc().names().domain());
                say.add("GPO '" + s.text("name") + "' no longer linked to " + lab.dc().names().domain());
            }
            default -> throw new IllegalArgumentException("'" + s.verb().text() + "' is not done in the directory's consoles");
        }
    }

    private static String names(Set<AccessRight> rights) {
        return rights.isEmpty() ? "(none)" : String.join(", ", rights.stream().map(AccessRight::displayName).toList());
    }
}
