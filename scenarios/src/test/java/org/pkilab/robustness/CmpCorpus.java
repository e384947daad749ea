package org.pkilab.robustness;

import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.cmp.CMPCertificate;
import org.bouncycastle.asn1.cmp.CertConfirmContent;
import org.bouncycastle.asn1.cmp.CertStatus;
import org.bouncycastle.asn1.cmp.GenMsgContent;
import org.bouncycastle.asn1.cmp.InfoTypeAndValue;
import org.bouncycastle.asn1.cmp.PBMParameter;
import org.bouncycastle.asn1.cmp.PKIBody;
import org.bouncycastle.asn1.cmp.PKIHeader;
import org.bouncycastle.asn1.cmp.PKIHeaderBuilder;
import org.bouncycastle.asn1.cmp.PKIMessage;
import org.bouncycastle.asn1.cmp.PollReqContent;
import org.bouncycastle.asn1.cmp.RevDetails;
import org.bouncycastle.asn1.cmp.RevReqContent;
import org.bouncycastle.asn1.crmf.CertReqMessages;
import org.bouncycastle.asn1.crmf.CertReqMsg;
import org.bouncycastle.asn1.crmf.CertTemplateBuilder;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.crmf.CertificateRequestMessageBuilder;
import org.bouncycastle.cert.crmf.PKMACBuilder;
import org.bouncycastle.cert.crmf.jcajce.JcePKMACValuesCalculator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.MacCalculator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.pkilab.windows.WindowsError;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.pkilab.robustness.HostileCorpus.*;

/**
 * The corpus for the CA's CMP endpoint ({@code /.well-known/cmp}, plain HTTP): bodies that are no PKIMessage, messages
 * whose protection is missing or wrong, messages out of their order (a replayed nonce, a transactionID in use, a certConf
 * or pollReq for a transaction the CA does not have, a recipNonce that answers nothing), requests the lightweight
 * profile does not take, and HTTP that is no CMP request. Each is answered with a CMP error (HTTP 200, the
 * {@code PKIFailureInfo} bit named in the text the test reads) or an HTTP error, and changes nothing: only the one
 * well-formed {@code ir} the policy judges is recorded, as a denial.
 *
 * <p>Inputs within a category are sent in order: "CMP sequence" first sends messages that set up what the next ones
 * replay or continue.
 */
final class CmpCorpus {

    static final String PATH = "/.well-known/cmp";
    static final String MEDIA_TYPE = "application/pkixcmp";
    /** The template the inputs name (Computer); IIS01 may enroll for it, so only what is wrong with an input refuses it. */
    static final String TEMPLATE = "Machine";
    /** A template IIS01 holds no Enroll right on: the one ir the policy judges and records. */
    static final String DENIED_TEMPLATE = "User";

    private final Facts facts;
    private final List<HttpInput> http;
    private final Random random = new Random(SEED + 9483);
    private final RequestForge forge = new RequestForge(SEED + 4210);
    private final KeyPair key;
    private final X500Name ca;

    CmpCorpus(Facts facts, List<HttpInput> http) {
        this.facts = facts;
        this.http = http;
        this.key = forge.rsa(2048);
        this.ca = X500Name.getInstance(facts.caCertificate().getSubjectX500Principal().getEncoded());
    }

    void generate() {
        bodies();
        protection();
        sequence();
        profile();
        httpInputs();
    }

    // ---- answers -----------------------------------------------------------------------------------

    private static Answer cmp(WindowsError error, String failInfo) {
        return new Answer(200, error, false, failInfo);
    }

    private static final Answer NOT_DER = cmp(WindowsError.CRYPT_E_ASN1_BADTAG, "badDataFormat");
    private static final Answer BAD_MESSAGE_CHECK = cmp(WindowsError.ERROR_LOGON_FAILURE, "badMessageCheck");

    // ---- inputs --------------------------------------------------------------------------------------

    private void add(String category, String name, byte[] body, Answer... answers) {
        add(category, name, TEMPLATE, body, answers);
    }

    private void add(String category, String name, String template, byte[] body, Answer... answers) {
        http.add(new HttpInput(category, name, Transport.HTTP, null, HttpsWire.request("POST", PATH + "/p/" + template, "ca01",
                List.of("Content-Type", MEDIA_TYPE), body), List.of(answers)));
    }

