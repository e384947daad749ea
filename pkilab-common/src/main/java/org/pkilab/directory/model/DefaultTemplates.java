package org.pkilab.directory.model;

import java.time.Duration;
import java.util.List;

/**
 * The default certificate templates an enterprise CA installs into a fresh forest and that the guide
 * duplicates, with the values Windows Server 2008 and later write ([MS-CRTD] Appendix A note 42,
 * matched against a Windows Server 2016 directory dump).
 *
 * <table>
 *   <caption>The twelve templates</caption>
 *   <tr><th>cn</th><th>display name</th><th>schema</th><th>subject</th><th>EKU</th><th>Enroll</th></tr>
 *   <tr><td>WebServer</td><td>Web Server</td><td>1</td><td>supply in request</td><td>Server Authentication</td><td>DA, EA</td></tr>
 *   <tr><td>Workstation</td><td>Workstation Authentication</td><td>2</td><td>DNS name in SAN</td><td>Client Authentication</td><td>DA, DC, EA</td></tr>
 *   <tr><td>ClientAuth</td><td>Authenticated Session</td><td>1</td><td>directory path + UPN</td><td>Client Authentication</td><td>DA, DU, EA</td></tr>
 *   <tr><td>Machine</td><td>Computer</td><td>1</td><td>DNS name as CN + SAN</td><td>Client + Server Authentication</td><td>DA, DC, EA</td></tr>
 *   <tr><td>User</td><td>User</td><td>1</td><td>directory path, e-mail, UPN</td><td>EFS, Secure Email, Client Authentication</td><td>DA, DU, EA</td></tr>
 *   <tr><td>EnrollmentAgent</td><td>Enrollment Agent</td><td>1</td><td>directory path + UPN</td><td>Certificate Request Agent</td><td>DA, EA</td></tr>
 *   <tr><td>SubCA</td><td>Subordinate Certification Authority</td><td>1</td><td>supply in request</td><td>none (any purpose); a CA certificate</td><td>DA, EA</td></tr>
 *   <tr><td>OCSPResponseSigning</td><td>OCSP Response Signing</td><td>3</td><td>DNS name as CN + SAN</td><td>OCSP Signing</td><td>DA, EA</td></tr>
 *   <tr><td>CEPEncryption</td><td>CEP Encryption</td><td>1</td><td>supply in request</td><td>Certificate Request Agent (key encipherment)</td><td>DA, EA</td></tr>
 *   <tr><td>EnrollmentAgentOffline</td><td>Exchange Enrollment Agent (Offline request)</td><td>1</td><td>supply in request</td><td>Certificate Request Agent (digital signature)</td><td>DA, EA</td></tr>
 *   <tr><td>IPSECIntermediateOffline</td><td>IPSec (Offline request)</td><td>1</td><td>supply in request</td><td>IP security IKE intermediate</td><td>DA, EA</td></tr>
 *   <tr><td>KerberosAuthentication</td><td>Kerberos Authentication</td><td>2</td><td>none; DNS name and domain DNS name in SAN</td><td>Client + Server Authentication, Smart Card Logon, KDC Authentication</td><td>DA, DD, ED, EA; Autoenroll DD, ED</td></tr>
 * </table>
 *
 * <p>Every default grants Authenticated Users Read, Domain Admins and Enterprise Admins Read and
 * Write. Only Kerberos Authentication grants Autoenroll: to Domain Controllers and Enterprise Domain
 * Controllers, whose autoenrollment gives every DC the certificate it serves LDAPS and StartTLS with
 * (and its KDC would use for smart card logon). It is the domain controller template of a Windows
 * Server 2008 and later CA, and supersedes the older Domain Controller and Domain Controller
 * Authentication templates, which the lab does not have. Template OIDs are the forest's OID base plus
 * {@code .1.<n>}.
 *
 * <p>Enrollment Agent is the certificate with which its holder signs requests on behalf of other users (smart card
 * enrollment stations): a new CA does not issue it, and only Domain Admins and Enterprise Admins may enroll for it. An
 * administrator who puts it on the issue list and lets ordinary users enroll opens ESC3.
 *
 * <p>OCSP Response Signing is the Online Responder's: a short-lived key (two weeks, renewed in the last two days) for
 * signing OCSP answers, with {@code CT_FLAG_ADD_OCSP_NOCHECK} so the CA writes id-pkix-ocsp-nocheck into it and
 * clients do not ask the responder about its own certificate. The lab's CA enrolls for it itself at start, as it does
 * for its web server's certificate.
 *
 * <p>CEP Encryption and Exchange Enrollment Agent (Offline request) are the two registration authority (RA) certificates
 * the Network Device Enrollment Service holds: SCEP clients encrypt their requests to the first (key encipherment) and
 * check the answers' signature with the second (digital signature); both carry the Certificate Request Agent EKU, as NDES
 * submits on behalf of the devices. IPSec (Offline request) is the template NDES issues from until an administrator
 * names others in its {@code MSCEP} registry key ({@code EncryptionTemplate}, {@code SignatureTemplate},
 * {@code GeneralPurposeTemplate}): the subject from the request, IKE intermediate, digital signature and key encipherment.
 * The values are a Windows Server 2016 forest's (OIDs {@code .1.22}, {@code .1.12} and {@code .1.20}, two years, key
 * usage critical).
 */
