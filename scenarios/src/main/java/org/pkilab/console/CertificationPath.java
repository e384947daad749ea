package org.pkilab.console;

import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.SearchResult;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import org.pkilab.host.DomainComputer;
import org.pkilab.host.LabTrust;
import org.pkilab.host.StoredCertificate;
import org.pkilab.host.TrustFailure;
import org.pkilab.windows.WindowsError;

import java.io.ByteArrayInputStream;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * The certificate dialog's Certification Path tab: the chain from the root down to the certificate, built from the
 * computer's stores (the certificate, then its issuer in {@code LocalMachine\Root}), each link with the status Windows
 * shows under "Certificate status", decided by that computer's own chain engine ({@link LabTrust}) on the lab clock.
 * Revocation therefore comes from the CRL the computer itself holds: a CRL stays in its cache until its Next Update, so
 * a certificate the CA revoked a minute ago still reads "This certificate is OK." there, as on Windows, until
 * {@code certutil -urlcache CRL delete}. The tab says so when the CRL the CA published in the directory since already
 * lists the certificate.
 *
 * <pre>
 * CONTOSO-CA                       This certificate is OK.
 *   server1.internal.contoso.com   This certificate has been revoked by its certification authority.  0x80092010 CRYPT_E_REVOKED
 * </pre>
 */
final class CertificationPath {

    static final String OK = "This certificate is OK.";

    /** One certificate of the chain; {@code code} is null when it is OK. */
    record Link(X509Certificate certificate, String store, String status, WindowsError code, String detail) {
        boolean ok() {
            return status.equals(OK);
        }
    }

    private final DomainComputer computer;
    private final List<Link> links;

    private CertificationPath(DomainComputer computer, List<Link> links) {
        this.computer = computer;
        this.links = List.copyOf(links);
    }

    /** The chain of {@code certificate} as {@code computer} builds and checks it now. */
    static CertificationPath of(DomainComputer computer, StoredCertificate certificate) {
        List<X509Certificate> chain = new ArrayList<>(List.of(certificate.certificate()));
        List<X509Certificate> roots = computer.trustedRoots().certificates().stream().map(StoredCertificate::certificate).toList();
        List<X509Certificate> pool = new ArrayList<>(roots);
        pool.addAll(certificate.chain());
        X509Certificate current = certificate.certificate();
        while (!selfSigned(current) && chain.size() < 8) {
            X509Certificate issuer = null;
            for (X509Certificate candidate : pool) {
                if (candidate.getSubjectX500Principal().equals(current.getIssuerX500Principal()) && signedBy(current, candidate)) {
                    issuer = candidate;
                    break;
                }
            }
            if (issuer == null) {
                break;
            }
            chain.add(issuer);
            current = issuer;
        }
        // root first, as the tab draws it
        List<Link> links = new ArrayList<>();
        X509Certificate top = chain.get(chain.size() - 1);
        Link topLink;
        if (!selfSigned(top)) {
            topLink = new Link(top, null, "Windows does not have enough information to verify this certificate: the issuer of this certificate "
                    + "could not be found in LocalMachine\\Root.", WindowsError.CERT_E_UNTRUSTEDROOT, "issuer: " + top.getIssuerX500Principal().getName());
        } else if (!roots.contains(top)) {
            topLink = new Link(top, null, "This CA Root certificate is not trusted because it is not in the Trusted Root Certification Authorities "
                    + "store.", WindowsError.CERT_E_UNTRUSTEDROOT, null);
        } else if (!certificateValidNow(computer, top)) {
            topLink = new Link(top, "Root", "This certificate has expired or is not yet valid.", WindowsError.CERT_E_EXPIRED, null);
        } else {
            topLink = new Link(top, "Root", OK, null, null);
        }
        links.add(topLink);
        Link above = topLink;
        for (int i = chain.size() - 2; i >= 0; i--) {
            X509Certificate c = chain.get(i);
            String store = i == 0 && computer.personal().byThumbprint(thumbprint(c)).isPresent() ? "My" : null;
            Link link;
            if (!above.ok()) {
                link = new Link(c, store, "A certificate above this one in the path is not valid, so this one cannot be trusted: " + above.status(),
                        above.code(), null);
            } else {
                link = check(computer, chain.subList(i, chain.size()), store);
            }
            links.add(link);
            above = link;
        }
        return new CertificationPath(computer, links);
    }