    private void bodies() {
        String category = "CMP body: not a PKIMessage";
        add(category, "an empty body", new byte[0], NOT_DER);
        for (int i = 0; i < 8; i++) {
            byte[] junk = new byte[1 + random.nextInt(600)];
            random.nextBytes(junk);
            add(category, junk.length + " random bytes", junk, NOT_DER);
        }
        byte[] good = der(ir(mac(facts.cmpReference(), facts.cmpSecret()), transactionId(), nonce()));
        for (int cut : new int[]{1, 2, 10, good.length / 2, good.length - 1}) {
            add(category, "a valid ir cut to " + cut + " of " + good.length + " bytes", Arrays.copyOf(good, cut), NOT_DER);
        }
        add(category, "a valid ir with a byte after it", HttpsWire.concat(good, new byte[]{0}), NOT_DER);
        add(category, "a valid ir twice", HttpsWire.concat(good, good), NOT_DER);
        add(category, "SEQUENCE nested 5,000 deep", RequestForge.nested(5_000), NOT_DER);
        add(category, "a PKCS #10 request instead", RequestForge.request(key, RequestForge.cn("iis01.contoso.com")), NOT_DER);
        add(category, "a SEQUENCE claiming 2 GB", HttpsWire.concat(RequestForge.header(0x30, 0x7FFFFFFFL), new byte[16]), NOT_DER);
    }

    private void protection() {
        String category = "CMP protection";
        add(category, "an unprotected ir", der(ir(null, transactionId(), nonce())), BAD_MESSAGE_CHECK);
        add(category, "an ir MAC-protected with a wrong secret", der(ir(mac(facts.cmpReference(), "wrong-" + facts.cmpSecret()),
                transactionId(), nonce())), BAD_MESSAGE_CHECK);
        add(category, "an ir MAC-protected under an unknown reference", der(ir(mac("0000000000000000", facts.cmpSecret()),
                transactionId(), nonce())), BAD_MESSAGE_CHECK);
        add(category, "an ir MAC-protected without senderKID", der(ir(mac(null, facts.cmpSecret()), transactionId(), nonce())),
                BAD_MESSAGE_CHECK);
        add(category, "an ir whose PasswordBasedMac asks for a billion iterations", der(ir(new Protector(facts.cmpReference(),
                facts.cmpSecret(), 1_000_000_000, null, null), transactionId(), nonce())), cmp(WindowsError.E_INVALIDARG, "badAlg"));
        add(category, "an ir whose PBMAC1 asks PBKDF2 for a key of 10^6 bytes", pbmac1Ir(1_000_000), cmp(WindowsError.E_INVALIDARG, "badAlg"));
        PKIMessage valid = ir(mac(facts.cmpReference(), facts.cmpSecret()), transactionId(), nonce());
        byte[] changed = der(valid);
        byte[] subject = "iis01.contoso.com".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int at = indexOf(changed, subject);
        changed[at] = 'j';
        add(category, "a MAC-protected ir whose subject was changed after protection", changed, BAD_MESSAGE_CHECK);
        add(category, "an ir signed with a certificate another CA issued", der(ir(new Protector(null, null, 0,
                new X509Certificate[]{selfSigned()}, key.getPrivate()), transactionId(), nonce())),
                cmp(WindowsError.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, "signerNotTrusted"));
        add(category, "an ir signed with the revoked certificate of IIS01", der(ir(new Protector(null, null, 0,
                facts.revokedClient().chain(), facts.revokedClient().key()), transactionId(), nonce())),
                cmp(WindowsError.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, "signerNotTrusted"));
        add(category, "an ir carrying IIS01's certificate but signed with another key", der(ir(new Protector(null, null, 0,
                facts.validClient().chain(), key.getPrivate()), transactionId(), nonce())), cmp(WindowsError.NTE_BAD_SIGNATURE, "badMessageCheck"));
        add(category, "an ir signed without its certificate in extraCerts", der(ir(new Protector(null, null, 0,
                new X509Certificate[0], facts.validClient().key()), transactionId(), nonce())), BAD_MESSAGE_CHECK);
    }

