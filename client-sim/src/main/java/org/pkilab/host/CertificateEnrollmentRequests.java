package org.pkilab.host;

import org.pkilab.directory.model.KeyAlgorithm;
import org.pkilab.enrollment.EnrollableTemplate;
import org.pkilab.pki.KeyFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * The requests a computer made that the CA took under submission, as Windows keeps them in the
 * {@code REQUEST} store (the snap-in's "Certificate Enrollment Requests"): each with its key and the very
 * request, so that sending it again ({@code certreq -retrieve}) gets the certificate once a certificate
 * manager approved it. A computer with a data folder keeps its own requests there ({@code REQUEST/17.properties},
 * with the private key), so a computer started again can still retrieve them; a user's wait in memory for the
 * user's session.
 */
final class CertificateEnrollmentRequests {

    /**
     * One pending request. {@code asked} is what Request New Certificate was given (null for autoenrollment):
     * asking for the same again finds this request instead of making a new one.
     */
    record Pending(String template, KeyPair key, byte[] csr, EnrollableTemplate settings, CertificateStore store,
                   CertificateRequest asked) {
        boolean sameAs(CertificateStore in, CertificateRequest request) {
            return store == in && asked != null && (request.template().equalsIgnoreCase(template)
                    || request.template().equalsIgnoreCase(settings.displayName()))
                    && request.subject().equals(asked.subject()) && request.dnsNames().equals(asked.dnsNames())
                    && request.keySize() == asked.keySize() && request.upn().equals(asked.upn()) && request.sid().equals(asked.sid())
                    && request.applicationPolicies().equals(asked.applicationPolicies()) && request.sanAttribute().equals(asked.sanAttribute());
        }
    }

    private final DomainComputerConfig config;
    private final CertificateStore machineStore;
    private final EventLog eventLog;
    private final Map<Long, Pending> pending = new LinkedHashMap<>();

    /** Reads the requests kept in the data folder; {@code machineStore} is {@code LocalMachine\My}, whose requests are kept. */
    CertificateEnrollmentRequests(DomainComputerConfig config, CertificateStore machineStore, EventLog eventLog) {
        this.config = config;
        this.machineStore = machineStore;
        this.eventLog = eventLog;
        load();
    }

    Pending get(long id) {
        return pending.get(id);
    }

    /** Every pending request by id, oldest first; a copy. */
    Map<Long, Pending> all() {
        return new LinkedHashMap<>(pending);
    }

    /** The id of a request for what {@code request} asks, made for {@code store}, if one waits. */
    Optional<Long> sameAs(CertificateStore store, CertificateRequest request) {
        return pending.entrySet().stream().filter(e -> e.getValue().sameAs(store, request)).map(Map.Entry::getKey).findFirst();
    }

    boolean waitingFor(String template) {
        return pending.values().stream().anyMatch(p -> p.template().equalsIgnoreCase(template));
    }

    /** Keeps a request the CA took under submission; false when it was kept already (asked again, still pending). */
    boolean add(long id, Pending request) {
        boolean again = pending.putIfAbsent(id, request) != null;
        if (!again) {
            keep(id, request);
        }
        return !again;
    }

    /** The request no longer waits: issued or refused. */
    void forget(long id) {
        if (pending.remove(id) != null && folder() != null) {
            try {
                Files.deleteIfExists(folder().resolve(id + ".properties"));
            } catch (IOException e) {
                // a leftover request file is retrieved again on the next start, and the CA answers it as it is now
            }
        }
    }

    private Path folder() {
        return config.dataDirectory() == null ? null : config.dataDirectory().resolve("REQUEST");
    }

    private void load() {
        Path folder = folder();
        if (folder == null || !Files.isDirectory(folder)) {
            return;
        }
        try (var files = Files.list(folder)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".properties")).sorted().toList()) {
                Properties p = KeyFiles.loadProperties(file);
                Base64.Decoder b64 = Base64.getDecoder();
                KeyFactory keys = KeyFactory.getInstance(p.getProperty("keyAlgorithm"));
                KeyPair key = new KeyPair(keys.generatePublic(new X509EncodedKeySpec(b64.decode(p.getProperty("publicKey")))),
                        keys.generatePrivate(new PKCS8EncodedKeySpec(b64.decode(p.getProperty("privateKey")))));
                EnrollableTemplate settings = new EnrollableTemplate(p.getProperty("template"), p.getProperty("displayName"),
                        p.getProperty("oid", ""), 0, false, 0, KeyAlgorithm.RSA.windowsName(), Boolean.parseBoolean(p.getProperty("exportable")), true,
                        Boolean.parseBoolean(p.getProperty("cng")), false, true, Duration.ZERO, List.of(), List.of());
                String dns = p.getProperty("asked.dns", "");
                CertificateRequest asked = p.getProperty("asked.template") == null ? null : CertificateRequest.forTemplate(p.getProperty("asked.template"))
                        .dnsNames(dns.isEmpty() ? new String[0] : dns.split(",")).keySize(Integer.parseInt(p.getProperty("asked.keySize", "0")));
                String subject = p.getProperty("asked.subject", "");
                asked = asked == null || subject.isEmpty() ? asked : new CertificateRequest(asked.template(), subject, asked.dnsNames(),
                        asked.keySize(), "", "", List.of(), "");
                pending.put(Long.parseLong(p.getProperty("requestId")), new Pending(settings.name(), key,
                        b64.decode(p.getProperty("csr")), settings, machineStore, asked));
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new IllegalStateException(config.name() + "'s pending requests in " + folder + " cannot be read: " + e.getMessage()
                    + "; move the folder away to start without them", e);
        }
    }

    private void keep(long id, Pending request) {
        Path folder = folder();
        if (folder == null || request.store() != machineStore) {
            return;
        }
        Properties p = new Properties();
        Base64.Encoder b64 = Base64.getEncoder();
        p.setProperty("requestId", Long.toString(id));
        p.setProperty("template", request.template());
        p.setProperty("displayName", request.settings().displayName());
        p.setProperty("oid", request.settings().oid());
        p.setProperty("exportable", Boolean.toString(request.settings().exportableKey()));
        p.setProperty("cng", Boolean.toString(request.settings().usesCng()));
        p.setProperty("keyAlgorithm", request.key().getPrivate().getAlgorithm());
        p.setProperty("publicKey", b64.encodeToString(request.key().getPublic().getEncoded()));
        p.setProperty("privateKey", b64.encodeToString(request.key().getPrivate().getEncoded()));
        p.setProperty("csr", b64.encodeToString(request.csr()));
        if (request.asked() != null) {
            p.setProperty("asked.template", request.asked().template());
            p.setProperty("asked.subject", request.asked().subject());
            p.setProperty("asked.dns", String.join(",", request.asked().dnsNames()));
            p.setProperty("asked.keySize", Integer.toString(request.asked().keySize()));
        }
        try {
            Files.createDirectories(folder);
            KeyFiles.storeProperties(folder.resolve(id + ".properties"), p, "PKI Lab: request " + id + " of " + config.name()
                    + ", pending at the CA, with its private key (the REQUEST store)");
        } catch (IOException e) {
            eventLog.write(config.clock().instant(), "Warning", 6, EventLog.AUTOENROLLMENT, "Pending request " + id + " could not be kept in "
                    + folder + " (" + e.getMessage() + "); it is lost when " + config.name() + " stops");
        }
    }
}
