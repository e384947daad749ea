package org.pkilab.robustness;

import org.pkilab.pki.KeyFiles;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedKeyManager;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 spoken by hand over TLS, so that a test can send what no well-behaved client would: wrong
 * framing, oversized headers, bodies that lie about their length. It trusts only the lab CA and checks
 * that the server's certificate names the host it asked for, as a Windows client would; the connection
 * is kept open between requests until the server closes it.
 */
final class HttpsWire implements AutoCloseable {

    /** What came back: a status and its headers and body, or, with status 0, a connection the server refused or dropped. */
    record Reply(int status, Map<String, String> headers, byte[] body, String failure) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        @Override
        public String toString() {
            return status == 0 ? "no HTTP answer: " + failure : status + " " + headers + "\n" + text();
        }
    }

    private static final int MAX_REPLY = 1 << 20;

    private final SSLContext tls;
    private final String host;
    private final int port;
    private int readTimeoutMillis = 20_000;
    private Socket socket;

    /** With {@code chain} and {@code key} the client presents that certificate whatever CAs the server names. */
    HttpsWire(X509Certificate trustedRoot, String host, int port, X509Certificate[] chain, PrivateKey key) {
        this.host = host;
        this.port = port;
        try {
            tls = SSLContext.getInstance("TLS");
            tls.init(chain == null ? null : new KeyManager[]{new AlwaysThisCertificate(chain, key)}, KeyFiles.trustOnly(trustedRoot), null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    HttpsWire(X509Certificate trustedRoot, String host, int port) {
        this(trustedRoot, host, port, null, null);
    }

    /** Plain TCP: HTTP without TLS, or bytes that are not TLS sent to a TLS port. */
    private HttpsWire(String host, int port, int readTimeoutMillis) {
        this.tls = null;
        this.host = host;
        this.port = port;
        this.readTimeoutMillis = readTimeoutMillis;
    }

    /** Plain TCP; an answer not begun within {@code readTimeoutMillis} counts as none. */
    static HttpsWire plain(String host, int port, int readTimeoutMillis) {
        return new HttpsWire(host, port, readTimeoutMillis);
    }

    /** {@code method target HTTP/1.1} with Host, the given headers (name, value pairs) and, when there is one, the body and its Content-Length. */
    static byte[] request(String method, String target, String host, List<String> headers, byte[] body) {
        StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
        for (int i = 0; i + 1 < headers.size(); i += 2) {
            head.append(headers.get(i)).append(": ").append(headers.get(i + 1)).append("\r\n");
        }
        if (body != null) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        byte[] top = head.toString().getBytes(StandardCharsets.ISO_8859_1);
        return concat(top, body == null ? new byte[0] : body);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** Sends {@code wire} as it is and reads one answer. */
    Reply exchange(byte[] wire) {
        boolean fresh = socket == null;
        try {
            if (fresh) {
                connect();
            }
            try {
                socket.getOutputStream().write(wire);
                socket.getOutputStream().flush();
            } catch (IOException e) {
                // the server may answer and close before it has read everything (413): its answer is still worth reading
                if (!fresh && socket.getInputStream().available() == 0) {
                    close();
                    return exchange(wire);
                }
            }
            Reply reply = read(socket.getInputStream());
            if (reply == null && !fresh) {
                // the kept connection had been closed by the server meanwhile: a new one, once
                close();
                return exchange(wire);
            }
            if (reply == null) {
                close();
                return new Reply(0, Map.of(), new byte[0], "the server closed the connection without answering");
            }
            if ("close".equalsIgnoreCase(reply.header("connection"))) {
                close();
            }
            return reply;
        } catch (IOException e) {
            close();
            return new Reply(0, Map.of(), new byte[0], e.toString());
        }
    }

    private void connect() throws IOException {
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        plain.setSoTimeout(readTimeoutMillis);
        if (tls == null) {
            socket = plain;
            return;
        }
        SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(plain, host, port, true);
        SSLParameters parameters = s.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        s.setSSLParameters(parameters);
        socket = s;
        s.startHandshake();
    }

    /** One HTTP answer; null when the stream ends before a status line. */
    private static Reply read(InputStream in) throws IOException {
        String status = line(in);
        if (status == null) {
            return null;
        }
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            throw new IOException("not an HTTP status line: " + status);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (String header = line(in); header != null && !header.isEmpty(); header = line(in)) {
            int colon = header.indexOf(':');
            headers.merge(header.substring(0, colon).trim().toLowerCase(Locale.ROOT), header.substring(colon + 1).trim(),
                    (a, b) -> a + ", " + b);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (headers.containsKey("content-length")) {
            body.writeBytes(in.readNBytes(Integer.parseInt(headers.get("content-length"))));
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            for (int size = Integer.parseInt(line(in).split(";")[0].trim(), 16); size > 0; size = Integer.parseInt(line(in).split(";")[0].trim(), 16)) {
                body.writeBytes(in.readNBytes(size));
                line(in);
            }
            line(in);
        } else {
            body.writeBytes(in.readNBytes(MAX_REPLY));
            headers.put("connection", "close");
        }
        return new Reply(Integer.parseInt(parts[1]), headers, body.toByteArray(), null);
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // a socket that will not close is gone anyway
            }
            socket = null;
        }
    }

    /** Presents one certificate whatever the server asks for, as a hostile client would. */
    private static final class AlwaysThisCertificate extends X509ExtendedKeyManager {
        private final X509Certificate[] chain;
        private final PrivateKey key;

        AlwaysThisCertificate(X509Certificate[] chain, PrivateKey key) {
            this.chain = chain.clone();
            this.key = key;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return "client";
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return "client";
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return chain.clone();
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return key;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return new String[]{"client"};
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return new String[0];
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }
    }
}
