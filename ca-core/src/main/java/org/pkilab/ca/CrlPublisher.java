package org.pkilab.ca;

import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

/**
 * Makes the CA's CRLs: a base CRL listing every revoked certificate, valid for the CRL period (1 week
 * by default), and a delta CRL listing those revoked since the base, valid for the delta period (1 day).
 * Both share one increasing CRL number, as AD CS does; the base names the delta in its Freshest CRL
 * extension and the delta names its base in Delta CRL Indicator. A new pair is made when a certificate
 * is revoked, and when the current one is due (10% of its period before {@code nextUpdate}, at most
 * 12 hours, AD CS's overlap), by whatever clock the lab runs on.
 */
final class CrlPublisher {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CrlPublisher.class);

    private final CaDatabase database;
    private final PrivateKey caKey;
    private final X509Certificate caCertificate;
    private final Clock clock;
    private final Duration basePeriod;
    private final Duration deltaPeriod;
    private final String deltaUrl;
    private final Publication publication;
    /** The newest base and delta CRL, as the database holds them; read from it once, then kept as they are made. */
    private CaDatabase.CrlRow latestBase;
    private CaDatabase.CrlRow latestDelta;
    private boolean loaded;

    /** Where a new CRL goes besides the database: the directory's CDP object. */
    interface Publication {
        void publish(byte[] crl, boolean delta);
    }

    CrlPublisher(CaDatabase database, PrivateKey caKey, X509Certificate caCertificate, Clock clock, Duration basePeriod,
                 Duration deltaPeriod, String deltaUrl, Publication publication) {
        this.database = database;
        this.caKey = caKey;
        this.caCertificate = caCertificate;
        this.clock = clock;
        this.basePeriod = basePeriod;
        this.deltaPeriod = deltaPeriod;
        this.deltaUrl = deltaUrl;
        this.publication = publication;
    }

    /** Publishes a new base and delta CRL now ({@code certutil -crl}) and returns the base. */
    X509CRL publishCrl() {
        try {
            publishNow();
        } catch (SQLException | GeneralSecurityException e) {
            throw new IllegalStateException("publishing the CRL failed: " + e.getMessage(), e);
        }
        return crl(false);
    }

    /** The current base (or delta) CRL, made anew first when the clock says it is due. */
    X509CRL crl(boolean delta) {
        try {
            return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(crlBytes(delta)));
        } catch (CertificateException | CRLException e) {
            throw new IllegalStateException("stored CRL does not parse", e);
        }
    }

    /** The current base (or delta) CRL's DER, as the CDP serves it. */
    byte[] crlBytes(boolean delta) {
        try {
            return current(delta).der();
        } catch (SQLException | GeneralSecurityException e) {
            throw new IllegalStateException("the CRL could not be made: " + e.getMessage(), e);
        }
    }

    /** What the schedule runs: publishes whichever CRL is due, and logs rather than throws when it cannot. */
    void publishIfDue() {
        try {
            current(false);
        } catch (Exception e) {
            LOG.warn("{}: scheduled CRL publication failed: {}", caCertificate.getSubjectX500Principal().getName(), e.toString());
        }
    }

    /** Makes and publishes a new base and delta CRL now. */
    synchronized void publishNow() throws SQLException, GeneralSecurityException {
        Instant now = clock.instant();
        CaDatabase.CrlRow base = make(now, false, 0);
        make(now, true, base.number());
    }

    /** Publishes whichever CRL is due; returns the current one of the kind asked for. */
    synchronized CaDatabase.CrlRow current(boolean delta) throws SQLException, GeneralSecurityException {
        Instant now = clock.instant();
        CaDatabase.CrlRow base = latest(false);
        if (base == null || due(base, basePeriod, now)) {
            publishNow();
        } else {
            CaDatabase.CrlRow latestDelta = latest(true);
            if (latestDelta == null || due(latestDelta, deltaPeriod, now)) {
                make(now, true, base.number());
            }
        }
        return latest(delta);
    }

    /** Every computer's first handshake downloads the CRL: it comes from memory, not from a query per download. */
    private CaDatabase.CrlRow latest(boolean delta) throws SQLException {
        if (!loaded) {
            latestBase = database.latestCrl(false).orElse(null);
            latestDelta = database.latestCrl(true).orElse(null);
            loaded = true;
        }
        return delta ? latestDelta : latestBase;
    }

    private void remember(CaDatabase.CrlRow row) throws SQLException {
        // the first read takes both kinds from the database, so it runs before this row is kept
        latest(row.delta());
        if (row.delta()) {
            latestDelta = row;
        } else {
            latestBase = row;
        }
    }

    private static boolean due(CaDatabase.CrlRow crl, Duration period, Instant now) {
        Duration overlap = period.dividedBy(10).compareTo(Duration.ofHours(12)) > 0 ? Duration.ofHours(12) : period.dividedBy(10);
        return !now.isBefore(crl.nextUpdate().minus(overlap));
    }

    private CaDatabase.CrlRow make(Instant now, boolean delta, long baseNumber) throws SQLException, GeneralSecurityException {
        long number = database.nextCrlNumber();
        CaDatabase.CrlRow currentBase = delta ? latest(false) : null;
        Instant baseThisUpdate = delta ? (currentBase == null ? Instant.EPOCH : currentBase.thisUpdate()) : null;
        Instant nextUpdate = now.plus(delta ? deltaPeriod : basePeriod);
        X509v2CRLBuilder builder = new X509v2CRLBuilder(X500Name.getInstance(caCertificate.getSubjectX500Principal().getEncoded()),
                Date.from(now));
        builder.setNextUpdate(Date.from(nextUpdate));
        List<RequestRecord> revoked = database.byStatus(RequestStatus.REVOKED);
        for (RequestRecord r : revoked) {
            if (!delta || r.revokedAt().isAfter(baseThisUpdate) || r.revokedAt().equals(baseThisUpdate)) {
                builder.addCRLEntry(r.serial(), Date.from(r.revokedAt()), r.revocationReason().code());
            }
        }
        try {
            builder.addExtension(Extension.authorityKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(caCertificate));
            builder.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.valueOf(number)));
            builder.addExtension(new ASN1ObjectIdentifier(CaIdentity.CA_VERSION_OID), false, new ASN1Integer(0));
            if (delta) {
                builder.addExtension(Extension.deltaCRLIndicator, true, new CRLNumber(BigInteger.valueOf(baseNumber)));
            } else {
                builder.addExtension(Extension.freshestCRL, false, new CRLDistPoint(new DistributionPoint[]{
                        new DistributionPoint(new DistributionPointName(new GeneralNames(
                                new GeneralName(GeneralName.uniformResourceIdentifier, deltaUrl))), null, null)}));
            }
            byte[] der = builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(caKey)).getEncoded();
            CaDatabase.CrlRow row = new CaDatabase.CrlRow(number, delta, now, nextUpdate, der);
            database.saveCrl(row);
            remember(row);
            publication.publish(der, delta);
            return row;
        } catch (org.bouncycastle.operator.OperatorCreationException | java.io.IOException e) {
            throw new GeneralSecurityException("cannot sign the " + (delta ? "delta " : "") + "CRL: " + e.getMessage(), e);
        }
    }
}
