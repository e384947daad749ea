package org.pkilab.console;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.ASN1TaggedObject;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.pkilab.host.CertificateStore;
import org.pkilab.host.DomainComputer;
import org.pkilab.host.StoredCertificate;
import org.pkilab.lab.Lab;

import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The certificate dialog Windows opens on a double click in the Certificates snap-in, with its three tabs:
 * <ul>
 *   <li><b>General</b>: what the certificate is for, Issued to, Issued by, Valid from/to, and "You have a private key
 *       that corresponds to this certificate" when the store holds its key;</li>
 *   <li><b>Details</b>: every field and extension with its OID and value as the dialog words it: the SAN
 *       ({@code DNS Name=server1.internal.contoso.com}), Enhanced Key Usage, the template ({@code 1.3.6.1.4.1.311.21.7}
 *       Certificate Template Information, or {@code 1.3.6.1.4.1.311.20.2} Certificate Template Name for schema 1), the
 *       SID extension {@code 1.3.6.1.4.1.311.25.2} that strong certificate mapping reads, the CDP and AIA URLs, Key
 *       Usage and the SHA-1 thumbprint IIS binds by;</li>
 *   <li><b>Certification Path</b>: the chain from the root down to the certificate, each link with its status in the
 *       dialog's words, checked by that computer's own chain engine ({@link CertificationPath}).</li>
 * </ul>
 * <pre>
 * /hosts/certificate?name=IIS01&amp;store=My&amp;thumbprint=3F2A...&amp;tab=path
 * </pre>
 */
final class CertificateDialog {

    static final DateTimeFormatter LONG = DateTimeFormatter.ofPattern("EEEE, MMMM d, yyyy h:mm:ss a 'UTC'", Locale.US).withZone(ZoneOffset.UTC);
    private static final List<String> TABS = List.of("general", "details", "path");
    private static final Map<String, String> PURPOSE_TEXT = Map.of(
            "Server Authentication", "Ensures the identity of a remote computer",
            "Client Authentication", "Proves your identity to a remote computer",
            "Secure Email", "Protects e-mail messages",
            "Encrypting File System", "Allows data on disk to be encrypted",
            "<All>", "All issuance policies, all application policies");

    private CertificateDialog() {
    }

    static String path(String host, String store, String thumbprint, String tab) {
        return "/hosts/certificate?name=" + Html.query(host) + "&store=" + Html.query(store) + "&thumbprint=" + Html.query(thumbprint)
                + "&tab=" + Html.query(tab);
    }

    static ConsoleAnswer page(ConsoleRequest request, Lab lab, DomainComputer computer) throws Exception {
        String storeName = request.parameter("store") == null ? "My" : request.parameter("store");
        CertificateStore store = switch (storeName.toLowerCase(Locale.ROOT)) {
            case "my" -> computer.personal();
            case "root" -> computer.trustedRoots();
            default -> throw new ConsoleAnswer.Refused(404, "No such store", computer.name() + " has no store '" + storeName
                    + "' in the console: it shows My (Personal) and Root (Trusted Root Certification Authorities).");
        };
        String thumbprint = request.required("thumbprint").replace(" ", "").toUpperCase(Locale.ROOT);
        StoredCertificate certificate = store.byThumbprint(thumbprint).orElseThrow(() -> new ConsoleAnswer.Refused(404, "No such certificate",
                "There is no certificate with thumbprint " + thumbprint + " in " + store.name() + " of " + computer.name() + ": it holds "
                        + (store.certificates().isEmpty() ? "none" : String.join(", ", store.certificates().stream()
                        .map(c -> c.issuedTo() + " (" + c.thumbprint() + ")").toList())) + "."));
        String tab = request.parameter("tab") == null ? "general" : request.parameter("tab").toLowerCase(Locale.ROOT);
        if (!TABS.contains(tab)) {
            throw new ConsoleAnswer.Refused(404, "Not found", "The certificate dialog has no tab '" + tab + "': it has general, details and path.");
        }
        String host = computer.name();
        String key = store == computer.personal() ? "My" : "Root";
        StringBuilder body = new StringBuilder("<p>").append(Html.link(ComputersView.hostPath(host, "certificates"), host + ": Certificates (Local Computer)"))
                .append(" &gt; ").append(Html.text(store.name())).append("</p>");
        body.append(Html.tabs("Certificate dialog", List.of(new String[] {"General", path(host, key, thumbprint, "general")},
                new String[] {"Details", path(host, key, thumbprint, "details")},
                new String[] {"Certification Path", path(host, key, thumbprint, "path")}),
                switch (tab) {
                    case "details" -> "Details";
                    case "path" -> "Certification Path";
                    default -> "General";
                }));
        CertificationPath chain = CertificationPath.of(computer, certificate);
        body.append(switch (tab) {
            case "details" -> details(certificate);
            case "path" -> chain.html(request.session(), host, key, thumbprint);
            default -> general(certificate, chain);
        });
        return ConsoleAnswer.Page.of("Certificate: " + certificate.issuedTo(), "/hosts", body.toString(), "hosts", "ca", "clock");
    }

