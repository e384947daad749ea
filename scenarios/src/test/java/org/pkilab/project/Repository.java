package org.pkilab.project;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** The clone the tests run in: the folder holding the {@code pkilab} launcher and the parent POM. */
final class Repository {

    private Repository() {
    }

    static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !(Files.isRegularFile(dir.resolve("pkilab")) && Files.isRegularFile(dir.resolve("pom.xml")))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("no folder above " + Path.of("").toAbsolutePath() + " holds the pkilab launcher");
        }
        return dir;
    }

    /**
     * Copies the launcher, the parent POM and the launcher's options file into {@code clone}, with their times, so that
     * the launcher finds no source newer than a jar made after it and builds nothing; returns the clone's
     * {@code scenarios/target}, made empty, for the test to fill.
     */
    static Path launcherCopy(Path clone) throws IOException {
        Path options = Path.of("scenarios/src/main/resources/pkilab.jvm-options");
        Files.createDirectories(clone.resolve(options).getParent());
        for (Path file : new Path[]{Path.of("pkilab"), Path.of("pom.xml"), options}) {
            Files.copy(root().resolve(file), clone.resolve(file), StandardCopyOption.COPY_ATTRIBUTES);
        }
        return Files.createDirectories(clone.resolve("scenarios/target"));
    }
}
