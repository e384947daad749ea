package org.pkilab.ca;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.GeneralName;
import org.pkilab.directory.model.TemplateFlags;
import org.pkilab.directory.model.TemplateFlags.CertificateName;

import javax.security.auth.x500.X500Principal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Policy modifier: the subject and alternative names as the template's Subject Name tab says. "Supply in
 * the request" takes the request's own; "Build from this Active Directory information" builds them from
 * the requester's account (fully distinguished name, DNS name or common name as subject, with the e-mail
 * name; DNS, UPN and e-mail alternative names) and, unless the template opts out, the account's SID for
 * strong certificate mapping (KB5014754). When the CA honours the request's {@code SAN} attribute
 * ({@code EDITF_ATTRIBUTESUBJECTALTNAME2}, ESC6: see {@link SanAttribute}) its names replace the alternative names
 * either way, and the SID extension stays the requester's. {@link SubjectNamesAvailable} has checked they can be had.
 */
final class SubjectNamesFromTemplate implements IssuancePolicy.Modifier {

    private static final ASN1ObjectIdentifier UPN = new ASN1ObjectIdentifier("1.3.6.1.4.1.311.20.2.3");

    @Override
    public CertificateDraft apply(IssuanceFacts facts, CertificateDraft draft) {
        Optional<List<GeneralName>> fromAttribute = SanAttribute.honoured(facts).map(SanAttribute::names);
        if (facts.template().enrolleeSuppliesSubject()) {
            return draft.withSubject(facts.csr().subject()).withSubjectAltNames(fromAttribute.orElse(facts.csr().requestedAltNames()));
        }
        CaDirectory.Account a = facts.account();
        int flags = facts.template().certificateNameFlags();
        X500Name subject = draft.subject();
        if (CertificateName.SUBJECT_REQUIRE_DIRECTORY_PATH.isSetIn(flags)) {
            subject = X500Name.getInstance(new X500Principal(a.dn()).getEncoded());
        } else if (CertificateName.SUBJECT_REQUIRE_DNS_AS_CN.isSetIn(flags)) {
            subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, a.dnsHostName()).build();
        } else if (CertificateName.SUBJECT_REQUIRE_COMMON_NAME.isSetIn(flags)) {
            subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, a.cn()).build();
        }
        if (CertificateName.SUBJECT_REQUIRE_EMAIL.isSetIn(flags)) {
            X500NameBuilder withMail = new X500NameBuilder(BCStyle.INSTANCE);
            for (RDN rdn : subject.getRDNs()) {
                withMail.addMultiValuedRDN(rdn.getTypesAndValues());
            }
            subject = withMail.addRDN(BCStyle.EmailAddress, a.mail()).build();
        }
        List<GeneralName> names = new ArrayList<>();
        if (SubjectNamesAvailable.needsDns(flags) && CertificateName.SUBJECT_ALT_REQUIRE_DNS.isSetIn(flags)) {
            names.add(new GeneralName(GeneralName.dNSName, a.dnsHostName()));
        }
        if (CertificateName.SUBJECT_ALT_REQUIRE_DOMAIN_DNS.isSetIn(flags)) {
            // Kerberos Authentication: a client that reaches the DC by the domain's name ('contoso.com') can check it too
            names.add(new GeneralName(GeneralName.dNSName, facts.domainDnsName()));
        }
        if (CertificateName.SUBJECT_ALT_REQUIRE_EMAIL.isSetIn(flags)) {
            names.add(new GeneralName(GeneralName.rfc822Name, a.mail()));
        }
        if (CertificateName.SUBJECT_ALT_REQUIRE_UPN.isSetIn(flags)) {
            names.add(new GeneralName(GeneralName.otherName,
                    new DERSequence(new ASN1Encodable[]{UPN, new DERTaggedObject(true, 0, new DERUTF8String(a.userPrincipalName()))})));
        }
        boolean sid = a.sid() != null && !TemplateFlags.Enrollment.NO_SECURITY_EXTENSION.isSetIn(facts.template().enrollmentFlags());
        return draft.withSubject(subject).withSubjectAltNames(fromAttribute.orElse(names)).withRequesterSid(sid ? a.sid() : null);
    }
}