    private static String general(StoredCertificate c, CertificationPath chain) {
        StringBuilder out = new StringBuilder("<h2>Certificate Information</h2>");
        if (chain.leafOk()) {
            out.append("<p>This certificate is intended for the following purpose(s):</p><ul>");
            for (String purpose : c.intendedPurposes()) {
                out.append("<li>").append(Html.text(PURPOSE_TEXT.getOrDefault(purpose, purpose))).append(" (").append(Html.text(purpose)).append(")</li>");
            }
            out.append("</ul>");
        } else {
            out.append(Html.message("error", chain.leafStatus() + " See the Certification Path tab."));
        }
        out.append(Html.fields(List.of(
                new String[] {"Issued to", Html.text(c.issuedTo())},
                new String[] {"Issued by", Html.text(commonName(c.certificate().getIssuerX500Principal().getName()))},
                new String[] {"Valid from", Html.text(LONG.format(c.notBefore()))},
                new String[] {"Valid to", Html.text(LONG.format(c.notAfter()))},
                new String[] {"Certificate Template", Html.text(c.certificateTemplate() == null ? "(none)" : c.certificateTemplate())})));
        if (c.privateKey() != null) {
            out.append("<p class=\"ok\">You have a private key that corresponds to this certificate.</p>");
            out.append("<p>Key storage: ").append(Html.text(switch (c.keyStorage()) {
                case LEGACY_CSP -> "a legacy CryptoAPI provider (Microsoft RSA SChannel Cryptographic Provider)";
                case CNG_KSP -> "a CNG key storage provider (Microsoft Software Key Storage Provider): Configuration Manager cannot use it";
                case NONE -> "none";
            })).append(c.exportable() ? "; the key can be exported (PFX)." : "; the key cannot be exported.").append("</p>");
        }
        return out.toString();
    }

