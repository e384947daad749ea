package org.pkilab.scenario;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The scenarios that ship with the lab: the guide's six deployments, {@code configmgr}, and the lessons. */
public final class BuiltInScenarios {

    /** Name and one line each, in the order {@code pkilab scenarios} lists them. */
    public record Entry(String name, String summary) {
    }

    public static final List<Entry> ALL = List.of(
            new Entry("configmgr", "all six deployments, then clients, DP and cloud DP proved end to end"),
            new Entry("web-server", "web server certificate for site systems that run IIS"),
            new Entry("cloud-dp", "service certificate for cloud-based distribution points"),
            new Entry("client-certificates", "client certificate for Windows computers, by autoenrollment"),
            new Entry("dp-certificate", "client certificate for distribution points, exported as PFX"),
            new Entry("mobile-device", "enrollment certificate for mobile devices (a user certificate)"),
            new Entry("mac-client", "client certificate for Mac computers"),
            new Entry("lesson-restart-after-group-change", "lesson: the group was changed but the server not restarted"),
            new Entry("lesson-template-not-issued", "lesson: template duplicated but not issued by the CA"),
            new Entry("lesson-windows-2008-template", "lesson: 'Windows 2008 Server, Enterprise Edition' was chosen"),
            new Entry("lesson-non-exportable-key", "lesson: exporting a certificate whose key is not exportable"),
            new Entry("lesson-domain-admins-enroll", "lesson: Domain Admins still hold Enroll, and what removing it does"),
            new Entry("lesson-fqdn-not-in-certificate", "lesson: the site system's FQDN is not in its certificate"),
            new Entry("lesson-key-below-minimum", "lesson: a key below the template's minimum size"),
            new Entry("lesson-autoenrollment-without-gpo", "lesson: autoenrollment without the GPO"),
            new Entry("lesson-revoked-client-certificate", "lesson: a revoked client certificate at the management point"),
            new Entry("lesson-ocsp-revocation-at-once", "lesson: OCSP refuses a revoked client at once, a cached CRL does not"),
            new Entry("lesson-one-acl-every-protocol", "lesson: one template's permissions decide over EST, CMP, ACME and SCEP alike"),
            new Entry("lesson-approval-required", "lesson: a template that requires approval"),
            new Entry("lesson-restricted-gpo-forgets-mp", "lesson: autoenrollment restricted to a group that forgets the MP"),
            new Entry("lesson-esc1-enrollee-supplies-subject", "attack and fix, ESC1: the enrollee supplies the subject of a logon certificate"),
            new Entry("lesson-esc2-any-purpose", "attack and fix, ESC2: an Any Purpose certificate signs as an enrollment agent"),
            new Entry("lesson-esc3-enrollment-agent", "attack and fix, ESC3: anyone may become an enrollment agent"),
            new Entry("lesson-esc4-template-write-rights", "attack and fix, ESC4: a low-privileged group may write a template"),
            new Entry("lesson-esc6-san-attribute", "attack and fix, ESC6: the CA honours a requested SAN (EDITF_ATTRIBUTESUBJECTALTNAME2)"),
            new Entry("lesson-esc7-manage-ca", "attack and fix, ESC7: a low-privileged account holds Manage CA"),
            new Entry("lesson-esc9-no-security-extension", "attack and fix, ESC9: a template without the SID extension"),
            new Entry("lesson-esc13-issuance-policy-group-link", "attack and fix, ESC13: an issuance policy linked to a group"),
            new Entry("lesson-esc15-schema-1-application-policies", "attack and fix, ESC15: a version 1 template takes requested application policies"),
            new Entry("lesson-esc16-sid-extension-disabled", "attack and fix, ESC16: the CA leaves out the SID extension"));

    /** The pieces built-ins include that are not listed themselves. */
    private static final List<String> SHARED = List.of("web-template", "iis-servers-group");

    private BuiltInScenarios() {
    }

    /** Every name {@link #text} answers: the listed scenarios and the shared pieces. */
    public static List<String> names() {
        List<String> names = new java.util.ArrayList<>(ALL.stream().map(Entry::name).toList());
        names.addAll(SHARED);
        return names;
    }

    /** The text of a built-in (including the shared pieces built-ins include), or null. */
    public static String text(String name) {
        if (name == null || !name.matches("[a-z0-9-]{1,64}")) {
            return null;
        }
        try (InputStream in = BuiltInScenarios.class.getResourceAsStream("/scenarios/" + name + ".yaml")) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
    }
}
