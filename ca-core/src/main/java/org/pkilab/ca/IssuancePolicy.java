package org.pkilab.ca;

import org.pkilab.windows.WindowsError;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.AccessRight;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.KeyAlgorithm;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.TemplateFlags.CertificateName;

import javax.security.auth.x500.X500Principal;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The enterprise policy module: the checks AD CS makes before it signs, each a small step that returns
 * a {@link Decision}. First, whether the input is a request at all (the CA records only requests):
 * <ol>
 *   <li>the body is a PKCS #10 request whose key can be read;</li>
 *   <li>the label can be a template name (letters, digits, spaces, {@code . _ - ( )}, at most 64).</li>
 * </ol>
 * Then, for a request, in order:
 * <ol>
 *   <li>the template exists and is on this CA's "Certificate Templates to Issue" list;</li>
 *   <li>the requester's logon token holds Enroll on the template (and Autoenroll for autoenrollment);</li>
 *   <li>subject and alternative names: from the request ("Supply in the request", checked by
 *       {@link RequestedNames}) or built from the requester's directory account;</li>
 *   <li>the key is not above the CA's ceiling ({@value #MAX_RSA_KEY_BITS} bits), the request's signature
 *       verifies, and the key is at least the template's minimum size;</li>
 *   <li>validity from the template, capped by the CA certificate's;</li>
 *   <li>"CA certificate manager approval" holds the request as pending.</li>
 * </ol>
 * The first step that does not proceed decides; the signer never decides anything.
 */
final class IssuancePolicy {

    /** One check of the policy module. */
    interface Step {
        Decision apply(IssuanceContext ctx);
    }

    private static final ASN1ObjectIdentifier UPN = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.20.2.3");
    private static final Duration CLOCK_SKEW = Duration.ofMinutes(10);
    /**
     * The largest RSA key the CA certifies. Windows' providers make keys up to 16,384 bits, but past 8,192
     * a key buys no security worth having and makes every TLS handshake with its certificate slow; the
     * JDK cannot even read one past 16,384 bits.
     */
    static final int MAX_RSA_KEY_BITS = 8192;
    private static final Pattern TEMPLATE_NAME = Pattern.compile("[\\p{L}\\p{N}]([\\p{L}\\p{N} ._()-]{0,62}[\\p{L}\\p{N})])?");

    private final DirectoryAdmin templates;
    private final CaDirectory directory;
    private final String caName;
    private final Supplier<X509Certificate> caCertificate;
    private final List<Step> admission;
    private final List<Step> steps;

    IssuancePolicy(DirectoryAdmin templates, CaDirectory directory, String caName, Supplier<X509Certificate> caCertificate) {
        this.templates = templates;
        this.directory = directory;
        this.caName = caName;
        this.caCertificate = caCertificate;
        this.admission = List.of(this::wellFormedRequest, this::labelCanNameATemplate);
        this.steps = List.of(this::templateIssuedHere, this::requesterMayEnroll, this::subjectAndAlternativeNames, this::keyMeetsTemplate,
                this::validityFromTemplate, this::approval);
    }

    /**
     * A decision and the context it was reached in. {@code request} is false when the input was refused
     * before it was a request (no PKCS #10, no possible template name): such input is not recorded.
     */
    record Evaluation(Decision decision, IssuanceContext context, boolean request) {
    }

    /**
     * Runs the steps in order and returns the first decision that does not proceed. Templates come from
     * the CA's cache; a refusal is checked once more against the directory itself, so that a right
     * granted a moment ago never loses to a cache the change notification has not reached yet.
     */
    Evaluation evaluate(IssuanceContext ctx) {
        Decision admitted = run(admission, ctx);
        if (!admitted.proceeds()) {
            return new Evaluation(admitted, ctx, false);
        }
        Decision decision = run(steps, ctx);
        if (decision.outcome() == Decision.Outcome.DENY && !ctx.freshDirectory && ctx.template != null) {
            IssuanceContext fresh = ctx.again();
            fresh.freshDirectory = true;
            run(admission, fresh);
            return new Evaluation(run(steps, fresh), fresh, true);
        }
        return new Evaluation(decision, ctx, true);
    }

