package org.pkilab.enrollment;

import org.pkilab.directory.model.KeyAlgorithm;

import java.time.Duration;
import java.util.List;

/**
 * A template as the "Request Certificates" page lists it: what the CA's enrollment policy says the caller
 * may enroll for, with what a client needs to know to build the request: the key algorithm and minimum
 * size of the template's Cryptography tab among them.
 *
 * @param keyAlgorithmName the Cryptography tab's algorithm as Windows names it ({@code RSA}, {@code ECDSA_P256});
 *                         the CA sends a name it does not know as it is, and {@link #keyAlgorithm()} reads it
 */
public record EnrollableTemplate(String name, String displayName, String oid, int schemaVersion, boolean subjectSuppliedInRequest,
                                 int minimalKeySize, String keyAlgorithmName, boolean exportableKey, boolean requiresApproval,
                                 boolean usesCng, boolean autoenroll, boolean machine, Duration renewalPeriod,
                                 List<String> extendedKeyUsages, List<String> supersedes) {

    public EnrollableTemplate {
        oid = oid == null ? "" : oid;
        keyAlgorithmName = keyAlgorithmName == null ? KeyAlgorithm.RSA.windowsName() : keyAlgorithmName;
        renewalPeriod = renewalPeriod == null ? Duration.ZERO : renewalPeriod;
        extendedKeyUsages = List.copyOf(extendedKeyUsages);
        supersedes = List.copyOf(supersedes);
    }

    /** The algorithm to make the key with; one this client does not know is made as RSA, and the CA says what it wants. */
    public KeyAlgorithm keyAlgorithm() {
        return KeyAlgorithm.fromWindowsName(keyAlgorithmName).orElse(KeyAlgorithm.RSA);
    }
}
