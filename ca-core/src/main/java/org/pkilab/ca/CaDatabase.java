package org.pkilab.ca;

import java.io.IOException;
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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The CA database ({@code certsrv.edb} on Windows): every request with its requester, template,
 * disposition, serial, times and certificate, plus the CRLs the CA published. The tables live in SQLite
 * (WAL mode); new requests go first to the transaction log {@code ca.log} ({@link RequestLog}, as
 * {@code edb.log} on Windows), one write each, and a background writer moves them into the tables many
 * to a transaction. A request is in the log before its answer leaves the CA, so every certificate a
 * client holds survives the process being killed: the next start applies what the log holds before it
 * does anything else. Every read sees logged requests as if they were already in the tables.
 *
 * <p>Why a log: one SQLite commit per request touches five pages (row, parent, two indexes, header),
 * about a dozen system calls, and cost as much as a sixth of the RSA signature it records.
 *
 * <p>Longer than most classes here: the log, the background writer and the reads share one lock order and
 * one view of what is logged but not yet in the tables; apart, each would need the others' insides.
 */
final class CaDatabase implements AutoCloseable {

    private static final String COLUMNS = "request_id, requester, requester_dn, template, status, disposition_code, "
            + "disposition_message, serial, subject, certificate, csr, submitted_at, resolved_at, not_before, not_after, "
            + "revoked_at, revocation_reason, arrival";
    /** Requests a writer pass may leave waiting before an insert applies them itself: bounds memory and the log. */
    private static final int MOST_PENDING = 4096;
    /** How long the writer lets requests gather before it applies them in one transaction. */
    private static final long GATHER_MILLIS = 50;
    /** Log size at which the writer catches up in one go under a load that never lets it drain. */
    private static final long LOG_LIMIT = 16L << 20;
    /** How long the writer waits before it tries again after the tables refused a write (a full disk). */
    private static final long RETRY_MILLIS = 1_000;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CaDatabase.class);

    private final Connection connection;
    private final PreparedStatement insert;
    /** The reads' statements, prepared once: SQLite's prepare cost more than the lookup itself on every EST request. */
    private final Map<String, PreparedStatement> statements = new HashMap<>();
    private final RequestLog log;
    /** Logged, not yet in the tables; oldest first. */
    private final ArrayDeque<RequestLog.Entry> pending = new ArrayDeque<>();
    /** The high 64 bits of every serial issued: a repeat is refused before it is logged (a prefix match merely draws again). */
    private final Set<Long> serialPrefixes = new HashSet<>();
    private final Thread writer;
    /** Guards the SQLite connection, which the writer uses without this object's lock. Taken after it, never before. */
    private final Object tables = new Object();
    private long nextRequestId;
    private final java.util.concurrent.atomic.LongAdder tablesNanos = new java.util.concurrent.atomic.LongAdder();
    private boolean closed;
    /** Set while the disk holding the database refuses writes, so the condition is logged once, not per request. */
    private volatile boolean storageFull;
    /** A failure of the writer that waiting does not mend (not a full disk): requests are refused until a restart. */
    private SQLException writerFailure;
    private final Path folder;

    /**
     * The database could not be written because the disk holding it is full. The request was not recorded and
     * nothing changed; the CA goes on by itself once there is room.
     */
    static final class StorageFullException extends SQLException {
        StorageFullException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private CaDatabase(Connection connection, RequestLog log, Path folder) throws SQLException {
        this.folder = folder;
        this.connection = connection;
        this.log = log;
        this.insert = connection.prepareStatement("INSERT INTO requests (request_id, requester, requester_dn, template,"
                + " status, disposition_code, disposition_message, serial, subject, certificate, csr, csr_sha256, submitted_at,"
                + " resolved_at, not_before, not_after, arrival) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(request_id) DO NOTHING");
        this.writer = new Thread(this::writeBehind, "CA database writer");
        this.writer.setDaemon(true);
    }

    static CaDatabase open(Path file) throws SQLException {
        Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
        RequestLog log = null;
        try {
            try (Statement s = connection.createStatement()) {
                // the CA service holds its database alone, as certsrv holds certsrv.edb: no file locks per commit
                s.execute("PRAGMA locking_mode=EXCLUSIVE");
                // a request row is about 2.5 KB (certificate and request): three to an 8 KB page rather than one to 4 KB
                s.execute("PRAGMA page_size=8192");
                s.execute("PRAGMA journal_mode=WAL");
                // NORMAL in WAL mode: a commit survives a killed process; only an OS crash can lose the last ones
                s.execute("PRAGMA synchronous=NORMAL");
                s.execute("PRAGMA busy_timeout=5000");
                // serials and request hashes are random keys whose index pages are touched all over
                s.execute("PRAGMA cache_size=-16384");
                s.execute("CREATE TABLE IF NOT EXISTS requests (request_id INTEGER PRIMARY KEY,"
                        + " requester TEXT NOT NULL, requester_dn TEXT NOT NULL, template TEXT NOT NULL, status TEXT NOT NULL,"
                        + " disposition_code INTEGER NOT NULL, disposition_message TEXT NOT NULL, serial TEXT UNIQUE,"
                        + " subject TEXT, certificate BLOB, csr BLOB NOT NULL, csr_sha256 TEXT NOT NULL,"
                        + " submitted_at INTEGER NOT NULL, resolved_at INTEGER, not_before INTEGER, not_after INTEGER,"
                        + " revoked_at INTEGER, revocation_reason INTEGER, arrival TEXT)");
                addArrivalColumn(s);
                s.execute("CREATE INDEX IF NOT EXISTS requests_csr ON requests(csr_sha256)");
                s.execute("CREATE INDEX IF NOT EXISTS requests_status ON requests(status)");
                s.execute("CREATE TABLE IF NOT EXISTS crls (crl_number INTEGER PRIMARY KEY, delta INTEGER NOT NULL,"
                        + " this_update INTEGER NOT NULL, next_update INTEGER NOT NULL, der BLOB NOT NULL)");
            }
            log = RequestLog.open(file.resolveSibling(file.getFileName().toString().replaceFirst("\\.db$", "") + ".log"));
            CaDatabase db = new CaDatabase(connection, log, file.toAbsolutePath().getParent());
            db.recover();
            db.writer.start();
            return db;
        } catch (SQLException | IOException | RuntimeException e) {
            try {
                connection.close();
                if (log != null) {
                    log.close();
                }
            } catch (SQLException | IOException closing) {
                e.addSuppressed(closing);
            }
            throw e instanceof SQLException sql ? sql : new SQLException("the CA database could not be opened: " + e.getMessage(), e);
        }
    }

    /** Applies what a killed CA left in the log, then learns the next request id and the serials issued. */
    private void recover() throws SQLException, IOException {
        List<RequestLog.Entry> logged = log.readAll();
        if (!logged.isEmpty()) {
            apply(logged);
            log.clear();
        }
        try (Statement s = connection.createStatement();
             ResultSet max = s.executeQuery("SELECT COALESCE(MAX(request_id), 0) FROM requests")) {
            max.next();
            nextRequestId = max.getLong(1) + 1;
        }
        try (Statement s = connection.createStatement();
             ResultSet serials = s.executeQuery("SELECT serial FROM requests WHERE serial IS NOT NULL")) {
            while (serials.next()) {
                serialPrefixes.add(prefix(new BigInteger(serials.getString(1), 16)));
            }
        }
    }

    /**
     * Records a new request as decided and returns it with its request id. It is in the log when this
     * returns; a serial already issued is refused with SQLite's own "UNIQUE constraint failed" text.
     */
    synchronized RequestRecord insert(RequestRecord r, String csrSha256) throws SQLException {
        requireOpen();
        if (r.serial() != null && serialPrefixes.contains(prefix(r.serial()))) {
            throw new SQLException("UNIQUE constraint failed: requests.serial " + r.serialHex());
        }
        RequestRecord numbered = new RequestRecord(nextRequestId, r.requester(), r.requesterDn(), r.template(), r.status(),
                r.dispositionCode(), r.dispositionMessage(), r.serial(), r.subject(), r.certificate(), r.csr(),
                r.submittedAt(), r.resolvedAt(), r.notBefore(), r.notAfter(), r.revokedAt(), r.revocationReason(), r.arrival());
        try {
            log.append(numbered, csrSha256);
        } catch (IOException e) {
            throw explained("the CA database log could not be written", e);
        }
        wroteAgain();
        nextRequestId++;
        if (r.serial() != null) {
            serialPrefixes.add(prefix(r.serial()));
        }
        pending.addLast(new RequestLog.Entry(numbered, csrSha256));
        if (pending.size() == 1) {
            notifyAll();
        } else if (pending.size() >= MOST_PENDING) {
            flush();
        }
        return numbered;
    }

    private static long prefix(BigInteger serial) {
        return serial.shiftRight(Math.max(0, serial.bitLength() - 64)).longValue();
    }

    /**
     * The background writer: lets requests gather for a moment, then applies them in one transaction
     * without holding up new requests, which only append to the log meanwhile.
     */
    private void writeBehind() {
        try {
            while (true) {
                List<RequestLog.Entry> batch;
                synchronized (this) {
                    while (pending.isEmpty() && !closed) {
                        wait();
                    }
                    if (closed) {
                        return;
                    }
                }
                Thread.sleep(GATHER_MILLIS);
                synchronized (this) {
                    if (closed) {
                        return;
                    }
                    batch = new ArrayList<>(pending);
                }
                try {
                    synchronized (tables) {
                        apply(batch);
                    }
                } catch (StorageFullException e) {
                    // the log still holds them; try again after a pause: the CA goes on by itself once there is room
                    Thread.sleep(RETRY_MILLIS);
                    continue;
                } catch (SQLException e) {
                    synchronized (this) {
                        writerFailure = e; // the log still holds them: the next start applies them
                    }
                    LOG.error("CA database: the writer stopped: {}; requests are refused until the CA starts again", e.getMessage());
                    return;
                }
                synchronized (this) {
                    // a read may have applied them meanwhile: drop only what is still first in line
                    for (RequestLog.Entry applied : batch) {
                        if (pending.peekFirst() != applied) {
                            break;
                        }
                        pending.removeFirst();
                    }
                    if (pending.isEmpty()) {
                        clearLog();
                    } else if (log.size() > LOG_LIMIT) {
                        try {
                            flush(); // requests never stopped arriving: catch up once so the log cannot grow without end
                        } catch (StorageFullException e) {
                            // as above: the entries stay pending and logged
                        } catch (SQLException e) {
                            writerFailure = e;
                            LOG.error("CA database: the writer stopped: {}; requests are refused until the CA starts again", e.getMessage());
                            return;
                        }
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A failure to write, said plainly: a full disk names the folder and what to do (SQLite's own text, "cannot
     * commit - no transaction is active", hid it), and is logged once when it begins.
     */
    private SQLException explained(String what, Exception e) {
        String text = String.valueOf(e.getMessage());
        boolean full = text.contains("SQLITE_FULL") || text.contains("disk is full") || text.contains("No space left");
        if (!full) {
            return e instanceof SQLException sql ? sql : new SQLException(what + ": " + text, e);
        }
        if (!storageFull) {
            storageFull = true;
            LOG.warn("CA database: the disk holding {} is full; requests are refused until there is room again", folder);
        }
        return new StorageFullException(what + ": the disk holding " + folder + " is full. Nothing was recorded; free space"
                + " there and send the request again (the CA goes on by itself once there is room)", e);
    }

    /** A write went through: a full disk, if there was one, has room again. */
    private void wroteAgain() {
        if (storageFull) {
            storageFull = false;
            LOG.info("CA database: the disk holding {} takes writes again", folder);
        }
    }

    /** Moves every logged request into the tables and empties the log. Callers hold this object's lock. */
    private void flush() throws SQLException {
        if (pending.isEmpty()) {
            return;
        }
        synchronized (tables) {
            apply(pending);
        }
        pending.clear();
        clearLog();
    }

    private void clearLog() {
        try {
            log.clear();
        } catch (IOException e) {
            // harmless: applying the same entries again at the next start changes nothing
        }
    }

    private void apply(java.util.Collection<RequestLog.Entry> entries) throws SQLException {
        long start = System.nanoTime();
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try {
            for (RequestLog.Entry e : entries) {
                RequestRecord r = e.record();
                insert.setLong(1, r.requestId());
                insert.setString(2, r.requester());
                insert.setString(3, r.requesterDn());
                insert.setString(4, r.template());
                insert.setString(5, r.status().name());
                insert.setInt(6, r.dispositionCode());
                insert.setString(7, r.dispositionMessage());
                insert.setString(8, r.serialHex());
                insert.setString(9, r.subject());
                insert.setBytes(10, r.certificate());
                insert.setBytes(11, r.csr());
                insert.setString(12, e.csrSha256());
                insert.setLong(13, r.submittedAt().toEpochMilli());
                setInstant(insert, 14, r.resolvedAt());
                setInstant(insert, 15, r.notBefore());
                setInstant(insert, 16, r.notAfter());
                insert.setString(17, r.arrival().name());
                insert.executeUpdate();
            }
            connection.commit();
            wroteAgain();
        } catch (SQLException e) {
            try {
                connection.rollback();
            } catch (SQLException notActive) {
                e.addSuppressed(notActive); // SQLite has already rolled back a commit that failed
            }
            throw explained("the CA database tables could not be written", e);
        } finally {
            try {
                connection.setAutoCommit(autoCommit);
            } catch (SQLException e) {
                // the next apply sets it again
            }
            tablesNanos.add(System.nanoTime() - start);
        }
    }

    /** Time spent moving logged requests into the SQLite tables (mostly the background writer's, off the request path). */
    long tablesNanos() {
        return tablesNanos.sum();
    }

    /** Reads and changes of existing rows see the tables whole: logged requests are applied first. */
    private void current() throws SQLException {
        requireOpen();
        flush();
    }

    private void requireOpen() throws SQLException {
        if (closed) {
            throw new SQLException("the CA database is closed");
        }
        if (writerFailure != null) {
            throw new SQLException("the CA database writer failed: " + writerFailure.getMessage(), writerFailure);
        }
    }

    /** Records the outcome of a pending request (approved and issued, or denied), or of a denied one resubmitted. */
    synchronized RequestRecord resolve(long requestId, RequestStatus status, int code, String message, BigInteger serial,
                                       String subject, byte[] certificate, Instant resolvedAt, Instant notBefore,
                                       Instant notAfter) throws SQLException {
        synchronized (tables) {
            current();
            try (PreparedStatement ps = connection.prepareStatement("UPDATE requests SET status=?, disposition_code=?,"
                    + " disposition_message=?, serial=?, subject=COALESCE(?, subject), certificate=?, resolved_at=?, not_before=?,"
                    + " not_after=? WHERE request_id=? AND status IN ('PENDING', 'DENIED')")) {
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
                    throw new SQLException("request " + requestId + " is neither pending nor denied");
                }
                if (serial != null) {
                    serialPrefixes.add(prefix(serial));
                }
            }
            return byId(requestId).orElseThrow();
        }
    }

    synchronized RequestRecord revoke(BigInteger serial, RevocationReason reason, Instant when, String who) throws SQLException {
        synchronized (tables) {
            current();
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
    }

    synchronized Optional<RequestRecord> byId(long requestId) throws SQLException {
        synchronized (tables) {
            current();
            return one("SELECT " + COLUMNS + " FROM requests WHERE request_id=?", ps -> ps.setLong(1, requestId));
        }
    }

    synchronized Optional<RequestRecord> bySerial(BigInteger serial) throws SQLException {
        synchronized (tables) {
            current();
            return one("SELECT " + COLUMNS + " FROM requests WHERE serial=?", ps -> ps.setString(1, serial.toString(16)));
        }
    }

    /** The latest request from this requester with exactly this CSR: how EST's "ask again" finds it. */
    Optional<RequestRecord> byCsr(String requester, String csrSha256) throws SQLException {
        // asked on every EST enrollment: look through the logged requests rather than applying them first.
        // A request leaves the log's queue only once it is committed to the tables, so looking here first
        // and in the tables second never misses one.
        synchronized (this) {
            requireOpen();
            for (Iterator<RequestLog.Entry> newest = pending.descendingIterator(); newest.hasNext(); ) {
                RequestLog.Entry e = newest.next();
                if (e.csrSha256().equals(csrSha256) && e.record().requester().equals(requester)) {
                    return Optional.of(e.record());
                }
            }
        }
        synchronized (tables) {
            return one("SELECT " + COLUMNS + " FROM requests WHERE requester=? AND csr_sha256=? ORDER BY request_id DESC LIMIT 1",
                    ps -> {
                        ps.setString(1, requester);
                        ps.setString(2, csrSha256);
                    });
        }
    }

    synchronized List<RequestRecord> byStatus(RequestStatus... statuses) throws SQLException {
        return byStatus(0, Integer.MAX_VALUE, statuses);
    }

    /** At most {@code limit} requests in one of {@code statuses} whose id is over {@code afterRequestId}, by id. */
    synchronized List<RequestRecord> byStatus(long afterRequestId, int limit, RequestStatus... statuses) throws SQLException {
        synchronized (tables) {
            current();
            StringBuilder in = new StringBuilder();
            for (RequestStatus status : statuses) {
                in.append(in.length() == 0 ? "'" : ",'").append(status.name()).append('\'');
            }
            List<RequestRecord> records = new ArrayList<>();
            try (PreparedStatement ps = connection.prepareStatement("SELECT " + COLUMNS + " FROM requests WHERE status IN ("
                    + in + ") AND request_id > ? ORDER BY request_id LIMIT ?")) {
                ps.setLong(1, afterRequestId);
                ps.setInt(2, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        records.add(row(rs));
                    }
                }
            }
            return records;
        }
    }

    synchronized long count() throws SQLException {
        synchronized (tables) {
            current();
            try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM requests")) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** A published CRL. */
    record CrlRow(long number, boolean delta, Instant thisUpdate, Instant nextUpdate, byte[] der) {
    }

    synchronized long nextCrlNumber() throws SQLException {
        synchronized (tables) {
            try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SELECT MAX(crl_number) FROM crls")) {
                rs.next();
                return rs.getLong(1) + 1;
            }
        }
    }

    synchronized void saveCrl(CrlRow crl) throws SQLException {
        synchronized (tables) {
            try (PreparedStatement ps = connection.prepareStatement("INSERT INTO crls VALUES (?,?,?,?,?)")) {
                ps.setLong(1, crl.number());
                ps.setInt(2, crl.delta() ? 1 : 0);
                ps.setLong(3, crl.thisUpdate().toEpochMilli());
                ps.setLong(4, crl.nextUpdate().toEpochMilli());
                ps.setBytes(5, crl.der());
                ps.executeUpdate();
            }
        }
    }

    synchronized Optional<CrlRow> latestCrl(boolean delta) throws SQLException {
        synchronized (tables) {
            PreparedStatement ps = prepared("SELECT crl_number, delta, this_update, next_update, der"
                    + " FROM crls WHERE delta=? ORDER BY crl_number DESC LIMIT 1");
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
        PreparedStatement ps = prepared(sql);
        binder.bind(ps);
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(row(rs)) : Optional.empty();
        }
    }

    /** A kept statement for {@code sql}; callers hold {@link #tables}. */
    private PreparedStatement prepared(String sql) throws SQLException {
        PreparedStatement ps = statements.get(sql);
        if (ps == null) {
            ps = connection.prepareStatement(sql);
            statements.put(sql, ps);
        }
        return ps;
    }

    private static RequestRecord row(ResultSet rs) throws SQLException {
        String serial = rs.getString(8);
        int reason = rs.getInt(17);
        boolean revoked = !rs.wasNull();
        return new RequestRecord(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                RequestStatus.valueOf(rs.getString(5)), rs.getInt(6), rs.getString(7),
                serial == null ? null : new BigInteger(serial, 16), rs.getString(9), rs.getBytes(10), rs.getBytes(11),
                instant(rs, 12), instant(rs, 13), instant(rs, 14), instant(rs, 15), instant(rs, 16),
                revoked ? RevocationReason.ofCode(reason) : null, RequestRecord.Arrival.of(rs.getString(18)));
    }

    /** A database from before the CA recorded how requests arrived gets the column; its rows read as sent directly. */
    private static void addArrivalColumn(Statement s) throws SQLException {
        try (ResultSet columns = s.executeQuery("PRAGMA table_info(requests)")) {
            while (columns.next()) {
                if ("arrival".equals(columns.getString("name"))) {
                    return;
                }
            }
        }
        s.execute("ALTER TABLE requests ADD COLUMN arrival TEXT");
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
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            try {
                flush();
            } catch (SQLException e) {
                // the log keeps what could not be applied: the next start applies it
            }
            closed = true;
            notifyAll();
        }
        try {
            writer.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            try {
                insert.close();
                for (PreparedStatement ps : statements.values()) {
                    ps.close();
                }
                connection.close();
                log.close();
            } catch (SQLException | IOException e) {
                // closing a connection that failed is not worth a second failure
            }
        }
    }
}
