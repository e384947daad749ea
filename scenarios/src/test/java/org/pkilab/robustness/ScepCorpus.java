package org.pkilab.robustness;

import org.bouncycastle.cms.CMSAlgorithm;
import org.pkilab.enrollment.CertsOnlyPkcs7;
import org.pkilab.enrollment.ScepClient;
import org.pkilab.enrollment.ScepMessage;
import org.pkilab.enrollment.ScepMessage.FailInfo;
import org.pkilab.enrollment.ScepMessage.MessageType;
import org.pkilab.pki.RsaKeys;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Hostile SCEP messages for NDES ({@code POST /certsrv/mscep/mscep.dll?operation=PKIOperation} on the CA's HTTP port),
 * each with the refusal a device must get: HTTP 400 or 413 and a sentence for what is no pkiMessage at all (garbage,
 * truncated or signer-less PKCS #7, an empty or oversized body), and a signed CertRep FAILURE with its failInfo for a
 * pkiMessage NDES will not act on: a signature that does not verify, a request encrypted to another certificate than
 * CEP Encryption, a wrapped key with bad padding and good key with bad content (one answer for both), an algorithm SCEP does not name, a message signed two days ago, a replayed senderNonce, a transactionID
 * another key already used, a GetCertInitial for a transaction NDES does not know. None of them may reach the CA: no row
 * in its database, no challenge password used up (the messages carry none that is good).
 */
final class ScepCorpus {

    /** What a SCEP input must get: {@code status} 200 and a FAILURE with {@code failInfo}, or another status; and a text. */
    record ScepInput(String category, String name, byte[] message, int status, FailInfo failInfo, String mentions)
            implements HostileCorpus.Input {
    }

    /**
     * What the corpus needs from the lab: NDES's certificates, a transactionID NDES already holds for
     * {@code usedKey}'s request, and that request's PKCSReq as sent (with a good password, granted), to be replayed.
     */
    record Facts(X509Certificate ca, X509Certificate raEncryption, String usedTransactionId, byte[] grantedPkcsReq) {
    }

    private final Facts facts;
    private final Random random = new Random(HostileCorpus.SEED);
    final List<ScepInput> inputs = new ArrayList<>();

    ScepCorpus(Facts facts) {
        this.facts = facts;
    }

    ScepCorpus generate() {
        notPkiMessages();
        pkiMessagesNdesRefuses();
        return this;
    }

    private void notPkiMessages() {
        String category = "SCEP: malformed PKCS #7";
        for (int i = 0; i < 8; i++) {
            byte[] garbage = new byte[1 + random.nextInt(2048)];
            random.nextBytes(garbage);
            inputs.add(new ScepInput(category, "random bytes " + i + " (" + garbage.length + ")", garbage, 400, null, "pkiMessage"));
        }
        byte[] good = message(RsaKeys.generate(2048), facts.raEncryption(), MessageType.PKCS_REQ, null, "SHA256", CMSAlgorithm.AES128_CBC);
        for (int cut : new int[]{1, 10, good.length / 2, good.length - 1}) {
            inputs.add(new ScepInput(category, "a pkiMessage cut after " + cut + " bytes", Arrays.copyOf(good, cut), 400, null, "pkiMessage"));
        }
        inputs.add(new ScepInput(category, "a certs-only PKCS #7 (no signer)", CertsOnlyPkcs7.encode(List.of(facts.ca())), 400, null, "signers"));
        inputs.add(new ScepInput(category, "an empty body", new byte[0], 400, null, "pkiMessage"));
        inputs.add(new ScepInput("SCEP: oversized body", "64 KB and one byte", new byte[64 * 1024 + 1], 413, null, "65536"));
    }

    private void pkiMessagesNdesRefuses() {
        KeyPair key = RsaKeys.generate(2048);
        X509Certificate other = ScepClient.selfSigned(RsaKeys.generate(2048), "CN=Not The RA");
        inputs.add(new ScepInput("SCEP: not encrypted to the RA", "encrypted to another certificate",
                message(key, other, MessageType.PKCS_REQ, null, "SHA256", CMSAlgorithm.AES128_CBC), 200, FailInfo.BAD_MESSAGE_CHECK, "not encrypted to"));
        inputs.add(new ScepInput("SCEP: not encrypted to the RA", "encrypted to the CA's own certificate",
                message(key, facts.ca(), MessageType.PKCS_REQ, null, "SHA256", CMSAlgorithm.AES128_CBC), 200, FailInfo.BAD_MESSAGE_CHECK, "CEP Encryption"));

        byte[] tampered = message(key, facts.raEncryption(), MessageType.PKCS_REQ, null, "SHA256", CMSAlgorithm.AES128_CBC);
        tampered[tampered.length - 1] ^= 0x01;
        inputs.add(new ScepInput("SCEP: bad signature", "the signature's last byte flipped", tampered, 200, FailInfo.BAD_MESSAGE_CHECK, "does not verify"));
        KeyPair impostor = RsaKeys.generate(2048);
        byte[] signedByAnother = ScepMessage.sign(MessageType.PKCS_REQ, ScepClient.transactionId(key), ScepClient.nonce(), null, null, null, null,
                ScepMessage.envelope(csr(key), facts.raEncryption(), CMSAlgorithm.AES128_CBC), impostor.getPrivate(),
                ScepClient.selfSigned(key, "CN=Claimed Signer"), "SHA256", null);
        inputs.add(new ScepInput("SCEP: bad signature", "signed with another key than the certificate's", signedByAnother, 200,
                FailInfo.BAD_MESSAGE_CHECK, "does not verify"));

        // a padding oracle needs two answers to differ: the RSA block's padding wrong, or the key right and the content wrong
        String undecryptable = "cannot be decrypted with NDES's CEP Encryption key, or what it holds is no PKCS #10 request";
        inputs.add(new ScepInput("SCEP: decryption", "the wrapped key's PKCS #1 padding wrong", spoiled(key, true), 200,
                FailInfo.BAD_MESSAGE_CHECK, undecryptable));
        inputs.add(new ScepInput("SCEP: decryption", "the key right, the content's last byte flipped", spoiled(key, false), 200,
                FailInfo.BAD_MESSAGE_CHECK, undecryptable));

        inputs.add(new ScepInput("SCEP: bad algorithm", "MD5 digest", message(key, facts.raEncryption(), MessageType.PKCS_REQ, null, "MD5",
                CMSAlgorithm.AES128_CBC), 200, FailInfo.BAD_ALG, "digest"));
        inputs.add(new ScepInput("SCEP: bad algorithm", "RC2 content encryption", message(key, facts.raEncryption(), MessageType.PKCS_REQ, null,
                "SHA256", CMSAlgorithm.RC2_CBC), 200, FailInfo.BAD_ALG, "does not name"));
        inputs.add(new ScepInput("SCEP: bad time", "signed two days ago", message(key, facts.raEncryption(), MessageType.PKCS_REQ, null, "SHA256",
                CMSAlgorithm.AES128_CBC, Instant.now().minus(Duration.ofDays(2))), 200, FailInfo.BAD_TIME, "clock"));

        byte[] once = message(key, facts.raEncryption(), MessageType.PKCS_REQ, null, "SHA256", CMSAlgorithm.AES128_CBC);
        inputs.add(new ScepInput("SCEP: replayed nonce", "a request with a password NDES never gave", once, 200, FailInfo.BAD_REQUEST, "cannot be verified"));
        inputs.add(new ScepInput("SCEP: replayed nonce", "the same message again", once, 200, FailInfo.BAD_REQUEST, "sent before"));
        inputs.add(new ScepInput("SCEP: replayed nonce", "a granted PKCSReq with a good password, byte for byte", facts.grantedPkcsReq(), 200,
                FailInfo.BAD_REQUEST, "sent before"));
        inputs.add(new ScepInput("SCEP: replayed transactionID", "another key's transactionID", message(RsaKeys.generate(2048),
                facts.raEncryption(), MessageType.PKCS_REQ, facts.usedTransactionId(), "SHA256", CMSAlgorithm.AES128_CBC), 200, FailInfo.BAD_REQUEST,
                "another key"));
        inputs.add(new ScepInput("SCEP: unknown transaction", "GetCertInitial for a transaction NDES never saw", message(key,
                facts.raEncryption(), MessageType.GET_CERT_INITIAL, null, "SHA256", CMSAlgorithm.AES128_CBC), 200, FailInfo.BAD_CERT_ID, "knows no request"));
    }

    private byte[] message(KeyPair key, X509Certificate encryptTo, MessageType type, String transactionId, String digest,
                           org.bouncycastle.asn1.ASN1ObjectIdentifier cipher) {
        return message(key, encryptTo, type, transactionId, digest, cipher, null);
    }

    private byte[] message(KeyPair key, X509Certificate encryptTo, MessageType type, String transactionId, String digest,
                           org.bouncycastle.asn1.ASN1ObjectIdentifier cipher, Instant signingTime) {
        return ScepMessage.sign(type, transactionId != null ? transactionId : ScepClient.transactionId(key), ScepClient.nonce(), null, null, null,
                null, ScepMessage.envelope(csr(key), encryptTo, cipher), key.getPrivate(), ScepClient.selfSigned(key, "CN=Hostile Device"),
                digest, signingTime);
    }

    /**
     * A PKCSReq from {@code key} encrypted to CEP Encryption, then spoiled: its RSA-wrapped key replaced by a block of type 1
     * (wrong PKCS #1 v1.5 padding for encryption), or the last byte of its encrypted content flipped.
     */
    private byte[] spoiled(KeyPair key, boolean badKey) {
        try {
            byte[] envelope = ScepMessage.envelope(csr(key), facts.raEncryption(), CMSAlgorithm.AES128_CBC);
            var data = org.bouncycastle.asn1.cms.EnvelopedData.getInstance(org.bouncycastle.asn1.cms.ContentInfo.getInstance(envelope).getContent());
            var ktri = org.bouncycastle.asn1.cms.KeyTransRecipientInfo.getInstance(
                    org.bouncycastle.asn1.cms.RecipientInfo.getInstance(data.getRecipientInfos().getObjectAt(0)).getInfo());
            var content = data.getEncryptedContentInfo();
            if (badKey) {
                int k = (((java.security.interfaces.RSAPublicKey) facts.raEncryption().getPublicKey()).getModulus().bitLength() + 7) / 8;
                byte[] block = new byte[k];
                Arrays.fill(block, (byte) 0x5A);
                block[0] = 0;
                block[1] = 1;
                javax.crypto.Cipher rsa = javax.crypto.Cipher.getInstance("RSA/ECB/NoPadding");
                rsa.init(javax.crypto.Cipher.ENCRYPT_MODE, facts.raEncryption().getPublicKey());
                ktri = new org.bouncycastle.asn1.cms.KeyTransRecipientInfo(ktri.getRecipientIdentifier(), ktri.getKeyEncryptionAlgorithm(),
                        new org.bouncycastle.asn1.DEROctetString(rsa.doFinal(block)));
            } else {
                byte[] encrypted = content.getEncryptedContent().getOctets().clone();
                encrypted[encrypted.length - 1] ^= 0x01;
                content = new org.bouncycastle.asn1.cms.EncryptedContentInfo(content.getContentType(), content.getContentEncryptionAlgorithm(),
                        new org.bouncycastle.asn1.DEROctetString(encrypted));
            }
            byte[] spoiled = new org.bouncycastle.asn1.cms.ContentInfo(org.bouncycastle.asn1.cms.CMSObjectIdentifiers.envelopedData,
                    new org.bouncycastle.asn1.cms.EnvelopedData(data.getOriginatorInfo(), new org.bouncycastle.asn1.DERSet(
                            new org.bouncycastle.asn1.cms.RecipientInfo(ktri)), content, data.getUnprotectedAttrs())).getEncoded("DER");
            return ScepMessage.sign(MessageType.PKCS_REQ, ScepClient.transactionId(key) + (badKey ? "1" : "2"), ScepClient.nonce(), null, null,
                    null, null, spoiled, key.getPrivate(), ScepClient.selfSigned(key, "CN=Hostile Device"), "SHA256", null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A request with a challenge password NDES never gave out: it must never reach the CA. */
    private byte[] csr(KeyPair key) {
        return ScepClient.request(key, "CN=hostile.contoso.com", HostileCorpus.randomText(random, 16));
    }
}