    private static Link check(DomainComputer computer, List<X509Certificate> chain, String store) {
        X509Certificate c = chain.get(0);
        try {
            computer.trust().validate(chain.toArray(new X509Certificate[0]), purpose(c));
            return new Link(c, store, OK, null, null);
        } catch (TrustFailure e) {
            String status = switch (e.reason()) {
                case CRYPT_E_REVOKED -> "This certificate has been revoked by its certification authority.";
                case CRYPT_E_REVOCATION_OFFLINE -> "The revocation function was unable to check revocation because the revocation server was offline.";
                case CERT_E_EXPIRED -> "This certificate has expired or is not yet valid.";
                case CERT_E_WRONG_USAGE -> "This certificate is not valid for the selected purpose.";
                case CERT_E_UNTRUSTEDROOT -> "A certificate chain processed, but terminated in a root certificate which is not trusted by the trust provider.";
                default -> e.reason().windowsMessage();
            };
            return new Link(c, store, status, e.reason(), e.getMessage());
        }
    }

    /** The purpose the chain is checked for: the certificate's own first one, so the path tab judges the chain, not the use. */
    private static String purpose(X509Certificate c) {
        try {
            List<String> ekus = c.getExtendedKeyUsage();
            return ekus == null || ekus.isEmpty() ? LabTrust.SERVER_AUTHENTICATION : ekus.get(0);
        } catch (java.security.cert.CertificateParsingException e) {
            return LabTrust.SERVER_AUTHENTICATION;
        }
    }

    /**
     * When the computer's check found {@code leaf} OK but the CRL its CA has published in the directory since
     * ({@code CN=<CA>,CN=<host>,CN=CDP,CN=Public Key Services,...}, read over the signed-in account's own connection)
     * lists it: the computer still holds an older CRL. Null otherwise.
     */
    static String newerCrl(ConsoleSession session, DomainComputer computer, X509Certificate leaf) {
        String ca = CertificateDialog.commonName(leaf.getIssuerX500Principal().getName());
        try {
            SearchResult found = session.ldap().search(session.directory().names().cdp(), SearchScope.SUB,
                    Filter.createANDFilter(Filter.createEqualityFilter("objectClass", "cRLDistributionPoint"), Filter.createEqualityFilter("cn", ca)),
                    "certificateRevocationList");
            for (SearchResultEntry entry : found.getSearchEntries()) {
                byte[] der = entry.getAttributeValueBytes("certificateRevocationList");
                if (der == null) {
                    continue;
                }
                X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
                X509CRLEntry revoked = crl.getRevokedCertificate(leaf);
                if (revoked != null) {
                    return "The CA has revoked this certificate (serial " + leaf.getSerialNumber().toString(16) + ", revoked "
                            + ComputersView.WHEN.format(revoked.getRevocationDate().toInstant()) + " UTC"
                            + (revoked.getRevocationReason() == null ? "" : ", reason " + revoked.getRevocationReason()) + ") in the CRL it published at "
                            + ComputersView.WHEN.format(crl.getThisUpdate().toInstant()) + " UTC (" + entry.getDN() + "), but " + computer.name()
                            + " still checks with the older CRL in its cache, which it keeps until that CRL's Next Update. To make it fetch the new "
                            + "one now: certutil -urlcache CRL delete on " + computer.name() + " (pkilab host refresh-crl " + computer.name()
                            + ", or Delete cached CRLs on its page).";
                }
            }
        } catch (Exception e) {
            // a directory that will not show this account the CDP object leaves the tab with the computer's own verdict only
        }
        return null;
    }

