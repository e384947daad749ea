package org.pkilab.pki;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;

import javax.crypto.spec.PBEParameterSpec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeyFilesTest {

    private static KeyFiles.KeyEntry entry(String name) throws Exception {
        KeyPair pair = RsaKeys.generate(2048);
        X500Name subject = new X500Name("CN=" + name);
        X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(subject,
                BigInteger.ONE, Date.from(Instant.now()), Date.from(Instant.now().plus(1, ChronoUnit.DAYS)), subject, pair.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate())));
        return new KeyFiles.KeyEntry(pair.getPrivate(), new X509Certificate[]{certificate});
    }

    @Test
    void aKeyKeptAgainUnderItsNameChangesOnlyItsPkcs12FileSoACrashNeverSplitsThePair(@TempDir Path folder) throws Exception {
        KeyFiles.keep(folder, "web", entry("old.contoso.com"));
        byte[] password = Files.readAllBytes(folder.resolve("web.password"));

        KeyFiles.keep(folder, "web", entry("new.contoso.com"));

        // the password file as it was: whether a crash came before or after the new web.p12 moved in, the pair opens
        assertArrayEquals(password, Files.readAllBytes(folder.resolve("web.password")), "web.password was rewritten");
        assertEquals("CN=new.contoso.com", KeyFiles.loadKept(folder, "web").orElseThrow().certificate().getSubjectX500Principal().getName());
    }

    @Test
    void aKeyWithoutItsPasswordFileCountsAsNotKept(@TempDir Path folder) throws Exception {
        KeyFiles.keep(folder, "ca", entry("contoso-CA01-CA"));
        // a crash between the two files of a new pair: the key is made again rather than the start failing
        Files.delete(folder.resolve("ca.password"));
        assertTrue(KeyFiles.loadKept(folder, "ca").isEmpty());
    }

    @Test
    void theLabsOwnPkcs12FilesAskForJavasUsualIterationsAndOpen() throws Exception {
        KeyFiles.KeyEntry web = entry("web.contoso.com");
        byte[] file = KeyFiles.pkcs12(web, "Str0ng-Pfx!".toCharArray());

        // Java 17 protects the MAC, the certificates and the key with 10,000 iterations each
        assertEquals(30_000, Pkcs12Cost.iterations(file));
        assertEquals(web.certificate(), KeyFiles.readPkcs12(file, "Str0ng-Pfx!".toCharArray()).getCertificate("key"));
    }

    @Test
    void aPkcs12FileAskingForMoreIterationsThanAWindowsImportAcceptsIsRefusedUnread() throws Exception {
        KeyFiles.KeyEntry web = entry("web.contoso.com");
        char[] password = "Str0ng-Pfx!".toCharArray();
        KeyStore costly = KeyStore.getInstance("PKCS12");
        costly.load(null, null);
        costly.setEntry("key", new KeyStore.PrivateKeyEntry(web.key(), web.chain()), new KeyStore.PasswordProtection(password,
                "PBEWithHmacSHA256AndAES_256", new PBEParameterSpec(new byte[16], 1_000_000)));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        costly.store(out, password);

        KeyFiles.CostlyPkcs12Exception refused = assertThrows(KeyFiles.CostlyPkcs12Exception.class,
                () -> KeyFiles.readPkcs12(out.toByteArray(), password));
        assertTrue(refused.getMessage().contains("1,020,000") && refused.getMessage().contains("600,000"), refused.getMessage());
    }

    @Test
    void aDeeplyNestedStructureIsNotAPkcs12FileRatherThanAStackOverflow() {
        byte[] nested = new byte[40_000];
        // 10,000 SEQUENCEs, each of indefinite length holding the next, then their end-of-contents octets
        for (int i = 0; i < 10_000; i++) {
            nested[2 * i] = 0x30;
            nested[2 * i + 1] = (byte) 0x80;
        }
        IOException refused = assertThrows(IOException.class, () -> KeyFiles.readPkcs12(nested, "Str0ng-Pfx!".toCharArray()));
        assertTrue(!(refused instanceof KeyFiles.CostlyPkcs12Exception), refused.toString());
    }
}
