package org.pkilab.ca;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.pkilab.enrollment.CaRegistrySettings;
import org.pkilab.pki.KeyFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * The CA's registry values ({@code HKLM\SYSTEM\CurrentControlSet\Services\CertSvc\Configuration\<CA name>}) as the
 * CA keeps them across restarts: {@value #FILE} in its data folder, in {@link CaRegistrySettings}'s JSON form, written
 * whole (and atomically) at each change before the change is applied, so a value changed with {@code certutil -setreg}
 * or on the Security tab is still in force when Certificate Services starts again. A temporary CA keeps them in memory.
 *
 * <pre>
 * {"EditFlags": "0x0011014E", "InterfaceFlags": "0x00000641", "DisableExtensionList": [], "Security": "O:BAG:DUD:..."}
 * </pre>
 */
final class CaRegistry {

    static final String FILE = "registry.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private volatile CaRegistrySettings current;

    private CaRegistry(Path file, CaRegistrySettings current) {
        this.file = file;
        this.current = current;
    }

    /**
     * The values kept in {@code folder}, or {@code initial} when none were kept yet (or the CA is temporary).
     *
     * @throws IOException naming the file when it holds no registry settings: the CA does not start on a damaged one
     */
    static CaRegistry load(Path folder, boolean temporary, CaRegistrySettings initial) throws IOException {
        Path file = temporary ? null : folder.resolve(FILE);
        if (file == null || !Files.exists(file)) {
            return new CaRegistry(file, initial);
        }
        try {
            return new CaRegistry(file, CaRegistrySettings.fromJson(JSON.readTree(Files.readAllBytes(file))));
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException(file + " does not hold the CA's registry settings (" + e.getMessage() + "): correct it, or delete "
                    + "it to start with a new CA's settings", e);
        }
    }

    CaRegistrySettings current() {
        return current;
    }

    /**
     * Applies {@code change} to the current values and keeps the result before it is in force; answers it.
     *
     * @throws IllegalArgumentException from {@code change}, with nothing changed
     * @throws IllegalStateException when the file cannot be written; the values stay as they were
     */
    synchronized CaRegistrySettings update(UnaryOperator<CaRegistrySettings> change) {
        CaRegistrySettings changed = change.apply(current);
        if (file != null) {
            try {
                KeyFiles.writeAtomically(file, (changed.toJson().toPrettyString() + "\n").getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new IllegalStateException("the CA's registry values could not be kept in " + file + " (" + e.getMessage()
                        + "); nothing was changed", e);
            }
        }
        current = changed;
        return changed;
    }
}
