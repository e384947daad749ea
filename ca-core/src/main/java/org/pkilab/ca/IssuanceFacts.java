package org.pkilab.ca;

import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.enrollment.CaRegistrySettings;

import java.time.Instant;
import java.util.List;

/**
 * Everything the policy module decides from, gathered before the first step runs and never changed
 * after: the request and its parsed PKCS #10, the requester's logon token (inside the request), the
 * template the label names with this CA's "Certificate Templates to Issue" list, the requester's directory
 * account when the template builds names from it, and the CA's own facts. Steps read it; a step needs no
 * directory and no DER parser, so it can be tried with facts made in memory:
 *
 * <pre>{@code
 * IssuanceFacts facts = IssuanceFacts.builder(EnrollmentRequest.manual(token, "WebServer", der), parsedCsr)
 *         .template(webServer).issueList(List.of("WebServer")).caName("contoso-CA").build();
 * new RequesterMayEnroll().check(facts);   // CERTSRV_E_TEMPLATE_DENIED unless the token holds Enroll
 * }</pre>
 *
 * @param template    the template the label names, or null when the directory holds none by that name
 * @param issueList   the CA's "Certificate Templates to Issue", template names
 * @param account     the requester's account, read only when the template builds names from the directory
 * @param caNotAfter  the end of the CA certificate's validity, which no certificate it issues outlives
 * @param submission  who stands behind the request: its requester, a certificate manager, or the CA itself
 * @param registry    the CA's registry settings when the request came ({@code EditFlags}, {@code DisableExtensionList} ...)
 * @param caAccess    the CA's own Security tab on the requester: may it Request Certificates ({@link CaSecurity#mayEnroll})
 * @param agent       what the CA found out about an enrollment agent's signature on the request; null for a bare PKCS #10
 * @param renewedTemplate the template the certificate a renewal renews was issued from, as the CA database recorded it; null
 *                    for a request that renews nothing, or a certificate the database has no template for
 */
record IssuanceFacts(EnrollmentRequest request, Pkcs10Request csr, Instant now, CertificateTemplate template, List<String> issueList,
                     CaDirectory.Account account, String caName, String domainDnsName, Instant caNotAfter, Submission submission,
                     CaRegistrySettings registry, Decision caAccess, EnrollmentAgentSignature.Agent agent, String renewedTemplate) {

    /** Who stands behind a request, which decides the checks it still needs. */
    enum Submission {
        /** Sent by its requester: every check runs. */
        REQUESTER,
        /** Resubmitted by a certificate manager: rights were checked when it was submitted, and approval is given. */
        APPROVED,
        /**
         * The CA's own web-server certificate, asked for by Certificate Services itself as the local
         * administrator enrolls the CA's IIS: it needs neither a place on the issue list, nor Enroll on the
         * template, nor approval; names, key and validity are checked and built as for any request.
         */
        CERTIFICATE_SERVICES
    }

    IssuanceFacts {
        if (request == null || csr == null || now == null || caNotAfter == null || submission == null || registry == null || caAccess == null) {
            throw new IllegalArgumentException("issuance facts need a request, its PKCS #10, a time, the CA's end, a submission, "
                    + "the CA's registry settings and the CA's access check");
        }
        issueList = List.copyOf(issueList);
    }

    static Builder builder(EnrollmentRequest request, Pkcs10Request csr) {
        return new Builder(request, csr);
    }

    String requesterName() {
        return request.requester().account();
    }

    /** Whether an enrollment agent asks for another account ({@code RequesterName} names someone else than the caller). */
    boolean onBehalfOfAnother() {
        return agent != null && agent.onBehalfOfAnother();
    }

    /** {@code 'Web Server' (WebServer)}, or the label as sent when no template has that name. */
    String templateDisplay() {
        return template == null ? request.templateLabel() : "'" + template.displayName() + "' (" + template.name() + ")";
    }

    boolean templateOnIssueList() {
        return template != null && issueList.stream().anyMatch(template.name()::equalsIgnoreCase);
    }

    /** Builds facts; what is left unset is the strictest choice (no template, empty issue list, a requester's own submission). */
    static final class Builder {
        private final EnrollmentRequest request;
        private final Pkcs10Request csr;
        private Instant now = Instant.now();
        private CertificateTemplate template;
        private List<String> issueList = List.of();
        private CaDirectory.Account account;
        private String caName = "CA";
        private String domainDnsName = "";
        private Instant caNotAfter = Instant.MAX;
        private Submission submission = Submission.REQUESTER;
        private CaRegistrySettings registry = CaRegistrySettings.DEFAULT;

        private Decision caAccess = Decision.proceed();
        private EnrollmentAgentSignature.Agent agent;
        private String renewedTemplate;

        private Builder(EnrollmentRequest request, Pkcs10Request csr) {
            this.request = request;
            this.csr = csr;
        }

        /** If unset, the machine's clock when the builder was made. */
        Builder now(Instant now) {
            this.now = now;
            return this;
        }

        /** If unset, no template: the label names none. */
        Builder template(CertificateTemplate template) {
            this.template = template;
            return this;
        }

        /** If unset, the CA issues no template. */
        Builder issueList(List<String> issueList) {
            this.issueList = issueList;
            return this;
        }

        /** If unset, no account was read (the template's names come from the request). */
        Builder account(CaDirectory.Account account) {
            this.account = account;
            return this;
        }

        /** If unset, "CA". */
        Builder caName(String caName) {
            this.caName = caName;
            return this;
        }

        /** If unset, empty: only Kerberos Authentication names the domain. */
        Builder domainDnsName(String domainDnsName) {
            this.domainDnsName = domainDnsName;
            return this;
        }

        /** If unset, no end: validity is the template's alone. */
        Builder caNotAfter(Instant caNotAfter) {
            this.caNotAfter = caNotAfter;
            return this;
        }

        /** If unset, {@link Submission#REQUESTER}: every check runs. */
        Builder submission(Submission submission) {
            this.submission = submission;
            return this;
        }

        /** If unset, {@link CaRegistrySettings#DEFAULT}: a new enterprise CA's. */
        Builder registry(CaRegistrySettings registry) {
            this.registry = registry;
            return this;
        }

        /** If unset, the CA's Security allows the requester to Request Certificates. */
        Builder caAccess(Decision caAccess) {
            this.caAccess = caAccess;
            return this;
        }

        /** If unset, the request is a bare PKCS #10, signed by nobody but its own key. */
        Builder agent(EnrollmentAgentSignature.Agent agent) {
            this.agent = agent;
            return this;
        }

        /** If unset, none: a renewal is then refused, as its certificate's template is unknown. */
        Builder renewedTemplate(String renewedTemplate) {
            this.renewedTemplate = renewedTemplate;
            return this;
        }

        IssuanceFacts build() {
            return new IssuanceFacts(request, csr, now, template, issueList, account, caName, domainDnsName, caNotAfter, submission,
                    registry, caAccess, agent, renewedTemplate);
        }
    }
}
