package org.pkilab.ca;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.pkilab.directory.model.DomainNames;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.RelativeIds;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.pki.KeyFiles;
import org.pkilab.pki.RsaKeys;
import org.pkilab.windows.WindowsError;

import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CA's web server with its adapters and nothing of a CA behind them: no directory, no database, no
 * {@link CertificationAuthority}. The services are stubs that say what they were asked, so each test shows
 * which service an adapter calls, and that the CA's Security tab is checked before any administration.
 */
class CaWebServerTest {

    private static final SecurityIdentifier DOMAIN = SecurityIdentifier.parse("S-1-5-21-1004336348-1177238915-682003330");
    private static final KeyFiles.KeyEntry CA = selfSigned("CN=contoso-CA01-CA");
    private static final byte[] BASE_CRL = {0x30, 0x03, 0x02, 0x01, 0x01};
    private static final byte[] DELTA_CRL = {0x30, 0x03, 0x02, 0x01, 0x02};

    private final List<String> calls = new ArrayList<>();
    private CertificationAuthorityConfig config;
    private CaWebServer web;

    @BeforeEach
    void start() throws Exception {
        // the web server reads names from the configuration and never contacts the directory it names
        config = CertificationAuthorityConfig.builder(DomainNames.of("contoso.com")).hostName("CA01").caName("contoso-CA01-CA")
                .directory("127.0.0.1", 1, "CN=CA01,CN=Computers,DC=contoso,DC=com", "unused").build();
        AccountLogon logon = new AccountLogon() {
            @Override
            public LogonToken logon(String account, String password) {
                calls.add("logon " + account);
                if (!"alice".equals(account) || !"Pa55word!".equals(password)) {
                    throw new CaException(WindowsError.ERROR_LOGON_FAILURE, "logon of " + account + " failed");
                }
                return new LogonToken("CONTOSO\\alice", "CN=alice,CN=Users,DC=contoso,DC=com", DOMAIN.withRid(1200),
                        List.of(new LogonToken.TokenGroup(DOMAIN.withRid(RelativeIds.DOMAIN_USERS), "CONTOSO\\Domain Users")),
                        Instant.now(), "DC01.contoso.com");
            }

            @Override
            public LogonToken verify(String encodedToken) {
                throw new CaException(WindowsError.ERROR_LOGON_FAILURE, "no token verifies here");
            }

            @Override
            public LogonToken holderOf(X509Certificate certificate) {
                throw new CaException(WindowsError.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, "no certificate renews here");
            }

            @Override
            public LogonToken onBehalfOf(String account) {
                throw new CaException(WindowsError.ERROR_LOGON_FAILURE, "no S4U2Self here");
            }

            @Override
            public LogonToken standingFor(String account, String credential) {
                throw new CaException(WindowsError.ERROR_LOGON_FAILURE, "no S4U2Self here");
            }
        };
        CaWebServer.Services services = new CaWebServer.Services(CA::certificate, stub(Enrollment.class), stub(EnrollmentPolicySource.class),
                stub(CaAdministration.class), CaSecurity.byDefault(config.caName(), DOMAIN), logon,
                delta -> delta ? DELTA_CRL : BASE_CRL, new OnlineResponder(CA::certificate,
                () -> new OnlineResponder.SigningKey(CA.key(), CA.certificate(), false), serial -> java.util.Optional.empty(), java.time.Clock.systemUTC()),
                AcmeAccounts.load(java.nio.file.Path.of("target", "no-acme-accounts")), CmpSecrets.load(null, true),

                new ScepAdapter.Ndes(null, new ChallengePasswords(java.time.Clock.systemUTC()), () -> null,
                        () -> org.pkilab.enrollment.CaRegistrySettings.NdesTemplates.DEFAULT, java.time.Clock.systemUTC()));
        web = new CaWebServer(config, 0, 0);
        web.bind();
        web.start(selfSignedBy("CN=ca01.contoso.com"), services);
    }

    @AfterEach
    void stop() {
        web.close();
    }

