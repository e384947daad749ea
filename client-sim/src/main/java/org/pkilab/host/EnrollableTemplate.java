package org.pkilab.host;

import org.pkilab.directory.model.KeyAlgorithm;

import java.util.List;

/**
 * A template as the "Request Certificates" page lists it: what the CA's enrollment policy says this
 * computer (or user) may enroll for, with what the client needs to know to build the request: the key
 * algorithm and minimum size of its Cryptography tab among them.
 */
public record EnrollableTemplate(String name, String displayName, String oid, int schemaVersion, boolean subjectSuppliedInRequest,
                                 int minimalKeySize, KeyAlgorithm keyAlgorithm, boolean exportableKey, boolean requiresApproval, boolean usesCng,
                                 boolean autoenroll, boolean machine, java.time.Duration renewalPeriod,
                                 List<String> extendedKeyUsages, List<String> supersedes) {

    public EnrollableTemplate {
        extendedKeyUsages = List.copyOf(extendedKeyUsages);
        supersedes = List.copyOf(supersedes);
    }
}
