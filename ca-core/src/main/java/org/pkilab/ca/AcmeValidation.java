package org.pkilab.ca;

import org.bouncycastle.asn1.ASN1OctetString;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * How the CA proves that an ACME client controls a name, as RFC 8555 8.3 ({@code http-01}) and RFC 8737
 * ({@code tls-alpn-01}) define it, in a lab where every name resolves to 127.0.0.1 and ports 80 and 443 are not the
 * lab's to take: the CA connects to 127.0.0.1 on the port its registry names ({@code CA\AcmeHttpPort},
 * {@code CA\AcmeTlsAlpnPort}) and sends the name as the {@code Host} header or the TLS SNI, as it would reach it through
 * the domain's DNS.
 *
 * <pre>
 * http-01      GET http://127.0.0.1:&lt;AcmeHttpPort&gt;/.well-known/acme-challenge/&lt;token&gt;, Host: iis01.contoso.com
 *              → the key authorization, &lt;token&gt;.&lt;account key thumbprint&gt;
 * tls-alpn-01  TLS to 127.0.0.1:&lt;AcmeTlsAlpnPort&gt;, SNI iis01.contoso.com, ALPN acme-tls/1
 *              → a certificate naming only iis01.contoso.com, with the critical acmeIdentifier extension
 *                (1.3.6.1.5.5.7.1.31) holding SHA-256 of the key authorization
 * </pre>
 *
 * <p>Each check returns null when the name is proven, else a {@link Failure}: the error type and why, in words the client shows. A check ends within
 * {@value #DEADLINE_SECONDS} seconds all told, connect, handshake and reading together: at the deadline the socket is
 * closed under it, so a responder that answers one byte a second holds nothing for long. An http-01 answer is read up
 * to its {@code Content-Length} (or its end, or {@value #MAX_ANSWER} bytes), not until the responder closes.
 */
final class AcmeValidation {

    static final String ACME_IDENTIFIER_OID = "1.3.6.1.5.5.7.1.31";
    static final int DEADLINE_SECONDS = 10;
    private static final int TIMEOUT_MILLIS = DEADLINE_SECONDS * 1000;
    private static final int MAX_ANSWER = 16 * 1024;
    private static final java.util.concurrent.ScheduledExecutorService DEADLINES =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread thread = new Thread(r, "acme-validation-deadline");
                thread.setDaemon(true);
                return thread;
            });

    /** Closes {@code socket} at the deadline unless the check ended first; {@code expired} tells which. */
    private static java.util.concurrent.ScheduledFuture<?> deadline(Socket socket, java.util.concurrent.atomic.AtomicBoolean expired) {
        return DEADLINES.schedule(() -> {
            expired.set(true);
            try {
                socket.close();
            } catch (IOException e) {
                // closing is all the deadline does; a socket that cannot close is already unusable
            }
        }, DEADLINE_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** The HTTP answer in {@code in}: its head, then its body up to Content-Length, the end, or {@value #MAX_ANSWER} bytes. */
    private static String readAnswer(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream answer = new java.io.ByteArrayOutputStream();
        int headEnd = -1;
        long length = -1;
        byte[] buffer = new byte[1024];
        while (answer.size() < MAX_ANSWER) {
            if (headEnd >= 0 && length >= 0 && answer.size() - headEnd >= length) {
                break;
            }
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, MAX_ANSWER - answer.size()));
            if (n < 0) {
                break;
            }
            answer.write(buffer, 0, n);
            if (headEnd < 0) {
                String text = answer.toString(StandardCharsets.ISO_8859_1);
                int end = text.indexOf("\r\n\r\n");
                if (end >= 0) {
                    headEnd = end + 4;
                    java.util.regex.Matcher declared = java.util.regex.Pattern.compile("(?im)^content-length:\\s*(\\d{1,9})\\s*$")
                            .matcher(text.substring(0, end));
                    if (declared.find()) {
                        length = Long.parseLong(declared.group(1));
                    }
                }
            }
        }
        String text = answer.toString(StandardCharsets.UTF_8);
        if (headEnd >= 0 && length >= 0) {
            byte[] bytes = answer.toByteArray();
            int bodyEnd = (int) Math.min(bytes.length, headEnd + length);
            text = new String(bytes, 0, headEnd, StandardCharsets.ISO_8859_1) + new String(bytes, headEnd, bodyEnd - headEnd, StandardCharsets.UTF_8);
        }
        return text;
    }

    private AcmeValidation() {
    }

    /**
     * Why a name was not proven: RFC 8555 6.7's error {@code type} by what went wrong ({@code connection}: nothing
     * answered in time; {@code unauthorized}: an answer that refuses, or a proof for another key; {@code incorrectResponse}:
     * an answer that is not the challenge's; {@code tls}: the TLS handshake failed) and the {@code detail} the client shows.
     */
    record Failure(String type, String detail) {
    }

    static Failure http01(String name, String token, String keyAuthorization, int port) {
        String where = "http://" + name + ":" + port + "/.well-known/acme-challenge/" + token + " (127.0.0.1:" + port + ")";
        java.util.concurrent.atomic.AtomicBoolean expired = new java.util.concurrent.atomic.AtomicBoolean();
        Socket socket = new Socket();
        java.util.concurrent.ScheduledFuture<?> deadline = deadline(socket, expired);
        try (socket) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MILLIS);
            socket.setSoTimeout(TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /.well-known/acme-challenge/" + token + " HTTP/1.1\r\nHost: " + name + (port == 80 ? "" : ":" + port)
                    + "\r\nUser-Agent: pkilab-ca-acme\r\nAccept: */*\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String answer = readAnswer(in);
            int end = answer.indexOf("\r\n\r\n");
            if (!answer.startsWith("HTTP/1.") || end < 0) {
                return new Failure("incorrectResponse", where + " did not answer in HTTP");
            }
            String status = answer.substring(0, answer.indexOf("\r\n"));
            if (!status.matches("HTTP/1\\.[01] 200( .*)?")) {
                return new Failure("unauthorized", where + " answered '" + RequestedNames.printable(status) + "', not 200");
            }
            String headers = answer.substring(0, end).toLowerCase(java.util.Locale.ROOT);
            String body = answer.substring(end + 4);
            if (headers.contains("transfer-encoding: chunked")) {
                body = unchunk(body);
            }
            if (!body.strip().equals(keyAuthorization)) {
                return new Failure("incorrectResponse", where + " answered '" + RequestedNames.printable(abbreviate(body.strip()))
                        + "', not the key authorization '" + keyAuthorization + "'");
            }
            return null;
        } catch (IOException e) {
            return new Failure("connection", "the CA could not fetch " + where + (expired.get() ? " within " + DEADLINE_SECONDS + " s"
                    : ": " + e.getMessage()) + "; the client must serve the challenge there (the port is the CA's registry value "
                    + "CA\\AcmeHttpPort)");
        } finally {
            deadline.cancel(false);
        }
    }

    static Failure tlsAlpn01(String name, String keyAuthorization, int port) {
        String where = name + ":" + port + " (127.0.0.1:" + port + ", ALPN acme-tls/1)";
        java.util.concurrent.atomic.AtomicBoolean expired = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.ScheduledFuture<?> deadline = null;
        boolean connected = false;
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[]{new AnyCertificate()}, null);
            try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
                deadline = deadline(socket, expired);
                socket.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MILLIS);
                connected = true;
                socket.setSoTimeout(TIMEOUT_MILLIS);
                SSLParameters parameters = socket.getSSLParameters();
                parameters.setServerNames(List.of(new SNIHostName(name)));
                parameters.setApplicationProtocols(new String[]{"acme-tls/1"});
                socket.setSSLParameters(parameters);
                socket.startHandshake();
                if (!"acme-tls/1".equals(socket.getApplicationProtocol())) {
                    return new Failure("tls", where + " did not choose the ALPN protocol acme-tls/1");
                }
                X509Certificate certificate = (X509Certificate) socket.getSession().getPeerCertificates()[0];
                List<String> names = dnsNames(certificate);
                if (!names.equals(List.of(name.toLowerCase(java.util.Locale.ROOT)))) {
                    return new Failure("incorrectResponse", where + " presented a certificate naming " + names + ", not only " + name);
                }
                byte[] extension = certificate.getExtensionValue(ACME_IDENTIFIER_OID);
                if (extension == null || !certificate.getCriticalExtensionOIDs().contains(ACME_IDENTIFIER_OID)) {
                    return new Failure("incorrectResponse", where + " presented a certificate without the critical acmeIdentifier "
                            + "extension " + ACME_IDENTIFIER_OID);
                }
                byte[] held = ASN1OctetString.getInstance(ASN1OctetString.getInstance(extension).getOctets()).getOctets();
                byte[] expected = MessageDigest.getInstance("SHA-256").digest(keyAuthorization.getBytes(StandardCharsets.US_ASCII));
                return Arrays.equals(held, expected) ? null
                        : new Failure("unauthorized", where + " presented an acmeIdentifier that is not SHA-256 of the key "
                        + "authorization '" + keyAuthorization + "'");
            }
        } catch (IOException | RuntimeException | java.security.GeneralSecurityException e) {
            return new Failure(connected ? "tls" : "connection", "the CA could not " + (connected ? "complete a TLS handshake with "
                    : "connect to ") + where + (expired.get() ? " within " + DEADLINE_SECONDS + " s" : ": " + e.getMessage())
                    + "; the client must answer there (the port is the CA's registry value CA\\AcmeTlsAlpnPort)");
        } finally {
            if (deadline != null) {
                deadline.cancel(false);
            }
        }
    }

    private static List<String> dnsNames(X509Certificate certificate) throws CertificateParsingException {
        List<String> names = new ArrayList<>();
        Collection<List<?>> alt = certificate.getSubjectAlternativeNames();
        if (alt != null) {
            for (List<?> entry : alt) {
                names.add(((Integer) entry.get(0)) == 2 ? String.valueOf(entry.get(1)).toLowerCase(java.util.Locale.ROOT) : "(type " + entry.get(0) + ")");
            }
        }
        return names;
    }

    private static String unchunk(String body) {
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (at < body.length()) {
            int line = body.indexOf("\r\n", at);
            if (line < 0) {
                break;
            }
            int size;
            try {
                size = Integer.parseInt(body.substring(at, line).split(";")[0].strip(), 16);
            } catch (NumberFormatException e) {
                break;
            }
            if (size == 0 || line + 2 + size > body.length()) {
                break;
            }
            out.append(body, line + 2, line + 2 + size);
            at = line + 2 + size + 2;
        }
        return out.toString();
    }

    private static String abbreviate(String text) {
        return text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }

    /** The challenge certificate is self-signed by design; what proves control is its acmeIdentifier. */
    private static final class AnyCertificate implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
