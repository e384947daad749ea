package org.pkilab.robustness;

import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.ocsp.OCSPResponseStatus;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPException;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.operator.DigestCalculator;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;

import static org.pkilab.robustness.HostileCorpus.*;

/**
 * The corpus for the Online Responder's OCSP bodies, beyond the HTTP-level refusals {@link EstCorpus} sends to
 * {@code /ocsp}: requests that are not OCSP (truncated, random, the wrong ASN.1, nested past any reason), that ask
 * about nothing or too much, with nonces RFC 8954 forbids or a hash the responder lacks, and CertIDs of another issuer.
 * RFC 6960 answers each with HTTP 200 and an OCSP response whose status says what was wrong: {@code malformedRequest}
 * or {@code unauthorized}, never a certificate status and never a server error. Each input spoils one request that,
 * sent as it is, the responder answers {@code good} for the lab's valid client certificate.
 */
final class OcspCorpus {

    static final int MALFORMED = OCSPResponseStatus.MALFORMED_REQUEST;
    static final int UNAUTHORIZED = OCSPResponseStatus.UNAUTHORIZED;

    private final Facts facts;
    private final List<OcspInput> ocsp;
    private final Random random = new Random(SEED + 6960);
    private final byte[] good;

    OcspCorpus(Facts facts, List<OcspInput> ocsp) {
        this.facts = facts;
        this.ocsp = ocsp;
        this.good = request(List.of(id(facts.caCertificate(), facts.validClient().chain()[0].getSerialNumber())), nonce(16));
    }

    /** The request every input spoils: the lab's valid client certificate, a 16-byte nonce. */
    byte[] good() {
        return good.clone();
    }

