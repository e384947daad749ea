package org.pkilab.ca;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.pkilab.windows.WindowsError;

import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Policy step: a renewal (EST's {@code /simplereenroll}, CMP's {@code kur}, both authenticated by the certificate they
 * renew) renews that certificate: the same template, and, where the requester supplies the names, the same subject and
 * subject alternative names. Windows' policy module refuses a renewal request for another subject with
 * {@code 0x80094806 CERTSRV_E_BAD_RENEWAL_SUBJECT}; the lab refuses another template the same way, since a renewal's
 * only credential is the old certificate, which vouches for nothing beyond what it holds.
 *
 * <pre>
 * renew CN=iis01.contoso.com (ConfigMgr Web Server Certificate) as CN=iis01.contoso.com, same template  → CONTINUE
 * renew it as CN=web02.contoso.com                                                                → DENY 0x80094806
 * renew it into 'Approved Web Server'                                                             → DENY 0x80094806
 * </pre>
 * A template that builds the names from the directory needs no comparison: the new certificate's names are the
 * holder's account's again.
 */
final class RenewalKeepsTemplateAndNames implements IssuancePolicy.Validator {

    @Override
    public Decision check(IssuanceFacts facts) {
        X509Certificate old = facts.request().renewalOf();
        if (old == null || facts.template() == null) {
            return Decision.proceed();
        }
        String renewed = "certificate " + old.getSerialNumber().toString(16) + " ('"
                + RequestedNames.printable(old.getSubjectX500Principal().getName()) + "')";
        String from = facts.renewedTemplate();
        if (from == null || !from.equalsIgnoreCase(facts.template().name())) {
            return Decision.deny(WindowsError.CERTSRV_E_BAD_RENEWAL_SUBJECT, facts.requesterName() + " renews " + renewed + ", issued from "
                            + (from == null ? "no template " + facts.caName() + " recorded" : "'" + from + "'") + ", into " + facts.templateDisplay()
                            + "; a renewal keeps the template of the certificate it renews",
                    (from == null ? "" : "renew into '" + from + "' (name it, or no template, in the path), or ")
                            + "enroll for " + facts.template().name() + " with the account's own credentials");
        }
        if (!facts.template().enrolleeSuppliesSubject()) {
            return Decision.proceed();
        }
        X500Name oldSubject = X500Name.getInstance(old.getSubjectX500Principal().getEncoded());
        Set<GeneralName> oldNames = alternativeNames(old);
        Set<GeneralName> asked = new HashSet<>(facts.csr().requestedAltNames());
        if (!oldSubject.equals(facts.csr().subject()) || !oldNames.equals(asked)) {
            return Decision.deny(WindowsError.CERTSRV_E_BAD_RENEWAL_SUBJECT, facts.requesterName() + " renews " + renewed + " with names "
                            + oldNames.stream().map(name -> RequestedNames.printable(name.toString())).toList() + ", but asks for subject '"
                            + RequestedNames.printable(facts.csr().subject().toString()) + "' and names "
                            + asked.stream().map(name -> RequestedNames.printable(name.toString())).toList(),
                    "ask for the subject and subject alternative names of the certificate being renewed, or enroll for other names "
                            + "with the account's own credentials");
        }
        return Decision.proceed();
    }

    private static Set<GeneralName> alternativeNames(X509Certificate certificate) {
        try {
            Extension san = new JcaX509CertificateHolder(certificate).getExtension(Extension.subjectAlternativeName);
            return san == null ? Set.of() : new HashSet<>(List.of(GeneralNames.getInstance(san.getParsedValue()).getNames()));
        } catch (CertificateEncodingException e) {
            return Set.of();
        }
    }
}
