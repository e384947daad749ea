package org.pkilab.host;

import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.SocketAddressResolver;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The lab's DNS: every host's FQDNs, and aliases such as the cloud distribution point's
 * {@code clouddp1.contoso.com} CNAME, resolve to the loopback address, where each host listens on its own
 * ports. URLs keep their names, so TLS checks a certificate against {@code server1.internal.contoso.com},
 * never against 127.0.0.1. An unknown name fails as Windows' resolver does ({@code WSAHOST_NOT_FOUND}).
 *
 * <pre>{@code
 * LabNetwork network = new LabNetwork();
 * network.register("iis01.contoso.com", "server1.internal.contoso.com");
 * network.alias("clouddp1.contoso.com", "iis01.contoso.com");   // a CNAME
 * }</pre>
 */
public final class LabNetwork implements SocketAddressResolver {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private final Map<String, String> names = new ConcurrentHashMap<>();

    /** Registers names that resolve to a host (A records). */
    public LabNetwork register(String... fqdns) {
        for (String fqdn : fqdns) {
            String name = fqdn.toLowerCase(Locale.ROOT);
            names.put(name, name);
        }
        return this;
    }

    /** Registers {@code alias} as a CNAME of {@code target}. */
    public LabNetwork alias(String alias, String target) {
        names.put(alias.toLowerCase(Locale.ROOT), target.toLowerCase(Locale.ROOT));
        return this;
    }

    public Set<String> names() {
        return Set.copyOf(names.keySet());
    }

    /**
     * The address of {@code host}: 127.0.0.1 for a registered lab name, carrying the name asked for, so
     * that TLS checks the server's certificate against that name.
     */
    public InetAddress resolve(String host) throws UnknownHostException {
        String name = host.toLowerCase(Locale.ROOT);
        if (names.containsKey(name)) {
            return InetAddress.getByAddress(host, LOOPBACK.getAddress());
        }
        if (name.equals("localhost") || name.startsWith("127.")) {
            return LOOPBACK;
        }
        throw new UnknownHostException("No such host is known (WSAHOST_NOT_FOUND 11001): " + host
                + " is not a name in the lab; lab names are " + String.join(", ", new java.util.TreeSet<>(names.keySet())));
    }

    @Override
    public void resolve(String host, int port, Map<String, Object> context, Promise<List<InetSocketAddress>> promise) {
        try {
            promise.succeeded(List.of(new InetSocketAddress(resolve(host), port)));
        } catch (UnknownHostException e) {
            promise.failed(e);
        }
    }
}
