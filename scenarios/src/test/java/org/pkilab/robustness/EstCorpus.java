package org.pkilab.robustness;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERT61String;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.pkcs.CertificationRequest;
import org.bouncycastle.asn1.pkcs.CertificationRequestInfo;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.pkilab.windows.WindowsError;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.pkilab.robustness.HostileCorpus.*;

/**
 * The corpus for the CA's web servers: EST bodies that are not requests, requests the policy module must
 * refuse, HTTP that breaks the rules, hostile template labels, credentials, client certificates, the
 * administration interface and the CDP/AIA server. Each input spoils one well-formed enrollment in one
 * way, so the refusal can only be about that.
 */
final class EstCorpus {

    private final Facts facts;
    private final List<HttpInput> http;
    private final RequestForge forge = new RequestForge(SEED);
    private final Random random = new Random(SEED);
    private final KeyPair key;
    private final KeyPair otherKey;
    private final byte[] goodCsr;
    private final String bearer;
    private final String host;

    EstCorpus(Facts facts, int httpsPort, List<HttpInput> http) {
        this.facts = facts;
        this.http = http;
        this.key = forge.rsa(2048);
        this.otherKey = forge.rsa(2048);
        // the well-formed request every body input spoils in one way; sent as it is, the CA would issue it
        this.goodCsr = RequestForge.request(key, RequestForge.cn("hostile.contoso.com"), RequestForge.dnsNames("hostile.contoso.com"));
        this.bearer = "Bearer " + facts.adminToken();
        this.host = facts.estHost() + ":" + httpsPort;
    }

    void generate() {
        estBodies();
        estRequests();
        estHttp();
        estLabels();
        estCredentials();
        estClientCertificates();
        caAdministration();
        certEnroll();
        onlineResponder();
    }

    // ---- EST: bodies that are not certificate requests ----------------------------------------------

    private void enroll(String category, String name, byte[] body, Answer... answers) {
        enroll(category, name, "WebServer", body, answers);
    }

    private void enroll(String category, String name, String label, byte[] body, Answer... answers) {
        http.add(new HttpInput(category, name, Transport.HTTPS, null, HttpsWire.request("POST", EST + label + "/simpleenroll", host,
                List.of("Authorization", bearer, "Content-Type", "application/pkcs10"), body), List.of(answers)));
    }

    private static byte[] base64(byte[] der) {
        return Base64.getMimeEncoder().encode(der);
    }

