package org.pkilab.scenario;

import org.pkilab.audit.DirectoryAuditLoader;
import org.pkilab.directory.model.CertificateMappingSettings;
import org.pkilab.lab.Lab;

import java.util.List;

/**
 * The settings Windows keeps in a server's registry rather than in the directory: on the domain controller, the
 * KDC's {@code StrongCertificateBindingEnforcement} and Schannel's {@code CertificateMappingMethods}, which decide how
 * a certificate logon is mapped to an account (KB5014754); on the CA, {@code certutil -setreg}'s values. Windows reads
 * a changed value after a restart of the service; the lab applies it at the next bind or request.
 *
 * <pre>
 * - set dc registry: {value: StrongCertificateBindingEnforcement, data: 1}
 * - set ca registry: {value: policy\EditFlags, change: +EDITF_ATTRIBUTESUBJECTALTNAME2}
 * </pre>
 */
final class RegistrySteps {

    private final Lab lab;

    RegistrySteps(Lab lab) {
        this.lab = lab;
    }

    /** How the audit reads each CA's registry settings in this lab. */
    static DirectoryAuditLoader.CaRegistryReader caRegistry(Lab lab) {
        return DirectoryAuditLoader.CA_DEFAULTS;
    }

    void execute(Scenario.Step s, List<String> say) {
        switch (s.verb()) {
            case SET_DC_REGISTRY -> {
                CertificateMappingSettings now = lab.dc().certificateMapping();
                int data = Integer.decode(s.text("data"));
                CertificateMappingSettings next = s.text("value").equals("StrongCertificateBindingEnforcement")
                        ? now.withEnforcement(data) : now.withMappingMethods(data);
                lab.dc().certificateMapping(next);
                say.add(lab.dc().fqdn() + ": " + next.describe());
            }
            default -> throw new IllegalArgumentException("'" + s.verb().text() + "' is not a registry change");
        }
    }
}
