package org.pkilab.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * CPU time by lab component, from the JVM's per-thread CPU counters: the domain controller's LDAP threads,
 * the CA's web server, the computers' HTTPS clients and their own threads. Threads come and go (Jetty's
 * pools shrink when idle), so the counters are sampled during the run and each thread's last reading is
 * kept; what no Java thread accounts for is the JVM itself, mostly the JIT compilers and the collector.
 *
 * <pre>{@code
 * ThreadCpu cpu = ThreadCpu.start();   // then cpu.sample() now and then, from one thread
 * Map<String, Long> nanos = cpu.byComponent(processCpuNanos);
 * }</pre>
 */
final class ThreadCpu {

    /** The lab's parts by the names of their threads, in the order they are printed. */
    private static final Map<String, Predicate<String>> COMPONENTS = new LinkedHashMap<>();

    static {
        // ApacheDS's LDAP server answers requests on MINA's I/O processor threads, named pool-N-thread-M by their executor
        COMPONENTS.put("domain controller (ApacheDS: LDAP and logon)", n -> n.startsWith("pool-") || n.startsWith("NioProcessor")
                || n.startsWith("NioSocketAcceptor"));
        COMPONENTS.put("CA (its web server: TLS, EST, CRL; issuance)", n -> n.startsWith("est-") || n.equals("CA database writer"));
        COMPONENTS.put("computers' HTTPS clients (TLS, HTTP)", n -> n.startsWith("lab-http"));
        COMPONENTS.put("computers' own threads (LDAP client, keys, requests)", n -> n.startsWith("scale-worker"));
    }

    /** What no thread of the lab accounts for: the JIT compilers, the collector, the JVM's own threads. */
    static final String JVM = "the JVM (JIT compilers, GC) and other threads";

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final Map<Long, Long> atStart = new HashMap<>();
    private final Map<Long, Long> latest = new HashMap<>();
    private final Map<Long, String> names = new HashMap<>();

    private ThreadCpu() {
    }

    /** Starts counting from now: what threads already used is left out. */
    static ThreadCpu start() {
        ThreadCpu cpu = new ThreadCpu();
        cpu.read(cpu.atStart);
        cpu.latest.putAll(cpu.atStart);
        return cpu;
    }

    /** Reads every live thread's counter; call it often enough that a thread ending in between loses little. */
    void sample() {
        read(latest);
    }

    private void read(Map<Long, Long> into) {
        long[] ids = threads.getAllThreadIds();
        ThreadInfo[] infos = threads.getThreadInfo(ids);
        for (int i = 0; i < ids.length; i++) {
            long nanos = threads.getThreadCpuTime(ids[i]);
            if (nanos >= 0 && infos[i] != null) {
                into.put(ids[i], nanos);
                names.putIfAbsent(ids[i], infos[i].getThreadName());
            }
        }
    }

    /** CPU nanoseconds per component since {@link #start()}, the JVM's share being {@code processNanos} less the threads'. */
    Map<String, Long> byComponent(long processNanos) {
        sample();
        Map<String, Long> totals = new LinkedHashMap<>();
        COMPONENTS.keySet().forEach(c -> totals.put(c, 0L));
        long threadsTotal = 0;
        for (Map.Entry<Long, Long> e : latest.entrySet()) {
            long used = e.getValue() - atStart.getOrDefault(e.getKey(), 0L);
            threadsTotal += used;
            String name = names.get(e.getKey());
            String component = COMPONENTS.entrySet().stream().filter(c -> c.getValue().test(name)).map(Map.Entry::getKey)
                    .findFirst().orElse(JVM);
            totals.merge(component, used, Long::sum);
        }
        totals.merge(JVM, Math.max(0, processNanos - threadsTotal), Long::sum);
        return totals;
    }
}
