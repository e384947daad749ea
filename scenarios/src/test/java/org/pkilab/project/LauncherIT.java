package org.pkilab.project;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.testing.ExternalTool;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./pkilab} run from a clone whose path holds a space, as a Windows administrator's home folder often does
 * ({@code /home/Jane Doe/pkilab}): the launcher hands Java the class-data-sharing archive and the native libraries'
 * folder by path, and an unquoted path would split into two words. Run in {@code verify}, after the package the
 * launcher runs: the clone here is the launcher and its options file copied, and the built jar, {@code lib/} and
 * {@code native/} linked, so the archive it records stays in the temporary folder.
 */
class LauncherIT {

    @Test
    void theLauncherRunsFromAFolderWhoseNameHasASpace(@TempDir Path folder) throws Exception {
        Path root = Repository.root();
        Path target = root.resolve("scenarios/target");
        assertTrue(Files.isRegularFile(target.resolve("pkilab.jar")), "run in verify, after the package that makes " + target.resolve("pkilab.jar"));
        Path clone = folder.resolve("Jane Doe").resolve("pki lab");
        Path cloneTarget = Repository.launcherCopy(clone);
        for (String built : new String[]{"pkilab.jar", "lib", "native"}) {
            Files.createSymbolicLink(cloneTarget.resolve(built), target.resolve(built));
        }

        // the first run records the archive, the second reads it (and leaves it as it was): both pass its path to Java
        Path archive = cloneTarget.resolve("pkilab.jsa");
        java.nio.file.attribute.FileTime recorded = null;
        for (String run : new String[]{"records", "reads"}) {
            ExternalTool.Result version = ExternalTool.run(folder, Map.of(), null, clone.resolve("pkilab").toString(), "--version");
            assertEquals(0, version.exit(), "the run that " + run + " the class-data-sharing archive: " + version);
            assertTrue(version.out().startsWith("pkilab "), version.toString());
            assertTrue(Files.isRegularFile(archive), "the archive is in the clone with a space: " + version);
            if (recorded == null) {
                recorded = Files.getLastModifiedTime(archive);
            } else {
                assertEquals(recorded, Files.getLastModifiedTime(archive), "the second run read the archive rather than recording it again");
            }
        }
    }
}
