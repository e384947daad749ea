package org.pkilab.directory.model;

import java.util.HexFormat;
import java.util.random.RandomGenerator;

/**
 * How a forest mints the OID of a new template: under the forest's own arc (the
 * {@code msPKI-Cert-Template-OID} of {@code CN=OID,CN=Public Key Services}), two random numbers, and an
 * {@code msPKI-Enterprise-Oid} object that registers it, named by the OID's last number and 32 random hex
 * digits.
 *
 * <pre>{@code
 * String oid = EnterpriseOid.newTemplateOid("1.3.6.1.4.1.311.21.8.4711.99", random);
 *     // 1.3.6.1.4.1.311.21.8.4711.99.5738211.1048203
 * EnterpriseOid.objectName(oid, random);  // 1048203.9F0C...  (the cn under CN=OID)
 * }</pre>
 */
public final class EnterpriseOid {

    private static final int MAX_NODE = 16_777_215;

    private EnterpriseOid() {
    }

    /** A new template OID under {@code forestArc}. */
    public static String newTemplateOid(String forestArc, RandomGenerator random) {
        if (forestArc == null || !forestArc.matches("[0-2](\\.\\d+)+")) {
            throw new IllegalArgumentException("the forest's OID arc is not an OID: " + forestArc);
        }
        return forestArc + "." + (1 + random.nextInt(MAX_NODE)) + "." + (1 + random.nextInt(MAX_NODE));
    }

    /** The {@code cn} of the {@code msPKI-Enterprise-Oid} object that registers {@code oid}. */
    public static String objectName(String oid, RandomGenerator random) {
        byte[] hex = new byte[16];
        random.nextBytes(hex);
        return oid.substring(oid.lastIndexOf('.') + 1) + "." + HexFormat.of().withUpperCase().formatHex(hex);
    }
}
