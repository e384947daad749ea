package org.pkilab.ca;

import org.pkilab.enrollment.CaRegistrySettings;
import org.pkilab.pki.KeyFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Properties;
import java.util.function.UnaryOperator;

/**
 * The CA's registry values ({@code HKLM\SYSTEM\CurrentControlSet\Services\CertSvc\Configuration\<CA name>}) as the
 * CA keeps them across restarts: {@code registry.properties} in its data folder, one line per value, written whole
 * (and atomically) at each change, so a value changed with {@code certutil -setreg} or on the Security tab is still
 * in force when Certificate Services starts again.
 *
 * <pre>
 * EditFlags=0x0011014E
 * InterfaceFlags=0x00000641
 * DisableExtensionList=
 * Security=O:BAG:DUD:(A;;0x3;;;DA)(A;;0x3;;;EA)(A;;0x200;;;AU)
 * </pre>
 *
 * A value missing from the file (an older data folder) is the new CA's default, {@link CaRegistrySettings#DEFAULT}.
 */
final class CaRegistry {

    static final String FILE = "registry.properties";

    private final Path file;
    private volatile CaRegistrySettings current;

    private CaRegistry(Path file, CaRegistrySettings current) {
        this.file = file;
        this.current = current;
    }

    /** The values kept in {@code folder}, or the defaults when none were kept yet. */
    static CaRegistry load(Path folder) throws IOException {
        Path file = folder.resolve(FILE);
        Properties kept = KeyFiles.loadProperties(file);
        CaRegistrySettings d = CaRegistrySettings.DEFAULT;
        String extensions = kept.getProperty("DisableExtensionList");
        CaRegistrySettings settings = new CaRegistrySettings(
                number(kept.getProperty("EditFlags"), d.editFlags()),
                number(kept.getProperty("InterfaceFlags"), d.interfaceFlags()),
                extensions == null ? d.disableExtensionList()
                        : Arrays.stream(extensions.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList(),
                kept.getProperty("Security", d.security()));
        return new CaRegistry(file, settings);
    }

    CaRegistrySettings current() {
        return current;
    }

    /** Applies {@code change} to the current values and keeps the result; answers it. */
    synchronized CaRegistrySettings update(UnaryOperator<CaRegistrySettings> change) {
        CaRegistrySettings changed = change.apply(current);
        Properties out = new Properties();
        out.setProperty("EditFlags", hex(changed.editFlags()));
        out.setProperty("InterfaceFlags", hex(changed.interfaceFlags()));
        out.setProperty("DisableExtensionList", String.join(",", changed.disableExtensionList()));
        out.setProperty("Security", changed.security());
        try {
            KeyFiles.storeProperties(file, out, "PKI Lab: the CA's registry values (certutil -getreg)");
        } catch (IOException e) {
            throw new UncheckedIOException("the CA's registry values could not be kept in " + file + ": " + e.getMessage(), e);
        }
        current = changed;
        return changed;
    }

    private static int number(String text, int otherwise) {
        if (text == null || text.isBlank()) {
            return otherwise;
        }
        String t = text.strip().toLowerCase(Locale.ROOT);
        return t.startsWith("0x") ? Integer.parseUnsignedInt(t.substring(2), 16) : Integer.parseInt(t);
    }

    private static String hex(int value) {
        return String.format(Locale.ROOT, "0x%08X", value);
    }
}
