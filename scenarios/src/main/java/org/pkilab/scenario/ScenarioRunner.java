package org.pkilab.scenario;

import org.pkilab.ca.RevocationReason;
import org.pkilab.directory.client.DirectoryAdmin.TemplateCompatibility;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.GroupPolicy;
import org.pkilab.directory.model.PkiPeriod;
import org.pkilab.directory.model.TemplateFlags;
import org.pkilab.host.CertificateRequest;
import org.pkilab.host.DomainComputer;
import org.pkilab.host.HttpsResult;
import org.pkilab.enrollment.PendingException;
import org.pkilab.host.StoredCertificate;
import org.pkilab.host.UserSession;
import org.pkilab.iis.IisServer;
import org.pkilab.lab.Lab;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Runs a scenario's steps against a lab and says what happens: what the guide says, what the lab did,
 * the certificates involved, and for a failure the code, the reason and the fix. A step whose outcome
 * differs from its {@code expect} fails the run; the run goes on to show the rest.
 */
public final class ScenarioRunner {

    private final Lab lab;
    private final Path workFolder;

    /** @param workFolder where exported PFX files go */
    public ScenarioRunner(Lab lab, Path workFolder) {
        this.lab = lab;
        this.workFolder = workFolder;
    }

    /** Runs every step, handing each result to {@code progress} as it is known. */
    public List<StepResult> run(Scenario scenario, Consumer<StepResult> progress) {
        return run(scenario, 0, progress);
    }

    /**
     * Runs the steps after the first {@code done}, whose results the lab already holds (a lasting lab that
     * stopped part-way through applying the scenario), handing each result to {@code progress} as it is known.
     */
    public List<StepResult> run(Scenario scenario, int done, Consumer<StepResult> progress) {
        if (done < 0 || done > scenario.steps().size()) {
            throw new IllegalArgumentException("steps done " + done + " of " + scenario.name() + "'s " + scenario.steps().size());
        }
        List<StepResult> results = new ArrayList<>();
        for (Scenario.Step step : scenario.steps().subList(done, scenario.steps().size())) {
            StepResult result = run(step);
            results.add(result);
            progress.accept(result);
        }
        return results;
    }

    StepResult run(Scenario.Step step) {
        long start = System.nanoTime();
        List<String> narration = new ArrayList<>();
        String failure = null;
        boolean pending = false;
        try {
            bootFirst(step, narration);
            execute(step, narration);
        } catch (PendingException e) {
            pending = true;
            narration.add("the CA took request " + e.requestId() + " under submission: a certificate manager must approve it");
        } catch (RuntimeException e) {
            failure = e.getMessage() == null ? e.toString() : e.getMessage();
        }
        String code = FailureCodes.primary(failure);
        boolean asExpected = switch (step.expect().kind()) {
            case SUCCESS -> failure == null && !pending;
            case PENDING -> pending;
            case FAILURE -> failure != null && carries(failure, step.expect());
        };
        return new StepResult(step, asExpected, narration, code, failure, step.fix(), (System.nanoTime() - start) / 1_000_000);
    }

    /** The failure carries the expected code (as a value, not as text), and the expected text if the step asks for it. */
    private static boolean carries(String failure, Scenario.Expectation expect) {
        boolean code = expect.error() == null
                || FailureCodes.normalize(expect.error()).map(FailureCodes.all(failure)::contains).orElse(false);
        boolean text = expect.message() == null || failure.toLowerCase(Locale.ROOT).contains(expect.message().toLowerCase(Locale.ROOT));
        return code && text;
    }

    /** A step that uses a computer that never ran boots it first; the narration says so, as its logon and autoenrollment matter. */
    private void bootFirst(Scenario.Step s, List<String> say) {
        if (s.verb() == Verb.RESTART) {
            return;
        }
        for (String field : List.of("host", "from", "to", "management point")) {
            String name = s.text(field);
            if (name != null && lab.computerNames().contains(name.toUpperCase(Locale.ROOT)) && !lab.booted(name)) {
                DomainComputer computer = lab.computer(name);
                say.add(computer.name() + " had not started yet, so it starts first: it logs on (token groups "
                        + computer.token().groupNames() + "), applies Group Policy (AEPolicy " + computer.autoEnrollmentPolicy()
                        + ") and autoenrolls");
                describeStore(computer, say);
            }
        }
    }

