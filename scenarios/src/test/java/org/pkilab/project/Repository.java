package org.pkilab.project;

import java.nio.file.Files;
import java.nio.file.Path;

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
}
