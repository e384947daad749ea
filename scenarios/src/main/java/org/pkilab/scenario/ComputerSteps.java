package org.pkilab.scenario;

import org.pkilab.directory.model.PkiPeriod;
import org.pkilab.host.CertificateRequest;
import org.pkilab.directory.model.ApplicationPolicy;
import org.pkilab.host.CertificateLogon;
import org.pkilab.host.DomainComputer;
import org.pkilab.host.HttpsResult;
import org.pkilab.host.StoredCertificate;
import org.pkilab.host.UserSession;
import org.pkilab.iis.ClientCertificates;
import org.pkilab.iis.IisServer;
import org.pkilab.lab.Lab;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;

/**
 * The steps taken on the lab's computers themselves: restarting them, {@code gpupdate}, the Certificates
 * snap-in (request, check, export), IIS Manager and Configuration Manager roles on the member servers,
 * HTTPS connections between them, the Macs' keychains, and the lab's clock. A computer does what the real
 * one would, over the network to the DC and the CA; the narration shows its store as the snap-in does.
 */
final class ComputerSteps {

    private final Lab lab;
    private final Path workFolder;

    /** @param workFolder where exported PFX files go */
    ComputerSteps(Lab lab, Path workFolder) {
        this.lab = lab;
        this.workFolder = workFolder;
    }

