package org.pkilab.host;

import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import org.pkilab.directory.client.DomainLogon;
import org.pkilab.pki.KeyFiles;
import org.pkilab.windows.WindowsError;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.UnrecoverableKeyException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * A computer's certificate stores as the Certificates snap-in shows them: {@code LocalMachine\My} (Personal),
 * {@code LocalMachine\Root} (Trusted Root Certification Authorities) and each user's {@code CurrentUser\My},
 * with the snap-in's Certificate Export and Import Wizards for PFX files. A computer with a data folder keeps
 * each store there ({@code LocalMachine-My}, {@code CurrentUser-alice-My}), so a lasting lab finds them again.
 *
 * <pre>{@code
 * stores.exportPfx(web.thumbprint(), password, Path.of("web.pfx"));      // refused when the key is not exportable
 * stores.importPfx(Path.of("web.pfx"), password, false);                 // into LocalMachine\My, key not exportable
 * }</pre>
 */
final class CertificateStores {

    private final DomainComputerConfig config;
    private final BooleanSupplier loggedOn;
    private final CertificateStore my;
    private final CertificateStore root;
    private final Map<String, CertificateStore> userStores = new ConcurrentHashMap<>();

    /** {@code loggedOn}: whether the computer has logged on to the domain, so the wizards may look templates up there. */
    CertificateStores(DomainComputerConfig config, BooleanSupplier loggedOn) {
        this.config = config;
        this.loggedOn = loggedOn;
        this.my = store("LocalMachine\\My");
        this.root = store("LocalMachine\\Root");
    }

    CertificateStore personal() {
        return my;
    }

    CertificateStore trustedRoots() {
        return root;
    }

    /** A user's {@code CurrentUser\My}, which outlives the user's logon as a profile does. */
    CertificateStore personalOf(String account) {
        return userStores.computeIfAbsent(account.toLowerCase(Locale.ROOT), k -> store("CurrentUser\\My", k));
    }

    /** A store kept in the data folder when the computer has one ({@code LocalMachine-My}, {@code CurrentUser-alice-My}). */
    private CertificateStore store(String name, String... user) {
        if (config.dataDirectory() == null) {
            return new CertificateStore(name);
        }
        String folder = user.length == 0 ? name.replace('\\', '-')
                : name.replace("\\", "-" + user[0].replaceAll("[^A-Za-z0-9.-]", "_") + "-");
        return CertificateStore.persistent(name, config.dataDirectory().resolve(folder));
    }

    /** See {@link DomainComputer#exportPfx(String, char[], Path)}. */
    void exportPfx(String thumbprint, char[] password, Path file) {
        byte[] pfx = exportPfx(thumbprint, password);
        try {
            KeyFiles.writeAtomically(file, pfx);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("writing " + file + " failed: " + e.getMessage(), e);
        }
    }

    /** See {@link DomainComputer#exportPfx(String, char[])}. */
    byte[] exportPfx(String thumbprint, char[] password) {
        StoredCertificate certificate = my.byThumbprint(thumbprint).orElseThrow(() -> new IllegalArgumentException(
                "no certificate with thumbprint " + thumbprint + " in " + my.name()));
        if (certificate.privateKey() != null && certificate.imported() && !certificate.exportable()) {
            throw new IllegalStateException(WindowsError.NTE_BAD_KEY_STATE.describe() + " "
                    + "The associated private key cannot be exported: it was imported from a PFX without 'Mark this key as exportable', "
                    + "whatever template '" + certificate.certificateTemplate() + "' allows. Import the PFX again with 'Mark this key "
                    + "as exportable' ticked, or export it from the computer that enrolled it.");
        }
        if (certificate.privateKey() == null || !certificate.exportable()) {
            throw new IllegalStateException(WindowsError.NTE_BAD_KEY_STATE.describe() + " "
                    + "The associated private key cannot be exported: the certificate was created from "
                    + "template '" + certificate.templateName() + "' without 'Allow private key to be exported'. Set that on the "
                    + "template's Request Handling tab and request the certificate again.");
        }
        PfxPassword.check(password);
        try {
            List<X509Certificate> chain = new ArrayList<>(certificate.chain());
            X509Certificate last = chain.get(chain.size() - 1);
            // a certificate imported from a PFX may bring its root along; it is not added twice
            if (!last.getSubjectX500Principal().equals(last.getIssuerX500Principal())) {
                root.certificates().stream().map(StoredCertificate::certificate)
                        .filter(r -> r.getSubjectX500Principal().equals(last.getIssuerX500Principal()))
                        .findFirst().ifPresent(chain::add);
            }
            return KeyFiles.pkcs12(new KeyFiles.KeyEntry(certificate.privateKey(), chain.toArray(new X509Certificate[0])), password);
        } catch (java.io.IOException | GeneralSecurityException e) {
            throw new IllegalStateException("making the PFX of " + thumbprint + " failed: " + e.getMessage(), e);
        }
    }