public final class DefaultTemplates {

    public static final String WEB_SERVER = "WebServer";
    public static final String WORKSTATION = "Workstation";
    public static final String CLIENT_AUTH = "ClientAuth";
    public static final String MACHINE = "Machine";
    public static final String USER = "User";
    public static final String KERBEROS_AUTHENTICATION = "KerberosAuthentication";
    public static final String ENROLLMENT_AGENT = "EnrollmentAgent";
    /** Subordinate Certification Authority: the subject from the request, no EKU (any purpose); administrators only. */
    public static final String SUB_CA = "SubCA";
    /** The Online Responder's signing certificate: OCSP Signing, id-pkix-ocsp-nocheck, two weeks; issued by the CA to itself. */
    public static final String OCSP_RESPONSE_SIGNING = "OCSPResponseSigning";
    /** NDES's RA certificate that SCEP clients encrypt their requests to ("CEP Encryption"). */
    public static final String CEP_ENCRYPTION = "CEPEncryption";
    /** NDES's RA certificate that signs its SCEP answers ("Exchange Enrollment Agent (Offline request)"). */
    public static final String ENROLLMENT_AGENT_OFFLINE = "EnrollmentAgentOffline";
    /** "IPSec (Offline request)": the template NDES issues SCEP requests from by default. */
    public static final String IPSEC_INTERMEDIATE_OFFLINE = "IPSECIntermediateOffline";
    /** id-kp-ipsecIKE-intermediate (RFC 4945's "IP security IKE intermediate"), IPSec (Offline request)'s EKU. */
    public static final String OID_IKE_INTERMEDIATE = "1.3.6.1.5.5.8.2.2";
    /** id-kp-OCSPSigning, "OCSP Signing". */
    public static final String OID_OCSP_SIGNING = "1.3.6.1.5.5.7.3.9";
    /** szOID_ENROLLMENT_AGENT, "Certificate Request Agent". */
    public static final String OID_CERTIFICATE_REQUEST_AGENT = "1.3.6.1.4.1.311.20.2.1";

    private static final String READ_WRITE_BASE = "O:EAG:EAD:PAI(A;;LCRPLORC;;;AU)"
            + "(A;;CCDCLCSWRPWPDTLOSDRCWDWO;;;DA)(A;;CCDCLCSWRPWPDTLOSDRCWDWO;;;EA)";
    private static final Duration ONE_YEAR = Duration.ofDays(365);
    private static final Duration SIX_WEEKS = Duration.ofDays(42);
    private static final List<String> KDC = List.of(CertificateTemplate.OID_CLIENT_AUTHENTICATION,
            CertificateTemplate.OID_SERVER_AUTHENTICATION, CertificateTemplate.OID_SMART_CARD_LOGON,
            CertificateTemplate.OID_KDC_AUTHENTICATION);
    private static final List<String> SCHANNEL = List.of("1,Microsoft RSA SChannel Cryptographic Provider");