    private void estBodies() {
        String truncated = "EST body: truncated DER";
        for (int i = 0; i < 100; i++) {
            int length = i * goodCsr.length / 100;
            byte[] part = Arrays.copyOf(goodCsr, length);
            // even ones as EST wants them (base64), odd ones as raw DER, which the CA also reads
            enroll(truncated, "first " + length + " of " + goodCsr.length + " bytes" + (i % 2 == 0 ? ", base64" : ", raw DER"),
                    i % 2 == 0 ? base64(part) : part, NOT_A_REQUEST);
        }
        String garbage = "EST body: random bytes";
        for (int i = 0; i < 60; i++) {
            byte[] bytes = new byte[1 + random.nextInt(3000)];
            random.nextBytes(bytes);
            if (i % 2 == 1) {
                bytes[0] = 0x30; // looks like DER's SEQUENCE, so the CA takes it for raw DER
            }
            enroll(garbage, bytes.length + " random bytes" + (i % 2 == 0 ? ", base64" : " after a SEQUENCE tag"),
                    i % 2 == 0 ? base64(bytes) : bytes, NOT_A_REQUEST);
        }
        String text = "EST body: not base64";
        List<String> texts = new ArrayList<>(List.of("this is not DER", "", " ", "\r\n\r\n", "====", "QQ=A", "A", "AB", "ABC=D",
                "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n", "-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n",
                "-----END CERTIFICATE REQUEST-----", "{\"csr\": \"MIIB\"}", "<xml>MIIB</xml>", "\u0000\u0000\u0000\u0000",
                "MIIB\u0000AAAA", "\u001b[31mMIIB\u001b[0m", "Zoë's request", "证书请求", "%4D%49%49%42", "MIIB%0A", "MII B",
                "data:application/pkcs10;base64,MIIB", "\ufeffMIIB"));
        while (texts.size() < 40) {
            StringBuilder s = new StringBuilder();
            for (int j = random.nextInt(200) + 1; j > 0; j--) {
                s.append((char) (random.nextInt(0x2FF) + 1));
            }
            texts.add(s.toString());
        }
        for (String t : texts) {
            enroll(text, "text '" + printable(t) + "'", t.getBytes(StandardCharsets.UTF_8), NOT_A_REQUEST);
        }
        enroll(text, "bytes that are not UTF-8", new byte[]{(byte) 0xFF, (byte) 0xFE, (byte) 0xC0, (byte) 0x80, 0x41}, NOT_A_REQUEST);

        String structure = "EST body: the wrong ASN.1";
        try {
            CertificationRequest parsed = CertificationRequest.getInstance(goodCsr);
            Map<String, byte[]> wrong = new LinkedHashMap<>();
            wrong.put("the CA certificate instead of a request", facts.caCertificate().getEncoded());
            wrong.put("an issued certificate instead of a request", facts.validClient().chain()[0].getEncoded());
            wrong.put("an empty SEQUENCE", new byte[]{0x30, 0x00});
            wrong.put("a NULL", DERNull.INSTANCE.getEncoded());
            wrong.put("an INTEGER", new org.bouncycastle.asn1.ASN1Integer(7030).getEncoded());
            wrong.put("the request inside an OCTET STRING", new DEROctetString(goodCsr).getEncoded());
            wrong.put("only the CertificationRequestInfo", parsed.getCertificationRequestInfo().getEncoded());
            wrong.put("the request followed by 16 bytes", HttpsWire.concat(goodCsr, new byte[16]));
            wrong.put("the request twice", HttpsWire.concat(goodCsr, goodCsr));
            wrong.put("a SEQUENCE claiming 2 GB", HttpsWire.concat(RequestForge.header(0x30, 0x7FFFFFFFL), new byte[64]));
            wrong.put("a SEQUENCE claiming 2^64 bytes", new byte[]{0x30, (byte) 0x89, 1, 0, 0, 0, 0, 0, 0, 0, 0});
            wrong.put("a length of 127 length bytes", HttpsWire.concat(new byte[]{0x30, (byte) 0xFF}, new byte[200]));
            wrong.put("an indefinite length never closed", HttpsWire.concat(new byte[]{0x30, (byte) 0x80}, goodCsr));
            wrong.put("10,000 nested SEQUENCEs", RequestForge.nested(10_000));
            byte[] indefinite = new byte[30_000];
            for (int i = 0; i < 15_000; i += 2) {
                indefinite[i] = 0x30;
                indefinite[i + 1] = (byte) 0x80;
            }
            wrong.put("7,500 nested indefinite-length SEQUENCEs", indefinite);
            wrong.put("a request whose signature is a SEQUENCE", replaceSignatureTag(goodCsr));
            wrong.put("a request with a high tag number", HttpsWire.concat(new byte[]{0x3F, (byte) 0x81, (byte) 0x80, 0x00}, goodCsr));
            // CMP's request form, which the CA's pipeline reads for CMP: EST must still take PKCS #10 alone
            wrong.put("a CRMF CertReqMsg, signed with the request's key", new org.bouncycastle.cert.crmf.CertificateRequestMessageBuilder(
                    BigInteger.ZERO).setPublicKey(parsed.getCertificationRequestInfo().getSubjectPublicKeyInfo())
                    .setSubject(parsed.getCertificationRequestInfo().getSubject())
                    .setProofOfPossessionSigningKeySigner(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withRSA")
                            .build(key.getPrivate())).build().getEncoded());
            for (Map.Entry<String, byte[]> e : wrong.entrySet()) {
                enroll(structure, e.getKey(), base64(e.getValue()), NOT_A_REQUEST);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }

        // one byte changed inside the signed part or the signature: never again a request the CA may issue
        String corrupted = "EST body: one byte changed";
        int infoEnd = signedPartEnd(goodCsr);
        for (int i = 0; i < 100; i++) {
            int at = i % 4 == 3 ? goodCsr.length - 1 - random.nextInt(256) : 4 + random.nextInt(infoEnd - 4);
            byte[] changed = goodCsr.clone();
            changed[at] ^= (byte) (1 + random.nextInt(255));
            enroll(corrupted, "byte " + at + " of " + goodCsr.length + " changed to 0x" + String.format("%02x", changed[at] & 0xFF),
                    base64(changed), NOT_A_REQUEST, BAD_SIGNATURE, BAD_NAME);
        }
    }

    /** Where the signed CertificationRequestInfo ends in a request whose outer and inner lengths take 4 bytes each. */
    private static int signedPartEnd(byte[] csr) {
        return 4 + 4 + (((csr[6] & 0xFF) << 8) | (csr[7] & 0xFF));
    }

    /** The request with its signature BIT STRING's tag made a SEQUENCE: the structure no longer parses as PKCS #10. */
    private static byte[] replaceSignatureTag(byte[] csr) {
        byte[] copy = csr.clone();
        // RSA-2048: BIT STRING tag, 0x82, two length bytes, unused-bits byte, 256 signature bytes
        copy[copy.length - 261] = 0x30;
        return copy;
    }

    // ---- EST: well-formed requests the policy module must refuse --------------------------------------

    private void estRequests() {
        String signatures = "EST request: bad signature";
        CertificationRequestInfo info = CertificationRequest.getInstance(goodCsr).getCertificationRequestInfo();
        for (int i = 0; i < 10; i++) {
            CertificationRequestInfo named = RequestForge.info(RequestForge.cn("signed-by-another-key-" + i + ".contoso.com"),
                    RequestForge.keyInfo(key), RequestForge.subjectAltNames(RequestForge.dnsNames("other" + i + ".contoso.com")));
            enroll(signatures, "request " + i + " signed by another key", base64(RequestForge.signed(named, otherKey.getPrivate())), BAD_SIGNATURE);
        }
        byte[] signature = CertificationRequest.getInstance(goodCsr).getSignature().getOctets();
        for (int i = 0; i < 12; i++) {
            byte[] flipped = signature.clone();
            flipped[random.nextInt(flipped.length)] ^= (byte) (1 << random.nextInt(8));
            enroll(signatures, "one bit of the signature flipped (" + i + ")", base64(RequestForge.assemble(info, RequestForge.SHA256_WITH_RSA, flipped)),
                    BAD_SIGNATURE);
        }
        enroll(signatures, "a signature of zeros", base64(RequestForge.assemble(info, RequestForge.SHA256_WITH_RSA, new byte[256])), BAD_SIGNATURE);
        enroll(signatures, "an empty signature", base64(RequestForge.assemble(info, RequestForge.SHA256_WITH_RSA, new byte[0])), BAD_SIGNATURE);
        enroll(signatures, "a one-byte signature", base64(RequestForge.assemble(info, RequestForge.SHA256_WITH_RSA, new byte[]{1})), BAD_SIGNATURE);
        enroll(signatures, "a signature of 4096 bytes", base64(RequestForge.assemble(info, RequestForge.SHA256_WITH_RSA, new byte[4096])), BAD_SIGNATURE);
        enroll(signatures, "the signature truncated to 255 bytes",
                base64(RequestForge.assemble(info, RequestForge.SHA256_WITH_RSA, Arrays.copyOf(signature, 255))), BAD_SIGNATURE);
        Map<String, AlgorithmIdentifier> declared = new LinkedHashMap<>();
        declared.put("SHA-512 declared, SHA-256 used", new AlgorithmIdentifier(PKCSObjectIdentifiers.sha512WithRSAEncryption, DERNull.INSTANCE));
        declared.put("SHA-1 declared, SHA-256 used", new AlgorithmIdentifier(PKCSObjectIdentifiers.sha1WithRSAEncryption, DERNull.INSTANCE));
        declared.put("MD5 declared", new AlgorithmIdentifier(PKCSObjectIdentifiers.md5WithRSAEncryption, DERNull.INSTANCE));
        declared.put("ECDSA declared for an RSA key", new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256));
        declared.put("RSASSA-PSS declared without parameters", new AlgorithmIdentifier(PKCSObjectIdentifiers.id_RSASSA_PSS));
        declared.put("an unknown algorithm 1.2.3.4", new AlgorithmIdentifier(new org.bouncycastle.asn1.ASN1ObjectIdentifier("1.2.3.4")));
        declared.put("rsaEncryption as a signature algorithm", new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE));
        for (Map.Entry<String, AlgorithmIdentifier> e : declared.entrySet()) {
            enroll(signatures, e.getKey(), base64(RequestForge.assemble(info, e.getValue(), signature)), BAD_SIGNATURE);
        }
        enroll(signatures, "SHA-1 declared and used, by another key", base64(RequestForge.signed(info, otherKey.getPrivate(), "SHA1withRSA",
                new AlgorithmIdentifier(PKCSObjectIdentifiers.sha1WithRSAEncryption, DERNull.INSTANCE))), BAD_SIGNATURE);

