package org.pkilab.ca;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.GeneralName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Names an enrollee supplies: what a real web server or user asks for passes; what would fool a reader does not. */
class RequestedNamesTest {

    private static GeneralName dns(String name) {
        return new GeneralName(GeneralName.dNSName, new DERIA5String(name));
    }

    @Test
    void namesRealEnrolleesSupplyPass() {
        GeneralName upn = new GeneralName(GeneralName.otherName, new DERSequence(new ASN1Encodable[]{
                new ASN1ObjectIdentifier("1.3.6.1.4.1.311.20.2.3"), new DERTaggedObject(true, 0, new DERUTF8String("zoë@contoso.com"))}));
        List<GeneralName> names = List.of(dns("server1.internal.contoso.com"), dns("*.contoso.com"), dns("xn--mnchen-3ya.contoso.com"),
                dns("intranet"), new GeneralName(GeneralName.iPAddress, "2001:db8::1"), new GeneralName(GeneralName.rfc822Name, "zoe@contoso.com"),
                upn);
        assertEquals(java.util.Optional.empty(), RequestedNames.problem(new X500Name("CN=Zoë's web server (!important),O=Contoso,C=US"), names));
    }

    @Test
    void aHundredAlternativeNamesPassAndOneMoreDoesNot() {
        List<GeneralName> names = new ArrayList<>();
        for (int i = 0; i < RequestedNames.MAX_ALTERNATIVE_NAMES; i++) {
            names.add(dns("host" + i + ".contoso.com"));
        }
        assertTrue(RequestedNames.problem(new X500Name("CN=web"), names).isEmpty());
        names.add(dns("one-more.contoso.com"));
        assertTrue(RequestedNames.problem(new X500Name("CN=web"), names).orElseThrow().contains("101 alternative names"));
    }

    @Test
    void aRightToLeftOverrideInTheCommonNameIsNamedInTheRefusal() {
        String problem = RequestedNames.problem(new X500Name("CN=moc.osotnoc\u202Eweb"), List.of()).orElseThrow();
        assertTrue(problem.contains("U+202E") && problem.contains("\\u202E") && !problem.contains("\u202E"), problem);
    }
}
