package org.pkilab.pki;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPublicKey;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The lab's RSA key pairs. A new lab needs three 2048-bit keys before it can answer anyone (the DC's
 * LDAPS key, the CA's key, the CA's web server key), each some hundreds of milliseconds in a JVM that
 * has just started, one after another on the starting thread. {@link #prepare} has them made on a
 * background thread meanwhile, while the directory loads its schema; {@link #generate} hands out a
 * prepared key (waiting for it if it is being made) before making one itself. Every key is fresh,
 * random and handed out once.
 */
public final class RsaKeys {

    private static final BlockingQueue<KeyPair> READY = new LinkedBlockingQueue<>();
    /** Keys promised by {@link #prepare} and not yet handed out. */
    private static final AtomicInteger PROMISED = new AtomicInteger();

    private RsaKeys() {
    }

    /** Starts making {@code count} 2048-bit key pairs in the background for the next {@link #generate} calls. */
    public static void prepare(int count) {
        PROMISED.addAndGet(count);
        Thread maker = new Thread(() -> {
            for (int i = 0; i < count; i++) {
                READY.add(make(2048));
            }
        }, "rsa-2048-keys");
        maker.setDaemon(true);
        maker.start();
    }

    /** A new RSA key pair of exactly {@code bits} (any multiple of 8 from 512), from the first provider that makes that size. */
    public static KeyPair generate(int bits) {
        if (bits == 2048 && PROMISED.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            try {
                return READY.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a prepared RSA key", e);
            }
        }
        return make(bits);
    }

    private static KeyPair make(int bits) {
        LabCrypto.install();
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            if (bits % 128 == 0 || !generator.getProvider().equals(LabCrypto.nativeProvider())) {
                generator.initialize(bits);
                KeyPair pair = generator.generateKeyPair();
                if (((RSAPublicKey) pair.getPublic()).getModulus().bitLength() == bits) {
                    return pair;
                }
            }
            // AWS-LC makes RSA keys in steps of 128 bits and rounds any other size up (2040 -> 2048), where Windows'
            // providers make every multiple of 8 that the template or the user asks for: the JDK's generator does too
            KeyPairGenerator exact = KeyPairGenerator.getInstance("RSA", "SunRsaSign");
            exact.initialize(bits);
            return exact.generateKeyPair();
        } catch (NoSuchAlgorithmException | java.security.NoSuchProviderException e) {
            throw new IllegalStateException("this JVM has no RSA key pair generator", e);
        }
    }
}