    /** Whether {@code label} can be a template's name or display name; nothing else is looked up in the directory. */
    static boolean isTemplateName(String label) {
        return label != null && TEMPLATE_NAME.matcher(label).matches() && !label.contains("..");
    }

    private static Decision run(List<Step> steps, IssuanceContext ctx) {
        for (Step step : steps) {
            Decision decision = step.apply(ctx);
            if (!decision.proceeds()) {
                return decision;
            }
        }
        return Decision.proceed();
    }

    private Decision wellFormedRequest(IssuanceContext ctx) {
        String fix = "send a base64 DER certificate request, for example from 'openssl req -new -outform DER'";
        byte[] der = ctx.request.csr();
        try {
            PKCS10CertificationRequest parsed = new PKCS10CertificationRequest(der);
            byte[] reencoded = parsed.getEncoded();
            if (!java.util.Arrays.equals(reencoded, der)) {
                return Decision.deny(WindowsError.CRYPT_E_ASN1_BADTAG, "the request from " + ctx.requesterName() + " is not DER: its "
                        + der.length + " bytes hold a request of " + reencoded.length + " bytes and something more or different", fix);
            }
            ctx.csr = new JcaPKCS10CertificationRequest(parsed);
        } catch (Exception | StackOverflowError e) {
            return Decision.deny(WindowsError.CRYPT_E_ASN1_BADTAG, "the " + der.length + " bytes from " + ctx.requesterName()
                    + " are not a PKCS #10 certificate request: " + RequestedNames.printable(String.valueOf(e.getMessage())), fix);
        }
        try {
            ctx.publicKey = publicKey(ctx.csr);
        } catch (Exception e) {
            // an RSA key too large for the JDK to read is still a request: the key step refuses it by its size
            if (rsaModulusBits(ctx) <= MAX_RSA_KEY_BITS) {
                return Decision.deny(WindowsError.CRYPT_E_ASN1_BADTAG, "the public key in the request from " + ctx.requesterName()
                        + " cannot be read (" + ctx.csr.getSubjectPublicKeyInfo().getAlgorithm().getAlgorithm().getId() + "): "
                        + RequestedNames.printable(innermostMessage(e)), "use an RSA or EC key");
            }
        }
        return Decision.proceed();
    }

