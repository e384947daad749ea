package org.pkilab.ca;

import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.pkilab.directory.model.TemplateFlags.CertificateName;
import org.pkilab.enrollment.CaRegistrySettings.EditFlag;
import org.pkilab.windows.WindowsError;

import java.util.Optional;

/**
 * Policy step: the names the template's Subject Name tab asks for can be had. "Supply in the request":
 * the request's subject and alternative names decode, are printable and within {@link RequestedNames}'
 * limits, and are not both empty. "Build from this Active Directory information": the requester's account
 * holds the dNSHostName, userPrincipalName or mail the template puts in the certificate. Either way, when the CA
 * honours the request's {@code SAN} attribute ({@link SanAttribute}, {@code EDITF_ATTRIBUTESUBJECTALTNAME2}), its names
 * must read and pass {@link RequestedNames}' checks too. {@link SubjectNamesFromTemplate} then builds them.
 */
final class SubjectNamesAvailable implements IssuancePolicy.Validator {

    @Override
    public Decision check(IssuanceFacts facts) {
        Decision names = facts.template().enrolleeSuppliesSubject() ? requested(facts) : fromDirectory(facts);
        return names.proceeds() ? sanAttribute(facts) : names;
    }

    private static Decision sanAttribute(IssuanceFacts facts) {
        String fix = "write the attribute as certreq -attrib does: SAN:upn=user@contoso.com&dns=host.contoso.com";
        if (facts.csr().nameValuePairsProblem() != null && facts.registry().has(EditFlag.EDITF_ATTRIBUTESUBJECTALTNAME2)) {
            return Decision.deny(WindowsError.CERTSRV_E_BAD_REQUESTSUBJECT, "the request attributes from " + facts.requesterName()
                    + " do not decode: " + RequestedNames.printable(facts.csr().nameValuePairsProblem()), fix);
        }
        Optional<String> attribute = SanAttribute.honoured(facts);
        if (attribute.isEmpty()) {
            return Decision.proceed();
        }
        try {
            Optional<String> bad = RequestedNames.problem(new X500Name(new RDN[0]), SanAttribute.names(attribute.get()));
            return bad.isEmpty() ? Decision.proceed() : Decision.deny(WindowsError.CERTSRV_E_BAD_REQUESTSUBJECT, "the SAN attribute of the "
                    + "request from " + facts.requesterName() + " for " + facts.templateDisplay() + ": " + bad.get(), fix);
        } catch (IllegalArgumentException e) {
            return Decision.deny(WindowsError.CERTSRV_E_BAD_REQUESTSUBJECT, "the request from " + facts.requesterName() + " for "
                    + facts.templateDisplay() + ": " + e.getMessage(), fix);
        }
    }

    private static Decision requested(IssuanceFacts facts) {
        Pkcs10Request csr = facts.csr();
        if (csr.requestedAltNamesProblem() != null) {
            return Decision.deny(WindowsError.CERTSRV_E_BAD_REQUESTSUBJECT, "the alternative names in the request from " + facts.requesterName()
                    + " do not decode: " + RequestedNames.printable(csr.requestedAltNamesProblem()), "request DNS names as the Certificates snap-in does");
        }
        Optional<String> bad = RequestedNames.problem(csr.subject(), csr.requestedAltNames());
        if (bad.isPresent()) {
            return Decision.deny(WindowsError.CERTSRV_E_BAD_REQUESTSUBJECT, "the request from " + facts.requesterName() + " for "
                    + facts.templateDisplay() + ": " + bad.get(), "request names of printable text: DNS names of letters, digits, hyphens "
                    + "and dots, a common name of at most 64 characters, and no more than " + RequestedNames.MAX_ALTERNATIVE_NAMES
                    + " alternative names");
        }
        if (csr.subject().getRDNs().length == 0 && csr.requestedAltNames().isEmpty() && SanAttribute.honoured(facts).isEmpty()) {
            return Decision.deny(WindowsError.CERTSRV_E_BAD_REQUESTSUBJECT, "the request from " + facts.requesterName() + " for "
                    + facts.templateDisplay() + " names no subject and no alternative name, and the template says "
                    + "'Supply in the request'", "fill in the Subject tab of Certificate Properties: a DNS name "
                    + "under Alternative name, or a Common name");
        }
        return Decision.proceed();
    }

    private static Decision fromDirectory(IssuanceFacts facts) {
        CaDirectory.Account a = facts.account();
        int flags = facts.template().certificateNameFlags();
        if (needsDns(flags) && blank(a.dnsHostName())) {
            return Decision.deny(WindowsError.CERTSRV_E_SUBJECT_DNS_REQUIRED, a.dn() + " has no dNSHostName, and " + facts.templateDisplay()
                    + " builds the DNS name from the directory", "set dNSHostName on the computer account");
        }
        if (CertificateName.SUBJECT_ALT_REQUIRE_UPN.isSetIn(flags) && blank(a.userPrincipalName())) {
            return Decision.deny(WindowsError.CERTSRV_E_SUBJECT_UPN_REQUIRED, a.dn() + " has no userPrincipalName, and "
                            + facts.templateDisplay() + " puts the UPN in the alternative name",
                    "give the account a UPN, or clear 'User principal name (UPN)' on the template's Subject Name tab");
        }
        boolean needMail = CertificateName.SUBJECT_REQUIRE_EMAIL.isSetIn(flags) || CertificateName.SUBJECT_ALT_REQUIRE_EMAIL.isSetIn(flags);
        if (needMail && blank(a.mail())) {
            return Decision.deny(WindowsError.CERTSRV_E_SUBJECT_EMAIL_REQUIRED, a.dn() + " has no mail attribute, and "
                    + facts.templateDisplay() + " includes the e-mail name", "set the account's E-mail, or clear "
                    + "'Include e-mail name' on the template's Subject Name tab");
        }
        return Decision.proceed();
    }

    static boolean needsDns(int certificateNameFlags) {
        return CertificateName.SUBJECT_REQUIRE_DNS_AS_CN.isSetIn(certificateNameFlags)
                || CertificateName.SUBJECT_ALT_REQUIRE_DNS.isSetIn(certificateNameFlags);
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }
}
