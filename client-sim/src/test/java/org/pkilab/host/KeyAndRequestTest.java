package org.pkilab.host;

import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.Test;
import org.pkilab.enrollment.EnrollableTemplate;
import org.pkilab.pki.EcKeys;

import java.security.KeyPair;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** certreq -new's part of enrollment, with no DC and no CA: the key a template's Cryptography tab asks for, and the request. */
class KeyAndRequestTest {

    private static EnrollableTemplate template(String algorithm, int minimalKeySize) {
        return new EnrollableTemplate("LabWeb", "Lab Web", "", 2, true, minimalKeySize, algorithm, false, false, false, false, true,
                Duration.ZERO, List.of(), List.of());
    }

    @Test
    void anEcdsaP384TemplateGetsAP384KeyAndARequestSignedWithSha384() throws Exception {
        KeyPair key = KeyAndRequest.generateKey(template("ECDSA_P384", 384), 0);
        assertEquals(384, ((ECPublicKey) key.getPublic()).getParams().getCurve().getField().getFieldSize(), "ECDSA_P384: a P-384 key");
        PKCS10CertificationRequest csr = new PKCS10CertificationRequest(KeyAndRequest.csr(key, "", List.of()));
        assertEquals("1.2.840.10045.4.3.3", csr.getSignatureAlgorithm().getAlgorithm().getId(), "ecdsa-with-SHA384");
        assertTrue(csr.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(EcKeys.provider()).build(key.getPublic())));
    }

    @Test
    void anRsaTemplateGetsItsMinimumOr2048AndAnAskedSizeWins() {
        assertEquals(2048, ((RSAPublicKey) KeyAndRequest.generateKey(template("RSA", 1024), 0).getPublic()).getModulus().bitLength(),
                "a minimum below 2048: 2048");
        assertEquals(3072, ((RSAPublicKey) KeyAndRequest.generateKey(template("RSA", 3072), 0).getPublic()).getModulus().bitLength(),
                "the template's minimum of 3072");
        assertEquals(4096, ((RSAPublicKey) KeyAndRequest.generateKey(template("RSA", 2048), 4096).getPublic()).getModulus().bitLength(),
                "a KeyLength asked for");
    }

    @Test
    void theRequestCarriesTheSubjectAndTheDnsNamesInTheOrderGiven() throws Exception {
        KeyPair key = KeyAndRequest.generateKey(template("ECDSA_P256", 256), 0);
        PKCS10CertificationRequest csr = new PKCS10CertificationRequest(KeyAndRequest.csr(key, "CN=server1.internal.contoso.com",
                List.of("server1.internal.contoso.com", "server.contoso.com")));
        assertEquals("CN=server1.internal.contoso.com", csr.getSubject().toString());
        Extensions extensions = Extensions.getInstance(csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)[0]
                .getAttrValues().getObjectAt(0));
        List<String> names = Arrays.stream(GeneralNames.fromExtensions(extensions, Extension.subjectAlternativeName).getNames())
                .filter(n -> n.getTagNo() == GeneralName.dNSName).map(n -> n.getName().toString()).toList();
        assertEquals(List.of("server1.internal.contoso.com", "server.contoso.com"), names);
    }

    /**
     * What Certipy's {@code req -upn -sid -application-policies} and {@code certreq -attrib "SAN:..."} put in a request, read back
     * by {@code openssl req -text}, as a student checks an attack's request before sending it.
     */
    @Test
    void anAttackersRequestCarriesTheUpnTheSidUrlTheApplicationPoliciesAndTheSanAttribute() throws Exception {
        KeyPair key = KeyAndRequest.generateKey(template("RSA", 2048), 0);
        CertificateRequest asked = CertificateRequest.forTemplate("ESC1").upn("administrator@contoso.com")
                .sid("S-1-5-21-1-2-3-500").applicationPolicies(List.of("1.3.6.1.5.5.7.3.2"))
                .sanAttribute("upn=administrator@contoso.com");
        byte[] der = KeyAndRequest.csr(key, "CN=mallory", List.of(), asked);
        java.nio.file.Path file = java.nio.file.Files.createTempFile("attack", ".der");
        try {
            java.nio.file.Files.write(file, der);
            Process openssl = new ProcessBuilder("openssl", "req", "-inform", "DER", "-in", file.toString(), "-noout", "-text")
                    .redirectErrorStream(true).start();
            String text = new String(openssl.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertEquals(0, openssl.waitFor(), text);
            assertTrue(text.contains("URI:tag:microsoft.com,2022-09-14:sid:S-1-5-21-1-2-3-500"), "the SID as the SAN URL:\n" + text);
            assertTrue(text.contains("othername:") && text.contains("administrator@contoso.com"), "the UPN as otherName:\n" + text);
            assertTrue(text.contains("1.3.6.1.4.1.311.21.10"), "the Application Policies extension:\n" + text);
            assertTrue(text.contains("1.3.6.1.4.1.311.13.2.1"), "the name-value pair attribute:\n" + text);
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
        PKCS10CertificationRequest csr = new PKCS10CertificationRequest(der);
        org.bouncycastle.asn1.ASN1Sequence pair = org.bouncycastle.asn1.ASN1Sequence.getInstance(
                csr.getAttributes(new org.bouncycastle.asn1.ASN1ObjectIdentifier("1.3.6.1.4.1.311.13.2.1"))[0].getAttrValues().getObjectAt(0));
        assertEquals("SAN", pair.getObjectAt(0).toString());
        assertEquals("upn=administrator@contoso.com", pair.getObjectAt(1).toString());
    }
}