    private void execute(Scenario.Step s, List<String> say) {
        var admin = lab.admin();
        switch (s.verb()) {
            case CREATE_GROUP -> say.add("created " + admin.createGroup(s.text("name")));
            case CREATE_USER -> say.add("created " + admin.createUser(s.text("name"), lab.password()));
            case ADD_MEMBER -> {
                admin.addMember(s.text("group"), s.text("member"));
                say.add(s.text("member") + " is now a member of " + s.text("group") + (s.text("member").endsWith("$")
                        ? " (a computer sees it in its token after its next restart)"
                        : " (a user's token carries it from their next logon)"));
            }
            case REMOVE_MEMBER -> {
                admin.removeMember(s.text("group"), s.text("member"));
                say.add(s.text("member") + " is no longer a member of " + s.text("group"));
            }
            case DUPLICATE_TEMPLATE -> {
                String compatibility = s.text("compatibility") == null ? "Windows 2003 Server, Enterprise Edition" : s.text("compatibility");
                CertificateTemplate copy = lab.admin().duplicateTemplate(s.text("template"), s.text("name"),
                        compatibility.contains("2008") ? TemplateCompatibility.WINDOWS_2008_SERVER_ENTERPRISE
                                : TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE);
                say.add("template '" + copy.displayName() + "' (name " + copy.name() + ", schema " + copy.schemaVersion() + ", OID "
                        + copy.oid() + ") copied from '" + s.text("template") + "'" + (copy.usesCng() ? "; keys will be CNG" : ""));
            }
            case SET_SUBJECT_NAME -> {
                String mode = s.text("mode").toLowerCase(Locale.ROOT);
                CertificateTemplate t;
                if (mode.startsWith("supply")) {
                    t = admin.setSubjectNameMode(s.text("template"), CertificateTemplate.SubjectNameMode.SUPPLY_IN_REQUEST);
                } else if (mode.startsWith("build")) {
                    t = Boolean.FALSE.equals(s.flag("upn"))
                            ? admin.setSubjectNameFlags(s.text("template"), TemplateFlags.CertificateName.SUBJECT_REQUIRE_COMMON_NAME)
                            : admin.setSubjectNameMode(s.text("template"), CertificateTemplate.SubjectNameMode.BUILD_FROM_ACTIVE_DIRECTORY);
                } else {
                    throw new IllegalArgumentException("mode must be 'supply in request' or 'build from Active Directory', not '" + s.text("mode") + "'");
                }
                say.add("'" + t.displayName() + "': msPKI-Certificate-Name-Flag = " + t.certificateNameFlags() + " "
                        + TemplateFlags.describe(TemplateFlags.CertificateName.values(), t.certificateNameFlags()));
            }
            case ALLOW_KEY_EXPORT -> say.add("'" + admin.setExportableKey(s.text("template"), true).displayName()
                    + "': the private key may be exported (CT_FLAG_EXPORTABLE_KEY)");
            case MINIMUM_KEY_SIZE -> say.add("'" + admin.setMinimalKeySize(s.text("template"), s.number("bits")).displayName()
                    + "': minimum key size " + s.number("bits"));
            case REQUIRE_APPROVAL -> say.add("'" + admin.setRequiresApproval(s.text("template"), true).displayName()
                    + "': CA certificate manager approval (CT_FLAG_PEND_ALL_REQUESTS)");
            case VALIDITY -> {
                CertificateTemplate current = admin.template(s.text("template"));
                var t = admin.setValidity(s.text("template"), PkiPeriod.parse(s.text("period")),
                        s.text("renewal") == null ? current.renewalPeriod() : PkiPeriod.parse(s.text("renewal")));
                say.add("'" + t.displayName() + "': validity " + PkiPeriod.display(t.validity()) + ", renewal " + PkiPeriod.display(t.renewalPeriod()));
            }
            case SUPERSEDE -> say.add("'" + admin.setSupersededTemplates(s.text("template"), s.list("templates")).displayName()
                    + "' supersedes " + s.list("templates"));
            case ALLOW, DENY, REMOVE_PERMISSION -> {
                AccessRight[] rights = s.list("rights").stream().map(AccessRight::parse).toArray(AccessRight[]::new);
                var sd = switch (s.verb()) {
                    case ALLOW -> admin.allow(s.text("template"), s.text("principal"), rights);
                    case DENY -> admin.deny(s.text("template"), s.text("principal"), rights);
                    default -> admin.clearAllow(s.text("template"), s.text("principal"), rights);
                };
                var sid = admin.sidOf(s.text("principal"));
                say.add("Security tab of '" + s.text("template") + "', " + s.text("principal") + ": Allow " + names(sd.rightsOf(sid, true))
                        + (sd.rightsOf(sid, false).isEmpty() ? "" : ", Deny " + names(sd.rightsOf(sid, false))));
            }
            case ISSUE_TEMPLATE -> {
                lab.ca().issueTemplate(s.text("name"));
                say.add(lab.ca().name() + " now issues " + lab.ca().templatesToIssue());
            }
            case STOP_ISSUING -> {
                lab.ca().stopIssuing(s.text("name"));
                say.add(lab.ca().name() + " now issues " + lab.ca().templatesToIssue());
            }
            case CREATE_GPO -> {
                String gpo = admin.createGpo(s.text("name"));
                // the parser writes the setting as the console names it; unset is the guide's "Enabled"
                String setting = s.text("autoenrollment") == null ? "Enabled" : s.text("autoenrollment");
                Integer aePolicy = switch (setting) {
                    case "Enabled" -> GroupPolicy.GUIDE_SETTING;
                    case "Disabled" -> GroupPolicy.DISABLE_ALL;
                    case "Not configured" -> null;
                    default -> throw new IllegalArgumentException("autoenrollment must be Enabled, Disabled or Not configured, not '" + setting + "'");
                };
                if (aePolicy != null) {
                    admin.setAutoEnrollmentPolicy(gpo, aePolicy);
                }
                if (!Boolean.FALSE.equals(s.flag("link"))) {
                    admin.linkGpo(gpo, lab.dc().names().domain());
                }
                say.add("GPO '" + s.text("name") + "' (" + gpo + "): Certificate Services Client - Auto-Enrollment " + setting
                        + (aePolicy == null ? " (sets no AEPolicy)" : " (AEPolicy = " + aePolicy + ")")
                        + (Boolean.FALSE.equals(s.flag("link")) ? ", not linked" : ", linked to " + lab.dc().names().domain()));
            }
            case LINK_GPO -> {
                admin.linkGpo(s.text("name"), lab.dc().names().domain());
                say.add("GPO '" + s.text("name") + "' linked to " + lab.dc().names().domain());
            }
            case FILTER_GPO -> {
                String gpo = admin.gpoDn(s.text("name"));
                admin.clearAllow(gpo, "Authenticated Users", AccessRight.APPLY_GROUP_POLICY);
                admin.allow(gpo, s.text("group"), AccessRight.READ, AccessRight.APPLY_GROUP_POLICY);
                say.add("GPO '" + s.text("name") + "' now applies only to members of " + s.text("group")
                        + " (Authenticated Users keep Read, lose Apply group policy)");
            }
            case UNLINK_GPO -> {
                admin.unlinkGpo(s.text("name"), lab.dc().names().domain());
                say.add("GPO '" + s.text("name") + "' no longer linked to " + lab.dc().names().domain());
            }
            case RESTART -> {
                DomainComputer computer = lab.restart(s.text("host"));
                say.add(computer.name() + " restarted: token groups " + computer.token().groupNames() + "; AEPolicy "
                        + computer.autoEnrollmentPolicy());
                describeStore(computer, say);
            }
            case GPUPDATE -> {
                DomainComputer computer = lab.computer(s.text("host"));
                computer.gpupdate(true);
                say.add(computer.name() + " applied Group Policy; AEPolicy " + computer.autoEnrollmentPolicy());
                describeStore(computer, say);
            }
            case REQUEST_CERTIFICATE -> {
                DomainComputer computer = lab.computer(s.text("host"));
                CertificateRequest request = CertificateRequest.forTemplate(s.text("template"));
                if (!s.list("dns").isEmpty()) {
                    request = request.dnsNames(s.list("dns").toArray(new String[0]));
                }
                if (s.text("common name") != null) {
                    request = request.commonName(s.text("common name"));
                }
                if (s.number("key size") != null) {
                    request = request.keySize(s.number("key size"));
                }
                StoredCertificate issued = s.text("user") == null ? computer.requestCertificate(request)
                        : session(computer, s.text("user")).requestCertificate(request);
                say.add((s.text("user") == null ? "LocalMachine\\My of " + computer.name() : "CurrentUser\\My of " + s.text("user"))
                        + " now holds:");
                describe(issued, say);
            }
            case CHECK_CERTIFICATE -> checkCertificate(s, say);
            case EXPORT_PFX -> {
                DomainComputer computer = lab.computer(s.text("host"));
                StoredCertificate certificate = certificate(computer, s.text("template"));
                Path file = workFolder.resolve(s.text("file"));
                computer.exportPfx(certificate.thumbprint(), s.text("password").toCharArray(), file);
                say.add("exported " + certificate.thumbprint() + " with its private key to " + file);
            }
            case BIND_HTTPS -> {
                IisServer iis = lab.iis(s.text("host"));
                StoredCertificate certificate = certificate(iis, s.text("template"));
                iis.bindHttps(certificate.thumbprint());
                say.add("Default Web Site of " + iis.name() + ": https on port " + iis.httpsPort() + " with " + certificate.thumbprint()
                        + " (" + certificate.dnsNames() + ")");
            }
            case INSTALL_MANAGEMENT_POINT -> {
                IisServer iis = lab.iis(s.text("host"));
                iis.installManagementPoint();
                say.add(iis.name() + " is a management point: HTTPS, client certificates required");
            }
            case INSTALL_DISTRIBUTION_POINT -> {
                IisServer iis = lab.iis(s.text("host"));
                StoredCertificate imported = iis.installDistributionPoint(workFolder.resolve(s.text("file")), s.text("password").toCharArray());
                say.add(iis.name() + " is a distribution point with the imported certificate " + imported.thumbprint());
            }
            case INSTALL_CLOUD_DISTRIBUTION_POINT -> {
                IisServer iis = lab.iis(s.text("host"));
                StoredCertificate imported = iis.installCloudDistributionPoint(s.text("service name"), workFolder.resolve(s.text("file")),
                        s.text("password").toCharArray());
                say.add(iis.name() + " serves the cloud distribution point " + s.text("service name") + " (CNAME) on port "
                        + iis.httpsPort() + " with " + imported.thumbprint());
            }
            case REPORT_STATUS -> {
                IisServer dp = lab.iis(s.text("host"));
                HttpsResult result = dp.reportStatusTo(lab.iis(s.text("management point")), s.text("name"));
                outcome(result, dp.name() + " -> " + s.text("name"), say);
            }
            case APPROVE_PENDING, DENY_PENDING -> {
                DomainComputer computer = lab.computer(s.text("host"));
                if (computer.pendingRequests().isEmpty()) {
                    throw new IllegalStateException(computer.name() + " has no pending request");
                }
                for (long id : computer.pendingRequests()) {
                    if (s.verb() == Verb.APPROVE_PENDING) {
                        lab.ca().approve(id, administrator());
                        say.add("request " + id + " issued by " + administrator());
                    } else {
                        lab.ca().deny(id, administrator());
                        say.add("request " + id + " denied by " + administrator());
                    }
                }
            }
            case REVOKE -> {
                DomainComputer computer = lab.computer(s.text("host"));
                StoredCertificate certificate = certificate(computer, s.text("template"));
                RevocationReason reason = s.text("reason") == null ? RevocationReason.UNSPECIFIED : RevocationReason.parse(s.text("reason"));
                lab.ca().revoke(certificate.certificate().getSerialNumber(), reason, administrator());
                say.add("revoked " + certificate.certificate().getSerialNumber().toString(16) + " (" + reason.rfcName() + "); new CRL at " + lab.ca().crlUrl());
            }
            case REFRESH_CRL -> {
                lab.computer(s.text("host")).crlCache().clear();
                say.add(s.text("host") + " forgot its cached CRLs; it fetches them anew");
            }
            case ADVANCE_CLOCK -> {
                lab.clock().advance(PkiPeriod.parse(s.text("period")));
                say.add("the lab clock moved " + s.text("period") + " to " + lab.clock().instant());
            }
            case CONNECT -> {
                DomainComputer from = lab.computer(s.text("from"));
                IisServer to = lab.iis(s.text("to"));
                String clientTemplate = s.text("client certificate");
                StoredCertificate client = clientTemplate == null || clientTemplate.equalsIgnoreCase("none") ? null
                        : from.clientAuthenticationCertificate(templateName(clientTemplate)).orElseThrow(() -> new IllegalStateException(
                        from.name() + " holds no valid " + clientTemplate + " certificate with Client Authentication"));
                String url = to.url(s.text("name"), s.text("path") == null ? "/" : s.text("path"));
                int refusedBefore = to.clientCertificateRejections().size();
                HttpsResult result = from.get(url, client);
                List<String> refusals = to.clientCertificateRejections();
                if (!result.connected() && client == null && to.sslSettings() == org.pkilab.iis.ClientCertificates.REQUIRE) {
                    // what went over the wire, then what Windows would show: the lab's site refuses in the handshake, where IIS
                    // completes it and answers with an HTTP status
                    throw new IllegalStateException(from.name() + " -> " + url + " failed in the TLS handshake: " + to.name()
                            + " requires a client certificate and " + from.name() + " presented none, so " + to.name() + " ended the "
                            + "handshake with TLS alert 42 bad_certificate and no HTTP was exchanged (openssl s_client: 'alert bad "
                            + "certificate'; curl: exit 56). IIS on Windows completes the handshake and answers HTTP 403.7 Client "
                            + "certificate required, logged as sc-status 403, sc-substatus 7. (" + result.failure() + ")");
                }
                if (!result.connected() && refusals.size() > refusedBefore) {
                    throw new IllegalStateException(from.name() + " -> " + url + " failed: " + to.name() + " refused the client certificate: "
                            + refusals.get(refusals.size() - 1));
                }
                outcome(result, from.name() + " -> " + url + (client == null ? "" : " with " + client.thumbprint()), say);
            }
            case TRUST_ROOT_ON_MAC -> {
                lab.mac(s.text("mac")).trustRoot(lab.ca().certificate());
                say.add(s.text("mac") + " trusts " + lab.ca().certificate().getSubjectX500Principal().getName());
            }
            case ENROLL_MAC -> {
                StoredCertificate issued = lab.mac(s.text("mac")).enroll(lab.ca().estBaseUrl(), templateName(s.text("template")),
                        s.text("user"), lab.password());
                say.add("the keychain of " + s.text("mac") + " now holds:");
                describe(issued, say);
            }
            case INCLUDE -> throw new IllegalStateException("include is resolved when the file is read");
        }
    }