        String sizes = "EST request: key size";
        for (int bits : new int[]{512, 512, 512, 640, 768, 768, 1024, 1024, 1024, 1536, 2040}) {
            KeyPair weak = forge.rsa(bits);
            enroll(sizes, bits + "-bit RSA key", base64(RequestForge.request(weak, RequestForge.cn("weak.contoso.com"),
                    RequestForge.dnsNames("weak.contoso.com"))), KEY_LENGTH);
        }
        for (String curve : List.of("secp256r1", "secp384r1", "secp521r1")) {
            KeyPair ec = forge.ec(curve);
            CertificationRequestInfo ecInfo = RequestForge.info(RequestForge.cn("ec.contoso.com"), RequestForge.keyInfo(ec),
                    RequestForge.subjectAltNames(RequestForge.dnsNames("ec.contoso.com")));
            enroll(sizes, curve + " EC key for a legacy CSP template", base64(RequestForge.signed(ecInfo, ec.getPrivate(), "SHA256withECDSA",
                    new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256))), KEY_LENGTH);
        }
        for (int bits : new int[]{8200, 12288, 16384, 16385, 20000, 32768}) {
            enroll(sizes, bits + "-bit RSA key, validly signed", base64(forge.hugeRsaRequest(bits, RequestForge.cn("huge.contoso.com"),
                    RequestForge.dnsNames("huge.contoso.com"))), KEY_LENGTH);
        }

        String flood = "EST request: alternative-name flood";
        for (int count : new int[]{101, 128, 256, 512, 1000, 1500, 2000, 3000, 5000, 10_000}) {
            String[] names = new String[count];
            for (int i = 0; i < count; i++) {
                names[i] = "host" + i + ".contoso.com";
            }
            byte[] body = base64(RequestForge.request(key, RequestForge.cn("flood.contoso.com"), RequestForge.dnsNames(names)));
            enroll(flood, count + " DNS names (" + body.length + " bytes)", body, body.length > 65536 ? TOO_LARGE : BAD_NAME);
        }
        String[] same = new String[1000];
        Arrays.fill(same, "same.contoso.com");
        enroll(flood, "1000 times the same DNS name", base64(RequestForge.request(key, RequestForge.cn("same.contoso.com"),
                RequestForge.dnsNames(same))), BAD_NAME);
        GeneralName[] addresses = new GeneralName[500];
        for (int i = 0; i < addresses.length; i++) {
            addresses[i] = new GeneralName(GeneralName.iPAddress, "10.0." + (i / 250) + "." + (i % 250));
        }
        enroll(flood, "500 IP addresses", base64(RequestForge.request(key, RequestForge.cn("ip.contoso.com"), addresses)), BAD_NAME);
        RDN[] rdns = new RDN[600];
        for (int i = 0; i < rdns.length; i++) {
            rdns[i] = new RDN(BCStyle.OU, new DERUTF8String("unit " + i));
        }
        enroll(flood, "a subject of 600 relative names", base64(RequestForge.request(key, new X500Name(rdns),
                RequestForge.dnsNames("rdns.contoso.com"))), BAD_NAME);

        String names = "EST request: names with control characters or not UTF-8";
        List<String> bad = List.of("web\u0000.contoso.com", "web\u0007.contoso.com", "web\n.contoso.com", "web\r\nX-Injected: 1",
                "\u001b[31mred.contoso.com\u001b[0m", "web\u007f.contoso.com", "web\u0085.contoso.com", "web\u009b.contoso.com",
                "\u202egro.osotnoc.bew", "web\u2066.contoso.com", "web\t.contoso.com", "\u0000", "");
        for (String cn : bad) {
            if (!cn.isEmpty()) {
                enroll(names, "common name '" + printable(cn) + "'", base64(RequestForge.request(key, RequestForge.cn(cn),
                        RequestForge.dnsNames("ok.contoso.com"))), BAD_NAME);
            }
            if (cn.chars().allMatch(c -> c <= 0xFF)) { // an IA5String holds bytes: U+2066 would become 'f'
                enroll(names, "DNS name '" + printable(cn) + "'", base64(RequestForge.request(key, RequestForge.cn("ok.contoso.com"),
                        new GeneralName(GeneralName.dNSName, new DERIA5String(cn, false)))), BAD_NAME);
            }
        }
        Map<String, byte[]> notUtf8 = new LinkedHashMap<>();
        notUtf8.put("0xFF", new byte[]{'w', (byte) 0xFF, 'b'});
        notUtf8.put("an overlong NUL (C0 80)", new byte[]{'w', (byte) 0xC0, (byte) 0x80});
        notUtf8.put("a lone continuation byte", new byte[]{(byte) 0x80, 'w'});
        notUtf8.put("a sequence cut short (E2 82)", new byte[]{'w', (byte) 0xE2, (byte) 0x82});
        notUtf8.put("an encoded surrogate (ED A0 80)", new byte[]{'w', (byte) 0xED, (byte) 0xA0, (byte) 0x80});
        notUtf8.put("a code point above U+10FFFF (F4 90 80 80)", new byte[]{(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80});
        notUtf8.put("Latin-1 text (Zo\\xEB)", new byte[]{'Z', 'o', (byte) 0xEB});
        for (Map.Entry<String, byte[]> e : notUtf8.entrySet()) {
            enroll(names, "UTF8String common name with " + e.getKey(), base64(RequestForge.request(key,
                    RequestForge.subjectWithValue(BCStyle.CN, rawString(0x0C, e.getValue())), RequestForge.dnsNames("ok.contoso.com"))), BAD_NAME);
            enroll(names, "DNS name with " + e.getKey(), base64(RequestForge.request(key, RequestForge.cn("ok.contoso.com"),
                    new GeneralName(GeneralName.dNSName, rawString(0x16, e.getValue())))), BAD_NAME);
        }
        // no ASN.1 library writes an odd-length BMPString: a UTF8String of three bytes, retagged after signing
        byte[] oddBmp = RequestForge.request(key, RequestForge.cn("w@b"), RequestForge.dnsNames("ok.contoso.com"));
        int at = indexOf(oddBmp, new byte[]{0x0C, 0x03, 'w', '@', 'b'});
        oddBmp[at] = 0x1E;
        enroll(names, "BMPString common name of odd length", base64(oddBmp), NOT_A_REQUEST);
        enroll(names, "BMPString common name with a lone surrogate", base64(RequestForge.request(key,
                RequestForge.subjectWithValue(BCStyle.CN, new DERBMPString("w\ud800b")), RequestForge.dnsNames("ok.contoso.com"))), BAD_NAME);
        enroll(names, "PrintableString common name with '@' and NUL", base64(RequestForge.request(key,
                RequestForge.subjectWithValue(BCStyle.CN, rawString(0x13, "a@b\u0000".getBytes(StandardCharsets.ISO_8859_1))),
                RequestForge.dnsNames("ok.contoso.com"))), BAD_NAME);
        enroll(names, "T61String common name with control bytes", base64(RequestForge.request(key,
                RequestForge.subjectWithValue(BCStyle.CN, new DERT61String(new byte[]{'w', 0x1B, 0x00})), RequestForge.dnsNames("ok.contoso.com"))),
                BAD_NAME);
        enroll(names, "an OCTET STRING as common name", base64(RequestForge.request(key,
                RequestForge.subjectWithValue(BCStyle.CN, new DEROctetString(new byte[]{1, 2, 3})), RequestForge.dnsNames("ok.contoso.com"))),
                BAD_NAME);
        enroll(names, "a common name of 65 characters", base64(RequestForge.request(key, RequestForge.cn("w".repeat(65)),
                RequestForge.dnsNames("ok.contoso.com"))), BAD_NAME);
        enroll(names, "a common name of 20,000 characters", base64(RequestForge.request(key, RequestForge.cn("w".repeat(20_000)),
                RequestForge.dnsNames("ok.contoso.com"))), BAD_NAME);
        for (String dns : List.of("-web.contoso.com", "web-.contoso.com", "web..contoso.com", ".contoso.com", "web contoso.com",
                "web_1?.contoso.com", "w".repeat(64) + ".contoso.com", ("a".repeat(60) + ".").repeat(5) + "com", "*.*.contoso.com",
                "web.*.contoso.com", "*", "web.contoso.com/path", "web.contoso.com:443", "user@web.contoso.com", "(cn=*)", "web\\.contoso.com",
                "web.contoso.com\u0000.evil.example", "xn--\u00e9.contoso.com")) {
            enroll(names, "DNS name '" + printable(dns) + "'", base64(RequestForge.request(key, RequestForge.cn("ok.contoso.com"),
                    new GeneralName(GeneralName.dNSName, new DERIA5String(dns, false)))), BAD_NAME);
        }
        enroll(names, "an e-mail name with a control character", base64(RequestForge.request(key, RequestForge.cn("ok.contoso.com"),
                new GeneralName(GeneralName.rfc822Name, new DERIA5String("a\u0001@contoso.com", false)))), BAD_NAME);
        enroll(names, "a URI with a space and NUL", base64(RequestForge.request(key, RequestForge.cn("ok.contoso.com"),
                new GeneralName(GeneralName.uniformResourceIdentifier, new DERIA5String("http://a b/\u0000", false)))), BAD_NAME);
        enroll(names, "an IP address of 5 bytes", base64(RequestForge.request(key, RequestForge.cn("ok.contoso.com"),
                new GeneralName(GeneralName.iPAddress, new DEROctetString(new byte[]{10, 0, 0, 1, 5})))), BAD_NAME);
        enroll(names, "a directory name with a control character", base64(RequestForge.request(key, RequestForge.cn("ok.contoso.com"),
                new GeneralName(GeneralName.directoryName, RequestForge.cn("dir\u0007name")))), BAD_NAME);
    }

    private static int indexOf(byte[] data, byte[] part) {
        for (int i = 0; i + part.length <= data.length; i++) {
            if (Arrays.equals(data, i, i + part.length, part, 0, part.length)) {
                return i;
            }
        }
        throw new IllegalArgumentException("not found");
    }

    /** An ASN.1 string with tag {@code tag} whose content octets are exactly {@code content}, valid for its type or not. */
    private static ASN1Primitive rawString(int tag, byte[] content) {
        try {
            return ASN1Primitive.fromByteArray(HttpsWire.concat(RequestForge.header(tag, content.length), content));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- EST: the HTTP around the request ----------------------------------------------------------

    private byte[] post(String target, byte[] body, String... headers) {
        return HttpsWire.request("POST", target, host, List.of(headers), body);
    }

    private void wire(String category, String name, byte[] wire, Answer... answers) {
        http.add(new HttpInput(category, name, Transport.HTTPS, null, wire, List.of(answers)));
    }

    private void estHttp() {
        byte[] body = base64(goodCsr);
        String enroll = EST + "WebServer/simpleenroll";
        String types = "EST HTTP: wrong content type";
        List<String> contentTypes = List.of("text/plain", "application/json", "application/octet-stream", "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=x", "application/pkcs7-mime", "application/pkcs7-mime; smime-type=certs-only",
                "application/pkcs10x", "application/pkcs10-garbage", "application/pkcs1", "application/pkcs", "pkcs10", "application/",
                "/pkcs10", "*/*", "application/*", "application/ pkcs10", "application/pkcs10, text/plain", "text/plain; application/pkcs10",
                "application/x-pkcs10", "application/pkcs10\tx", "image/png", "application/pkcs10; charset=\"", ";", "\"application/pkcs10\"",
                "a".repeat(2000), "application/pkcs8", "application/pkix-cert", "message/http");
        for (String type : contentTypes) {
            wire(types, "Content-Type '" + printable(type) + "'", post(enroll, body, "Authorization", bearer, "Content-Type", type), WRONG_TYPE);
        }
        wire(types, "no Content-Type", post(enroll, body, "Authorization", bearer), WRONG_TYPE);
        wire(types, "an empty Content-Type", post(enroll, body, "Authorization", bearer, "Content-Type", ""), WRONG_TYPE);

        String size = "EST HTTP: oversized body";
        byte[] big = new byte[65_537];
        Arrays.fill(big, (byte) 'A');
        wire(size, "65,537 bytes of base64", post(enroll, big, "Authorization", bearer, "Content-Type", "application/pkcs10"), TOO_LARGE);
        wire(size, "65,537 bytes, unauthenticated", post(enroll, big, "Content-Type", "application/pkcs10"), LOGON_FAILURE, TOO_LARGE);
        byte[] padded = HttpsWire.concat(body, new byte[70_000]);
        Arrays.fill(padded, body.length, padded.length, (byte) '\n');
        wire(size, "a good request followed by 70,000 newlines", post(enroll, padded, "Authorization", bearer, "Content-Type", "application/pkcs10"),
                TOO_LARGE);
        for (String declared : List.of("1048576", "104857600", "2147483648", "9223372036854775807")) {
            wire(size, "Content-Length " + declared + " with 1 KB sent", HttpsWire.concat(head(enroll, "Authorization", bearer,
                    "Content-Type", "application/pkcs10", "Content-Length", declared), new byte[1024]), TOO_LARGE);
        }
        for (int chunk : new int[]{1024, 8192, 65_536, 100_000}) {
            wire(size, "chunked, " + chunk + "-byte chunks, 100,000 bytes", HttpsWire.concat(head(enroll, "Authorization", bearer,
                    "Content-Type", "application/pkcs10", "Transfer-Encoding", "chunked"), chunked(100_000, chunk)), TOO_LARGE);
        }

        String framing = "EST HTTP: malformed message";
        wire(framing, "Content-Length not a number", HttpsWire.concat(head(enroll, "Authorization", bearer, "Content-Type", "application/pkcs10",
                "Content-Length", "abc"), body), BAD_HTTP);
        wire(framing, "Content-Length negative", HttpsWire.concat(head(enroll, "Authorization", bearer, "Content-Type", "application/pkcs10",
                "Content-Length", "-1"), body), BAD_HTTP);
        wire(framing, "Content-Length over 2^63", HttpsWire.concat(head(enroll, "Authorization", bearer, "Content-Type", "application/pkcs10",
                "Content-Length", "99999999999999999999"), body), BAD_HTTP, TOO_LARGE);
        wire(framing, "two different Content-Lengths", HttpsWire.concat(head(enroll, "Authorization", bearer, "Content-Type", "application/pkcs10",
                "Content-Length", String.valueOf(body.length), "Content-Length", "5"), body), BAD_HTTP);
        wire(framing, "Content-Length and chunked together", HttpsWire.concat(head(enroll, "Authorization", bearer, "Content-Type",
                "application/pkcs10", "Content-Length", "5", "Transfer-Encoding", "chunked"), chunked(body.length, 100)), BAD_HTTP);
        wire(framing, "Transfer-Encoding gzip", HttpsWire.concat(head(enroll, "Authorization", bearer, "Content-Type", "application/pkcs10",
                "Transfer-Encoding", "gzip"), body), BAD_HTTP, new Answer(501, null, false, null));
        wire(framing, "a chunk size that is not hex", HttpsWire.concat(head(enroll, "Authorization", bearer, "Content-Type", "application/pkcs10",
                "Transfer-Encoding", "chunked"), "zz\r\nabc\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)), BAD_HTTP);
        wire(framing, "no Host header", ("POST " + enroll + " HTTP/1.1\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII), BAD_HTTP);
        wire(framing, "two Host headers", ("GET " + EST + "cacerts HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").getBytes(StandardCharsets.US_ASCII), BAD_HTTP);
        wire(framing, "a header without a colon", ("GET " + EST + "cacerts HTTP/1.1\r\nHost: " + host + "\r\nNoColonHere\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII), BAD_HTTP);
        wire(framing, "a header name with a space", ("GET " + EST + "cacerts HTTP/1.1\r\nHost: " + host + "\r\nBad Name: x\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII), BAD_HTTP);
        wire(framing, "a folded header line", ("GET " + EST + "cacerts HTTP/1.1\r\nHost: " + host + "\r\nX-A: b\r\n c\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII), BAD_HTTP);
        wire(framing, "a NUL in a header value", ("GET " + EST + "cacerts HTTP/1.1\r\nHost: " + host + "\r\nX-A: b\u0000c\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1), BAD_HTTP);
        wire(framing, "HTTP/9.9", ("GET " + EST + "cacerts HTTP/9.9\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII),
                BAD_HTTP, new Answer(505, null, false, null));
        wire(framing, "HTTP/0.9 request line", ("GET " + EST + "cacerts\r\n\r\n").getBytes(StandardCharsets.US_ASCII), BAD_HTTP,
                new Answer(505, null, false, null));
        wire(framing, "a request line of garbage", "GARBAGE\r\n\r\n".getBytes(StandardCharsets.US_ASCII), BAD_HTTP);
        wire(framing, "a request line with a NUL", ("GET /\u0000 HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1), BAD_HTTP);
        wire(framing, "a target that is not a path", ("GET cacerts HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII), BAD_HTTP);
        wire(framing, "a bad percent escape", ("GET " + EST + "%zz HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII), BAD_HTTP);
        for (int i = 0; i < 6; i++) {
            byte[] junk = new byte[20 + random.nextInt(400)];
            random.nextBytes(junk);
            junk[junk.length - 1] = '\n';
            wire(framing, junk.length + " random bytes as a request", HttpsWire.concat(junk, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII)), BAD_HTTP);
        }
        for (String method : List.of("GET", "PUT", "DELETE", "PATCH", "BREW", "post")) {
            wire(framing, method + " to simpleenroll", HttpsWire.request(method, enroll, host, List.of("Authorization", bearer), null), WRONG_METHOD);
        }
        wire(framing, "POST to cacerts", post(EST + "cacerts", body, "Authorization", bearer, "Content-Type", "application/pkcs10"), WRONG_METHOD);

        String headers = "EST HTTP: oversized headers";
        wire(headers, "one header of 9,000 bytes", HttpsWire.request("GET", EST + "cacerts", host, List.of("X-Big", "x".repeat(9000)), null),
                HEADERS_TOO_LARGE);
        wire(headers, "an Authorization header of 10,000 bytes", post(enroll, body, "Authorization", "Bearer " + "A".repeat(10_000),
                "Content-Type", "application/pkcs10"), HEADERS_TOO_LARGE);
        wire(headers, "a Cookie of 8,500 bytes", HttpsWire.request("GET", EST + "cacerts", host, List.of("Cookie", "c=" + "y".repeat(8500)), null),
                HEADERS_TOO_LARGE);
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            many.add("X-Header-" + i);
            many.add("value-" + i);
        }
        wire(headers, "400 headers", HttpsWire.request("GET", EST + "cacerts", host, many, null), HEADERS_TOO_LARGE);
        wire(headers, "a Content-Type of 9,000 bytes", post(enroll, body, "Authorization", bearer, "Content-Type", "application/pkcs10; x=" + "z".repeat(9000)),
                HEADERS_TOO_LARGE);
        wire(headers, "a target of 9,000 characters", HttpsWire.request("GET", EST + "x".repeat(9000) + "/csrattrs", host, List.of(), null), URI_TOO_LONG);
        wire(headers, "a query of 9,000 characters", HttpsWire.request("GET", EST + "cacerts?q=" + "q".repeat(9000), host, List.of(), null), URI_TOO_LONG);
        wire(headers, "a header line of 100,000 bytes", HttpsWire.request("GET", EST + "cacerts", host, List.of("X-Huge", "h".repeat(100_000)), null),
                HEADERS_TOO_LARGE);

        String plain = "EST HTTP: not TLS on the HTTPS port";
        List<byte[]> notTls = new ArrayList<>(List.of(("GET " + EST + "cacerts HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII),
                "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), new byte[]{0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5},
                new byte[]{0x16, 0x03, 0x03, (byte) 0xFF, (byte) 0xFF}));
        for (int i = 0; i < 4; i++) {
            byte[] junk = new byte[1 + random.nextInt(2000)];
            random.nextBytes(junk);
            notTls.add(junk);
        }
        for (byte[] bytes : notTls) {
            http.add(new HttpInput(plain, bytes.length + " bytes starting " + String.format("%02x", bytes[0]), Transport.TCP_TO_HTTPS_PORT, null,
                    bytes, List.of(TLS_REFUSED, new Answer(400, null, false, "HTTPS"))));
        }
    }

    private byte[] head(String target, String... headers) {
        StringBuilder head = new StringBuilder("POST ").append(target).append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
        for (int i = 0; i + 1 < headers.length; i += 2) {
            head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        return head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] chunked(int total, int chunk) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int sent = 0; sent < total; sent += chunk) {
            int n = Math.min(chunk, total - sent);
            out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] data = new byte[n];
            Arrays.fill(data, (byte) 'A');
            out.writeBytes(data);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    // ---- EST: template labels ---------------------------------------------------------------------

    private void estLabels() {
        String labels = "EST label";
        byte[] body = base64(goodCsr);
        // labels the EST server reads (after HTTP's own decoding) and that cannot be template names
        List<String> notNames = List.of("...", "Web..Server", ".WebServer", "WebServer.", "Web+Server", "%20WebServer", "WebServer%20", "%20",
                "*", "%2A", "Web*", "(cn=*)", "%28cn%3D*%29", "*)(objectClass=*", "%2A%29%28objectClass%3D%2A", "%7C", "&", "!", "=", "%3C",
                "%3E", "~", "WebServer,CN=Users", "cn=WebServer", "CN%3DWebServer%2CCN%3DCertificate%20Templates", "'", "%22",
                "%E2%80%AEreSbeW", "Web%E2%81%A6Server", "%F0%9F%94%91", "a".repeat(65), "W".repeat(200), "x".repeat(4000), "_", "-", "()",
                "%EF%BF%BF", "Web%C2%A0Server", "$", "@", "Web,Server", "Web:Server");
        for (String label : notNames) {
            enroll(labels, "label '" + printable(label) + "'", label, body, NOT_A_TEMPLATE_NAME);
        }
        // labels that are fine as names but name no template: the CA records these, as AD CS lists them in Failed Requests
        for (String label : List.of("NoSuchTemplate", "No%20Such%20Template", "cacerts", "policy", "simpleenroll", "Web%C3%A9Server",
                "%E8%AF%81%E4%B9%A6", "CON", "NUL", "Web Server Copy".replace(" ", "%20"), "Machine2", "1", "WebServer(1)", "Web(Server")) {
            enroll(labels, "label '" + printable(label) + "', a name but no template's", label, body, UNKNOWN_TEMPLATE);
        }
        // paths HTTP refuses before any label is read: encoded separators, '%', NUL and other control characters, dot segments
        Answer suspiciousPath = new Answer(400, null, false, "plain path");
        for (String path : List.of("..%2FWebServer", "%2e%2e", "%2E%2E%2F%2E%2E", ".%2e", "WebServer%2F..", "%2F",
                "Web%2FServer", "%ZZ", "%", "%E9", "%ED%A0%80", "%FE%FF", "WebServer%00", "%00", "Web%00Server", "%0d%0aX-Injected:%20yes",
                "%1b%5b31m", "%09", "%5C2a", "Web%5C", "%5C", "%25", "%2525", "Web%0BServer", "%7F", "Web\\Server")) {
            enroll(labels, "path '" + printable(path) + "'", path, body, suspiciousPath, BAD_HTTP);
        }
        // paths the EST router refuses: more segments than <label>/<operation>, or path parameters
        for (String path : List.of("..", "../WebServer", "a/b", "/", "WebServer/", "WebServer;jsessionid=1", ";", "Web%3BServer", "#x")) {
            enroll(labels, "path '" + printable(path) + "'", path, body, NOT_EST, NOT_A_TEMPLATE_NAME, BAD_HTTP);
        }
        enroll(labels, "no label at all", "", body, suspiciousPath);
        wire(labels, "simpleenroll without a label, no EstDefaultTemplate", post(EST + "simpleenroll", body, "Authorization", bearer,
                "Content-Type", "application/pkcs10"), new Answer(400, WindowsError.CERTSRV_E_NO_CERT_TYPE, false, "EstDefaultTemplate"));
        estTemplatesInTheRequest();
        wire(labels, "csrattrs for label '*)(cn=*'", HttpsWire.request("GET", EST + "*)(cn=*/csrattrs", host, List.of(), null),
                new Answer(200, null, false, null), BAD_HTTP);
        wire(labels, "unknown operation 'simpleenrol'", post(EST + "WebServer/simpleenrol", body, "Authorization", bearer,
                "Content-Type", "application/pkcs10"), new Answer(404, null, false, "simpleenroll"));
        wire(labels, "unknown operation '..%2Fsimpleenroll'", post(EST + "WebServer/..%2Fsimpleenroll", body, "Authorization", bearer,
                "Content-Type", "application/pkcs10"), BAD_HTTP, NOT_EST);
    }

    /** A request for hostile.contoso.com whose extensionRequest holds {@code extensions} (OID, value) and {@code pairs} name-value pairs. */
    private byte[] naming(Object[][] extensions, String... pairs) {
        try {
            ExtensionsGenerator generator = new ExtensionsGenerator();
            for (Object[] extension : extensions) {
                generator.addExtension(new ASN1ObjectIdentifier((String) extension[0]), false, (ASN1Encodable) extension[1]);
            }
            List<Attribute> attributes = new ArrayList<>();
            if (extensions.length > 0) {
                attributes.add(new Attribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, new DERSet(generator.generate())));
            }
            for (String pair : pairs) {
                int colon = pair.indexOf(':');
                attributes.add(new Attribute(new ASN1ObjectIdentifier("1.3.6.1.4.1.311.13.2.1"), new DERSet(new DERSequence(
                        new ASN1Encodable[]{new DERBMPString(pair.substring(0, colon)), new DERBMPString(pair.substring(colon + 1))}))));
            }
            return RequestForge.signed(RequestForge.info(RequestForge.cn("hostile.contoso.com"), RequestForge.keyInfo(key),
                    attributes.toArray(new Attribute[0])), key.getPrivate());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Templates named inside the request, sent without a label: the CA reads them and looks up only what can be a name. */
    private void estTemplatesInTheRequest() {
        String category = "EST: template named in the request";
        String name = "1.3.6.1.4.1.311.20.2";
        String info = "1.3.6.1.4.1.311.21.7";
        Answer badTag = new Answer(400, WindowsError.CRYPT_E_ASN1_BADTAG, false, "template");
        Answer conflict = new Answer(400, WindowsError.CERTSRV_E_TEMPLATE_CONFLICT, false, "two templates");
        Map<String, byte[]> bodies = new LinkedHashMap<>();
        Map<String, Answer> answers = new LinkedHashMap<>();
        bodies.put("20.2 holding an INTEGER", naming(new Object[][]{{name, new ASN1Integer(7)}}));
        answers.put("20.2 holding an INTEGER", badTag);
        bodies.put("20.2 holding an empty BMPString", naming(new Object[][]{{name, new DERBMPString("")}}));
        answers.put("20.2 holding an empty BMPString", badTag);
        bodies.put("21.7 holding a BMPString", naming(new Object[][]{{info, new DERBMPString("WebServer")}}));
        answers.put("21.7 holding a BMPString", badTag);
        bodies.put("21.7 holding an empty SEQUENCE", naming(new Object[][]{{info, new DERSequence()}}));
        answers.put("21.7 holding an empty SEQUENCE", badTag);
        bodies.put("21.7 naming an OID no template has", naming(new Object[][]{{info, new DERSequence(new ASN1Encodable[]{
                new ASN1ObjectIdentifier("1.3.6.1.4.1.311.21.8.1.2.3"), new ASN1Integer(100), new ASN1Integer(1)})}}));
        answers.put("21.7 naming an OID no template has", new Answer(404, WindowsError.CERTSRV_E_UNSUPPORTED_CERT_TYPE, false, "msPKI-Cert-Template-OID"));
        for (String hostile : List.of("*)(cn=*", "*", "WebServer,CN=Users", "a".repeat(10_000), "Web\u0000Server", "Web\u202eServer", "..")) {
            bodies.put("20.2 naming '" + printable(hostile.length() > 40 ? hostile.substring(0, 40) + "..." : hostile) + "'",
                    naming(new Object[][]{{name, new DERBMPString(hostile)}}));
            answers.put("20.2 naming '" + printable(hostile.length() > 40 ? hostile.substring(0, 40) + "..." : hostile) + "'", NOT_A_TEMPLATE_NAME);
        }
        bodies.put("CertificateTemplate:*)(objectClass=* attribute", naming(new Object[][]{}, "CertificateTemplate:*)(objectClass=*"));
        answers.put("CertificateTemplate:*)(objectClass=* attribute", NOT_A_TEMPLATE_NAME);
        bodies.put("20.2 naming NoSuchTemplate", naming(new Object[][]{{name, new DERBMPString("NoSuchTemplate")}}));
        answers.put("20.2 naming NoSuchTemplate", UNKNOWN_TEMPLATE);
        bodies.put("20.2 WebServer, attribute CertificateTemplate:User", naming(new Object[][]{{name, new DERBMPString("WebServer")}},
                "CertificateTemplate:User"));
        answers.put("20.2 WebServer, attribute CertificateTemplate:User", conflict);
        for (Map.Entry<String, byte[]> body : bodies.entrySet()) {
            wire(category, body.getKey() + ", no label", post(EST + "simpleenroll", base64(body.getValue()), "Authorization", bearer,
                    "Content-Type", "application/pkcs10"), answers.get(body.getKey()));
        }
        enroll(category, "label WebServer, 20.2 naming User", "WebServer", base64(naming(new Object[][]{{name, new DERBMPString("User")}})), conflict);
    }

    // ---- EST: credentials ---------------------------------------------------------------------------

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private void credentials(String name, String authorization) {
        credentials(name, authorization, LOGON_FAILURE);
    }

    private void credentials(String name, String authorization, Answer... answers) {
        byte[] body = base64(goodCsr);
        List<String> headers = authorization == null ? List.of("Content-Type", "application/pkcs10")
                : List.of("Authorization", authorization, "Content-Type", "application/pkcs10");
        http.add(new HttpInput("EST credentials", name, Transport.HTTPS, null, HttpsWire.request("POST", EST + "WebServer/simpleenroll", host,
                headers, body), List.of(answers)));
    }

    private void estCredentials() {
        credentials("no Authorization header", null);
        for (String account : List.of("Administrator", "IIS01$", "alice")) {
            for (int i = 0; i < 8; i++) {
                String wrong = randomText(random, 1 + random.nextInt(30));
                credentials(account + " with wrong password '" + printable(wrong) + "'", basic(account, wrong));
            }
            credentials(account + " with an empty password", basic(account, ""));
            credentials(account + " with the password in upper case", basic(account, facts.password().toUpperCase()));
            credentials(account + " with the password and a space", basic(account, facts.password() + " "));
        }
        credentials("Administrator with a password of 4,000 characters", basic("Administrator", "p".repeat(4000)));
        for (String user : List.of("", "*", "Admin*", "*)(sAMAccountName=*", "\\2a", "Administrator\u0000", "Administrator)",
                "x".repeat(4000), "Zoë", "krbtgt", "Guest",
                "uid=admin,ou=system", "admin", "IIS01", "Domain Admins", "\u001b[31m")) {
            credentials("user '" + printable(user) + "'", basic(user, user.equals("uid=admin,ou=system") || user.equals("admin") ? "secret" : facts.password()));
        }
        credentials("the Administrator's DN with a wrong password", basic(facts.names().user("Administrator"), "wrong"));
        credentials("CONTOSO\\Administrator with a wrong password", basic("CONTOSO\\Administrator", "wrong"));
        credentials("Basic without a colon", "Basic " + Base64.getEncoder().encodeToString("Administrator".getBytes(StandardCharsets.UTF_8)));
        credentials("Basic with nothing", "Basic ");
        credentials("Basic that is not base64", "Basic !!!not-base64!!!");
        credentials("Basic of '===='", "Basic ====");
        credentials("Basic with bytes that are not UTF-8", "Basic " + Base64.getEncoder().encodeToString(new byte[]{(byte) 0xFF, (byte) 0xFE, ':', (byte) 0xC0}));
        String token = facts.adminToken();
        credentials("Bearer with nothing", "Bearer ");
        credentials("Bearer garbage", "Bearer garbage");
        for (int i = 0; i < 6; i++) {
            byte[] junk = new byte[16 + random.nextInt(600)];
            random.nextBytes(junk);
            credentials("Bearer of " + junk.length + " random bytes", "Bearer " + Base64.getUrlEncoder().encodeToString(junk));
        }
        for (int cut : new int[]{10, token.length() / 2, token.length() - 12}) {
            credentials("the Administrator's token cut to " + cut + " characters", "Bearer " + token.substring(0, cut));
        }
        for (int i = 0; i < 4; i++) {
            int at = 20 + random.nextInt(token.length() - 24);
            char c = token.charAt(at) == 'A' ? 'B' : 'A';
            credentials("the Administrator's token with character " + at + " changed", "Bearer " + token.substring(0, at) + c + token.substring(at + 1));
        }
        String decoded = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        credentials("the Administrator's token claiming another account, old signature",
                "Bearer " + Base64.getUrlEncoder().encodeToString(decoded.replaceFirst("account: [^\n]*", "account: CONTOSO\\\\krbtgt")
                        .getBytes(StandardCharsets.UTF_8)));
        credentials("the Administrator's token with an extra group, old signature",
                "Bearer " + Base64.getUrlEncoder().encodeToString(decoded.replaceFirst("\nsignature: ", "\ngroup: S-1-5-32-544 BUILTIN\\\\Administrators\nsignature: ")
                        .getBytes(StandardCharsets.UTF_8)));
        credentials("a token without its signature", "Bearer " + Base64.getUrlEncoder().encodeToString(decoded.substring(0,
                decoded.indexOf("signature: ")).getBytes(StandardCharsets.UTF_8)));
        for (String scheme : List.of("Digest username=\"Administrator\"", "Negotiate YIIBngYGKwYBBQUCoIIBkjCCAY6gGjAY", "NTLM TlRMTVNTUAABAAAAB4IIog==",
                "Bearer", "Basic", "Token abc", "Basic" + basic("Administrator", facts.password()).substring(5).replace(" ", ""))) {
            credentials("Authorization '" + printable(scheme) + "'", scheme);
        }
        credentials("Authorization with a control character", "Basic \u0001", BAD_HTTP, LOGON_FAILURE);
    }

    // ---- EST: client certificates for re-enrollment -------------------------------------------------

    private void estClientCertificates() {
        String category = "EST client certificate";
        byte[] body = base64(RequestForge.request(key, RequestForge.cn("renewal.contoso.com"), RequestForge.dnsNames("renewal.contoso.com")));
        Answer foreign = new Answer(400, WindowsError.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, false, "not issued by " + facts.caName());
        for (String subject : List.of("CN=iis01.contoso.com", "CN=Administrator", "CN=" + facts.caName() + ",DC=contoso,DC=com", "CN=evil.example",
                "CN=\u0000", "CN=pc01.contoso.com,O=Contoso")) {
            KeyPair own = forge.rsa(1024);
            X509Certificate cert = RequestForge.certificate(subject, subject, own, own.getPrivate(), BigInteger.valueOf(random.nextInt(1_000_000) + 1), 1);
            renewal(category, "self-signed '" + printable(subject) + "'", new ClientCertificate(new X509Certificate[]{cert}, own.getPrivate()), body, foreign);
        }
        KeyPair fakeCa = forge.rsa(2048);
        String caSubject = facts.caCertificate().getSubjectX500Principal().getName();
        for (int i = 0; i < 5; i++) {
            KeyPair own = forge.rsa(1024);
            BigInteger serial = i < 2 ? facts.issuedSerial() : new BigInteger(120, random);
            X509Certificate cert = RequestForge.certificate("CN=iis01.contoso.com", caSubject, own, fakeCa.getPrivate(), serial, 1);
            renewal(category, "issued by a CA named like " + facts.caName() + (i < 2 ? ", with an issued serial number" : " (" + i + ")"),
                    new ClientCertificate(new X509Certificate[]{cert}, own.getPrivate()), body, foreign);
        }
        KeyPair own = forge.rsa(1024);
        X509Certificate expiredSelf = RequestForge.certificate("CN=iis01.contoso.com", "CN=iis01.contoso.com", own, own.getPrivate(), BigInteger.TEN, -1);
        renewal(category, "an expired self-signed certificate", new ClientCertificate(new X509Certificate[]{expiredSelf}, own.getPrivate()), body, foreign);
        X509Certificate[] valid = facts.validClient().chain();
        renewal(category, "an issued certificate presented with another key", new ClientCertificate(valid, otherKey.getPrivate()), body, TLS_REFUSED);
        renewal(category, "an issued certificate presented with a 1024-bit key", new ClientCertificate(valid, own.getPrivate()), body, TLS_REFUSED);
        renewal(category, "a revoked certificate", facts.revokedClient(), body, RENEWAL_REFUSED);
        renewal(category, "a revoked certificate, naming its template", facts.revokedClient(), body, RENEWAL_REFUSED);
        renewal(category, "no certificate at all", null, body, new Answer(401, WindowsError.ERROR_LOGON_FAILURE, false, "client certificate"));
    }

    private void renewal(String category, String name, ClientCertificate client, byte[] body, Answer answer) {
        String target = name.contains("naming its template") ? EST + "Machine/simplereenroll" : EST + "simplereenroll";
        http.add(new HttpInput(category, name, Transport.HTTPS, client, HttpsWire.request("POST", target, host,
                List.of("Content-Type", "application/pkcs10"), body), List.of(answer)));
    }

    // ---- the CA's administration interface ---------------------------------------------------------

    private void admin(String name, String method, String path, String authorization, Answer answer) {
        http.add(new HttpInput("CA administration", name, Transport.HTTPS, null, HttpsWire.request(method, "/certsrv/admin/" + path, host,
                authorization == null ? List.of() : List.of("Authorization", authorization), method.equals("GET") ? null : new byte[0]),
                List.of(answer)));
    }

    private void caAdministration() {
        String serial = facts.issuedSerial().toString(16);
        long pending = facts.pendingRequestId();
        for (String account : List.of("IIS01$", "PC01$", "alice")) {
            String auth = basic(account, facts.password());
            admin(account + " approves pending request " + pending, "POST", "requests/" + pending + "/approve", auth, ACCESS_DENIED);
            admin(account + " denies pending request " + pending, "POST", "requests/" + pending + "/deny", auth, ACCESS_DENIED);
            admin(account + " revokes " + serial, "POST", "certificates/" + serial + "/revoke?reason=keyCompromise", auth, ACCESS_DENIED);
            admin(account + " publishes a CRL", "POST", "crl", auth, ACCESS_DENIED);
            admin(account + " issues Workstation", "POST", "templates/Workstation", auth, ACCESS_DENIED);
            admin(account + " stops issuing WebServer", "DELETE", "templates/WebServer", auth, ACCESS_DENIED);
            admin(account + " lists issued certificates", "GET", "requests?status=issued", auth, ACCESS_DENIED);
            admin(account + " lists the templates to issue", "GET", "templates", auth, ACCESS_DENIED);
            admin(account + " sets EDITF_ATTRIBUTESUBJECTALTNAME2", "POST", "registry?name=policy%5CEditFlags"
                    + "&change=%2BEDITF_ATTRIBUTESUBJECTALTNAME2", auth, ACCESS_DENIED);
            admin(account + " disables the SID extension", "POST", "registry?name=policy%5CDisableExtensionList"
                    + "&change=%2B1.3.6.1.4.1.311.25.2", auth, ACCESS_DENIED);
            admin(account + " reads the registry settings", "GET", "registry", auth, ACCESS_DENIED);
        }
        admin("no credentials, approve", "POST", "requests/" + pending + "/approve", null, LOGON_FAILURE);
        admin("Administrator with a wrong password, revoke", "POST", "certificates/" + serial + "/revoke", basic("Administrator", "wrong"), LOGON_FAILURE);
        String administrator = basic("Administrator", facts.password());
        admin("approve request 'abc'", "POST", "requests/abc/approve", administrator, NO_SUCH_REQUEST);
        admin("approve request 99999999", "POST", "requests/99999999/approve", administrator, NO_SUCH_REQUEST);
        admin("deny request -1", "POST", "requests/-1/deny", administrator, NO_SUCH_REQUEST);
        admin("approve request 2^70", "POST", "requests/1180591620717411303424/approve", administrator, NO_SUCH_REQUEST);
        admin("approve an issued request", "POST", "requests/" + facts.issuedRequestId() + "/approve", administrator, NOT_PENDING);
        admin("revoke serial 'zz'", "POST", "certificates/zz/revoke", administrator, NO_SUCH_REQUEST);
        admin("revoke an unknown serial", "POST", "certificates/1234567890abcdef/revoke", administrator, NO_SUCH_REQUEST);
        admin("revoke for reason 'bogus'", "POST", "certificates/" + serial + "/revoke?reason=bogus", administrator, NOT_PENDING);
        admin("revoke for reason '%00'", "POST", "certificates/" + serial + "/revoke?reason=%00", administrator, NOT_PENDING);
        admin("issue template '*'", "POST", "templates/%2A", administrator, new Answer(404, WindowsError.CERTSRV_E_UNSUPPORTED_CERT_TYPE, false, null));
        admin("issue template '*)(cn=*'", "POST", "templates/*)(cn=*", administrator, new Answer(404, WindowsError.CERTSRV_E_UNSUPPORTED_CERT_TYPE, false, null));
        admin("stop issuing 'NoSuchTemplate'", "DELETE", "templates/NoSuchTemplate", administrator, new Answer(404, WindowsError.CERTSRV_E_UNSUPPORTED_CERT_TYPE, false, null));
        admin("list folder 'bogus'", "GET", "requests?status=bogus", administrator, NOT_PENDING);
        admin("an unknown operation", "POST", "requests/" + pending + "/approve/now", administrator, new Answer(404, null, false, "requests"));
        admin("PUT crl", "PUT", "crl", administrator, new Answer(404, null, false, "crl"));
        Answer invalid = new Answer(400, WindowsError.E_INVALIDARG, false, "changed nothing");
        admin("setreg a misspelt EditFlags bit", "POST", "registry?name=policy%5CEditFlags&change=%2BEDITF_ATTRIBUTESUBJECTALTNAME",
                administrator, invalid);
        admin("setreg an InterfaceFlags bit into EditFlags", "POST", "registry?name=policy%5CEditFlags&change=%2BIF_LOCKICERTREQUEST",
                administrator, invalid);
        admin("setreg a value the CA has not", "POST", "registry?name=CA%5CEditFlags&change=0", administrator, invalid);
        admin("setreg a name with a control character", "POST", "registry?name=policy%5CEdit%07Flags&change=0", administrator, invalid);
        admin("setreg a text that is no OID", "POST", "registry?name=policy%5CDisableExtensionList&change=%2B1.3.6.x%00", administrator,
                invalid);
        admin("setreg a REG_DWORD past 32 bits", "POST", "registry?name=CA%5CInterfaceFlags&change=0x100000000", administrator, invalid);
        admin("setreg CA\\Security", "POST", "registry?name=CA%5CSecurity&change=O:BAG:DUD:(A;;0x3;;;WD)", administrator, invalid);
        admin("setreg without a change", "POST", "registry?name=policy%5CEditFlags", administrator,
                new Answer(400, WindowsError.E_INVALIDARG, false, "change"));
    }

    // ---- the Online Responder (plain HTTP): what is no OCSP request at the HTTP level --------------

    private void onlineResponder() {
        String category = "HTTP: the Online Responder";
        byte[] oversized = new byte[16 * 1024 + 1];
        oversized[0] = 0x30;
        http.add(new HttpInput(category, "POST /ocsp of 16 KiB + 1", Transport.HTTP, null, HttpsWire.request("POST", "/ocsp", "ca01",
                List.of("Content-Type", "application/ocsp-request"), oversized), List.of(new Answer(413, null, false, "16384"))));
        http.add(new HttpInput(category, "POST /ocsp as a form", Transport.HTTP, null, HttpsWire.request("POST", "/ocsp", "ca01",
                List.of("Content-Type", "application/x-www-form-urlencoded"), new byte[]{0x30, 0x00}),
                List.of(new Answer(415, null, false, "application/ocsp-request"))));
        http.add(new HttpInput(category, "DELETE /ocsp", Transport.HTTP, null, HttpsWire.request("DELETE", "/ocsp", "ca01", List.of(), null),
                List.of(new Answer(405, null, false, "POST"))));
        http.add(new HttpInput(category, "GET /ocsp/ with a 40 KiB path", Transport.HTTP, null, HttpsWire.request("GET", "/ocsp/" + "A".repeat(40 * 1024),
                "ca01", List.of(), null), List.of(URI_TOO_LONG)));
    }

    // ---- the CDP and AIA web server (plain HTTP) ---------------------------------------------------

    private void certEnroll() {
        String category = "HTTP: CertEnroll paths";
        for (String path : List.of("../ca.db", "%2e%2e/ca.db", "..%2Fca.db", "ca.db", "web.p12", "ca.p12", facts.caName() + ".crl%00.txt",
                facts.caName() + ".crl/..", "x".repeat(200), "%00", "*", facts.caName().toUpperCase() + ".CRL")) {
            http.add(new HttpInput(category, "GET /CertEnroll/" + printable(path), Transport.HTTP, null, HttpsWire.request("GET", "/CertEnroll/" + path,
                    "ca01", List.of(), null), List.of(new Answer(404, null, false, null), BAD_HTTP)));
        }
        http.add(new HttpInput(category, "EST over plain HTTP", Transport.HTTP, null, HttpsWire.request("POST", EST + "WebServer/simpleenroll",
                "ca01", List.of("Authorization", bearer, "Content-Type", "application/pkcs10"), base64(goodCsr)),
                List.of(new Answer(404, null, false, "https://"))));
        http.add(new HttpInput(category, "administration over plain HTTP", Transport.HTTP, null, HttpsWire.request("POST", "/certsrv/admin/crl",
                "ca01", List.of("Authorization", basic("Administrator", facts.password())), new byte[0]),
                List.of(new Answer(404, null, false, "https://"))));
    }
}
