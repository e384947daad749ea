package org.pkilab.pki;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.LinkOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A lab's data folders. Temporary ones are made on start and removed whole on close, so a temporary lab
 * leaves nothing behind. Lasting ones hold what only the lab's own account may read (the DC's journal
 * with its password verifiers, the CA's database, every private key and the files with their passwords),
 * as {@code ntds.dit} and the CA's database on Windows are readable by SYSTEM and Administrators only:
 * each host makes its folder owner-only and puts every folder in it to 0700, every file to 0600 when it
 * starts, which also mends a folder kept by a lab from before.
 */
public final class Folders {

    private static final Set<PosixFilePermission> FOLDER = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

    private Folders() {
    }

    /** Makes {@code folder} (and missing parents) as {@link Files#createDirectories} does, the folder itself owner-only. */
    public static Path createOwnerOnly(Path folder) throws IOException {
        if (!Files.isDirectory(folder) && isPosix(folder.toAbsolutePath().getParent())) {
            Files.createDirectories(folder.toAbsolutePath().getParent());
            try {
                Files.createDirectory(folder, PosixFilePermissions.asFileAttribute(FOLDER));
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // made meanwhile: ownerOnly mends its permissions
            }
        }
        Files.createDirectories(folder);
        return folder;
    }

    /**
     * Puts {@code folder} and every folder under it to 0700 and every file to 0600 (symbolic links are
     * left as they are, and not followed); nothing on a file system without POSIX permissions.
     */
    public static void ownerOnly(Path folder) throws IOException {
        if (!Files.isDirectory(folder) || !isPosix(folder)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.toList()) {
                if (Files.isSymbolicLink(path)) {
                    continue;
                }
                Set<PosixFilePermission> wanted = Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS) ? FOLDER : FILE;
                try {
                    if (!Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS).equals(wanted)) {
                        Files.setPosixFilePermissions(path, wanted);
                    }
                } catch (java.nio.file.NoSuchFileException e) {
                    // gone meanwhile (a temporary file renamed into place): nothing to protect
                }
            }
        }
    }

    private static boolean isPosix(Path path) throws IOException {
        return path != null && Files.exists(path) && Files.getFileStore(path).supportsFileAttributeView(PosixFileAttributeView.class);
    }

    /** Deletes {@code folder} and everything in it; a missing folder is fine. */
    public static void deleteTree(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return;
        }
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