    private String templateName(String nameOrDisplayName) {
        return lab.admin().template(nameOrDisplayName).name();
    }

    private String administrator() {
        return lab.dc().config().netbiosName() + "\\Administrator";
    }

    /** A fresh logon each time: the user's token has the groups they are in now; their store stays. */
    private UserSession session(DomainComputer computer, String user) {
        return computer.logOnUser(lab.admin().dnOf(user), lab.password());
    }

    /** The newest valid certificate of {@code template} in the computer's store (the one just requested). */
    private StoredCertificate certificate(DomainComputer computer, String template) {
        String name = templateName(template);
        return computer.personal().matching(c -> name.equalsIgnoreCase(c.templateName())).stream()
                .filter(c -> c.validAt(lab.clock().instant())).reduce((first, second) -> second)
                .orElseThrow(() -> new IllegalStateException(computer.name() + " holds no valid '" + template + "' certificate in LocalMachine\\My"));
    }

    private void checkCertificate(Scenario.Step s, List<String> say) {
        DomainComputer computer = lab.computer(s.text("host"));
        String name = templateName(s.text("template"));
        var store = s.text("user") == null ? computer.personal() : session(computer, s.text("user")).personal();
        List<StoredCertificate> found = store.matching(c -> name.equalsIgnoreCase(c.templateName()) && c.validAt(lab.clock().instant()));
        if (Boolean.TRUE.equals(s.flag("absent"))) {
            if (!found.isEmpty()) {
                throw new IllegalStateException(store.name() + " of " + computer.name() + " holds a '" + s.text("template") + "' certificate: "
                        + found.get(0).thumbprint());
            }
            say.add(store.name() + " of " + computer.name() + " holds no '" + s.text("template") + "' certificate");
            return;
        }
        if (found.isEmpty()) {
            throw new IllegalStateException(store.name() + " of " + computer.name() + " holds no valid '" + s.text("template")
                    + "' certificate (" + String.format(Locale.ROOT, "AEPolicy 0x%08X", computer.autoEnrollmentPolicy())
                    + (computer.autoEnrollmentPolicy() == 0 ? ": no linked GPO that applies to " + computer.name() + " enables autoenrollment" : "")
                    + (computer.pendingRequests().isEmpty() ? "" : "; request " + computer.pendingRequests()
                    + " is CR_DISP_UNDER_SUBMISSION (5) Taken Under Submission") + "); its event log:\n" + computer.eventLog());
        }
        StoredCertificate c = found.get(0);
        if (s.text("purpose") != null && c.intendedPurposes().stream().noneMatch(p -> p.equalsIgnoreCase(s.text("purpose")))) {
            throw new IllegalStateException("'" + s.text("template") + "' certificate has Intended Purposes " + c.intendedPurposes()
                    + ", not " + s.text("purpose"));
        }
        if (!s.list("dns").isEmpty() && !s.list("dns").equals(c.dnsNames())) {
            throw new IllegalStateException("'" + s.text("template") + "' certificate names " + c.dnsNames() + ", not " + s.list("dns"));
        }
        say.add(store.name() + " of " + computer.name() + ":");
        describe(c, say);
    }

