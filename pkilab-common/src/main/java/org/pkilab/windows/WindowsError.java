package org.pkilab.windows;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Windows errors the lab answers with, under their {@code winerror.h} names and HRESULTs, each with the
 * text Windows shows for it ({@code certutil -error 0x80094012}, the Certification Authority console,
 * {@code certreq}, the certificate dialog's chain errors). The CA, the computers, the scenarios and the
 * command line all use this one type, so a code means the same thing wherever a student meets it.
 *
 * <pre>{@code
 * WindowsError.CERTSRV_E_TEMPLATE_DENIED.code();      // "0x80094012"
 * WindowsError.CERTSRV_E_TEMPLATE_DENIED.toString();  // "0x80094012 CERTSRV_E_TEMPLATE_DENIED"
 * WindowsError.find("0x80094012 CERTSRV_E_TEMPLATE_DENIED");  // Optional[CERTSRV_E_TEMPLATE_DENIED]
 * }</pre>
 */
public enum WindowsError {
    // the CA's refusals (facility CERTSRV)
    CERTSRV_E_TEMPLATE_DENIED(0x80094012,
            "The permissions on the certificate template do not allow the current user to enroll for this type of certificate."),
    CERTSRV_E_UNSUPPORTED_CERT_TYPE(0x80094800,
            "The requested certificate template is not supported by this CA."),
    CERTSRV_E_NO_CERT_TYPE(0x80094801, "The request contains no certificate template information."),
    CERTSRV_E_TEMPLATE_CONFLICT(0x80094802, "The request contains conflicting template information."),
    CERTSRV_E_SUBJECT_DNS_REQUIRED(0x8009480F,
            "The Domain Name System (DNS) name is unavailable and cannot be added to the Subject Alternate name."),
    CERTSRV_E_SUBJECT_UPN_REQUIRED(0x8009480D,
            "The user principal name (UPN) is unavailable and cannot be added to the Subject Alternate name."),
    CERTSRV_E_SUBJECT_EMAIL_REQUIRED(0x80094812,
            "The email name is unavailable and cannot be added to the Subject or Subject Alternate name."),
    CERTSRV_E_KEY_LENGTH(0x80094811,
            "The public key does not meet the minimum size required by the specified certificate template."),
    CERTSRV_E_BAD_REQUESTSUBJECT(0x80094001, "The request subject name is invalid or too long."),
    CERTSRV_E_ADMIN_DENIED_REQUEST(0x80094014, "The request was denied by a certificate manager or CA administrator."),
    CERTSRV_E_NO_REQUEST(0x80094002, "The request does not exist."),
    CERTSRV_E_BAD_REQUESTSTATUS(0x80094003, "The request's current status does not allow this operation."),
    CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE(0x8009400E, "The request contains an invalid renewal certificate attribute."),
    CERTSRV_E_ENROLL_DENIED(0x80094011,
            "The permissions on this certification authority do not allow the current user to enroll for certificates."),
    // enrollment agents: the template's Issuance Requirements ("This number of authorized signatures")
    CERTSRV_E_BAD_RENEWAL_SUBJECT(0x80094806, "The request was made on behalf of a subject other than the caller. The certificate "
            + "template must be configured to require at least one signature to authorize the request."),
    CERTSRV_E_TEMPLATE_POLICY_REQUIRED(0x80094808, "The template is missing a required signature policy attribute."),
    CERTSRV_E_SIGNATURE_POLICY_REQUIRED(0x80094809, "The request is missing required signature policy information."),
    CERTSRV_E_SIGNATURE_COUNT(0x8009480A, "The request is missing one or more required signatures."),
    CERTSRV_E_SIGNATURE_REJECTED(0x8009480B, "One or more signatures did not include the required application or issuance "
            + "policies. The request is missing one or more required valid signatures."),

    // cryptography and encoding
    NTE_BAD_SIGNATURE(0x80090006, "Invalid Signature."),
    NTE_BAD_KEY_STATE(0x8009000B, "Key not valid for use in specified state."),
    NTE_BAD_PROV_TYPE(0x80090014, "Invalid provider type specified."),
    CRYPT_E_ASN1_BADTAG(0x8009310B, "ASN1 bad tag value met."),

    // the chain engine's verdicts on a certificate
    CERT_E_UNTRUSTEDROOT(0x800B0109,
            "A certificate chain processed, but terminated in a root certificate which is not trusted by the trust provider."),
    CERT_E_EXPIRED(0x800B0101,
            "A required certificate is not within its validity period when verifying against the current system clock."),
    CERT_E_WRONG_USAGE(0x800B0110, "The certificate is not valid for the requested usage."),
    CERT_E_CN_NO_MATCH(0x800B010F, "The certificate's CN name does not match the passed value."),
    CRYPT_E_REVOKED(0x80092010, "The certificate is revoked."),
    CRYPT_E_REVOCATION_OFFLINE(0x80092013,
            "The revocation function was unable to check revocation because the revocation server was offline."),
    CRYPT_E_NOT_FOUND(0x80092004, "Cannot find object or property."),

    // Win32 errors as HRESULTs
    ERROR_LOGON_FAILURE(0x8007052E, "The user name or password is incorrect."),
    ERROR_NONE_MAPPED(0x80070534, "No mapping between account names and security IDs was done."),
    E_ACCESSDENIED(0x80070005, "Access is denied."),
    E_INVALIDARG(0x80070057, "The parameter is incorrect.");

    private static final Pattern HRESULT = Pattern.compile("\\b0x([0-9A-Fa-f]{8})\\b");
    private static final Pattern NAME = Pattern.compile("\\b(?:CERTSRV_E|NTE|CRYPT_E|CERT_E|ERROR|E)_[A-Z0-9_]+\\b");

    private final int hresult;
    private final String windowsMessage;

    WindowsError(int hresult, String windowsMessage) {
        this.hresult = hresult;
        this.windowsMessage = windowsMessage;
    }

    public int hresult() {
        return hresult;
    }

    /** {@code 0x80094012}. */
    public String code() {
        return String.format(Locale.ROOT, "0x%08X", hresult);
    }

    /** {@code CERTSRV_E_TEMPLATE_DENIED}: the name {@code winerror.h} gives the code. */
    public String symbolicName() {
        return name();
    }

    /** The text Windows shows for the code. */
    public String windowsMessage() {
        return windowsMessage;
    }

    /**
     * The error a text names by its HRESULT or by its symbolic name, such as the CA's
     * {@code X-ADCS-Error: 0x80094012 CERTSRV_E_TEMPLATE_DENIED} header or a line of {@code certreq}'s output;
     * empty when it names none the lab knows.
     */
    public static Optional<WindowsError> find(String text) {
        if (text == null) {
            return Optional.empty();
        }
        Matcher hex = HRESULT.matcher(text);
        while (hex.find()) {
            int value = Integer.parseUnsignedInt(hex.group(1), 16);
            for (WindowsError e : values()) {
                if (e.hresult == value) {
                    return Optional.of(e);
                }
            }
        }
        Matcher name = NAME.matcher(text);
        while (name.find()) {
            for (WindowsError e : values()) {
                if (e.name().equals(name.group())) {
                    return Optional.of(e);
                }
            }
        }
        return Optional.empty();
    }

    /** {@code 0x8009000B NTE_BAD_KEY_STATE: Key not valid for use in specified state.}: the code, its name and Windows' text. */
    public String describe() {
        return this + ": " + windowsMessage;
    }

    /** {@code 0x80094012 CERTSRV_E_TEMPLATE_DENIED}. */
    @Override
    public String toString() {
        return code() + " " + name();
    }
}
