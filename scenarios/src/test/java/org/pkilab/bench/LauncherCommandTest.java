package org.pkilab.bench;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cold-process benchmarks give each verb the JVM options the {@code ./pkilab} launcher gives it. */
class LauncherCommandTest {

    @Test
    void eachVerbGetsTheLaunchersOptionsForItsKind() throws Exception {
        LauncherCommand java = LauncherCommand.of(Path.of("pkilab.jsa"));
        List<String> run = java.options("run");
        List<String> admin = java.options("template");
        List<String> up = java.options("up");
        assertTrue(run.contains("-Xmx192m") && !run.contains("-XX:TieredStopAtLevel=1"),
                "run configmgr signs and makes RSA keys: short-command options with the full JIT: " + run);
        assertTrue(admin.contains("-Xmx192m") && admin.contains("-XX:TieredStopAtLevel=1"),
                "template list starts no lab: short-command and administration options: " + admin);
        assertTrue(up.contains("-Xmx512m") && !up.contains("-Xmx192m") && !up.contains("-XX:TieredStopAtLevel=1"),
                "up runs for minutes: long-command options: " + up);
        assertTrue(run.contains("-XX:Tier4InvocationThreshold=50000") && up.contains("-XX:Tier4InvocationThreshold=50000"),
                "run and up are waited on to start: C2 left to what is really hot: " + run + " / " + up);
        List<String> benchmark = java.options("benchmark");
        assertTrue(benchmark.contains("-Xmx512m") && !benchmark.contains("-XX:Tier4InvocationThreshold=50000"),
                "a benchmark measures the steady state: the JIT's defaults: " + benchmark);
    }

    @Test
    void aChildIsTheLaunchersCommandWithTheArchive() throws Exception {
        LauncherCommand java = LauncherCommand.of(Path.of("/tmp/x.jsa"));
        List<String> command = java.command("template", "list");
        assertTrue(command.contains("-XX:SharedArchiveFile=/tmp/x.jsa"), command.toString());
        assertEquals(List.of("org.pkilab.cli.PkiLab", "template", "list"), command.subList(command.size() - 3, command.size()));
        assertTrue(java.record("run", "configmgr").contains("-XX:ArchiveClassesAtExit=/tmp/x.jsa"));
    }
}
