package org.pkilab.ca;

import java.math.BigInteger;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The CA database ({@code certsrv.edb} on Windows): every request with its requester, template,
 * disposition, serial, times and certificate, plus the CRLs the CA published. It lives in SQLite in
 * WAL mode, so a committed row survives the process being killed; a request is committed before its
 * answer leaves the CA, so every certificate a client holds is in here.
 */
final class CaDatabase implements AutoCloseable {

    private static final String COLUMNS = "request_id, requester, requester_dn, template, status, disposition_code, "
            + "disposition_message, serial, subject, certificate, csr, submitted_at, resolved_at, not_before, not_after, "
            + "revoked_at, revocation_reason";

    private final Connection connection;
    private final PreparedStatement insert;

    private CaDatabase(Connection connection) throws SQLException {
        this.connection = connection;
        // prepared once: every issued certificate goes through it
        this.insert = connection.prepareStatement("INSERT INTO requests (requester, requester_dn, template,"
                + " status, disposition_code, disposition_message, serial, subject, certificate, csr, csr_sha256, submitted_at,"
                + " resolved_at, not_before, not_after) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING request_id");
    }

    static CaDatabase open(Path file) throws SQLException {
        Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
        try (Statement s = connection.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            // NORMAL in WAL mode: a commit survives a killed process; only an OS crash can lose the last ones
            s.execute("PRAGMA synchronous=NORMAL");
            s.execute("PRAGMA busy_timeout=5000");
            s.execute("CREATE TABLE IF NOT EXISTS requests (request_id INTEGER PRIMARY KEY AUTOINCREMENT,"
                    + " requester TEXT NOT NULL, requester_dn TEXT NOT NULL, template TEXT NOT NULL, status TEXT NOT NULL,"
                    + " disposition_code INTEGER NOT NULL, disposition_message TEXT NOT NULL, serial TEXT UNIQUE,"
                    + " subject TEXT, certificate BLOB, csr BLOB NOT NULL, csr_sha256 TEXT NOT NULL,"
                    + " submitted_at INTEGER NOT NULL, resolved_at INTEGER, not_before INTEGER, not_after INTEGER,"
                    + " revoked_at INTEGER, revocation_reason INTEGER)");
            s.execute("CREATE INDEX IF NOT EXISTS requests_csr ON requests(csr_sha256)");
            s.execute("CREATE INDEX IF NOT EXISTS requests_status ON requests(status)");
            s.execute("CREATE TABLE IF NOT EXISTS crls (crl_number INTEGER PRIMARY KEY, delta INTEGER NOT NULL,"
                    + " this_update INTEGER NOT NULL, next_update INTEGER NOT NULL, der BLOB NOT NULL)");
        }
        return new CaDatabase(connection);
    }

    /** Records a new request as decided; returns it with its request id. */
    synchronized RequestRecord insert(RequestRecord r, String csrSha256) throws SQLException {
        insert.setString(1, r.requester());
        insert.setString(2, r.requesterDn());
        insert.setString(3, r.template());
        insert.setString(4, r.status().name());
        insert.setInt(5, r.dispositionCode());
        insert.setString(6, r.dispositionMessage());
        insert.setString(7, r.serialHex());
        insert.setString(8, r.subject());
        insert.setBytes(9, r.certificate());
        insert.setBytes(10, r.csr());
        insert.setString(11, csrSha256);
        insert.setLong(12, r.submittedAt().toEpochMilli());
        setInstant(insert, 13, r.resolvedAt());
        setInstant(insert, 14, r.notBefore());
        setInstant(insert, 15, r.notAfter());
        try (ResultSet keys = insert.executeQuery()) {
            keys.next();
            return new RequestRecord(keys.getLong(1), r.requester(), r.requesterDn(), r.template(), r.status(),
                    r.dispositionCode(), r.dispositionMessage(), r.serial(), r.subject(), r.certificate(), r.csr(),
                    r.submittedAt(), r.resolvedAt(), r.notBefore(), r.notAfter(), r.revokedAt(), r.revocationReason());
        }
    }

