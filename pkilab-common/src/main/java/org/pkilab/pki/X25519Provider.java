package org.pkilab.pki;

import java.security.Provider;
import java.util.List;

/**
 * X25519 (and X448) key agreement for TLS, from Bouncy Castle's code, installed by {@link LabCrypto} right behind the
 * native provider. Every TLS 1.2 handshake the lab's computers make with the CA agrees its keys over x25519, the curve
 * Windows 10 and Server 2016 put first (Schannel's default ECC curve order: curve25519, NistP256, NistP384), and JSSE
 * asks the providers for "XDH" on both sides: a key pair each and one agreement each. The native provider offers no
 * XDH, and the JDK's own takes about twice the CPU of Bouncy Castle's for a key pair and an agreement, so without
 * this provider x25519 would be the one piece of a handshake's cryptography left to the JDK's slower Java.
 *
 * <p>Only key pair generation and key agreement are offered, under the JDK's names, so nothing else changes provider:
 * the keys made are Bouncy Castle's implementations of {@link java.security.interfaces.XECPublicKey} and
 * {@link java.security.interfaces.XECPrivateKey}. The peer's public key JSSE rebuilds from an
 * {@code XECPublicKeySpec} with the JDK's key factory (Bouncy Castle's reads no such spec, and a key factory here would
 * throw before the JDK's took over on every handshake); Bouncy Castle's agreement takes that key by its encoding, and
 * the shared secret is the same bytes either provider computes.
 *
 * <pre>{@code
 * KeyAgreement.getInstance("XDH").getProvider().getName();   // "LabX25519" once LabCrypto.install() put it in place
 * }</pre>
 */
final class X25519Provider extends Provider {

    static final String NAME = "LabX25519";

    private static final String SPI = "org.bouncycastle.jcajce.provider.asymmetric.edec.";

    X25519Provider() {
        super(NAME, "1.0", "X25519 and X448 key agreement for TLS, by Bouncy Castle");
        for (String type : List.of("KeyPairGenerator", "KeyAgreement")) {
            String spi = SPI + type + "Spi$";
            putService(new Service(this, type, "XDH", spi + "XDH", null, null));
            putService(new Service(this, type, "X25519", spi + "X25519", List.of("OID.1.3.101.110", "1.3.101.110"), null));
            putService(new Service(this, type, "X448", spi + "X448", List.of("OID.1.3.101.111", "1.3.101.111"), null));
        }
    }
}
