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
}
