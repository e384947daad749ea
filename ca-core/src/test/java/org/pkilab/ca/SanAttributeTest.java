package org.pkilab.ca;

import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.x509.GeneralName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code SAN} request attribute's text as {@code certreq -attrib} writes it, read into alternative names. */
class SanAttributeTest {

    @Test
    void everyFormCertreqWritesBecomesItsAlternativeNameInOrder() {
        List<GeneralName> names = SanAttribute.names("UPN=administrator@contoso.com&dns=dc01.contoso.com&email=admin@contoso.com"
                + "&url=tag:microsoft.com,2022-09-14:sid:S-1-5-21-1-2-3-500&ipaddress=10.0.0.1");
        assertEquals(List.of(GeneralName.otherName, GeneralName.dNSName, GeneralName.rfc822Name, GeneralName.uniformResourceIdentifier,
                GeneralName.iPAddress), names.stream().map(GeneralName::getTagNo).toList());
        assertEquals("1.3.6.1.4.1.311.20.2.3", ASN1Sequence.getInstance(names.get(0).getName()).getObjectAt(0).toString(),
                "upn= is the UPN otherName");
        assertEquals("tag:microsoft.com,2022-09-14:sid:S-1-5-21-1-2-3-500", names.get(3).getName().toString(),
                "the SID URL keeps its commas and colons");
    }

    @Test
    void aPartThatIsNoNameValueOrOfAnUntakenKindIsRefusedNamingIt() {
        for (String bad : List.of("administrator@contoso.com", "upn=", "guid=0123456789abcdef", "ipaddress=10.0.0.300", "dns=a&&dns=b")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SanAttribute.names(bad), bad);
            assertTrue(e.getMessage().contains("SAN attribute"), bad + ": " + e.getMessage());
        }
    }
}