    private void sequence() {
        String category = "CMP sequence";
        Protector mac = mac(facts.cmpReference(), facts.cmpSecret());
        byte[] unknown = transactionId();
        byte[] poll = der(message(unknown, nonce(), nonce(), new PKIBody(PKIBody.TYPE_POLL_REQ, new PollReqContent(BigInteger.ZERO)), mac));
        add(category, "a pollReq for a transaction the CA does not have", poll, cmp(WindowsError.CERTSRV_E_NO_REQUEST, "badRequest"));
        add(category, "the same pollReq replayed", poll, cmp(WindowsError.E_INVALIDARG, "badSenderNonce"));
        add(category, "a certConf for a transaction the CA does not have", der(message(transactionId(), nonce(), nonce(), certConf(), mac)),
                cmp(WindowsError.CERTSRV_E_NO_REQUEST, "badRequest"));
        byte[] denied = transactionId();
        add(category, "an ir for " + DENIED_TEMPLATE + ", on which IIS01 holds no Enroll right", DENIED_TEMPLATE,
                der(ir(mac, denied, nonce())), new Answer(200, WindowsError.CERTSRV_E_TEMPLATE_DENIED, true, "notAuthorized"));
        byte[] judged = der(ir(mac, transactionId(), nonce()));
        add(category, "an ir for " + DENIED_TEMPLATE + " in a transaction of its own", DENIED_TEMPLATE, judged,
                new Answer(200, WindowsError.CERTSRV_E_TEMPLATE_DENIED, true, "notAuthorized"));
        add(category, "that judged ir replayed byte for byte", DENIED_TEMPLATE, judged, cmp(WindowsError.E_INVALIDARG, "badSenderNonce"));
        add(category, "an ir made 20 minutes ago", der(message(transactionId(), nonce(), null, PKIHeader.CMP_2000,
                new PKIBody(PKIBody.TYPE_INIT_REQ, new CertReqMessages(crmf())), mac, new java.util.Date(System.currentTimeMillis() - 20 * 60_000L))),
                cmp(WindowsError.E_INVALIDARG, "badTime"));
        add(category, "a second ir in the same transaction", der(ir(mac, denied, nonce())),
                cmp(WindowsError.CERTSRV_E_BAD_REQUESTSTATUS, "transactionIdInUse"));
        add(category, "a certConf in that transaction answering no message of the CA", der(message(denied, nonce(), nonce(), certConf(), mac)),
                cmp(WindowsError.E_INVALIDARG, "badRecipientNonce"));
        add(category, "a pollReq in that transaction without recipNonce", der(message(denied, nonce(), null,
                new PKIBody(PKIBody.TYPE_POLL_REQ, new PollReqContent(BigInteger.ZERO)), mac)), cmp(WindowsError.E_INVALIDARG, "badRecipientNonce"));
    }