    boolean leafOk() {
        return links.get(links.size() - 1).ok();
    }

    String leafStatus() {
        Link leaf = links.get(links.size() - 1);
        return leaf.status() + (leaf.code() == null ? "" : " (" + leaf.code() + ")");
    }

    /** The tab: the chain as a tree, each link's status, and the selected certificate's status with the chain engine's reason. */
    String html(ConsoleSession session, String host, String store, String thumbprint) {
        StringBuilder out = new StringBuilder("<h2>Certification path</h2><ul class=\"tree\" aria-label=\"Certification path, root first\">");
        for (int i = 0; i < links.size(); i++) {
            Link link = links.get(i);
            String name = issuedTo(link.certificate());
            String label = link.store() == null ? Html.text(name)
                    : Html.link(CertificateDialog.path(host, link.store(), thumbprint(link.certificate()), "general"), name);
            out.append(i == 0 ? "" : "<ul>").append("<li>").append(label).append(" <span class=\"").append(link.ok() ? "ok" : "bad").append("\">")
                    .append(Html.text(link.ok() ? "OK" : "not valid")).append("</span>");
        }
        out.append("</li></ul>".repeat(links.size()));
        out.append(Html.table("Certificate status of each link, root first", List.of("Certificate", "Certificate status", "Code"), links,
                l -> List.of(Html.text(issuedTo(l.certificate())),
                        "<span class=\"" + (l.ok() ? "ok" : "bad") + "\">" + Html.text(l.status()) + "</span>",
                        l.code() == null ? "" : "<code>" + Html.text(l.code()) + "</code>")));
        Link leaf = links.get(links.size() - 1);
        out.append("<h2>Certificate status</h2>").append(Html.message(leaf.ok() ? "ok" : "error", leaf.status()
                + (leaf.detail() == null ? "" : "\n" + leaf.detail())));
        String newer = leaf.ok() && links.size() > 1 ? newerCrl(session, computer, leaf.certificate()) : null;
        if (newer != null) {
            out.append(Html.message("info", newer));
        }
        out.append("<p>Checked now by ").append(Html.text(computer.name())).append("'s own chain engine on the lab clock: the chain must end in its "
                + "LocalMachine\\Root store, each certificate be within its validity, and none be on the CRL at its CDP URL, which the computer "
                + "downloads once and keeps in its cache until the CRL's Next Update.</p>");
        if (session.administrator()) {
            out.append(Html.form("/hosts/refresh-crl", session.csrf, Html.hidden("name", host) + Html.hidden("store", store)
                    + Html.hidden("thumbprint", thumbprint), "Delete cached CRLs"));
        }
        return out.toString();
    }

    private static boolean selfSigned(X509Certificate c) {
        return c.getSubjectX500Principal().equals(c.getIssuerX500Principal()) && signedBy(c, c);
    }

    private static boolean signedBy(X509Certificate c, X509Certificate issuer) {
        try {
            c.verify(issuer.getPublicKey());
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private static boolean certificateValidNow(DomainComputer computer, X509Certificate c) {
        java.time.Instant now = computer.config().clock().instant();
        return !now.isBefore(c.getNotBefore().toInstant()) && now.isBefore(c.getNotAfter().toInstant());
    }

    private static String thumbprint(X509Certificate c) {
        return stored(c).thumbprint();
    }

    /** The snap-in's name for a certificate: its CN, or its first DNS name when the subject is empty (a web server's often is). */
    private static String issuedTo(X509Certificate c) {
        return stored(c).issuedTo();
    }

    private static StoredCertificate stored(X509Certificate c) {
        return new StoredCertificate(c, null, false, StoredCertificate.KeyStorage.NONE, null, null, List.of());
    }
}
