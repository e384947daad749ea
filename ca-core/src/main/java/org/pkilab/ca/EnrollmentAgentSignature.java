package org.pkilab.ca;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Sequence;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.CngKeySettings;
import org.pkilab.windows.WindowsError;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * Policy step: the template's Issuance Requirements tab, "This number of authorized signatures"
 * ({@code msPKI-RA-Signature}) with its "Policy type required in signature: Application policy"
 * ({@code msPKI-RA-Application-Policies}), and the enrollment agent who signs a request on behalf of another account.
 *
 * <p>An enrollment agent holds a certificate with the Certificate Request Agent application policy
 * ({@value #CERTIFICATE_REQUEST_AGENT}, Windows' "Enrollment Agent" template) and signs another user's request with it,
 * naming the user as {@code RequesterName} ({@link AgentSignedRequest}). The certificate is then the user's: its names
 * and SID extension come from the user's account, and the CA database records the user as requester. The rules, as
 * the enterprise policy module applies them:
 * <ul>
 *   <li>a schema 1 template has no Issuance Requirements tab: any enrollment agent may enroll on behalf of anyone;</li>
 *   <li>a schema 2+ template takes a request for another account only when it asks for at least one authorized
 *       signature ({@code msPKI-RA-Signature} &gt;= 1) whose application policy is Certificate Request Agent; with
 *       0 it refuses: {@code 0x80094806 CERTSRV_E_BAD_RENEWAL_SUBJECT};</li>
 *   <li>a template that asks for a signature refuses a request that carries none ({@code CERTSRV_E_SIGNATURE_COUNT}),
 *       names no policy for it ({@code CERTSRV_E_TEMPLATE_POLICY_REQUIRED}), or whose signer lacks the policy
 *       ({@code CERTSRV_E_SIGNATURE_REJECTED});</li>
 *   <li>the signing certificate was issued by this CA, is within its validity and not revoked, and carries the
 *       Certificate Request Agent policy (a certificate without any EKU, or with Any Purpose, serves every purpose: ESC2);</li>
 *   <li>the agent, the caller, holds Enroll on the template ({@link RequesterMayEnroll} checks the caller's token).</li>
 * </ul>
 *
 * <pre>{@code
 * CONTOSO\alice (Enrollment Agent certificate) → "User" on behalf of CONTOSO\Administrator: ISSUED to Administrator (ESC3)
 * same, template with msPKI-RA-Signature 0     → DENY 0x80094806 CERTSRV_E_BAD_RENEWAL_SUBJECT
 * }</pre>
 *
 * Not modelled: issuance policies required in the signature ({@code msPKI-RA-Policies}) and the CA's enrollment agent
 * restrictions (the CA's Enrollment Agents tab); every agent is unrestricted, as on a new CA.
 */
final class EnrollmentAgentSignature implements IssuancePolicy.Validator {

    /** szOID_ENROLLMENT_AGENT: the Certificate Request Agent application policy. */
    static final String CERTIFICATE_REQUEST_AGENT = "1.3.6.1.4.1.311.20.2.1";
    static final String ANY_PURPOSE = "2.5.29.37.0";
    /** szOID_APPLICATION_CERT_POLICIES: Windows' Application Policies extension, read instead of the EKU when present. */
    static final String APPLICATION_POLICIES = "1.3.6.1.4.1.311.21.10";
    /** The CNG key setting of a schema 3+ template that names the signature's application policy. */
    static final String RA_APPLICATION_POLICIES = org.pkilab.directory.model.TemplateProperties.RA_APPLICATION_POLICIES;

    /**
     * What the CA found out about an agent's signature before the policy module runs.
     *
     * @param signed       the request as read
     * @param caller       the account that sent it (the agent)
     * @param callerDn     its DN
     * @param issuedHere   the signing certificate was signed by this CA's key
     * @param revoked      this CA's database lists the signing certificate as revoked
     * @param target       the account {@code RequesterName} names, read from the directory; null when it names none or
     *                     no account has that name
     * @param unmapped     why {@code RequesterName} names no user or computer of the domain; null when it names one or is absent
     */
    record Agent(AgentSignedRequest signed, String caller, String callerDn, boolean issuedHere, boolean revoked,
                 CaDirectory.Account target, String unmapped) {

        /** Whether {@code RequesterName} names an account other than the caller. */
        boolean onBehalfOfAnother() {
            String named = signed.requesterName();
            if (named == null || named.isEmpty()) {
                return false;
            }
            return target == null || !target.dn().equalsIgnoreCase(callerDn);
        }
    }

    @Override
    public Decision check(IssuanceFacts facts) {
        if (facts.submission() == IssuanceFacts.Submission.CERTIFICATE_SERVICES) {
            return Decision.proceed();
        }
        CertificateTemplate template = facts.template();
        int required = template.schemaVersion() >= 2 ? template.raSignatures() : 0;
        Agent agent = facts.agent();
        String caller = facts.requesterName();
        if (agent == null) {
            if (required > 0 && facts.submission() == IssuanceFacts.Submission.REQUESTER) {
                return Decision.deny(WindowsError.CERTSRV_E_SIGNATURE_COUNT, facts.templateDisplay() + " requires " + required
                                + " authorized signature" + (required == 1 ? "" : "s") + " (Issuance Requirements: 'This number of "
                                + "authorized signatures', msPKI-RA-Signature " + required + "), and the request from " + caller + " carries none",
                        "have an enrollment agent sign the request with its Certificate Request Agent certificate, or set 'This number "
                                + "of authorized signatures' to 0 on the template's Issuance Requirements tab");
            }
            return Decision.proceed();
        }
        AgentSignedRequest signed = agent.signed();
        X509Certificate signer = signed.signer();
        String signerText = "the certificate that signed it (" + signer.getSubjectX500Principal().getName() + ", serial "
                + signer.getSerialNumber().toString(16) + ")";
        if (!signed.signatureVerifies()) {
            return Decision.deny(WindowsError.NTE_BAD_SIGNATURE, "the enrollment agent signature on the request from " + caller
                    + " does not verify with " + signerText, "sign the request with the key of the certificate the message carries");
        }
        boolean forAnother = agent.onBehalfOfAnother();
        if (!forAnother && required == 0) {
            return Decision.proceed();
        }
        String onBehalf = forAnother ? " on behalf of " + signed.requesterName() : "";
        if (forAnother && agent.target() == null) {
            return Decision.deny(WindowsError.ERROR_NONE_MAPPED, caller + " asks for " + facts.templateDisplay() + onBehalf
                            + ", but RequesterName " + (agent.unmapped() == null ? "names no account in " + facts.domainDnsName() : agent.unmapped()),
                    "name the user or computer as DOMAIN\\sAMAccountName of " + facts.domainDnsName() + ", for example CONTOSO\\Administrator");
        }
        if (forAnother && template.schemaVersion() >= 2 && required == 0) {
            return Decision.deny(WindowsError.CERTSRV_E_BAD_RENEWAL_SUBJECT, caller + " asks for " + facts.templateDisplay() + onBehalf
                            + ", but the template's Issuance Requirements ask for no authorized signature (msPKI-RA-Signature 0), so it "
                            + "issues only to the account that asks",
                    "let " + signed.requesterName() + " request it; or, to allow enrollment agents, set 'This number of authorized "
                            + "signatures' to 1 with the application policy Certificate Request Agent on the Issuance Requirements tab");
        }
        if (!agent.issuedHere()) {
            return Decision.deny(WindowsError.CERT_E_UNTRUSTEDROOT, caller + " signed the request for " + facts.templateDisplay() + onBehalf
                            + " with " + signerText + ", issued by " + signer.getIssuerX500Principal().getName() + ", not by " + facts.caName(),
                    "sign with an enrollment agent certificate " + facts.caName() + " issued (template EnrollmentAgent)");
        }
        if (facts.now().isBefore(signer.getNotBefore().toInstant()) || facts.now().isAfter(signer.getNotAfter().toInstant())) {
            return Decision.deny(WindowsError.CERT_E_EXPIRED, caller + " signed the request for " + facts.templateDisplay() + onBehalf
                    + " with " + signerText + ", valid from " + signer.getNotBefore().toInstant() + " to " + signer.getNotAfter().toInstant()
                    + ", not now (" + facts.now() + ")", "renew the enrollment agent certificate and sign with the new one");
        }
        if (agent.revoked()) {
            return Decision.deny(WindowsError.CRYPT_E_REVOKED, caller + " signed the request for " + facts.templateDisplay() + onBehalf
                    + " with " + signerText + ", which " + facts.caName() + " has revoked", "enroll for a new enrollment agent certificate");
        }
        List<String> signerPolicies = applicationPolicies(signer);
        if (!servesAsAgent(signerPolicies)) {
            return Decision.deny(WindowsError.CERTSRV_E_SIGNATURE_REJECTED, caller + " signed the request for " + facts.templateDisplay()
                            + onBehalf + " with " + signerText + ", which is no enrollment agent certificate: its application policies are "
                            + signerPolicies + ", without Certificate Request Agent (" + CERTIFICATE_REQUEST_AGENT + ")",
                    "enroll for an Enrollment Agent certificate (Certificate Request Agent) and sign with it");
        }
        if (required > 0) {
            List<String> templatePolicies = raApplicationPolicies(template);
            if (templatePolicies.isEmpty()) {
                return Decision.deny(WindowsError.CERTSRV_E_TEMPLATE_POLICY_REQUIRED, facts.templateDisplay() + " requires " + required
                                + " authorized signature(s) but names no application policy the signature must carry (msPKI-RA-Application-Policies)",
                        "on the template's Issuance Requirements tab choose 'Application policy: Certificate Request Agent'");
            }
            if (templatePolicies.stream().noneMatch(p -> signerPolicies.contains(p) || signerPolicies.isEmpty()
                    || signerPolicies.contains(ANY_PURPOSE))) {
                return Decision.deny(WindowsError.CERTSRV_E_SIGNATURE_REJECTED, facts.templateDisplay() + " requires a signature with the "
                                + "application policy " + templatePolicies + " (msPKI-RA-Application-Policies); " + signerText + " of " + caller
                                + " carries " + signerPolicies,
                        "sign with a certificate that carries " + templatePolicies + ", or change the policy on the template's Issuance Requirements tab");
            }
            if (required > 1) {
                return Decision.deny(WindowsError.CERTSRV_E_SIGNATURE_COUNT, facts.templateDisplay() + " requires " + required
                                + " authorized signatures (msPKI-RA-Signature " + required + "); the request from " + caller + " carries one",
                        "set 'This number of authorized signatures' to 1 on the template's Issuance Requirements tab");
            }
        }
        return Decision.proceed();
    }

    /** The certificate's application policies: the Application Policies extension when present, else the EKU; empty for neither. */
    static List<String> applicationPolicies(X509Certificate certificate) {
        byte[] extension = certificate.getExtensionValue(APPLICATION_POLICIES);
        if (extension != null) {
            List<String> out = new ArrayList<>();
            ASN1Sequence policies = ASN1Sequence.getInstance(org.bouncycastle.asn1.ASN1OctetString.getInstance(extension).getOctets());
            for (int i = 0; i < policies.size(); i++) {
                out.add(ASN1ObjectIdentifier.getInstance(ASN1Sequence.getInstance(policies.getObjectAt(i)).getObjectAt(0)).getId());
            }
            return out;
        }
        try {
            List<String> eku = certificate.getExtendedKeyUsage();
            return eku == null ? List.of() : List.copyOf(eku);
        } catch (CertificateParsingException e) {
            return List.of();
        }
    }

    /** Whether a certificate with these policies may sign as an enrollment agent: it names the policy, Any Purpose, or none. */
    static boolean servesAsAgent(List<String> policies) {
        return policies.isEmpty() || policies.contains(CERTIFICATE_REQUEST_AGENT) || policies.contains(ANY_PURPOSE);
    }

    /**
     * The application policies the template asks the signature to carry: {@code msPKI-RA-Application-Policies} values of a
     * schema 2 template, or the {@value #RA_APPLICATION_POLICIES} setting inside a schema 3+ template's key settings.
     */
    static List<String> raApplicationPolicies(CertificateTemplate template) {
        List<String> out = new ArrayList<>();
        for (String value : template.raApplicationPolicies()) {
            if (CngKeySettings.isKeySettings(value)) {
                String named = CngKeySettings.parse(value).get(RA_APPLICATION_POLICIES);
                if (named != null && !named.isBlank()) {
                    for (String oid : named.split("[,;]")) {
                        out.add(oid.strip());
                    }
                }
            } else if (!value.isBlank()) {
                out.add(value.strip());
            }
        }
        return out;
    }
}