    /** Records the outcome of a pending request (approved and issued, or denied). */
    synchronized RequestRecord resolve(long requestId, RequestStatus status, int code, String message, BigInteger serial,
                                       String subject, byte[] certificate, Instant resolvedAt, Instant notBefore,
                                       Instant notAfter) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("UPDATE requests SET status=?, disposition_code=?,"
                + " disposition_message=?, serial=?, subject=COALESCE(?, subject), certificate=?, resolved_at=?, not_before=?,"
                + " not_after=? WHERE request_id=? AND status='PENDING'")) {
            ps.setString(1, status.name());
            ps.setInt(2, code);
            ps.setString(3, message);
            ps.setString(4, serial == null ? null : serial.toString(16));
            ps.setString(5, subject);
            ps.setBytes(6, certificate);
            setInstant(ps, 7, resolvedAt);
            setInstant(ps, 8, notBefore);
            setInstant(ps, 9, notAfter);
            ps.setLong(10, requestId);
            if (ps.executeUpdate() != 1) {
                throw new SQLException("request " + requestId + " is not pending");
            }
        }
        return byId(requestId).orElseThrow();
    }

    synchronized RequestRecord revoke(BigInteger serial, RevocationReason reason, Instant when, String who) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("UPDATE requests SET status='REVOKED', revoked_at=?,"
                + " revocation_reason=?, disposition_message=? WHERE serial=? AND status='ISSUED'")) {
            ps.setLong(1, when.toEpochMilli());
            ps.setInt(2, reason.code());
            ps.setString(3, "Revoked by " + who);
            ps.setString(4, serial.toString(16));
            if (ps.executeUpdate() != 1) {
                throw new SQLException("no issued certificate with serial " + serial.toString(16));
            }
        }
        return bySerial(serial).orElseThrow();
    }

    synchronized Optional<RequestRecord> byId(long requestId) throws SQLException {
        return one("SELECT " + COLUMNS + " FROM requests WHERE request_id=?", ps -> ps.setLong(1, requestId));
    }

    synchronized Optional<RequestRecord> bySerial(BigInteger serial) throws SQLException {
        return one("SELECT " + COLUMNS + " FROM requests WHERE serial=?", ps -> ps.setString(1, serial.toString(16)));
    }

    /** The latest request from this requester with exactly this CSR: how EST's "ask again" finds it. */
    synchronized Optional<RequestRecord> byCsr(String requester, String csrSha256) throws SQLException {
        return one("SELECT " + COLUMNS + " FROM requests WHERE requester=? AND csr_sha256=? ORDER BY request_id DESC LIMIT 1",
                ps -> {
                    ps.setString(1, requester);
                    ps.setString(2, csrSha256);
                });
    }

    synchronized List<RequestRecord> byStatus(RequestStatus... statuses) throws SQLException {
        StringBuilder in = new StringBuilder();
        for (RequestStatus status : statuses) {
            in.append(in.length() == 0 ? "'" : ",'").append(status.name()).append('\'');
        }
        List<RequestRecord> records = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement("SELECT " + COLUMNS + " FROM requests WHERE status IN ("
                + in + ") ORDER BY request_id"); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                records.add(row(rs));
            }
        }
        return records;
    }

    synchronized long count() throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM requests")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** A published CRL. */
    record CrlRow(long number, boolean delta, Instant thisUpdate, Instant nextUpdate, byte[] der) {
    }

    synchronized long nextCrlNumber() throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SELECT MAX(crl_number) FROM crls")) {
            rs.next();
            return rs.getLong(1) + 1;
        }
    }

    synchronized void saveCrl(CrlRow crl) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO crls VALUES (?,?,?,?,?)")) {
            ps.setLong(1, crl.number());
            ps.setInt(2, crl.delta() ? 1 : 0);
            ps.setLong(3, crl.thisUpdate().toEpochMilli());
            ps.setLong(4, crl.nextUpdate().toEpochMilli());
            ps.setBytes(5, crl.der());
            ps.executeUpdate();
        }
    }

    synchronized Optional<CrlRow> latestCrl(boolean delta) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT crl_number, delta, this_update, next_update, der"
                + " FROM crls WHERE delta=? ORDER BY crl_number DESC LIMIT 1")) {
            ps.setInt(1, delta ? 1 : 0);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new CrlRow(rs.getLong(1), rs.getInt(2) == 1, Instant.ofEpochMilli(rs.getLong(3)),
                        Instant.ofEpochMilli(rs.getLong(4)), rs.getBytes(5)));
            }
        }
    }

    private interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private Optional<RequestRecord> one(String sql, Binder binder) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            binder.bind(ps);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
        }
    }

    private static RequestRecord row(ResultSet rs) throws SQLException {
        String serial = rs.getString(8);
        int reason = rs.getInt(17);
        boolean revoked = !rs.wasNull();
        return new RequestRecord(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                RequestStatus.valueOf(rs.getString(5)), rs.getInt(6), rs.getString(7),
                serial == null ? null : new BigInteger(serial, 16), rs.getString(9), rs.getBytes(10), rs.getBytes(11),
                instant(rs, 12), instant(rs, 13), instant(rs, 14), instant(rs, 15), instant(rs, 16),
                revoked ? RevocationReason.ofCode(reason) : null);
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(value);
    }

    private static void setInstant(PreparedStatement ps, int index, Instant value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.INTEGER);
        } else {
            ps.setLong(index, value.toEpochMilli());
        }
    }

    @Override
    public synchronized void close() {
        try {
            insert.close();
            connection.close();
        } catch (SQLException e) {
            // closing a connection that failed is not worth a second failure
        }
    }
}