    @Test
    void administrationIsRefusedByTheCaSecurityTabBeforeTheCaIsAsked() throws Exception {
        HttpsURLConnection c = https("/certsrv/admin/requests?status=pending", "alice:Pa55word!");
        String body = text(c);
        assertEquals(403, c.getResponseCode(), body);
        assertEquals("0x80070005 E_ACCESSDENIED", c.getHeaderField("X-ADCS-Error"), body);
        assertTrue(body.contains("CONTOSO\\alice may not list requests on contoso-CA01-CA")
                && body.contains("'Issue and Manage Certificates'"), "the refusal names the account, the CA and the permission: " + body);
        assertEquals(List.of("logon alice"), calls, "a caller without the permission reaches no administration operation");
    }

    @Test
    void enrollmentWithoutCredentialsIsChallengedWithTheDomainAsRealm() throws Exception {
        HttpsURLConnection c = https("/.well-known/est/WebServer/simpleenroll", null);
        c.setRequestMethod("POST");
        c.setDoOutput(true);
        c.setRequestProperty("Content-Type", "application/pkcs10");
        c.getOutputStream().write("MAA=".getBytes(StandardCharsets.US_ASCII));
        String body = text(c);
        assertEquals(401, c.getResponseCode(), body);
        assertEquals("Basic realm=\"contoso.com\"", c.getHeaderField("WWW-Authenticate"), body);
        assertEquals("0x8007052E ERROR_LOGON_FAILURE", c.getHeaderField("X-ADCS-Error"), body);
        assertEquals(List.of(), calls, "no enrollment without a logon");
    }

    @Test
    void certEnrollServesTheCurrentCrlsAndTheCaCertificateOverHttp() throws Exception {
        String base = "http://127.0.0.1:" + web.httpPort() + "/CertEnroll/";
        assertArrayEquals(BASE_CRL, bytes(base + "contoso-CA01-CA.crl"), "the base CRL the CDP URL names");
        assertArrayEquals(DELTA_CRL, bytes(base + "contoso-CA01-CA+.crl"), "the delta CRL the Freshest CRL URL names");
        assertArrayEquals(CA.certificate().getEncoded(), bytes(base + "ca01.contoso.com_contoso-CA01-CA.crt"), "the AIA certificate");
    }

    @Test
    void theOnlineResponderRefusesWhatIsNoOcspRequestOverHttpAndAnswersJunkAsMalformedRequest() throws Exception {
        String url = "http://127.0.0.1:" + web.httpPort() + OcspAdapter.PATH;
        HttpURLConnection big = post(url, OcspAdapter.REQUEST_TYPE, new byte[OcspAdapter.MAX_BODY + 1]);
        assertEquals(413, big.getResponseCode(), "a body over " + OcspAdapter.MAX_BODY + " bytes");
        assertTrue(text(big).contains("at most " + OcspAdapter.MAX_BODY + " bytes"), "the refusal names the limit");
        HttpURLConnection form = post(url, "application/x-www-form-urlencoded", new byte[]{0x30, 0x00});
        assertEquals(415, form.getResponseCode(), "a form instead of " + OcspAdapter.REQUEST_TYPE);
        assertTrue(text(form).contains(OcspAdapter.REQUEST_TYPE), "the refusal names the content type to send");
        HttpURLConnection put = (HttpURLConnection) new URL(url).openConnection();
        put.setRequestMethod("PUT");
        put.setDoOutput(true);
        put.getOutputStream().write(new byte[]{0x30, 0x00});
        assertEquals(405, put.getResponseCode(), "PUT to " + OcspAdapter.PATH);
        assertEquals("GET, POST", put.getHeaderField("Allow"));

        HttpURLConnection junk = post(url, OcspAdapter.REQUEST_TYPE, "not DER".getBytes(StandardCharsets.UTF_8));
        assertEquals(200, junk.getResponseCode(), "an OCSP error travels in a 200 (RFC 6960 A.1)");
        assertEquals(OcspAdapter.RESPONSE_TYPE, junk.getContentType());
        assertEquals(org.bouncycastle.cert.ocsp.OCSPRespBuilder.MALFORMED_REQUEST,
                new org.bouncycastle.cert.ocsp.OCSPResp(junk.getInputStream().readAllBytes()).getStatus(), "junk POSTed");
        HttpURLConnection notBase64 = (HttpURLConnection) new URL(url + "/not*base64%21").openConnection();
        assertEquals(200, notBase64.getResponseCode(), "GET of a path that is no base64");
        assertEquals(org.bouncycastle.cert.ocsp.OCSPRespBuilder.MALFORMED_REQUEST,
                new org.bouncycastle.cert.ocsp.OCSPResp(notBase64.getInputStream().readAllBytes()).getStatus(), "a GET that is no base64");
        assertTrue(calls.isEmpty(), "no CA service asked: " + calls);
    }