    private DefaultTemplates() {
    }

    /** The twelve templates for a forest with this OID base and root-domain SID. */
    public static List<CertificateTemplate> all(String forestOidBase, SecurityIdentifier domainSid) {
        return List.of(
                CertificateTemplate.builder(WEB_SERVER).displayName("Web Server")
                        .schemaVersion(1).revision(4).minorRevision(1).oid(forestOidBase + ".1.16")
                        .flags(0x10241).certificateNameFlags(0x1).enrollmentFlags(0).privateKeyFlags(0)
                        .extendedKeyUsages(List.of(CertificateTemplate.OID_SERVER_AUTHENTICATION))
                        .keyUsage(new byte[]{(byte) 0xA0, 0}).validity(Duration.ofDays(730)).renewalPeriod(SIX_WEEKS)
                        .cryptographicProviders(List.of("2,Microsoft DH SChannel Cryptographic Provider",
                                "1,Microsoft RSA SChannel Cryptographic Provider"))
                        .securityDescriptor(sd(domainSid))
                        .build(),
                CertificateTemplate.builder(WORKSTATION).displayName("Workstation Authentication")
                        .schemaVersion(2).revision(101).minorRevision(0).oid(forestOidBase + ".1.30")
                        .flags(0x10260).certificateNameFlags(0x08000000).enrollmentFlags(0x20).privateKeyFlags(0)
                        .extendedKeyUsages(List.of(CertificateTemplate.OID_CLIENT_AUTHENTICATION))
                        .applicationPolicies(List.of(CertificateTemplate.OID_CLIENT_AUTHENTICATION))
                        .keyUsage(new byte[]{(byte) 0xA0, 0}).validity(ONE_YEAR).renewalPeriod(SIX_WEEKS)
                        .cryptographicProviders(SCHANNEL)
                        .securityDescriptor(sd(domainSid, "DC"))
                        .build(),
                CertificateTemplate.builder(CLIENT_AUTH).displayName("Authenticated Session")
                        .schemaVersion(1).revision(3).minorRevision(1).oid(forestOidBase + ".1.4")
                        .flags(0x10220).certificateNameFlags(0x82000000).enrollmentFlags(0x20).privateKeyFlags(0)
                        .extendedKeyUsages(List.of(CertificateTemplate.OID_CLIENT_AUTHENTICATION))
                        .keyUsage(new byte[]{(byte) 0x80, 0}).validity(ONE_YEAR).renewalPeriod(SIX_WEEKS)
                        .cryptographicProviders(List.of("3,Microsoft Base DSS Cryptographic Provider",
                                "2,Microsoft Base Cryptographic Provider v1.0",
                                "1,Microsoft Enhanced Cryptographic Provider v1.0"))
                        .defaultKeySpec(2)
                        .securityDescriptor(sd(domainSid, "DU"))
                        .build(),
                CertificateTemplate.builder(MACHINE).displayName("Computer")
                        .schemaVersion(1).revision(5).minorRevision(1).oid(forestOidBase + ".1.14")
                        .flags(0x10260).certificateNameFlags(0x18000000).enrollmentFlags(0x20).privateKeyFlags(0)
                        .extendedKeyUsages(List.of(CertificateTemplate.OID_CLIENT_AUTHENTICATION,
                                CertificateTemplate.OID_SERVER_AUTHENTICATION))
                        .keyUsage(new byte[]{(byte) 0xA0, 0}).validity(ONE_YEAR).renewalPeriod(SIX_WEEKS)
                        .cryptographicProviders(SCHANNEL)
                        .securityDescriptor(sd(domainSid, "DC"))
                        .build(),
                CertificateTemplate.builder(USER).displayName("User")
                        .schemaVersion(1).revision(3).minorRevision(1).oid(forestOidBase + ".1.1")
                        .flags(0x1023A).certificateNameFlags(0xA6000000).enrollmentFlags(0x29).privateKeyFlags(0x10)
                        .extendedKeyUsages(List.of(CertificateTemplate.OID_ENCRYPTING_FILE_SYSTEM,
                                CertificateTemplate.OID_SECURE_EMAIL, CertificateTemplate.OID_CLIENT_AUTHENTICATION))
                        .keyUsage(new byte[]{(byte) 0xA0, 0}).validity(ONE_YEAR).renewalPeriod(SIX_WEEKS)
                        .cryptographicProviders(List.of("2,Microsoft Base Cryptographic Provider v1.0",
                                "1,Microsoft Enhanced Cryptographic Provider v1.0"))
                        .securityDescriptor(sd(domainSid, "DU"))
                        .build(),
                CertificateTemplate.builder(ENROLLMENT_AGENT).displayName("Enrollment Agent")
                        .schemaVersion(1).revision(4).minorRevision(1).oid(forestOidBase + ".1.11")
                        .flags(0x10220).certificateNameFlags(0x82000000).enrollmentFlags(0x20).privateKeyFlags(0)
                        .extendedKeyUsages(List.of(OID_CERTIFICATE_REQUEST_AGENT))
                        .keyUsage(new byte[]{(byte) 0x80, 0}).validity(Duration.ofDays(730)).renewalPeriod(SIX_WEEKS)
                        .cryptographicProviders(List.of("2,Microsoft Base Cryptographic Provider v1.0",
                                "1,Microsoft Enhanced Cryptographic Provider v1.0"))
                        .defaultKeySpec(2)
                        .securityDescriptor(sd(domainSid))
                        .build(),
                CertificateTemplate.builder(SUB_CA).displayName("Subordinate Certification Authority")
                        .schemaVersion(1).revision(5).minorRevision(1).oid(forestOidBase + ".1.18")
                        .flags(0x102D1).certificateNameFlags(0x1).enrollmentFlags(0).privateKeyFlags(0x10)
                        .extendedKeyUsages(List.of())
                        .keyUsage(new byte[]{(byte) 0x86, 0}).validity(Duration.ofDays(1826)).renewalPeriod(SIX_WEEKS)
                        .maxIssuingDepth(-1).criticalExtensions(List.of("2.5.29.15", "2.5.29.19"))
                        .cryptographicProviders(List.of("1,Microsoft Enhanced Cryptographic Provider v1.0"))
                        .defaultKeySpec(2)
                        .securityDescriptor(sd(domainSid))
                        .build(),
                CertificateTemplate.builder(KERBEROS_AUTHENTICATION).displayName("Kerberos Authentication")
                        .schemaVersion(2).revision(110).minorRevision(0).oid(forestOidBase + ".1.33")
                        .flags(0x10260).certificateNameFlags(0x08400000).enrollmentFlags(0x28).privateKeyFlags(0)
                        .extendedKeyUsages(KDC)
                        .applicationPolicies(KDC)
                        .supersededTemplates(List.of("DomainController", "DomainControllerAuthentication"))
                        .keyUsage(new byte[]{(byte) 0xA0, 0}).validity(ONE_YEAR).renewalPeriod(SIX_WEEKS)
                        .cryptographicProviders(SCHANNEL)
                        .securityDescriptor(autoenrolledBy(domainSid, "DD", "ED"))
                        .build(),
                CertificateTemplate.builder(OCSP_RESPONSE_SIGNING).displayName("OCSP Response Signing")
                        .schemaVersion(3).revision(101).minorRevision(3).oid(forestOidBase + ".1.32")
                        .flags(0x10260).certificateNameFlags(0x18000000)
                        .enrollmentFlags(TemplateFlags.Enrollment.AUTO_ENROLLMENT.value() | TemplateFlags.Enrollment.ADD_OCSP_NOCHECK.value())
                        .privateKeyFlags(0)
                        .extendedKeyUsages(List.of(OID_OCSP_SIGNING))
                        .applicationPolicies(List.of(OID_OCSP_SIGNING))
                        .keyUsage(new byte[]{(byte) 0x80, 0}).validity(Duration.ofDays(14)).renewalPeriod(Duration.ofDays(2))
                        .cryptographicProviders(List.of())
                        .securityDescriptor(sd(domainSid))
                        .build(),
                CertificateTemplate.builder(CEP_ENCRYPTION).displayName("CEP Encryption")
                        .schemaVersion(1).revision(4).minorRevision(1).oid(forestOidBase + ".1.22")
                        .flags(0x10241).certificateNameFlags(0x1).enrollmentFlags(0).privateKeyFlags(0)
                        .extendedKeyUsages(List.of(OID_CERTIFICATE_REQUEST_AGENT))
                        .keyUsage(new byte[]{0x20, 0}).validity(Duration.ofDays(730)).renewalPeriod(SIX_WEEKS)
                        .criticalExtensions(List.of("2.5.29.15"))
                        .cryptographicProviders(SCHANNEL)
                        .securityDescriptor(sd(domainSid))
                        .build(),
                CertificateTemplate.builder(ENROLLMENT_AGENT_OFFLINE).displayName("Exchange Enrollment Agent (Offline request)")
                        .schemaVersion(1).revision(4).minorRevision(1).oid(forestOidBase + ".1.12")
                        .flags(0x10201).certificateNameFlags(0x1).enrollmentFlags(0).privateKeyFlags(0)
                        .extendedKeyUsages(List.of(OID_CERTIFICATE_REQUEST_AGENT))
                        .keyUsage(new byte[]{(byte) 0x80, 0}).validity(Duration.ofDays(730)).renewalPeriod(SIX_WEEKS)
                        .criticalExtensions(List.of("2.5.29.15"))
                        .cryptographicProviders(List.of("3,Microsoft Base DSS Cryptographic Provider",
                                "2,Microsoft Base Cryptographic Provider v1.0",
                                "1,Microsoft Enhanced Cryptographic Provider v1.0"))
                        .defaultKeySpec(2)
                        .securityDescriptor(sd(domainSid))
                        .build(),
                CertificateTemplate.builder(IPSEC_INTERMEDIATE_OFFLINE).displayName("IPSec (Offline request)")
                        .schemaVersion(1).revision(7).minorRevision(1).oid(forestOidBase + ".1.20")
                        .flags(0x10241).certificateNameFlags(0x1).enrollmentFlags(0).privateKeyFlags(0)
                        .extendedKeyUsages(List.of(OID_IKE_INTERMEDIATE))
                        .keyUsage(new byte[]{(byte) 0xA0, 0}).validity(Duration.ofDays(730)).renewalPeriod(SIX_WEEKS)
                        .criticalExtensions(List.of("2.5.29.15"))
                        .cryptographicProviders(SCHANNEL)
                        .securityDescriptor(sd(domainSid))
                        .build());
    }

