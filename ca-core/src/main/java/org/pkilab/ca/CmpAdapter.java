package org.pkilab.ca;

import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.cmp.CMPCertificate;
import org.bouncycastle.asn1.cmp.CMPObjectIdentifiers;
import org.bouncycastle.asn1.cmp.CertOrEncCert;
import org.bouncycastle.asn1.cmp.CertRepMessage;
import org.bouncycastle.asn1.cmp.CertResponse;
import org.bouncycastle.asn1.cmp.CertifiedKeyPair;
import org.bouncycastle.asn1.cmp.ErrorMsgContent;
import org.bouncycastle.asn1.cmp.InfoTypeAndValue;
import org.bouncycastle.asn1.cmp.PBMParameter;
import org.bouncycastle.asn1.cmp.PKIBody;
import org.bouncycastle.asn1.cmp.PKIFailureInfo;
import org.bouncycastle.asn1.cmp.PKIFreeText;
import org.bouncycastle.asn1.cmp.PKIHeader;
import org.bouncycastle.asn1.cmp.PKIMessage;
import org.bouncycastle.asn1.cmp.PKIStatus;
import org.bouncycastle.asn1.cmp.PKIStatusInfo;
import org.bouncycastle.asn1.cmp.PollRepContent;
import org.bouncycastle.asn1.cmp.PollReqContent;
import org.bouncycastle.asn1.cmp.RevDetails;
import org.bouncycastle.asn1.cmp.RevRepContentBuilder;
import org.bouncycastle.asn1.cmp.RevReqContent;
import org.bouncycastle.asn1.crmf.CertReqMessages;
import org.bouncycastle.asn1.crmf.CertReqMsg;
import org.bouncycastle.asn1.crmf.CertTemplate;
import org.bouncycastle.asn1.crmf.CRMFObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PBKDF2Params;
import org.bouncycastle.asn1.pkcs.PBMAC1Params;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.cmp.CertificateConfirmationContent;
import org.bouncycastle.cert.cmp.CertificateStatus;
import org.bouncycastle.cert.cmp.GeneralPKIMessage;
import org.bouncycastle.cert.cmp.ProtectedPKIMessage;
import org.bouncycastle.cert.cmp.ProtectedPKIMessageBuilder;
import org.bouncycastle.cert.crmf.PKMACBuilder;
import org.bouncycastle.cert.crmf.jcajce.JcePKMACValuesCalculator;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.MacCalculator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.pkcs.jcajce.JcePBMac1CalculatorProviderBuilder;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.pki.KeyFiles;
import org.pkilab.windows.WindowsError;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * CMP (RFC 4210 as updated by RFC 9480, in RFC 9483's lightweight profile) over HTTP (RFC 6712): the protocol OpenSSL's
 * {@code openssl cmp} and industrial devices speak, in front of the same enrollment pipeline as EST. {@link CaWebServer}
 * routes {@code POST /.well-known/cmp[/p/<template>]} here on both ports: CMP protects its messages itself, so plain HTTP
 * serves as well as HTTPS. The label after {@code /p/} names the template, as EST's does.
 *
 * <pre>
 * ir, cr, p10cr   a new certificate; ip/cp answers it, certConf confirms it (pkiConf), or implicitConfirm spares that
 * kur             renewal, signed with the certificate being renewed, into its template with its names (RenewalKeepsTemplateAndNames)
 * pollReq         for a request waiting for a certificate manager: pollRep (checkAfter) until approved, then ip/cp/kup
 * rr              revocation: signed with the certificate itself, or sent by an account with Issue and Manage Certificates
 * </pre>
 *
 * <p>Who asks is an account of the domain, judged with its logon token as every requester is:
 * <ul>
 *   <li>MAC-based protection (PasswordBasedMac, as {@code openssl cmp -ref R -secret pass:S} sends, or PBMAC1) with a shared
 *   secret an administrator issued for the account ({@link CmpSecrets}, {@code pkilab cmp secret <account>}); the reference is
 *   the {@code senderKID}. The CA asks the DC for the account's token (S4U2Self).</li>
 *   <li>Signature protection with a certificate this CA issued (the first of {@code extraCerts}): the requester is the
 *   account the CA database recorded for it, as EST's re-enrollment finds it.</li>
 * </ul>
 * Answers to MAC-protected requests are MAC-protected with the same secret (and an {@code ip} carries the CA certificate in
 * {@code caPubs}, so a new device learns its trust anchor); all others are signed with the key of the CA host's web server
 * certificate, which this CA issued, with that certificate and the CA's in {@code extraCerts}.
 *
 * <pre>
 * openssl cmp -cmd ir -server 127.0.0.1:8080 -path /.well-known/cmp/p/WebServer -ref 5c1f0e9a27d4b3e8 -secret pass:... \
 *     -newkey key.pem -subject /CN=iis01.contoso.com -certout iis01.pem
 * openssl cmp -cmd kur -server ... -path /.well-known/cmp -cert iis01.pem -key key.pem -trusted ca.pem -newkey new.pem -certout renewed.pem
 * openssl cmp -cmd rr  -server ... -path /.well-known/cmp -cert renewed.pem -key new.pem -trusted ca.pem -oldcert renewed.pem
 * </pre>
 *
 * <p>Every refusal is a CMP answer (HTTP 200, {@value #MEDIA_TYPE}): status {@code rejection} with a {@code PKIFailureInfo}
 * bit, and the AD CS code with the reason and the fix in {@code statusString}, which {@code openssl cmp} prints:
 * {@code notAuthorized} with {@code 0x80094012 CERTSRV_E_TEMPLATE_DENIED} for a requester without Enroll, {@code badMessageCheck}
 * for a wrong MAC or signature, {@code transactionIdInUse}, {@code badSenderNonce} for a message seen before,
 * {@code badRecipientNonce} for a {@code certConf} or {@code pollReq} not answering the CA's last message. Only HTTP that is no
 * CMP request at all gets an HTTP error: another method (405), another media type (415), a body over {@value #MAX_BODY} bytes (413).
 */
final class CmpAdapter {

    static final String PATH = "/.well-known/cmp";
    static final String LABEL_PREFIX = PATH + "/p/";
    static final String MEDIA_TYPE = "application/pkixcmp";
    static final int MAX_BODY = 64 * 1024;
    /** Seconds a client waiting for a certificate manager is told to wait before it polls again. */
    static final int CHECK_AFTER_SECONDS = 2;
    /** PasswordBasedMac's and PBKDF2's iterations beyond this are refused unread: a MAC is no place for a work factor of millions. */
    static final int MAX_MAC_ITERATIONS = 100_000;
    /** The longest salt and PBKDF2 key a MAC's parameters may ask for: RFC 9481 uses 16 and 32 bytes. */
    static final int MAX_SALT_BYTES = 64;
    static final int MAX_KEY_BYTES = 64;
    /** The HMACs PBMAC1 may use as PBKDF2's PRF and as its MAC, with their output sizes. */
    private static final Map<ASN1ObjectIdentifier, Integer> HMAC_OUTPUT_BYTES = Map.of(PKCSObjectIdentifiers.id_hmacWithSHA256, 32,
            PKCSObjectIdentifiers.id_hmacWithSHA384, 48, PKCSObjectIdentifiers.id_hmacWithSHA512, 64);
    private static final int MAX_TRANSACTIONS = 10_000;
    private static final int MAX_NONCES = 100_000;
    /** How far a message's messageTime may be from the CA's clock. */
    static final java.time.Duration MESSAGE_TIME_WINDOW = java.time.Duration.ofMinutes(10);
    private static final Pattern MEDIA = Pattern.compile("(?i)application/pkixcmp\\s*(;.*)?");
    private static final ASN1ObjectIdentifier PASSWORD_BASED_MAC = CMPObjectIdentifiers.passwordBasedMac;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** PBMAC1 asks the JCA for "PBKDF2" with its PRF as a parameter, which only Bouncy Castle's provider offers. */
    private static final java.security.Provider BOUNCY_CASTLE = new org.bouncycastle.jce.provider.BouncyCastleProvider();

    private final String caName;
    private final Supplier<X509Certificate> caCertificate;
    private final KeyFiles.KeyEntry signing;
    private final Enrollment enrollment;
    private final CaAdministration administration;
    private final CaSecurity security;
    private final AccountLogon logon;
    private final CmpSecrets secrets;
    private final Map<String, Transaction> transactions = new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Transaction> eldest) {
            return size() > MAX_TRANSACTIONS;
        }
    };
    /** The senderNonces of messages taken lately, oldest first, with when they came: kept while a replay could still be on time. */
    private final Map<String, java.time.Instant> nonces = new LinkedHashMap<>(1024, 0.75f, false);
    private final java.time.Clock clock;
    /** When this CA began to answer: nonces taken before are forgotten, so no message from before counts. */
    private final java.time.Instant started;

    /** @param signing the CA host's web server certificate and key, which answers are signed with */
    CmpAdapter(String caName, Supplier<X509Certificate> caCertificate, KeyFiles.KeyEntry signing, Enrollment enrollment,
               CaAdministration administration, CaSecurity security, AccountLogon logon, CmpSecrets secrets, java.time.Clock clock) {
        this.clock = clock;
        this.started = clock.instant();
        this.caName = caName;
        this.caCertificate = caCertificate;
        this.signing = signing;
        this.enrollment = enrollment;
        this.administration = administration;
        this.security = security;
        this.logon = logon;
        this.secrets = secrets;
    }

    /** {@code label}: the template the path names after {@value #LABEL_PREFIX}, or null. */
    void handle(Request request, Response response, Callback callback, String label) {
        if (!"POST".equals(request.getMethod())) {
            response.getHeaders().put(HttpHeader.ALLOW, "POST");
            HttpAnswers.text(response, callback, 405, "use POST here: CMP messages are POSTed (RFC 6712), as " + MEDIA_TYPE + "\n");
            return;
        }
        String contentType = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        if (contentType == null || !MEDIA.matcher(contentType.strip()).matches()) {
            HttpAnswers.text(response, callback, 415, "Unsupported Media Type: send the DER PKIMessage as Content-Type: " + MEDIA_TYPE
                    + " (RFC 6712), not " + (contentType == null ? "without a Content-Type" : "'" + RequestedNames.printable(contentType) + "'") + "\n");
            return;
        }
        if (request.getLength() > MAX_BODY) {
            tooLarge(response, callback, "declares " + request.getLength() + " bytes");
            return;
        }
        byte[] body;
        try {
            body = Content.Source.asInputStream(request).readNBytes(MAX_BODY + 1);
        } catch (IOException | RuntimeException e) {
            HttpAnswers.text(response, callback, 400, "Bad Request: the request body could not be read to its end (" + e.getMessage()
                    + "); send the PKIMessage whole\n");
            return;
        }
        if (body.length > MAX_BODY) {
            tooLarge(response, callback, "is over " + MAX_BODY + " bytes");
            return;
        }
        Reply reply = answer(body, label);
        if (reply.error() != null) {
            response.getHeaders().put("X-ADCS-Error", reply.error().code() + " " + reply.error().symbolicName());
        }
        if (reply.requestId() > 0) {
            response.getHeaders().put("X-ADCS-Request-Id", Long.toString(reply.requestId()));
        }
        HttpAnswers.send(response, callback, 200, MEDIA_TYPE, reply.der());
    }

    /**
     * The answer, with what EST's answers carry in headers as well, for tools that read HTTP only: the AD CS error of a
     * refusal ({@code X-ADCS-Error}) and the request the CA recorded ({@code X-ADCS-Request-Id}, 0 when none).
     */
    record Reply(byte[] der, WindowsError error, long requestId) {
    }

    private static void tooLarge(Response response, Callback callback, String what) {
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        HttpAnswers.text(response, callback, 413, "Content Too Large: the PKIMessage " + what + "; the CA reads at most " + MAX_BODY
                + " bytes (a CMP request is a few KB)\n");
    }

    // ---- one message -----------------------------------------------------------------------------

    /** A refusal inside CMP: the failure bit and the AD CS error with its reason and fix. */
    private static final class Refusal extends RuntimeException {
        final int failInfo;
        final Decision decision;

        Refusal(int failInfo, WindowsError error, String reason, String fix) {
            this(failInfo, Decision.deny(error, reason, fix));
        }

        Refusal(int failInfo, Decision decision) {
            super(decision.reason(), null, false, false);
            this.failInfo = failInfo;
            this.decision = decision;
        }
    }

    /** How an answer is protected: with the requester's shared secret (and the request's MAC parameters), or signed. */
    private record Protection(CmpSecrets.Secret secret, PBMParameter parameters) {
        static final Protection SIGNED = new Protection(null, null);

        boolean mac() {
            return secret != null;
        }
    }

    /** A verified message: who sent it (their token), with what, and the certificate it was signed with. */
    private record Sender(LogonToken token, Protection protection, X509Certificate certificate) {
    }

    Reply answer(byte[] body, String label) {
        PKIMessage message;
        try {
            message = read(body);
        } catch (Refusal refusal) {
            return reply(error(null, Protection.SIGNED, refusal), refusal.decision.error(), 0);
        }
        PKIHeader header = message.getHeader();
        Protection protection = Protection.SIGNED;
        try {
            checkHeader(header);
            checkTime(header);
            Sender sender = authenticate(message);
            protection = sender.protection();
            remember(header.getSenderNonce().getOctets(), clock.instant());
            return dispatch(message, label, sender);
        } catch (Refusal refusal) {
            return reply(error(header, protection, refusal), refusal.decision.error(), 0);
        } catch (CaException e) {
            return reply(error(header, protection, new Refusal(failInfo(e.error()), Decision.deny(e.error(), e.reason(), e.fix()))), e.error(), 0);
        } catch (IllegalArgumentException | ClassCastException | ArithmeticException e) {
            // a part Bouncy Castle reads only when asked for it (a pvno of 20 bytes, a body's inner field of the wrong type)
            Refusal refusal = new Refusal(PKIFailureInfo.badDataFormat, WindowsError.CRYPT_E_ASN1_BADTAG, "a part of the message cannot be "
                    + "read: " + RequestedNames.printable(String.valueOf(e.getMessage())), "send the PKIMessage as RFC 4210 and RFC 9483 define it");
            return reply(error(header, protection, refusal), refusal.decision.error(), 0);
        }
    }

    private static Reply reply(PKIMessage message, WindowsError error, long requestId) {
        return new Reply(encode(message), error, requestId);
    }

    private static PKIMessage read(byte[] body) {
        String fix = "send one DER-encoded PKIMessage (RFC 4210) as the whole body";
        PKIMessage message;
        try {
            message = PKIMessage.getInstance(ASN1Primitive.fromByteArray(body));
            // every part is read now, so a malformed body is refused here rather than half-way through its answer
            message.getHeader().getSender();
            message.getBody().getContent();
            if (!Arrays.equals(message.getEncoded("DER"), body)) {
                throw new Refusal(PKIFailureInfo.badDataFormat, WindowsError.CRYPT_E_ASN1_BADTAG, "the " + body.length
                        + " bytes are not one DER PKIMessage: they hold more, or an encoding other than DER", fix);
            }
        } catch (Refusal refusal) {
            throw refusal;
        } catch (IOException | RuntimeException | StackOverflowError e) {
            throw new Refusal(PKIFailureInfo.badDataFormat, WindowsError.CRYPT_E_ASN1_BADTAG, "the " + body.length
                    + " bytes are not a PKIMessage: " + RequestedNames.printable(String.valueOf(e.getMessage())), fix);
        }
        return message;
    }

    private void checkHeader(PKIHeader header) {
        BigInteger pvno = header.getPvno().getValue();
        if (!pvno.equals(BigInteger.TWO) && !pvno.equals(BigInteger.valueOf(3))) {
            throw new Refusal(PKIFailureInfo.unsupportedVersion, WindowsError.E_INVALIDARG, "pvno " + (pvno.bitLength() > 63
                    ? "of " + pvno.bitLength() + " bits" : pvno.toString()) + " is no CMP version " + caName + " speaks",
                    "send cmp2000 (2) or cmp2021 (3)");
        }
        if (header.getTransactionID() == null || header.getTransactionID().getOctets().length == 0) {
            throw new Refusal(PKIFailureInfo.badRequest, WindowsError.E_INVALIDARG, "the message has no transactionID",
                    "send a transactionID of 16 random bytes, as RFC 9483 section 3.1 asks");
        }
        if (header.getSenderNonce() == null || header.getSenderNonce().getOctets().length < 8) {
            throw new Refusal(PKIFailureInfo.badSenderNonce, WindowsError.E_INVALIDARG, "the message has no senderNonce of 8 bytes or more",
                    "send a senderNonce of 16 random bytes in every message");
        }
    }

    /** Checks the protection and says who sent the message. */
    private Sender authenticate(PKIMessage message) {
        AlgorithmIdentifier algorithm = message.getHeader().getProtectionAlg();
        if (algorithm == null || message.getProtection() == null) {
            throw new Refusal(PKIFailureInfo.badMessageCheck, WindowsError.ERROR_LOGON_FAILURE, "the message is not protected; "
                    + caName + " takes only protected CMP messages", "protect it with the shared secret an administrator issued "
                    + "(openssl cmp -ref <reference> -secret pass:<secret>) or sign it with a certificate " + caName + " issued (-cert, -key)");
        }
        ProtectedPKIMessage protectedMessage = new ProtectedPKIMessage(new GeneralPKIMessage(message));
        ASN1ObjectIdentifier oid = algorithm.getAlgorithm();
        if (oid.equals(PASSWORD_BASED_MAC) || oid.equals(PKCSObjectIdentifiers.id_PBMAC1)) {
            return byMac(message, protectedMessage, algorithm);
        }
        return bySignature(message, protectedMessage);
    }

    private Sender byMac(PKIMessage message, ProtectedPKIMessage protectedMessage, AlgorithmIdentifier algorithm) {
        ASN1OctetString kid = message.getHeader().getSenderKID();
        String reference = kid == null ? null : new String(kid.getOctets(), StandardCharsets.UTF_8);
        String fix = "issue a secret for the account (pkilab cmp secret <account>) and send its reference and secret: "
                + "openssl cmp -ref <reference> -secret pass:<secret>";
        if (reference == null) {
            throw new Refusal(PKIFailureInfo.badMessageCheck, WindowsError.ERROR_LOGON_FAILURE, "the MAC-protected message names no "
                    + "shared secret: it has no senderKID", fix);
        }
        CmpSecrets.Secret secret = secrets.byReference(reference).orElseThrow(() -> new Refusal(PKIFailureInfo.badMessageCheck,
                WindowsError.ERROR_LOGON_FAILURE, "no CMP secret of " + caName + " has the reference '" + RequestedNames.printable(reference)
                + "' the message names as its senderKID", fix));
        PBMParameter parameters = null;
        boolean verified;
        try {
            if (algorithm.getAlgorithm().equals(PASSWORD_BASED_MAC)) {
                parameters = PBMParameter.getInstance(algorithm.getParameters());
                checkIterations(parameters.getIterationCount().getValue());
                checkSalt(parameters.getSalt().getOctets().length);
                verified = protectedMessage.verify(new PKMACBuilder(new JcePKMACValuesCalculator(), MAX_MAC_ITERATIONS),
                        secret.secret().toCharArray());
            } else {
                checkPbmac1(PBMAC1Params.getInstance(algorithm.getParameters()));
                verified = protectedMessage.verify(new JcePBMac1CalculatorProviderBuilder().setProvider(BOUNCY_CASTLE).build(),
                        secret.secret().toCharArray());
            }
        } catch (Refusal refusal) {
            throw refusal;
        } catch (Exception e) {
            throw new Refusal(PKIFailureInfo.badAlg, WindowsError.NTE_BAD_SIGNATURE, "the MAC of the message cannot be checked: "
                    + RequestedNames.printable(String.valueOf(e.getMessage())), "use PasswordBasedMac with SHA-256 and HMAC-SHA256, or PBMAC1");
        }
        if (!verified) {
            throw new Refusal(PKIFailureInfo.badMessageCheck, WindowsError.ERROR_LOGON_FAILURE, "the MAC of the message does not verify "
                    + "with the secret of reference " + reference + " (" + secret.account() + "); the secret is wrong, or the message was "
                    + "changed on the way", "send the secret issued with this reference; an administrator can issue a new one with "
                    + "pkilab cmp secret " + secret.account());
        }
        LogonToken token;
        try {
            token = logon.standingFor(secret.accountDn(), "a CMP shared secret");
        } catch (CaException e) {
            if (e.error() != WindowsError.E_ACCESSDENIED) {
                throw e;
            }
            // the account became one no secret may stand for (a Domain Admin now, say) since its secret was issued
            throw new Refusal(PKIFailureInfo.notAuthorized, e.error(), "the CMP secret of reference " + reference + ": " + e.reason(), e.fix());
        }
        if (!token.sid().toString().equals(secret.accountSid())) {
            throw new Refusal(PKIFailureInfo.badMessageCheck, WindowsError.ERROR_LOGON_FAILURE, "the CMP secret of reference " + reference
                    + " was issued for " + secret.account() + (secret.accountSid().isEmpty() ? " before " + caName + " recorded the account's "
                    + "SID" : " with SID " + secret.accountSid()) + ", and " + secret.accountDn() + " is now the account with SID " + token.sid()
                    + "; a secret stands only for the account it was issued to", "issue a new secret for the account: pkilab cmp secret "
                    + secret.account());
        }
        return new Sender(token, new Protection(secret, parameters), null);
    }

    /**
     * PBMAC1's parameters within what a MAC needs, before any work: PBKDF2 with HMAC-SHA256/384/512 as its PRF, a salt of
     * at most {@value #MAX_SALT_BYTES} bytes, a keyLength of 16 to {@value #MAX_KEY_BYTES} bytes, HMAC-SHA256/384/512 as the
     * MAC, and at most {@value #MAX_MAC_ITERATIONS} iterations for the whole key: PBKDF2 runs its iterations once per PRF
     * output block, so a key of a million bytes at the iteration cap would cost minutes of CPU for one unauthenticated message.
     */
    private static void checkPbmac1(PBMAC1Params pbmac1) {
        String fix = "use PBMAC1 with PBKDF2 (HMAC-SHA256, a salt of 16 to " + MAX_SALT_BYTES + " bytes, keyLength 32, 500 to 10,000 "
                + "iterations) and HMAC-SHA256, as RFC 9481 section 6.1.1 describes, or PasswordBasedMac (openssl cmp's)";
        AlgorithmIdentifier kdf = pbmac1.getKeyDerivationFunc();
        // Bouncy Castle's JcePBMac1CalculatorBuilder names PBKDF2 by PBES2's identifier (1.2.840.113549.1.5.13); its parameters are PBKDF2's
        if (!PKCSObjectIdentifiers.id_PBKDF2.equals(kdf.getAlgorithm()) && !PKCSObjectIdentifiers.id_PBES2.equals(kdf.getAlgorithm())) {
            throw new Refusal(PKIFailureInfo.badAlg, WindowsError.E_INVALIDARG, "PBMAC1's key derivation function is "
                    + kdf.getAlgorithm().getId() + ", not PBKDF2 (1.2.840.113549.1.5.12)", fix);
        }
        PBKDF2Params pbkdf2 = PBKDF2Params.getInstance(kdf.getParameters());
        Integer prfBytes = HMAC_OUTPUT_BYTES.get(pbkdf2.getPrf().getAlgorithm());
        if (prfBytes == null) {
            throw new Refusal(PKIFailureInfo.badAlg, WindowsError.E_INVALIDARG, "PBKDF2's PRF is " + pbkdf2.getPrf().getAlgorithm().getId()
                    + (pbkdf2.isDefaultPrf() ? " (HMAC-SHA1, the default when none is named)" : "") + "; " + "the CA takes HMAC-SHA256, "
                    + "HMAC-SHA384 or HMAC-SHA512", fix);
        }
        if (!HMAC_OUTPUT_BYTES.containsKey(pbmac1.getMessageAuthScheme().getAlgorithm())) {
            throw new Refusal(PKIFailureInfo.badAlg, WindowsError.E_INVALIDARG, "PBMAC1's MAC is "
                    + pbmac1.getMessageAuthScheme().getAlgorithm().getId() + "; the CA takes HMAC-SHA256, HMAC-SHA384 or HMAC-SHA512", fix);
        }
        checkSalt(pbkdf2.getSalt().length);
        BigInteger keyLength = pbkdf2.getKeyLength();
        if (keyLength == null || keyLength.compareTo(BigInteger.valueOf(16)) < 0 || keyLength.compareTo(BigInteger.valueOf(MAX_KEY_BYTES)) > 0) {
            throw new Refusal(PKIFailureInfo.badAlg, WindowsError.E_INVALIDARG, "PBKDF2's keyLength is " + (keyLength == null ? "absent"
                    : keyLength.bitLength() > 31 ? "a number of " + keyLength.bitLength() + " bits" : keyLength + " bytes")
                    + "; the CA derives a MAC key of 16 to " + MAX_KEY_BYTES + " bytes and needs it named", fix);
        }
        BigInteger iterations = pbkdf2.getIterationCount();
        checkIterations(iterations);
        long blocks = (keyLength.longValueExact() + prfBytes - 1) / prfBytes;
        if (iterations.longValueExact() * blocks > MAX_MAC_ITERATIONS) {
            throw new Refusal(PKIFailureInfo.badAlg, WindowsError.E_INVALIDARG, "PBKDF2 would run " + iterations + " iterations for each of "
                    + blocks + " blocks of a " + keyLength + "-byte key; the CA computes at most " + MAX_MAC_ITERATIONS + " in all", fix);
        }
    }

    private static void checkSalt(int bytes) {
        if (bytes > MAX_SALT_BYTES) {
            throw new Refusal(PKIFailureInfo.badAlg, WindowsError.E_INVALIDARG, "the MAC parameters carry a salt of " + bytes + " bytes; "
                    + "the CA takes at most " + MAX_SALT_BYTES, "use a random salt of 16 bytes (openssl uses 16)");
        }
    }

    private static void checkIterations(BigInteger iterations) {
        if (iterations.signum() <= 0 || iterations.compareTo(BigInteger.valueOf(MAX_MAC_ITERATIONS)) > 0) {
            throw new Refusal(PKIFailureInfo.badAlg, WindowsError.E_INVALIDARG, "the MAC parameters ask for " + iterations
                    + " iterations; the CA computes at most " + MAX_MAC_ITERATIONS, "use 500 to 10,000 iterations (openssl uses 500)");
        }
    }

    private Sender bySignature(PKIMessage message, ProtectedPKIMessage protectedMessage) {
        CMPCertificate[] extra = message.getExtraCerts();
        if (extra == null || extra.length == 0 || !extra[0].isX509v3PKCert()) {
            throw new Refusal(PKIFailureInfo.badMessageCheck, WindowsError.ERROR_LOGON_FAILURE, "the signed message carries no protection "
                    + "certificate: the first of its extraCerts must be the certificate it is signed with", "send the certificate with the "
                    + "message (openssl cmp -cert cert.pem -key key.pem)");
        }
        X509Certificate certificate;
        boolean verified;
        try {
            X509CertificateHolder holder = new X509CertificateHolder(extra[0].getX509v3PKCert());
            certificate = EnrollmentResult.parseCertificate(holder.getEncoded());
            if (enrollment.templateOf(certificate).isEmpty()) {
                // the database lookup first: a signature with a key of the sender's choosing (RSA of 16,384 bits) costs more
                throw new Refusal(PKIFailureInfo.signerNotTrusted, WindowsError.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, "the message is "
                        + "signed with a certificate " + caName + " did not issue ('" + RequestedNames.printable(certificate
                        .getSubjectX500Principal().getName()) + "', serial " + certificate.getSerialNumber().toString(16) + ")",
                        "sign with a valid certificate " + caName + " issued, or protect the message with a shared secret "
                                + "(pkilab cmp secret <account>)");
            }
            verified = protectedMessage.verify(new JcaContentVerifierProviderBuilder().build(holder));
        } catch (Refusal refusal) {
            throw refusal;
        } catch (Exception e) {
            throw new Refusal(PKIFailureInfo.badMessageCheck, WindowsError.NTE_BAD_SIGNATURE, "the signature of the message cannot be checked: "
                    + RequestedNames.printable(String.valueOf(e.getMessage())), "sign with SHA-256 and the key of the certificate sent first in extraCerts");
        }
        if (!verified) {
            throw new Refusal(PKIFailureInfo.badMessageCheck, WindowsError.NTE_BAD_SIGNATURE, "the signature of the message does not verify "
                    + "with the key of its protection certificate '" + RequestedNames.printable(certificate.getSubjectX500Principal().getName())
                    + "'", "sign with the private key of the certificate sent first in extraCerts");
        }
        boolean[] usage = certificate.getKeyUsage();
        if (usage == null || !usage[0]) {
            throw new Refusal(PKIFailureInfo.signerNotTrusted, WindowsError.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, "the protection "
                    + "certificate '" + RequestedNames.printable(certificate.getSubjectX500Principal().getName()) + "' (serial "
                    + certificate.getSerialNumber().toString(16) + ") " + (usage == null ? "has no key usage extension" : "lacks the "
                    + "digitalSignature key usage") + "; RFC 9483 protects CMP messages only with a signing certificate",
                    "sign with a certificate whose template's key usage includes Digital signature, or protect the message with a "
                    + "shared secret (pkilab cmp secret <account>)");
        }
        LogonToken token;
        try {
            token = logon.holderOf(certificate);
        } catch (CaException e) {
            throw new Refusal(PKIFailureInfo.signerNotTrusted, Decision.deny(e.error(), "the message is signed with a certificate "
                    + caName + " does not take: " + e.reason(), "sign with a valid certificate " + caName + " issued, or protect "
                    + "the message with a shared secret (pkilab cmp secret <account>)"));
        }
        return new Sender(token, Protection.SIGNED, certificate);
    }

    /**
     * Takes a message's senderNonce once. A nonce is kept for twice {@link #MESSAGE_TIME_WINDOW}, longer than a message with
     * it could still be on time ({@link #checkTime}); when that many are kept, new messages wait rather than old nonces go.
     */
    private void remember(byte[] senderNonce, java.time.Instant now) {
        String key = HexFormat.of().formatHex(senderNonce);
        synchronized (nonces) {
            java.time.Instant forgetBefore = now.minus(MESSAGE_TIME_WINDOW.multipliedBy(2));
            for (var it = nonces.values().iterator(); it.hasNext() && it.next().isBefore(forgetBefore); ) {
                it.remove();
            }
            if (nonces.containsKey(key)) {
                throw new Refusal(PKIFailureInfo.badSenderNonce, WindowsError.E_INVALIDARG, "the senderNonce " + key + " came in a message "
                        + caName + " took before: this message is a replay, and changes nothing", "send a fresh random senderNonce in every message");
            }
            if (nonces.size() >= MAX_NONCES) {
                throw new Refusal(PKIFailureInfo.systemUnavail, WindowsError.E_INVALIDARG, caName + " has taken " + MAX_NONCES
                        + " CMP messages in the last " + MESSAGE_TIME_WINDOW.multipliedBy(2).toMinutes() + " minutes and keeps each one's "
                        + "senderNonce that long", "send the message again in a minute");
            }
            nonces.put(key, now);
        }
    }

    /**
     * A message must say when it was made ({@code messageTime}, which RFC 9483 section 3.1 has clients send), within
     * {@link #MESSAGE_TIME_WINDOW} of the CA's clock and not before the CA started: a message captured earlier, replayed
     * after the CA restarted (and forgot the nonces it took) or after its window, changes nothing.
     */
    private void checkTime(PKIHeader header) {
        java.time.Instant now = clock.instant();
        String fix = "set the client's clock (the CA's says " + now + ") and send a new message with the current messageTime";
        if (header.getMessageTime() == null) {
            throw new Refusal(PKIFailureInfo.badTime, WindowsError.E_INVALIDARG, "the message has no messageTime; " + caName
                    + " takes only messages that say when they were made", fix);
        }
        java.time.Instant sent;
        try {
            sent = header.getMessageTime().getDate().toInstant();
        } catch (java.text.ParseException e) {
            throw new Refusal(PKIFailureInfo.badDataFormat, WindowsError.CRYPT_E_ASN1_BADTAG, "the messageTime cannot be read: "
                    + RequestedNames.printable(String.valueOf(e.getMessage())), fix);
        }
        if (java.time.Duration.between(sent, now).abs().compareTo(MESSAGE_TIME_WINDOW) > 0) {
            throw new Refusal(PKIFailureInfo.badTime, WindowsError.E_INVALIDARG, "the message was made at " + sent + ", more than "
                    + MESSAGE_TIME_WINDOW.toMinutes() + " minutes from " + caName + "'s clock (" + now + "); a message that old is a "
                    + "replay or a wrong clock, and changes nothing", fix);
        }
        // messageTime comes in whole seconds (openssl's does): one in the second the CA started is taken, so a client that
        // sends at once is not refused; a message captured in that very second before a restart is the one replay left
        if (sent.isBefore(started.truncatedTo(java.time.temporal.ChronoUnit.SECONDS))) {
            throw new Refusal(PKIFailureInfo.badTime, WindowsError.E_INVALIDARG, "the message was made at " + sent + ", before " + caName
                    + " started at " + started + ", which forgot the messages it took before; it changes nothing", fix);
        }
    }

    private Reply dispatch(PKIMessage message, String label, Sender sender) {
        PKIBody body = message.getBody();
        return switch (body.getType()) {
            case PKIBody.TYPE_INIT_REQ, PKIBody.TYPE_CERT_REQ, PKIBody.TYPE_KEY_UPDATE_REQ, PKIBody.TYPE_P10_CERT_REQ ->
                    enroll(message, label, sender);
            case PKIBody.TYPE_CERT_CONFIRM -> reply(confirm(message, sender), null, 0);
            case PKIBody.TYPE_POLL_REQ -> poll(message, sender);
            case PKIBody.TYPE_REVOCATION_REQ -> reply(revoke(message, sender), null, 0);
            default -> throw new Refusal(PKIFailureInfo.badRequest, WindowsError.E_INVALIDARG, "a message of body type " + body.getType()
                    + " is not one " + caName + " answers", "send ir, cr, p10cr, kur, certConf, pollReq or rr (RFC 9483's lightweight profile)");
        };
    }

    // ---- enrollment ------------------------------------------------------------------------------

    private enum State { WAITING, AWAITING_CONFIRMATION, DONE }

    /** One enrollment, from the request to its confirmation. */
    private static final class Transaction {
        final String id;
        final String account;
        final int requestType;
        final BigInteger certReqId;
        State state = State.DONE;
        long requestId;
        X509Certificate certificate;
        /** The senderNonce of the CA's last answer, which the client's next message names as its recipNonce. */
        byte[] lastNonce;

        Transaction(String id, String account, int requestType, BigInteger certReqId) {
            this.id = id;
            this.account = account;
            this.requestType = requestType;
            this.certReqId = certReqId;
        }
    }

    private Reply enroll(PKIMessage message, String label, Sender sender) {
        PKIBody body = message.getBody();
        int type = body.getType();
        byte[] csr;
        BigInteger certReqId;
        X509Certificate renewalOf = null;
        try {
            if (type == PKIBody.TYPE_P10_CERT_REQ) {
                csr = body.getContent().toASN1Primitive().getEncoded("DER");
                certReqId = BigInteger.valueOf(-1);
            } else {
                CertReqMsg[] requests = CertReqMessages.getInstance(body.getContent()).toCertReqMsgArray();
                if (requests.length != 1) {
                    throw new Refusal(PKIFailureInfo.badRequest, WindowsError.E_INVALIDARG, "the message carries " + requests.length
                            + " certificate requests; RFC 9483 has one per message", "send one request per transaction");
                }
                csr = requests[0].getEncoded("DER");
                certReqId = requests[0].getCertReq().getCertReqId().getValue();
                if (certReqId.signum() != 0) {
                    throw new Refusal(PKIFailureInfo.badRequest, WindowsError.E_INVALIDARG, "the certificate request's certReqId is "
                            + (certReqId.bitLength() > 63 ? "a number of " + certReqId.bitLength() + " bits" : certReqId.toString())
                            + "; RFC 9483 section 4.1.1 has it 0 in ir, cr and kur", "send certReqId 0");
                }
                if (type == PKIBody.TYPE_KEY_UPDATE_REQ) {
                    renewalOf = renewed(requests[0], sender);
                }
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof Refusal refusal) {
                throw refusal;
            }
            throw new Refusal(PKIFailureInfo.badDataFormat, WindowsError.CRYPT_E_ASN1_BADTAG, "the certificate request in the message "
                    + "cannot be read: " + RequestedNames.printable(String.valueOf(e.getMessage())), "send a CRMF CertReqMessages (ir, cr, kur) "
                    + "or a PKCS #10 (p10cr)");
        }
        String template = label;
        if (template == null && renewalOf != null) {
            template = enrollment.templateOf(renewalOf).orElse(null);
        }
        if (template == null) {
            throw new Refusal(PKIFailureInfo.badCertTemplate, WindowsError.CERTSRV_E_NO_CERT_TYPE, "the path " + PATH
                    + " names no certificate template", "name it in the path: " + LABEL_PREFIX + "<template>, for example "
                    + "openssl cmp -path " + LABEL_PREFIX + "WebServer");
        }
        String id = transactionId(message.getHeader());
        Transaction transaction = new Transaction(id, sender.token().account(), type, certReqId);
        synchronized (transactions) {
            if (transactions.containsKey(id)) {
                throw new Refusal(PKIFailureInfo.transactionIdInUse, WindowsError.CERTSRV_E_BAD_REQUESTSTATUS, "the transactionID " + id
                        + " is in use at " + caName + " already: this request starts nothing new", "start each enrollment with a fresh "
                        + "random transactionID");
            }
            transactions.put(id, transaction);
        }
        EnrollmentResult result;
        try {
            result = enrollment.submit(new EnrollmentRequest(sender.token(), template, csr, false, renewalOf,
                    type == PKIBody.TYPE_P10_CERT_REQ ? EnrollmentRequest.Form.PKCS10 : EnrollmentRequest.Form.CRMF, RequestRecord.Arrival.DIRECT));
        } catch (CaException notARequest) {
            synchronized (transactions) {
                transactions.remove(id);
            }
            throw new Refusal(notARequest.error() == WindowsError.CRYPT_E_ASN1_BADTAG ? PKIFailureInfo.badCertTemplate
                    : failInfo(notARequest.error()), Decision.deny(notARequest.error(), notARequest.reason(), notARequest.fix()));
        }
        boolean implicit = implicitConfirm(message.getHeader()) && result.issued();
        synchronized (transaction) {
            transaction.requestId = result.requestId();
            transaction.state = switch (result.status()) {
                case PENDING -> State.WAITING;
                case ISSUED -> implicit ? State.DONE : State.AWAITING_CONFIRMATION;
                default -> State.DONE;
            };
            transaction.certificate = result.issued() ? result.certificate() : null;
            return reply(certificateAnswer(message.getHeader(), sender.protection(), transaction, result, implicit), result.error(),
                    result.requestId());
        }
    }

    /** The certificate a kur renews: the one it is signed with, which its oldCertID control must name when it has one. */
    private X509Certificate renewed(CertReqMsg request, Sender sender) {
        if (sender.certificate() == null) {
            throw new Refusal(PKIFailureInfo.notAuthorized, WindowsError.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, "a key update request (kur) "
                    + "must be signed with the certificate it renews; this one is MAC-protected", "sign it with the current certificate: "
                    + "openssl cmp -cmd kur -cert current.pem -key current.key");
        }
        if (request.getCertReq().getControls() != null) {
            for (var control : request.getCertReq().getControls().toAttributeTypeAndValueArray()) {
                if (control.getType().equals(CRMFObjectIdentifiers.id_regCtrl_oldCertID)) {
                    org.bouncycastle.asn1.crmf.CertId old = org.bouncycastle.asn1.crmf.CertId.getInstance(control.getValue());
                    if (!old.getSerialNumber().getValue().equals(sender.certificate().getSerialNumber())) {
                        throw new Refusal(PKIFailureInfo.badCertId, WindowsError.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, "the kur's oldCertID "
                                + "names serial " + old.getSerialNumber().getValue().toString(16) + ", but it is signed with certificate "
                                + sender.certificate().getSerialNumber().toString(16), "renew the certificate the message is signed with");
                    }
                }
            }
        }
        return sender.certificate();
    }

    private static boolean implicitConfirm(PKIHeader header) {
        InfoTypeAndValue[] info = header.getGeneralInfo();
        return info != null && Arrays.stream(info).anyMatch(i -> CMPObjectIdentifiers.it_implicitConfirm.equals(i.getInfoType()));
    }

    /** ip, cp or kup for {@code result}: the certificate, waiting, or the refusal. */
    private PKIMessage certificateAnswer(PKIHeader request, Protection protection, Transaction transaction, EnrollmentResult result,
                                         boolean implicit) {
        PKIStatusInfo status;
        CertifiedKeyPair certified = null;
        switch (result.status()) {
            case ISSUED -> {
                status = new PKIStatusInfo(PKIStatus.granted);
                certified = new CertifiedKeyPair(new CertOrEncCert(new CMPCertificate(
                        org.bouncycastle.asn1.x509.Certificate.getInstance(result.record().certificate()))));
            }
            case PENDING -> status = new PKIStatusInfo(PKIStatus.waiting, new PKIFreeText("request " + result.requestId() + " at " + caName
                    + " waits for a certificate manager: " + result.decision().reason() + " Poll again (pollReq) to get the certificate "
                    + "once it is approved."));
            default -> status = statusInfo(new Refusal(failInfo(result.error()), result.decision()));
        }
        int answerType = switch (transaction.requestType) {
            case PKIBody.TYPE_INIT_REQ -> PKIBody.TYPE_INIT_REP;
            case PKIBody.TYPE_KEY_UPDATE_REQ -> PKIBody.TYPE_KEY_UPDATE_REP;
            default -> PKIBody.TYPE_CERT_REP;
        };
        CMPCertificate[] caPubs = protection.mac() && answerType == PKIBody.TYPE_INIT_REP && certified != null
                ? new CMPCertificate[]{cmp(caCertificate.get())} : null;
        CertRepMessage content = new CertRepMessage(caPubs, new CertResponse[]{
                new CertResponse(new ASN1Integer(transaction.certReqId), status, certified, null)});
        PKIMessage answer = build(request, protection, new PKIBody(answerType, content), implicit);
        transaction.lastNonce = answer.getHeader().getSenderNonce().getOctets();
        return answer;
    }

    /** The transaction a certConf or pollReq continues, the requester's, with the CA's last nonce as its recipNonce. */
    private Transaction continued(PKIMessage message, Sender sender, String what) {
        String id = transactionId(message.getHeader());
        Transaction transaction;
        synchronized (transactions) {
            transaction = transactions.get(id);
        }
        if (transaction == null || !transaction.account.equalsIgnoreCase(sender.token().account())) {
            throw new Refusal(PKIFailureInfo.badRequest, WindowsError.CERTSRV_E_NO_REQUEST, "a " + what + " for transaction " + id + ", which "
                    + caName + " has no enrollment of " + sender.token().account() + " under; nothing was changed",
                    "send " + what + " in the transaction of the ir, cr, p10cr or kur it answers");
        }
        ASN1OctetString recipNonce = message.getHeader().getRecipNonce();
        if (recipNonce == null || transaction.lastNonce == null || !Arrays.equals(recipNonce.getOctets(), transaction.lastNonce)) {
            throw new Refusal(PKIFailureInfo.badRecipientNonce, WindowsError.E_INVALIDARG, "the " + what + " in transaction " + id
                    + " does not name the senderNonce of " + caName + "'s last answer as its recipNonce; nothing was changed",
                    "answer the CA's last message: its senderNonce is the recipNonce of the next");
        }
        return transaction;
    }

    private PKIMessage confirm(PKIMessage message, Sender sender) {
        Transaction transaction = continued(message, sender, "certConf");
        synchronized (transaction) {
            if (transaction.state != State.AWAITING_CONFIRMATION) {
                throw new Refusal(PKIFailureInfo.badRequest, WindowsError.CERTSRV_E_BAD_REQUESTSTATUS, "transaction " + transaction.id
                        + " has no certificate waiting for confirmation (request " + transaction.requestId + " is "
                        + (transaction.state == State.WAITING ? "still pending" : "answered already") + "); nothing was changed",
                        "confirm a certificate once, after the ip, cp or kup that carries it");
            }
            CertificateStatus[] statuses = CertificateConfirmationContent.fromPKIBody(message.getBody()).getStatusMessages();
            for (CertificateStatus status : statuses) {
                if (!status.getCertRequestID().equals(transaction.certReqId)) {
                    throw new Refusal(PKIFailureInfo.badCertId, WindowsError.CERTSRV_E_NO_REQUEST, "the certConf names certReqId "
                            + status.getCertRequestID() + ", transaction " + transaction.id + " issued certReqId " + transaction.certReqId,
                            "confirm the certReqId of the answer");
                }
                boolean matches;
                try {
                    matches = status.isVerified(new JcaX509CertificateHolder(transaction.certificate), new JcaDigestCalculatorProviderBuilder().build());
                } catch (Exception e) {
                    matches = false;
                }
                if (!matches) {
                    throw new Refusal(PKIFailureInfo.badCertId, WindowsError.CERTSRV_E_NO_REQUEST, "the certConf's certHash is not the hash "
                            + "of certificate " + transaction.certificate.getSerialNumber().toString(16) + " issued in transaction "
                            + transaction.id, "confirm the certificate the CA sent");
                }
                PKIStatusInfo given = status.getStatusInfo();
                if (given != null && given.getStatus().intValue() == PKIStatus.REJECTION) {
                    // RFC 9483 section 4.1.1: a certificate its requester rejects is revoked, so it is never in use
                    administration.revoke(transaction.certificate.getSerialNumber(), RevocationReason.CESSATION_OF_OPERATION,
                            sender.token().account() + " (rejected in CMP certConf)");
                }
            }
            transaction.state = State.DONE;
            return build(message.getHeader(), sender.protection(), new PKIBody(PKIBody.TYPE_CONFIRM, DERNull.INSTANCE), false);
        }
    }

    private Reply poll(PKIMessage message, Sender sender) {
        Transaction transaction = continued(message, sender, "pollReq");
        synchronized (transaction) {
            BigInteger[] ids = PollReqContent.getInstance(message.getBody().getContent()).getCertReqIdValues();
            if (ids.length != 1 || !ids[0].equals(transaction.certReqId)) {
                throw new Refusal(PKIFailureInfo.badCertId, WindowsError.CERTSRV_E_NO_REQUEST, "the pollReq names certReqId "
                        + Arrays.toString(ids) + ", transaction " + transaction.id + " is for certReqId " + transaction.certReqId,
                        "poll for the certReqId of the request");
            }
            if (transaction.state != State.WAITING) {
                throw new Refusal(PKIFailureInfo.badRequest, WindowsError.CERTSRV_E_BAD_REQUESTSTATUS, "request " + transaction.requestId
                        + " of transaction " + transaction.id + " is not waiting for a certificate manager; nothing to poll for",
                        "poll only after an answer with status 'waiting'");
            }
            EnrollmentResult result = enrollment.retrieve(sender.token(), transaction.requestId);
            if (result.status() == RequestStatus.PENDING) {
                PKIMessage answer = build(message.getHeader(), sender.protection(), new PKIBody(PKIBody.TYPE_POLL_REP,
                        new PollRepContent(new ASN1Integer(transaction.certReqId), new ASN1Integer(CHECK_AFTER_SECONDS),
                                new PKIFreeText("request " + transaction.requestId + " at " + caName + " still waits for a certificate manager"))), false);
                transaction.lastNonce = answer.getHeader().getSenderNonce().getOctets();
                return reply(answer, null, transaction.requestId);
            }
            transaction.state = result.issued() ? State.AWAITING_CONFIRMATION : State.DONE;
            transaction.certificate = result.issued() ? result.certificate() : null;
            return reply(certificateAnswer(message.getHeader(), sender.protection(), transaction, result, false), result.error(),
                    transaction.requestId);
        }
    }

    // ---- revocation ------------------------------------------------------------------------------

    private PKIMessage revoke(PKIMessage message, Sender sender) {
        RevDetails[] details = RevReqContent.getInstance(message.getBody().getContent()).toRevDetailsArray();
        if (details.length != 1) {
            throw new Refusal(PKIFailureInfo.badRequest, WindowsError.E_INVALIDARG, "the rr names " + details.length
                    + " certificates; RFC 9483 revokes one per message", "send one rr per certificate");
        }
        CertTemplate template = details[0].getCertDetails();
        if (template.getSerialNumber() == null) {
            throw new Refusal(PKIFailureInfo.badCertTemplate, WindowsError.CERTSRV_E_NO_REQUEST, "the rr names no serial number",
                    "name the certificate by issuer and serial number (openssl cmp -cmd rr -oldcert cert.pem)");
        }
        BigInteger serial = template.getSerialNumber().getValue();
        X500Name ca = X500Name.getInstance(caCertificate.get().getSubjectX500Principal().getEncoded());
        if (template.getIssuer() != null && !template.getIssuer().equals(ca)) {
            throw new Refusal(PKIFailureInfo.badCertId, WindowsError.CERTSRV_E_NO_REQUEST, "the rr names a certificate issued by '"
                    + RequestedNames.printable(template.getIssuer().toString()) + "', not by " + caName, "send it to the CA that issued it");
        }
        RevocationReason reason = RevocationReason.UNSPECIFIED;
        if (details[0].getCrlEntryDetails() != null) {
            Extension code = details[0].getCrlEntryDetails().getExtension(Extension.reasonCode);
            if (code != null) {
                try {
                    reason = RevocationReason.ofCode(CRLReason.getInstance(code.getParsedValue()).getValue().intValueExact());
                } catch (RuntimeException e) {
                    throw new Refusal(PKIFailureInfo.badRequest, WindowsError.CERTSRV_E_BAD_REQUESTSTATUS, "the rr's reasonCode is no "
                            + "reason " + caName + " revokes for: " + RequestedNames.printable(String.valueOf(e.getMessage())),
                            "give a reason RFC 5280 defines (openssl cmp -revreason 0 to 10, not 7)");
                }
            }
        }
        boolean holder = sender.certificate() != null && sender.certificate().getSerialNumber().equals(serial);
        if (!holder) {
            Decision manager = security.check(sender.token(), CaSecurity.Permission.MANAGE_CERTIFICATES, "revoke certificates");
            if (!manager.proceeds()) {
                throw new Refusal(PKIFailureInfo.notAuthorized, Decision.deny(WindowsError.E_ACCESSDENIED, sender.token().account()
                        + " may not revoke certificate " + serial.toString(16) + " at " + caName + ": the rr is not signed with that "
                        + "certificate, and " + sender.token().account() + " holds no 'Issue and Manage Certificates' on the CA; "
                        + manager.reason(), "sign the rr with the certificate to revoke and its key (openssl cmp -cert c.pem -key c.key "
                        + "-oldcert c.pem), or send it as a certificate manager"));
            }
        }
        try {
            administration.revoke(serial, reason, sender.token().account() + " (CMP rr)");
        } catch (CaException e) {
            int bit = e.error() == WindowsError.CERTSRV_E_BAD_REQUESTSTATUS ? PKIFailureInfo.certRevoked : PKIFailureInfo.badCertId;
            throw new Refusal(bit, Decision.deny(e.error(), e.reason(), e.fix()));
        }
        return build(message.getHeader(), sender.protection(), new PKIBody(PKIBody.TYPE_REVOCATION_REP,
                new RevRepContentBuilder().add(new PKIStatusInfo(PKIStatus.granted)).build()), false);
    }

    // ---- answers ---------------------------------------------------------------------------------

    /** The PKIFailureInfo bit that goes with an AD CS error. */
    static int failInfo(WindowsError error) {
        if (error == null) {
            return PKIFailureInfo.systemFailure;
        }
        return switch (error) {
            case CERTSRV_E_TEMPLATE_DENIED, E_ACCESSDENIED, CERTSRV_E_ENROLL_DENIED, CERTSRV_E_ADMIN_DENIED_REQUEST,
                 CERTSRV_E_BAD_RENEWAL_SUBJECT, CERTSRV_E_SIGNATURE_REJECTED, CERTSRV_E_SIGNATURE_COUNT -> PKIFailureInfo.notAuthorized;
            case NTE_BAD_SIGNATURE -> PKIFailureInfo.badPOP;
            case CRYPT_E_ASN1_BADTAG -> PKIFailureInfo.badDataFormat;
            case ERROR_LOGON_FAILURE -> PKIFailureInfo.badMessageCheck;
            case CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE -> PKIFailureInfo.signerNotTrusted;
            case CERTSRV_E_NO_REQUEST -> PKIFailureInfo.badCertId;
            case CRYPT_E_REVOKED -> PKIFailureInfo.certRevoked;
            case CERTSRV_E_UNSUPPORTED_CERT_TYPE, CERTSRV_E_NO_CERT_TYPE, CERTSRV_E_TEMPLATE_CONFLICT, CERTSRV_E_KEY_LENGTH,
                 CERTSRV_E_BAD_REQUESTSUBJECT, CERTSRV_E_SUBJECT_DNS_REQUIRED, CERTSRV_E_SUBJECT_UPN_REQUIRED,
                 CERTSRV_E_SUBJECT_EMAIL_REQUIRED -> PKIFailureInfo.badCertTemplate;
            default -> PKIFailureInfo.badRequest;
        };
    }

    /** {@code rejection}, the failure bit, and {@code 0x80094012 CERTSRV_E_TEMPLATE_DENIED: reason To fix: ...} as the text. */
    private static PKIStatusInfo statusInfo(Refusal refusal) {
        Decision d = refusal.decision;
        String text = d.error().code() + " " + d.error().symbolicName() + ": " + d.reason()
                + (d.fix() == null || d.fix().isEmpty() ? "" : " To fix: " + d.fix());
        return new PKIStatusInfo(PKIStatus.rejection, new PKIFreeText(text), new PKIFailureInfo(refusal.failInfo));
    }

    private PKIMessage error(PKIHeader request, Protection protection, Refusal refusal) {
        return build(request, protection, new PKIBody(PKIBody.TYPE_ERROR, new ErrorMsgContent(statusInfo(refusal))), false);
    }

    /** An answer to {@code request} (null when it could not be read), protected as {@code protection} says. */
    private PKIMessage build(PKIHeader request, Protection protection, PKIBody body, boolean implicitConfirm) {
        X500Name caSubject = X500Name.getInstance(caCertificate.get().getSubjectX500Principal().getEncoded());
        X500Name hostSubject = X500Name.getInstance(protection().getSubjectX500Principal().getEncoded());
        GeneralName sender = new GeneralName(protection.mac() ? caSubject : hostSubject);
        GeneralName recipient = request == null ? new GeneralName(new X500Name(new org.bouncycastle.asn1.x500.RDN[0])) : request.getSender();
        int pvno = request != null && request.getPvno().getValue().equals(BigInteger.valueOf(3)) ? 3 : PKIHeader.CMP_2000;
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        ProtectedPKIMessageBuilder builder = new ProtectedPKIMessageBuilder(pvno, sender, recipient)
                .setMessageTime(new Date())
                .setSenderNonce(nonce)
                .setBody(body);
        if (request != null) {
            if (request.getTransactionID() != null) {
                builder.setTransactionID(request.getTransactionID().getOctets());
            }
            if (request.getSenderNonce() != null) {
                builder.setRecipNonce(request.getSenderNonce().getOctets());
            }
        }
        if (implicitConfirm) {
            builder.addGeneralInfo(new InfoTypeAndValue(CMPObjectIdentifiers.it_implicitConfirm, DERNull.INSTANCE));
        }
        try {
            if (protection.mac()) {
                builder.setSenderKID(protection.secret().reference().getBytes(StandardCharsets.UTF_8));
                return builder.build(mac(protection)).toASN1Structure();
            }
            byte[] kid = protection().getExtensionValue(Extension.subjectKeyIdentifier.getId());
            if (kid != null) {
                builder.setSenderKID(org.bouncycastle.asn1.x509.SubjectKeyIdentifier.getInstance(
                        ASN1OctetString.getInstance(kid).getOctets()).getKeyIdentifier());
            }
            builder.addCMPCertificate(new JcaX509CertificateHolder(protection()));
            builder.addCMPCertificate(new JcaX509CertificateHolder(caCertificate.get()));
            ContentSigner signer = new JcaContentSignerBuilder(signing.key().getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA")
                    .build(signing.key());
            return builder.build(signer).toASN1Structure();
        } catch (Exception e) {
            throw new IllegalStateException(caName + " could not protect its CMP answer: " + e.getMessage(), e);
        }
    }

    private X509Certificate protection() {
        return signing.certificate();
    }

    /** A MAC with the requester's secret and the request's one-way function, MAC and iterations, with a salt of its own. */
    private static MacCalculator mac(Protection protection) throws Exception {
        PBMParameter request = protection.parameters();
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        PBMParameter parameters = request == null
                ? new PBMParameter(salt, new AlgorithmIdentifier(org.bouncycastle.asn1.nist.NISTObjectIdentifiers.id_sha256), 10_000,
                new AlgorithmIdentifier(PKCSObjectIdentifiers.id_hmacWithSHA256))
                : new PBMParameter(salt, request.getOwf(), request.getIterationCount().intValueExact(), request.getMac());
        return new PKMACBuilder(new JcePKMACValuesCalculator(), MAX_MAC_ITERATIONS).setParameters(parameters)
                .build(protection.secret().secret().toCharArray());
    }

    private static CMPCertificate cmp(X509Certificate certificate) {
        try {
            return new CMPCertificate(org.bouncycastle.asn1.x509.Certificate.getInstance(certificate.getEncoded()));
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String transactionId(PKIHeader header) {
        return HexFormat.of().formatHex(header.getTransactionID().getOctets()).toUpperCase(Locale.ROOT);
    }

    private static byte[] encode(PKIMessage message) {
        try {
            return message.getEncoded("DER");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
