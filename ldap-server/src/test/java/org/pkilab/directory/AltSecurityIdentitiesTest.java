package org.pkilab.directory;

import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pkilab.pki.RsaKeys;

import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The {@code altSecurityIdentities} forms a DC matches a logon certificate against, spelled as administrators write
 * them (Windows' X.500 order, or copied from OpenSSL in RFC 4514 order; the serial number's bytes reversed), each
 * against one certificate that matches and one that does not.
 */
class AltSecurityIdentitiesTest {

    private static X509Certificate certificate;
    private static X509Certificate other;

    @BeforeAll
    static void issue() throws Exception {
        TestCa ca = new TestCa("Contoso-Forms-CA");
        KeyPair key = RsaKeys.generate(2048);
        TestCa.Request request = new TestCa.Request();
        request.subject = "DC=com,DC=contoso,CN=Users,CN=Carol";
        certificate = ca.issue(key.getPublic(), request);
        TestCa.Request another = new TestCa.Request();
        another.subject = "DC=com,DC=contoso,CN=Users,CN=Dave";
        other = ca.issue(RsaKeys.generate(2048).getPublic(), another);
    }

    @Test
    void eachFormNamesItsCertificateAndNoOther() throws Exception {
        byte[] serial = certificate.getSerialNumber().toByteArray();
        StringBuilder reversed = new StringBuilder();
        for (int i = serial.length - 1; i >= 0; i--) {
            reversed.append(String.format("%02x", serial[i] & 0xFF));
        }
        String ski = HexFormat.of().formatHex(new JcaX509ExtensionUtils().createSubjectKeyIdentifier(certificate.getPublicKey())
                .getKeyIdentifier());
        String sha1 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(certificate.getPublicKey().getEncoded()));
        Map<String, String> forms = Map.of(
                "issuer and serial (strong)", "X509:<I>DC=com,DC=contoso,CN=Contoso-Forms-CA<SR>" + reversed,
                "issuer and serial, RFC 4514 order, upper case", "X509:<I>CN=Contoso-Forms-CA,DC=contoso,DC=com<SR>"
                        + reversed.toString().toUpperCase(),
                "subject key identifier (strong)", "X509:<SKI>" + ski,
                "SHA-1 of the public key (strong)", "X509:<SHA1-PUKEY>" + sha1,
                "issuer and subject (weak)", "X509:<I>DC=com,DC=contoso,CN=Contoso-Forms-CA<S>DC=com,DC=contoso,CN=Users,CN=Carol",
                "subject (weak)", "X509:<S>CN=Carol,CN=Users,DC=contoso,DC=com");
        ClientCertificate carol = new ClientCertificate(certificate);
        ClientCertificate dave = new ClientCertificate(other);
        forms.forEach((form, value) -> {
            assertEquals(true, CertificateMapping.names(carol, value), form + " '" + value + "' should name Carol's certificate");
            assertEquals(false, CertificateMapping.names(dave, value), form + " '" + value + "' should not name Dave's certificate");
        });
        forms.forEach((form, value) -> assertEquals(true, CertificateMapping.kdcForm(value), form + " '" + value
                + "' is a form the KDC maps by"));
        String issuerOnly = "X509:<I>DC=com,DC=contoso,CN=Contoso-Forms-CA";
        assertEquals(true, CertificateMapping.names(carol, issuerOnly), "issuer only names every certificate of the CA (Schannel 0x2)");
        assertEquals(false, CertificateMapping.kdcForm(issuerOnly), "issuer only '" + issuerOnly + "' is Schannel's many-to-one "
                + "mapping, not a KDC form");
        assertEquals(true, CertificateMapping.kdcForm("X509:<RFC822>carol@contoso.com"), "RFC822 (weak) is a KDC form");
        assertEquals("X509:<I>DC=com,DC=contoso,CN=Contoso-Forms-CA<SR>" + reversed, carol.issuerSerialForm(),
                "the form the DC writes in its refusals and the audit can suggest");
    }
}