    /** What the deepest cause says, without the exception class names the JCA wraps it in. */
    private static String innermostMessage(Throwable e) {
        String message = String.valueOf(e.getMessage());
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null) {
                message = t.getMessage();
            }
        }
        return message.replaceAll("\\b(?:java|javax|sun|org)\\.[\\w.$]+(?:Exception|Error):\\s*", "");
    }

    /** The modulus size of an RSA key read straight from the request's ASN.1, or -1 when it is no RSA key. */
    private static int rsaModulusBits(IssuanceContext ctx) {
        try {
            org.bouncycastle.asn1.x509.SubjectPublicKeyInfo info = ctx.csr.getSubjectPublicKeyInfo();
            if (!PKCSObjectIdentifiers.rsaEncryption.equals(info.getAlgorithm().getAlgorithm())) {
                return -1;
            }
            return org.bouncycastle.asn1.pkcs.RSAPublicKey.getInstance(info.parsePublicKey()).getModulus().bitLength();
        } catch (Exception e) {
            return -1;
        }
    }

    private Decision labelCanNameATemplate(IssuanceContext ctx) {
        String label = ctx.request.templateLabel();
        if (!isTemplateName(label)) {
            return Decision.deny(WindowsError.CERTSRV_E_UNSUPPORTED_CERT_TYPE, "'" + RequestedNames.printable(label == null ? "" : label)
                    + "' is not a certificate template name: template names are 1 to 64 letters, digits, spaces, '.', '_', '-', '(' and ')'",
                    "name a template by its template name (WebServer) or display name (Web Server)");
        }
        return Decision.proceed();
    }

    /** RSA and EC keys through a KeyFactory kept per thread; anything else as Bouncy Castle finds it. */
    private static PublicKey publicKey(JcaPKCS10CertificationRequest csr) throws Exception {
        String algorithm = switch (csr.getSubjectPublicKeyInfo().getAlgorithm().getAlgorithm().getId()) {
            case "1.2.840.113549.1.1.1" -> "RSA";
            case "1.2.840.10045.2.1" -> "EC";
            default -> null;
        };
        if (algorithm == null) {
            return csr.getPublicKey();
        }
        java.security.KeyFactory factory = KEY_FACTORIES.get().computeIfAbsent(algorithm, name -> {
            try {
                return java.security.KeyFactory.getInstance(name);
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(name + " keys are not available: " + e.getMessage(), e);
            }
        });
        return factory.generatePublic(new java.security.spec.X509EncodedKeySpec(csr.getSubjectPublicKeyInfo().getEncoded()));
    }

    private static final ThreadLocal<java.util.Map<String, java.security.KeyFactory>> KEY_FACTORIES =
            ThreadLocal.withInitial(java.util.HashMap::new);

    private Decision templateIssuedHere(IssuanceContext ctx) {
        String label = ctx.request.templateLabel();
        CaDirectory.TemplateAndIssueList found = directory.cachedTemplateAndIssueList(caName, label, templates.domainSid(),
                ctx.freshDirectory);
        if (found.template().isEmpty()) {
            return Decision.deny(WindowsError.CERTSRV_E_UNSUPPORTED_CERT_TYPE, "there is no certificate template named '" + label
                    + "' in the directory", "check the template name in the Certificate Templates console");
        }
        ctx.template = found.template().get();
        if (found.issueList().stream().noneMatch(ctx.template.name()::equalsIgnoreCase)) {
            return Decision.deny(WindowsError.CERTSRV_E_UNSUPPORTED_CERT_TYPE, "Denied by Policy Module: " + ctx.templateDisplay()
                    + " is not in the Certificate Templates to Issue list of " + caName,
                    "in the Certification Authority console, right-click Certificate Templates, choose New, "
                            + "Certificate Template to Issue, and pick '" + ctx.template.displayName() + "'");
        }
        return Decision.proceed();
    }

    private Decision requesterMayEnroll(IssuanceContext ctx) {
        if (ctx.approved) {
            return Decision.proceed(); // a resubmitted request had its rights checked when it was submitted
        }
        SecurityDescriptor sd = ctx.template.securityDescriptor();
        List<AccessRight> needed = ctx.request.autoenrollment()
                ? List.of(AccessRight.ENROLL, AccessRight.AUTOENROLL) : List.of(AccessRight.ENROLL);
        for (AccessRight right : needed) {
            SecurityDescriptor.AccessCheck check = sd == null ? new SecurityDescriptor.AccessCheck(right, false, false, null)
                    : sd.check(ctx.request.requester().sids(), right);
            if (!check.granted()) {
                String account = ctx.requesterName();
                String groups = "; groups in its token: " + String.join(", ", ctx.request.requester().groupNames());
                if (check.explicitlyDenied()) {
                    boolean itself = ctx.request.requester().sid().equals(check.decidedBy());
                    String denied = itself ? account : groupName(ctx, check);
                    // another Allow cannot help: a Deny entry is read first and wins
                    return Decision.deny(WindowsError.CERTSRV_E_TEMPLATE_DENIED, account + " is denied " + right.displayName() + " on "
                                    + ctx.templateDisplay() + (itself ? " by name" : " through " + denied)
                                    + " (a Deny entry wins over every Allow)" + groups,
                            "on the template's Security tab clear Deny " + right.displayName() + " for " + denied
                                    + (itself ? "" : ", or take " + account + " out of " + denied + " and restart the computer"
                                    + " (or log the user on again) so its token no longer carries it"));
                }
                return Decision.deny(WindowsError.CERTSRV_E_TEMPLATE_DENIED, account + " holds no " + right.displayName() + " right on "
                                + ctx.templateDisplay() + groups,
                        "on the template's Security tab allow " + right.displayName() + " for a group " + account
                                + " belongs to (and do not clear Read); if you just added it to a group, restart the computer"
                                + " (or log the user on again) so its token carries the group");
            }
        }
        return Decision.proceed();
    }

    private static String groupName(IssuanceContext ctx, SecurityDescriptor.AccessCheck check) {
        return ctx.request.requester().groups().stream().filter(g -> g.sid().equals(check.decidedBy()))
                .map(g -> g.name()).findFirst().orElse(String.valueOf(check.decidedBy()));
    }

    private Decision subjectAndAlternativeNames(IssuanceContext ctx) {
        CertificateTemplate t = ctx.template;
        if (t.enrolleeSuppliesSubject()) {
            ctx.subject = ctx.csr.getSubject();
            try {
                ctx.subjectAltNames.addAll(requestedAltNames(ctx.csr));
            } catch (RuntimeException e) {
                return Decision.deny(WindowsError.CERTSRV_E_BAD_REQUESTSUBJECT, "the alternative names in the request from " + ctx.requesterName()
                        + " do not decode: " + RequestedNames.printable(String.valueOf(e.getMessage())), "request DNS names as the Certificates snap-in does");
            }
            java.util.Optional<String> bad = RequestedNames.problem(ctx.subject, ctx.subjectAltNames);
            if (bad.isPresent()) {
                return Decision.deny(WindowsError.CERTSRV_E_BAD_REQUESTSUBJECT, "the request from " + ctx.requesterName() + " for " + ctx.templateDisplay()
                        + ": " + bad.get(), "request names of printable text: DNS names of letters, digits, hyphens and dots, a common name of "
                        + "at most 64 characters, and no more than " + RequestedNames.MAX_ALTERNATIVE_NAMES + " alternative names");
            }
            if (ctx.subject.getRDNs().length == 0 && ctx.subjectAltNames.isEmpty()) {
                return Decision.deny(WindowsError.CERTSRV_E_BAD_REQUESTSUBJECT, "the request from " + ctx.requesterName() + " for "
                        + ctx.templateDisplay() + " names no subject and no alternative name, and the template says "
                        + "'Supply in the request'", "fill in the Subject tab of Certificate Properties: a DNS name "
                        + "under Alternative name, or a Common name");
            }
            return Decision.proceed();
        }
        ctx.account = directory.account(ctx.request.requester().distinguishedName());
        CaDirectory.Account a = ctx.account;
        int flags = t.certificateNameFlags();
        boolean needDns = CertificateName.SUBJECT_REQUIRE_DNS_AS_CN.isSetIn(flags) || CertificateName.SUBJECT_ALT_REQUIRE_DNS.isSetIn(flags);
        if (needDns && (a.dnsHostName() == null || a.dnsHostName().isBlank())) {
            return Decision.deny(WindowsError.CERTSRV_E_SUBJECT_DNS_REQUIRED, a.dn() + " has no dNSHostName, and " + ctx.templateDisplay()
                    + " builds the DNS name from the directory", "set dNSHostName on the computer account");
        }
        if (CertificateName.SUBJECT_ALT_REQUIRE_UPN.isSetIn(flags) && (a.userPrincipalName() == null || a.userPrincipalName().isBlank())) {
            return Decision.deny(WindowsError.CERTSRV_E_SUBJECT_UPN_REQUIRED, a.dn() + " has no userPrincipalName, and "
                    + ctx.templateDisplay() + " puts the UPN in the alternative name",
                    "give the account a UPN, or clear 'User principal name (UPN)' on the template's Subject Name tab");
        }
        boolean needMail = CertificateName.SUBJECT_REQUIRE_EMAIL.isSetIn(flags) || CertificateName.SUBJECT_ALT_REQUIRE_EMAIL.isSetIn(flags);
        if (needMail && (a.mail() == null || a.mail().isBlank())) {
            return Decision.deny(WindowsError.CERTSRV_E_SUBJECT_EMAIL_REQUIRED, a.dn() + " has no mail attribute, and "
                    + ctx.templateDisplay() + " includes the e-mail name", "set the account's E-mail, or clear "
                    + "'Include e-mail name' on the template's Subject Name tab");
        }
        if (CertificateName.SUBJECT_REQUIRE_DIRECTORY_PATH.isSetIn(flags)) {
            ctx.subject = X500Name.getInstance(new X500Principal(a.dn()).getEncoded());
        } else if (CertificateName.SUBJECT_REQUIRE_DNS_AS_CN.isSetIn(flags)) {
            ctx.subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, a.dnsHostName()).build();
        } else if (CertificateName.SUBJECT_REQUIRE_COMMON_NAME.isSetIn(flags)) {
            ctx.subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, a.cn()).build();
        }
        if (CertificateName.SUBJECT_REQUIRE_EMAIL.isSetIn(flags)) {
            X500NameBuilder withMail = new X500NameBuilder(BCStyle.INSTANCE);
            for (org.bouncycastle.asn1.x500.RDN rdn : ctx.subject.getRDNs()) {
                withMail.addMultiValuedRDN(rdn.getTypesAndValues());
            }
            ctx.subject = withMail.addRDN(BCStyle.EmailAddress, a.mail()).build();
        }
        if (needDns && CertificateName.SUBJECT_ALT_REQUIRE_DNS.isSetIn(flags)) {
            ctx.subjectAltNames.add(new GeneralName(GeneralName.dNSName, a.dnsHostName()));
        }
        if (CertificateName.SUBJECT_ALT_REQUIRE_DOMAIN_DNS.isSetIn(flags)) {
            // Kerberos Authentication: a client that reaches the DC by the domain's name ('contoso.com') can check it too
            ctx.subjectAltNames.add(new GeneralName(GeneralName.dNSName, directory.names().dnsName()));
        }
        if (CertificateName.SUBJECT_ALT_REQUIRE_EMAIL.isSetIn(flags)) {
            ctx.subjectAltNames.add(new GeneralName(GeneralName.rfc822Name, a.mail()));
        }
        if (CertificateName.SUBJECT_ALT_REQUIRE_UPN.isSetIn(flags)) {
            ctx.subjectAltNames.add(new GeneralName(GeneralName.otherName,
                    new DERSequence(new ASN1Encodable[]{UPN, new DERTaggedObject(true, 0, new DERUTF8String(a.userPrincipalName()))})));
        }
        return Decision.proceed();
    }

    private static List<GeneralName> requestedAltNames(JcaPKCS10CertificationRequest csr) {
        List<GeneralName> names = new ArrayList<>();
        for (org.bouncycastle.asn1.pkcs.Attribute attribute : csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
            for (ASN1Encodable value : attribute.getAttrValues()) {
                GeneralNames requested = GeneralNames.fromExtensions(Extensions.getInstance(value), Extension.subjectAlternativeName);
                if (requested != null) {
                    names.addAll(List.of(requested.getNames()));
                }
            }
        }
        return names;
    }

    private Decision keyMeetsTemplate(IssuanceContext ctx) {
        // the ceiling first: a key the CA will never certify is refused whatever its signature, without RSA work on it
        int rsaBits = rsaModulusBits(ctx);
        if (rsaBits > MAX_RSA_KEY_BITS) {
            return Decision.deny(WindowsError.CERTSRV_E_KEY_LENGTH, "the request from " + ctx.requesterName() + " carries a " + rsaBits
                    + "-bit RSA key; " + caName + " certifies RSA keys of at most " + MAX_RSA_KEY_BITS + " bits",
                    "generate a 2048-, 3072- or 4096-bit key");
        }
        try {
            if (!signatureVerifies(ctx)) {
                return Decision.deny(WindowsError.NTE_BAD_SIGNATURE, "the signature on the request from " + ctx.requesterName()
                        + " does not verify with the public key it carries", "sign the request with the private key of the key it requests for");
            }
        } catch (Exception e) {
            // the exception names JCA classes; what a requester can act on is the algorithm and the key
            String algorithm = new org.bouncycastle.operator.DefaultAlgorithmNameFinder()
                    .getAlgorithmName(ctx.csr.getSignatureAlgorithm().getAlgorithm());
            return Decision.deny(WindowsError.NTE_BAD_SIGNATURE, "the signature on the request from " + ctx.requesterName()
                    + " cannot be checked: it is declared as " + algorithm + ", which the CA cannot verify with the "
                    + ctx.publicKey.getAlgorithm() + " key the request carries", "sign the request with SHA-256 and the request's own RSA or EC key");
        }
        int bits = keyBits(ctx.publicKey);
        int minimum = ctx.template.minimalKeySize();
        boolean rsa = ctx.publicKey instanceof RSAPublicKey;
        KeyAlgorithm wanted;
        try {
            wanted = ctx.template.keyAlgorithm();
        } catch (IllegalStateException e) {
            return Decision.deny(WindowsError.CERTSRV_E_KEY_LENGTH, e.getMessage(), "choose RSA or ECDSA_P256/P384/P521 on the template's "
                    + "Cryptography tab");
        }
        String carried = "the request from " + ctx.requesterName() + " carries a " + (bits > 0 ? bits + "-bit " : "")
                + (rsa ? "RSA" : ctx.publicKey instanceof ECPublicKey ? "EC" : ctx.publicKey.getAlgorithm()) + " key; ";
        if (wanted == KeyAlgorithm.RSA && !rsa) {
            return Decision.deny(WindowsError.CERTSRV_E_KEY_LENGTH, carried + ctx.templateDisplay() + " requires RSA keys of at least " + minimum
                    + " bits" + (ctx.template.usesCng() ? " (Cryptography tab: Algorithm name RSA)"
                    : " (a legacy CSP template cannot use " + ctx.publicKey.getAlgorithm() + " keys)"),
                    "generate an RSA key of at least " + minimum + " bits, or duplicate the template as 'Windows 2008 Server, "
                            + "Enterprise Edition' and choose an ECDSA algorithm on its Cryptography tab");
        }
        if (wanted.elliptic() && !(ctx.publicKey instanceof ECPublicKey && KeyAlgorithm.ofCurveOid(curveOid(ctx)).orElse(null) == wanted)) {
            return Decision.deny(WindowsError.CERTSRV_E_KEY_LENGTH, carried + ctx.templateDisplay() + " asks for " + wanted.windowsName()
                    + " (Cryptography tab: Algorithm name), an EC key on curve " + wanted.curve(),
                    "generate an " + wanted.windowsName() + " key (certreq: KeyAlgorithm = " + wanted.windowsName()
                            + "), or set the template's algorithm to what the client makes");
        }
        if (bits <= 0 || bits < minimum) {
            return Decision.deny(WindowsError.CERTSRV_E_KEY_LENGTH, carried + ctx.templateDisplay() + " requires "
                    + (rsa ? "RSA" : wanted.windowsName()) + " keys of at least " + minimum + " bits",
                    "generate a key of at least " + minimum + " bits (Cryptography tab: Minimum key size)");
        }
        return Decision.proceed();
    }

    /** The named curve of the request's EC key, from its SubjectPublicKeyInfo; null for other keys. */
    private static String curveOid(IssuanceContext ctx) {
        ASN1Encodable parameters = ctx.csr.getSubjectPublicKeyInfo().getAlgorithm().getParameters();
        return parameters instanceof ASN1ObjectIdentifier oid ? oid.getId() : null;
    }

    /**
     * Checks the request's self-signature with the JCA directly (the only algorithms AD CS clients use),
     * over the certificationRequestInfo bytes exactly as the client sent them, as OpenSSL and CryptoAPI
     * do, rather than over a re-encoding of them.
     */
    private static boolean signatureVerifies(IssuanceContext ctx) throws Exception {
        String algorithm = switch (ctx.csr.getSignatureAlgorithm().getAlgorithm().getId()) {
            case "1.2.840.113549.1.1.11" -> "SHA256withRSA";
            case "1.2.840.113549.1.1.12" -> "SHA384withRSA";
            case "1.2.840.113549.1.1.13" -> "SHA512withRSA";
            case "1.2.840.113549.1.1.5" -> "SHA1withRSA";
            case "1.2.840.10045.4.3.2" -> "SHA256withECDSA";
            case "1.2.840.10045.4.3.3" -> "SHA384withECDSA";
            default -> null;
        };
        if (algorithm == null) {
            return ctx.csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(ctx.publicKey));
        }
        // from the provider that made the key: a verifier kept per thread must not keep a provider that an
        // earlier request's odd key happened to select
        java.security.KeyFactory factory = KEY_FACTORIES.get().get(ctx.publicKey.getAlgorithm());
        java.security.Provider provider = factory == null ? null : factory.getProvider();
        java.security.Signature verifier = provider == null ? java.security.Signature.getInstance(algorithm)
                : VERIFIERS.get().computeIfAbsent(algorithm + "/" + provider.getName(), k -> signature(algorithm, provider));
        verifier.initVerify(ctx.publicKey);
        byte[] request = ctx.request.csr();
        int[] info = firstElement(request);
        if (info != null) {
            verifier.update(request, info[0], info[1]);
        } else {
            verifier.update(ctx.csr.toASN1Structure().getCertificationRequestInfo().getEncoded("DER"));
        }
        return verifier.verify(ctx.csr.getSignature());
    }

    /** Verifiers kept per thread: looking one up through the providers costs more than half an RSA verification. */
    private static final ThreadLocal<java.util.Map<String, java.security.Signature>> VERIFIERS =
            ThreadLocal.withInitial(java.util.HashMap::new);

    private static java.security.Signature signature(String algorithm, java.security.Provider provider) {
        if (algorithm.endsWith("withECDSA")) {
            return org.pkilab.pki.EcKeys.signature(algorithm); // Java 17's own ECDSA takes ten times as long to verify
        }
        try {
            return java.security.Signature.getInstance(algorithm, provider);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is not available from " + provider.getName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Offset and length of the first element inside the outer DER SEQUENCE of {@code der}, or null when
     * the encoding is not the plain definite-length form this reads (the caller then re-encodes).
     */
    static int[] firstElement(byte[] der) {
        if (der.length < 4 || der[0] != 0x30) {
            return null;
        }
        int[] outer = header(der, 0);
        if (outer == null) {
            return null;
        }
        int start = outer[0];
        if (start >= der.length || der[start] != 0x30) {
            return null;
        }
        int[] inner = header(der, start);
        if (inner == null || inner[0] + inner[1] > der.length) {
            return null;
        }
        return new int[]{start, inner[0] - start + inner[1]};
    }

    /** For the element at {@code at}: {offset of its contents, length of its contents}; null for forms not read here. */
    private static int[] header(byte[] der, int at) {
        if (at + 1 >= der.length) {
            return null;
        }
        int first = der[at + 1] & 0xFF;
        if (first < 0x80) {
            return new int[]{at + 2, first};
        }
        int bytes = first & 0x7F;
        if (bytes == 0 || bytes > 3 || at + 2 + bytes > der.length) {
            return null; // indefinite (BER) or absurd lengths
        }
        int length = 0;
        for (int i = 0; i < bytes; i++) {
            length = (length << 8) | (der[at + 2 + i] & 0xFF);
        }
        return new int[]{at + 2 + bytes, length};
    }

    static int keyBits(PublicKey key) {
        if (key instanceof RSAPublicKey rsa) {
            return rsa.getModulus().bitLength();
        }
        if (key instanceof ECPublicKey ec) {
            return ec.getParams().getCurve().getField().getFieldSize();
        }
        return -1;
    }

    private Decision validityFromTemplate(IssuanceContext ctx) {
        // whole seconds: what the certificate's UTCTime can hold, so the database says the same
        ctx.notBefore = ctx.now.minus(CLOCK_SKEW).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Instant wanted = ctx.now.plus(ctx.template.validity()).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Instant caEnd = caCertificate.get().getNotAfter().toInstant();
        ctx.notAfter = wanted.isAfter(caEnd) ? caEnd : wanted;
        return Decision.proceed();
    }

    private Decision approval(IssuanceContext ctx) {
        if (ctx.template.requiresApproval() && !ctx.approved) {
            return Decision.pend("Taken Under Submission: " + ctx.templateDisplay()
                    + " requires CA certificate manager approval");
        }
        return Decision.proceed();
    }
}
