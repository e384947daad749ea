package org.pkilab.directory.model;

import java.util.Locale;
import java.util.Optional;

/**
 * The "Algorithm name" of a template's Cryptography tab, as Windows writes it in the template's
 * {@code msPKI-RA-Application-Policies} ({@code msPKI-Asymmetric-Algorithm`PZPWSTR`ECDSA_P256`...}).
 * Only "Windows Server 2008, Enterprise Edition" (schema 3, CNG) templates can name one; a schema 1 or 2
 * template keeps its keys in a legacy CSP, which knows RSA alone.
 *
 * <pre>{@code
 * KeyAlgorithm p256 = KeyAlgorithm.fromWindowsName("ECDSA_P256").orElseThrow();
 * p256.curve();            // "secp256r1"
 * p256.bits();             // 256: what msPKI-Minimal-Key-Size holds for it
 * p256.signatureAlgorithm(); // "SHA256withECDSA": how the client signs its request
 * }</pre>
 */
public enum KeyAlgorithm {
    RSA(null, null, 0, "SHA256withRSA"),
    ECDSA_P256("secp256r1", "1.2.840.10045.3.1.7", 256, "SHA256withECDSA"),
    ECDSA_P384("secp384r1", "1.3.132.0.34", 384, "SHA384withECDSA"),
    ECDSA_P521("secp521r1", "1.3.132.0.35", 521, "SHA512withECDSA");

    private final String curve;
    private final String curveOid;
    private final int bits;
    private final String signatureAlgorithm;

    KeyAlgorithm(String curve, String curveOid, int bits, String signatureAlgorithm) {
        this.curve = curve;
        this.curveOid = curveOid;
        this.bits = bits;
        this.signatureAlgorithm = signatureAlgorithm;
    }

    /** {@code RSA}, {@code ECDSA_P256}: the name the Certificate Templates console and certutil show. */
    public String windowsName() {
        return name();
    }

    public boolean elliptic() {
        return curve != null;
    }

    /** The JCA name of the curve ({@code secp256r1}); null for RSA. */
    public String curve() {
        return curve;
    }

    /** The OID a public key names its curve by ({@code 1.2.840.10045.3.1.7} for P-256); null for RSA. */
    public String curveOid() {
        return curveOid;
    }

    /** The key size an elliptic-curve algorithm fixes; 0 for RSA, whose size the template's minimum sets. */
    public int bits() {
        return bits;
    }

    /** The JCA signature algorithm a client signs its request with for this key. */
    public String signatureAlgorithm() {
        return signatureAlgorithm;
    }

    /** The algorithm a Windows name stands for ({@code ecdsa_p256} too); empty for names the lab does not know. */
    /**
     * The RSA key size a client makes for a template when nothing asks for another (a certreq INF's
     * {@code KeyLength}): the template's minimum, but never under 2,048 bits, as Windows' enrollment does
     * for templates whose minimum is lower.
     */
    public static int rsaBitsFor(int minimalKeySize) {
        return Math.max(minimalKeySize, 2048);
    }

    public static Optional<KeyAlgorithm> fromWindowsName(String name) {
        if (name == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(valueOf(name.trim().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The algorithm of an elliptic-curve key whose field is {@code fieldBits} wide (256, 384, 521); empty for other sizes. */
    public static Optional<KeyAlgorithm> ofCurveBits(int fieldBits) {
        for (KeyAlgorithm algorithm : values()) {
            if (algorithm.elliptic() && algorithm.bits == fieldBits) {
                return Optional.of(algorithm);
            }
        }
        return Optional.empty();
    }

    /** The algorithm of an elliptic-curve key on the named curve {@code oid}; empty for other curves. */
    public static Optional<KeyAlgorithm> ofCurveOid(String oid) {
        for (KeyAlgorithm algorithm : values()) {
            if (algorithm.elliptic() && algorithm.curveOid.equals(oid)) {
                return Optional.of(algorithm);
            }
        }
        return Optional.empty();
    }
}
