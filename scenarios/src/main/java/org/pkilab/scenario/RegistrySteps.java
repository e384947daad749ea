package org.pkilab.scenario;

import org.pkilab.admin.CaAdminClient;
import org.pkilab.enrollment.CaRegistrySettings;
import org.pkilab.directory.model.CertificateMappingSettings;
import org.pkilab.lab.DcRegistryValue;
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

    /** The value as {@code certutil -getreg} shows it: flags by name, the extension list, or the security descriptor. */
    private static String describe(String value, CaRegistrySettings settings) {
        return switch (value) {
            case "policy\\EditFlags" -> String.format("0x%x %s", settings.editFlags(),
                    CaRegistrySettings.describe(CaRegistrySettings.EditFlag.class, settings.editFlags()));
            case "CA\\InterfaceFlags" -> String.format("0x%x %s", settings.interfaceFlags(),
                    CaRegistrySettings.describe(CaRegistrySettings.InterfaceFlag.class, settings.interfaceFlags()));
            case "policy\\DisableExtensionList" -> settings.disableExtensionList().toString();
            case "CA\\EstDefaultTemplate" -> settings.estDefaultTemplate().isEmpty() ? "(none)" : settings.estDefaultTemplate();
            case "CA\\OcspUrl" -> settings.ocspUrl().isEmpty() ? "(none)" : settings.ocspUrl();
            case "CA\\AcmeHttpPort" -> Integer.toString(settings.acmeHttpPort());
            case "CA\\AcmeTlsAlpnPort" -> Integer.toString(settings.acmeTlsAlpnPort());
            case "MSCEP\\EncryptionTemplate" -> settings.ndes().encryptionTemplate();
            case "MSCEP\\SignatureTemplate" -> settings.ndes().signatureTemplate();
            case "MSCEP\\GeneralPurposeTemplate" -> settings.ndes().generalPurposeTemplate();
            default -> settings.security();
        };
    }

    private final Lab lab;
    private final CertificationAuthoritySteps certificationAuthority;

    RegistrySteps(Lab lab, CertificationAuthoritySteps certificationAuthority) {
        this.lab = lab;
        this.certificationAuthority = certificationAuthority;
    }

    void execute(Scenario.Step s, List<String> say) {
        switch (s.verb()) {
            case SET_DC_REGISTRY -> {
                DcRegistryValue value = DcRegistryValue.named(s.text("value"));
                CertificateMappingSettings next = value.apply(lab.dc().certificateMapping(), s.text("data"));
                lab.dc().certificateMapping(next);
                say.add(lab.dc().fqdn() + ": " + value.key() + "\\" + value.valueName() + " = " + value.describe(value.read(next)));
            }
            case SET_CA_REGISTRY -> {
                // certutil -setreg reaches the CA over its administration interface: the CA checks Manage CA
                String account = s.text("as") == null ? CertificationAuthoritySteps.ADMINISTRATOR : s.text("as");
                CaAdminClient.RegistryChange change = certificationAuthority.console(account).setRegistry(s.text("value"), s.text("change"));
                say.add(lab.ca().name() + ": " + s.text("value") + " " + describe(s.text("value"), change.before()) + " -> "
                        + describe(s.text("value"), change.after()));
            }
            default -> throw new IllegalArgumentException("'" + s.verb().text() + "' is not a registry change");
        }
    }
}