    /** {@link #sd} with Enroll for {@code enrollers} too, and Autoenroll for them alone. */
    private static SecurityDescriptor autoenrolledBy(SecurityIdentifier domainSid, String... enrollers) {
        StringBuilder sddl = new StringBuilder(READ_WRITE_BASE);
        for (String alias : concat("DA", enrollers, "EA")) {
            sddl.append("(OA;;RPWPCR;").append(AccessRight.ENROLL.extendedRightGuid()).append(";;").append(alias).append(')');
        }
        for (String alias : enrollers) {
            sddl.append("(OA;;RPWPCR;").append(AccessRight.AUTOENROLL.extendedRightGuid()).append(";;").append(alias).append(')');
        }
        return SecurityDescriptor.parse(sddl.toString(), domainSid);
    }

    /** Read for Authenticated Users, Read/Write for DA and EA, and Enroll for DA, EA and the extra aliases. */
    private static SecurityDescriptor sd(SecurityIdentifier domainSid, String... alsoEnroll) {
        StringBuilder sddl = new StringBuilder(READ_WRITE_BASE);
        for (String alias : concat("DA", alsoEnroll, "EA")) {
            sddl.append("(OA;;RPWPCR;").append(AccessRight.ENROLL.extendedRightGuid()).append(";;").append(alias).append(')');
        }
        return SecurityDescriptor.parse(sddl.toString(), domainSid);
    }

    private static List<String> concat(String first, String[] middle, String last) {
        List<String> all = new java.util.ArrayList<>();
        all.add(first);
        all.addAll(List.of(middle));
        all.add(last);
        return all;
    }
}
