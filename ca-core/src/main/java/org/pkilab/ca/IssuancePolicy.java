package org.pkilab.ca;

import org.pkilab.windows.WindowsError;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The enterprise policy module: the checks AD CS makes before it signs, as small steps over
 * {@link IssuanceFacts} gathered before the first one runs. As smallstep's sign options do, it keeps
 * <em>validators</em>, which decide ({@link Decision}), apart from <em>modifiers</em>, which build the
 * certificate ({@link CertificateDraft}) and never refuse. Validators, in order:
 * <ol>
 *   <li>{@link RequesterMayUseCa}: the CA's own Security tab lets the requester Request Certificates;</li>
 *   <li>{@link TemplateIssuedHere}: the template exists and is on this CA's "Certificate Templates to Issue" list;</li>
 *   <li>{@link RenewalKeepsTemplateAndNames}: a renewal keeps the renewed certificate's template, subject and names;</li>
 *   <li>{@link RequesterMayEnroll}: the requester's logon token holds Enroll (and Autoenroll for autoenrollment);</li>
 *   <li>{@link EnrollmentAgentSignature}: the Issuance Requirements' authorized signatures, and an enrollment agent's
 *       request on behalf of another account;</li>
 *   <li>{@link SubjectNamesAvailable}: the names the template's Subject Name tab asks for can be had;</li>
 *   <li>{@link KeyMeetsTemplate}: the key is within the CA's ceiling, signs the request, and fits the Cryptography tab;</li>
 *   <li>{@link ManagerApproval}: "CA certificate manager approval" holds the request as pending.</li>
 * </ol>
 * The first that does not proceed decides. Then the modifiers build the draft:
 * {@link SubjectNamesFromTemplate}, {@link ValidityFromTemplate}, {@link RequestedApplicationPolicies} (a schema 1
 * template lets the request's Application Policies in, ESC15), {@link ExtensionsDisabledByCa} (the CA's
 * {@code DisableExtensionList}, ESC16). The signer signs the draft and never decides anything.
 *
 * <p>Before any of this, the input must be a request at all (the CA records only requests): a PKCS #10
 * request whose key can be read ({@link Pkcs10Request#parse}), and a label that can be a template name
 * ({@link #labelCanNameATemplate}).
 */
final class IssuancePolicy {

    /** A check: proceed, pend or deny, from the facts alone. */
    interface Validator {
        Decision check(IssuanceFacts facts);
    }

    /** A builder step: the draft with what the facts say; it never refuses (a validator has checked first). */
    interface Modifier {
        CertificateDraft apply(IssuanceFacts facts, CertificateDraft draft);
    }

    /** What the policy module concluded: the decision, and the draft to sign when it proceeds (else null). */
    record Evaluation(Decision decision, CertificateDraft draft) {
    }

    private static final Pattern TEMPLATE_NAME = Pattern.compile("[\\p{L}\\p{N}]([\\p{L}\\p{N} ._()-]{0,62}[\\p{L}\\p{N})])?");

    private final List<Validator> validators;
    private final List<Modifier> modifiers;

    IssuancePolicy() {
        this(List.of(new RequesterMayUseCa(), new TemplateIssuedHere(), new RenewalKeepsTemplateAndNames(), new RequesterMayEnroll(), new EnrollmentAgentSignature(),
                new SubjectNamesAvailable(), new KeyMeetsTemplate(), new ManagerApproval()), List.of(new SubjectNamesFromTemplate(),
                new ValidityFromTemplate(), new RequestedApplicationPolicies(), new ExtensionsDisabledByCa()));
    }

    IssuancePolicy(List<Validator> validators, List<Modifier> modifiers) {
        this.validators = List.copyOf(validators);
        this.modifiers = List.copyOf(modifiers);
    }

    /** Runs the validators in order; when all proceed, the modifiers build the draft. */
    Evaluation evaluate(IssuanceFacts facts) {
        for (Validator validator : validators) {
            Decision decision = validator.check(facts);
            if (!decision.proceeds()) {
                return new Evaluation(decision, null);
            }
        }
        CertificateDraft draft = CertificateDraft.of(facts.template(), facts.csr().subjectPublicKeyInfo());
        for (Modifier modifier : modifiers) {
            draft = modifier.apply(facts, draft);
        }
        return new Evaluation(Decision.proceed(), draft);
    }

    /** Whether {@code label} can be a template's name or display name; nothing else is looked up in the directory. */
    static boolean isTemplateName(String label) {
        return label != null && TEMPLATE_NAME.matcher(label).matches() && !label.contains("..");
    }

    /** Refuses a label that cannot be a template name before anything is looked up with it. */
    static Decision labelCanNameATemplate(String label) {
        if (!isTemplateName(label)) {
            return Decision.deny(WindowsError.CERTSRV_E_UNSUPPORTED_CERT_TYPE, "'" + RequestedNames.printable(label == null ? "" : label)
                            + "' is not a certificate template name: template names are 1 to 64 letters, digits, spaces, '.', '_', '-', '(' and ')'",
                    "name a template by its template name (WebServer) or display name (Web Server)");
        }
        return Decision.proceed();
    }
}
