package org.pkilab.directory;

import org.pkilab.directory.model.CertificateMappingSettings;
import org.pkilab.pki.KeyFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Where a lasting lab keeps the DC's certificate-mapping registry values once they were changed at run time:
 * {@code dc/certificate-mapping.properties}, written atomically, read at the next start.
 *
 * <pre>
 * StrongCertificateBindingEnforcement=1
 * CertificateMappingMethods=0x1c
 * </pre>
 */
final class CertificateMappingFile {

    static final String FILE = "certificate-mapping.properties";

    private CertificateMappingFile() {
    }

    /** The kept settings, or {@code initial} when none were kept. */
    static CertificateMappingSettings load(Path dcFolder, CertificateMappingSettings initial) throws IOException {
        Path file = dcFolder.resolve(FILE);
        if (!Files.exists(file)) {
            return initial;
        }
        Properties kept = KeyFiles.loadProperties(file);
        try {
            return new CertificateMappingSettings(Integer.decode(kept.getProperty("StrongCertificateBindingEnforcement", "2").trim()),
                    Integer.decode(kept.getProperty("CertificateMappingMethods", "0x18").trim()));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " does not hold the DC's certificate mapping settings: " + e.getMessage()
                    + "; correct the file, or delete it to start with the configured ones", e);
        }
    }

    static void store(Path dcFolder, CertificateMappingSettings settings) throws IOException {
        Properties values = new Properties();
        values.setProperty("StrongCertificateBindingEnforcement", Integer.toString(settings.strongCertificateBindingEnforcement()));
        values.setProperty("CertificateMappingMethods", "0x" + Integer.toHexString(settings.certificateMappingMethods()));
        KeyFiles.storeProperties(dcFolder.resolve(FILE), values, "PKI Lab: the DC's certificate mapping (HKLM\\SYSTEM\\CurrentControlSet"
                + "\\Services\\Kdc\\StrongCertificateBindingEnforcement, ...\\Schannel\\CertificateMappingMethods)");
    }
}
