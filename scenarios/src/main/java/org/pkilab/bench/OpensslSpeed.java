package org.pkilab.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;

/**
 * The machine's cryptographic floor, as OpenSSL measures it: {@code openssl speed -mr -seconds S rsa2048} in as many
 * processes at once as the benchmark has threads, their sign rates added, as {@code openssl speed -multi N} does. A benchmark runs it between its own rounds, so that a machine that speeds up or
 * slows down during the run weighs on both figures alike. Absent when the machine has no {@code openssl}.
 */
final class OpensslSpeed {

    private OpensslSpeed() {
    }

    /** RSA-2048 signatures a second over {@code processes} processes, or empty when {@code openssl} cannot run. */
    static OptionalDouble rsa2048(int processes, int seconds) {
        List<Process> running = new ArrayList<>();
        try {
            for (int i = 0; i < processes; i++) {
                running.add(new ProcessBuilder("openssl", "speed", "-mr", "-seconds", String.valueOf(seconds), "rsa2048")
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start());
            }
            double total = 0;
            for (Process p : running) {
                // -mr writes a few hundred bytes, far below a pipe's buffer: wait first, so a hung openssl cannot hang the run
                if (!p.waitFor(seconds * 4L + 30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    return OptionalDouble.empty();
                }
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                OptionalDouble rate = parse(out);
                if (rate.isEmpty()) {
                    return OptionalDouble.empty();
                }
                total += rate.getAsDouble();
            }
            return OptionalDouble.of(total);
        } catch (IOException e) {
            return OptionalDouble.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalDouble.empty();
        } finally {
            running.forEach(Process::destroy);
        }
    }

    /** The sign rate of {@code -mr}'s RSA result line: {@code +F2:2:2048:1442.857143:45500.000000}. */
    private static OptionalDouble parse(String machineReadable) {
        for (String line : machineReadable.split("\\R")) {
            String[] fields = line.split(":");
            if (line.startsWith("+F2:") && fields.length >= 5) {
                try {
                    return OptionalDouble.of(Double.parseDouble(fields[3]));
                } catch (NumberFormatException e) {
                    return OptionalDouble.empty();
                }
            }
        }
        return OptionalDouble.empty();
    }
}