    private static HttpURLConnection post(String url, String contentType, byte[] body) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
        c.setRequestMethod("POST");
        c.setDoOutput(true);
        c.setRequestProperty("Content-Type", contentType);
        c.setFixedLengthStreamingMode(body.length);
        try {
            c.getOutputStream().write(body);
        } catch (IOException e) {
            // the server may answer 413 from Content-Length and close before the whole body is sent
        }
        return c;
    }

    /** A service every call of which is recorded and fails the test: the adapters under test must not reach it. */
    private <T> T stub(Class<T> service) {
        return service.cast(java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[]{service}, (proxy, method, args) -> {
            calls.add(service.getSimpleName() + "." + method.getName());
            throw new AssertionError(service.getSimpleName() + "." + method.getName() + " was called");
        }));
    }

    private HttpsURLConnection https(String path, String basic) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", CA.certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        HttpsURLConnection c = (HttpsURLConnection) new URL("https://127.0.0.1:" + web.httpsPort() + path).openConnection();
        c.setSSLSocketFactory(context.getSocketFactory());
        // the certificate names ca01.contoso.com; the test reaches it at 127.0.0.1
        c.setHostnameVerifier((host, session) -> true);
        if (basic != null) {
            c.setRequestProperty("Authorization", "Basic " + Base64.getEncoder().encodeToString(basic.getBytes(StandardCharsets.UTF_8)));
        }
        return c;
    }

    private static String text(HttpURLConnection c) throws IOException {
        InputStream in = c.getResponseCode() < 400 ? c.getInputStream() : c.getErrorStream();
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String url) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
        assertEquals(200, c.getResponseCode(), url);
        try (InputStream in = c.getInputStream()) {
            return in.readAllBytes();
        }
    }

    private static KeyFiles.KeyEntry selfSigned(String subject) {
        KeyPair pair = RsaKeys.generate(2048);
        return new KeyFiles.KeyEntry(pair.getPrivate(), new X509Certificate[]{sign(subject, pair, subject, pair)});
    }

    private static KeyFiles.KeyEntry selfSignedBy(String subject) {
        KeyPair pair = RsaKeys.generate(2048);
        X509Certificate issued = sign(subject, pair, CA.certificate().getSubjectX500Principal().getName(), new KeyPair(null, CA.key()));
        return new KeyFiles.KeyEntry(pair.getPrivate(), new X509Certificate[]{issued, CA.certificate()});
    }

    private static X509Certificate sign(String subject, KeyPair subjectKeys, String issuer, KeyPair issuerKeys) {
        try {
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name(issuer), BigInteger.valueOf(now.toEpochMilli()),
                    Date.from(now.minusSeconds(60)), Date.from(now.plus(1, ChronoUnit.DAYS)), new X500Name(subject), subjectKeys.getPublic());
            builder.addExtension(org.bouncycastle.asn1.x509.Extension.basicConstraints, true,
                    new org.bouncycastle.asn1.x509.BasicConstraints(subject.equals(issuer)));
            return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKeys.getPrivate())));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