    private static String details(StoredCertificate c) throws Exception {
        X509Certificate x = c.certificate();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"Version", "V" + x.getVersion(), ""});
        rows.add(new String[] {"Serial number", HexFormat.of().formatHex(x.getSerialNumber().toByteArray()), ""});
        rows.add(new String[] {"Signature algorithm", windowsAlgorithm(x.getSigAlgName()), x.getSigAlgOID()});
        rows.add(new String[] {"Signature hash algorithm", windowsAlgorithm(x.getSigAlgName()).replaceAll("(RSA|ECDSA)$", ""), ""});
        rows.add(new String[] {"Issuer", windowsName(x.getIssuerX500Principal().getName()), ""});
        rows.add(new String[] {"Valid from", LONG.format(c.notBefore()), ""});
        rows.add(new String[] {"Valid to", LONG.format(c.notAfter()), ""});
        rows.add(new String[] {"Subject", windowsName(x.getSubjectX500Principal().getName()), ""});
        rows.add(new String[] {"Public key", x.getPublicKey() instanceof RSAPublicKey rsa ? "RSA (" + rsa.getModulus().bitLength() + " Bits)"
                : x.getPublicKey().getAlgorithm(), ""});
        List<String> oids = new ArrayList<>();
        if (x.getNonCriticalExtensionOIDs() != null) {
            oids.addAll(x.getNonCriticalExtensionOIDs());
        }
        List<String> critical = x.getCriticalExtensionOIDs() == null ? List.of() : List.copyOf(x.getCriticalExtensionOIDs());
        oids.addAll(critical);
        oids.sort(null);
        for (String oid : oids) {
            rows.add(new String[] {CertificateExtensions.name(oid) + (critical.contains(oid) ? " (critical)" : ""),
                    CertificateExtensions.value(c, oid), oid});
        }
        rows.add(new String[] {"Thumbprint", c.thumbprint().toLowerCase(Locale.ROOT), "SHA-1 of the certificate"});
        rows.add(new String[] {"SHA-256 thumbprint", HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(x.getEncoded())), ""});
        return Html.table("Details of " + c.issuedTo(), List.of("Field", "Value"), rows,
                r -> List.of(Html.text(r[0]) + (r[2].isEmpty() ? "" : "<br><code class=\"oid\">" + Html.text(r[2]) + "</code>"),
                        Html.text(r[1]).replace("\n", "<br>")));
    }

    /** The CN of a distinguished name (the snap-in's Issued By), or the whole name when it has none. */
    static String commonName(String dn) {
        for (String part : dn.split(",")) {
            if (part.trim().startsWith("CN=")) {
                return part.trim().substring(3);
            }
        }
        return dn;
    }

    /** {@code CN = CONTOSO-CA, DC = contoso, DC = com}: the Details tab's spelling. */
    private static String windowsName(String dn) {
        return String.join("\n", java.util.Arrays.stream(dn.split(",(?=[A-Za-z0-9.]+=)")).map(p -> p.replaceFirst("=", " = ")).toList());
    }

    /** {@code SHA256withRSA} as Windows writes it: {@code sha256RSA}. */
    private static String windowsAlgorithm(String java) {
        String[] parts = java.split("with");
        return parts.length == 2 ? parts[0].toLowerCase(Locale.ROOT).replace("-", "") + parts[1].toUpperCase(Locale.ROOT) : java;
    }

    /** The extensions the Details tab names and decodes; others show their bytes. */
    static final class CertificateExtensions {

        private static final Map<String, String> NAMES = Map.ofEntries(
                Map.entry("2.5.29.17", "Subject Alternative Name"), Map.entry("2.5.29.37", "Enhanced Key Usage"),
                Map.entry("1.3.6.1.4.1.311.21.7", "Certificate Template Information"), Map.entry("1.3.6.1.4.1.311.20.2", "Certificate Template Name"),
                Map.entry("1.3.6.1.4.1.311.25.2", "1.3.6.1.4.1.311.25.2 (the SID extension, szOID_NTDS_CA_SECURITY_EXT)"),
                Map.entry("2.5.29.31", "CRL Distribution Points"), Map.entry("1.3.6.1.5.5.7.1.1", "Authority Information Access"),
                Map.entry("2.5.29.15", "Key Usage"), Map.entry("2.5.29.14", "Subject Key Identifier"), Map.entry("2.5.29.35", "Authority Key Identifier"),
                Map.entry("2.5.29.19", "Basic Constraints"), Map.entry("1.3.6.1.4.1.311.21.10", "Application Policies"),
                Map.entry("2.5.29.32", "Certificate Policies"), Map.entry("1.3.6.1.4.1.311.21.1", "CA Version"), Map.entry("2.5.29.46", "Freshest CRL"));
        private static final String[] KEY_USAGE = {"Digital Signature", "Non-Repudiation", "Key Encipherment", "Data Encipherment", "Key Agreement",
                "Certificate Signing", "Off-line CRL Signing", "Encipher Only", "Decipher Only"};

        private CertificateExtensions() {
        }

        static String name(String oid) {
            return NAMES.getOrDefault(oid, oid);
        }

        static String value(StoredCertificate c, String oid) {
            X509Certificate x = c.certificate();
            try {
                ASN1Primitive v = ASN1Primitive.fromByteArray(ASN1OctetString.getInstance(x.getExtensionValue(oid)).getOctets());
                return switch (oid) {
                    case "2.5.29.17" -> String.join("\n", c.subjectAlternativeNames());
                    case "2.5.29.37" -> String.join("\n", x.getExtendedKeyUsage().stream().map(o -> purpose(o) + " (" + o + ")").toList());
                    case "1.3.6.1.4.1.311.21.10" -> applicationPolicies(ASN1Sequence.getInstance(v));
                    case "1.3.6.1.4.1.311.21.7" -> templateInformation(c, ASN1Sequence.getInstance(v));
                    case "1.3.6.1.4.1.311.20.2" -> ((ASN1String) v).getString();
                    case "1.3.6.1.4.1.311.25.2" -> sidExtension(ASN1Sequence.getInstance(v));
                    case "2.5.29.31" -> distributionPoints(CRLDistPoint.getInstance(v));
                    case "1.3.6.1.5.5.7.1.1" -> authorityInformation(AuthorityInformationAccess.getInstance(v));
                    case "2.5.29.15" -> keyUsage(x.getKeyUsage(), v);
                    case "2.5.29.19" -> x.getBasicConstraints() < 0 ? "Subject Type=End Entity\nPath Length Constraint=None"
                            : "Subject Type=CA\nPath Length Constraint=" + (x.getBasicConstraints() == Integer.MAX_VALUE ? "None" : x.getBasicConstraints());
                    case "2.5.29.14" -> HexFormat.of().formatHex(ASN1OctetString.getInstance(v).getOctets());
                    default -> HexFormat.ofDelimiter(" ").formatHex(v.getEncoded());
                };
            } catch (Exception e) {
                return "(this extension does not parse: " + e.getMessage() + ")";
            }
        }

        private static String purpose(String oid) {
            return switch (oid) {
                case "1.3.6.1.5.5.7.3.1" -> "Server Authentication";
                case "1.3.6.1.5.5.7.3.2" -> "Client Authentication";
                case "1.3.6.1.5.5.7.3.4" -> "Secure Email";
                case "1.3.6.1.4.1.311.20.2.1" -> "Certificate Request Agent";
                case "1.3.6.1.4.1.311.20.2.2" -> "Smart Card Logon";
                case "2.5.29.37.0" -> "Any Purpose";
                default -> oid;
            };
        }

        private static String applicationPolicies(ASN1Sequence policies) {
            List<String> out = new ArrayList<>();
            for (ASN1Encodable p : policies) {
                String oid = ASN1ObjectIdentifier.getInstance(ASN1Sequence.getInstance(p).getObjectAt(0)).getId();
                out.add("[" + (out.size() + 1) + "]Application Certificate Policy:\n Policy Identifier=" + purpose(oid));
            }
            return String.join("\n", out);
        }

        private static String templateInformation(StoredCertificate c, ASN1Sequence info) {
            String oid = ASN1ObjectIdentifier.getInstance(info.getObjectAt(0)).getId();
            StringBuilder out = new StringBuilder("Template=").append(c.certificateTemplate() == null ? oid : c.certificateTemplate() + "(" + oid + ")");
            if (info.size() > 1) {
                out.append("\nMajor Version Number=").append(info.getObjectAt(1));
            }
            if (info.size() > 2) {
                out.append("\nMinor Version Number=").append(info.getObjectAt(2));
            }
            return out.toString();
        }

        /** SEQUENCE { OtherName 1.3.6.1.4.1.311.25.2.1 [0] OCTET STRING "S-1-5-21-...-1105" }: the account's SID, for strong mapping. */
        private static String sidExtension(ASN1Sequence names) {
            List<String> out = new ArrayList<>();
            for (ASN1Encodable e : names) {
                ASN1Primitive p = e.toASN1Primitive();
                ASN1Sequence other = p instanceof ASN1TaggedObject t ? ASN1Sequence.getInstance(t, false) : ASN1Sequence.getInstance(p);
                String type = ASN1ObjectIdentifier.getInstance(other.getObjectAt(0)).getId();
                ASN1Encodable value = other.getObjectAt(1);
                while (value instanceof ASN1TaggedObject t) {
                    value = t.getExplicitBaseObject();
                }
                String text = value instanceof ASN1OctetString s ? new String(s.getOctets(), java.nio.charset.StandardCharsets.US_ASCII) : value.toString();
                out.add("Other Name:" + (type.equals("1.3.6.1.4.1.311.25.2.1") ? "SID" : type) + "=" + text);
            }
            return String.join("\n", out);
        }

        private static String distributionPoints(CRLDistPoint cdp) {
            StringBuilder out = new StringBuilder();
            int i = 1;
            for (DistributionPoint dp : cdp.getDistributionPoints()) {
                out.append("[").append(i++).append("]CRL Distribution Point\n Distribution Point Name:\n  Full Name:\n");
                if (dp.getDistributionPoint() != null && dp.getDistributionPoint().getType() == DistributionPointName.FULL_NAME) {
                    for (GeneralName n : GeneralNames.getInstance(dp.getDistributionPoint().getName()).getNames()) {
                        out.append("   URL=").append(n.getName()).append('\n');
                    }
                }
            }
            return out.toString().trim();
        }

        private static String authorityInformation(AuthorityInformationAccess aia) {
            StringBuilder out = new StringBuilder();
            int i = 1;
            for (AccessDescription d : aia.getAccessDescriptions()) {
                String method = d.getAccessMethod().equals(AccessDescription.id_ad_caIssuers) ? "Certification Authority Issuer (1.3.6.1.5.5.7.48.2)"
                        : d.getAccessMethod().equals(AccessDescription.id_ad_ocsp) ? "On-line Certificate Status Protocol (1.3.6.1.5.5.7.48.1)"
                        : d.getAccessMethod().getId();
                out.append("[").append(i++).append("]Authority Info Access\n Access Method=").append(method).append("\n Alternative Name:\n  URL=")
                        .append(d.getAccessLocation().getName()).append('\n');
            }
            return out.toString().trim();
        }

        private static String keyUsage(boolean[] bits, ASN1Primitive raw) {
            List<String> names = new ArrayList<>();
            for (int i = 0; bits != null && i < bits.length && i < KEY_USAGE.length; i++) {
                if (bits[i]) {
                    names.add(KEY_USAGE[i]);
                }
            }
            byte[] bytes = org.bouncycastle.asn1.DERBitString.getInstance(raw).getBytes();
            return String.join(", ", names) + " (" + HexFormat.of().formatHex(bytes) + ")";
        }
    }
}