    private static void outcome(HttpsResult result, String what, List<String> say) {
        if (!result.connected()) {
            throw new IllegalStateException(what + " failed: " + result.failure());
        }
        if (result.status() != 200) {
            throw new IllegalStateException(what + " answered HTTP " + result.status());
        }
        say.add(what + ": HTTP 200 over TLS; " + firstLine(result.body()));
    }

    private static String firstLine(String text) {
        String trimmed = text.trim();
        int newline = trimmed.indexOf('\n');
        return newline < 0 ? trimmed : trimmed.substring(0, newline);
    }

    private static void describeStore(DomainComputer computer, List<String> say) {
        List<StoredCertificate> certificates = computer.personal().certificates();
        if (certificates.isEmpty()) {
            say.add("LocalMachine\\My of " + computer.name() + " is empty");
        }
        for (StoredCertificate c : certificates) {
            say.add("LocalMachine\\My of " + computer.name() + " holds:");
            describe(c, say);
        }
    }

    /** The certificate as the snap-in and its details show it. */
    static void describe(StoredCertificate c, List<String> say) {
        X509Certificate x = c.certificate();
        say.add("  Subject: " + (x.getSubjectX500Principal().getName().isEmpty() ? "(empty)" : x.getSubjectX500Principal().getName())
                + "   SAN: " + (c.dnsNames().isEmpty() ? "(none)" : String.join(", ", c.dnsNames())));
        say.add("  Intended Purposes: " + String.join(", ", c.intendedPurposes()) + "   Certificate Template: " + c.certificateTemplate()
                + "   Key: " + c.keyStorage() + (c.exportable() ? ", exportable" : ""));
        say.add("  Thumbprint: " + c.thumbprint() + "   Valid: " + x.getNotBefore().toInstant() + " to " + x.getNotAfter().toInstant());
        say.add("  Issuer: " + x.getIssuerX500Principal().getName());
    }

    private static String names(java.util.Set<AccessRight> rights) {
        return rights.isEmpty() ? "(none)" : String.join(", ", rights.stream().map(AccessRight::displayName).toList());
    }
}
