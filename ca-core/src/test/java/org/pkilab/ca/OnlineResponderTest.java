package org.pkilab.ca;

import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.ocsp.OCSPRequest;
import org.bouncycastle.asn1.ocsp.TBSRequest;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.Test;
import org.pkilab.pki.RsaKeys;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Online Responder's answers to what no well-behaved client sends: each is one OCSP status, never a
 * failure, and none reads more than the CA database's rows by serial (the responder has no way to write).
 */
class OnlineResponderTest {

    private static final Instant NOW = Instant.parse("2026-12-07T06:00:00Z");
    private static final KeyPair CA_KEY = RsaKeys.generate(2048);
    private static final X509Certificate CA = selfSigned("CN=contoso-CA01-CA", CA_KEY);

    private final List<BigInteger> lookedUp = new ArrayList<>();
    private final OnlineResponder responder = new OnlineResponder(() -> CA, () -> new OnlineResponder.SigningKey(CA_KEY.getPrivate(), CA, false),
            serial -> {
                lookedUp.add(serial);
                return Optional.empty();
            }, Clock.fixed(NOW, ZoneOffset.UTC));

    private static int status(byte[] der) throws Exception {
        return new OCSPResp(der).getStatus();
    }

    @Test
    void bytesThatAreNoOcspRequestAreMalformedRequest() throws Exception {
        byte[] good = request(CA, 1, null);
        for (byte[] junk : List.of(new byte[0], "not an OCSP request".getBytes(), new byte[]{0x30, (byte) 0x84, 0x7f, 0x7f, 0x7f, 0x7f},
                Arrays.copyOf(good, good.length / 2), new DERSequence().getEncoded())) {
            assertEquals(OCSPRespBuilder.MALFORMED_REQUEST, status(responder.respond(junk)), "answer to " + junk.length + " bytes of junk");
        }
        assertTrue(lookedUp.isEmpty(), "no serial looked up for junk: " + lookedUp);
    }

    @Test
    void aRequestForNoCertificateOrTooManyIsMalformedRequest() throws Exception {
        byte[] none = new OCSPRequest(new TBSRequest(null, new DERSequence(), (Extensions) null), null).getEncoded();
        assertEquals(OCSPRespBuilder.MALFORMED_REQUEST, status(responder.respond(none)), "a request asking about no certificate");
        byte[] many = request(CA, OnlineResponder.MAX_CERTIFICATES + 1, null);
        assertEquals(OCSPRespBuilder.MALFORMED_REQUEST, status(responder.respond(many)), "a request for " + (OnlineResponder.MAX_CERTIFICATES + 1));
        assertEquals(OCSPRespBuilder.SUCCESSFUL, status(responder.respond(request(CA, OnlineResponder.MAX_CERTIFICATES, null))));
    }

    @Test
    void aNonceOutsideRfc8954sLengthsIsMalformedRequestAndOneWithinIsEchoed() throws Exception {
        assertEquals(OCSPRespBuilder.MALFORMED_REQUEST, status(responder.respond(request(CA, 1, new byte[OnlineResponder.MAX_NONCE + 1]))),
                "a nonce of " + (OnlineResponder.MAX_NONCE + 1) + " bytes");
        assertEquals(OCSPRespBuilder.MALFORMED_REQUEST, status(responder.respond(request(CA, 1, new byte[0]))), "an empty nonce");
        byte[] nonce = new byte[OnlineResponder.MAX_NONCE];
        Arrays.fill(nonce, (byte) 7);
        OCSPResp answer = new OCSPResp(responder.respond(request(CA, 1, nonce)));
        assertEquals(OCSPRespBuilder.SUCCESSFUL, answer.getStatus());
        BasicOCSPResp basic = (BasicOCSPResp) answer.getResponseObject();
        assertArrayEquals(new DEROctetString(nonce).getEncoded(), basic.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce).getExtnValue().getOctets(),
                "the nonce echoed as sent");
        assertEquals(Date.from(NOW), basic.getProducedAt(), "producedAt from the lab clock");
        assertEquals(Date.from(NOW.plus(OnlineResponder.VALIDITY)), basic.getResponses()[0].getNextUpdate(), "nextUpdate");
    }

    @Test
    void anotherIssuersCertificateIsUnauthorized() throws Exception {
        X509Certificate other = selfSigned("CN=Fabrikam Root", RsaKeys.generate(2048));
        assertEquals(OCSPRespBuilder.UNAUTHORIZED, status(responder.respond(request(other, 1, null))), "a CertID naming Fabrikam Root");
        assertTrue(lookedUp.isEmpty(), "another issuer's serial is not looked up in this CA's database: " + lookedUp);
    }

    private static byte[] request(X509Certificate issuer, int certificates, byte[] nonce) throws Exception {
        OCSPReqBuilder builder = new OCSPReqBuilder();
        for (int i = 0; i < certificates; i++) {
            builder.addRequest(new CertificateID(new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
                    new JcaX509CertificateHolder(issuer), BigInteger.valueOf(1000 + i)));
        }
        if (nonce != null) {
            builder.setRequestExtensions(new Extensions(new Extension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false,
                    new DEROctetString(nonce).getEncoded())));
        }
        return builder.build().getEncoded();
    }

    private static X509Certificate selfSigned(String subject, KeyPair pair) {
        try {
            return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(new X500Name(subject), BigInteger.ONE,
                    Date.from(NOW.minusSeconds(3600)), Date.from(NOW.plusSeconds(86400)), new X500Name(subject), pair.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate())));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