    void execute(Scenario.Step s, List<String> say) {
        switch (s.verb()) {
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
                if (s.text("upn") != null) {
                    request = request.upn(s.text("upn"));
                }
                if (s.text("sid") != null) {
                    // an attacker reads any account's objectSid with ldapsearch; the step takes the SID or the account's name
                    request = request.sid(s.text("sid").startsWith("S-1-") ? s.text("sid")
                            : lab.admin().usersAndComputers().sidOf(s.text("sid")).toString());
                }
                if (!s.list("application policies").isEmpty()) {
                    request = request.applicationPolicies(s.list("application policies").stream().map(ApplicationPolicy::oidOf).toList());
                }
                if (s.text("san attribute") != null) {
                    request = request.sanAttribute(s.text("san attribute"));
                }
                StoredCertificate issued;
                if (s.text("on behalf of") != null) {
                    // Enroll On Behalf Of: the user's Certificate Request Agent certificate signs a request for the other account
                    UserSession agent = session(computer, s.text("user"));
                    // the snap-in's user picker names the account DOMAIN\sAMAccountName, the one form the CA takes as RequesterName
                    String target = s.text("on behalf of").contains("\\") ? s.text("on behalf of")
                            : lab.dc().names().defaultNetbiosName() + "\\" + s.text("on behalf of");
                    issued = s.text("agent template") == null ? agent.requestOnBehalfOf(s.text("template"), target)
                            : agent.requestOnBehalfOf(s.text("template"), target,
                            newest(agent.personal(), s.text("agent template"), computer));
                    say.add("signed with " + s.text("user") + "'s enrollment agent certificate, on behalf of " + s.text("on behalf of"));
                } else {
                    issued = s.text("user") == null ? computer.requestCertificate(request) : session(computer, s.text("user")).requestCertificate(request);
                }
                say.add((s.text("user") == null ? "LocalMachine\\My of " + computer.name() : "CurrentUser\\My of " + s.text("user"))
                        + " now holds:");
                describe(issued, say);
            }
            case CHECK_CERTIFICATE -> checkCertificate(s, say);
            case LOGON_WITH_CERTIFICATE -> logOnWithCertificate(s, say);
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
            case REFRESH_CRL -> {
                lab.computer(s.text("host")).crlCache().clear();
                say.add(s.text("host") + " forgot its cached CRLs; it fetches them anew");
            }
            case REFRESH_OCSP -> {
                int forgotten = lab.computer(s.text("host")).ocspCache().clear();
                say.add(s.text("host") + " forgot its " + forgotten + " cached OCSP answer(s); it asks the Online Responder anew");
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
                if (!result.connected() && client == null && to.sslSettings() == ClientCertificates.REQUIRE) {
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
            default -> throw new IllegalArgumentException("'" + s.verb().text() + "' is not done on a computer");
        }
    }

    /** Whether {@code c} came from the template named {@code name}, whichever of its names the request used. */
    private boolean isOf(StoredCertificate c, String name) {
        if (name.equalsIgnoreCase(c.templateName()) || name.equalsIgnoreCase(c.certificateTemplate()) || c.templateName() == null) {
            return c.templateName() != null;
        }
        try {
            // a request retrieved later knows its template by the label it was sent with, which may be the display name
            return name.equalsIgnoreCase(templateName(c.templateName()));
        } catch (RuntimeException e) {
            return false;
        }
    }

    private String templateName(String nameOrDisplayName) {
        return lab.admin().templates().get(nameOrDisplayName).name();
    }

    /** A fresh logon each time: the user's token has the groups they are in now; their store stays. */
    private UserSession session(DomainComputer computer, String user) {
        return computer.logOnUser(lab.admin().usersAndComputers().dnOf(user), lab.password());
    }

    /** The newest valid certificate of {@code template} in {@code user}'s CurrentUser\My on {@code computer}. */
    StoredCertificate userCertificate(DomainComputer computer, String user, String template) {
        return newest(session(computer, user).personal(), template, computer);
    }

    /** {@code user} fetches request {@code id} on {@code computer}, which holds its key ({@code certreq -retrieve}). */
    StoredCertificate retrieve(DomainComputer computer, String user, long id) {
        return session(computer, user).retrieve(id);
    }

    private StoredCertificate newest(org.pkilab.host.CertificateStore store, String template, DomainComputer computer) {
        return newestValid(store, template).orElseThrow(() -> new IllegalStateException(store.name() + " of " + computer.name()
                + " holds no valid '" + template + "' certificate"));
    }

    /** The newest certificate of {@code template} in {@code store} that is valid by the lab clock (the last one enrolled). */
    private java.util.Optional<StoredCertificate> newestValid(org.pkilab.host.CertificateStore store, String template) {
        String name = templateName(template);
        return store.matching(c -> isOf(c, name)).stream().filter(c -> c.validAt(lab.clock().instant())).reduce((first, second) -> second);
    }

    /** The newest valid certificate of {@code template} in the computer's store (the one just requested). */
    StoredCertificate certificate(DomainComputer computer, String template) {
        return newestValid(computer.personal(), template)
                .orElseThrow(() -> new IllegalStateException(computer.name() + " holds no valid '" + template + "' certificate in LocalMachine\\My"));
    }

    /**
     * Schannel logon at the DC with the newest valid certificate of the template in the store: who the DC says the
     * certificate is, and, when asked, proof of what that account may do (adding the attacker to a group).
     */
    private void logOnWithCertificate(Scenario.Step s, List<String> say) {
        DomainComputer computer = lab.computer(s.text("host"));
        var store = s.text("user") == null ? computer.personal() : session(computer, s.text("user")).personal();
        StoredCertificate certificate = newestValid(store, s.text("template"))
                .orElseThrow(() -> new IllegalStateException(store.name() + " of " + computer.name() + " holds no valid '" + s.text("template")
                        + "' certificate to log on with"));
        try (CertificateLogon.Session logon = computer.logOnWithCertificate(certificate)) {
            say.add("LDAP StartTLS + SASL EXTERNAL with " + certificate.thumbprint() + " (" + certificate.issuedTo() + ", SAN "
                    + String.join(", ", certificate.subjectAlternativeNames()) + "): the DC says " + logon.whoAmI());
            if (s.text("add to group") != null) {
                String member = s.text("member") != null ? s.text("member") : s.text("user");
                if (member == null) {
                    throw new IllegalArgumentException("'add to group' needs the account to add: give 'member' (or 'user')");
                }
                logon.directory().usersAndComputers().addMember(s.text("add to group"), member);
                say.add("as " + logon.whoAmI() + ": added " + member + " to " + s.text("add to group"));
            }
        }
    }

    private void checkCertificate(Scenario.Step s, List<String> say) {
        DomainComputer computer = lab.computer(s.text("host"));
        String name = templateName(s.text("template"));
        var store = s.text("user") == null ? computer.personal() : session(computer, s.text("user")).personal();
        List<StoredCertificate> found = store.matching(c -> isOf(c, name) && c.validAt(lab.clock().instant()));
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

    static void describeStore(DomainComputer computer, List<String> say) {
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
                + "   SAN: " + (c.subjectAlternativeNames().isEmpty() ? "(none)" : String.join(", ", c.subjectAlternativeNames().stream()
                .map(n -> n.startsWith("DNS Name=") ? n.substring("DNS Name=".length()) : n).toList())));
        say.add("  Intended Purposes: " + String.join(", ", c.intendedPurposes()) + "   Certificate Template: " + c.certificateTemplate()
                + "   Key: " + c.keyStorage() + (c.exportable() ? ", exportable" : ""));
        say.add("  Thumbprint: " + c.thumbprint() + "   Valid: " + x.getNotBefore().toInstant() + " to " + x.getNotAfter().toInstant());
        say.add("  Issuer: " + x.getIssuerX500Principal().getName());
    }
}