    void generate() {
        String truncated = "OCSP body: truncated DER";
        for (int i = 0; i < 40; i++) {
            int length = i * good.length / 40;
            post(truncated, "first " + length + " of " + good.length + " bytes", Arrays.copyOf(good, length), MALFORMED);
        }
        String garbage = "OCSP body: random bytes";
        for (int i = 0; i < 30; i++) {
            byte[] bytes = new byte[1 + random.nextInt(2000)];
            random.nextBytes(bytes);
            if (i % 2 == 1) {
                bytes[0] = 0x30;
            }
            post(garbage, bytes.length + " random bytes" + (i % 2 == 1 ? " after a SEQUENCE tag" : ""), bytes, MALFORMED);
        }
        String wrong = "OCSP body: the wrong ASN.1";
        try {
            post(wrong, "the CA certificate instead of a request", facts.caCertificate().getEncoded(), MALFORMED);
            post(wrong, "a client certificate instead of a request", facts.validClient().chain()[0].getEncoded(), MALFORMED);
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
        post(wrong, "an empty SEQUENCE", new byte[]{0x30, 0x00}, MALFORMED);
        post(wrong, "3000 nested SEQUENCEs", nested(3000), MALFORMED);
        post(wrong, "a SEQUENCE whose length says 2 GiB", new byte[]{0x30, (byte) 0x84, 0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x30, 0x00},
                MALFORMED);
        post(wrong, "the request followed by trailing bytes", HttpsWire.concat(good, new byte[]{0x05, 0x00}), MALFORMED);

        String asks = "OCSP body: what it asks";
        post(asks, "no CertID at all", request(List.of(), nonce(16)), MALFORMED);
        List<CertificateID> many = new java.util.ArrayList<>();
        for (int i = 0; i < 17; i++) {
            many.add(id(facts.caCertificate(), BigInteger.valueOf(1000 + i)));
        }
        post(asks, "17 CertIDs, one over the responder's 16", request(many, nonce(16)), MALFORMED);
        post(asks, "a CertID hashed with an algorithm the responder lacks", request(List.of(unknownHash()), nonce(16)), MALFORMED);
        post(asks, "a CertID of another issuer", request(List.of(otherIssuer()), nonce(16)), UNAUTHORIZED);

        String nonces = "OCSP body: nonces RFC 8954 forbids";
        for (int length : new int[]{0, 33, 64, 1024}) {
            post(nonces, "a nonce of " + length + " bytes",
                    request(List.of(id(facts.caCertificate(), facts.validClient().chain()[0].getSerialNumber())), nonce(length)), MALFORMED);
        }

        String get = "OCSP GET: not a request";
        for (String path : List.of("", "!!!!", "AAAA", "MAA%3D", "..%2F..%2Fetc%2Fpasswd",
                URLEncoder.encode(Base64.getEncoder().encodeToString(Arrays.copyOf(good, good.length / 2)), StandardCharsets.UTF_8))) {
            ocsp.add(new OcspInput(get, "GET /ocsp/" + printable(path), HttpsWire.request("GET", "/ocsp/" + path, "ca01", List.of(), null),
                    MALFORMED));
        }
    }

    private void post(String category, String name, byte[] body, int status) {
        ocsp.add(new OcspInput(category, name, HttpsWire.request("POST", "/ocsp", "ca01", List.of("Content-Type", "application/ocsp-request"), body),
                status));
    }

    private static byte[] request(List<CertificateID> ids, byte[] nonce) {
        OCSPReqBuilder builder = new OCSPReqBuilder();
        ids.forEach(builder::addRequest);
        try {
            builder.setRequestExtensions(new Extensions(new Extension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false,
                    new DEROctetString(nonce).getEncoded())));
            return builder.build().getEncoded();
        } catch (OCSPException | java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private byte[] nonce(int length) {
        byte[] nonce = new byte[length];
        random.nextBytes(nonce);
        return nonce;
    }

    private static CertificateID id(X509Certificate issuer, BigInteger serial) {
        try {
            DigestCalculator sha1 = new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1);
            return new CertificateID(sha1, new X509CertificateHolder(issuer.getEncoded()), serial);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The lab CA's CertID, with its algorithm replaced by an OID no one hashes with. */
    private CertificateID unknownHash() {
        CertificateID real = id(facts.caCertificate(), facts.validClient().chain()[0].getSerialNumber());
        org.bouncycastle.asn1.ocsp.CertID raw = real.toASN1Primitive();
        return new CertificateID(new org.bouncycastle.asn1.ocsp.CertID(new AlgorithmIdentifier(
                new org.bouncycastle.asn1.ASN1ObjectIdentifier("1.3.6.1.4.1.99999.1")), raw.getIssuerNameHash(), raw.getIssuerKeyHash(),
                raw.getSerialNumber()));
    }

    /** A CertID whose issuer hashes are not the lab CA's (as if another CA's certificate were asked about). */
    private CertificateID otherIssuer() {
        org.bouncycastle.asn1.ocsp.CertID raw = id(facts.caCertificate(), BigInteger.TEN).toASN1Primitive();
        byte[] name = raw.getIssuerNameHash().getOctets().clone();
        byte[] key = raw.getIssuerKeyHash().getOctets().clone();
        name[0] ^= 1;
        key[0] ^= 1;
        return new CertificateID(new org.bouncycastle.asn1.ocsp.CertID(raw.getHashAlgorithm(), new DEROctetString(name), new DEROctetString(key),
                new ASN1Integer(BigInteger.TEN)));
    }

    private static byte[] nested(int depth) {
        // definite lengths from the inside out: each level is 0x30, its length, the level inside
        byte[] inner = new byte[]{0x30, 0x00};
        for (int i = 1; i < depth; i++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(0x30);
            int length = inner.length;
            if (length < 128) {
                out.write(length);
            } else if (length < 256) {
                out.write(0x81);
                out.write(length);
            } else if (length < 65536) {
                out.write(0x82);
                out.write(length >> 8);
                out.write(length);
            } else {
                out.write(0x83);
                out.write(length >> 16);
                out.write(length >> 8);
                out.write(length);
            }
            out.writeBytes(inner);
            inner = out.toByteArray();
        }
        return inner;
    }
}
