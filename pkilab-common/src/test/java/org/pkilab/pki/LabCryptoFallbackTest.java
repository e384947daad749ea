package org.pkilab.pki;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.Signature;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A JVM where the native provider cannot load runs on the JDK's providers and says why. The failure is a real one of
 * ACCP's loader: told to skip the library bundled in its jar ({@code com.amazon.corretto.crypto.provider.useExternalLib})
 * with none on {@code java.library.path}, as on a platform it is not published for. The user is told once, on standard error.
 */
class LabCryptoFallbackTest {

    @Test
    void whereTheNativeLibraryCannotLoadTheJdksProvidersSignAndTheReasonIsGiven(@org.junit.jupiter.api.io.TempDir Path folder) throws Exception {
        Path errors = folder.resolve("stderr.txt");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(List.of(java.toString(), "-Dcom.amazon.corretto.crypto.provider.useExternalLib=true",
                "-Djava.library.path=/nonexistent", "-cp", System.getProperty("java.class.path"), Child.class.getName()))
                .redirectError(errors.toFile());
        builder.environment().remove(LabCrypto.ENVIRONMENT); // the child asks for the native provider, whatever this run chose
        Process child = builder.start();
        child.getOutputStream().close();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals(0, child.exitValue(), out);
        List<String> lines = out.lines().toList();
        assertTrue(lines.get(0).startsWith("the JDK's providers (the native provider did not load: "), out);
        assertEquals("SunRsaSign", lines.get(1), out);
        assertEquals("BC", lines.get(2), "ECDSA through Bouncy Castle: " + out);
        assertEquals("signed and verified", lines.get(3), out);
        // what pkilab run and up show the user, once however often the lab asks
        String said = Files.readString(errors);
        assertEquals(1, said.lines().filter(l -> l.contains("the lab signs with the JDK's providers, not the native one (the native provider did not load: ")
                && l.contains("PKILAB_CRYPTO=jdk chooses the JDK's providers without this warning")).count(), said);
    }

    /** The child JVM: what serves it, and one RSA signature made and checked. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            System.out.println(LabCrypto.describe());
            System.out.println(LabCrypto.providerOf("Signature", "SHA256withRSA"));
            System.out.println(LabCrypto.providerOf("Signature", "SHA256withECDSA"));
            KeyPair key = RsaKeys.generate(2048);
            Signature signer = Signature.getInstance("SHA256withRSA");
            signer.initSign(key.getPrivate());
            signer.update(new byte[]{1, 2, 3});
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance("SHA256withRSA");
            verifier.initVerify(key.getPublic());
            verifier.update(new byte[]{1, 2, 3});
            System.out.println(verifier.verify(signature) ? "signed and verified" : "the signature did not verify");
        }
    }
}