    private void profile() {
        String category = "CMP profile";
        Protector mac = mac(facts.cmpReference(), facts.cmpSecret());
        add(category, "a kur protected with a MAC, not the certificate it renews", der(withType(PKIBody.TYPE_KEY_UPDATE_REQ, mac)),
                cmp(WindowsError.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, "notAuthorized"));
        CertReqMsg one = crmf();
        add(category, "an ir with two certificate requests", der(message(transactionId(), nonce(), null,
                new PKIBody(PKIBody.TYPE_INIT_REQ, new CertReqMessages(new CertReqMsg[]{one, one})), mac)), cmp(WindowsError.E_INVALIDARG, "badRequest"));
        add(category, "a genm, which the profile's CA need not answer", der(message(transactionId(), nonce(), null,
                new PKIBody(PKIBody.TYPE_GEN_MSG, new GenMsgContent(new InfoTypeAndValue(
                        org.bouncycastle.asn1.cmp.CMPObjectIdentifiers.id_it_caCerts))), mac)), cmp(WindowsError.E_INVALIDARG, "badRequest"));
        add(category, "an rr by IIS01 (MAC) for its own certificate, without Issue and Manage Certificates", der(message(transactionId(), nonce(), null,
                new PKIBody(PKIBody.TYPE_REVOCATION_REQ, new RevReqContent(new RevDetails(new CertTemplateBuilder().setIssuer(ca)
                        .setSerialNumber(new ASN1Integer(facts.issuedSerial())).build()))), mac)), cmp(WindowsError.E_ACCESSDENIED, "notAuthorized"));
        add(category, "an rr naming no serial number", der(message(transactionId(), nonce(), null,
                new PKIBody(PKIBody.TYPE_REVOCATION_REQ, new RevReqContent(new RevDetails(new CertTemplateBuilder().setIssuer(ca).build()))), mac)),
                cmp(WindowsError.CERTSRV_E_NO_REQUEST, "badCertTemplate"));
        add(category, "an ir with pvno 1", der(message(transactionId(), nonce(), null, 1, new PKIBody(PKIBody.TYPE_INIT_REQ,
                new CertReqMessages(crmf())), mac)), cmp(WindowsError.E_INVALIDARG, "unsupportedVersion"));
        PKIMessage ordinary = message(transactionId(), nonce(), null, new PKIBody(PKIBody.TYPE_INIT_REQ, new CertReqMessages(crmf())), null);
        org.bouncycastle.asn1.ASN1EncodableVector fields = new org.bouncycastle.asn1.ASN1EncodableVector();
        fields.add(new ASN1Integer(BigInteger.TWO.pow(160)));
        org.bouncycastle.asn1.ASN1Sequence header = org.bouncycastle.asn1.ASN1Sequence.getInstance(ordinary.getHeader().toASN1Primitive());
        for (int i = 1; i < header.size(); i++) {
            fields.add(header.getObjectAt(i));
        }
        add(category, "an ir with a pvno of 161 bits", der(new PKIMessage(PKIHeader.getInstance(new org.bouncycastle.asn1.DERSequence(fields)),
                ordinary.getBody())), cmp(WindowsError.E_INVALIDARG, "unsupportedVersion"));
        add(category, "an ir without transactionID", der(message(null, nonce(), null, PKIHeader.CMP_2000, new PKIBody(PKIBody.TYPE_INIT_REQ,
                new CertReqMessages(crmf())), mac)), cmp(WindowsError.E_INVALIDARG, "badRequest"));
        add(category, "an ir without senderNonce", der(message(transactionId(), null, null, PKIHeader.CMP_2000, new PKIBody(PKIBody.TYPE_INIT_REQ,
                new CertReqMessages(crmf())), mac)), cmp(WindowsError.E_INVALIDARG, "badSenderNonce"));
        add(category, "an ir whose proof of possession is signed by another key", der(message(transactionId(), nonce(), null,
                new PKIBody(PKIBody.TYPE_INIT_REQ, new CertReqMessages(crmf(forge.rsa(2048).getPrivate()))), mac)),
                new Answer(200, WindowsError.NTE_BAD_SIGNATURE, true, "badPOP"));
    }

    private void httpInputs() {
        String category = "CMP HTTP";
        byte[] good = der(ir(mac(facts.cmpReference(), facts.cmpSecret()), transactionId(), nonce()));
        http.add(new HttpInput(category, "GET " + PATH, Transport.HTTP, null, HttpsWire.request("GET", PATH, "ca01", List.of(), null),
                List.of(WRONG_METHOD)));
        http.add(new HttpInput(category, "an ir as application/octet-stream", Transport.HTTP, null, HttpsWire.request("POST", PATH + "/p/" + TEMPLATE,
                "ca01", List.of("Content-Type", "application/octet-stream"), good), List.of(new Answer(415, null, false, MEDIA_TYPE))));
        http.add(new HttpInput(category, "an ir without Content-Type", Transport.HTTP, null, HttpsWire.request("POST", PATH + "/p/" + TEMPLATE,
                "ca01", List.of(), good), List.of(new Answer(415, null, false, MEDIA_TYPE))));
        byte[] large = new byte[64 * 1024 + 1];
        http.add(new HttpInput(category, "a body of 64 KiB + 1", Transport.HTTP, null, HttpsWire.request("POST", PATH + "/p/" + TEMPLATE,
                "ca01", List.of("Content-Type", MEDIA_TYPE), large), List.of(new Answer(413, null, false, "65536"))));
        http.add(new HttpInput(category, "a label with a slash", Transport.HTTP, null, HttpsWire.request("POST", PATH + "/p/Web/Server",
                "ca01", List.of("Content-Type", MEDIA_TYPE), good), List.of(new Answer(404, null, false, "not a CMP path"))));
    }

