package org.pkilab.project;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkilab.testing.ExternalTool;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code scripts/test}, the README's test command, on a machine that lacks some of the Debian packages
 * the tests call: it installs only what is missing when it can, says what to install when it cannot,
 * and then runs {@code mvn -B -ntp verify}. Run on a copy of the script in a scratch clone with
 * stand-ins for {@code dpkg-query}, {@code apt-get}, {@code sudo}, {@code id} and {@code mvn} that
 * write down how they were called.
 */
class TestScriptTest {

    @TempDir
    Path clone;
    private Path calls;
    private final Map<String, String> environment = new HashMap<>();

    @BeforeEach
    void scratchCloneWithStandIns() throws IOException {
        Path scripts = Files.createDirectories(clone.resolve("scripts"));
        Files.copy(Repository.root().resolve("scripts/test"), scripts.resolve("test"));
        Files.writeString(scripts.resolve("debian-packages"), "# a comment line\nldap-utils   # ldapsearch\n\nopenssl\ncurl\n");
        calls = clone.resolve("calls.txt");
        Path bin = Files.createDirectories(clone.resolve("bin"));
        standIn(bin, "dpkg-query", "for p in $INSTALLED; do [ \"$p\" = \"${@: -1}\" ] && printf 'install ok installed' && exit 0; done; exit 1");
        standIn(bin, "apt-get", "echo \"apt-get $*\" >> \"$CALLS\"");
        standIn(bin, "mvn", "echo \"mvn $* in $PWD\" >> \"$CALLS\"");
        standIn(bin, "id", "echo \"$USER_ID\"");
        standIn(bin, "sudo", "[ \"$SUDO\" = works ] || { echo 'sudo: a password is required' >&2; exit 1; }; echo sudo >> \"$CALLS\"; exec \"$@\"");
        environment.put("PATH", bin + ":" + System.getenv("PATH"));
        environment.put("CALLS", calls.toString());
        environment.put("USER_ID", "0");
        environment.put("SUDO", "works");
    }

    @Test
    void everythingPresentRunsTheSuiteWithoutApt() throws Exception {
        environment.put("INSTALLED", "ldap-utils openssl curl");

        ExternalTool.Result run = testScript("-Dtest=Nothing");

        assertEquals(0, run.exit(), run.toString());
        assertEquals(List.of("mvn -B -ntp verify -Dtest=Nothing in " + clone.toRealPath()), Files.readAllLines(calls));
    }

    @Test
    void rootInstallsOnlyTheMissingPackagesThenRunsTheSuite() throws Exception {
        environment.put("INSTALLED", "openssl");

        ExternalTool.Result run = testScript();

        assertEquals(0, run.exit(), run.toString());
        assertEquals(List.of("apt-get update -qq", "apt-get install -y -qq --no-install-recommends ldap-utils curl",
                "mvn -B -ntp verify in " + clone.toRealPath()), Files.readAllLines(calls));
    }

    @Test
    void aUserWithSudoInstallsThroughIt() throws Exception {
        environment.put("INSTALLED", "ldap-utils openssl");
        environment.put("USER_ID", "1000");

        ExternalTool.Result run = testScript();

        assertEquals(0, run.exit(), run.toString());
        assertEquals(List.of("sudo", "apt-get update -qq", "sudo", "apt-get install -y -qq --no-install-recommends curl",
                "mvn -B -ntp verify in " + clone.toRealPath()), Files.readAllLines(calls));
    }

    @Test
    void aUserWhoCannotInstallIsToldWhatToInstallAndNoTestsRun() throws Exception {
        environment.put("INSTALLED", "openssl");
        environment.put("USER_ID", "1000");
        environment.put("SUDO", "needs a password");

        ExternalTool.Result run = testScript();

        assertEquals(1, run.exit(), run.toString());
        assertTrue(run.err().contains("apt-get install ldap-utils curl"), run.toString());
        assertTrue(Files.notExists(calls), "nothing was installed and Maven did not run");
    }

    private ExternalTool.Result testScript(String... mavenArguments) throws Exception {
        String[] command = new String[mavenArguments.length + 2];
        command[0] = "bash";
        command[1] = clone.resolve("scripts/test").toString();
        System.arraycopy(mavenArguments, 0, command, 2, mavenArguments.length);
        return ExternalTool.run(Path.of("/"), environment, null, command);
    }

    private static void standIn(Path bin, String name, String body) throws IOException {
        Path file = bin.resolve(name);
        Files.writeString(file, "#!/usr/bin/env bash\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
