package org.pkilab.robustness;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.CertificationRequest;
import org.bouncycastle.asn1.pkcs.CertificationRequestInfo;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Random;

/**
 * PKCS #10 requests put together field by field, so that each can be wrong in exactly one way: a
 * subject with bytes that are not UTF-8, a signature by another key, an RSA key too large for any
 * provider to make in a test's time.
 *
 * <p>Large RSA keys (16,384 bits and more) are multi-prime keys (RFC 8017 section 3): the product of
 * many 256-bit primes, made in milliseconds, and signed with the Chinese remainder theorem. They are
 * real keys whose requests carry valid signatures, so a refusal of them can only be about their size.
 */
final class RequestForge {

    static final AlgorithmIdentifier SHA256_WITH_RSA = new AlgorithmIdentifier(PKCSObjectIdentifiers.sha256WithRSAEncryption, DERNull.INSTANCE);

    private final SecureRandom random;

    /** Deterministic: the same seed makes the same keys and so the same requests. */
    RequestForge(long seed) {
        try {
            random = SecureRandom.getInstance("SHA1PRNG");
            random.setSeed(seed);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    KeyPair rsa(int bits) {
        try {
            // the JDK's generator: it takes the corpus's seeded random and makes every size asked (2040 bits too)
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA", "SunRsaSign");
            generator.initialize(bits, random);
            return generator.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    KeyPair ec(String curve) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec(curve), random);
            return generator.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static X500Name cn(String commonName) {
        return new X500Name(new RDN[]{new RDN(BCStyle.CN, new org.bouncycastle.asn1.DERUTF8String(commonName))});
    }

    /** A subject of one attribute whose value is {@code value} exactly as given (any ASN.1 string, even one that lies). */
    static X500Name subjectWithValue(ASN1ObjectIdentifier type, ASN1Encodable value) {
        return new X500Name(new RDN[]{new RDN(type, value)});
    }

    static Attribute[] subjectAltNames(GeneralName... names) {
        if (names.length == 0) {
            return new Attribute[0];
        }
        try {
            ExtensionsGenerator extensions = new ExtensionsGenerator();
            extensions.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            return new Attribute[]{new Attribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, new DERSet(extensions.generate()))};
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static GeneralName[] dnsNames(String... names) {
        GeneralName[] out = new GeneralName[names.length];
        for (int i = 0; i < names.length; i++) {
            out[i] = new GeneralName(GeneralName.dNSName, names[i]);
        }
        return out;
    }

    static CertificationRequestInfo info(X500Name subject, SubjectPublicKeyInfo key, Attribute... attributes) {
        return new CertificationRequestInfo(subject, key, new DERSet(attributes));
    }

    static SubjectPublicKeyInfo keyInfo(KeyPair key) {
        return SubjectPublicKeyInfo.getInstance(key.getPublic().getEncoded());
    }

    /** The request signed by {@code signer} with {@code jcaAlgorithm}, whatever key {@code info} carries. */
    static byte[] signed(CertificationRequestInfo info, PrivateKey signer, String jcaAlgorithm, AlgorithmIdentifier declared) {
        try {
            Signature signature = Signature.getInstance(jcaAlgorithm);
            signature.initSign(signer);
            signature.update(info.getEncoded("DER"));
            return assemble(info, declared, signature.sign());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] signed(CertificationRequestInfo info, PrivateKey signer) {
        return signed(info, signer, "SHA256withRSA", SHA256_WITH_RSA);
    }

    /** A well-formed request: subject, DNS names in the SAN, SHA-256 with RSA. */
    static byte[] request(KeyPair key, X500Name subject, GeneralName... alternativeNames) {
        return signed(info(subject, keyInfo(key), subjectAltNames(alternativeNames)), key.getPrivate());
    }

    static byte[] assemble(CertificationRequestInfo info, AlgorithmIdentifier algorithm, byte[] signature) {
        try {
            return new CertificationRequest(info, algorithm, new DERBitString(signature)).getEncoded("DER");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A multi-prime RSA key of exactly {@code bits} bits, and a request for {@code subject} signed with it. */
    byte[] hugeRsaRequest(int bits, X500Name subject, GeneralName... alternativeNames) {
        MultiPrimeRsa key = MultiPrimeRsa.make(bits, new Random(random.nextLong()));
        CertificationRequestInfo info = info(subject, key.publicKeyInfo(), subjectAltNames(alternativeNames));
        try {
            return assemble(info, SHA256_WITH_RSA, key.signSha256(info.getEncoded("DER")));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** RSA over many small primes: cheap to make at any size, signed prime by prime and recombined. */
    private record MultiPrimeRsa(BigInteger modulus, List<BigInteger> primes, BigInteger exponent) {
        private static final BigInteger E = BigInteger.valueOf(65537);
        // DER of DigestInfo{sha256, NULL} up to the digest (RFC 8017 section 9.2, note 1)
        private static final byte[] SHA256_PREFIX = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, (byte) 0x86, 0x48, 0x01, 0x65, 0x03,
                0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};

        static MultiPrimeRsa make(int bits, Random random) {
            while (true) {
                List<BigInteger> primes = new ArrayList<>();
                BigInteger n = BigInteger.ONE;
                while (bits - n.bitLength() > 300) {
                    BigInteger p = prime(256, random);
                    primes.add(p);
                    n = n.multiply(p);
                }
                // the last prime brings the modulus to exactly the size asked for
                int rest = bits - n.bitLength() + 1;
                for (int attempt = 0; attempt < 200; attempt++) {
                    BigInteger last = prime(rest, random);
                    if (n.multiply(last).bitLength() == bits && !primes.contains(last)) {
                        primes.add(last);
                        return new MultiPrimeRsa(n.multiply(last), primes, E);
                    }
                }
            }
        }

        private static BigInteger prime(int bits, Random random) {
            while (true) {
                BigInteger p = BigInteger.probablePrime(bits, random);
                // e must be invertible modulo p - 1
                if (!p.subtract(BigInteger.ONE).mod(E).equals(BigInteger.ZERO)) {
                    return p;
                }
            }
        }

        SubjectPublicKeyInfo publicKeyInfo() {
            try {
                return new SubjectPublicKeyInfo(new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE),
                        new RSAPublicKey(modulus, exponent));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        /** PKCS #1 v1.5 with SHA-256: s = m^d mod n, computed modulo each prime and recombined. */
        byte[] signSha256(byte[] data) {
            try {
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(data);
                int k = (modulus.bitLength() + 7) / 8;
                byte[] em = new byte[k];
                em[1] = 0x01;
                int t = SHA256_PREFIX.length + digest.length;
                for (int i = 2; i < k - t - 1; i++) {
                    em[i] = (byte) 0xFF;
                }
                System.arraycopy(SHA256_PREFIX, 0, em, k - t, SHA256_PREFIX.length);
                System.arraycopy(digest, 0, em, k - digest.length, digest.length);
                BigInteger m = new BigInteger(1, em);
                BigInteger s = BigInteger.ZERO;
                for (BigInteger p : primes) {
                    BigInteger d = exponent.modInverse(p.subtract(BigInteger.ONE));
                    BigInteger sp = m.mod(p).modPow(d, p);
                    BigInteger rest = modulus.divide(p);
                    s = s.add(sp.multiply(rest).multiply(rest.modInverse(p)));
                }
                byte[] raw = s.mod(modulus).toByteArray();
                byte[] out = new byte[k];
                int copy = Math.min(raw.length, k);
                System.arraycopy(raw, raw.length - copy, out, k - copy, copy);
                return out;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** A certificate for {@code key}, signed by {@code signer} in the name of {@code issuer}; {@code years} < 0: expired a year ago. */
    static X509Certificate certificate(String subject, String issuer, KeyPair key, PrivateKey signer, BigInteger serial, int years) {
        try {
            Instant now = Instant.now();
            Date from = Date.from(years > 0 ? now.minus(1, ChronoUnit.DAYS) : now.minus(800, ChronoUnit.DAYS));
            Date to = Date.from(years > 0 ? now.plus(365L * years, ChronoUnit.DAYS) : now.minus(400, ChronoUnit.DAYS));
            return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(new X500Name(issuer), serial, from, to,
                    new X500Name(subject), key.getPublic()).build(new JcaContentSignerBuilder("SHA256withRSA").build(signer)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code SEQUENCE { INTEGER 0 }} nested {@code depth} times: DER that no parser should follow to the bottom. */
    static byte[] nested(int depth) {
        byte[] der = {0x02, 0x01, 0x00};
        for (int i = 0; i < depth; i++) {
            der = HttpsWire.concat(header(0x30, der.length), der);
        }
        return der;
    }

    /** A DER tag and length for {@code length} content bytes, which need not follow. */
    static byte[] header(int tag, long length) {
        if (length < 0x80) {
            return new byte[]{(byte) tag, (byte) length};
        }
        byte[] value = BigInteger.valueOf(length).toByteArray();
        int skip = value[0] == 0 ? 1 : 0;
        byte[] out = new byte[2 + value.length - skip];
        out[0] = (byte) tag;
        out[1] = (byte) (0x80 | (value.length - skip));
        System.arraycopy(value, skip, out, 2, value.length - skip);
        return out;
    }
}
