package org.pkilab.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code java} command the {@code ./pkilab} launcher would run for a verb, for benchmarks that time a cold
 * process: the JVM options of {@code pkilab.jvm-options} for that verb ({@code short:} lines for a command that ends in
 * seconds, {@code admin:} too for one that starts no lab, {@code long:} for {@code up} and {@code benchmark},
 * {@code start:} for all but {@code benchmark}), a
 * class-data-sharing archive, this JVM's class path, and the unpacked native libraries (the crypto provider's, SQLite's)
 * when the launcher gave this JVM them.
 *
 * <pre>{@code
 * LauncherCommand java = LauncherCommand.of(archive);
 * java.recordArchive("run", "configmgr");   // the uncounted first run that writes the archive
 * java.command("template", "list");         // [java, -XX:+UseSerialGC, ..., org.pkilab.cli.PkiLab, template, list]
 * }</pre>
 */
public final class LauncherCommand {

    static final String EXTERNAL_LIBRARY = "com.amazon.corretto.crypto.provider.useExternalLib";

    private final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private final List<String> lines;
    private final Path archive;

    private LauncherCommand(List<String> lines, Path archive) {
        this.lines = lines;
        this.archive = archive;
    }

    /** The launcher's command for a class-data-sharing archive at {@code archive} (recorded by {@link #record}). */
    static LauncherCommand of(Path archive) throws IOException {
        List<String> lines = new ArrayList<>();
        try (InputStream in = LauncherCommand.class.getResourceAsStream("/pkilab.jvm-options")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    lines.add(line.trim());
                }
            }
        }
        return new LauncherCommand(lines, archive);
    }

    /** The JVM options the launcher gives {@code verb}: for a test or benchmark that starts {@code pkilab} as it does. */
    public static List<String> jvmOptions(String verb) throws IOException {
        return of(null).options(verb);
    }

    /**
     * The provider line ({@code LabCrypto.describe()}) of a child started as the others are: the child, not this JVM,
     * is what the launcher's options and unpacked libraries serve.
     */
    String describeCrypto() throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command("benchmark", "cold-start", "--describe")).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("pkilab benchmark cold-start --describe exited " + p.exitValue() + ":\n" + out);
        }
        return out.trim();
    }

    /** The JVM options the launcher gives {@code verb}. */
    List<String> options(String verb) {
        boolean lasting = verb.equals("up") || verb.equals("benchmark");
        boolean admin = !lasting && !verb.equals("run");
        // each kind of line, and whether this verb gets it; a line of no kind goes to every verb
        Map<String, Boolean> kinds = Map.of("short:", !lasting, "start:", !verb.equals("benchmark"), "admin:", admin, "long:", lasting);
        List<String> options = new ArrayList<>();
        for (String line : lines) {
            String kind = kinds.keySet().stream().filter(line::startsWith).findFirst().orElse("");
            if (kind.isEmpty() || kinds.get(kind)) {
                options.add(line.substring(kind.length()));
            }
        }
        if (Boolean.getBoolean(EXTERNAL_LIBRARY)) {
            options.add("-D" + EXTERNAL_LIBRARY + "=true");
            options.add("-Djava.library.path=" + System.getProperty("java.library.path"));
        }
        for (String sqlite : List.of("org.sqlite.lib.path", "org.sqlite.lib.name")) {
            if (System.getProperty(sqlite) != null) {
                options.add("-D" + sqlite + "=" + System.getProperty(sqlite));
            }
        }
        return options;
    }

    /** {@code pkilab args...} in a new JVM that reads the archive. */
    List<String> command(String... args) {
        return javaCommand("-XX:SharedArchiveFile=" + archive, args);
    }

    /** {@code pkilab args...} in a new JVM that writes the archive at its exit, as the launcher's first run after a build. */
    List<String> record(String... args) {
        return javaCommand("-XX:ArchiveClassesAtExit=" + archive, args);
    }

    private List<String> javaCommand(String cds, String... args) {
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(options(args[0]));
        command.addAll(List.of(cds, "-Xlog:cds=off,cds+dynamic=off", "-cp", System.getProperty("java.class.path"),
                "org.pkilab.cli.PkiLab"));
        command.addAll(List.of(args));
        return command;
    }
}