    // ---- messages ------------------------------------------------------------------------------------

    /** How a message is protected: a MAC (reference may be null; iterations 0: 10,000), a signature (certificates, key), or none. */
    private record Protector(String reference, String secret, int iterations, X509Certificate[] certificates, PrivateKey key) {
    }

    private static Protector mac(String reference, String secret) {
        return new Protector(reference, secret, 0, null, null);
    }

    private PKIMessage ir(Protector protector, byte[] transactionId, byte[] senderNonce) {
        return message(transactionId, senderNonce, null, new PKIBody(PKIBody.TYPE_INIT_REQ, new CertReqMessages(crmf())), protector);
    }

    private PKIMessage withType(int type, Protector protector) {
        return message(transactionId(), nonce(), null, new PKIBody(type, new CertReqMessages(crmf())), protector);
    }

    private CertReqMsg crmf() {
        return crmf(key.getPrivate());
    }

    private CertReqMsg crmf(PrivateKey popSigner) {
        try {
            return new CertificateRequestMessageBuilder(BigInteger.ZERO)
                    .setPublicKey(SubjectPublicKeyInfo.getInstance(key.getPublic().getEncoded()))
                    .setSubject(new X500Name("CN=iis01.contoso.com"))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.dNSName, "iis01.contoso.com")))
                    .setProofOfPossessionSigningKeySigner(signer(popSigner))
                    .build().toASN1Structure();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static PKIBody certConf() {
        return new PKIBody(PKIBody.TYPE_CERT_CONFIRM, CertConfirmContent.getInstance(new org.bouncycastle.asn1.DERSequence(new CertStatus(new byte[32], BigInteger.ZERO))));
    }

    private PKIMessage message(byte[] transactionId, byte[] senderNonce, byte[] recipNonce, PKIBody body, Protector protector) {
        return message(transactionId, senderNonce, recipNonce, PKIHeader.CMP_2000, body, protector);
    }

    /** A PKIMessage put together field by field (BC's builder refuses what the corpus must send). */
    private PKIMessage message(byte[] transactionId, byte[] senderNonce, byte[] recipNonce, int pvno, PKIBody body, Protector protector) {
        return message(transactionId, senderNonce, recipNonce, pvno, body, protector, new java.util.Date());
    }

    private PKIMessage message(byte[] transactionId, byte[] senderNonce, byte[] recipNonce, int pvno, PKIBody body, Protector protector,
                               java.util.Date messageTime) {
        X500Name sender = protector != null && protector.certificates() != null && protector.certificates().length > 0
                ? X500Name.getInstance(protector.certificates()[0].getSubjectX500Principal().getEncoded()) : new X500Name(new org.bouncycastle.asn1.x500.RDN[0]);
        PKIHeaderBuilder header = new PKIHeaderBuilder(pvno, new GeneralName(sender), new GeneralName(ca))
                .setMessageTime(new org.bouncycastle.asn1.ASN1GeneralizedTime(messageTime));
        if (transactionId != null) {
            header.setTransactionID(transactionId);
        }
        if (senderNonce != null) {
            header.setSenderNonce(senderNonce);
        }
        if (recipNonce != null) {
            header.setRecipNonce(recipNonce);
        }
        try {
            if (protector == null) {
                return new PKIMessage(header.build(), body);
            }
            if (protector.secret() != null) {
                int iterations = protector.iterations() == 0 ? 10_000 : protector.iterations();
                byte[] salt = new byte[16];
                random.nextBytes(salt);
                PBMParameter parameters = new PBMParameter(salt, new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256), iterations,
                        new AlgorithmIdentifier(PKCSObjectIdentifiers.id_hmacWithSHA256));
                header.setProtectionAlg(new AlgorithmIdentifier(org.bouncycastle.asn1.cmp.CMPObjectIdentifiers.passwordBasedMac, parameters));
                if (protector.reference() != null) {
                    header.setSenderKID(protector.reference().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
                PKIHeader built = header.build();
                byte[] mac = protector.iterations() > 100_000 ? new byte[32]
                        : compute(new PKMACBuilder(new JcePKMACValuesCalculator(), 100_000).setParameters(parameters)
                        .build(protector.secret().toCharArray()), built, body);
                return new PKIMessage(built, body, new org.bouncycastle.asn1.DERBitString(mac));
            }
            ContentSigner signer = signer(protector.key());
            header.setProtectionAlg(signer.getAlgorithmIdentifier());
            PKIHeader built = header.build();
            byte[] signature = compute(signer, built, body);
            CMPCertificate[] extra = Arrays.stream(protector.certificates()).map(CmpCorpus::cmpCertificate).toArray(CMPCertificate[]::new);
            return new PKIMessage(built, body, new org.bouncycastle.asn1.DERBitString(signature), extra.length == 0 ? null : extra);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** An ir under IIS01's reference protected with PBMAC1 (PBKDF2 with HMAC-SHA256, 10,000 iterations, {@code keyLength}), its MAC zeros. */
    private byte[] pbmac1Ir(int keyLength) {
        PKIMessage plain = ir(null, transactionId(), nonce());
        PKIHeader h = plain.getHeader();
        byte[] salt = new byte[16];
        random.nextBytes(salt);
        AlgorithmIdentifier hmac = new AlgorithmIdentifier(PKCSObjectIdentifiers.id_hmacWithSHA256, org.bouncycastle.asn1.DERNull.INSTANCE);
        PKIHeaderBuilder header = new PKIHeaderBuilder(h.getPvno().intValueExact(), h.getSender(), h.getRecipient())
                .setMessageTime(h.getMessageTime()).setTransactionID(h.getTransactionID()).setSenderNonce(h.getSenderNonce())
                .setSenderKID(facts.cmpReference().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .setProtectionAlg(new AlgorithmIdentifier(PKCSObjectIdentifiers.id_PBMAC1, new org.bouncycastle.asn1.pkcs.PBMAC1Params(
                        new AlgorithmIdentifier(PKCSObjectIdentifiers.id_PBKDF2, new org.bouncycastle.asn1.pkcs.PBKDF2Params(salt, 10_000,
                                keyLength, hmac)), hmac)));
        return der(new PKIMessage(header.build(), plain.getBody(), new org.bouncycastle.asn1.DERBitString(new byte[32])));
    }

    /** The protection over ProtectedPart ::= SEQUENCE { header, body }, as RFC 4210 5.1.3 defines it. */
    private static byte[] compute(Object calculator, PKIHeader header, PKIBody body) throws IOException {
        byte[] part = new org.bouncycastle.asn1.DERSequence(new org.bouncycastle.asn1.ASN1Encodable[]{header, body}).getEncoded("DER");
        if (calculator instanceof MacCalculator mac) {
            try (OutputStream out = mac.getOutputStream()) {
                out.write(part);
            }
            return mac.getMac();
        }
        ContentSigner signer = (ContentSigner) calculator;
        try (OutputStream out = signer.getOutputStream()) {
            out.write(part);
        }
        return signer.getSignature();
    }

    private static ContentSigner signer(PrivateKey key) {
        try {
            return new JcaContentSignerBuilder("SHA256withRSA").build(key);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static CMPCertificate cmpCertificate(X509Certificate certificate) {
        try {
            return new CMPCertificate(org.bouncycastle.asn1.x509.Certificate.getInstance(certificate.getEncoded()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private X509Certificate selfSigned() {
        return RequestForge.certificate("CN=iis01.contoso.com", "CN=Fabrikam Root", key, key.getPrivate(), BigInteger.valueOf(4211), 1);
    }

    private byte[] transactionId() {
        return nonce();
    }

    private byte[] nonce() {
        byte[] out = new byte[16];
        random.nextBytes(out);
        return out;
    }

    private static byte[] der(PKIMessage message) {
        try {
            return message.getEncoded("DER");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int indexOf(byte[] data, byte[] part) {
        outer:
        for (int i = data.length - part.length; i >= 0; i--) {
            for (int j = 0; j < part.length; j++) {
                if (data[i + j] != part[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalStateException("not found");
    }
}
