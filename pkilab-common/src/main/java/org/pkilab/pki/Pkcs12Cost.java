package org.pkilab.pki;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1InputStream;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.pkcs.AuthenticatedSafe;
import org.bouncycastle.asn1.pkcs.ContentInfo;
import org.bouncycastle.asn1.pkcs.EncryptedData;
import org.bouncycastle.asn1.pkcs.EncryptedPrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.MacData;
import org.bouncycastle.asn1.pkcs.PBES2Parameters;
import org.bouncycastle.asn1.pkcs.PBKDF2Params;
import org.bouncycastle.asn1.pkcs.PKCS12PBEParams;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.Pfx;
import org.bouncycastle.asn1.pkcs.SafeBag;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;

import java.io.IOException;
import java.math.BigInteger;

/**
 * What opening a PKCS #12 (PFX) file would cost, read from its structure alone (RFC 7292): the
 * iteration counts of its MAC, of each encrypted part ({@code encryptedData}, in practice the
 * certificates) and of each shrouded key bag, added up. A PFX names its own counts, so a hostile one can
 * ask for millions, each run before a wrong password is noticed: the JDK accepts up to 5,000,000 for
 * each. For example Java's own export ({@code keytool}) uses 10,000 for the MAC, the certificates and the
 * key: 30,000 in all.
 */
final class Pkcs12Cost {

    private Pkcs12Cost() {
    }

    /** The iterations {@code file} asks for in all; an {@link IOException} when it is not a PKCS #12 structure. */
    static long iterations(byte[] file) throws IOException {
        try {
            ASN1Primitive structure;
            // lazily: a nested SEQUENCE is parsed when it is read, so a hostile depth is never walked
            try (ASN1InputStream in = new ASN1InputStream(file, true)) {
                structure = in.readObject();
            }
            Pfx pfx = Pfx.getInstance(structure);
            MacData mac = pfx.getMacData();
            long total = mac == null ? 0 : count(mac.getIterationCount());
            ContentInfo authSafe = pfx.getAuthSafe();
            if (!PKCSObjectIdentifiers.data.equals(authSafe.getContentType())) {
                return total; // public-key integrity mode: no password-based MAC, and nothing the JDK reads
            }
            AuthenticatedSafe parts = AuthenticatedSafe.getInstance(octets(authSafe.getContent()));
            for (ContentInfo part : parts.getContentInfo()) {
                ASN1ObjectIdentifier type = part.getContentType();
                if (PKCSObjectIdentifiers.encryptedData.equals(type)) {
                    total = plus(total, iterations(EncryptedData.getInstance(part.getContent()).getEncryptionAlgorithm()));
                } else if (PKCSObjectIdentifiers.data.equals(type)) {
                    for (ASN1Encodable bag : ASN1Sequence.getInstance(octets(part.getContent()))) {
                        SafeBag safeBag = SafeBag.getInstance(bag);
                        if (PKCSObjectIdentifiers.pkcs8ShroudedKeyBag.equals(safeBag.getBagId())) {
                            total = plus(total, iterations(EncryptedPrivateKeyInfo.getInstance(safeBag.getBagValue()).getEncryptionAlgorithm()));
                        }
                    }
                }
            }
            return total;
        } catch (RuntimeException e) {
            // Bouncy Castle's ASN.1 classes throw unchecked exceptions for structures that are not what they expect
            throw new IOException("not a PKCS #12 structure: " + e.getMessage(), e);
        } catch (StackOverflowError e) {
            // BER's indefinite lengths are read through a stream per level, one in another; the parse holds no lock and no state
            throw new IOException("not a PKCS #12 structure: nested too deeply", e);
        }
    }

    /** A count as the JDK would take it: one below 1 is refused there without work, one beyond a long is as costly as can be. */
    private static long count(BigInteger iterations) {
        return iterations.signum() <= 0 ? 0 : iterations.bitLength() > 62 ? Long.MAX_VALUE / 4 : iterations.longValue();
    }

    private static long plus(long total, long more) {
        return Math.min(Long.MAX_VALUE / 2, total + more);
    }

    private static byte[] octets(ASN1Encodable content) {
        return ASN1OctetString.getInstance(content).getOctets();
    }

    /** PBES2 counts in its PBKDF2 parameters, PKCS #12's own PBE schemes in theirs; anything else costs the JDK nothing to refuse. */
    private static long iterations(AlgorithmIdentifier algorithm) {
        if (PKCSObjectIdentifiers.id_PBES2.equals(algorithm.getAlgorithm())) {
            PBES2Parameters pbes2 = PBES2Parameters.getInstance(algorithm.getParameters());
            if (PKCSObjectIdentifiers.id_PBKDF2.equals(pbes2.getKeyDerivationFunc().getAlgorithm())) {
                return count(PBKDF2Params.getInstance(pbes2.getKeyDerivationFunc().getParameters()).getIterationCount());
            }
            return 0;
        }
        if (algorithm.getAlgorithm().on(PKCSObjectIdentifiers.pkcs_12PbeIds)) {
            return count(PKCS12PBEParams.getInstance(algorithm.getParameters()).getIterations());
        }
        return 0;
    }
}
