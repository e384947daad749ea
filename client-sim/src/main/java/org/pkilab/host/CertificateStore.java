package org.pkilab.host;

import org.pkilab.pki.KeyFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Properties;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * One of a computer's certificate stores: {@code LocalMachine\My} (Personal), {@code LocalMachine\Root}
 * (Trusted Root Certification Authorities) or {@code CurrentUser\My}. Certificates are found by
 * thumbprint, as IIS binds them, or by purpose and template, as TLS clients choose them.
 *
 * <p>A store {@linkplain #persistent kept in a folder} survives the computer's restarts, as Windows keeps
 * its stores in the registry and its keys under {@code MachineKeys}: one {@code <thumbprint>.properties}
 * file per certificate, with its chain, its key and what the snap-in shows beside it, written whole or
 * not at all.
 */
public final class CertificateStore {

    private final String name;
    private final List<StoredCertificate> entries = new CopyOnWriteArrayList<>();
    private final Path folder;

    public CertificateStore(String name) {
        this(name, null);
    }

    private CertificateStore(String name, Path folder) {
        this.name = name;
        this.folder = folder;
    }

    /** A store kept in {@code folder}: what it held when the computer last ran is loaded now. */
    public static CertificateStore persistent(String name, Path folder) {
        CertificateStore store = new CertificateStore(name, folder);
        try {
            Files.createDirectories(folder);
            try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, "*.properties")) {
                for (Path file : files) {
                    store.entries.add(read(file));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the certificate store " + name + " in " + folder + ": " + e.getMessage(), e);
        }
        return store;
    }

    /** {@code LocalMachine\My}. */
    public String name() {
        return name;
    }

    public void add(StoredCertificate certificate) {
        String thumbprint = certificate.thumbprint();
        if (folder != null) {
            write(folder.resolve(thumbprint + ".properties"), certificate);
        }
        entries.removeIf(e -> e.thumbprint().equals(thumbprint));
        entries.add(certificate);
    }

    public boolean remove(String thumbprint) {
        String wanted = normalize(thumbprint);
        if (folder != null) {
            try {
                Files.deleteIfExists(folder.resolve(wanted + ".properties"));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete " + wanted + " from " + name + " in " + folder, e);
            }
        }
        return entries.removeIf(e -> e.thumbprint().equals(wanted));
    }

    public List<StoredCertificate> certificates() {
        return new ArrayList<>(entries);
    }

    public Optional<StoredCertificate> byThumbprint(String thumbprint) {
        String wanted = normalize(thumbprint);
        return entries.stream().filter(e -> e.thumbprint().equals(wanted)).findFirst();
    }

    public List<StoredCertificate> matching(Predicate<StoredCertificate> filter) {
        return entries.stream().filter(filter).toList();
    }

    private static String normalize(String thumbprint) {
        return thumbprint == null ? "" : thumbprint.replaceAll("[\\s:]", "").toUpperCase(Locale.ROOT);
    }

    private static void write(Path file, StoredCertificate c) {
        Base64.Encoder b64 = Base64.getEncoder();
        Properties p = new Properties();
        try {
            p.setProperty("certificate", b64.encodeToString(c.certificate().getEncoded()));
            List<String> chain = new ArrayList<>();
            for (X509Certificate x : c.chain()) {
                chain.add(b64.encodeToString(x.getEncoded()));
            }
            p.setProperty("chain", String.join(",", chain));
            if (c.privateKey() != null) {
                p.setProperty("keyAlgorithm", c.privateKey().getAlgorithm());
                p.setProperty("key", b64.encodeToString(c.privateKey().getEncoded()));
            }
            p.setProperty("exportable", Boolean.toString(c.exportable()));
            p.setProperty("keyStorage", c.keyStorage().name());
            p.setProperty("imported", Boolean.toString(c.imported()));
            if (c.templateName() != null) {
                p.setProperty("templateName", c.templateName());
            }
            if (c.templateDisplayName() != null) {
                p.setProperty("templateDisplayName", c.templateDisplayName());
            }
            KeyFiles.storeProperties(file, p, "PKI Lab: " + c.issuedTo() + " (" + c.certificateTemplate() + ")");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot encode certificate " + c.thumbprint(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep certificate " + c.thumbprint() + " in " + file.getParent(), e);
        }
    }

    private static StoredCertificate read(Path file) throws IOException {
        Properties p = KeyFiles.loadProperties(file);
        Base64.Decoder b64 = Base64.getDecoder();
        try {
            List<X509Certificate> chain = new ArrayList<>();
            for (String der : p.getProperty("chain", "").split(",")) {
                if (!der.isEmpty()) {
                    chain.add(KeyFiles.certificate(b64.decode(der)));
                }
            }
            PrivateKey key = p.getProperty("key") == null ? null : KeyFactory.getInstance(p.getProperty("keyAlgorithm"))
                    .generatePrivate(new PKCS8EncodedKeySpec(b64.decode(p.getProperty("key"))));
            return new StoredCertificate(KeyFiles.certificate(b64.decode(p.getProperty("certificate"))), key,
                    Boolean.parseBoolean(p.getProperty("exportable")), StoredCertificate.KeyStorage.valueOf(p.getProperty("keyStorage")),
                    p.getProperty("templateName"), p.getProperty("templateDisplayName"), chain, Boolean.parseBoolean(p.getProperty("imported")));
        } catch (GeneralSecurityException | IllegalArgumentException | NullPointerException e) {
            throw new IOException(file + " is not a stored certificate: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return name + " (" + entries.size() + " certificates)";
    }
}
