package org.pkilab.robustness;

import com.unboundid.ldap.sdk.LDAPRequest;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchRequest;
import org.pkilab.windows.WindowsError;
import org.pkilab.directory.model.DomainNames;

import java.math.BigInteger;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A deterministic corpus of hostile inputs for every interface of a lab (EST and the CA's web server, the
 * directory over LDAP, scenario files, PFX files), each with the refusal a user must see. The same seed
 * gives the same inputs: what varies from run to run is only what the running lab contributes (its
 * logon token, ports, the serial numbers it issued).
 *
 * <p>Inputs are grouped in categories named for what is wrong with them ("EST body: truncated DER",
 * "LDAP: writes by non-administrators"); {@link #countsByCategory()} is what the test prints. Each
 * interface has its generator: {@link EstCorpus} (the CA's web servers), {@link OcspCorpus} (the Online Responder's bodies),
 * {@link AcmeCorpus} (its ACME directories), {@link CmpCorpus} (its CMP endpoint), {@link DirectoryCorpus} (LDAP)
 * and {@link FileCorpus} (scenario and PFX files); {@link ScepCorpus} (NDES's SCEP) needs an RA certificate and a
 * SCEP transaction from the running lab, and is made and judged by its own test.
 */
final class HostileCorpus {

    static final long SEED = 7030; // RFC 7030, EST

    /** Any input: where it belongs and what it is. */
    interface Input {
        String category();

        String name();
    }

    /**
     * What the CA's web server must answer: the HTTP status (0: the connection is refused before HTTP,
     * at TLS), the AD CS error when one applies, whether the CA records the request in its database
     * (a denied or failed row), and a text the answer must contain.
     */
    record Answer(int status, WindowsError error, boolean recorded, String mentions) {
        @Override
        public String toString() {
            return status + (error == null ? "" : " " + error) + (recorded ? " (recorded)" : "") + (mentions == null ? "" : " mentioning '" + mentions + "'");
        }
    }

    /** How the bytes travel: HTTPS to EST, plain HTTP to the CDP/AIA port, or plain bytes to the HTTPS port. */
    enum Transport { HTTPS, HTTP, TCP_TO_HTTPS_PORT }

    /** A certificate a client presents, with the key it proves possession with (not necessarily the certificate's). */
    record ClientCertificate(X509Certificate[] chain, PrivateKey key) {
    }

    record HttpInput(String category, String name, Transport transport, ClientCertificate client, byte[] wire, List<Answer> answers)
            implements Input {
    }

    /** A body or GET sent to the Online Responder over plain HTTP, and the OCSP response status it must get (RFC 6960 4.2.1). */
    record OcspInput(String category, String name, byte[] wire, int ocspStatus) implements Input {
    }

    /** An LDAP request sent bound as {@code bindDn} (null: anonymous), the result codes that refuse it and a text the refusal must hold. */
    record LdapInput(String category, String name, String bindDn, String password, LDAPRequest request, List<ResultCode> codes,
                     String mentions) implements Input {
    }

    /** A search bound as {@code bindDn} whose filter asks about a secret: it must succeed and find nothing. */
    record LdapOracle(String category, String name, String bindDn, String password, SearchRequest search) implements Input {
    }

    /** A bind that must not authenticate: after it, the connection may read nothing. */
    record LdapBind(String category, String name, String dn, String password, List<ResultCode> codes) implements Input {
    }

    /** A scenario file and the line its refusal must name (0: any line) with a text that line must contain. */
    record ScenarioFile(String category, String name, String fileName, byte[] content, int line, String mentions) implements Input {
    }

    enum PfxKind { FILE, MISSING, DIRECTORY }

    /** A file offered to the Certificate Import Wizard, and what the refusal may say (any one of them). */
    record PfxFile(String category, String name, PfxKind kind, String fileName, byte[] content, char[] password, List<String> mentions)
            implements Input {
    }

    /** What the corpus needs from the running lab. */
    record Facts(String caName, String estHost, X509Certificate caCertificate, DomainNames names, String password,
                 String adminToken, BigInteger issuedSerial, long issuedRequestId, long pendingRequestId,
                 ClientCertificate validClient, ClientCertificate revokedClient, String cmpReference, String cmpSecret) {
    }

    static final String PFX_PASSWORD = "Str0ng-Pfx!";
    static final String EST = "/.well-known/est/";

    static final Answer NOT_A_REQUEST = new Answer(400, WindowsError.CRYPT_E_ASN1_BADTAG, false, null);
    static final Answer BAD_SIGNATURE = new Answer(400, WindowsError.NTE_BAD_SIGNATURE, true, null);
    static final Answer KEY_LENGTH = new Answer(400, WindowsError.CERTSRV_E_KEY_LENGTH, true, null);
    static final Answer BAD_NAME = new Answer(400, WindowsError.CERTSRV_E_BAD_REQUESTSUBJECT, true, null);
    static final Answer LOGON_FAILURE = new Answer(401, WindowsError.ERROR_LOGON_FAILURE, false, null);
    static final Answer TOO_LARGE = new Answer(413, null, false, "65536");
    static final Answer WRONG_TYPE = new Answer(415, null, false, "application/pkcs10");
    static final Answer NOT_A_TEMPLATE_NAME = new Answer(404, WindowsError.CERTSRV_E_UNSUPPORTED_CERT_TYPE, false, "not a certificate template name");
    static final Answer UNKNOWN_TEMPLATE = new Answer(404, WindowsError.CERTSRV_E_UNSUPPORTED_CERT_TYPE, true, "no certificate template named");
    static final Answer NOT_EST = new Answer(404, null, false, "EST");
    static final Answer BAD_HTTP = new Answer(400, null, false, null);
    static final Answer HEADERS_TOO_LARGE = new Answer(431, null, false, "8192");
    static final Answer URI_TOO_LONG = new Answer(414, null, false, "8192");
    static final Answer ACCESS_DENIED = new Answer(403, WindowsError.E_ACCESSDENIED, false, "Manage");
    static final Answer NO_SUCH_REQUEST = new Answer(404, WindowsError.CERTSRV_E_NO_REQUEST, false, null);
    static final Answer NOT_PENDING = new Answer(409, WindowsError.CERTSRV_E_BAD_REQUESTSTATUS, false, null);
    static final Answer RENEWAL_REFUSED = new Answer(400, WindowsError.CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE, false, null);
    static final Answer TLS_REFUSED = new Answer(0, null, false, null);
    static final Answer WRONG_METHOD = new Answer(405, null, false, "use ");

    final List<HttpInput> http = new ArrayList<>();
    final List<OcspInput> ocsp = new ArrayList<>();
    final List<LdapInput> ldap = new ArrayList<>();
    final List<LdapBind> binds = new ArrayList<>();
    final List<LdapOracle> oracles = new ArrayList<>();
    final List<ScenarioFile> scenarios = new ArrayList<>();
    final List<PfxFile> pfx = new ArrayList<>();
    /** The ACME inputs' account and the external account key they must leave unused. */
    AcmeCorpus acme;

    private HostileCorpus() {
    }

    /** The whole corpus for a lab whose CA answers EST on {@code httpsPort}. */
    static HostileCorpus generate(Facts facts, int httpsPort) {
        HostileCorpus corpus = new HostileCorpus();
        new EstCorpus(facts, httpsPort, corpus.http).generate();
        new OcspCorpus(facts, corpus.ocsp).generate();
        corpus.acme = new AcmeCorpus(facts, httpsPort, corpus.http);
        corpus.acme.generate();
        new CmpCorpus(facts, corpus.http).generate();
        new DirectoryCorpus(facts, corpus.ldap, corpus.binds, corpus.oracles).generate();
        new FileCorpus(corpus.scenarios, corpus.pfx).generate();
        return corpus;
    }

    List<Input> all() {
        List<Input> all = new ArrayList<>();
        all.addAll(http);
        all.addAll(ocsp);
        all.addAll(ldap);
        all.addAll(binds);
        all.addAll(oracles);
        all.addAll(scenarios);
        all.addAll(pfx);
        return all;
    }

    Map<String, Integer> countsByCategory() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        all().forEach(i -> counts.merge(i.category(), 1, Integer::sum));
        return counts;
    }

    // ---- helpers -----------------------------------------------------------------------------------

    /** {@code length} printable ASCII characters, as a guessed password might be. */
    static String randomText(Random random, int length) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < length; i++) {
            s.append((char) (0x21 + random.nextInt(0x5E)));
        }
        return s.toString();
    }

    /** Text fit for a test name: control characters and non-ASCII as \\uXXXX, long text cut. */
    static String printable(String text) {
        StringBuilder out = new StringBuilder();
        for (char c : text.toCharArray()) {
            out.append(c < 0x20 || c >= 0x7F ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            if (out.length() > 80) {
                return out + "... (" + text.length() + " chars)";
            }
        }
        return out.toString();
    }
}
