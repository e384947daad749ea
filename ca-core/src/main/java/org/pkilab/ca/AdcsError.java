package org.pkilab.ca;

import java.util.Locale;

/**
 * The errors an AD CS enterprise CA answers with, under their Windows names and HRESULTs
 * ({@code winerror.h}), each with the text {@code certreq} and the Certification Authority console show
 * and the HTTP status the lab's EST server answers with.
 *
 * <pre>{@code
 * AdcsError.TEMPLATE_DENIED.code();    // "0x80094012"
 * AdcsError.TEMPLATE_DENIED.adName();  // "CERTSRV_E_TEMPLATE_DENIED"
 * }</pre>
 */
public enum AdcsError {
    TEMPLATE_DENIED(0x80094012, 403,
            "The permissions on the certificate template do not allow the current user to enroll for this type of certificate."),
    UNSUPPORTED_CERT_TYPE(0x80094800, 404,
            "The requested certificate template is not supported by this CA."),
    SUBJECT_DNS_REQUIRED(0x8009480F, 400,
            "The Domain Name System (DNS) name is unavailable and cannot be added to the Subject Alternate name."),
    SUBJECT_UPN_REQUIRED(0x8009480D, 400,
            "The user principal name (UPN) is unavailable and cannot be added to the Subject Alternate name."),
    SUBJECT_EMAIL_REQUIRED(0x80094812, 400,
            "The email name is unavailable and cannot be added to the Subject or Subject Alternate name."),
    KEY_LENGTH(0x80094811, 400,
            "The public key does not meet the minimum size required by the specified certificate template."),
    BAD_REQUESTSUBJECT(0x80094001, 400,
            "The request subject name is invalid or too long."),
    ADMIN_DENIED_REQUEST(0x80094014, 403,
            "The request was denied by a certificate manager or CA administrator."),
    BAD_SIGNATURE(0x80090006, 400, "Invalid Signature."),
    BAD_REQUEST_ENCODING(0x8009310B, 400, "ASN1 bad tag value met."),
    NO_REQUEST(0x80094002, 404, "The request does not exist."),
    BAD_REQUESTSTATUS(0x80094003, 409, "The request's current status does not allow this operation."),
    BAD_RENEWAL_CERT_ATTRIBUTE(0x8009400E, 400,
            "The request contains an invalid renewal certificate attribute."),
    LOGON_FAILURE(0x8007052E, 401, "The user name or password is incorrect."),
    /** An administration call by an account without "Manage CA" / "Issue and Manage Certificates". */
    ACCESS_DENIED(0x80070005, 403, "Access is denied."),
    INVALID_ARGUMENT(0x80070057, 400, "The parameter is incorrect.");

    private final int hresult;
    private final int httpStatus;
    private final String windowsMessage;

    AdcsError(int hresult, int httpStatus, String windowsMessage) {
        this.hresult = hresult;
        this.httpStatus = httpStatus;
        this.windowsMessage = windowsMessage;
    }

    public int hresult() {
        return hresult;
    }

    /** {@code 0x80094012}. */
    public String code() {
        return String.format(Locale.ROOT, "0x%08X", hresult);
    }

    /** {@code CERTSRV_E_TEMPLATE_DENIED}; a few come from other facilities ({@code NTE_BAD_SIGNATURE}). */
    public String adName() {
        return switch (this) {
            case BAD_SIGNATURE -> "NTE_BAD_SIGNATURE";
            case BAD_REQUEST_ENCODING -> "CRYPT_E_ASN1_BADTAG";
            case LOGON_FAILURE -> "ERROR_LOGON_FAILURE";
            case ACCESS_DENIED -> "E_ACCESSDENIED";
            case INVALID_ARGUMENT -> "E_INVALIDARG";
            default -> "CERTSRV_E_" + name();
        };
    }

    public int httpStatus() {
        return httpStatus;
    }

    public String windowsMessage() {
        return windowsMessage;
    }

    @Override
    public String toString() {
        return code() + " " + adName();
    }
}