    /** See {@link DomainComputer#importPfx(Path, char[], boolean)}. */
    StoredCertificate importPfx(Path file, char[] password, boolean markExportable) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot read " + file.getFileName() + ": " + (e instanceof NoSuchFileException
                    ? "there is no such file" : e.getMessage()), e);
        }
        return importPfx(file.getFileName().toString(), bytes, password, markExportable);
    }

    /** See {@link DomainComputer#importPfx(String, byte[], char[], boolean)}. */
    StoredCertificate importPfx(String fileName, byte[] bytes, char[] password, boolean markExportable) {
        Path named;
        try {
            named = fileName == null ? null : Path.of(fileName).getFileName();
        } catch (InvalidPathException e) {
            named = null;
        }
        if (named == null) {
            throw new IllegalArgumentException("the PFX's file name '" + fileName + "' names no file");
        }
        Path file = named;
        if (bytes.length == 0 || bytes[0] != 0x30) {
            // the JDK's PKCS #12 reader also reads Java keystores: only DER, which a PFX is, may go on
            throw new IllegalArgumentException(file.getFileName() + " is not a PKCS #12 (PFX) file: "
                    + (bytes.length == 0 ? "it is empty" : "a PFX is DER and begins with the byte 0x30, this file with 0x"
                    + String.format("%02X", bytes[0] & 0xFF)));
        }
        // the wizard's empty password box is an empty password, not none; without one the JDK would skip the integrity check
        char[] pw = password == null ? new char[0] : password;
        KeyStore pfx;
        try {
            pfx = KeyFiles.readPkcs12(bytes, pw);
        } catch (KeyFiles.CostlyPkcs12Exception e) {
            throw new IllegalArgumentException(file.getFileName() + " is refused unread: " + e.getMessage(), e);
        } catch (java.io.IOException e) {
            if (e.getCause() instanceof UnrecoverableKeyException || String.valueOf(e.getMessage()).contains("password")) {
                throw new IllegalArgumentException("The password you entered is incorrect for " + file.getFileName(), e);
            }
            throw new IllegalArgumentException(file.getFileName() + " is not a PKCS #12 (PFX) file: " + e.getMessage(), e);
        } catch (GeneralSecurityException | RuntimeException e) {
            // the JDK's PKCS #12 reader throws more than IOException on bytes that only look like a PFX
            throw new IllegalArgumentException(file.getFileName() + " is not a PKCS #12 (PFX) file: " + e, e);
        }
        try {
            Enumeration<String> aliases = pfx.aliases();
            while (aliases.hasMoreElements()) {
                String alias = aliases.nextElement();
                // a secret key entry is a key entry too: nothing the Personal store holds
                if (pfx.isKeyEntry(alias) && pfx.getKey(alias, pw) instanceof PrivateKey key) {
                    java.security.cert.Certificate[] chain = pfx.getCertificateChain(alias);
                    if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate)) {
                        throw new IllegalArgumentException(file.getFileName() + " holds a private key without its X.509 certificate");
                    }
                    List<X509Certificate> x509 = new ArrayList<>();
                    for (java.security.cert.Certificate c : chain) {
                        if (c instanceof X509Certificate certificate) {
                            x509.add(certificate);
                        }
                    }
                    X509Certificate leaf = x509.get(0);
                    if (!KeyFiles.belongTogether(key, leaf)) {
                        throw new IllegalArgumentException(file.getFileName() + " holds a private key that does not belong to its certificate '"
                                + leaf.getSubjectX500Principal().getName() + "'");
                    }
                    String[] template = templateNames(StoredCertificate.templateOf(leaf));
                    StoredCertificate stored = new StoredCertificate(leaf, key, markExportable,
                            StoredCertificate.KeyStorage.LEGACY_CSP, template[0], template[1], x509, true);
                    my.add(stored);
                    return stored;
                }
            }
        } catch (UnrecoverableKeyException e) {
            throw new IllegalArgumentException("The password you entered is incorrect for " + file.getFileName(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(file.getFileName() + " cannot be imported: " + e, e);
        }
        throw new IllegalArgumentException(file.getFileName() + " holds no private key: export the certificate with 'Yes, export the private key'");
    }

    /**
     * The template's name and display name for what a certificate's template extension holds (a schema 2+ template's
     * OID, a schema 1 template's name), looked up in {@code CN=Certificate Templates} as the snap-in does; the
     * extension's own value, and no display name, when the directory does not know it or cannot be reached.
     */
    private String[] templateNames(String fromExtension) {
        if (fromExtension == null || !loggedOn.getAsBoolean()) {
            return new String[]{fromExtension, null};
        }
        String filter = fromExtension.matches("\\d+(\\.\\d+)+")
                ? Filter.createEqualityFilter("msPKI-Cert-Template-OID", fromExtension).toString()
                : Filter.createEqualityFilter("cn", fromExtension).toString();
        try (LDAPConnection ldap = new LDAPConnection(DomainLogon.oneThreadConnection(), config.ldapHost(), config.ldapPort(),
                config.names().computer(config.name()), config.machinePassword())) {
            for (SearchResultEntry t : ldap.search(config.names().certificateTemplates(), SearchScope.ONE, filter, "cn", "displayName")
                    .getSearchEntries()) {
                return new String[]{t.getAttributeValue("cn"), t.getAttributeValue("displayName")};
            }
        } catch (LDAPException e) {
            // the snap-in, too, shows the OID when it cannot read the template
        }
        return new String[]{fromExtension, null};
    }
}
